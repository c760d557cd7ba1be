//! The Search tab: a query box searched as you type (once typing pauses), toggles for Regex, Match
//! case and Whole word, a summary line, and the results grouped by file under headers that fold.
//! Rows have one height, so only the visible ones are laid out: 20,000 results scroll like 20.
//! Clicking a result opens its file at that line.

use std::time::Instant;

use egui::text::{LayoutJob, TextFormat};
use egui::{Align2, Id, Key, Rect, RichText, ScrollArea, Sense, TextEdit, TextStyle, Ui, vec2};

use crate::domain::LineHit;

use super::super::intents::Intents;
use super::super::theme;
use super::super::view::ViewModel;
use super::{Row, SearchView};

/// The query box, which Ctrl+Shift+F and the palette focus.
const QUERY_ID: &str = "aura-search-query";
/// Line numbers are right-aligned in this many characters.
const NUMBER_WIDTH: usize = 6;

pub fn search_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    search_view_ui(ui, &mut view.search, intents);
}

fn search_view_ui(ui: &mut Ui, search: &mut SearchView, intents: &mut Intents) {
    if !search.has_project() {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to search its files.").weak()));
        return;
    }
    query_ui(ui, search, intents);
    ui.add_space(theme::SPACE_S);
    summary_ui(ui, search);
    ui.separator();
    results_ui(ui, search, intents);
}

fn query_ui(ui: &mut Ui, search: &mut SearchView, intents: &mut Intents) {
    let now = Instant::now();
    ui.horizontal(|ui| {
        let toggles = 260.0;
        let query = ui.add(
            TextEdit::singleline(&mut search.query)
                .id(Id::new(QUERY_ID))
                .desired_width((ui.available_width() - toggles).max(120.0))
                .hint_text("Search the project's files"),
        );
        if std::mem::take(&mut search.focus_query) {
            query.request_focus();
        }
        let options = &mut search.options;
        let mut changed = query.changed();
        changed |= ui
            .toggle_value(&mut options.regex, "Regex")
            .on_hover_text("Read the query as a regular expression")
            .changed();
        changed |= ui.toggle_value(&mut options.case_sensitive, "Match case").changed();
        changed |= ui
            .toggle_value(&mut options.whole_word, "Whole word")
            .on_hover_text("Only matches that are not part of a longer word")
            .changed();
        if changed {
            search.edited(now);
        }
        if query.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            search.search_now(intents);
        }
    });
    if let Some(wait) = search.poll(now, intents) {
        ui.ctx().request_repaint_after(wait);
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary_ui(ui: &mut Ui, search: &SearchView) {
    let theme = theme::of(ui);
    let found = format!(
        "{} in {}",
        plural(search.matches, "matching line", "matching lines"),
        plural(search.groups.len(), "file", "files")
    );
    let Some(finished) = &search.finished else {
        let note = if search.searched() {
            format!("Searching… {found} so far")
        } else {
            "Type to search. Files .gitignore leaves out, hidden ones and binary ones are not searched.".into()
        };
        ui.label(RichText::new(note).weak());
        return;
    };
    if let Some(error) = &finished.error {
        ui.colored_label(theme.error, error);
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{found} · {} ms", finished.elapsed_ms));
        if finished.truncated {
            ui.colored_label(theme.warning, "· stopped at the match limit: narrow the search to see the rest");
        }
    });
    let mut left_out = Vec::new();
    if finished.binary_files > 0 {
        left_out.push(plural(finished.binary_files as usize, "binary file", "binary files"));
    }
    for skipped in &finished.skipped {
        left_out.push(format!("{} ({})", skipped.path, skipped.reason));
    }
    if !left_out.is_empty() {
        ui.label(RichText::new(format!("Not searched: {}", left_out.join(", "))).weak());
    }
}

/// What a click on a row asks for, done once the list is drawn.
#[derive(Clone, Copy)]
enum Click {
    Toggle(usize),
    Open(usize, usize),
}

fn results_ui(ui: &mut Ui, search: &mut SearchView, intents: &mut Intents) {
    let row_height = ui.text_style_height(&TextStyle::Monospace).max(ui.spacing().interact_size.y);
    let mut click = None;
    let rows = search.rows();
    ScrollArea::vertical().id_salt("aura-search-results").auto_shrink([false, false]).show_rows(
        ui,
        row_height,
        rows.len(),
        |ui, range| {
            for row in &rows[range] {
                let clicked = match *row {
                    Row::File(group) => file_row_ui(ui, search, group, row_height).then_some(Click::Toggle(group)),
                    Row::Hit(group, hit) => {
                        let hits = &search.groups[group].hits;
                        hit_row_ui(ui, &hits.path, &hits.matches[hit], row_height).then_some(Click::Open(group, hit))
                    }
                };
                if clicked.is_some() {
                    click = clicked;
                }
            }
        },
    );
    match click {
        Some(Click::Toggle(group)) => search.toggle(group),
        Some(Click::Open(group, hit)) => search.open_hit(group, hit, intents),
        None => {}
    }
}

