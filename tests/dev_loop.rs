//! The dev loop end to end: the real binary (`aura run`) against the provider emulator playing a
//! scripted run on a real temp workspace, with `cargo test` run for real on the crate it builds.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aura::llm::ProviderKind;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::{
    REQUIREMENTS, SPEC_01, SPEC_02, call, plan, script, spec_turns, task_01, task_mul, task_sub, text,
};
use aura::llm::emulator::script::{Script, Step, Turn};
use serde_json::{Value, json};

fn aura(args: &[&str], data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aura"));
    command
        .args(args)
        .env("AURA_DATA_DIR", data)
        .env("AURA_LOG", "aura=warn")
        // Each scripted crate builds in its own folder: a shared target dir (set for this suite's own
        // build) would let parallel runs overwrite each other's `mathlib`.
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run_args<'a>(workspace: &'a str, base: &'a str) -> Vec<&'a str> {
    vec!["run", "--workspace", workspace, "--provider", "openai", "--base-url", base, "--model", "emu-coder"]
}

fn text_of(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn tasks_json(workspace: &Path, data: &Path) -> Vec<Value> {
    let output = aura(&["tasks", "--workspace", workspace.to_str().unwrap(), "--json"], data).output().unwrap();
    assert!(output.status.success(), "{}", text_of(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn statuses(tasks: &[Value]) -> Vec<(String, String, u64)> {
    tasks
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
                t["attempts"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn new_workspace() -> tempfile::TempDir {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("requirements.md"), REQUIREMENTS).unwrap();
    workspace
}

fn cargo_test_passes(workspace: &Path) -> String {
    let output = Command::new("cargo")
        .args(["test", "--quiet"])
        .current_dir(workspace)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let text = text_of(&output);
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn requirements_become_specs_tasks_patches_and_verified_receipts() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    let emulator = runtime.block_on(Emulator::start(script())).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let output = aura(&run_args(workspace.path().to_str().unwrap(), &base), data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    for line in [
        "specs 2  tasks 3 (0 done)",
        "01.1 started",
        "01.1 verified  verified by `cargo test` (1 passed)",
        "02.1 verified  verified by `cargo test` (2 passed)",
        "02.2 verified  verified by `cargo test` (3 passed)",
        "all tasks done",
    ] {
        assert!(log.contains(line), "missing `{line}` in:\n{log}");
    }
    assert_eq!(emulator.requests().len(), 11, "2 for specs, then 3 per task");
    let tasks = tasks_json(workspace.path(), data.path());
    assert_eq!(
        statuses(&tasks),
        [("01.1".into(), "done".into(), 1), ("02.1".into(), "done".into(), 1), ("02.2".into(), "done".into(), 1)]
    );
    assert_eq!(tasks[1]["depends_on"], json!(["01.1"]));
    let spec_02 = std::fs::read_to_string(workspace.path().join("specs/02-operations.md")).unwrap();
    assert!(
        spec_02.contains("- [x] 02.1 Add mul") && spec_02.contains("- [x] 02.2 Add sub"),
        "boxes ticked:\n{spec_02}"
    );
    let lib = std::fs::read_to_string(workspace.path().join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub fn mul") && lib.contains("pub fn sub"), "{lib}");
    let cargo = cargo_test_passes(workspace.path());
    assert!(cargo.contains("3 passed"), "{cargo}");

    // The Worker's requests carry the work order, and the prefix stays cached across the run.
    let requests = emulator.requests();
    let worker = &requests[4].body;
    let messages = worker["messages"].to_string();
    assert!(messages.contains("## Goal") && messages.contains("Create the mathlib crate with add"), "{messages}");
    let specs = aura(&["specs", "--workspace", workspace.path().to_str().unwrap()], data.path()).output().unwrap();
    assert!(
        text_of(&specs).contains("02  Operations") && text_of(&specs).contains("2/2 tasks done"),
        "{}",
        text_of(&specs)
    );

    // The chat keeps the run's cards: the project's one conversation holds every work order and
    // receipt, so it reads after a restart as it did live; the spec writer's session is no chat.
    let store = aura::store::Store::open(data.path(), &aura::store::StoreOptions::default()).unwrap();
    let sessions = store.list::<aura::domain::Session>().unwrap().items;
    let chats: Vec<_> = sessions.iter().filter(|s| s.kind == aura::domain::SessionKind::Chat).collect();
    assert_eq!(chats.len(), 1, "{sessions:?}");
    assert!(sessions.iter().any(|s| s.kind == aura::domain::SessionKind::Specs), "{sessions:?}");
    let cards = store.records_from(chats[0].id, 1, usize::MAX).unwrap().records;
    let orders: std::collections::HashSet<_> = cards
        .iter()
        .filter_map(|r| match &r.record {
            aura::domain::Record::WorkOrder(order) => Some(order.id),
            _ => None,
        })
        .collect();
    let receipts = cards.iter().filter(|r| matches!(r.record, aura::domain::Record::Receipt(_))).count();
    assert_eq!((orders.len(), receipts), (3, 3), "{cards:?}");
}

/// Reads the child's stdout lines on a thread, so the test can wait for one.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

#[test]
fn a_killed_run_resumes_with_the_interrupted_task_ready_and_no_done_task_redone() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    let mut turns = spec_turns();
    turns.extend(task_01());
    // 02.1's Worker thinks for a long time: the process is killed during it.
    turns.extend(task_mul(Some(Step::Delay { ms: 120_000 })));
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let mut child = aura(&run_args(workspace.path().to_str().unwrap(), &base), data.path()).spawn().unwrap();
    let lines = lines_of(&mut child);
    let started = Instant::now();
    let mut seen = Vec::new();
    while emulator.requests().len() < 7 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run never reached 02.1's Worker:\n{}",
            seen.join("\n")
        );
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            seen.push(line);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = statuses(&tasks_json(workspace.path(), data.path()));
    assert_eq!(before[0], ("01.1".into(), "done".into(), 1));
    assert_eq!(before[1], ("02.1".into(), "in_progress".into(), 1), "killed mid-task");

    let mut turns = task_mul(None);
    turns.extend(task_sub());
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let output = aura(&run_args(workspace.path().to_str().unwrap(), &base), data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("02.1 failed  interrupted: Aura stopped during this task"), "{log}");
    assert!(!log.contains("01.1 started"), "a done task was redone:\n{log}");
    assert_eq!(emulator.requests().len(), 6, "only 02.1 and 02.2 were asked for");
    assert_eq!(
        statuses(&tasks_json(workspace.path(), data.path())),
        [("01.1".into(), "done".into(), 1), ("02.1".into(), "done".into(), 1), ("02.2".into(), "done".into(), 1)],
        "the interrupted attempt does not count"
    );
    cargo_test_passes(workspace.path());
}

#[test]
fn an_invalid_task_list_is_repaired_by_the_model_or_shown_to_the_user() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bad_01 = SPEC_01.replace(
        "- [ ] 01.1 Create the crate with add and its test",
        "- [x] 01.1 Create the crate with add and its test\n- [ ] 01.2 Document add (depends_on: 01.9)",
    );
    let bad_02 = SPEC_02
        .replace("(depends_on: 01.1)\n- [ ] 02.2", "(depends_on: 02.2)\n- [ ] 02.2")
        .replace("Add sub with a test (depends_on: 01.1)", "Add sub with a test (depends_on: 02.1)");
    let setup = |workspace: &Path| {
        std::fs::create_dir_all(workspace.join("specs")).unwrap();
        std::fs::write(workspace.join("specs/01-crate.md"), &bad_01).unwrap();
        std::fs::write(workspace.join("specs/02-operations.md"), &bad_02).unwrap();
    };

    // A model that does not fix anything: after two rounds the user sees every problem.
    let workspace = new_workspace();
    setup(workspace.path());
    let data = tempfile::tempdir().unwrap();
    let emulator =
        runtime.block_on(Emulator::start(Script::new(vec![text("I see no problem."), text("Still none.")]))).unwrap();
    let output =
        aura(&run_args(workspace.path().to_str().unwrap(), &emulator.base_url(ProviderKind::Openai)), data.path())
            .output()
            .unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(3), "{log}");
    assert!(log.contains("specs/01-crate.md:21: 01.2 depends on 01.9, which no spec lists"), "{log}");
    assert_eq!(emulator.requests().len(), 2, "two repair rounds");
    let repair = emulator.requests()[0].body["messages"].to_string();
    assert!(repair.contains("01.9, which no spec lists"), "the model is shown the problem: {repair}");

    // A model that repairs the lines: the fix is a reviewed change, then the graph builds.
    let workspace = new_workspace();
    setup(workspace.path());
    let data = tempfile::tempdir().unwrap();
    let turns = vec![
        Turn::steps(vec![
            call(
                "replace",
                json!({"path": "specs/01-crate.md", "old": "(depends_on: 01.9)", "new": "(depends_on: 01.1)"}),
            ),
            call(
                "replace",
                json!({"path": "specs/02-operations.md", "old": "Add mul with a test (depends_on: 02.2)", "new": "Add mul with a test (depends_on: 01.1)"}),
            ),
        ]),
        text("Pointed 01.2 at 01.1 and broke the cycle between 02.1 and 02.2."),
    ];
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let output =
        aura(&run_args(workspace.path().to_str().unwrap(), &emulator.base_url(ProviderKind::Openai)), data.path())
            .output()
            .unwrap();
    let log = text_of(&output);
    assert!(log.contains("applied edit specs/01-crate.md"), "{log}");
    assert!(log.contains("specs 2  tasks 4 (1 done)"), "the repaired list was read: {log}");
    let tasks = tasks_json(workspace.path(), data.path());
    assert_eq!(tasks[1]["depends_on"], json!(["01.1"]));
    assert_eq!(tasks[2]["depends_on"], json!(["01.1"]));
    assert_eq!(tasks[3]["depends_on"], json!(["02.1"]));
    // The script has nothing more to say, so the Planner submits no order and the loop stops for the user.
    assert_eq!(output.status.code(), Some(3), "{log}");
}

#[test]
fn a_full_session_rotates_at_the_task_boundary_into_a_summary_and_keeps_the_task() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    let summary = "## Decisions\nThe crate is mathlib.\n## State of the codebase\nadd exists with a test.\n## Next focus\nmul and sub.\n## Open problems\nNone.";
    let mut turns = spec_turns();
    turns.extend(task_01());
    turns.push(text(summary));
    turns.extend(task_mul(None));
    turns.push(text(&summary.replace("mul and sub", "sub")));
    turns.extend(task_sub());
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let mut args = run_args(workspace.path().to_str().unwrap(), &base);
    // A small window: after 01.1, and again after 02.1, the Worker's session is past 80% of it.
    args.extend(["--context-window", "2000"]);
    let output = aura(&args, data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("context rotated (session 1)") && log.contains("context rotated (session 2)"), "{log}");
    assert!(log.contains("old tool results shortened (tier"), "compaction inside a task is visible: {log}");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 13, "the run plus two summaries");
    let body = |i: usize| requests[i].body["messages"].to_string();
    assert!(body(5).contains("Next focus"), "request 6 asks for the summary: {}", body(5));
    // 02.1's Worker starts from the summary, without 01.1's transcript, and has its own task.
    for i in [7, 8] {
        let worker = body(i);
        assert!(worker.contains("Where the previous session left off") && worker.contains("mul and sub"), "{worker}");
        assert!(!worker.contains("Create the mathlib crate with add"), "the old transcript is gone: {worker}");
        assert!(worker.contains("## Goal") && worker.contains("Add mul"), "goal and plan in every request: {worker}");
    }
    cargo_test_passes(workspace.path());
}

#[test]
fn a_failed_attempt_is_retried_with_its_notes_and_then_verified() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("specs")).unwrap();
    std::fs::write(workspace.path().join("specs/01-crate.md"), SPEC_01).unwrap();
    // The first attempt writes a test that fails; the second fixes it.
    let mut turns = task_01();
    if let Step::ToolCall { arguments, .. } = &mut turns[1].steps[0] {
        *arguments = arguments.replace("assert_eq!(add(2, 3), 5);", "assert_eq!(add(2, 3), 6);");
    }
    turns.extend([
        plan("Fix the add test"),
        Turn::steps(vec![call(
            "replace",
            json!({"path": "src/lib.rs", "old": "assert_eq!(add(2, 3), 6);", "new": "assert_eq!(add(2, 3), 5);"}),
        )]),
        text("Fixed the expected sum."),
    ]);
    let emulator = runtime.block_on(Emulator::start(Script::new(turns))).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let output = aura(&run_args(workspace.path().to_str().unwrap(), &base), data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("01.1 failed  new failures: tests::adds (cargo test)"), "{log}");
    assert!(log.contains("01.1 verified  verified by `cargo test` (1 passed)"), "{log}");
    assert_eq!(statuses(&tasks_json(workspace.path(), data.path())), [("01.1".into(), "done".into(), 2)]);
    let retry_plan = emulator.requests()[3].body["messages"].to_string();
    assert!(
        retry_plan.contains("Earlier attempts at this task") && retry_plan.contains("new failures: tests::adds"),
        "{retry_plan}"
    );
}

