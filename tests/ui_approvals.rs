//! A command waiting for approval, as a person meets it in the Chat tab: the card names the
//! command, why it asks and the sandbox, and "Allow once" runs it; its write then waits in Review.
//! The real engine, store and workspace in temp dirs, the provider emulator on loopback.

use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Turn};
use aura::ui::Tab;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use serde_json::json;

mod ui_harness;

use ui_harness::{harness_with_store, open_in_app, step_until, wait_until_ready};

#[test]
fn the_chat_asks_before_a_command_and_allow_once_runs_it_in_the_sandbox() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": "touch TODO.md"}))]),
        Turn::text("Made TODO.md."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    open_in_app(&mut harness, workspace.path());
    ui_harness::use_emulator(&mut harness, &emulator);
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    harness.get_by_role(Role::MultilineTextInput).focus();
    harness.run_steps(1);
    harness.get_by_role(Role::MultilineTextInput).type_text("Make a TODO file");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 1_500, "the command never asked", |app| {
        app.view().chat.items.iter().any(|i| matches!(i, aura::ui::ChatItem::Command { .. }))
    });
    harness.run_steps(2);
    harness.get_by_label("Command asks to run");
    harness.get_by_label("$ touch TODO.md");
    harness.get_by_label_contains("Why it asks: `touch TODO.md` is not in the allowed commands");
    harness.get_by_label_contains("Sandbox: workspace-write");
    harness.get_by_label("Allow once").click();
    step_until(&mut harness, 1_500, "the command's write never reached Review", |app| {
        !app.view().review.pending.is_empty()
    });
    harness.run_steps(2);
    harness.get_by_label("Allowed once");
    harness.get_by_label_contains("Change: command: touch TODO.md");
    assert!(!workspace.path().join("TODO.md").exists(), "nothing lands before Review");
}
