//! Markdown as the chat shows it: parsed once into laid-out pieces (paragraphs, headings, list
//! items, quotes, highlighted code blocks), kept for as long as the width and theme stay the same.
//! Only a message that is still streaming is parsed again, and only when its text grew. Headings
//! can be listed (for an outline) and are reported where they were drawn (to scroll to one).

use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, Rect, Stroke, TextStyle, Ui};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::highlight::LineHighlighter;
use super::theme;

const CODE_MARGIN: f32 = 6.0;
const LIST_INDENT: f32 = 16.0;
const QUOTE_INDENT: f32 = 12.0;
/// The markdown extensions the parser reads, for drawing and for listing headings alike.
const OPTIONS: Options = Options::ENABLE_STRIKETHROUGH.union(Options::ENABLE_TASKLISTS);

enum Piece {
    Text { job: LayoutJob, indent: f32, quote: bool, heading: bool },
    Code { job: LayoutJob },
    Rule,
}

/// A markdown text laid out for one width and theme.
pub struct Rendered {
    width: f32,
    dark: bool,
    pieces: Vec<(Piece, Arc<Galley>)>,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rendered({} pieces at {:.0} px)", self.pieces.len(), self.width)
    }
}

/// The colours and fonts the pieces are built with, read from the current style.
struct Palette {
    body: FontId,
    mono: FontId,
    text: Color32,
    strong: Color32,
    weak: Color32,
    link: Color32,
    code_bg: Color32,
    dark: bool,
}

impl Palette {
    fn of(ui: &Ui) -> Palette {
        let style = ui.style();
        let theme = theme::of(ui);
        Palette {
            body: TextStyle::Body.resolve(style),
            mono: TextStyle::Monospace.resolve(style),
            text: theme.text,
            strong: theme.strong,
            weak: theme.weak,
            link: theme.link,
            code_bg: theme.code,
            dark: style.visuals.dark_mode,
        }
    }
}

/// Inline formatting in effect at a point of the text.
#[derive(Default)]
struct Inline {
    strong: u32,
    emphasis: u32,
    strike: u32,
    link: u32,
    heading: Option<HeadingLevel>,
}

struct Builder<'p> {
    palette: &'p Palette,
    pieces: Vec<Piece>,
    job: LayoutJob,
    inline: Inline,
    lists: Vec<Option<u64>>,
    quotes: u32,
    code: Option<(String, String)>,
}

impl Builder<'_> {
    fn format(&self, code: bool) -> TextFormat {
        let p = self.palette;
        let mut font = if code { p.mono.clone() } else { p.body.clone() };
        let mut color = if self.quotes > 0 { p.weak } else { p.text };
        if let Some(level) = self.inline.heading {
            font.size *= match level {
                HeadingLevel::H1 => 1.45,
                HeadingLevel::H2 => 1.25,
                HeadingLevel::H3 => 1.1,
                _ => 1.0,
            };
            color = p.strong;
        }
        if self.inline.strong > 0 {
            color = p.strong;
        }
        let mut format = TextFormat { font_id: font, color, italics: self.inline.emphasis > 0, ..Default::default() };
        if self.inline.strike > 0 {
            format.strikethrough = Stroke::new(1.0, color);
        }
        if self.inline.link > 0 {
            format.color = p.link;
            format.underline = Stroke::new(1.0, p.link);
        }
        if code {
            format.background = p.code_bg;
        }
        format
    }

    fn push(&mut self, text: &str, code: bool) {
        let format = self.format(code);
        self.job.append(text, 0.0, format);
    }

    fn flush(&mut self) {
        if self.job.is_empty() {
            return;
        }
        let job = std::mem::take(&mut self.job);
        let indent = self.lists.len() as f32 * LIST_INDENT + self.quotes as f32 * QUOTE_INDENT;
        self.pieces.push(Piece::Text { job, indent, quote: self.quotes > 0, heading: self.inline.heading.is_some() });
    }

    fn code_block(&mut self, language: &str, text: &str) {
        let p = self.palette;
        let mut lines = LineHighlighter::for_language(language, p.dark);
        let mut job = LayoutJob::default();
        for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
            if i > 0 {
                job.append("\n", 0.0, TextFormat::simple(p.mono.clone(), p.text));
            }
            for (range, color) in lines.next_line(line, p.text) {
                job.append(&line[range], 0.0, TextFormat::simple(p.mono.clone(), color));
            }
        }
        self.pieces.push(Piece::Code { job });
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some((_, text)) = &mut self.code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((language, text)) = self.code.take() {
                        self.code_block(&language, &text);
                    }
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => {
                    self.flush();
                    self.inline.heading = Some(level);
                }
                Tag::BlockQuote(_) => {
                    self.flush();
                    self.quotes += 1;
                }
                Tag::CodeBlock(kind) => {
                    self.flush();
                    let language = match kind {
                        CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    self.code = Some((language, String::new()));
                }
                Tag::List(start) => {
                    self.flush();
                    self.lists.push(start);
                }
                Tag::Item => {
                    self.flush();
                    let bullet = match self.lists.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            format!("{}. ", *n - 1)
                        }
                        _ => "• ".to_string(),
                    };
                    self.push(&bullet, false);
                }
                Tag::Emphasis => self.inline.emphasis += 1,
                Tag::Strong => self.inline.strong += 1,
                Tag::Strikethrough => self.inline.strike += 1,
                Tag::Link { .. } => self.inline.link += 1,
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Paragraph | TagEnd::Item => self.flush(),
                TagEnd::Heading(_) => {
                    self.flush();
                    self.inline.heading = None;
                }
                TagEnd::BlockQuote(_) => {
                    self.flush();
                    self.quotes = self.quotes.saturating_sub(1);
                }
                TagEnd::List(_) => {
                    self.flush();
                    self.lists.pop();
                }
                TagEnd::Emphasis => self.inline.emphasis = self.inline.emphasis.saturating_sub(1),
                TagEnd::Strong => self.inline.strong = self.inline.strong.saturating_sub(1),
                TagEnd::Strikethrough => self.inline.strike = self.inline.strike.saturating_sub(1),
                TagEnd::Link => self.inline.link = self.inline.link.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => self.push(&t, false),
            Event::Code(t) => self.push(&t, true),
            Event::SoftBreak => self.push(" ", false),
            Event::HardBreak => self.push("\n", false),
            Event::Rule => {
                self.flush();
                self.pieces.push(Piece::Rule);
            }
            Event::TaskListMarker(done) => self.push(if done { "[x] " } else { "[ ] " }, false),
            _ => {}
        }
    }
}

