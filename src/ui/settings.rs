//! The Settings tab: the open project's validation checks, its model and loop settings, and the
//! model servers found on this machine.

use egui::{RichText, Ui};

use crate::protocol::Command;

use super::intents::Intents;
use super::theme;
use super::view::ViewModel;

pub fn settings_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    ui.heading("Settings");
    ui.add_space(theme::SPACE_S);
    super::appearance::appearance_ui(ui, &mut view.appearance, intents);
    ui.add_space(theme::SPACE_M);
    super::keys::keys_ui(ui, &view.api_keys, &mut view.key_drafts, intents);
    ui.add_space(theme::SPACE_M);
    super::checks::checks_ui(ui, view, intents);
    ui.add_space(theme::SPACE_M);
    super::models::models_ui(ui, view, intents);
    if let Some(open) = view.project.as_mut() {
        ui.add_space(theme::SPACE_L);
        super::mcp::mcp_ui(ui, open.project.id, &mut open.mcp, intents);
    }
    ui.add_space(theme::SPACE_L);
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
    egui::Grid::new("local-servers").num_columns(3).striped(true).spacing(theme::GRID_SPACING).show(ui, |ui| {
        for server in servers {
            ui.label(&server.name);
            ui.monospace(&server.base_url);
            match (&server.models, &server.problem) {
                (Some(models), _) if models.is_empty() => ui.label("running, no models yet"),
                (Some(models), _) => ui.colored_label(theme::of(ui).ok, format!("running: {}", models.join(", "))),
                (None, Some(problem)) => ui.label(RichText::new(problem).weak()),
                (None, None) => ui.label(""),
            };
            ui.end_row();
        }
    });
}
