//! The Review tab: pending ChangeSets and checkpoints on the left; the selected ChangeSet's files,
//! its diff (unified or side by side, highlighted, only visible rows drawn) with a decision per
//! hunk and Craft findings beside their hunks, and a comment back to the agent.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Id, RichText, ScrollArea, Sense, TextEdit, TextStyle, Ui, vec2};

use crate::domain::{FileChange, HunkDecision};
use crate::protocol::{ChangeSetDecision, Command};

use super::super::highlight::HighlightedText;
use super::super::intents::{Intent, Intents};
use super::super::theme::{self, Theme};
use super::super::view::ViewModel;
use super::diff::{FileDiff, Row};
use super::{DiffMode, ReviewView, tally};

/// Digits a line number is given in the gutter.
const NUMBER_WIDTH: usize = 5;
/// The gutter's columns: both line numbers and the sign (unified), or one and the sign.
const UNIFIED_GUTTER: usize = 2 * (NUMBER_WIDTH + 1) + 2;
const SPLIT_GUTTER: usize = NUMBER_WIDTH + 3;
/// Room left of and right of a line's text, and between the two sides.
const TEXT_MARGIN: f32 = theme::SPACE_S;
const COLUMN_GAP: f32 = theme::SPACE_S;

pub fn review_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    if view.project.is_none() {
        ui.add_space(theme::SPACE_XL);
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
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("Nothing waits for review.").weak());
            ui.label(RichText::new("Changes the agents propose appear here as diffs.").weak());
        });
        return;
    }
    egui::Panel::bottom(Id::new("aura-review-decide")).show(ui, |ui| decide_ui(ui, review, intents));
    changeset_ui(ui, review, intents);
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
                ui.colored_label(theme::of(ui).warning, format!("⚠ {} Craft findings", changeset.findings.len()));
            }
        }
        if let Some(id) = picked {
            review.select(id);
        }
        ui.add_space(theme::SPACE_M);
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
            ui.colored_label(
                theme::of(ui).warning,
                format!("Left as they are (edited by hand since): {}", files.join(", ")),
            );
            if ui.button("Put them back too").clicked() {
                intents.send(Command::UndoChangeSet { changeset, overwrite: files });
                review.hand_edited = None;
            }
        }
    });
}

fn decide_ui(ui: &mut Ui, review: &mut ReviewView, intents: &mut Intents) {
    let Some((accepted, rejected, open)) = review.current().map(tally) else { return };
    ui.add_space(theme::SPACE_S);
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
    ui.add_space(theme::SPACE_XS);
}

fn file_label(file: &FileChange) -> String {
    let (added, removed) = file.hunks.iter().fold((0, 0), |(a, r), h| (a + h.new_lines, r + h.old_lines));
    format!("{} +{added} −{removed}", file.path)
}

