//! Drone runs against the real engine, store, git and workspace, with the provider emulator giving
//! each Drone's model its own script: three Drones at once on a git repository (two writers in
//! their own worktrees, one reader), writers outside git taking turns, a trigger, a budget, the
//! chat's `/drone`, and worktrees left by a killed Aura cleaned at start.

mod common;

use common::{chat_session, launch, open_project, use_emulator, wait};

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command as Process;

use aura::domain::{
    ApprovalPolicy, ChangeSet, ChangeSetStatus, Check, CheckKind, DroneRun, Isolation, ProjectId, Trigger, Verdict,
};
use aura::engine::EngineClient;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::{call, text};
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{ChangeSetDecision, Command, Event, LoopSettings};
use serde_json::json;

const LIB_RS: &str = "/// The sum of `a` and `b`.\npub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@localhost", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn manifest(name: &str, policy: &str, triggers: &str) -> String {
    format!(
        "name = \"{name}\"\nrole = \"{name}\"\ninstructions = \"\"\"\nDo the {name} work.\n\"\"\"\nmodel = \"openai/{name}-model\"\ntool_policy = \"{policy}\"\ntriggers = [{triggers}]\n"
    )
}

/// A small project: a library, a Makefile whose test checks it, and three Drones of its own.
fn project_files(root: &Path) {
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join(".aura/drones")).unwrap();
    std::fs::write(root.join("src/lib.rs"), LIB_RS).unwrap();
    std::fs::write(root.join("Makefile"), "test:\n\tgrep -q 'pub fn add' src/lib.rs\n").unwrap();
    std::fs::write(root.join("README.md"), "# adder\n").unwrap();
    std::fs::write(root.join(".aura/drones/api-docs.toml"), manifest("api-docs", "normal_review", "")).unwrap();
    std::fs::write(root.join(".aura/drones/unit-tests.toml"), manifest("unit-tests", "normal_review", "")).unwrap();
    std::fs::write(root.join(".aura/drones/reviewer.toml"), manifest("reviewer", "read_only", "")).unwrap();
}

fn git_repo(root: &Path) {
    project_files(root);
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "start"]);
}

/// Every file of the workspace (but `.git`) and its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A writer's script. Its model thinks for a moment first, as real ones do, so runs summoned
/// together overlap however busy the machine is.
fn writer_turns(path: &str, content: &str) -> Vec<Turn> {
    let think = aura::llm::emulator::script::Step::Delay { ms: 300 };
    vec![
        Turn::steps(vec![think, call("write_file", json!({"path": path, "content": content}))]),
        Turn::steps(vec![call("run_command", json!({"command": "make test"}))]),
        text(&format!("Wrote {path}.")),
    ]
}

fn setup(client: &mut EngineClient, root: &Path, emulator: &Emulator, policy: ApprovalPolicy) -> ProjectId {
    let project = open_project(client, root);
    use_emulator(client, project, emulator, LoopSettings { drone_triggers: true, ..LoopSettings::default() });
    client.send(Command::SetApprovalPolicy { project, policy });
    let check = Check { kind: CheckKind::Test, command: "make test".into(), source: "settings".into() };
    client.send(Command::SetChecks { project, checks: vec![check] });
    project
}

