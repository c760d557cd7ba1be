//! Syntax highlighting with syntect. The syntaxes and themes load once, on first use (not at start),
//! and a file is highlighted line by line with its state carried along, so a long diff is coloured
//! lazily as it scrolls into view instead of all at once.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};

struct Assets {
    syntaxes: SyntaxSet,
    dark: Theme,
    light: Theme,
}

fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut themes = ThemeSet::load_defaults().themes;
        Assets {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            dark: themes.remove("base16-ocean.dark").unwrap_or_default(),
            light: themes.remove("InspiredGitHub").unwrap_or_default(),
        }
    })
}

/// A run of one colour: byte range within the line, and its colour.
pub type Span = (std::ops::Range<usize>, Color32);

/// Colours the lines of one text in order, keeping the parser's state between lines.
pub struct LineHighlighter {
    lines: HighlightLines<'static>,
}

impl LineHighlighter {
    /// By a code block's language tag (`rust`, `py`, `toml`...); plain text when unknown.
    pub fn for_language(language: &str, dark: bool) -> Self {
        let syntaxes = &assets().syntaxes;
        let syntax = syntaxes.find_syntax_by_token(language).unwrap_or_else(|| syntaxes.find_syntax_plain_text());
        Self::new(syntax, dark)
    }

    /// By a file's extension or name (`src/main.rs`, `Makefile`); plain text when unknown.
    pub fn for_path(path: &str, dark: bool) -> Self {
        let syntaxes = &assets().syntaxes;
        let name = path.rsplit('/').next().unwrap_or(path);
        let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or(name);
        let syntax = syntaxes
            .find_syntax_by_extension(extension)
            .or_else(|| syntaxes.find_syntax_by_extension(name))
            .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
        Self::new(syntax, dark)
    }

    fn new(syntax: &'static SyntaxReference, dark: bool) -> Self {
        let assets = assets();
        LineHighlighter { lines: HighlightLines::new(syntax, if dark { &assets.dark } else { &assets.light }) }
    }

    /// The spans of the next line (`line` without its newline). A line the grammar cannot parse comes
    /// back in one default-coloured span rather than failing the whole text.
    pub fn next_line(&mut self, line: &str, fallback: Color32) -> Vec<Span> {
        let with_newline = format!("{line}\n");
        match self.lines.highlight_line(&with_newline, &assets().syntaxes) {
            Ok(regions) => {
                let mut at = 0;
                let mut spans = Vec::with_capacity(regions.len());
                for (style, text) in regions {
                    let end = (at + text.len()).min(line.len());
                    if end > at {
                        let c = style.foreground;
                        spans.push((at..end, Color32::from_rgb(c.r, c.g, c.b)));
                    }
                    at += text.len();
                }
                spans
            }
            Err(_) => vec![(0..line.len(), fallback)],
        }
    }
}

/// Lines highlighted between hand-overs to the UI.
const BATCH: usize = 256;

/// A text split into lines and coloured on a background thread that hands lines over as it goes,
/// so a 20,000-line file never stalls a frame: lines show plain until their colours arrive. The
/// diff's two sides and the file viewer are drawn from it. Dropping it stops the colouring.
pub struct HighlightedText {
    text: Arc<str>,
    lines: Vec<Range<usize>>,
    colours: Arc<Mutex<Vec<Vec<Span>>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for HighlightedText {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl HighlightedText {
    /// The text's lines, uncoloured until [`HighlightedText::highlight`] is called. A `\r` before
    /// a line's `\n` is not part of the line.
    pub fn new(text: &str) -> HighlightedText {
        let mut lines = Vec::new();
        let mut at = 0;
        for piece in text.split_inclusive('\n') {
            let content = piece.strip_suffix('\n').unwrap_or(piece);
            let content = content.strip_suffix('\r').unwrap_or(content);
            lines.push(at..at + content.len());
            at += piece.len();
        }
        HighlightedText { text: Arc::from(text), lines, colours: Arc::default(), stop: Arc::default() }
    }

    pub fn line(&self, index: usize) -> &str {
        self.lines.get(index).map(|r| &self.text[r.clone()]).unwrap_or("")
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// The line's colours, once the highlighter has reached it.
    pub fn colours(&self, index: usize) -> Option<Vec<Span>> {
        self.colours.lock().ok()?.get(index).cloned()
    }

    /// Appends line `index` to `job`, coloured when its colours have arrived, else in `plain`.
    pub fn append_line(&self, job: &mut LayoutJob, index: usize, font: &FontId, plain: Color32) {
        let text = self.line(index);
        match self.colours(index) {
            Some(spans) => {
                for (range, colour) in spans {
                    if let Some(piece) = text.get(range) {
                        job.append(piece, 0.0, TextFormat::simple(font.clone(), colour));
                    }
                }
            }
            None => job.append(text, 0.0, TextFormat::simple(font.clone(), plain)),
        }
    }

    /// Starts colouring the lines as `path`'s language on a thread of its own; `repaint` is called
    /// after each batch.
    pub fn highlight(&self, path: &str, dark: bool, fallback: Color32, repaint: impl Fn() + Send + 'static) {
        let (text, lines, colours) = (self.text.clone(), self.lines.clone(), self.colours.clone());
        let stop = self.stop.clone();
        let mut highlighter = LineHighlighter::for_path(path, dark);
        let spawned = std::thread::Builder::new().name("aura-highlight".into()).spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for range in lines {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                batch.push(highlighter.next_line(&text[range], fallback));
                if batch.len() == BATCH {
                    if let Ok(mut colours) = colours.lock() {
                        colours.append(&mut batch);
                    }
                    repaint();
                }
            }
            if let Ok(mut colours) = colours.lock() {
                colours.append(&mut batch);
            }
            repaint();
        });
        if let Err(e) = spawned {
            tracing::warn!("{path} stays uncoloured: no highlighting thread ({e})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_keywords_get_a_colour_of_their_own_and_spans_cover_the_line() {
        let mut lines = LineHighlighter::for_path("src/lib.rs", true);
        let line = "fn main() { let x = 1; }";
        let spans = lines.next_line(line, Color32::WHITE);
        assert_eq!(spans.first().map(|s| s.0.start), Some(0));
        assert_eq!(spans.last().map(|s| s.0.end), Some(line.len()));
        let colour_of = |needle: &str| {
            let at = line.find(needle).unwrap();
            spans.iter().find(|(r, _)| r.contains(&at)).map(|s| s.1)
        };
        assert_ne!(colour_of("fn"), colour_of("main"), "keyword and name look the same");
    }

    #[test]
    fn unknown_files_are_plain_text_in_one_colour() {
        let mut lines = LineHighlighter::for_path("notes.unknown-ext", false);
        let spans = lines.next_line("just words here", Color32::WHITE);
        let colours: std::collections::HashSet<_> = spans.iter().map(|s| s.1).collect();
        assert_eq!(colours.len(), 1);
    }
}
