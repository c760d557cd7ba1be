//! The Drones tab: the project's Drones, each manifest that could not be read with its file and
//! line, a form that creates or edits a Drone and saves it as a readable manifest, and a goal to
//! summon the chosen one with. Each Drone's runs have a tab of their own ([`super::drone_tab_ui`]).

use egui::{ComboBox, DragValue, Id, Key, RichText, ScrollArea, TextEdit, Ui};

use crate::domain::{DroneManifest, DroneSource, ManifestBudget, ToolPolicy, Trigger};
use crate::protocol::Command;

use super::super::intents::Intents;
use super::super::tabs::Tab;
use super::super::theme;
use super::super::view::ViewModel;
use super::DronesView;

fn policy_name(p: ToolPolicy) -> &'static str {
    match p {
        ToolPolicy::ReadOnly => "read-only",
        ToolPolicy::AskBeforeWrites => "ask before writes",
        ToolPolicy::NormalReview => "normal review",
    }
}

/// When a trigger runs a Drone, as the form and the details say it.
fn trigger_name(t: Trigger) -> &'static str {
    match t {
        Trigger::AfterTaskFinished => "after each finished task",
        Trigger::AfterChangeSetApplied => "after each applied change",
    }
}

fn blank() -> DroneManifest {
    DroneManifest {
        sandbox: None,
        mcp_servers: None,
        name: String::new(),
        role: String::new(),
        instructions: String::new(),
        model: None,
        tool_policy: ToolPolicy::default(),
        triggers: Vec::new(),
        budget: ManifestBudget::default(),
    }
}

/// The goal for `drone` and a Summon button (Enter in the field summons too). Summoning asks the
/// engine for a run and brings the Drone's tab forward, showing its newest run.
pub(super) fn summon_ui(ui: &mut Ui, view: &mut ViewModel, drone: &str, focus: bool, intents: &mut Intents) {
    let Some(project) = view.drones.project else { return };
    let goal = view.drones.goals.entry(drone.to_string()).or_default();
    let mut summon = false;
    ui.horizontal(|ui| {
        let field = ui.add(
            TextEdit::singleline(goal)
                .id(ui.make_persistent_id(("aura-drone-goal", drone)))
                .hint_text("What should it do? e.g. review the last task")
                .desired_width(ui.available_width() - 80.0),
        );
        if focus {
            field.request_focus();
        }
        summon |= field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        summon |= ui.add_enabled(!goal.trim().is_empty(), egui::Button::new("Summon")).clicked();
    });
    let goal = goal.trim().to_string();
    if summon && !goal.is_empty() {
        view.drones.goals.remove(drone);
        intents.send(Command::RunDrone { project, drone: drone.to_string(), goal });
        view.drones.runs.select(drone, None);
        intents.show(Tab::Drone(drone.to_string()));
    }
}

pub fn drones_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let Some(project) = view.drones.project else {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to see its Drones.").weak()));
        return;
    };
    let third = (ui.available_width() / 3.0).max(140.0);
    egui::Panel::left(Id::new("aura-drones-list"))
        .resizable(true)
        .default_size(third.min(240.0))
        // Names and roles stay on their lines even when the window was narrow on an earlier frame.
        .min_size(third.min(170.0))
        .max_size(third)
        .show(ui, |ui| list_ui(ui, &mut view.drones));
    ScrollArea::vertical().id_salt("aura-drone-detail").show(ui, |ui| match &mut view.drones.draft {
        Some(draft) => {
            if let Some(saved) = form_ui(ui, draft) {
                match saved {
                    Some(manifest) => intents.send(Command::SaveDroneManifest { project, manifest }),
                    None => view.drones.draft = None,
                }
            }
        }
        None => detail_ui(ui, view, intents),
    });
}

fn list_ui(ui: &mut Ui, view: &mut DronesView) {
    if ui.button("New Drone").clicked() {
        view.draft = Some(blank());
    }
    ui.add_space(theme::SPACE_S);
    let mut picked = None;
    for (drone, source) in &view.drones {
        let mark = if matches!(source, DroneSource::BuiltIn) { "" } else { " ·" };
        let label = format!("{}{mark}\n{}", drone.name, drone.role);
        if ui.selectable_label(view.selected.as_deref() == Some(drone.name.as_str()), label).clicked() {
            picked = Some(drone.name.clone());
        }
    }
    if let Some(name) = picked {
        view.selected = Some(name);
        view.draft = None;
    }
    for error in &view.errors {
        ui.colored_label(theme::of(ui).error, RichText::new(error).small());
    }
}