#[test]
fn two_writers_and_a_reviewer_run_at_once_and_only_review_writes_the_workspace() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git_repo(root);
    // Work the user has not committed: the writers must see it, and it must survive the merge.
    std::fs::write(root.join("NOTES.md"), "draft\n").unwrap();
    let docs = "# adder\n\n`add(a, b)` returns the sum of two integers.\n";
    let tests = "#[test]\nfn adds() {\n    assert_eq!(adder::add(2, 3), 5);\n}\n";
    let script = Script::new(vec![])
        .for_model("api-docs-model", writer_turns("README.md", docs))
        .for_model("unit-tests-model", writer_turns("tests/add.rs", tests))
        .for_model(
            "reviewer-model",
            vec![
                Turn::steps(vec![call("read_file", json!({"path": "src/lib.rs"}))]),
                Turn::steps(vec![call(
                    "save_memory",
                    json!({"text": "add overflows on i64::MAX; use checked_add", "tags": ["review"]}),
                )]),
                text("One finding: `add` overflows on `i64::MAX`."),
            ],
        );
    let script = Script { chunk_delay_ms: 2, ..script };
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = setup(&mut client, root, &emulator, ApprovalPolicy::Ask);
    let before = files(root);

    for (drone, goal) in [("api-docs", "document add"), ("unit-tests", "test add"), ("reviewer", "review add")] {
        client.send(Command::RunDrone { project, drone: drone.into(), goal: goal.into() });
    }
    let mut runs: HashMap<String, DroneRun> = HashMap::new();
    let mut finished: HashMap<String, DroneRun> = HashMap::new();
    let mut proposed: Vec<ChangeSet> = Vec::new();
    let mut first_finish_after = None;
    let mut memory = Vec::new();
    while finished.len() < 3 || proposed.len() < 2 {
        let event = wait(&client, |e| match e {
            Event::DroneRunStarted { .. }
            | Event::DroneRunFinished { .. }
            | Event::ChangeSetProposed { .. }
            | Event::MemoryChanged { .. } => Some(e.clone()),
            _ => None,
        });
        match event {
            Event::DroneRunStarted { run } => {
                runs.insert(run.drone.clone(), run);
            }
            Event::DroneRunFinished { run } => {
                first_finish_after.get_or_insert(runs.len());
                finished.insert(run.drone.clone(), run);
            }
            Event::ChangeSetProposed { changeset } => proposed.push(changeset),
            Event::MemoryChanged { entry, .. } => memory.push(entry),
            _ => {}
        }
    }
    assert_eq!(first_finish_after, Some(3), "all three were running before the first one finished");

    // Writers worked in worktrees on their own branches; the reviewer in the workspace.
    for writer in ["api-docs", "unit-tests"] {
        let Isolation::Worktree { path, branch } = &runs[writer].isolation else { panic!("{writer} has no worktree") };
        assert!(branch.starts_with(&format!("aura/drone/{writer}/")), "{branch}");
        assert!(path.starts_with(&data.path().join("data/worktrees").display().to_string()), "{path}");
        let receipt = finished[writer].receipt.clone().unwrap();
        assert_eq!(receipt.verdict, Verdict::Verified, "{writer}: {}", receipt.summary);
        assert_eq!(receipt.commands[0].command, "make test");
    }
    assert_eq!(runs["reviewer"].isolation, Isolation::Shared);
    let review = finished["reviewer"].receipt.clone().unwrap();
    assert_eq!(review.verdict, Verdict::Unverified, "read-only: nothing to check");
    assert!(memory.iter().any(|m| m.tags == ["review"] && m.text.contains("checked_add")), "the finding is filed");

    // Nothing reached the workspace outside Review.
    assert_eq!(files(root), before, "the workspace is as it was before the decisions");
    let by_path: HashMap<String, &ChangeSet> = proposed.iter().map(|c| (c.files[0].path.clone(), c)).collect();
    assert_eq!(by_path.len(), 2);
    assert_eq!(by_path["README.md"].files.len(), 1, "only the Drone's own file, not the uncommitted NOTES.md");
    assert_eq!(by_path["tests/add.rs"].files.len(), 1);

    for changeset in &proposed {
        client.send(Command::DecideChangeSet {
            changeset: changeset.id,
            decision: ChangeSetDecision::AcceptAll,
            comment: None,
        });
        let decided = wait(&client, |e| match e {
            Event::ChangeSetDecided { changeset: c, .. } if c.id == changeset.id => Some(c.clone()),
            _ => None,
        });
        assert_eq!(decided.status, ChangeSetStatus::Applied);
    }
    assert_eq!(std::fs::read_to_string(root.join("README.md")).unwrap(), docs);
    assert_eq!(std::fs::read_to_string(root.join("tests/add.rs")).unwrap(), tests);
    assert_eq!(std::fs::read_to_string(root.join("NOTES.md")).unwrap(), "draft\n", "the user's work is kept");

    // Merged: no worktree and no Drone branch is left behind.
    let worktrees = data.path().join("data/worktrees");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while git(root, &["worktree", "list"]).lines().count() > 1 || !git(root, &["branch", "--list", "aura/*"]).is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "worktrees left: {}", git(root, &["worktree", "list"]));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left: Vec<_> = walk_dirs(&worktrees);
    assert!(left.is_empty(), "folders left under worktrees/: {left:?}");
}

