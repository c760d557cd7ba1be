//! Settings › MCP: the project's servers (from `.mcp.json` and the user's list) with their state,
//! tools and log, each switchable per server and per tool; and the problems found in the files.

use egui::{RichText, Ui};

use crate::protocol::{Command, McpServerView};

use super::view::ProjectView;

/// What the engine last said of the project's servers, or `None` before anyone asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct McpView {
    pub listing: bool,
    pub servers: Option<(Vec<McpServerView>, Vec<String>)>,
}

pub fn mcp_ui(ui: &mut Ui, open: &mut ProjectView, commands: &mut Vec<Command>) {
    let project = open.project.id;
    let view = &mut open.mcp;
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
            commands.push(Command::ListMcpServers { project });
        }
    });
    let Some((servers, problems)) = &view.servers else {
        ui.label(RichText::new("From the workspace's .mcp.json and your own list; shown starts them.").weak());
        return;
    };
    for problem in problems {
        ui.colored_label(ui.visuals().warn_fg_color, problem);
    }
    if servers.is_empty() && problems.is_empty() {
        ui.label(RichText::new("No servers: add them to .mcp.json at the workspace root.").weak());
    }
    for server in servers {
        server_ui(ui, project, server, commands);
    }
}

fn server_ui(ui: &mut Ui, project: crate::domain::ProjectId, server: &McpServerView, commands: &mut Vec<Command>) {
    let switch =
        |tool: Option<String>, enabled| Command::SwitchMcp { project, server: server.name.clone(), tool, enabled };
    ui.horizontal(|ui| {
        let mut on = server.enabled;
        if ui.checkbox(&mut on, RichText::new(&server.name).strong()).changed() {
            commands.push(switch(None, on));
        }
        ui.label(RichText::new(format!("{} · {} tools", server.state, server.tools.len())).weak());
    });
    if let Some(problem) = &server.problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    ui.add(egui::Label::new(RichText::new(format!("log: {}", server.log)).monospace().weak()).selectable(true));
    egui::CollapsingHeader::new(format!("Tools of {}", server.name)).id_salt(("mcp-tools", &server.name)).show(
        ui,
        |ui| {
            for tool in &server.tools {
                ui.horizontal(|ui| {
                    let mut on = tool.enabled;
                    if ui.checkbox(&mut on, RichText::new(&tool.name).monospace()).changed() {
                        commands.push(switch(Some(tool.qualified.clone()), on));
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
        },
    );
    ui.add_space(4.0);
}
