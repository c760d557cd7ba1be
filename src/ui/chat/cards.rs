//! The chat's cards: a tool call in one line that expands to its output, a Planner's work order to
//! approve, edit or reject, and a proposed change that points to Review.

use egui::{Frame, RichText, ScrollArea, Stroke, TextEdit, Ui};
use serde_json::Value;

use crate::domain::{ChangeSetId, ChangeSetStatus, WorkOrder};
use crate::protocol::{Command, WorkOrderDecision};

use super::super::file_link::file_link_ui;
use super::super::intents::{Intent, Intents};
use super::super::markdown::copy_button_ui;
use super::super::theme;
use super::{OrderDraft, ToolCard, ToolState};

/// How much of a tool's output an expanded card shows; the rest is in the model's transcript.
const OUTPUT_SHOWN: usize = 20_000;

fn arg<'a>(arguments: &'a Value, key: &str) -> &'a str {
    arguments.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Files an apply_patch envelope touches, from its `*** Add/Update/Delete File:` headers.
fn patched_files(patch: &str) -> String {
    let files: Vec<&str> = patch
        .lines()
        .filter_map(|l| {
            ["*** Add File: ", "*** Update File: ", "*** Delete File: "].iter().find_map(|h| l.strip_prefix(h))
        })
        .map(str::trim)
        .collect();
    if files.is_empty() { "files".to_string() } else { files.join(", ") }
}

/// What a call did, in a few words: `read src/lib.rs`, ``ran `cargo test` ``.
pub fn headline(name: &str, arguments: &Value) -> String {
    match name {
        "read_file" => {
            let lines = match (arguments.get("start_line"), arguments.get("end_line")) {
                (Some(a), Some(b)) => format!(" lines {a}–{b}"),
                _ => String::new(),
            };
            format!("read {}{lines}", arg(arguments, "path"))
        }
        "list_files" => format!("listed {}", Some(arg(arguments, "dir")).filter(|d| !d.is_empty()).unwrap_or(".")),
        "find_files" => format!("found files `{}`", arg(arguments, "glob")),
        "search" => format!("searched `{}`", arg(arguments, "pattern")),
        "apply_patch" => format!("edited {}", patched_files(arg(arguments, "patch"))),
        "replace" => format!("edited {}", arg(arguments, "path")),
        "write_file" => format!("wrote {}", arg(arguments, "path")),
        "run_command" => format!("ran `{}`", arg(arguments, "command")),
        "save_memory" => "saved a memory".to_string(),
        "search_memory" => format!("searched memory for `{}`", arg(arguments, "query")),
        "submit_work_order" => "submitted a work order".to_string(),
        "ask_user" => format!("asked: {}", arg(arguments, "question")),
        // An MCP server's tool (`server__tool`): which tool of which server, with what.
        other => match other.split_once("__") {
            Some((server, tool)) => {
                let args = arguments.to_string();
                let args = match args.char_indices().nth(80) {
                    Some((cut, _)) => format!("{}…", &args[..cut]),
                    None => args,
                };
                format!("{tool} ({server}) {args}")
            }
            None => other.to_string(),
        },
    }
}

/// The file a call read or wrote, and the line it started at, for the card's link.
fn file_of(name: &str, arguments: &Value) -> Option<(String, Option<u32>)> {
    let path = match name {
        "read_file" | "replace" | "write_file" => arg(arguments, "path").to_string(),
        "apply_patch" => patched_files(arg(arguments, "patch")).split(", ").next()?.to_string(),
        _ => return None,
    };
    let line = arguments.get("start_line").and_then(Value::as_u64).and_then(|l| u32::try_from(l).ok());
    (!path.is_empty() && path != "files").then_some((path, line))
}

pub fn tool_card_ui(ui: &mut Ui, card: &mut ToolCard, intents: &mut Intents) {
    let theme = theme::of(ui);
    let (mark, color, summary) = match &card.state {
        None => ("·", theme.weak, String::new()),
        Some(ToolState::Running) => ("…", theme.weak, "running".to_string()),
        Some(ToolState::Done { is_error: false, summary }) => ("✔", theme.ok, summary.clone()),
        Some(ToolState::Done { is_error: true, summary }) => ("✖", theme.error, summary.clone()),
    };
    let line = if summary.is_empty() {
        headline(&card.call.name, &card.call.arguments)
    } else {
        format!("{} → {summary}", headline(&card.call.name, &card.call.arguments))
    };
    Frame::new()
        .stroke(Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color))
        .corner_radius(4.0)
        .inner_margin(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let clicked = ui
                .horizontal(|ui| {
                    ui.colored_label(color, mark);
                    if let Some((path, line)) = file_of(&card.call.name, &card.call.arguments)
                        && ui.link("open").on_hover_text(format!("Open {path} in the viewer")).clicked()
                    {
                        intents.push(Intent::OpenFile { path, line });
                    }
                    let toggle = if card.expanded { "▾" } else { "▸" };
                    ui.add(
                        egui::Button::new(RichText::new(format!("{toggle} {line}")).monospace())
                            .frame(false)
                            .truncate(),
                    )
                    .on_hover_text("Show the full output")
                    .clicked()
                })
                .inner;
            if clicked {
                card.expanded = !card.expanded;
            }
            if card.expanded {
                let output = card.output.as_deref().unwrap_or("(no output yet)");
                let shown = match output.char_indices().nth(OUTPUT_SHOWN) {
                    Some((cut, _)) => format!("{}\n… {} more bytes", &output[..cut], output.len() - cut),
                    None => output.to_string(),
                };
                let output_block =
                    ScrollArea::vertical().id_salt(card.call.id.to_string()).max_height(280.0).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.add(egui::Label::new(RichText::new(shown).monospace()).selectable(true));
                    });
                // The whole output, not the part shown.
                copy_button_ui(ui, output_block.inner_rect, output, "Copy the whole output");
            }
        });
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

