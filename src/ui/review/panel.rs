//! The Review tab: pending ChangeSets and checkpoints on the left; the selected ChangeSet's files,
//! its diff (unified or side by side, highlighted, only visible rows drawn) with a decision per
//! hunk and Craft findings beside their hunks, and a comment back to the agent.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Id, Rect, RichText, ScrollArea, Sense, TextEdit, TextStyle, Ui, vec2};

use crate::domain::{FileChange, HunkDecision};
use crate::protocol::{ChangeSetDecision, Command};

use super::super::intents::Intents;
use super::super::view::ViewModel;
use super::diff::{FileDiff, Row, Side};
use super::{DiffMode, ReviewView, tally};

const WARNING: Color32 = Color32::from_rgb(0xE0, 0xA0, 0x40);

struct Tints {
    added: Color32,
    removed: Color32,
    weak: Color32,
    text: Color32,
}

impl Tints {
    fn of(ui: &Ui) -> Tints {
        let dark = ui.visuals().dark_mode;
        Tints {
            added: if dark { Color32::from_rgb(0x1E, 0x3A, 0x24) } else { Color32::from_rgb(0xDC, 0xF5, 0xDC) },
            removed: if dark { Color32::from_rgb(0x46, 0x22, 0x24) } else { Color32::from_rgb(0xFA, 0xDF, 0xDF) },
            weak: ui.visuals().weak_text_color(),
            text: ui.visuals().text_color(),
        }
    }
}

pub fn review_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    if view.project.is_none() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to review its changes.").weak()));
        return;
    }
    let review = &mut view.review;
    let third = (ui.available_width() / 3.0).max(120.0);
    egui::Panel::left(Id::new("aura-review-list"))
        .resizable(true)
        .default_size(230.0_f32.min(third))
        .max_size(third)
        .show(ui, |ui| list_ui(ui, review, intents));
    if review.current().is_none() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("Nothing waits for review.").weak());
            ui.label(RichText::new("Changes the agents propose appear here as diffs.").weak());
        });
        return;
    }
    egui::Panel::bottom(Id::new("aura-review-decide")).show(ui, |ui| decide_ui(ui, review, intents));
    changeset_ui(ui, review);
}

fn list_ui(ui: &mut Ui, review: &mut ReviewView, intents: &mut Intents) {
    ScrollArea::vertical().id_salt("aura-review-list-scroll").show(ui, |ui| {
        ui.label(RichText::new(format!("Waiting ({})", review.pending.len())).strong());
        let mut picked = None;
        for changeset in &review.pending {
            let files = changeset.files.len();
            let label = format!("{}\n{files} file{}", changeset.title, if files == 1 { "" } else { "s" });
            if ui.selectable_label(review.selected == Some(changeset.id), label).clicked() {
                picked = Some(changeset.id);
            }
            if !changeset.findings.is_empty() {
                ui.colored_label(WARNING, format!("⚠ {} Craft findings", changeset.findings.len()));
            }
        }
        if let Some(id) = picked {
            review.select(id);
        }
        ui.add_space(8.0);
        ui.separator();
        ui.label(RichText::new("Checkpoints").strong());
        if review.applied.is_empty() {
            ui.label(RichText::new("Applied changes can be undone from here.").weak());
        }
        for applied in review.applied.iter().rev() {
            ui.push_id(applied.changeset.to_string(), |ui| {
                ui.label(&applied.title);
                ui.label(RichText::new(applied.files.join(", ")).weak().small());
                ui.horizontal(|ui| {
                    if ui.button("Undo").on_hover_text("Put these files back as they were").clicked() {
                        intents.send(Command::UndoChangeSet { changeset: applied.changeset, overwrite: Vec::new() });
                    }
                    if ui.button("Restore to before").on_hover_text("Undo this change and every later one").clicked() {
                        intents
                            .send(Command::RestoreCheckpoint { changeset: applied.changeset, overwrite: Vec::new() });
                    }
                });
            });
        }
        if let Some((changeset, files)) = review.hand_edited.clone() {
            ui.colored_label(WARNING, format!("Left as they are (edited by hand since): {}", files.join(", ")));
            if ui.button("Put them back too").clicked() {
                intents.send(Command::UndoChangeSet { changeset, overwrite: files });
                review.hand_edited = None;
            }
        }
    });
}

