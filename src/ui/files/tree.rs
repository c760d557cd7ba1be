//! Draws the Files tab: the filter, then either its matches or the tree, each row only when it is
//! on screen. Names are coloured by their git status (a folder by the strongest under it), and the
//! files the agent changed (still undoable in Review) or proposes to change carry a dot.

use std::collections::HashMap;
use std::time::Instant;

use egui::{RichText, ScrollArea, TextEdit, Ui};

use super::super::git::{GitView, mark_colour};
use super::super::intents::{Intent, Intents};
use super::super::review::ReviewView;
use super::super::theme::{self, Theme};
use super::super::view::ViewModel;
use super::{FilesView, TreeKey, TreeRow};

/// How a file stands with the agent's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Changed by an applied ChangeSet that can still be undone (an agent's, or a save in the viewer).
    Changed,
    /// Named by a ChangeSet waiting in Review.
    Proposed,
}

impl Mark {
    fn colour(self, theme: &Theme) -> egui::Color32 {
        match self {
            Mark::Changed => theme.ok,
            Mark::Proposed => theme.warning,
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Mark::Changed => "changed in Aura (by an agent or a save here): Review can undo it",
            Mark::Proposed => "a change to it waits in Review",
        }
    }
}

/// What a row is marked with: the agent's changes, and git's status.
struct Marks<'a> {
    agent: HashMap<&'a str, Mark>,
    git: &'a GitView,
}

impl<'a> Marks<'a> {
    fn of(review: &'a ReviewView, git: &'a GitView) -> Marks<'a> {
        let mut agent = HashMap::new();
        for applied in &review.applied {
            agent.extend(applied.files.iter().map(|f| (f.as_str(), Mark::Changed)));
        }
        for pending in &review.pending {
            agent.extend(pending.files.iter().map(|f| (f.path.as_str(), Mark::Proposed)));
        }
        Marks { agent, git }
    }

    /// The name as drawn: git's colour, else strong for a folder.
    fn name(&self, name: &str, path: &str, dir: bool, theme: &Theme) -> RichText {
        let text = RichText::new(name);
        match self.git.status_of(path) {
            Some(mark) => text.color(mark_colour(theme, mark)),
            None if dir => text.color(theme.strong),
            None => text,
        }
    }

    /// The agent's dot after the name, with what it means on hover.
    fn dot_ui(&self, ui: &mut Ui, path: &str) {
        if let Some(mark) = self.agent.get(path) {
            let theme = theme::of(ui);
            ui.label(RichText::new("●").monospace().color(mark.colour(theme))).on_hover_text(mark.hint());
        }
    }
}

pub fn files_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    if view.project.is_none() {
        ui.label("Open a project to see its files.");
        return;
    }
    let marks = Marks::of(&view.review, &view.git);
    let files = &mut view.files;
    if let Some(wait) = files.poll(Instant::now(), intents) {
        ui.ctx().request_repaint_after(wait);
    }
    let filter = ui.add(
        TextEdit::singleline(&mut files.filter)
            .hint_text("Filter files by name… (Enter opens the first)")
            .desired_width(f32::INFINITY)
            .id_salt("aura-files-filter"),
    );
    if std::mem::take(&mut files.focus_filter) {
        filter.request_focus();
    }
    if filter.changed() {
        files.filter_changed();
    }
    // Enter opens the best match, as a quick-open does (Ctrl+P, a few letters, Enter).
    let best = files.found.as_ref().filter(|f| f.query == files.filter.trim()).and_then(|f| f.paths.first());
    if filter.lost_focus()
        && ui.input(|i| i.key_pressed(egui::Key::Enter))
        && let Some(path) = best.cloned()
    {
        files.selected = Some(path.clone());
        intents.push(Intent::OpenFile { path, line: None });
    }
    ui.add_space(theme::SPACE_S);
    if files.found.is_some() && !files.filter.trim().is_empty() {
        found_ui(ui, files, &marks, intents);
    } else {
        tree_ui(ui, files, &marks, intents);
    }
}

fn row_height(ui: &Ui) -> f32 {
    ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y
}

