//! Draws one file's tab: a bar with the path, go to line, find and the edit buttons; what the
//! tab has to tell; then the text, each line only when it is on screen (or the editor).
//! Ctrl+G goes to a line, Ctrl+F finds, Enter and Shift+Enter step through the matches, Ctrl+S
//! saves an edit, Escape leaves the find or the edit.

use egui::text::{CCursor, LayoutJob, TextFormat};
use egui::{FontId, Id, Key, Modifiers, RichText, ScrollArea, Sense, TextEdit, TextStyle, Ui, vec2};

use crate::domain::ProjectId;
use crate::protocol::FileBody;

use super::super::highlight::{HighlightedText, LineHighlighter};
use super::super::intents::Intents;
use super::super::theme::{self, Theme};
use super::super::view::ViewModel;
use super::{Body, Edit, MAX_EDIT_BYTES, Notice, OpenFile, Shown};

/// Texts larger than this are edited without colours: colouring runs on every change.
const MAX_COLOURED_EDIT: usize = 256 << 10;
const TEXT_MARGIN: f32 = 6.0;

fn ids(path: &str) -> [Id; 3] {
    ["goto", "find", "edit"].map(|what| Id::new(("aura-viewer", what, path)))
}

pub fn viewer_ui(ui: &mut Ui, path: &str, view: &mut ViewModel, intents: &mut Intents) {
    let Some(project) = view.viewer.project() else {
        ui.label("Open the project this file belongs to, to see it.");
        return;
    };
    if view.viewer.get(path).is_none() {
        // A tab restored with the layout: its file is read now.
        intents.extend(view.viewer.open(path, None));
    }
    let dark = view.appearance.dark;
    let Some(file) = view.viewer.get_mut(path) else { return };
    keys(ui, file, project, intents);
    bar_ui(ui, file, project, intents);
    notice_ui(ui, file, project, intents);
    ui.separator();
    let theme = theme::of(ui);
    match &mut file.body {
        Body::Loading => {
            ui.label(RichText::new("Reading…").weak());
        }
        Body::Other(body) => other_ui(ui, body),
        Body::Text(_) if file.edit.is_some() => editor_ui(ui, file, dark, theme),
        Body::Text(shown) => {
            let repaint = {
                let ctx = ui.ctx().clone();
                move || ctx.request_repaint()
            };
            let text = highlighted(shown, &file.path, dark, theme, repaint);
            file.find.refresh(text);
            lines_ui(ui, file, theme);
        }
    }
}

/// The shown text's lines, coloured for the current theme (coloured again when it changed).
fn highlighted<'a>(
    shown: &'a mut Shown,
    path: &str,
    dark: bool,
    theme: &Theme,
    repaint: impl Fn() + Send + 'static,
) -> &'a HighlightedText {
    if shown.highlighted.as_ref().is_none_or(|(made_for, _)| *made_for != dark) {
        let text = HighlightedText::new(&shown.text);
        text.highlight(path, dark, theme.text, repaint);
        shown.highlighted = Some((dark, text));
    }
    &shown.highlighted.as_ref().expect("made above").1
}

/// The tab's shortcuts, while the pointer is over it or one of its fields has the focus.
fn keys(ui: &mut Ui, file: &mut OpenFile, project: ProjectId, intents: &mut Intents) {
    let [goto, find, edit] = ids(&file.path);
    let focused = ui.memory(|m| m.focused());
    if !(ui.ui_contains_pointer() || focused.is_some_and(|f| [goto, find, edit].contains(&f))) {
        return;
    }
    let (g, f, s) = ui.input_mut(|i| {
        (
            i.consume_key(Modifiers::COMMAND, Key::G),
            i.consume_key(Modifiers::COMMAND, Key::F),
            i.consume_key(Modifiers::COMMAND, Key::S),
        )
    });
    if g {
        ui.memory_mut(|m| m.request_focus(goto));
    }
    if f {
        ui.memory_mut(|m| m.request_focus(find));
    }
    if s && file.dirty() && !file.saving {
        intents.extend(file.save(project, false));
    }
}

