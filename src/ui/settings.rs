//! The Settings tab: the open project's validation checks, its model and loop settings, and the
//! model servers found on this machine.

use egui::{Color32, RichText, Ui};

use crate::protocol::Command;

use super::intents::Intents;
use super::view::ViewModel;

pub fn settings_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    ui.heading("Settings");
    ui.add_space(4.0);
    super::appearance::appearance_ui(ui, &mut view.appearance, intents);
    ui.add_space(8.0);
    super::keys::keys_ui(ui, &view.api_keys, &mut view.key_drafts, intents);
    ui.add_space(8.0);
    super::checks::checks_ui(ui, view, intents);
    ui.add_space(8.0);
    super::models::models_ui(ui, view, intents);
    if let Some(open) = view.project.as_mut() {
        ui.add_space(12.0);
        super::mcp::mcp_ui(ui, open.project.id, &mut open.mcp, intents);
    }
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        ui.strong("Local model servers");
        let label = if view.discovering { "Searching…" } else { "Find local servers" };
        if ui.add_enabled(!view.discovering, egui::Button::new(label)).clicked() {
            view.discovering = true;
            intents.send(Command::DiscoverLocalServers);
        }
    });
    let Some(servers) = &view.local_servers else {
        ui.label(RichText::new("Not searched yet.").weak());
        return;
    };
    egui::Grid::new("local-servers").num_columns(3).striped(true).spacing([16.0, 6.0]).show(ui, |ui| {
        for server in servers {
            ui.label(&server.name);
            ui.monospace(&server.base_url);
            match (&server.models, &server.problem) {
                (Some(models), _) if models.is_empty() => ui.label("running, no models yet"),
                (Some(models), _) => {
                    ui.colored_label(Color32::from_rgb(0x6A, 0xC2, 0x6A), format!("running: {}", models.join(", ")))
                }
                (None, Some(problem)) => ui.label(RichText::new(problem).weak()),
                (None, None) => ui.label(""),
            };
            ui.end_row();
        }
    });
}
