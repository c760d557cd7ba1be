//! The validation checks section of Settings: open a project (a recent one, or a typed folder),
//! see the checks detected in it, and set its own checks, which replace the detected ones.

use egui::{ComboBox, RichText, TextEdit, Ui};

use super::path_entry::path_entry_ui;

use crate::domain::{Check, CheckKind};
use crate::protocol::Command;

use super::intents::Intents;
use super::theme;
use super::view::ViewModel;

pub fn checks_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    ui.strong("Validation checks");
    ui.horizontal(|ui| {
        ui.label("Project folder");
        if let Some(root) = path_entry_ui(ui, &mut view.folder_entry, "settings") {
            intents.send(Command::OpenProject { root });
        }
    });
    let open = view.project.as_ref().map(|p| p.project.id);
    let recent: Vec<_> = view.projects.iter().filter(|p| Some(p.id) != open).take(5).collect();
    if !recent.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Recent:").weak());
            for project in recent {
                if ui.button(&project.name).on_hover_text(project.root.display().to_string()).clicked() {
                    intents.send(Command::OpenProject { root: project.root.clone() });
                }
            }
        });
    }
    let Some(open) = view.project.as_mut() else {
        ui.label(RichText::new("Open a project to see and set its checks.").weak());
        return;
    };
    ui.label(format!("{} — {}", open.project.name, open.project.root.display()));
    ui.add_space(theme::SPACE_S);
    if open.detected_checks.is_empty() {
        ui.label(RichText::new("Detected: none (no manifest, Makefile or Definition of Done names a check).").weak());
    } else {
        ui.label(RichText::new("Detected in the workspace:").weak());
        egui::Grid::new("detected-checks").num_columns(3).spacing(theme::GRID_SPACING).show(ui, |ui| {
            for check in &open.detected_checks {
                ui.label(RichText::new(check.kind.as_str()).weak());
                ui.label(RichText::new(&check.command).monospace());
                ui.label(RichText::new(format!("from {}", check.source)).weak());
                ui.end_row();
            }
        });
    }
    ui.add_space(theme::SPACE_S);
    ui.label("Your checks (when any are set, they replace the detected ones):");
    let mut remove = None;
    for (i, check) in open.check_draft.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ComboBox::from_id_salt(("check-kind", i)).selected_text(check.kind.as_str()).width(80.0).show_ui(
                ui,
                |ui| {
                    for kind in CheckKind::ALL {
                        ui.selectable_value(&mut check.kind, kind, kind.as_str());
                    }
                },
            );
            ui.add(
                TextEdit::singleline(&mut check.command)
                    .font(egui::TextStyle::Monospace)
                    .hint_text("command, e.g. cargo test --workspace")
                    .desired_width(360.0),
            );
            if ui.button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        open.check_draft.remove(i);
    }
    ui.horizontal(|ui| {
        if ui.button("Add check").clicked() {
            open.check_draft.push(Check { kind: CheckKind::Test, command: String::new(), source: "settings".into() });
        }
        let changed = open.check_draft != open.check_overrides;
        if ui.add_enabled(changed, egui::Button::new("Save checks")).clicked() {
            intents.send(Command::SetChecks { project: open.project.id, checks: open.check_draft.clone() });
        }
        if ui.add_enabled(!open.check_overrides.is_empty(), egui::Button::new("Use detected checks")).clicked() {
            intents.send(Command::SetChecks { project: open.project.id, checks: Vec::new() });
        }
    });
}