fn parse(text: &str, palette: &Palette) -> Vec<Piece> {
    let mut builder = Builder {
        palette,
        pieces: Vec::new(),
        job: LayoutJob::default(),
        inline: Inline::default(),
        lists: Vec::new(),
        quotes: 0,
        code: None,
    };
    for event in Parser::new_ext(text, OPTIONS) {
        builder.event(event);
    }
    // A code fence still open mid-stream shows what has arrived so far.
    if let Some((language, code)) = builder.code.take() {
        builder.code_block(&language, &code);
    }
    builder.flush();
    builder.pieces
}

/// A heading of a markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`...
    pub level: u8,
    pub title: String,
    /// 1-based.
    pub line: usize,
}

/// The headings of `text` in order: the n-th is the n-th rectangle [`markdown_headings_ui`] returns.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut open: Option<(u8, String, usize)> = None;
    for (event, range) in Parser::new_ext(text, OPTIONS).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let line = text[..range.start].matches('\n').count() + 1;
                open = Some((level as u8, String::new(), line));
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if let Some((_, title, _)) = &mut open {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                // An empty heading draws nothing, so it is not listed either.
                if let Some((level, title, line)) = open.take().filter(|(_, title, _)| !title.is_empty()) {
                    out.push(Heading { level, title: title.trim().to_string(), line });
                }
            }
            _ => {}
        }
    }
    out
}

/// Lays `text` out for the width available (reusing `cache` when width and theme are unchanged)
/// and draws it.
pub fn markdown_ui(ui: &mut Ui, text: &str, cache: &mut Option<Rendered>) {
    markdown_headings_ui(ui, text, cache);
}

/// [`markdown_ui`], returning where each heading was drawn, in the order [`headings`] lists them.
pub fn markdown_headings_ui(ui: &mut Ui, text: &str, cache: &mut Option<Rendered>) -> Vec<Rect> {
    let width = ui.available_width().max(40.0);
    let dark = ui.visuals().dark_mode;
    let fresh = cache.as_ref().is_some_and(|c| (c.width - width).abs() < 0.5 && c.dark == dark);
    if !fresh {
        *cache = Some(layout(ui, text, width));
    }
    let mut headings = Vec::new();
    let Some(rendered) = cache else { return headings };
    for (piece, galley) in &rendered.pieces {
        match piece {
            Piece::Text { indent, quote, heading, .. } => {
                let row = ui.horizontal_top(|ui| {
                    ui.add_space(*indent);
                    if *quote {
                        let top = ui.cursor().min;
                        ui.painter().vline(
                            top.x - QUOTE_INDENT / 2.0,
                            top.y..=top.y + galley.size().y,
                            Stroke::new(2.0, theme::of(ui).weak),
                        );
                    }
                    ui.add(egui::Label::new(galley.clone()).selectable(true));
                });
                if *heading {
                    headings.push(row.response.rect);
                }
            }
            Piece::Code { job } => {
                let frame = egui::Frame::new().fill(theme::of(ui).field).corner_radius(4.0).inner_margin(CODE_MARGIN);
                let block = frame.show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.add(egui::Label::new(galley.clone()).selectable(true));
                });
                copy_button_ui(ui, block.response.rect, &job.text, "Copy the code");
            }
            Piece::Rule => {
                ui.separator();
            }
        }
    }
    headings
}

