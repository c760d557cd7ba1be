//! Helpers the desktop's UI tests share: the app under egui_kittest (no GPU) with a real engine
//! over a real store in a temp dir, and stepping frames until the engine's answers have arrived.

#![allow(dead_code)] // each test binary uses the helpers it needs

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aura::engine;
use aura::protocol::Command;
use aura::ui::{AuraApp, Connection};
use egui_kittest::Harness;

/// The app over the store at `data`, its engine on `runtime`.
pub fn app_with_store(data: &Path, runtime: &tokio::runtime::Runtime) -> AuraApp {
    AuraApp::new(engine::launch(runtime.handle(), data.to_path_buf(), Arc::new(|| {})))
}

pub fn harness(app: AuraApp) -> Harness<'static, AuraApp> {
    // Tall enough that the Settings pane shows every section without scrolling.
    Harness::builder().with_size([1280.0, 1600.0]).build_ui_state(|ui, app: &mut AuraApp| app.ui_contents(ui), app)
}

pub fn harness_with_store(data: std::path::PathBuf, runtime: &tokio::runtime::Runtime) -> Harness<'static, AuraApp> {
    harness(app_with_store(&data, runtime))
}

/// Steps frames until `done` holds (engine answers arrive off the UI thread), for up to `tries`.
pub fn step_until(harness: &mut Harness<'_, AuraApp>, tries: u32, what: &str, done: impl Fn(&AuraApp) -> bool) {
    for _ in 0..tries {
        harness.run_steps(1);
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}");
}

/// Steps frames until the engine's welcome has been applied (the store opens off the UI thread).
pub fn wait_until_ready(harness: &mut Harness<'_, AuraApp>) {
    step_until(harness, 500, "the engine never answered", |app| {
        matches!(app.view().connection, Connection::Ready { .. } | Connection::Failed(_))
    });
}

/// Waits until no engine of this process holds the store at `data` (a dropped app's engine
/// finishes its queued writes first), so the next app can open it, as the next start would.
pub fn wait_until_closed(data: &Path) {
    for _ in 0..500 {
        if aura::store::Store::open(data, &Default::default()).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the store was never closed");
}

/// Waits for the engine, then opens `workspace` as the project, as the app does.
pub fn open_in_app(harness: &mut Harness<'_, AuraApp>, workspace: &Path) {
    wait_until_ready(harness);
    harness.state_mut().send(Command::OpenProject { root: workspace.to_path_buf() });
    step_until(harness, 1_500, "the project never opened", |app| app.view().project.is_some());
}

/// Sets the open project's Planner and Worker to the emulator's OpenAI-compatible endpoint and waits
/// until the engine has stored it.
pub fn use_emulator(harness: &mut Harness<'_, AuraApp>, emulator: &aura::llm::emulator::Emulator) {
    use aura::llm::ProviderKind;
    let project = harness.state().view().project.as_ref().expect("a project is open").project.id;
    let model = aura::protocol::ModelChoice {
        provider: ProviderKind::Openai,
        base_url: Some(emulator.base_url(ProviderKind::Openai)),
        model: "emu-coder".into(),
        context_window: None,
    };
    harness.state_mut().send(Command::SetModels { project, planner: model.clone(), worker: model });
    step_until(harness, 1_500, "the model was never set", |app| {
        app.view().project.as_ref().is_some_and(|p| p.models.is_some())
    });
}

/// Types `text` into the chat's input and presses Enter, as a person sends a message.
pub fn type_message(harness: &mut Harness<'_, AuraApp>, text: &str) {
    use egui_kittest::kittest::Queryable;
    let input = egui::accesskit::Role::MultilineTextInput;
    harness.get_by_role(input).focus();
    harness.run_steps(1);
    harness.get_by_role(input).type_text(text);
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(1);
}