fn bar_ui(ui: &mut Ui, file: &mut OpenFile, project: ProjectId, intents: &mut Intents) {
    let [goto_id, find_id, _] = ids(&file.path);
    // Wrapped: in a narrow pane the edit buttons go to a second line rather than out of sight.
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&file.path).strong());
        if let Some(shown) = file.shown() {
            ui.label(RichText::new(format!("{} lines", shown.lines)).weak());
            if shown.lossy {
                ui.label(RichText::new("not UTF-8: shown read-only").color(theme::of(ui).warning));
            }
        }
        if file.shown().is_none() {
            return;
        }
        ui.separator();
        let goto = ui.add(
            TextEdit::singleline(&mut file.goto_entry)
                .id(goto_id)
                .hint_text("Go to line (Ctrl+G)")
                .desired_width(120.0),
        );
        if goto.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            match file.goto_entry.trim().parse::<u32>() {
                Ok(line) if line > 0 => file.goto = Some(line),
                _ => {}
            }
        }
        find_ui(ui, file, find_id);
        ui.separator();
        edit_buttons_ui(ui, file, project, intents);
    });
}

fn find_ui(ui: &mut Ui, file: &mut OpenFile, find_id: Id) {
    let field =
        ui.add(TextEdit::singleline(&mut file.find.query).id(find_id).hint_text("Find (Ctrl+F)").desired_width(160.0));
    let (enter, shift, escape) =
        ui.input(|i| (i.key_pressed(Key::Enter), i.modifiers.shift, i.key_pressed(Key::Escape)));
    if field.lost_focus() && enter {
        if let Some(line) = file.find.step(!shift) {
            file.goto = Some(line);
        }
        // Enter again finds the next one.
        ui.memory_mut(|m| m.request_focus(find_id));
    }
    if field.has_focus() && escape {
        file.find.query.clear();
    }
    if let Some(summary) = file.find.summary() {
        ui.label(RichText::new(summary).weak());
        let found = !file.find.matches.is_empty();
        for (label, forward) in [("▲", false), ("▼", true)] {
            let hint = if forward { "Next match (Enter)" } else { "Previous match (Shift+Enter)" };
            // The arrows are in the monospace font: the proportional one has no such glyphs.
            let button = egui::Button::new(RichText::new(label).monospace());
            if ui.add_enabled(found, button).on_hover_text(hint).clicked()
                && let Some(line) = file.find.step(forward)
            {
                file.goto = Some(line);
            }
        }
    }
}

fn edit_buttons_ui(ui: &mut Ui, file: &mut OpenFile, project: ProjectId, intents: &mut Intents) {
    if file.edit.is_none() {
        let editable = file.shown().is_some_and(|s| !s.lossy && s.text.len() <= MAX_EDIT_BYTES);
        let why = if editable { "Edit the file by hand" } else { "Not UTF-8, or over 1 MB: read-only here" };
        if ui.add_enabled(editable, egui::Button::new("Edit")).on_hover_text(why).clicked() {
            file.start_edit();
            ui.memory_mut(|m| m.request_focus(ids(&file.path)[2]));
        }
        return;
    }
    let label = if file.saving { "Saving…" } else { "Save (Ctrl+S)" };
    if ui.add_enabled(file.dirty() && !file.saving, egui::Button::new(label)).clicked() {
        intents.extend(file.save(project, false));
    }
    let cancel = if file.dirty() { "Discard edits" } else { "Done" };
    if ui.button(cancel).clicked() || ui.input(|i| i.key_pressed(Key::Escape)) && !file.dirty() {
        file.reload();
    }
}

