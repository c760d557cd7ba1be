//! The dev loop driven by a person through the protocol (autopilot off): a work order approved as
//! edited, pause and resume between tool calls, a ChangeSet accepted in Review, a task blocked
//! mid-turn, and regenerated specs that never overwrite a spec file without review.

mod common;

use common::{launch, open_project, use_emulator, wait};

use std::path::Path;
use std::time::{Duration, Instant};

use aura::domain::{ChangeSetStatus, TaskStatus, WorkOrder};
use aura::engine::EngineClient;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::{SPEC_01, call, plan, task_01, text};
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::protocol::{ChangeSetDecision, Command, Event, LoopControl, LoopSettings, LoopState, WorkOrderDecision};
use serde_json::json;

fn open(client: &mut EngineClient, workspace: &Path, emulator: &Emulator, autopilot: bool) -> aura::domain::ProjectId {
    let project = open_project(client, workspace);
    use_emulator(client, project, emulator, LoopSettings { autopilot, ..LoopSettings::default() });
    project
}

#[test]
fn a_person_approves_an_edited_order_pauses_accepts_a_change_and_blocks_a_task() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("specs")).unwrap();
    let spec = SPEC_01.replace(
        "- [ ] 01.1 Create the crate with add and its test\n",
        "- [ ] 01.1 Create the crate with add and its test\n- [ ] 01.2 Name the crate (depends_on: 01.1)\n",
    );
    std::fs::write(workspace.path().join("specs/01-crate.md"), spec).unwrap();
    let mut turns = task_01();
    turns.extend([
        plan("Pick a name"),
        Turn::steps(vec![Step::Delay { ms: 30_000 }, Step::Text { text: "late".into() }]),
    ]);
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open(&mut client, workspace.path(), &emulator, false);
    client.send(Command::Loop { project, control: LoopControl::Start });

    // The order waits for the person, who edits its goal.
    let order: WorkOrder = wait(&client, |e| match e {
        Event::WorkOrderProposed { work_order } => Some(work_order.clone()),
        _ => None,
    });
    assert_eq!(emulator.requests().len(), 1);
    client.send(Command::Loop { project, control: LoopControl::Pause });
    let edited = WorkOrder { goal: "Create the mathlib crate, as the user asked".into(), ..order.clone() };
    client.send(Command::DecideWorkOrder {
        work_order: order.id,
        decision: WorkOrderDecision::ApproveEdited { work_order: edited },
    });

    // Paused before the Worker's first request: nothing is asked until Resume.
    let task = wait(&client, |e| match e {
        Event::LoopChanged { state: LoopState::Paused, task, .. } => Some(task.expect("paused on a task")),
        _ => None,
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(emulator.requests().len(), 1, "paused at a safe point");
    client.send(Command::Loop { project, control: LoopControl::Resume });

    // The Worker's patch waits in Review until the person accepts it.
    let changeset = wait(&client, |e| match e {
        Event::ChangeSetProposed { changeset } if changeset.title == "patch" => Some(changeset.clone()),
        _ => None,
    });
    assert!(!workspace.path().join("Cargo.toml").exists(), "nothing is written before the decision");
    assert!(emulator.requests()[1].body["messages"].to_string().contains("as the user asked"), "the edited order");
    client.send(Command::DecideChangeSet {
        changeset: changeset.id,
        decision: ChangeSetDecision::AcceptAll,
        comment: None,
    });
    let receipt = wait(&client, |e| match e {
        Event::ReceiptIssued { receipt } => Some(receipt.clone()),
        _ => None,
    });
    assert_eq!(receipt.verdict, aura::domain::Verdict::Verified, "{}", receipt.summary);
    assert_eq!(receipt.files_changed, ["Cargo.toml", "src/lib.rs"]);
    wait(&client, |e| {
        matches!(e, Event::TaskChanged { task: t, to: TaskStatus::Done, .. } if *t == task).then_some(())
    });

    // 01.2: approved, then blocked by the person while its Worker is still thinking.
    let order = wait(&client, |e| match e {
        Event::WorkOrderProposed { work_order } => Some(work_order.clone()),
        _ => None,
    });
    client.send(Command::DecideWorkOrder { work_order: order.id, decision: WorkOrderDecision::Approve });
    let started = Instant::now();
    while emulator.requests().len() < 5 {
        assert!(started.elapsed() < Duration::from_secs(30), "the Worker never asked");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = order.task.unwrap();
    client.send(Command::BlockTask { task: second, reason: "the name needs a decision".into() });
    let reason = wait(&client, |e| match e {
        Event::TaskChanged { task, to: TaskStatus::Blocked, reason, .. } if *task == second => reason.clone(),
        _ => None,
    });
    assert_eq!(reason, "the name needs a decision");
    let state = wait(&client, |e| match e {
        Event::LoopChanged { state: s @ (LoopState::Blocked | LoopState::Finished), reason, .. } => {
            Some((*s, reason.clone()))
        }
        _ => None,
    });
    assert_eq!(state.0, LoopState::Blocked);
    assert!(state.1.unwrap().contains("01.2 is blocked"));
    assert!(started.elapsed() < Duration::from_secs(20), "the 30 s reply was not waited for");
}

#[test]
fn regenerated_specs_never_overwrite_a_spec_file_without_review() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("requirements.md"), "# mathlib\nadd and mul.\n").unwrap();
    std::fs::create_dir_all(workspace.path().join("specs")).unwrap();
    std::fs::write(workspace.path().join("specs/01-crate.md"), SPEC_01).unwrap();
    let rewritten = SPEC_01.replace("The crate and its first function.", "Rewritten by the model.");
    let new_spec = "# 02 — Mul\n\n## Tasks\n\n- [ ] 02.1 Add mul (depends_on: 01.1)\n";
    let emulator = runtime
        .block_on(Emulator::start(Script::new(vec![
            Turn::steps(vec![
                call("write_file", json!({"path": "specs/01-crate.md", "content": rewritten})),
                call("write_file", json!({"path": "specs/02-mul.md", "content": new_spec})),
            ]),
            text("Rewrote 01 and added 02."),
        ])))
        .unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open(&mut client, workspace.path(), &emulator, true);
    client.send(Command::GenerateSpecs { project });
    let held = wait(&client, |e| match e {
        Event::ChangeSetProposed { changeset } => Some(changeset.clone()),
        _ => None,
    });
    assert_eq!(held.files[0].path, "specs/01-crate.md", "the overwrite waits, even in autopilot");
    client.send(Command::DecideChangeSet {
        changeset: held.id,
        decision: ChangeSetDecision::RejectAll,
        comment: Some("keep my purpose".into()),
    });
    let decided = wait(&client, |e| match e {
        Event::ChangeSetDecided { changeset, .. } if changeset.files[0].path == "specs/02-mul.md" => {
            Some(changeset.clone())
        }
        _ => None,
    });
    assert_eq!(decided.status, ChangeSetStatus::Applied, "a new spec file follows the policy");
    let tasks = wait(&client, |e| match e {
        Event::SpecsChanged { tasks, .. } => Some(tasks.clone()),
        _ => None,
    });
    assert_eq!(tasks.len(), 2);
    assert_eq!(std::fs::read_to_string(workspace.path().join("specs/01-crate.md")).unwrap(), SPEC_01);
    let second = emulator.requests()[1].body["messages"].to_string();
    assert!(second.contains("rejected by the reviewer") && second.contains("keep my purpose"), "{second}");
}
