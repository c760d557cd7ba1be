//! The model section of Settings: which provider, server and model the open project's Planner and
//! Worker use, and how its dev loop runs (autopilot, attempts per task). A model served by a local
//! server found on this machine can be picked with one click.

use egui::{ComboBox, DragValue, RichText, TextEdit, Ui};

use crate::domain::ApprovalPolicy;

use crate::llm::ProviderKind;
use crate::protocol::{Command, LocalServerStatus, ModelChoice};

use super::intents::Intents;
use super::theme;
use super::view::{ProjectView, ViewModel};

pub(super) fn provider_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Anthropic => "Anthropic",
        ProviderKind::Openai => "OpenAI-compatible",
        ProviderKind::Ollama => "Ollama",
    }
}

pub fn models_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    model_choice_ui(ui, view, intents);
    let no_repo = view.git.report.as_ref().is_some_and(|r| r.problem == Some(crate::protocol::GitProblem::NotARepo));
    if let Some(open) = view.project.as_mut() {
        loop_settings_ui(ui, open, no_repo, intents);
    }
}

/// The model in use and the form to choose one (also shown in the chat until one is chosen).
pub fn model_choice_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    // Disjoint fields: the servers are read while the project is edited, with no copy per frame.
    let servers = view.local_servers.as_deref().unwrap_or(&[]);
    let Some(open) = view.project.as_mut() else { return };
    ui.strong("Model");
    let current = match &open.models {
        Some((planner, worker)) if planner == worker => {
            format!("{} · {}", provider_name(worker.provider), worker.model)
        }
        Some((planner, worker)) => format!("Planner {} · Worker {}", planner.model, worker.model),
        None => "none chosen yet: the dev loop and the chat need one".into(),
    };
    ui.label(RichText::new(format!("In use: {current}")).weak());
    let draft = &mut open.model_draft;
    ui.horizontal(|ui| {
        ComboBox::from_id_salt("model-provider").selected_text(provider_name(draft.provider)).show_ui(ui, |ui| {
            for kind in [ProviderKind::Anthropic, ProviderKind::Openai, ProviderKind::Ollama] {
                ui.selectable_value(&mut draft.provider, kind, provider_name(kind));
            }
        });
        let mut base = draft.base_url.clone().unwrap_or_default();
        if ui
            .add(TextEdit::singleline(&mut base).hint_text("base URL (default: the provider's)").desired_width(260.0))
            .changed()
        {
            draft.base_url = Some(base.trim().to_string()).filter(|b| !b.is_empty());
        }
    });
    // The model and the button on their own row, so a narrow pane still shows the button.
    ui.horizontal(|ui| {
        ui.add(TextEdit::singleline(&mut draft.model).hint_text("model").desired_width(220.0));
        let ready = !draft.model.trim().is_empty();
        let mut choice = draft.clone();
        choice.model = choice.model.trim().to_string();
        if ui.add_enabled(ready, egui::Button::new("Use for Planner and Worker")).clicked() {
            intents.send(Command::SetModels {
                project: open.project.id,
                planner: choice.clone(),
                worker: choice.clone(),
            });
        }
        if ui.add_enabled(ready, egui::Button::new("Test connection")).clicked() {
            intents.send(Command::TestConnection { choice });
            open.connection_test = Some(None);
        }
    });
    match &open.connection_test {
        Some(None) => {
            ui.label(RichText::new("Testing…").weak());
        }
        Some(Some((true, message))) => {
            ui.colored_label(theme::of(ui).ok, format!("✔ {message}"));
        }
        Some(Some((false, message))) => {
            ui.colored_label(theme::of(ui).error, format!("✖ {message}"));
        }
        None => {}
    }
    local_models_ui(ui, open, servers);
}

fn approval_ui(ui: &mut Ui, open: &mut ProjectView, intents: &mut Intents) {
    let mut policy = open.approval_policy;
    ui.horizontal(|ui| {
        ui.label("Changes");
        ui.selectable_value(&mut policy, ApprovalPolicy::Ask, "Ask me").on_hover_text("Every change waits in Review");
        ui.selectable_value(&mut policy, ApprovalPolicy::AutoApprove, "Apply clean changes")
            .on_hover_text("Changes without Craft findings are applied at once (still undoable)");
        ui.selectable_value(&mut policy, ApprovalPolicy::ReadOnly, "Read-only").on_hover_text("Nothing is written");
    });
    if policy != open.approval_policy {
        intents.send(Command::SetApprovalPolicy { project: open.project.id, policy });
        open.approval_policy = policy;
    }
}

/// What the agents' commands may do: the four sandbox policies, and the machine's problem if any.
fn sandbox_ui(ui: &mut Ui, open: &mut ProjectView, intents: &mut Intents) {
    let mut policy = open.sandbox_policy;
    ui.horizontal(|ui| {
        ui.label("Commands");
        egui::ComboBox::from_id_salt("sandbox_policy").selected_text(policy.name()).show_ui(ui, |ui| {
            for choice in crate::domain::SandboxPolicy::ALL {
                ui.selectable_value(&mut policy, choice, choice.name()).on_hover_text(choice.describe());
            }
        });
    });
    ui.label(egui::RichText::new(policy.describe()).weak());
    if let Some(problem) = &open.sandbox_problem {
        ui.colored_label(theme::of(ui).warning, problem);
    }
    if policy != open.sandbox_policy {
        intents.send(Command::SetSandboxPolicy { project: open.project.id, policy });
        open.sandbox_policy = policy;
    }
}

/// `no_repo`: the workspace is not a git repository, so commits per task cannot happen (and say so).
fn loop_settings_ui(ui: &mut Ui, open: &mut ProjectView, no_repo: bool, intents: &mut Intents) {
    approval_ui(ui, open, intents);
    sandbox_ui(ui, open, intents);
    let mut settings = open.loop_settings;
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.autopilot, "Autopilot (approve work orders and clean changes without asking)");
        ui.label("Attempts per task");
        ui.add(DragValue::new(&mut settings.max_attempts).range(1..=10));
    });
    ui.checkbox(&mut settings.commit_per_task, "Commit each verified task (git workspaces only; never pushed)")
        .on_hover_text("A task whose receipt is Verified gets a commit of exactly its accepted changes");
    if no_repo {
        ui.label(
            egui::RichText::new("Off here: the workspace is not a git repository (the Git tab offers git init)").weak(),
        );
    }

    if settings != open.loop_settings {
        intents.send(Command::SetLoopSettings { project: open.project.id, settings });
        open.loop_settings = settings;
    }
}

/// One click fills the form with a model a local server serves.
fn local_models_ui(ui: &mut Ui, open: &mut ProjectView, servers: &[LocalServerStatus]) {
    let served: Vec<(&LocalServerStatus, &String)> =
        servers.iter().flat_map(|s| s.models.iter().flatten().map(move |m| (s, m))).collect();
    if served.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("On this machine:").weak());
        for (server, model) in served {
            if ui.button(format!("{model} ({})", server.name)).clicked() {
                open.model_draft =
                    ModelChoice { context_window: open.model_draft.context_window, ..server.choice(model) };
            }
        }
    });
}