fn decide_ui(ui: &mut Ui, review: &mut ReviewView, intents: &mut Intents) {
    let Some((accepted, rejected, open)) = review.current().map(tally) else { return };
    ui.add_space(4.0);
    ui.add(
        TextEdit::multiline(&mut review.comment)
            .id(Id::new("aura-review-comment"))
            .desired_rows(2)
            .desired_width(f32::INFINITY)
            .hint_text("A comment back to the agent (optional)"),
    );
    // Two rows that never rewrap, so no button moves under the pointer as the counts change.
    ui.horizontal(|ui| {
        let undecided = open > 0 && accepted + rejected > 0;
        let label =
            format!("Apply decisions ({accepted} accepted, {} rejected)", rejected + if undecided { open } else { 0 });
        if ui.add_enabled(accepted + rejected > 0, egui::Button::new(label)).clicked() {
            review.decide(None, intents);
        }
        if undecided {
            ui.label(RichText::new(format!("{open} undecided count as rejected")).weak());
        }
    });
    ui.horizontal(|ui| {
        if ui.button("Accept all").clicked() {
            review.decide(Some(ChangeSetDecision::AcceptAll), intents);
        }
        if ui.button("Reject all").clicked() {
            review.decide(Some(ChangeSetDecision::RejectAll), intents);
        }
    });
    ui.add_space(2.0);
}

fn file_label(file: &FileChange) -> String {
    let (added, removed) = file.hunks.iter().fold((0, 0), |(a, r), h| (a + h.new_lines, r + h.old_lines));
    format!("{} +{added} −{removed}", file.path)
}

fn changeset_ui(ui: &mut Ui, review: &mut ReviewView) {
    let ReviewView { pending, selected, file, mode, diffs, .. } = review;
    let Some(changeset) = pending.iter_mut().find(|c| Some(c.id) == *selected) else { return };
    ui.horizontal_wrapped(|ui| {
        ui.heading(&changeset.title);
        ui.separator();
        ui.selectable_value(mode, DiffMode::Unified, "Unified");
        ui.selectable_value(mode, DiffMode::SideBySide, "Side by side");
    });
    ui.horizontal_wrapped(|ui| {
        for (index, change) in changeset.files.iter().enumerate() {
            if ui.selectable_label(*file == index, file_label(change)).clicked() {
                *file = index;
            }
        }
    });
    ui.separator();
    let index = (*file).min(changeset.files.len().saturating_sub(1));
    let Some(change) = changeset.files.get_mut(index) else { return };
    let dark = ui.visuals().dark_mode;
    let key = (changeset.id, index);
    if diffs.get(&key).is_none_or(|d| d.dark != dark) {
        let findings = changeset.findings.iter().filter(|f| f.path == change.path).cloned().collect();
        let ctx = ui.ctx().clone();
        let repaint = move || ctx.request_repaint();
        diffs.insert(key, FileDiff::new(change, findings, dark, ui.visuals().text_color(), repaint));
    }
    let Some(diff) = diffs.get(&key) else { return };
    diff_ui(ui, diff, change, *mode, Id::new(("aura-diff", changeset.id.to_string(), index)));
}

fn row_height(ui: &Ui) -> f32 {
    ui.text_style_height(&TextStyle::Monospace).max(ui.spacing().interact_size.y)
}

fn diff_ui(ui: &mut Ui, diff: &FileDiff, change: &mut FileChange, mode: DiffMode, salt: Id) {
    let row_h = row_height(ui);
    let tints = Tints::of(ui);
    let font = TextStyle::Monospace.resolve(ui.style());
    let count = match mode {
        DiffMode::Unified => diff.rows.len(),
        DiffMode::SideBySide => diff.split.len(),
    };
    let scroll = match mode {
        DiffMode::Unified => ScrollArea::both(),
        DiffMode::SideBySide => ScrollArea::vertical(),
    };
    scroll.id_salt(salt).auto_shrink([false, false]).show_rows(ui, row_h, count, |ui, range| {
        for at in range {
            match mode {
                DiffMode::Unified => {
                    let row = diff.rows[at];
                    if !spanning_row_ui(ui, diff, change, row, &tints, row_h) {
                        let width = ui.available_width();
                        line_ui(ui, diff, row, &tints, &font, row_h, width, true);
                    }
                }
                DiffMode::SideBySide => {
                    let (left, right) = diff.split[at];
                    if let Some(row) = left
                        && spanning_row_ui(ui, diff, change, row, &tints, row_h)
                    {
                        continue;
                    }
                    let half = (ui.available_width() / 2.0 - 2.0).max(80.0);
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 4.0;
                        for side in [left, right] {
                            match side {
                                Some(row) => line_ui(ui, diff, row, &tints, &font, row_h, half, false),
                                None => {
                                    ui.allocate_exact_size(vec2(half, row_h), Sense::hover());
                                }
                            }
                        }
                    });
                }
            }
        }
    });
}

