//! Helpers the UI tests share: the app in an egui_kittest harness over the real engine and a real
//! store, stepping frames until the view shows something, and opening a project as the app does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aura::engine;
use aura::protocol::Command;
use aura::ui::{AuraApp, Connection};
use egui_kittest::Harness;

pub fn harness(data: PathBuf, runtime: &tokio::runtime::Runtime) -> Harness<'static, AuraApp> {
    let app = AuraApp::new(engine::launch(runtime.handle(), data, Arc::new(|| {})));
    Harness::builder().with_size([1400.0, 1000.0]).build_ui_state(|ui, app: &mut AuraApp| app.ui_contents(ui), app)
}

/// Steps frames (up to about 15 s) until `done`; panics with `what` if it never is.
pub fn step_until(harness: &mut Harness<'_, AuraApp>, what: &str, done: impl Fn(&AuraApp) -> bool) {
    for _ in 0..1_500 {
        harness.run_steps(1);
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}");
}

/// Waits for the engine, then opens `workspace` as the project.
pub fn open_in_app(harness: &mut Harness<'_, AuraApp>, workspace: &Path) {
    step_until(harness, "the engine never answered", |app| matches!(app.view().connection, Connection::Ready { .. }));
    harness.state_mut().send(Command::OpenProject { root: workspace.to_path_buf() });
    step_until(harness, "the project never opened", |app| app.view().project.is_some());
}