/// The Worker of 02.1 first runs `touch NOTES.md`, which the allowed list does not cover.
fn touching_script() -> Script {
    let mut turns = spec_turns();
    turns.extend(task_01());
    turns.extend(task_mul(Some(call("run_command", json!({"command": "touch NOTES.md"})))));
    turns.extend(task_sub());
    Script::new(turns)
}

#[test]
fn headless_runs_answer_commands_that_ask_as_told() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // ask-fails: the run stops at the command, naming it, with exit 3; nothing it would write lands.
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    let emulator = runtime.block_on(Emulator::start(touching_script())).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let mut args = run_args(workspace.path().to_str().unwrap(), &base);
    args.extend(["--approve-commands", "ask-fails"]);
    let output = aura(&args, data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(3), "{log}");
    assert!(log.contains("blocked: `touch NOTES.md` needs your approval"), "{log}");
    assert!(!workspace.path().join("NOTES.md").exists());

    // all: it runs in the sandbox, and its new file lands through Review (autopilot applies it).
    let workspace = new_workspace();
    let data = tempfile::tempdir().unwrap();
    let emulator = runtime.block_on(Emulator::start(touching_script())).unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let mut args = run_args(workspace.path().to_str().unwrap(), &base);
    args.extend(["--approve-commands", "all", "--sandbox", "workspace-write"]);
    let output = aura(&args, data.path()).output().unwrap();
    let log = text_of(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(log.contains("command allowed: `touch NOTES.md`"), "{log}");
    assert!(workspace.path().join("NOTES.md").exists(), "the command's file was applied:\n{log}");

    // A policy name that does not exist is refused before anything runs.
    let output = aura(&["run", "--sandbox", "everything"], data.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text_of(&output).contains("not a sandbox policy; use one of read-only"), "{}", text_of(&output));
}