/// A small Copy button in the top right corner of `block`, copying `text` to the clipboard.
pub fn copy_button_ui(ui: &mut Ui, block: Rect, text: &str, hover: &str) {
    let size = egui::vec2(44.0, 18.0);
    let at = Rect::from_min_size(block.right_top() + egui::vec2(-size.x - 2.0, 2.0), size);
    if ui.put(at, egui::Button::new(egui::RichText::new("Copy").small())).on_hover_text(hover).clicked() {
        ui.ctx().copy_text(text.to_string());
    }
}

fn layout(ui: &Ui, text: &str, width: f32) -> Rendered {
    let palette = Palette::of(ui);
    let pieces = parse(text, &palette)
        .into_iter()
        .map(|piece| {
            let (mut job, wrap) = match &piece {
                Piece::Text { job, indent, .. } => (job.clone(), width - indent),
                Piece::Code { job } => (job.clone(), width - 2.0 * CODE_MARGIN),
                Piece::Rule => (LayoutJob::default(), width),
            };
            job.wrap.max_width = wrap.max(20.0);
            let galley = ui.ctx().fonts_mut(|fonts| fonts.layout_job(job));
            (piece, galley)
        })
        .collect();
    Rendered { width, dark: palette.dark, pieces }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<Piece> {
        let ctx = egui::Context::default();
        let mut out = Vec::new();
        let mut frame = ctx.run_ui(Default::default(), |ui| out = parse(text, &Palette::of(ui)));
        frame.textures_delta.clear();
        out
    }

    fn text_of(piece: &Piece) -> &str {
        match piece {
            Piece::Text { job, .. } | Piece::Code { job } => &job.text,
            Piece::Rule => "---",
        }
    }

    #[test]
    fn blocks_come_out_in_order_with_bullets_numbers_and_code() {
        let md = "# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n3. three\n4. four\n\n```rust\nfn main() {}\n```\n\n---\n> quoted";
        let out = pieces(md);
        let texts: Vec<&str> = out.iter().map(text_of).collect();
        assert_eq!(
            texts,
            ["Title", "Some bold and code.", "• one", "• two", "3. three", "4. four", "fn main() {}", "---", "quoted"]
        );
        assert!(matches!(out[6], Piece::Code { .. }));
        assert!(matches!(out[8], Piece::Text { quote: true, .. }));
    }

    #[test]
    fn an_unclosed_fence_mid_stream_shows_the_code_so_far() {
        let out = pieces("Here:\n\n```py\nprint('hi')\nx = 1");
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[1], Piece::Code { job } if job.text == "print('hi')\nx = 1"));
    }

    #[test]
    fn headings_are_listed_with_their_lines_as_they_are_drawn() {
        let md = "# 01 — Parser\n\nIntro.\n\n## Purpose\n\n- # in a list\n\n##\n\n### The `Token` type\n\n```md\n## not a heading\n```\n";
        let listed = headings(md);
        let titles: Vec<(u8, &str, usize)> = listed.iter().map(|h| (h.level, h.title.as_str(), h.line)).collect();
        assert_eq!(titles, [(1, "01 — Parser", 1), (2, "Purpose", 5), (1, "in a list", 7), (3, "The Token type", 11)]);
        let drawn = pieces(md).iter().filter(|p| matches!(p, Piece::Text { heading: true, .. })).count();
        assert_eq!(drawn, listed.len(), "the n-th heading listed is the n-th drawn");
    }

    #[test]
    fn nested_lists_indent_deeper() {
        let out = pieces("- outer\n  - inner\n");
        let indents: Vec<f32> = out
            .iter()
            .filter_map(|p| match p {
                Piece::Text { indent, .. } => Some(*indent),
                _ => None,
            })
            .collect();
        assert_eq!(indents, [LIST_INDENT, 2.0 * LIST_INDENT]);
    }
}
