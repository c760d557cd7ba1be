//! The welcome shown while no project is open: the app's name, Open Folder…, and the recent
//! projects, newest first.

use egui::{Button, RichText, Ui};

use crate::domain::Project;
use crate::protocol::Command;

use super::intents::Intents;
use super::path_entry::{PathEntry, path_entry_ui};
use super::theme;

/// How many recent projects the welcome lists.
const RECENT: usize = 8;

/// Returns whether Open Folder… was clicked; a recent project clicked or a folder typed is opened
/// through `intents`.
pub fn welcome_ui(
    ui: &mut Ui,
    projects: &[Project],
    entry: Option<&mut PathEntry>,
    choosing: bool,
    intents: &mut Intents,
) -> bool {
    let mut open_folder = false;
    ui.add_space(12.0);
    ui.horizontal_top(|ui| {
        ui.add_space(8.0);
        ui.vertical(|ui| {
            ui.set_width(300.0);
            ui.label(RichText::new("Aura").heading().size(theme::TITLE_SIZE));
            ui.label(RichText::new("Requirements to specs to tasks to verified code.").weak());
            ui.add_space(12.0);
            if choosing {
                ui.add_enabled(false, Button::new("Choosing a folder…"));
            } else {
                open_folder = ui.button("Open Folder…").clicked();
            }
        });
        // Not while the window asking for a typed path is open: one field, one answer.
        if let Some(entry) = entry {
            ui.add_space(16.0);
            ui.vertical(|ui| {
                ui.label(RichText::new("or type its path").weak());
                if let Some(root) = path_entry_ui(ui, entry, "welcome") {
                    intents.send(Command::OpenProject { root });
                }
            });
        }
        ui.add_space(32.0);
        ui.vertical(|ui| {
            ui.strong("Recent projects");
            ui.add_space(4.0);
            if projects.is_empty() {
                ui.label(RichText::new("None yet: open a folder to start.").weak());
            }
            for project in projects.iter().take(RECENT) {
                ui.horizontal(|ui| {
                    if ui.link(&project.name).clicked() {
                        intents.send(Command::OpenProject { root: project.root.clone() });
                    }
                    ui.label(RichText::new(project.root.display().to_string()).weak());
                });
            }
        });
    });
    ui.add_space(12.0);
    open_folder
}