/// A hunk's Accept or Reject: always framed, filled with the hunk's tint once chosen.
fn decision_button(text: &str, chosen: bool, tint: Color32) -> egui::Button<'_> {
    let button = egui::Button::new(text).frame(true).frame_when_inactive(true);
    if chosen { button.fill(tint) } else { button }
}

/// Draws a hunk header, finding or fold; false for text lines.
fn spanning_row_ui(ui: &mut Ui, diff: &FileDiff, change: &mut FileChange, row: Row, tints: &Tints, row_h: f32) -> bool {
    match row {
        Row::Hunk(index) => {
            let Some(hunk) = change.hunks.get_mut(index) else { return true };
            ui.horizontal(|ui| {
                ui.set_height(row_h);
                ui.label(
                    RichText::new(format!(
                        "@@ −{},{} +{},{} @@",
                        hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines
                    ))
                    .monospace()
                    .color(tints.weak),
                );
                ui.push_id(index, |ui| {
                    let accepted = hunk.decision == HunkDecision::Accepted;
                    let rejected = hunk.decision == HunkDecision::Rejected;
                    if ui
                        .add(decision_button("Accept", accepted, tints.added))
                        .on_hover_text("Apply this hunk")
                        .clicked()
                    {
                        hunk.decision = if accepted { HunkDecision::Pending } else { HunkDecision::Accepted };
                    }
                    if ui
                        .add(decision_button("Reject", rejected, tints.removed))
                        .on_hover_text("Leave these lines as they are")
                        .clicked()
                    {
                        hunk.decision = if rejected { HunkDecision::Pending } else { HunkDecision::Rejected };
                    }
                });
            });
            true
        }
        Row::Finding(index) => {
            if let Some(finding) = diff.findings.get(index) {
                let at = finding.line.map(|l| format!(" line {l}")).unwrap_or_default();
                ui.horizontal(|ui| {
                    ui.set_height(row_h);
                    ui.colored_label(WARNING, format!("⚠ {}{at}: {} ({})", finding.rule, finding.message, finding.fix));
                });
            }
            true
        }
        Row::Fold(lines) => {
            ui.horizontal(|ui| {
                ui.set_height(row_h);
                ui.label(RichText::new(format!("⋯ {lines} unchanged lines")).color(tints.weak).monospace());
            });
            true
        }
        _ => false,
    }
}

/// One text line: gutter with line numbers and sign, then the coloured text on its tint.
#[allow(clippy::too_many_arguments)]
fn line_ui(ui: &mut Ui, diff: &FileDiff, row: Row, tints: &Tints, font: &FontId, row_h: f32, width: f32, both: bool) {
    let (side, index, old_no, new_no, sign, tint): (&Side, usize, Option<usize>, Option<usize>, &str, _) = match row {
        Row::Same { old, new } => (&diff.new, new, Some(old), Some(new), " ", None),
        Row::Removed(old) => (&diff.old, old, Some(old), None, "−", Some(tints.removed)),
        Row::Added(new) => (&diff.new, new, None, Some(new), "+", Some(tints.added)),
        _ => return,
    };
    let number = |n: Option<usize>| n.map(|n| format!("{:>5}", n + 1)).unwrap_or_else(|| "     ".into());
    let gutter = if both {
        format!("{} {} {sign} ", number(old_no), number(new_no))
    } else {
        format!("{} {sign} ", number(old_no.filter(|_| sign != "+").or(new_no)))
    };
    let mut job = LayoutJob::default();
    job.append(&gutter, 0.0, TextFormat::simple(font.clone(), tints.weak));
    let text = side.line(index);
    match side.colours(index) {
        Some(spans) => {
            for (range, colour) in spans {
                if let Some(piece) = text.get(range) {
                    job.append(piece, 0.0, TextFormat::simple(font.clone(), colour));
                }
            }
        }
        None => job.append(text, 0.0, TextFormat::simple(font.clone(), tints.text)),
    }
    let galley = ui.ctx().fonts_mut(|fonts| fonts.layout_job(job));
    let width = if both { width.max(galley.size().x + 8.0) } else { width };
    let (rect, _) = ui.allocate_exact_size(vec2(width, row_h), Sense::hover());
    if let Some(tint) = tint {
        ui.painter().rect_filled(rect, 0.0, tint);
    }
    let at = rect.min + vec2(4.0, (row_h - galley.size().y) / 2.0);
    ui.painter()
        .with_clip_rect(Rect::from_min_max(rect.min, rect.max).intersect(ui.clip_rect()))
        .galley(at, galley, tints.text);
}
