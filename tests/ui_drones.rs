//! Drone runs in the desktop, against the real engine over a real store and workspace in temp dirs
//! and the provider emulator on loopback: summoned from the Drones tab or the chat, a run opens its
//! Drone's own tab, streams its conversation there and ends with a receipt, also listed in Tasks.
//! Runs the engine starts on a trigger only join the list.

use aura::domain::{
    ChangeSet, DroneId, DroneRun, Isolation, Message, Receipt, ReceiptId, ReceiptSubject, Record, Role, SessionId,
    Trigger, Usage, Verdict, now_millis,
};
use aura::edits::{WriteFile, plan_write};
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::{self, call, text};
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::Event;
use aura::tools::Workspace;
use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::{AccessKitNode, Queryable};
use serde_json::json;

mod ui_harness;

use ui_harness::{harness_with_store, open_in_app, step_until};

const GOAL_HINT: &str = "What should it do? e.g. review the last task";

/// Opens `workspace` and waits until its Drones are listed.
fn open_with_drones(harness: &mut Harness<'_, AuraApp>, workspace: &std::path::Path) {
    open_in_app(harness, workspace);
    step_until(harness, 1_500, "the Drones were never listed", |app| !app.view().drones.drones.is_empty());
}

fn goal_field(node: &AccessKitNode<'_>) -> bool {
    node.placeholder() == Some(GOAL_HINT)
}

/// Types `text` into the focused-on-click input that `find` picks, then presses Enter.
fn type_into(harness: &mut Harness<'_, AuraApp>, find: impl Fn(&AccessKitNode<'_>) -> bool + Copy, text: &str) {
    harness.get_by(find).focus();
    harness.run_steps(1);
    harness.get_by(find).type_text(text);
    harness.run_steps(1);
}

