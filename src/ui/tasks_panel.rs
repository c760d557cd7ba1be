//! The Tasks tab: the dev loop's state and controls with its progress, the project's tasks in run
//! order (status, dependencies, attempts), the selected task's reason and receipt, with retry and
//! block, and the receipts of the project's Drone runs.

use egui::{RichText, ScrollArea, Ui};

use crate::domain::{Record, TaskId, TaskStatus, WorkOrderStatus};
use crate::protocol::{Command, LoopControl, LoopState};

use super::chat::work_order_ui;
use super::drones::DronesView;
use super::intents::Intents;
use super::receipt::{receipt_ui, run_verdict_label, verdict_label};
use super::tabs::Tab;
use super::theme;
use super::view::{ProjectView, ViewModel};

/// The most room the Drone runs take at the bottom of the tab.
const DRONE_RUNS_HEIGHT: f32 = 180.0;

pub(super) fn loop_label(state: LoopState) -> &'static str {
    match state {
        LoopState::Idle => "Idle",
        LoopState::Running => "Running",
        LoopState::Pausing => "Pausing at the next safe point…",
        LoopState::Paused => "Paused",
        LoopState::Stopped => "Stopped",
        LoopState::Blocked => "Blocked",
        LoopState::Finished => "Finished: every task is done",
    }
}

pub fn tasks_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let Some(open) = view.project.as_mut() else {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| {
            ui.heading("Tasks");
            ui.label(RichText::new("Open a project to see its tasks and run the dev loop.").weak());
        });
        return;
    };
    controls_ui(ui, open, intents);
    awaiting_ui(ui, view, intents);
    ui.separator();
    if view.drones.runs.receipts().next().is_some()
        && let Some((drone, run)) = egui::Panel::bottom("aura-drone-receipts")
            .resizable(true)
            .default_size(DRONE_RUNS_HEIGHT)
            .show(ui, |ui| drone_receipts_ui(ui, &view.drones))
            .inner
    {
        view.drones.runs.select(&drone, Some(run));
        intents.show(Tab::Drone(drone));
    }
    let Some(open) = view.project.as_mut() else { return };
    if open.tasks.is_empty() {
        ui.label(
            RichText::new("No tasks yet: start the loop to write specs from requirements.md and read their tasks.")
                .weak(),
        );
        return;
    }
    let detail_height = if open.selected_task.is_some() { ui.available_height() * 0.45 } else { 0.0 };
    ScrollArea::vertical().id_salt("task-list").max_height(ui.available_height() - detail_height).show(ui, |ui| {
        task_list_ui(ui, open);
    });
    if open.selected_task.is_some() {
        ui.separator();
        ScrollArea::vertical().id_salt("task-detail").show(ui, |ui| task_detail_ui(ui, open, intents));
    }
}

/// The work orders the loop waits on, as the chat's own cards: approving here is approving there.
fn awaiting_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let mut open_chat = None;
    for (order, session) in view.awaiting_orders.clone() {
        match view.chat.order_card(order) {
            Some((order, draft)) => work_order_ui(ui, order, draft, intents),
            None => {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("A work order waits for your decision in another conversation.").strong());
                    if let Some(c) = session.and_then(|s| view.conversations.find(s))
                        && ui.button(format!("Open “{}”", c.title)).clicked()
                    {
                        open_chat = Some(c.clone());
                    }
                });
            }
        }
    }
    if let Some(conversation) = open_chat {
        view.open_conversation(Some(&conversation), intents);
        intents.show(Tab::Chat);
    }
}

fn controls_ui(ui: &mut Ui, open: &ProjectView, intents: &mut Intents) {
    let project = open.project.id;
    ui.horizontal(|ui| {
        ui.strong("Dev loop");
        ui.label(loop_label(open.loop_state));
        let running = matches!(open.loop_state, LoopState::Running | LoopState::Pausing | LoopState::Paused);
        let mut send = |control| intents.send(Command::Loop { project, control });
        if ui.add_enabled(!running, egui::Button::new("Start")).clicked() {
            send(LoopControl::Start);
        }
        if ui.add_enabled(open.loop_state == LoopState::Running, egui::Button::new("Pause")).clicked() {
            send(LoopControl::Pause);
        }
        if ui.add_enabled(open.loop_state == LoopState::Paused, egui::Button::new("Resume")).clicked() {
            send(LoopControl::Resume);
        }
        if ui.add_enabled(running, egui::Button::new("Stop")).clicked() {
            send(LoopControl::Stop);
        }
    });
    if let Some(reason) = &open.loop_reason {
        ui.colored_label(theme::of(ui).status(TaskStatus::Blocked), reason);
    }
    let done = open.tasks.iter().filter(|t| t.status == TaskStatus::Done).count();
    let total = open.tasks.len().max(1);
    ui.add(
        egui::ProgressBar::new(done as f32 / total as f32)
            .text(format!("{done} of {} tasks done", open.tasks.len()))
            .desired_height(14.0),
    );
}