/// Run folders (`worktrees/<project>/<run>`) under `root`.
fn walk_dirs(root: &Path) -> Vec<std::path::PathBuf> {
    let Ok(projects) = std::fs::read_dir(root) else { return vec![] };
    projects.flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap().map(|r| r.unwrap().path())).collect()
}

#[test]
fn writers_outside_git_take_turns_and_apply_through_review() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    project_files(root);
    let script = Script::new(vec![])
        .for_model("api-docs-model", writer_turns("docs/add.md", "# add\n"))
        .for_model("unit-tests-model", writer_turns("tests/add.rs", "#[test]\nfn t() {}\n"));
    let script = Script { chunk_delay_ms: 2, ..script };
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = setup(&mut client, root, &emulator, ApprovalPolicy::AutoApprove);
    client.send(Command::RunDrone { project, drone: "api-docs".into(), goal: "docs".into() });
    client.send(Command::RunDrone { project, drone: "unit-tests".into(), goal: "tests".into() });

    // The events of each run's session, in order: the second writer starts after the first ended.
    let mut sessions = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut done = 0;
    while done < 2 {
        let event = wait(&client, |e| Some(e.clone()));
        match event {
            Event::DroneRunStarted { run } => {
                assert_eq!(run.isolation, Isolation::WriteLane);
                sessions.insert(run.session, run.drone);
            }
            Event::ToolCallStarted { session, .. } if sessions.contains_key(&session) => {
                order.push(format!("{} working", sessions[&session]));
            }
            Event::DroneRunFinished { run } => {
                assert_eq!(run.receipt.as_ref().unwrap().verdict, Verdict::Verified);
                order.push(format!("{} finished", run.drone));
                done += 1;
            }
            _ => {}
        }
    }
    order.dedup();
    assert_eq!(order.len(), 4, "{order:?}");
    let first = order[0].split(' ').next().unwrap().to_string();
    assert_eq!(order[1], format!("{first} finished"), "one writer at a time: {order:?}");
    // Applied through Review: each file was written after a checkpoint, and can be undone.
    assert_eq!(std::fs::read_to_string(root.join("docs/add.md")).unwrap(), "# add\n");
    client.send(Command::OpenProject { root: root.to_path_buf() });
    let applied = wait(&client, |e| match e {
        Event::ProjectOpened { snapshot } if snapshot.project.id == project => Some(snapshot.applied_changes.clone()),
        _ => None,
    });
    let mut written: Vec<String> = applied.iter().flat_map(|a| a.files.clone()).collect();
    written.sort();
    assert_eq!(written, ["docs/add.md", "tests/add.rs"]);
}