fn notice_ui(ui: &mut Ui, file: &mut OpenFile, project: ProjectId, intents: &mut Intents) {
    let Some(notice) = file.notice.clone() else { return };
    let theme = theme::of(ui);
    ui.horizontal_wrapped(|ui| match notice {
        Notice::Deleted => {
            ui.colored_label(
                theme.warning,
                "This file was deleted or renamed on disk. Its last text is shown; Edit, then Save, writes it back.",
            );
        }
        Notice::Unsaved => {
            ui.colored_label(theme.warning, "Save or discard your edits to close this tab.");
        }
        Notice::ChangedOnDisk => {
            ui.colored_label(theme.warning, "The file changed on disk while you were editing it.");
            if ui.button("Reload (drop my edits)").clicked() {
                file.reload();
            }
            if ui.button("Overwrite with mine").clicked() {
                intents.extend(file.save(project, true));
            }
        }
        Notice::SaveFailed { message, stale } => {
            ui.colored_label(theme.error, message);
            if stale {
                if ui.button("Reload (drop my edits)").clicked() {
                    file.reload();
                    intents.send(crate::protocol::Command::ReadFile { project, path: file.path.clone() });
                }
                if ui.button("Overwrite with mine").clicked() {
                    intents.extend(file.save(project, true));
                }
            }
        }
    });
}

fn other_ui(ui: &mut Ui, body: &FileBody) {
    let theme = theme::of(ui);
    let mb = |size: u64| size as f64 / (1 << 20) as f64;
    let text = match body {
        FileBody::Binary { size } => format!("A binary file ({size} bytes): it is not shown as text."),
        FileBody::TooLarge { size, limit } => format!(
            "This file is {:.1} MB, larger than the {:.0} MB the viewer opens: open it in another editor.",
            mb(*size),
            mb(*limit)
        ),
        FileBody::Missing => "This file is not on disk (deleted or renamed since it was named).".into(),
        FileBody::Unreadable { reason } => format!("This file cannot be shown: {reason}"),
        FileBody::Text { .. } => return,
    };
    ui.colored_label(if matches!(body, FileBody::Unreadable { .. }) { theme.error } else { theme.weak }, text);
}

/// The text, one row per line, with line numbers and the find's matches marked.
fn lines_ui(ui: &mut Ui, file: &mut OpenFile, theme: &Theme) {
    let count = file.shown().and_then(|s| s.highlighted.as_ref()).map_or(0, |(_, text)| text.line_count());
    let font = TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.text_style_height(&TextStyle::Monospace);
    let digits = count.max(1).ilog10() as usize + 1;
    let mut scroll = ScrollArea::both().id_salt(("aura-viewer-text", &file.path)).auto_shrink([false, false]);
    if let Some(line) = file.goto.take() {
        let line = (line as usize).clamp(1, count.max(1));
        let above = (ui.available_height() / 3.0).max(0.0);
        scroll = scroll.vertical_scroll_offset(((line - 1) as f32 * row_h - above).max(0.0));
        file.current_line = Some(line as u32);
        file.goto_entry.clear();
    }
    let current = file.current_line.map(|l| l as usize - 1);
    let file: &OpenFile = file;
    let Some((_, text)) = file.shown().and_then(|s| s.highlighted.as_ref()) else { return };
    ui.scope(|ui| {
        // Rows touch, so a line's place is its number times the row height (go to line relies on it).
        ui.spacing_mut().item_spacing.y = 0.0;
        scroll.show_rows(ui, row_h, count, |ui, range| {
            for index in range {
                let row = Row { text, index, digits, font: &font, row_h, current: current == Some(index) };
                row.ui(ui, file, theme);
            }
        });
    });
}

struct Row<'a> {
    text: &'a HighlightedText,
    index: usize,
    digits: usize,
    font: &'a FontId,
    row_h: f32,
    current: bool,
}

