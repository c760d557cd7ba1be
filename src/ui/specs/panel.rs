//! The Specs tab: the outline (spec → headings → tasks with their status) on the left; the selected
//! spec rendered, or its editor with Save and Revert, on the right; above both, the problems that
//! keep the task list from being read, each with its file and line.

use egui::collapsing_header::CollapsingState;
use egui::text::CCursor;
use egui::{Align, Id, Layout, RichText, ScrollArea, Sense, TextEdit, Ui, vec2};

use crate::domain::{Spec, Task, TaskId};
use crate::protocol::Command;

use super::super::chat::conversation_ui;
use super::super::intents::Intents;
use super::super::markdown::markdown_headings_ui;
use super::super::theme;
use super::super::view::{ProjectView, ViewModel};
use super::{SpecsView, problem_path, spec_path};

/// How far a heading moves in per level below `##`, and tasks under their heading.
const INDENT: f32 = 12.0;

pub fn specs_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let ViewModel { project, specs, .. } = view;
    let Some(open) = project.as_mut() else {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to read and edit its specs.").weak()));
        return;
    };
    if !specs.problems.is_empty() {
        egui::Panel::top(Id::new("aura-specs-problems")).show(ui, |ui| problems_ui(ui, specs));
    }
    if open.specs.is_empty() && specs.docs.is_empty() {
        empty_ui(ui, open, specs, intents);
        return;
    }
    // At most half the tab, so the spec itself always has room beside a long outline.
    let half = (ui.available_width() / 2.0).max(120.0);
    egui::Panel::left(Id::new("aura-specs-outline"))
        .resizable(true)
        .default_size(260.0_f32.min(half))
        .max_size(half)
        .show(ui, |ui| outline_ui(ui, open, specs, intents));
    spec_ui(ui, specs, intents);
}

fn problems_ui(ui: &mut Ui, specs: &mut SpecsView) {
    ui.add_space(theme::SPACE_S);
    let error = theme::of(ui).error;
    ui.label(RichText::new("The task list cannot be read; fix these lines:").color(error).strong());
    let mut fix = None;
    for problem in &specs.problems {
        ui.horizontal(|ui| {
            let path = problem_path(problem);
            if specs.docs.contains_key(path) && ui.small_button("Fix").clicked() {
                fix = Some(path.to_string());
            }
            ui.label(RichText::new(problem).monospace().color(error));
        });
    }
    if let Some(path) = fix {
        specs.select(&path, None);
        if !specs.drafts.get(&path).is_some_and(|d| d.open) {
            specs.toggle_edit();
        }
    }
    ui.add_space(theme::SPACE_S);
}

fn empty_ui(ui: &mut Ui, open: &ProjectView, specs: &mut SpecsView, intents: &mut Intents) {
    ui.add_space(theme::SPACE_XL);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new("No specs yet.").strong());
        ui.add_space(theme::SPACE_S);
        if specs.has_requirements {
            ui.label(
                RichText::new("requirements.md is here: the model can write the specs from it, one file per part.")
                    .weak(),
            );
            let label = if specs.generating { "Generating specs…" } else { "Generate specs" };
            if ui.add_enabled(!specs.generating, egui::Button::new(label)).clicked() {
                specs.generating = true;
                intents.send(Command::GenerateSpecs { project: open.project.id });
            }
            if open.models.is_none() {
                ui.label(RichText::new("Choose a model in Settings first.").weak());
            }
        } else {
            ui.label(
                RichText::new(
                    "Write requirements.md at the workspace root (what to build), then open the project again to \
                     generate specs from it.",
                )
                .weak(),
            );
        }
        ui.add_space(theme::SPACE_M);
        ui.label(RichText::new("Spec files written by hand (specs/NN-name.md) are read with:").weak());
        if ui.button("Read specs/ again").clicked() {
            intents.send(Command::SyncTasks { project: open.project.id });
        }
    });
}

/// What a click in the outline asked for.
struct Pick {
    path: String,
    heading: Option<usize>,
    task: Option<TaskId>,
}