#[test]
fn a_trigger_a_budget_and_the_chat_summon_each_start_runs() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    project_files(root);
    std::fs::write(
        root.join(".aura/drones/reviewer.toml"),
        manifest("reviewer", "read_only", "\"after_change_set_applied\""),
    )
    .unwrap();
    std::fs::write(
        root.join(".aura/drones/looper.toml"),
        manifest("looper", "read_only", "") + "\n[budget]\nmax_tokens = 100000\nmax_steps = 2\nmax_seconds = 60\n",
    )
    .unwrap();
    let read = || Turn::steps(vec![call("read_file", json!({"path": "src/lib.rs"}))]);
    let script = Script::new(vec![
        // The main chat writes a file, applied at once, which triggers the reviewer once triggers are on.
        Turn::steps(vec![call("write_file", json!({"path": "CHANGES.md", "content": "- add\n"}))]),
        text("Noted."),
        Turn::steps(vec![call("write_file", json!({"path": "CHANGES.md", "content": "- add\n- sub\n"}))]),
        text("Noted again."),
    ])
    .for_model("reviewer-model", vec![text("Looks right.")])
    .for_model("looper-model", vec![read(), read(), read(), read()]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = setup(&mut client, root, &emulator, ApprovalPolicy::AutoApprove);
    let session = chat_session(&mut client, project);

    // Off, an applied change starts nothing.
    client.send(Command::SetLoopSettings { project, settings: LoopSettings::default() });
    client.send(Command::SendMessage { session: session.id, text: "note the change".into() });
    let mut started = 0;
    wait(&client, |e| match e {
        Event::DroneRunStarted { .. } => {
            started += 1;
            None
        }
        Event::TurnRunning { running: false, .. } => Some(()),
        _ => None,
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    while let Some(envelope) = client.try_recv() {
        started += usize::from(matches!(envelope.body, Event::DroneRunStarted { .. }));
    }
    assert_eq!(started, 0, "triggers are off by default");

    let settings = LoopSettings { drone_triggers: true, ..LoopSettings::default() };
    client.send(Command::SetLoopSettings { project, settings });
    client.send(Command::SendMessage { session: session.id, text: "note the next change".into() });
    let run = wait(&client, |e| match e {
        Event::DroneRunStarted { run } => Some(run.clone()),
        _ => None,
    });
    assert_eq!((run.drone.as_str(), run.trigger), ("reviewer", Some(Trigger::AfterChangeSetApplied)));
    assert!(run.goal.contains("CHANGES.md"), "{}", run.goal);
    let receipt = wait(&client, |e| match e {
        Event::DroneRunFinished { run: r } if r.id == run.id => r.receipt.clone(),
        _ => None,
    });
    assert!(receipt.summary.contains("read-only"), "{}", receipt.summary);

    // `/drone` with the rest as the goal; the budget stops a Drone that would go on.
    client.send(Command::SendMessage { session: session.id, text: "/drone looper read it all".into() });
    let run = wait(&client, |e| match e {
        Event::DroneRunStarted { run } => Some(run.clone()),
        _ => None,
    });
    assert_eq!((run.drone.as_str(), run.goal.as_str(), run.trigger), ("looper", "read it all", None));
    let receipt = wait(&client, |e| match e {
        Event::DroneRunFinished { run: r } if r.id == run.id => r.receipt.clone(),
        _ => None,
    });
    assert_eq!(receipt.verdict, Verdict::Failed);
    assert!(receipt.summary.contains("steps budget"), "{}", receipt.summary);
    let asked = emulator.requests().iter().filter(|r| r.body["model"] == "looper-model").count();
    assert_eq!(asked, 2, "no more requests than its budget of steps");

    // A name that is not a Drone is answered with the list.
    let seq = client.send(Command::SendMessage { session: session.id, text: "/drone nobody do it".into() });
    let message = wait_error(&client, seq);
    assert!(message.contains("no Drone named \"nobody\"") && message.contains("reviewer"), "{message}");
}

fn wait_error(client: &EngineClient, seq: u64) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(envelope) = client.recv_timeout(std::time::Duration::from_millis(100))
            && let Event::Error { command: Some(s), message } = envelope.body
            && s == seq
        {
            return message;
        }
    }
    panic!("no error came")
}

