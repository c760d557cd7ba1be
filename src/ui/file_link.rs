//! Workspace paths drawn as links: a click opens the file in its viewer tab, at the line when one
//! is known. Receipts, chat cards, work orders, Review and memory all draw paths through here, so
//! every path the agent names leads to the file.

use std::ops::Range;

use egui::{Response, RichText, Ui};

use super::intents::{Intent, Intents};

/// A path as a link; `line` is 1-based. The link's text is the path, with `:line` when given.
pub fn file_link_ui(ui: &mut Ui, path: &str, line: Option<u32>, intents: &mut Intents) -> Response {
    let text = match line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_string(),
    };
    let response = ui.link(RichText::new(text).monospace()).on_hover_text("Open in the viewer");
    if response.clicked() {
        intents.push(Intent::OpenFile { path: path.to_string(), line });
    }
    response
}

/// The workspace paths `text` names (`src/lib.rs`, `specs/01-domain.md:12`) as a row of links;
/// nothing when it names none. The text itself stays as drawn elsewhere (selectable).
pub fn links_in_ui(ui: &mut Ui, text: &str, intents: &mut Intents) {
    let found = paths_in(text);
    if found.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (range, line) in found {
            let word = &text[range];
            let path = if line.is_some() { word.rsplit_once(':').map_or(word, |(p, _)| p) } else { word };
            file_link_ui(ui, path, line, intents);
        }
    });
}

/// Where `text` names a relative file path: a word of path characters with a `/` or a file
/// extension, not a URL, not absolute; with the line of a `:N` suffix.
pub fn paths_in(text: &str) -> Vec<(Range<usize>, Option<u32>)> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "._-/:".contains(c);
    let mut found = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, is_path_char(c)) {
            (None, true) => start = Some(at),
            (Some(from), false) => {
                start = None;
                if let Some(hit) = path_word(text, from, at) {
                    found.push(hit);
                }
            }
            _ => {}
        }
    }
    found
}

fn path_word(text: &str, from: usize, to: usize) -> Option<(Range<usize>, Option<u32>)> {
    let word = text[from..to].trim_end_matches(['.', ':', ',']);
    let to = from + word.len();
    if word.contains("://") || word.starts_with('/') || word.starts_with('-') {
        return None;
    }
    let (path, line) = match word.rsplit_once(':') {
        Some((path, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => (path, line.parse().ok()),
        _ => (word, None),
    };
    if path.contains(':') || path.contains("..") {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, extension) = name.rsplit_once('.')?;
    let extension_like = !stem.is_empty()
        && (1..=5).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_alphanumeric())
        && extension.bytes().any(|b| b.is_ascii_alphabetic());
    let in_folder = path.contains('/');
    (extension_like && (in_folder || KNOWN.contains(&extension))).then_some((from..to, line))
}

/// Extensions a bare file name (no folder) is taken as a path for.
const KNOWN: [&str; 16] =
    ["rs", "md", "toml", "py", "js", "ts", "tsx", "json", "yaml", "yml", "go", "c", "h", "cpp", "txt", "lock"];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(&str, Option<u32>)> {
        paths_in(text).into_iter().map(|(r, line)| (&text[r], line)).collect()
    }

    #[test]
    fn paths_are_found_and_other_words_are_not() {
        assert_eq!(
            words("Parser lives in src/parse.rs:42, tests in tests/parse.rs. See README.md."),
            [("src/parse.rs:42", Some(42)), ("tests/parse.rs", None), ("README.md", None)]
        );
        assert_eq!(words("e.g. v1.2 and 3.14 or https://x.org/a.rs or /etc/passwd.txt"), []);
        assert_eq!(words("ran cargo-test; see docs/guide.html"), [("docs/guide.html", None)]);
        assert_eq!(words("../up/x.rs"), []);
    }
}