fn outline_ui(ui: &mut Ui, open: &mut ProjectView, specs: &mut SpecsView, intents: &mut Intents) {
    if !specs.writers.is_empty() {
        egui::Panel::bottom(Id::new("aura-spec-writers")).show(ui, |ui| writers_ui(ui, specs, intents));
    }
    let mut ordered: Vec<&Spec> = open.specs.iter().collect();
    ordered.sort_by_key(|s| s.order);
    // Files read (because of their problems) that are not among the specs read into tasks.
    let mut untracked: Vec<&String> =
        specs.docs.keys().filter(|p| !ordered.iter().any(|s| spec_path(s) == **p)).collect();
    untracked.sort();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} specs · {} tasks", ordered.len(), open.tasks.len())).weak());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.small_button("Read again").on_hover_text("Read the spec files into tasks again").clicked() {
                intents.send(Command::SyncTasks { project: open.project.id });
            }
        });
    });
    let mut pick = None;
    ScrollArea::vertical().id_salt("aura-specs-outline-scroll").auto_shrink([false, false]).show(ui, |ui| {
        let entries = ordered
            .iter()
            .map(|s| (spec_path(s), format!("{:02} {}", s.order, s.title), Some(s.id)))
            .chain(untracked.iter().map(|p| (p.to_string(), p.to_string(), None)));
        for (path, title, spec) in entries {
            let mut tasks: Vec<&Task> = open.tasks.iter().filter(|t| Some(t.spec) == spec).collect();
            tasks.sort_by_key(|t| t.order);
            let id = ui.make_persistent_id(("aura-spec-outline", &path));
            CollapsingState::load_with_default_open(ui.ctx(), id, true)
                .show_header(ui, |ui| {
                    let selected = specs.selected.as_deref() == Some(path.as_str());
                    if ui.selectable_label(selected, RichText::new(title).strong()).clicked() {
                        pick = Some(Pick { path: path.clone(), heading: None, task: None });
                    }
                })
                .body(|ui| {
                    let tasks = TaskRows { path: &path, tasks: &tasks, selected: open.selected_task };
                    let Some(doc) = specs.docs.get(&path) else {
                        let why = specs.unreadable.get(&path).map_or("Reading…", String::as_str);
                        ui.label(RichText::new(why).weak());
                        tasks.ui(ui, None, &mut pick);
                        return;
                    };
                    let mut tasks_shown = false;
                    for (i, heading) in doc.headings.iter().enumerate().filter(|(_, h)| h.level >= 2) {
                        ui.horizontal(|ui| {
                            ui.add_space(f32::from(heading.level - 2) * INDENT);
                            if ui.selectable_label(false, &heading.title).clicked() {
                                pick = Some(Pick { path: path.clone(), heading: Some(i), task: None });
                            }
                        });
                        if !tasks_shown && heading.level == 2 && heading.title == "Tasks" {
                            tasks.ui(ui, Some(i), &mut pick);
                            tasks_shown = true;
                        }
                    }
                    if !tasks_shown {
                        tasks.ui(ui, None, &mut pick);
                    }
                });
        }
    });
    if let Some(pick) = pick {
        specs.select(&pick.path, pick.heading);
        if pick.task.is_some() {
            open.selected_task = pick.task;
        }
    }
}

/// The tasks of one spec in the outline.
struct TaskRows<'a> {
    path: &'a str,
    tasks: &'a [&'a Task],
    selected: Option<TaskId>,
}

impl TaskRows<'_> {
    /// Each task with its status as a coloured dot; a click shows the spec at `heading`.
    fn ui(&self, ui: &mut Ui, heading: Option<usize>, pick: &mut Option<Pick>) {
        for task in self.tasks {
            ui.horizontal(|ui| {
                ui.add_space(INDENT);
                let (rect, dot) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
                ui.painter().circle_filled(rect.center(), 4.0, theme::of(ui).status(task.status));
                dot.on_hover_text(task.status.as_str());
                let label = ui
                    .selectable_label(self.selected == Some(task.id), format!("{} {}", task.key, task.title))
                    .on_hover_text(task.status.as_str());
                if label.clicked() {
                    *pick = Some(Pick { path: self.path.to_string(), heading, task: Some(task.id) });
                }
            });
        }
    }
}

/// The spec writer's sessions under the outline: a click shows one in place of a spec.
fn writers_ui(ui: &mut Ui, specs: &mut SpecsView, intents: &mut Intents) {
    ui.label(RichText::new("How the specs were written").weak());
    let now = crate::domain::now_millis();
    let mut picked = None;
    for session in &specs.writers {
        let shown = specs.reading.as_ref().is_some_and(|c| c.session == Some(session.id));
        let label = format!("{} · {}", session.title, super::super::time::age(now, session.created_at));
        if ui.selectable_label(shown, label).on_hover_text("The model's turn that wrote or repaired them").clicked() {
            picked = Some(session.id);
        }
    }
    if let Some(session) = picked {
        specs.read_session(session, intents);
    }
}

