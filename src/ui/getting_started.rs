//! The card above the dock that takes a newly opened project to its first specs: a starter
//! `requirements.md` when the folder has none, then the specs written from it.

use egui::{Button, RichText, Ui};

use crate::protocol::{Command, LoopState};

use super::intents::Intents;
use super::view::ProjectView;

/// Whether the open project still has a first step to take (and the user has not hidden the card).
pub fn wanted(project: &ProjectView) -> bool {
    !project.getting_started_hidden && (!project.requirements || project.specs.is_empty())
}

pub fn getting_started_ui(ui: &mut Ui, project: &mut ProjectView, intents: &mut Intents) {
    let id = project.project.id;
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        ui.add_space(8.0);
        ui.vertical(|ui| {
            if !project.requirements {
                ui.strong("This folder has no requirements.md");
                ui.label(
                    RichText::new(
                        "Aura writes the specs and tasks from it. Start from a short template: what it is, \
                         who uses it, what it must have, and its constraints.",
                    )
                    .weak(),
                );
            } else {
                ui.strong("requirements.md is in place");
                ui.label(RichText::new("Say in it what to build, then let the Planner write the specs.").weak());
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if !project.requirements {
                    if ui.button("Write requirements.md").clicked() {
                        intents.send(Command::WriteRequirements { project: id });
                    }
                } else if matches!(project.loop_state, LoopState::Running | LoopState::Pausing) {
                    ui.label("Writing the specs…");
                } else {
                    let ready = project.models.is_some();
                    if ui.add_enabled(ready, Button::new("Generate specs")).clicked() {
                        intents.send(Command::GenerateSpecs { project: id });
                    }
                    if !ready {
                        ui.label(RichText::new("Choose the model in Settings first.").weak());
                    }
                }
                if ui.button("Not now").clicked() {
                    project.getting_started_hidden = true;
                }
            });
        });
    });
    ui.add_space(8.0);
}
