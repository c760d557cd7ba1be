//! A Drone's own tab: a goal to summon it with, its runs newest first (what it was asked, who
//! started it, where it works, for how long, how it ended), and the chosen run's conversation as it
//! streams, with Stop while it runs, Open in Review while its change waits, and its receipt.

use egui::{Frame, Id, RichText, ScrollArea, Ui};

use crate::domain::{DroneId, DroneRun, Isolation, Trigger, now_millis};
use crate::protocol::Command;

use super::super::chat::conversation_ui;
use super::super::intents::{Intent, Intents};
use super::super::receipt::{receipt_ui, run_verdict_label};
use super::super::theme;
use super::super::view::ViewModel;
use super::panel::summon_ui;

/// The share of the tab the list of runs may take; the chosen run's conversation gets the rest.
const RUN_LIST_SHARE: f32 = 0.3;
/// The tallest the receipt under the conversation grows before it scrolls.
const RECEIPT_HEIGHT: f32 = 220.0;

pub fn drone_tab_ui(ui: &mut Ui, drone: &str, view: &mut ViewModel, intents: &mut Intents) {
    if view.project.is_none() {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to summon its Drones.").weak()));
        return;
    }
    ui.horizontal(|ui| {
        ui.heading(drone);
        let role = view.drones.manifest(drone).map_or("This project has no Drone of this name.", |m| m.role.as_str());
        ui.label(RichText::new(role).weak());
    });
    if view.drones.manifest(drone).is_some() {
        let focus = view.drones.focus_goal.as_deref() == Some(drone);
        if focus {
            view.drones.focus_goal = None;
        }
        summon_ui(ui, view, drone, focus, intents);
    }
    ui.separator();
    if view.drones.runs.of(drone).next().is_none() {
        ui.label(RichText::new("No runs yet: give it a goal and summon it.").weak());
        return;
    }
    runs_ui(ui, view, drone);
    ui.separator();
    if let Some(run) = view.drones.runs.shown(drone).cloned() {
        run_ui(ui, view, &run, intents);
    }
}

/// Who started a run.
fn started_by(trigger: Option<Trigger>) -> &'static str {
    match trigger {
        None => "by you",
        Some(Trigger::AfterTaskFinished) => "after a task finished",
        Some(Trigger::AfterChangeSetApplied) => "after a change was applied",
    }
}

/// Where a run works.
fn place(isolation: &Isolation) -> String {
    match isolation {
        Isolation::Shared => "shared workspace, read-only".to_string(),
        Isolation::Worktree { branch, .. } => format!("worktree {branch}"),
        Isolation::WriteLane => "write lane".to_string(),
    }
}

/// How long a run ran from `start` to `end`, or has been running: `42 s`, `3 min 5 s`, `1 h 20 min`.
fn elapsed(start: u64, end: Option<u64>) -> String {
    let secs = end.unwrap_or_else(now_millis).saturating_sub(start) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs / 60 % 60),
    }
}

/// The runs, newest first; a click shows one (the newest: and each newer one as it starts).
fn runs_ui(ui: &mut Ui, view: &mut ViewModel, drone: &str) {
    let runs = &view.drones.runs;
    let shown = runs.shown(drone).map(|r| r.id);
    let mut picked: Option<Option<DroneId>> = None;
    ScrollArea::vertical().id_salt("aura-drone-runs").max_height(ui.available_height() * RUN_LIST_SHARE).show(
        ui,
        |ui| {
            for (index, run) in runs.of(drone).enumerate() {
                let took = elapsed(run.started_at, run.receipt.as_ref().map(|r| r.created_at));
                ui.horizontal(|ui| {
                    match &run.receipt {
                        None => {
                            ui.add(egui::Spinner::new());
                            ui.label("running");
                        }
                        Some(receipt) => {
                            let (verdict, color) = run_verdict_label(theme::of(ui), run, receipt);
                            ui.colored_label(color, verdict);
                        }
                    }
                    if ui.selectable_label(shown == Some(run.id), RichText::new(&run.goal).strong()).clicked() {
                        picked = Some((index > 0).then_some(run.id));
                    }
                    let about = format!("{} · {} · {}", started_by(run.trigger), place(&run.isolation), took);
                    ui.add(egui::Label::new(RichText::new(about).weak()).truncate());
                });
            }
        },
    );
    if let Some(run) = picked {
        view.drones.runs.select(drone, run);
    }
}

/// The chosen run: its goal with Stop or Open in Review, its receipt at the bottom once it ended, and
/// its conversation above.
fn run_ui(ui: &mut Ui, view: &mut ViewModel, run: &DroneRun, intents: &mut Intents) {
    let pending = view.review.pending.iter().find(|c| c.session == Some(run.session)).map(|c| c.id);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&run.goal).strong());
        if run.receipt.is_none() && ui.button("Stop").on_hover_text("Stops at the next safe point").clicked() {
            intents.send(Command::StopDrone { run: run.id });
        }
        if let Some(change) = pending
            && ui.button("Open in Review").clicked()
        {
            intents.push(Intent::ShowChangeSet(change));
        }
    });
    if let Some(receipt) = &run.receipt {
        egui::Panel::bottom(Id::new(("aura-drone-receipt", run.id.to_string()))).resizable(false).show(ui, |ui| {
            ScrollArea::vertical().id_salt("aura-drone-receipt").max_height(RECEIPT_HEIGHT).show(ui, |ui| {
                Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    receipt_ui(ui, receipt, intents);
                });
            });
        });
    }
    let chat = view.drones.runs.chat_mut(run, intents);
    if chat.items.is_empty() && chat.live.is_none() && !chat.running {
        let note = if chat.history_complete { "Nothing was said in this run." } else { "Reading the conversation…" };
        ui.label(RichText::new(note).weak());
    } else {
        conversation_ui(ui, chat, intents);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_reads_at_a_glance() {
        assert_eq!(elapsed(1_000, Some(43_000)), "42 s");
        assert_eq!(elapsed(0, Some(185_000)), "3 min 5 s");
        assert_eq!(elapsed(0, Some(4_800_000)), "1 h 20 min");
        assert_eq!(elapsed(now_millis() + 5_000, None), "0 s", "a clock behind the start reads zero");
    }
}