fn spec_ui(ui: &mut Ui, specs: &mut SpecsView, intents: &mut Intents) {
    if let Some(chat) = &mut specs.reading {
        conversation_ui(ui, chat, intents);
        return;
    }
    let Some(path) = specs.selected.clone() else {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Choose a spec in the outline to read it.").weak()));
        return;
    };
    if !specs.docs.contains_key(&path) {
        let why = specs.unreadable.get(&path).cloned().unwrap_or_else(|| format!("Reading {path}…"));
        ui.label(RichText::new(why).weak());
        return;
    }
    toolbar_ui(ui, specs, &path, intents);
    ui.separator();
    let scroll_to = specs.scroll_to.take();
    let SpecsView { docs, drafts, .. } = specs;
    let Some(doc) = docs.get_mut(&path) else { return };
    match drafts.get_mut(&path).filter(|d| d.open) {
        Some(draft) => {
            ScrollArea::vertical().id_salt(("aura-spec-editor-scroll", &path)).auto_shrink([false, false]).show(
                ui,
                |ui| {
                    let editor = TextEdit::multiline(&mut draft.text)
                        .id(Id::new(("aura-spec-editor", &path)))
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .desired_rows(24)
                        .interactive(!draft.saving)
                        .show(ui);
                    // A heading picked in the outline: its line (as last read) is brought into view.
                    if let Some(heading) = scroll_to.and_then(|i| doc.headings.get(i)) {
                        let at: usize =
                            draft.text.split('\n').take(heading.line - 1).map(|l| l.chars().count() + 1).sum();
                        let rect = editor.galley.pos_from_cursor(CCursor::new(at));
                        ui.scroll_to_rect(rect.translate(editor.galley_pos.to_vec2()), Some(Align::TOP));
                    }
                },
            );
        }
        None => {
            ScrollArea::vertical().id_salt(("aura-spec-rendered", &path)).auto_shrink([false, false]).show(ui, |ui| {
                let headings = markdown_headings_ui(ui, &doc.text, &mut doc.rendered);
                if let Some(rect) = scroll_to.and_then(|i| headings.get(i)) {
                    ui.scroll_to_rect(*rect, Some(Align::TOP));
                }
            });
        }
    }
}

/// The spec's path, Edit, and while editing Save and Revert with how the last save went.
fn toolbar_ui(ui: &mut Ui, specs: &mut SpecsView, path: &str, intents: &mut Intents) {
    let draft = specs.drafts.get(path);
    let open = draft.is_some_and(|d| d.open);
    let saving = draft.is_some_and(|d| d.saving);
    let changed = draft.is_some_and(|d| specs.docs.get(path).is_none_or(|doc| doc.text != d.text));
    let (mut edit, mut save, mut revert) = (false, false, false);
    ui.horizontal(|ui| {
        ui.label(RichText::new(path).monospace().weak());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            edit = ui.selectable_label(open, "Edit").clicked();
            if open {
                revert = ui.add_enabled(changed && !saving, egui::Button::new("Revert")).clicked();
                save = ui.add_enabled(changed && !saving, egui::Button::new("Save")).clicked();
            }
            let state = match (saving, changed, open) {
                (true, _, _) => "Saving…",
                (false, true, true) => "Unsaved changes",
                (false, true, false) => "Unsaved edits: open Edit to save or revert them",
                _ => "",
            };
            ui.label(RichText::new(state).weak());
        });
    });
    let mut overwrite = false;
    if let Some(failure) = specs.drafts.get(path).and_then(|d| d.failure.as_ref()) {
        ui.colored_label(theme::of(ui).error, &failure.message);
        if failure.stale {
            ui.horizontal(|ui| {
                revert |= ui.button("Reload").on_hover_text("Drop your edits and show the file as it is now").clicked();
                overwrite = ui.button("Overwrite").on_hover_text("Save your text over the file on disk").clicked();
            });
        }
    }
    if edit {
        specs.toggle_edit();
    }
    if save || overwrite {
        specs.save(path, overwrite, intents);
    }
    if revert {
        specs.revert(path, intents);
    }
}