fn changeset_ui(ui: &mut Ui, review: &mut ReviewView, intents: &mut Intents) {
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
        // Waiting changes are not on disk yet: the file opens as it is, at the first hunk's place.
        if let Some(change) = changeset.files.get(*file).filter(|c| c.before.is_some()) {
            let line = change.hunks.first().map(|h| h.old_start.max(1));
            let hint = format!("Open {} as it is on disk", change.path);
            if ui.link("open").on_hover_text(hint).clicked() {
                intents.push(Intent::OpenFile { path: change.path.clone(), line });
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
        diffs.insert(key, FileDiff::new(change, findings, dark, theme::of(ui).text, repaint));
    }
    let Some(diff) = diffs.get(&key) else { return };
    diff_ui(ui, diff, change, *mode, Id::new(("aura-diff", changeset.id.to_string(), index)), true);
}

fn row_height(ui: &Ui) -> f32 {
    ui.text_style_height(&TextStyle::Monospace).max(ui.spacing().interact_size.y)
}

/// How wide a line's row is: the pane's width (or half of it, side by side), and never narrower
/// than the longest line shown, whose text then scrolls sideways rather than being cut.
fn line_width(ui: &mut Ui, diff: &FileDiff, font: &FontId, mode: DiffMode) -> f32 {
    // Monospace: every character is as wide as a space (a tab as four, as [`FileDiff::widest`] counts).
    let column = ui.ctx().fonts_mut(|fonts| fonts.glyph_width(font, ' '));
    let (share, gutter) = match mode {
        DiffMode::Unified => (ui.available_width(), UNIFIED_GUTTER),
        DiffMode::SideBySide => ((ui.available_width() - COLUMN_GAP) / 2.0, SPLIT_GUTTER),
    };
    share.max((gutter + diff.widest) as f32 * column + 2.0 * TEXT_MARGIN)
}

/// A file's diff, only the visible rows drawn. With `decide`, each hunk header has Accept and
/// Reject (Review); without, it is only read (the Git tab).
pub(in crate::ui) fn diff_ui(
    ui: &mut Ui,
    diff: &FileDiff,
    change: &mut FileChange,
    mode: DiffMode,
    salt: Id,
    decide: bool,
) {
    let row_h = row_height(ui);
    let theme = theme::of(ui);
    let font = TextStyle::Monospace.resolve(ui.style());
    let width = line_width(ui, diff, &font, mode);
    let count = match mode {
        DiffMode::Unified => diff.rows.len(),
        DiffMode::SideBySide => diff.split.len(),
    };
    let lines = Lines { diff, theme, font, row_h, width };
    let spanning =
        |ui: &mut Ui, change: &mut FileChange, row| spanning_row_ui(ui, diff, change, row, theme, row_h, decide);
    ScrollArea::both().id_salt(salt).auto_shrink([false, false]).show_rows(ui, row_h, count, |ui, range| {
        for at in range {
            match mode {
                DiffMode::Unified => {
                    let row = diff.rows[at];
                    if !spanning(ui, change, row) {
                        lines.line_ui(ui, row, true);
                    }
                }
                DiffMode::SideBySide => {
                    let (left, right) = diff.split[at];
                    if let Some(row) = left
                        && spanning(ui, change, row)
                    {
                        continue;
                    }
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = COLUMN_GAP;
                        for side in [left, right] {
                            match side {
                                Some(row) => lines.line_ui(ui, row, false),
                                None => {
                                    ui.allocate_exact_size(vec2(width, row_h), Sense::hover());
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
fn spanning_row_ui(
    ui: &mut Ui,
    diff: &FileDiff,
    change: &mut FileChange,
    row: Row,
    theme: &Theme,
    row_h: f32,
    decide: bool,
) -> bool {
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
                    .color(theme.weak),
                );
                if !decide {
                    return;
                }
                ui.push_id(index, |ui| {
                    let accepted = hunk.decision == HunkDecision::Accepted;
                    let rejected = hunk.decision == HunkDecision::Rejected;
                    if ui
                        .add(decision_button("Accept", accepted, theme.added))
                        .on_hover_text("Apply this hunk")
                        .clicked()
                    {
                        hunk.decision = if accepted { HunkDecision::Pending } else { HunkDecision::Accepted };
                    }
                    if ui
                        .add(decision_button("Reject", rejected, theme.removed))
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
                    ui.colored_label(
                        theme::of(ui).warning,
                        format!("⚠ {}{at}: {} ({})", finding.rule, finding.message, finding.fix),
                    );
                });
            }
            true
        }
        Row::Fold(lines) => {
            ui.horizontal(|ui| {
                ui.set_height(row_h);
                ui.label(RichText::new(format!("⋯ {lines} unchanged lines")).color(theme.weak).monospace());
            });
            true
        }
        _ => false,
    }
}

/// What every text line of one diff is drawn with.
struct Lines<'a> {
    diff: &'a FileDiff,
    theme: &'a Theme,
    font: FontId,
    row_h: f32,
    width: f32,
}

impl Lines<'_> {
    /// One text line: gutter with line numbers and sign, then the coloured text on its tint; the
    /// unified view (`both`) numbers it in the old text and the new.
    fn line_ui(&self, ui: &mut Ui, row: Row, both: bool) {
        let Lines { diff, theme, font, row_h, width } = self;
        let (side, index, old_no, new_no, sign, tint): (
            &HighlightedText,
            usize,
            Option<usize>,
            Option<usize>,
            &str,
            _,
        ) = match row {
            Row::Same { old, new } => (&diff.new, new, Some(old), Some(new), " ", None),
            Row::Removed(old) => (&diff.old, old, Some(old), None, "−", Some(theme.removed)),
            Row::Added(new) => (&diff.new, new, None, Some(new), "+", Some(theme.added)),
            _ => return,
        };
        let number = |n: Option<usize>| match n {
            Some(n) => format!("{:>NUMBER_WIDTH$}", n + 1),
            None => " ".repeat(NUMBER_WIDTH),
        };
        let gutter = if both {
            format!("{} {} {sign} ", number(old_no), number(new_no))
        } else {
            format!("{} {sign} ", number(old_no.filter(|_| sign != "+").or(new_no)))
        };
        let mut job = LayoutJob::default();
        job.append(&gutter, 0.0, TextFormat::simple(font.clone(), theme.weak));
        let text = side.line(index);
        side.append_line(&mut job, index, font, theme.text);
        let galley = ui.ctx().fonts_mut(|fonts| fonts.layout_job(job));
        // Side by side the columns keep one width; a glyph wider than a space may be cut there.
        let width = if both { width.max(galley.size().x + 2.0 * TEXT_MARGIN) } else { *width };
        let (rect, response) = ui.allocate_exact_size(vec2(width, *row_h), Sense::hover());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Label, true, text));
        if let Some(tint) = tint {
            ui.painter().rect_filled(rect, 0.0, tint);
        }
        let at = rect.min + vec2(TEXT_MARGIN, (row_h - galley.size().y) / 2.0);
        ui.painter().with_clip_rect(rect.intersect(ui.clip_rect())).galley(at, galley, theme.text);
    }
}