pub fn work_order_ui(ui: &mut Ui, order: &WorkOrder, draft: &mut OrderDraft, intents: &mut Intents) {
    Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Work order").strong());
        ui.label(RichText::new(&order.goal).strong());
        for region in &order.regions {
            ui.horizontal(|ui| {
                file_link_ui(ui, &region.path, region.lines.map(|(a, _)| a), intents);
                if let Some((a, b)) = region.lines {
                    ui.label(RichText::new(format!("lines {a}–{b}")).weak());
                }
            });
        }
        egui::CollapsingHeader::new("Plan").id_salt(("plan", order.id.to_string())).show(ui, |ui| {
            ui.label(&order.capsule);
        });
        for criterion in &order.acceptance {
            ui.label(format!("☐ {criterion}"));
        }
        for command in &order.validation {
            ui.label(RichText::new(format!("$ {command}")).monospace());
        }
        ui.add_space(4.0);
        let decide = |decision| Command::DecideWorkOrder { work_order: order.id, decision };
        let mut next = None;
        match draft {
            OrderDraft::Open => {
                ui.horizontal(|ui| {
                    if ui.button("Approve").clicked() {
                        intents.send(decide(WorkOrderDecision::Approve));
                        next = Some(OrderDraft::Decided("Approved".into()));
                    }
                    if ui.button("Edit").clicked() {
                        next = Some(OrderDraft::Editing {
                            goal: order.goal.clone(),
                            capsule: order.capsule.clone(),
                            acceptance: order.acceptance.join("\n"),
                        });
                    }
                    if ui.button("Reject").clicked() {
                        next = Some(OrderDraft::Rejecting { reason: String::new() });
                    }
                });
            }
            OrderDraft::Editing { goal, capsule, acceptance } => {
                ui.label("Goal");
                ui.add(TextEdit::singleline(goal).desired_width(f32::INFINITY));
                ui.label("Plan");
                ui.add(TextEdit::multiline(capsule).desired_rows(4).desired_width(f32::INFINITY));
                ui.label("Acceptance (one per line)");
                ui.add(TextEdit::multiline(acceptance).desired_rows(2).desired_width(f32::INFINITY));
                ui.horizontal(|ui| {
                    if ui.button("Approve as edited").clicked() {
                        let edited = WorkOrder {
                            goal: goal.trim().to_string(),
                            capsule: capsule.clone(),
                            acceptance: lines(acceptance),
                            ..order.clone()
                        };
                        intents.send(decide(WorkOrderDecision::ApproveEdited { work_order: edited }));
                        next = Some(OrderDraft::Decided("Approved as edited".into()));
                    }
                    if ui.button("Cancel").clicked() {
                        next = Some(OrderDraft::Open);
                    }
                });
            }
            OrderDraft::Rejecting { reason } => {
                ui.add(
                    TextEdit::singleline(reason)
                        .hint_text("Why, so the Planner can do better")
                        .desired_width(f32::INFINITY),
                );
                ui.horizontal(|ui| {
                    let why = reason.trim();
                    if ui.add_enabled(!why.is_empty(), egui::Button::new("Reject")).clicked() {
                        intents.send(decide(WorkOrderDecision::Reject { reason: why.to_string() }));
                        next = Some(OrderDraft::Decided(format!("Rejected: {why}")));
                    }
                    if ui.button("Cancel").clicked() {
                        next = Some(OrderDraft::Open);
                    }
                });
            }
            OrderDraft::Decided(what) => {
                ui.label(RichText::new(what.as_str()).weak());
            }
        }
        if let Some(next) = next {
            *draft = next;
        }
    });
}

/// A change the agent proposed; returns true when the user asks to see it in Review.
pub fn change_card_ui(ui: &mut Ui, id: ChangeSetId, title: &str, files: &[String], status: ChangeSetStatus) -> bool {
    let state = match status {
        ChangeSetStatus::Proposed => "waiting for review",
        ChangeSetStatus::Applied => "applied",
        ChangeSetStatus::PartlyApplied => "partly applied",
        ChangeSetStatus::Rejected => "rejected",
        ChangeSetStatus::Undone => "undone",
    };
    Frame::group(ui.style())
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("Change: {title}")).strong());
                ui.label(RichText::new(state).weak());
            });
            ui.label(RichText::new(files.join(", ")).monospace().weak());
            status == ChangeSetStatus::Proposed
                && ui.push_id(id.to_string(), |ui| ui.button("Open in Review").clicked()).inner
        })
        .inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headlines_say_what_a_call_did() {
        assert_eq!(headline("read_file", &json!({"path": "src/lib.rs"})), "read src/lib.rs");
        assert_eq!(headline("run_command", &json!({"command": "cargo test"})), "ran `cargo test`");
        assert_eq!(headline("search", &json!({"pattern": "fn main"})), "searched `fn main`");
        let patch = "*** Begin Patch\n*** Update File: a.rs\n@@\n-x\n+y\n*** Add File: b.rs\n+z\n*** End Patch";
        assert_eq!(headline("apply_patch", &json!({ "patch": patch })), "edited a.rs, b.rs");
        assert_eq!(headline("list_files", &json!({})), "listed .");
        assert_eq!(headline("mystery", &json!({})), "mystery");
    }
}