/// A row of the list's one height, clickable, named for assistive technology (and tests).
/// `name` is made only when assistive technology asks for it, not per row per frame.
fn row(ui: &mut Ui, height: f32, kind: egui::WidgetType, name: impl Fn() -> String) -> (Rect, egui::Response) {
    let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(kind, true, name()));
    if response.hovered() {
        ui.painter().rect_filled(rect, 0.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    (rect, response.on_hover_cursor(egui::CursorIcon::PointingHand))
}

/// A file's header: folded or not, its path, how many lines matched. True when clicked.
fn file_row_ui(ui: &mut Ui, search: &SearchView, group: usize, height: f32) -> bool {
    let group = &search.groups[group];
    let fold = if group.collapsed { "⏵" } else { "⏷" };
    let name = || format!("{} ({})", group.hits.path, group.hits.matches.len());
    let (rect, response) = row(ui, height, egui::WidgetType::Button, name);
    let theme = theme::of(ui);
    let font = TextStyle::Body.resolve(ui.style());
    let painter = ui.painter().with_clip_rect(rect.intersect(ui.clip_rect()));
    let left = rect.left_center() + vec2(theme::SPACE_S, 0.0);
    let after_fold = painter.text(left, Align2::LEFT_CENTER, fold, font.clone(), theme.weak).right();
    let at = egui::pos2(after_fold + theme::SPACE_M, rect.center().y);
    let after_path = painter.text(at, Align2::LEFT_CENTER, &group.hits.path, font.clone(), theme.strong).right();
    let count = egui::pos2(after_path + theme::SPACE_M, rect.center().y);
    painter.text(count, Align2::LEFT_CENTER, group.hits.matches.len().to_string(), font, theme.weak);
    response.clicked()
}

/// A matching line: its number, then its text with the matches marked. True when clicked.
fn hit_row_ui(ui: &mut Ui, path: &str, hit: &LineHit, height: f32) -> bool {
    let name = || format!("{path}:{}: {}", hit.line, hit.text);
    let (rect, response) = row(ui, height, egui::WidgetType::Label, name);
    let theme = theme::of(ui);
    let font = TextStyle::Monospace.resolve(ui.style());
    let mut job = LayoutJob::default();
    job.append(&format!("{:>NUMBER_WIDTH$}  ", hit.line), 0.0, TextFormat::simple(font.clone(), theme.weak));
    let plain = TextFormat::simple(font.clone(), theme.text);
    let marked = TextFormat { background: theme.matched, ..TextFormat::simple(font, theme.strong) };
    let mut at = 0;
    for &(start, end) in &hit.ranges {
        let (start, end) = (start as usize, end as usize);
        if let (Some(before), Some(inside)) = (hit.text.get(at..start), hit.text.get(start..end)) {
            job.append(before, 0.0, plain.clone());
            job.append(inside, 0.0, marked.clone());
            at = end;
        }
    }
    job.append(hit.text.get(at..).unwrap_or_default(), 0.0, plain);
    let galley = ui.ctx().fonts_mut(|fonts| fonts.layout_job(job));
    let at = egui::pos2(rect.left() + theme::SPACE_XL, rect.center().y - galley.size().y / 2.0);
    ui.painter().with_clip_rect(rect.intersect(ui.clip_rect())).galley(at, galley, theme.text);
    response.clicked()
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::domain::ProjectId;
    use crate::ui::intents::Intent;

    #[test]
    fn clicking_a_result_asks_to_open_its_file_at_its_line() {
        let project = ProjectId::new();
        let (mut search, intents) = super::super::tests::searching(project);
        let hits = super::super::tests::hits("src/a.rs", &[4]);
        search.push_hits(project, 1, hits);
        let mut harness = Harness::new_ui_state(
            |ui, (search, intents): &mut (SearchView, Intents)| search_view_ui(ui, search, intents),
            (search, intents),
        );
        harness.run_steps(2);
        harness.get_by_label_contains("Searching… 1 matching line in 1 file so far");
        harness.get_by_label("src/a.rs:4: fn main").click();
        harness.run_steps(1);
        let asked = harness.state_mut().1.take();
        assert_eq!(asked, [Intent::OpenFile { path: "src/a.rs".into(), line: Some(4) }]);
    }
}
