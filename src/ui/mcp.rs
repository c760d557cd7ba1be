//! Settings › MCP: the project's servers (from `.mcp.json` and the user's list) with their state,
//! tools and log, each switchable per server and per tool; and the problems found in the files.

use egui::{RichText, Ui};

use crate::domain::ProjectId;
use crate::protocol::{Command, McpServerView};

use super::intents::Intents;
use super::theme;

/// What the engine last said of the project's servers, or `None` before anyone asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct McpView {
    pub listing: bool,
    pub servers: Option<(Vec<McpServerView>, Vec<String>)>,
    /// The form adding a server of the user's own: its name, and its command line or URL.
    pub new_name: String,
    pub new_target: String,
}

pub fn mcp_ui(ui: &mut Ui, project: ProjectId, view: &mut McpView, intents: &mut Intents) {
    ui.horizontal(|ui| {
        ui.strong("MCP servers");
        let label = if view.listing {
            "Starting them…"
        } else if view.servers.is_some() {
            "Refresh"
        } else {
            "Show"
        };
        if ui.add_enabled(!view.listing, egui::Button::new(label)).clicked() {
            view.listing = true;
            intents.send(Command::ListMcpServers { project });
        }
    });
    let Some((servers, problems)) = &view.servers else {
        ui.label(RichText::new("From the workspace's .mcp.json and your own list; shown starts them.").weak());
        return;
    };
    for problem in problems {
        ui.colored_label(theme::of(ui).warning, problem);
    }
    if servers.is_empty() && problems.is_empty() {
        ui.label(RichText::new("No servers: add them to .mcp.json at the workspace root.").weak());
    }
    for server in servers {
        server_ui(ui, project, server, intents);
    }
    add_ui(ui, project, view, intents);
}

/// Adds a server to the user's own list (every project has it).
fn add_ui(ui: &mut Ui, project: ProjectId, view: &mut McpView, intents: &mut Intents) {
    ui.label(RichText::new("Add a server of your own (every project gets it):").weak());
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(&mut view.new_name).hint_text("name").desired_width(90.0));
        ui.add(
            egui::TextEdit::singleline(&mut view.new_target)
                .hint_text("command line, or http(s) URL")
                .desired_width(260.0),
        );
        let ready = !view.new_name.trim().is_empty() && !view.new_target.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Add")).clicked() {
            intents.send(Command::AddMcpServer {
                project,
                name: std::mem::take(&mut view.new_name),
                target: std::mem::take(&mut view.new_target),
            });
            view.listing = true;
        }
    });
}

fn server_ui(ui: &mut Ui, project: ProjectId, server: &McpServerView, intents: &mut Intents) {
    let switch =
        |tool: Option<String>, enabled| Command::SwitchMcp { project, server: server.name.clone(), tool, enabled };
    ui.horizontal(|ui| {
        let mut on = server.enabled;
        if ui.checkbox(&mut on, RichText::new(&server.name).strong()).changed() {
            intents.send(switch(None, on));
        }
        let source = if server.yours { "yours" } else { ".mcp.json" };
        ui.label(RichText::new(format!("{} · {} tools · {source}", server.state, server.tools.len())).weak());
        if server.yours && ui.small_button("Remove").clicked() {
            intents.send(Command::RemoveMcpServer { project, name: server.name.clone() });
        }
    });
    if let Some(problem) = &server.problem {
        ui.colored_label(theme::of(ui).error, problem);
    }
    egui::CollapsingHeader::new(format!("Log of {}", server.name)).id_salt(("mcp-log", &server.name)).show(ui, |ui| {
        ui.add(egui::Label::new(RichText::new(&server.log).monospace().weak()).selectable(true));
        let tail = if server.log_tail.is_empty() { "(empty)" } else { server.log_tail.as_str() };
        egui::ScrollArea::vertical().max_height(160.0).stick_to_bottom(true).show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(tail).monospace()).selectable(true));
        });
    });
    egui::CollapsingHeader::new(format!("Tools of {}", server.name)).id_salt(("mcp-tools", &server.name)).show(
        ui,
        |ui| {
            for tool in &server.tools {
                ui.horizontal(|ui| {
                    let mut on = tool.enabled;
                    if ui.checkbox(&mut on, RichText::new(&tool.name).monospace()).changed() {
                        intents.send(switch(Some(tool.qualified.clone()), on));
                    }
                    if tool.read_only {
                        ui.label(RichText::new("read-only").weak());
                    }
                });
                if !tool.description.is_empty() {
                    ui.label(RichText::new(&tool.description).weak());
                }
            }
            for skipped in &server.skipped {
                ui.label(RichText::new(format!("left out: {skipped}")).weak());
            }
            for resource in &server.resources {
                ui.label(RichText::new(format!("resource: {resource}")).weak());
            }
            for prompt in &server.prompts {
                ui.label(RichText::new(format!("prompt: {prompt}")).weak());
            }
        },
    );
    ui.add_space(theme::SPACE_S);
}