fn detail_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let drones = &view.drones;
    let Some((drone, source)) =
        drones.selected.as_ref().and_then(|n| drones.drones.iter().find(|(d, _)| &d.name == n)).cloned()
    else {
        ui.add_space(theme::SPACE_L);
        ui.label(
            RichText::new(
                "Choose a Drone, or make a new one. Your own are saved in .aura/drones/ to share through git.",
            )
            .weak(),
        );
        return;
    };
    ui.heading(&drone.name);
    ui.label(RichText::new(&drone.role).weak());
    let from = match &source {
        DroneSource::BuiltIn => "built in".to_string(),
        DroneSource::Workspace { path } => path.clone(),
    };
    ui.label(format!(
        "{} · {} · model: {} · from {from}",
        policy_name(drone.tool_policy),
        if drone.triggers.is_empty() {
            "on demand".to_string()
        } else {
            drone.triggers.iter().map(|t| trigger_name(*t)).collect::<Vec<_>>().join(", ")
        },
        drone.model.as_deref().unwrap_or("the project's Worker model"),
    ));
    let b = drone.budget;
    ui.label(
        RichText::new(format!("Budget: {} tokens, {} steps, {} s", b.max_tokens, b.max_steps, b.max_seconds)).weak(),
    );
    if !drone.triggers.is_empty()
        && let Some(open) = view.project.as_mut()
    {
        let mut settings = open.loop_settings;
        ui.checkbox(&mut settings.drone_triggers, "Drones run on their triggers in this project")
            .on_hover_text("Off, they run only when summoned; each triggered run spends tokens");
        if settings != open.loop_settings {
            intents.send(Command::SetLoopSettings { project: open.project.id, settings });
            open.loop_settings = settings;
        }
    }
    ui.add_space(theme::SPACE_S);
    summon_ui(ui, view, &drone.name, false, intents);
    ui.separator();
    // Manifests wrap their instructions by hand; the pane wraps them to its width instead.
    let paragraphs: Vec<String> =
        drone.instructions.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    ui.label(paragraphs.join("\n\n"));
    ui.add_space(theme::SPACE_M);
    ui.horizontal(|ui| {
        let label = if matches!(source, DroneSource::BuiltIn) { "Customize" } else { "Edit" };
        if ui.button(label).on_hover_text("Saved as .aura/drones/NAME.toml in the workspace").clicked() {
            view.drones.draft = Some(drone.clone());
        }
        let runs = view.drones.runs.of(&drone.name).count();
        if runs > 0 && ui.button(format!("Show its runs ({runs})")).clicked() {
            intents.show(Tab::Drone(drone.name.clone()));
        }
    });
}

/// The form; returns `Some(Some(manifest))` to save, `Some(None)` to cancel.
fn form_ui(ui: &mut Ui, draft: &mut DroneManifest) -> Option<Option<DroneManifest>> {
    let mut outcome = None;
    egui::Grid::new("aura-drone-form").num_columns(2).spacing(theme::GRID_SPACING).show(ui, |ui| {
        ui.label("Name");
        ui.add(TextEdit::singleline(&mut draft.name).hint_text("lowercase-with-dashes"));
        ui.end_row();
        ui.label("Role");
        ui.add(TextEdit::singleline(&mut draft.role).hint_text("what it is for"));
        ui.end_row();
        ui.label("Model");
        let mut model = draft.model.clone().unwrap_or_default();
        if ui.add(TextEdit::singleline(&mut model).hint_text("provider/model (empty: the Worker's)")).changed() {
            draft.model = Some(model.trim().to_string()).filter(|m| !m.is_empty());
        }
        ui.end_row();
        ui.label("Tools");
        ComboBox::from_id_salt("aura-drone-policy").selected_text(policy_name(draft.tool_policy)).show_ui(ui, |ui| {
            for p in [ToolPolicy::ReadOnly, ToolPolicy::AskBeforeWrites, ToolPolicy::NormalReview] {
                ui.selectable_value(&mut draft.tool_policy, p, policy_name(p));
            }
        });
        ui.end_row();
        ui.label("Commands");
        let shown = draft.sandbox.map_or("the project's sandbox", |p| p.name());
        ComboBox::from_id_salt("aura-drone-sandbox").selected_text(shown).show_ui(ui, |ui| {
            ui.selectable_value(&mut draft.sandbox, None, "the project's sandbox");
            for p in crate::domain::SandboxPolicy::ALL {
                ui.selectable_value(&mut draft.sandbox, Some(p), p.name()).on_hover_text(p.describe());
            }
        });
        ui.end_row();
        ui.label("Runs");
        ui.horizontal(|ui| {
            for trigger in [Trigger::AfterTaskFinished, Trigger::AfterChangeSetApplied] {
                let mut on = draft.triggers.contains(&trigger);
                if ui.checkbox(&mut on, trigger_name(trigger)).changed() {
                    draft.triggers.retain(|t| *t != trigger);
                    if on {
                        draft.triggers.push(trigger);
                    }
                }
            }
        });
        ui.end_row();
        ui.label("Budget");
        ui.horizontal(|ui| {
            ui.add(DragValue::new(&mut draft.budget.max_tokens).range(1_000..=10_000_000).suffix(" tokens"));
            ui.add(DragValue::new(&mut draft.budget.max_steps).range(1..=1_000).suffix(" steps"));
            ui.add(DragValue::new(&mut draft.budget.max_seconds).range(10..=86_400).suffix(" s"));
        });
        ui.end_row();
    });
    ui.label("Instructions");
    ui.add(TextEdit::multiline(&mut draft.instructions).desired_rows(6).desired_width(f32::INFINITY));
    ui.horizontal(|ui| {
        let ready =
            !draft.name.trim().is_empty() && !draft.role.trim().is_empty() && !draft.instructions.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Save Drone")).clicked() {
            let mut manifest = draft.clone();
            manifest.name = manifest.name.trim().to_string();
            outcome = Some(Some(manifest));
        }
        if ui.button("Cancel").clicked() {
            outcome = Some(None);
        }
    });
    outcome
}