/// The `unit-tests` writer's model takes a minute to answer: the run is mid-request until stopped or killed.
fn stuck_writer() -> Script {
    let wait = aura::llm::emulator::script::Step::Delay { ms: 60_000 };
    Script::new(vec![]).for_model("unit-tests-model", vec![Turn::steps(vec![wait])])
}

fn wait_until_asked(emulator: &Emulator) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while emulator.requests().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the Drone never asked its model");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn worktrees_and_runs_left_by_a_killed_aura_are_cleaned_at_start() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git_repo(root);
    // Aura is "killed" (the engine dropped) while the writer waits for its model.
    let emulator = runtime.block_on(Emulator::start(stuck_writer())).unwrap();
    let data_dir = data.path().join("data");
    {
        let mut client = launch(&runtime, &data_dir);
        let project = setup(&mut client, root, &emulator, ApprovalPolicy::Ask);
        client.send(Command::RunDrone { project, drone: "unit-tests".into(), goal: "tests".into() });
        wait(&client, |e| matches!(e, Event::DroneRunStarted { .. }).then_some(()));
        wait_until_asked(&emulator);
        assert_eq!(walk_dirs(&data_dir.join("worktrees")).len(), 1);
    }
    drop(runtime);
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 2, "the killed run left its worktree");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data_dir);
    let project = open_project(&mut client, root);
    client.send(Command::OpenProject { root: root.to_path_buf() });
    let snapshot = wait(&client, |e| match e {
        Event::ProjectOpened { snapshot } if snapshot.project.id == project => Some(snapshot.clone()),
        _ => None,
    });
    let run = &snapshot.drone_runs[0];
    let receipt = run.receipt.as_ref().expect("the interrupted run has a receipt");
    assert_eq!(receipt.verdict, Verdict::Failed);
    assert!(receipt.summary.contains("Aura stopped"), "{}", receipt.summary);
    assert!(walk_dirs(&data_dir.join("worktrees")).is_empty());
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 1);
    assert!(git(root, &["branch", "--list", "aura/*"]).is_empty());
}