fn found_ui(ui: &mut Ui, files: &mut FilesView, marks: &Marks<'_>, intents: &mut Intents) {
    let Some(found) = files.found.clone() else { return };
    let shown = found.paths.len();
    let summary = match found.total as usize {
        0 => format!("No file path holds “{}”.", found.query),
        total if total > shown => format!("{total} files match; the first {shown} are shown: type more to narrow."),
        total => format!("{total} files match."),
    };
    ui.label(RichText::new(summary).weak());
    let theme = theme::of(ui);
    ScrollArea::vertical().id_salt("aura-files-found").auto_shrink([false, false]).show_rows(
        ui,
        row_height(ui),
        shown,
        |ui, range| {
            for path in &found.paths[range] {
                let selected = files.selected.as_deref() == Some(path.as_str());
                let clicked = ui
                    .horizontal(|ui| {
                        let clicked = ui.selectable_label(selected, marks.name(path, path, false, theme)).clicked();
                        marks.dot_ui(ui, path);
                        clicked
                    })
                    .inner;
                if clicked {
                    files.selected = Some(path.clone());
                    intents.push(Intent::OpenFile { path: path.clone(), line: None });
                }
            }
        },
    );
}

fn tree_ui(ui: &mut Ui, files: &mut FilesView, marks: &Marks<'_>, intents: &mut Intents) {
    if let Some(error) = files.folder("").and_then(|root| root.error.clone()) {
        ui.colored_label(theme::of(ui).error, error);
        return;
    }
    if files.folder("").is_none() {
        ui.label(RichText::new("Reading the workspace…").weak());
        return;
    }
    files.rows();
    let files_now: &FilesView = files;
    let rows = files_now.rows.as_deref().unwrap_or_default();
    let count = rows.len();
    if count == 0 {
        ui.label(RichText::new("The workspace is empty (or every file in it is ignored).").weak());
        return;
    }
    let mut clicked: Option<TreeRow> = None;
    let row_h = row_height(ui);
    let mut scroll = ScrollArea::vertical().id_salt("aura-files-tree").auto_shrink([false, false]);
    if let Some(offset) = files_now.scroll_to {
        scroll = scroll.vertical_scroll_offset(offset);
    }
    let shown = scroll.show_rows(ui, row_h, count, |ui, range| {
        for row in &rows[range] {
            if row_ui(ui, row, files_now, marks) {
                clicked = Some(row.clone());
            }
        }
    });
    files.scroll_to = None;
    files.viewport = (shown.state.offset.y, shown.inner_rect.height());
    keys_ui(ui, files, row_h, intents);
    match clicked {
        Some(row) if row.dir => files.toggle(&row.path, intents),
        Some(row) => {
            files.selected = Some(row.path.clone());
            intents.push(Intent::OpenFile { path: row.path, line: None });
        }
        None => {}
    }
}

/// The arrows and Enter walk the tree while the pointer is over it and no field takes the keys.
fn keys_ui(ui: &mut Ui, files: &mut FilesView, row_h: f32, intents: &mut Intents) {
    if !ui.ui_contains_pointer() || ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let pressed = ui.input(|i| {
        [
            (egui::Key::ArrowUp, TreeKey::Up),
            (egui::Key::ArrowDown, TreeKey::Down),
            (egui::Key::ArrowLeft, TreeKey::Left),
            (egui::Key::ArrowRight, TreeKey::Right),
            (egui::Key::Enter, TreeKey::Enter),
        ]
        .into_iter()
        .filter(|(key, _)| i.key_pressed(*key))
        .map(|(_, tree_key)| tree_key)
        .collect::<Vec<_>>()
    });
    for key in pressed {
        if let Some(path) = files.key(key, row_h, intents) {
            intents.push(Intent::OpenFile { path, line: None });
        }
    }
}

/// One row: its indent, a disclosure arrow for folders, the name marked; true when clicked.
fn row_ui(ui: &mut Ui, row: &TreeRow, files: &FilesView, marks: &Marks<'_>) -> bool {
    let theme = theme::of(ui);
    ui.horizontal(|ui| {
        ui.add_space(row.depth as f32 * theme::SPACE_XL);
        // The arrows are in the monospace font (the proportional one has no such glyphs); a file
        // gets a blank of the same width, so names line up.
        let arrow = match (row.dir, files.expanded.contains(&row.path)) {
            (true, true) => "▾",
            (true, false) => "▸",
            (false, _) => " ",
        };
        ui.label(RichText::new(arrow).monospace().color(theme.weak));
        let selected = files.selected.as_deref() == Some(row.path.as_str());
        let name = marks.name(row.name(), &row.path, row.dir, theme);
        let clicked = ui.selectable_label(selected, name).clicked();
        marks.dot_ui(ui, &row.path);
        clicked
    })
    .inner
}
