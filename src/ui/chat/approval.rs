//! The card of a command waiting for the user: what it is, why it asks, and the three answers.

use egui::{Frame, RichText, Ui};

use crate::domain::{CommandApproval, CommandDecision};
use crate::protocol::Command;

use super::super::intents::Intents;

/// What the card says once answered (here or on another surface).
fn decided_text(decision: CommandDecision) -> &'static str {
    match decision {
        CommandDecision::AllowOnce => "Allowed once",
        CommandDecision::AllowForSession => "Allowed for this session",
        CommandDecision::Deny => "Denied",
    }
}

pub fn command_approval_ui(
    ui: &mut Ui,
    approval: &CommandApproval,
    decided: Option<CommandDecision>,
    intents: &mut Intents,
) {
    Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let title = if approval.network { "Command asks to run, with the network" } else { "Command asks to run" };
        ui.label(RichText::new(title).strong());
        ui.add(egui::Label::new(RichText::new(format!("$ {}", approval.command)).monospace()).selectable(true));
        ui.label(RichText::new(format!("Why it asks: {}", approval.reason)).weak());
        ui.label(RichText::new(format!("Sandbox: {} ({})", approval.policy, approval.policy.describe())).weak());
        ui.add_space(4.0);
        match decided {
            Some(decision) => {
                ui.label(RichText::new(decided_text(decision)).italics());
            }
            None => {
                ui.horizontal(|ui| {
                    let decide = |decision| Command::DecideCommand { approval: approval.id, decision };
                    if ui.button("Allow once").clicked() {
                        intents.send(decide(CommandDecision::AllowOnce));
                    }
                    if ui.button("Allow for this session").clicked() {
                        intents.send(decide(CommandDecision::AllowForSession));
                    }
                    if ui.button("Deny").clicked() {
                        intents.send(decide(CommandDecision::Deny));
                    }
                });
            }
        }
    });
}