fn task_list_ui(ui: &mut Ui, open: &mut ProjectView) {
    let keys: std::collections::HashMap<_, _> = open.tasks.iter().map(|t| (t.id, t.key.clone())).collect();
    let mut clicked = None;
    egui::Grid::new("tasks").num_columns(4).striped(true).spacing(theme::GRID_SPACING).show(ui, |ui| {
        for spec in &open.specs {
            ui.strong(format!("{:02} {}", spec.order, spec.title));
            ui.end_row();
            for task in open.tasks.iter().filter(|t| t.spec == spec.id) {
                let selected = open.selected_task == Some(task.id);
                if ui.selectable_label(selected, RichText::new(&task.key).monospace()).clicked() {
                    clicked = Some(task.id);
                }
                ui.colored_label(theme::of(ui).status(task.status), task.status.as_str());
                let current = open.loop_task == Some(task.id) && task.status == TaskStatus::InProgress;
                let title = if current { RichText::new(&task.title).strong() } else { RichText::new(&task.title) };
                if ui.selectable_label(selected, title).clicked() {
                    clicked = Some(task.id);
                }
                let deps: Vec<&str> = task.depends_on.iter().filter_map(|d| keys.get(d).map(String::as_str)).collect();
                let mut meta = if deps.is_empty() { String::new() } else { format!("after {}", deps.join(", ")) };
                if task.attempts > 1 {
                    meta.push_str(&format!("  · {} attempts", task.attempts));
                }
                ui.label(RichText::new(meta).weak());
                ui.end_row();
            }
        }
    });
    if let Some(id) = clicked {
        open.selected_task = if open.selected_task == Some(id) { None } else { Some(id) };
    }
}

fn task_detail_ui(ui: &mut Ui, open: &mut ProjectView, intents: &mut Intents) {
    let Some(task) = open.selected_task.and_then(|id| open.task(id)).cloned() else { return };
    ui.horizontal(|ui| {
        ui.heading(format!("{} {}", task.key, task.title));
        if matches!(task.status, TaskStatus::Failed | TaskStatus::Blocked) && ui.button("Retry").clicked() {
            intents.send(Command::RetryTask { task: task.id });
        }
        if task.status == TaskStatus::InProgress && ui.button("Block").clicked() {
            intents.send(Command::BlockTask { task: task.id, reason: "blocked by the user".into() });
        }
    });
    if let Some(reason) = open.task_reasons.get(&task.id) {
        ui.colored_label(theme::of(ui).status(task.status), reason);
    }
    match open.receipts.get(&task.id) {
        Some(receipt) => receipt_ui(ui, receipt, intents),
        None => {
            ui.label(RichText::new("No receipt yet: one is issued when an attempt ends.").weak());
        }
    }
    task_log_ui(ui, open, task.id, intents);
}

/// Each finished Drone run, newest first: the Drone, what it was asked, and how it ended. Returns the
/// Drone whose tab was asked for, showing that run.
fn drone_receipts_ui(ui: &mut Ui, drones: &DronesView) -> Option<(String, crate::domain::DroneId)> {
    ui.add_space(theme::SPACE_S);
    ui.strong("Drone runs");
    let mut picked = None;
    ScrollArea::vertical().id_salt("drone-receipts").auto_shrink([false, true]).show(ui, |ui| {
        egui::Grid::new("drone-receipts").num_columns(4).striped(true).spacing(theme::GRID_SPACING).show(ui, |ui| {
            for (run, receipt) in drones.runs.receipts() {
                if ui.link(&run.drone).on_hover_text("Show the run in the Drone's tab").clicked() {
                    picked = Some((run.drone.clone(), run.id));
                }
                ui.label(&run.goal);
                let (verdict, color) = run_verdict_label(theme::of(ui), run, receipt);
                ui.colored_label(color, verdict);
                ui.add(egui::Label::new(RichText::new(&receipt.summary).weak()).truncate());
                ui.end_row();
            }
        });
    });
    picked
}

/// `14:03:07` (UTC) of a time in milliseconds.
fn clock(at: u64) -> String {
    let secs = at / 1000 % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// What happened to the task, asked of the engine the first time the section is opened.
fn task_log_ui(ui: &mut Ui, open: &mut ProjectView, task: TaskId, intents: &mut Intents) {
    let project = open.project.id;
    egui::CollapsingHeader::new("Log").id_salt(("task-log", task.to_string())).show(ui, |ui| {
        let Some((_, records)) = open.task_log.as_ref().filter(|(t, _)| *t == task) else {
            if open.task_log_asked != Some(task) {
                open.task_log_asked = Some(task);
                intents.send(Command::LoadTaskLog { project, task });
            }
            ui.label(RichText::new("Reading the log…").weak());
            return;
        };
        if records.is_empty() {
            ui.label(RichText::new("Nothing happened to this task yet.").weak());
        }
        for record in records {
            let line = match record {
                Record::TaskTransition { from, to, at, reason, .. } => {
                    let why = reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default();
                    format!("{}  {} → {}{why}", clock(*at), from.as_str(), to.as_str())
                }
                Record::WorkOrder(order) => {
                    let status = match &order.status {
                        WorkOrderStatus::Proposed => "proposed".to_string(),
                        WorkOrderStatus::Approved => "approved".to_string(),
                        WorkOrderStatus::Rejected { reason } => format!("rejected ({reason})"),
                    };
                    format!("{}  work order {status}: {}", clock(order.created_at), order.goal)
                }
                Record::Receipt(receipt) => {
                    format!(
                        "{}  receipt: {}. {}",
                        clock(receipt.created_at),
                        verdict_label(theme::of(ui), receipt.verdict).0,
                        receipt.summary
                    )
                }
                _ => continue,
            };
            ui.label(RichText::new(line).monospace());
        }
    });
}