impl Row<'_> {
    fn ui(&self, ui: &mut Ui, file: &OpenFile, theme: &Theme) {
        let Row { text, index, digits, font, row_h, current } = *self;
        let gutter = format!("{:>digits$}  ", index + 1);
        let mut job = LayoutJob::default();
        job.append(&gutter, 0.0, TextFormat::simple(font.clone(), if current { theme.strong } else { theme.weak }));
        text.append_line(&mut job, index, font, theme.text);
        let galley = ui.ctx().fonts_mut(|fonts| fonts.layout_job(job));
        let width = ui.available_width().max(galley.size().x + 2.0 * TEXT_MARGIN);
        let (rect, response) = ui.allocate_exact_size(vec2(width, row_h), Sense::hover());
        let line = text.line(index);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Label, true, line));
        let at = rect.min + vec2(TEXT_MARGIN, (row_h - galley.size().y) / 2.0);
        if current {
            ui.painter().rect_filled(rect, 0.0, theme.faint);
        }
        let skip = gutter.chars().count();
        for (range, gone_to) in file.find.on_line(index) {
            let chars = |byte: usize| skip + line.get(..byte).map_or(0, |s| s.chars().count());
            let start = galley.pos_from_cursor(CCursor::new(chars(range.start)));
            let end = galley.pos_from_cursor(CCursor::new(chars(range.end)));
            let mark = egui::Rect::from_min_max(at + start.min.to_vec2(), at + vec2(end.min.x, end.max.y));
            ui.painter().rect_filled(mark, 2.0, theme.found);
            if gone_to {
                let outline = egui::Stroke::new(1.5, theme.warning);
                ui.painter().rect_stroke(mark, 2.0, outline, egui::StrokeKind::Outside);
            }
        }
        ui.painter().with_clip_rect(rect.intersect(ui.clip_rect())).galley(at, galley, theme.text);
    }
}

/// The editor: egui's text editor with the highlighter as its layouter; the layout is kept until
/// the text changes.
fn editor_ui(ui: &mut Ui, file: &mut OpenFile, dark: bool, theme: &Theme) {
    let [_, _, edit_id] = ids(&file.path);
    let path = file.path.clone();
    let Some(edit) = file.edit.as_mut() else { return };
    let font = TextStyle::Monospace.resolve(ui.style());
    let Edit { text, layout, .. } = edit;
    // Code is not wrapped (as in the read view): long lines scroll sideways.
    let mut layouter = |ui: &Ui, buffer: &dyn egui::TextBuffer, _wrap_width: f32| {
        let source = buffer.as_str();
        let key = egui::util::hash((source, dark));
        if layout.as_ref().is_none_or(|(k, _)| *k != key) {
            *layout = Some((key, edit_layout(source, &path, dark, &font, theme)));
        }
        let job = layout.as_ref().map(|(_, job)| job.clone()).unwrap_or_default();
        ui.ctx().fonts_mut(|fonts| fonts.layout_job(job))
    };
    ScrollArea::both().id_salt(("aura-viewer-edit", &file.path)).auto_shrink([false, false]).show(ui, |ui| {
        ui.add(
            TextEdit::multiline(text)
                .id(edit_id)
                .code_editor()
                .desired_width(f32::INFINITY)
                .desired_rows(40)
                .layouter(&mut layouter),
        );
    });
}

/// The whole text as one layout, coloured when small enough to colour on every change.
fn edit_layout(source: &str, path: &str, dark: bool, font: &FontId, theme: &Theme) -> LayoutJob {
    let mut job = LayoutJob::default();
    if source.len() > MAX_COLOURED_EDIT {
        job.append(source, 0.0, TextFormat::simple(font.clone(), theme.text));
        return job;
    }
    let mut lines = LineHighlighter::for_path(path, dark);
    for piece in source.split_inclusive('\n') {
        let line = piece.strip_suffix('\n').unwrap_or(piece);
        for (range, colour) in lines.next_line(line, theme.text) {
            job.append(&line[range], 0.0, TextFormat::simple(font.clone(), colour));
        }
        if piece.ends_with('\n') {
            job.append("\n", 0.0, TextFormat::simple(font.clone(), theme.text));
        }
    }
    job
}
