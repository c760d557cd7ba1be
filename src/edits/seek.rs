//! Finding a block of lines in a file, from strict to lenient: exact, then ignoring trailing
//! whitespace, then ignoring surrounding whitespace, then also reading typographic punctuation as
//! ASCII. Each pass scans every candidate position before the next, looser one is tried, so an exact
//! match further down beats a loose one higher up.

/// The first position at or after `from` where `pattern` matches `lines`; with `at_end`, only the
/// position where the block ends on the last line.
pub fn seek(lines: &[String], pattern: &[String], from: usize, at_end: bool) -> Option<usize> {
    if pattern.is_empty() {
        return Some(from);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last = lines.len() - pattern.len();
    let candidates: Vec<usize> = if at_end { vec![last] } else { (from..=last).collect() };
    let passes: [fn(&str, &str) -> bool; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| normalise(a.trim()) == normalise(b.trim()),
    ];
    passes.iter().find_map(|same| {
        candidates.iter().copied().find(|&at| pattern.iter().zip(&lines[at..]).all(|(p, l)| same(l, p)))
    })
}

/// Typographic dashes, quotes and spaces as their ASCII look-alikes.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}'..='\u{201B}' => '\'',
            '\u{201C}'..='\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn an_exact_match_below_beats_a_loose_one_above() {
        let file = lines("  foo\nbar\nfoo\nbar");
        assert_eq!(seek(&file, &lines("foo\nbar"), 0, false), Some(2));
        assert_eq!(seek(&file, &lines("foo  \nbar"), 0, false), Some(2), "trailing whitespace pass");
        assert_eq!(seek(&file, &lines("  foo\nbar"), 1, false), Some(2), "surrounding whitespace, from the cursor");
    }

    #[test]
    fn typographic_punctuation_matches_ascii() {
        let file = lines("let s = \u{201C}quoted\u{201D} \u{2014} it\u{2019}s\u{00A0}fine;");
        assert_eq!(seek(&file, &lines("let s = \"quoted\" - it's fine;"), 0, false), Some(0));
    }

    #[test]
    fn end_of_file_pins_the_block_to_the_end() {
        let file = lines("x\ny\nx\ny");
        assert_eq!(seek(&file, &lines("x\ny"), 0, true), Some(2));
        assert_eq!(seek(&file, &lines("x"), 0, true), None);
        assert_eq!(seek(&file, &lines("a\nb\nc\nd\ne"), 0, false), None);
    }
}