#[test]
fn a_drone_summoned_from_its_tab_or_the_chat_streams_in_its_own_tab_and_ends_with_a_receipt() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir(workspace.path().join("src")).unwrap();
    std::fs::write(workspace.path().join("src/lib.rs"), demo::LIB_RS).unwrap();
    // The built-in review Drone reads with the project's Worker model: one run per summons.
    let script = Script::new(vec![
        Turn::steps(vec![call("read_file", json!({"path": "src/lib.rs"}))]),
        text("`add` is small and tested; nothing to fix."),
        text("The docs match the code."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    open_with_drones(&mut harness, workspace.path());
    ui_harness::use_emulator(&mut harness, &emulator);

    // From the Drones tab: pick it, give it a goal, Summon; its own tab opens.
    harness.state_mut().show_tab(Tab::Drones);
    harness.run_steps(2);
    harness.get_by_label("review\nreview of changes").click();
    harness.run_steps(2);
    harness.get_by_label_contains("read-only · after each finished task · ");
    // Its trigger is off until the project turns triggers on (they spend tokens unasked).
    harness.get_by_label("Drones run on their triggers in this project").click();
    step_until(&mut harness, 1_500, "triggers were never turned on", |app| {
        app.view().project.as_ref().is_some_and(|p| p.loop_settings.drone_triggers)
    });
    type_into(&mut harness, goal_field, "review the library");
    harness.get_by_label("Summon").click();
    let review = Tab::Drone("review".into());
    step_until(&mut harness, 1_500, "the run never finished", |app| {
        app.open_tabs().contains(&review) && app.view().drones.runs.receipts().next().is_some()
    });
    harness.run_steps(3);
    // In the list, above the conversation, and as what was asked in it.
    assert_eq!(harness.get_all_by_label("review the library").count(), 3);
    harness.get_by_label_contains("▸ read src/lib.rs → ");
    harness.get_by_label("add is small and tested; nothing to fix.");
    harness.get_by_label_contains("by you · shared workspace, read-only · ");
    harness.get_by_label_contains("Receipt: ");
    harness.get_by_label("read-only: it changed nothing, so there was nothing to check");
    assert!(harness.query_by_label("Stop").is_none(), "it ended");
    let chat = &harness.state().view().chat;
    assert!(!chat.items.iter().any(|i| matches!(i, aura::ui::ChatItem::Receipt(_))), "not the chat's receipt");

    // From the chat: `/drone NAME goal`; the Drone's tab comes forward with the new run on show.
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    let chat_input = |node: &AccessKitNode<'_>| node.role() == egui::accesskit::Role::MultilineTextInput;
    type_into(&mut harness, chat_input, "/drone review check the docs");
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 1_500, "the second run never finished", |app| {
        app.view().drones.runs.receipts().count() == 2
    });
    harness.state_mut().show_tab(review.clone());
    harness.run_steps(3);
    harness.get_by_label("The docs match the code.");
    let goals: Vec<&str> = harness.state().view().drones.runs.of("review").map(|r| r.goal.as_str()).collect();
    assert_eq!(goals, ["check the docs", "review the library"], "newest first");

    // Tasks lists both receipts, newest first (the Chat in front of the Drone's tab, out of the way).
    harness.state_mut().show_tab(Tab::Chat);
    harness.state_mut().show_tab(Tab::Tasks);
    harness.run_steps(2);
    harness.get_by_label("Drone runs");
    assert_eq!(harness.get_all_by_label("review").count(), 2);
    let goals: Vec<f32> =
        ["check the docs", "review the library"].iter().map(|g| harness.get_by_label(g).rect().min.y).collect();
    assert!(goals[0] < goals[1], "newest first");
}

fn run_of(app: &AuraApp, drone: &str, trigger: Option<Trigger>, isolation: Isolation) -> DroneRun {
    DroneRun {
        id: DroneId::new(),
        project: app.view().project.as_ref().unwrap().project.id,
        drone: drone.into(),
        goal: "document the public API".into(),
        session: SessionId::new(),
        isolation,
        trigger,
        started_at: now_millis(),
        receipt: None,
    }
}

fn receipt_of(run: &DroneRun, verdict: Verdict, summary: &str) -> Receipt {
    Receipt {
        id: ReceiptId::new(),
        subject: ReceiptSubject::DroneRun { drone: run.id, session: run.session },
        asked: run.goal.clone(),
        changesets: Vec::new(),
        files_changed: Vec::new(),
        commands: Vec::new(),
        craft_findings: Vec::new(),
        usage: Usage::default(),
        verdict,
        summary: summary.into(),
        created_at: now_millis(),
        commit: None,
    }
}

#[test]
fn a_triggered_run_joins_its_drones_list_and_its_change_opens_in_review() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("api.md"), "# API\n").unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    open_with_drones(&mut harness, workspace.path());

    // The engine started it after a task: it is listed, but no tab opens for it.
    let isolation = Isolation::Worktree { path: "/tmp/wt".into(), branch: "aura/drone/docs/1".into() };
    let run = run_of(harness.state(), "docs", Some(Trigger::AfterTaskFinished), isolation);
    harness.state_mut().apply(Event::DroneRunStarted { run: run.clone() });
    harness.run_steps(2);
    let docs = Tab::Drone("docs".into());
    assert!(!harness.state().open_tabs().contains(&docs));
    assert!(harness.state().view().drones.runs.is_running("docs"));
    harness.state_mut().show_tab(docs.clone());
    harness.run_steps(2);
    harness.get_by_label("running");
    harness.get_by_label("Stop");

    // Its change waits in Review; the Drone's tab offers to open it there.
    let write = WriteFile { path: "api.md".into(), content: "# API\n\n`add(a, b)`\n".into(), expected_hash: None };
    let change = plan_write(&write, &Workspace::open(workspace.path()).unwrap()).unwrap();
    let changeset = ChangeSet::new(Some(run.session), "Document add", vec![change]);
    harness.state_mut().apply(Event::ChangeSetProposed { changeset: changeset.clone() });
    let said = Message::text(run.session, Role::Assistant, "The API page now documents `add`.");
    harness.state_mut().apply(Event::Recorded { session: run.session, seq: 1, record: Record::Message(said) });
    let receipt = receipt_of(&run, Verdict::Verified, "api.md documents every public function.");
    harness.state_mut().apply(Event::DroneRunFinished { run: DroneRun { receipt: Some(receipt), ..run.clone() } });
    harness.run_steps(3);
    harness.get_by_label_contains("after a task finished · worktree aura/drone/docs/1 · ");
    harness.get_by_label("The API page now documents add.");
    harness.get_by_label("Receipt: Verified");
    assert!(harness.query_by_label("Stop").is_none(), "a finished run cannot be stopped");
    harness.get_all_by_label("Open in Review").next().expect("the change waits").click();
    harness.run_steps(3);
    assert_eq!(harness.state().view().review.selected, Some(changeset.id));
}

#[test]
fn the_palette_opens_a_drones_tab_with_its_goal_field_ready() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    open_with_drones(&mut harness, workspace.path());
    harness.key_press_modifiers(egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT), egui::Key::P);
    harness.run_steps(2);
    harness.get_by(|node: &AccessKitNode<'_>| node.placeholder() == Some("Type a command")).type_text("summon tests");
    harness.run_steps(2);
    harness.get_by_label("Summon Drone: tests");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert!(harness.state().open_tabs().contains(&Tab::Drone("tests".into())));
    harness.get_by_label("No runs yet: give it a goal and summon it.");
    // The goal field has the keyboard: typing goes straight into it.
    harness.get_by(goal_field).type_text("cover the parser");
    harness.run_steps(2);
    harness.get_by(|node: &AccessKitNode<'_>| {
        node.role() == egui::accesskit::Role::TextInput && node.value().as_deref() == Some("cover the parser")
    });
}

#[test]
fn drones_summoned_at_once_each_open_their_own_tab() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    open_with_drones(&mut harness, workspace.path());
    let names = ["docs", "tests", "review"];
    for name in names {
        let run = run_of(harness.state(), name, None, Isolation::Shared);
        harness.state_mut().apply(Event::DroneRunStarted { run });
    }
    harness.run_steps(2);
    let open = harness.state().open_tabs();
    for name in names {
        assert!(open.contains(&Tab::Drone(name.into())), "{name} has no tab: {open:?}");
    }
}