#[test]
fn the_headless_run_streams_merges_with_apply_and_prints_the_receipt() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git_repo(root);
    let tests = "#[test]\nfn adds() {}\n";
    let script = Script::new(vec![])
        .for_model("unit-tests-model", writer_turns("tests/add.rs", tests))
        .for_model("reviewer-model", vec![text("Nothing to report.")]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let url = emulator.base_url(aura::llm::ProviderKind::Openai);
    let aura = |args: &[&str]| {
        Process::new(env!("CARGO_BIN_EXE_aura"))
            .args(["drone", "run", "--workspace", root.to_str().unwrap()])
            .args(args)
            .env("AURA_DATA_DIR", data.path())
            .output()
            .expect("aura runs")
    };
    let out =
        aura(&["unit-tests", "test add", "--provider", "openai", "--base-url", &url, "--model", "emu", "--apply"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("→ write_file"), "{stdout}");
    assert!(stdout.contains("receipt: verified"), "{stdout}");
    assert!(stdout.contains("ran `make test`: passed"), "{stdout}");
    assert_eq!(std::fs::read_to_string(root.join("tests/add.rs")).unwrap(), tests);
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 1, "the worktree is gone");
    assert!(walk_dirs(&data.path().join("worktrees")).is_empty());

    // A reader needs no flags once the project has a model; an unknown Drone is exit 1 with the list.
    let out = aura(&["reviewer", "look around"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nothing to report."));
    let out = aura(&["nobody", "do it"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Drone named \"nobody\""));
}

#[test]
fn a_finished_task_starts_the_drones_triggered_by_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::create_dir_all(root.join(".aura/drones")).unwrap();
    std::fs::write(root.join("specs/01-crate.md"), aura::llm::emulator::demo::SPEC_01).unwrap();
    std::fs::write(
        root.join(".aura/drones/reviewer.toml"),
        manifest("reviewer", "read_only", "\"after_task_finished\""),
    )
    .unwrap();
    let script = Script::new(aura::llm::emulator::demo::task_01())
        .for_model("reviewer-model", vec![text("The crate and its test look right.")]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, root);
    let settings = LoopSettings { autopilot: true, drone_triggers: true, ..LoopSettings::default() };
    use_emulator(&mut client, project, &emulator, settings);
    client.send(Command::Loop { project, control: aura::protocol::LoopControl::Start });

    // The built-in `review` is triggered by it too; the workspace's own Drone is the one scripted here.
    let run = wait(&client, |e| match e {
        Event::DroneRunStarted { run } if run.drone == "reviewer" => Some(run.clone()),
        _ => None,
    });
    assert_eq!(run.trigger, Some(Trigger::AfterTaskFinished));
    assert!(run.goal.starts_with("Task 01.1 "), "{}", run.goal);
    assert!(run.goal.contains("src/lib.rs"), "the goal names what the task changed: {}", run.goal);
    let receipt = wait(&client, |e| match e {
        Event::DroneRunFinished { run: r } if r.id == run.id => r.receipt.clone(),
        _ => None,
    });
    assert_eq!(receipt.verdict, Verdict::Unverified, "{}", receipt.summary);
}

#[test]
fn a_discarded_result_writes_nothing_and_takes_its_worktree_down() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git_repo(root);
    let script = Script::new(vec![]).for_model("api-docs-model", writer_turns("README.md", "# rewritten\n"));
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = setup(&mut client, root, &emulator, ApprovalPolicy::Ask);
    client.send(Command::RunDrone { project, drone: "api-docs".into(), goal: "rewrite the readme".into() });
    let changeset = wait(&client, |e| match e {
        Event::ChangeSetProposed { changeset } => Some(changeset.clone()),
        _ => None,
    });
    let run = wait(&client, |e| match e {
        Event::DroneRunFinished { run } => Some(run.clone()),
        _ => None,
    });
    assert_eq!(run.receipt.unwrap().files_changed, ["README.md"]);
    client.send(Command::DecideChangeSet {
        changeset: changeset.id,
        decision: ChangeSetDecision::RejectAll,
        comment: Some("keep the old one".into()),
    });
    wait(&client, |e| matches!(e, Event::DroneWorktreeRemoved { run: r } if *r == run.id).then_some(()));
    assert_eq!(std::fs::read_to_string(root.join("README.md")).unwrap(), "# adder\n");
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 1);
    assert!(git(root, &["branch", "--list", "aura/*"]).is_empty());
    assert!(walk_dirs(&data.path().join("data/worktrees")).is_empty());
}

#[test]
fn a_stopped_writer_ends_with_its_receipt_and_leaves_no_worktree() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git_repo(root);
    let emulator = runtime.block_on(Emulator::start(stuck_writer())).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = setup(&mut client, root, &emulator, ApprovalPolicy::Ask);
    client.send(Command::RunDrone { project, drone: "unit-tests".into(), goal: "tests".into() });
    let run = wait(&client, |e| match e {
        Event::DroneRunStarted { run } => Some(run.clone()),
        _ => None,
    });
    wait_until_asked(&emulator);
    let asked = std::time::Instant::now();
    client.send(Command::StopDrone { run: run.id });
    let receipt = wait(&client, |e| match e {
        Event::DroneRunFinished { run: r } if r.id == run.id => r.receipt.clone(),
        _ => None,
    });
    assert!(asked.elapsed() < std::time::Duration::from_secs(10), "the 60 s reply was not waited for");
    assert_eq!(receipt.verdict, Verdict::Failed);
    assert_eq!(receipt.summary, "stopped by the user");
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 1);
    assert!(walk_dirs(&data.path().join("data/worktrees")).is_empty());
    let seq = client.send(Command::StopDrone { run: run.id });
    assert!(wait_error(&client, seq).contains("is running"), "a second stop says there is nothing to stop");
}
