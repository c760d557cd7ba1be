//! A matching line as it is shown: cut around its first match when it is long, bytes that are not
//! UTF-8 replaced, and the match ranges moved to where they fall in the text that is shown.

/// Bytes of a line shown at most (a minified file's one line would otherwise fill the screen, and
/// the agent's context).
pub const MAX_TEXT: usize = 300;
/// Bytes kept before the first match when a long line is cut, so the match is seen in its place.
const LEAD: usize = 60;
/// Marks where a long line was cut.
const CUT: char = '…';

/// The line without its line ending.
pub fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `line` (no line ending) as shown, and `ranges` (byte ranges in `line`) as byte ranges in it.
pub fn excerpt(line: &[u8], ranges: &[(usize, usize)]) -> (String, Vec<(u32, u32)>) {
    let (mut start, mut end) = (0, line.len());
    if line.len() > MAX_TEXT {
        let first = ranges.first().map_or(0, |r| r.0);
        start = char_start_after(line, first.saturating_sub(LEAD));
        end = char_start_before(line, (start + MAX_TEXT).min(line.len()));
    }
    let mut text = String::with_capacity(end - start + 2 * CUT.len_utf8());
    if start > 0 {
        text.push(CUT);
    }
    let offsets = push_lossy(&mut text, &line[start..end]);
    if end < line.len() {
        text.push(CUT);
    }
    let shown = ranges
        .iter()
        .filter_map(|&(s, e)| {
            let (s, e) = (s.max(start), e.min(end));
            if s >= e {
                return None;
            }
            let s = floor_boundary(&text, offsets[s - start]);
            let e = ceil_boundary(&text, offsets[e - start]);
            (s < e).then_some((s as u32, e as u32))
        })
        .collect();
    (text, shown)
}

/// The line (no line ending) as shown, with no match to keep in view: for context lines.
pub fn shown_line(line: &[u8]) -> String {
    excerpt(trim_newline(line), &[]).0
}

/// Whether `byte` continues a UTF-8 sequence rather than starting one.
pub(super) fn continues(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// `at`, moved forward to where a character starts (at most a sequence's length, so a run of
/// stray continuation bytes cannot carry it far).
fn char_start_after(line: &[u8], mut at: usize) -> usize {
    for _ in 0..3 {
        if at < line.len() && continues(line[at]) {
            at += 1;
        }
    }
    at
}

fn char_start_before(line: &[u8], mut at: usize) -> usize {
    for _ in 0..3 {
        if at < line.len() && at > 0 && continues(line[at]) {
            at -= 1;
        }
    }
    at
}

/// Appends `bytes` to `text`, each invalid sequence as one U+FFFD (as `from_utf8_lossy` does), and
/// returns where each byte (and the end) landed in `text`.
fn push_lossy(text: &mut String, bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(bytes.len() + 1);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        offsets.extend((0..valid.len()).map(|i| text.len() + i));
        text.push_str(valid);
        if !chunk.invalid().is_empty() {
            offsets.extend(std::iter::repeat_n(text.len(), chunk.invalid().len()));
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    offsets.push(text.len());
    offsets
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, ranges: &[(u32, u32)]) -> Vec<String> {
        ranges.iter().map(|&(s, e)| text[s as usize..e as usize].to_string()).collect()
    }

    #[test]
    fn a_short_line_is_shown_whole_with_its_ranges() {
        let (text, ranges) = excerpt(b"let x = foo(foo);", &[(8, 11), (12, 15)]);
        assert_eq!(text, "let x = foo(foo);");
        assert_eq!(marked(&text, &ranges), ["foo", "foo"]);
        assert_eq!(trim_newline(b"a\r\n"), b"a");
    }

    #[test]
    fn a_long_line_is_cut_around_its_first_match() {
        let mut line = "x".repeat(5_000).into_bytes();
        line.extend_from_slice(b"NEEDLE");
        line.extend(std::iter::repeat_n(b'y', 5_000));
        let (text, ranges) = excerpt(&line, &[(5_000, 5_006)]);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.len() <= MAX_TEXT + 2 * CUT.len_utf8());
        assert_eq!(marked(&text, &ranges), ["NEEDLE"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_the_ranges_follow() {
        // Latin-1 "café au lait": the é is one byte that is not UTF-8.
        let line = b"caf\xe9 au lait";
        let (text, ranges) = excerpt(line, &[(5, 7)]);
        assert_eq!(text, "caf\u{FFFD} au lait");
        assert_eq!(marked(&text, &ranges), ["au"]);
        let (_, inside) = excerpt(line, &[(3, 4)]);
        assert_eq!(marked(&text, &inside), ["\u{FFFD}"]);
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let line = "é".repeat(1_000);
        let (text, ranges) = excerpt(line.as_bytes(), &[(1_000, 1_002)]);
        assert!(text.chars().all(|c| c == 'é' || c == '…'), "{text}");
        assert_eq!(marked(&text, &ranges), ["é"]);
    }
}
