//! Validation against real projects made in temp dirs: a small cargo crate and a small Python
//! package with real passing and failing tests, plus commands that are missing, hang, flood or
//! print bytes that are not UTF-8.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aura::domain::{OutcomeClass, Verdict};
use aura::tools::Workspace;
use aura::tools::policy::CommandPolicy;
use aura::validate::{Baseline, Check, CheckKind, CheckResult, Plan, ValidationEvent, compare, run_plan};

fn crate_with_tests(root: &Path, third_test_passes: bool) {
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    let expected = if third_test_passes { 6 } else { 7 };
    std::fs::write(
        root.join("src/lib.rs"),
        format!(
            "pub fn add(a: i32, b: i32) -> i32 {{ a + b }}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n    #[test]\n    fn adds() {{ assert_eq!(add(1, 2), 3); }}\n    #[test]\n    fn adds_zero() {{ assert_eq!(add(0, 2), 2); }}\n    #[test]\n    fn adds_three() {{ assert_eq!(add(3, 3), {expected}); }}\n}}\n"
        ),
    )
    .unwrap();
}

fn check(command: &str) -> Check {
    Check { kind: CheckKind::Test, command: command.into(), source: "test".into() }
}

async fn run(root: &Path, commands: &[&str], timeout: Duration) -> Vec<CheckResult> {
    let workspace = Workspace::open(root).unwrap();
    let plan = Plan {
        workspace: &workspace,
        checks: commands.iter().map(|c| check(c)).collect(),
        timeout,
        policy: CommandPolicy::default(),
        sandbox: None,
    };
    run_plan(&plan, |_, _| async { true }, None).await.unwrap()
}

#[tokio::test]
async fn a_real_cargo_failure_is_a_product_failure_with_names_and_a_fix_is_credited() {
    let dir = tempfile::tempdir().unwrap();
    crate_with_tests(dir.path(), false);
    let before = run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await;
    let first = &before[0].run;
    assert_eq!(first.outcome, OutcomeClass::ProductFailure, "{}", before[0].output);
    assert_eq!((first.passed, first.failed), (Some(2), Some(1)));
    assert_eq!(first.failing_tests, ["tests::adds_three"]);
    assert!(before[0].next_action.starts_with("fix the code"));

    let baseline = Baseline::record(&before);
    // The same failure again is not new: it does not count against the task.
    let unchanged = compare(&baseline, &before);
    assert!(unchanged.new_failures.is_empty());
    assert_eq!(unchanged.verdict, Verdict::Verified);
    assert!(unchanged.summary.contains("1 failure(s) were already there"), "{}", unchanged.summary);

    crate_with_tests(dir.path(), true);
    let after = run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await;
    assert_eq!(after[0].run.outcome, OutcomeClass::Passed);
    let comparison = compare(&baseline, &after);
    assert_eq!(comparison.fixed, [("cargo test --offline".to_string(), "tests::adds_three".to_string())]);
    assert!(
        comparison.summary.starts_with("verified by `cargo test --offline` (3 passed); fixed 1"),
        "{}",
        comparison.summary
    );
}

#[tokio::test]
async fn a_new_failure_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    crate_with_tests(dir.path(), true);
    let baseline = Baseline::record(&run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await);
    crate_with_tests(dir.path(), false);
    let comparison = compare(&baseline, &run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await);
    assert_eq!(comparison.verdict, Verdict::Failed);
    assert_eq!(comparison.summary, "new failures: tests::adds_three (cargo test --offline)");
}

#[tokio::test]
async fn a_project_without_tests_is_never_reported_as_passing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"empty\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    let results = run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await;
    assert_eq!(results[0].run.outcome, OutcomeClass::NoTestsCollected, "{}", results[0].output);
    let comparison = compare(&Baseline::default(), &results);
    assert_eq!(comparison.verdict, Verdict::Unverified);
    assert!(comparison.summary.starts_with("not verified:"), "{}", comparison.summary);
}

#[tokio::test]
async fn broken_commands_are_classed_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let results = run(
        dir.path(),
        &[
            "no-such-tool --check",
            "cargo test --offline",
            "sleep 30",
            "head -c 100000000 /dev/zero | tr '\\0' 'x'",
            "printf 'ok \\377\\376'",
        ],
        Duration::from_secs(2),
    )
    .await;
    let classes: Vec<OutcomeClass> = results.iter().map(|r| r.run.outcome).collect();
    assert_eq!(
        classes,
        [
            OutcomeClass::MissingExecutable,
            OutcomeClass::WrongWorkingDirectory,
            OutcomeClass::Timeout,
            OutcomeClass::Passed,
            OutcomeClass::Passed
        ]
    );
    assert!(results[0].next_action.contains("install the tool"));
    assert!(results[2].output.contains("timed out"));
    assert!(results[3].output.len() < 200_000, "100 MB of output is cut to its head and tail");
    assert!(results[3].output.contains("MB cut"));
    assert!(results[4].output.contains("ok \u{FFFD}\u{FFFD}"));
}

#[tokio::test]
async fn a_refused_command_is_blocked_by_policy_and_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = Workspace::open(dir.path()).unwrap();
    let plan = Plan {
        workspace: &workspace,
        checks: vec![check("touch should-not-exist"), check("sudo true")],
        timeout: Duration::from_secs(5),
        policy: CommandPolicy::default(),
        sandbox: None,
    };
    let results = run_plan(&plan, |_, _| async { false }, None).await.unwrap();
    assert!(results.iter().all(|r| r.run.outcome == OutcomeClass::BlockedByPolicy));
    assert!(!dir.path().join("should-not-exist").exists());
}

#[tokio::test]
async fn output_streams_as_events_while_the_check_runs() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = Workspace::open(dir.path()).unwrap();
    let plan = Plan {
        workspace: &workspace,
        checks: vec![check("echo first; sleep 0.3; echo second")],
        timeout: Duration::from_secs(5),
        policy: CommandPolicy::default(),
        sandbox: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let results = run_plan(&plan, |_, _| async { true }, Some(tx)).await.unwrap();
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    assert!(matches!(events.first(), Some(ValidationEvent::Started { index: 0, .. })));
    let output: Vec<&str> = events
        .iter()
        .filter_map(|e| if let ValidationEvent::Output { text, .. } = e { Some(text.as_str()) } else { None })
        .collect();
    assert_eq!(output, ["first\n", "second\n"], "two pieces, as they were printed");
    assert!(matches!(events.last(), Some(ValidationEvent::Finished { .. })));
    assert_eq!(results[0].run.outcome, OutcomeClass::Passed);
}

#[tokio::test]
async fn a_real_python_package_with_pytest() {
    let pytest = Command::new("pytest").arg("--version").output();
    assert!(
        pytest.is_ok_and(|o| o.status.success()),
        "pytest is needed for this test: scripts/test installs it (apt-get install python3-pytest)"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"calc\"\nversion = \"0.1.0\"\n").unwrap();
    std::fs::write(root.join("calc.py"), "def div(a, b):\n    return a / b\n").unwrap();
    std::fs::create_dir(root.join("tests")).unwrap();
    std::fs::write(
        root.join("tests/test_calc.py"),
        "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\nfrom calc import div\n\ndef test_div():\n    assert div(6, 3) == 2\n\ndef test_div_zero():\n    assert div(1, 0) == 0\n",
    )
    .unwrap();
    let detected = aura::validate::detect(root);
    assert_eq!(detected.iter().map(|c| c.command.as_str()).collect::<Vec<_>>(), ["pytest"]);
    let results = run(root, &["pytest -q -p no:cacheprovider"], Duration::from_secs(120)).await;
    let r = &results[0].run;
    assert_eq!(r.outcome, OutcomeClass::ProductFailure, "{}", results[0].output);
    assert_eq!((r.passed, r.failed), (Some(1), Some(1)));
    assert_eq!(r.failing_tests, ["tests/test_calc.py::test_div_zero"]);

    std::fs::write(root.join("tests/test_calc.py"), "").unwrap();
    let results = run(root, &["pytest -q -p no:cacheprovider"], Duration::from_secs(120)).await;
    assert_eq!(results[0].run.outcome, OutcomeClass::NoTestsCollected, "{}", results[0].output);
}

#[test]
fn aura_validate_reports_classes_as_json_and_fails_unless_all_pass() {
    let dir = tempfile::tempdir().unwrap();
    crate_with_tests(dir.path(), false);
    std::fs::create_dir(dir.path().join("specs")).unwrap();
    std::fs::write(
        dir.path().join("specs/01-calc.md"),
        "# Calc\n## Definition of Done\n- `cargo test --offline` passes\n",
    )
    .unwrap();
    // Only the spec's command: keep the run short and free of tools a machine may lack.
    std::fs::remove_file(dir.path().join("Cargo.toml")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml.real"), "").unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["validate", "--json", "--workspace"])
        .arg(dir.path())
        .env("AURA_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results[0]["run"]["command"], "cargo test --offline");
    assert_eq!(results[0]["run"]["outcome"], "wrong_working_directory", "no Cargo.toml: the command cannot run here");

    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["validate", "--workspace"])
        .arg(empty.path())
        .env("AURA_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no checks found"),
        "an empty project is never reported as passing"
    );
}

#[tokio::test]
async fn a_receipt_records_the_evidence_and_reads_back_after_a_restart() {
    use aura::domain::{ChangeSet, ChangeSetStatus, ReceiptSubject, Record, SessionId, TaskId, Usage};
    use aura::store::{Store, StoreHandle};
    use aura::validate::receipt::{Work, receipt};

    let dir = tempfile::tempdir().unwrap();
    crate_with_tests(dir.path(), false);
    let baseline = Baseline::record(&[]);
    let results = run(dir.path(), &["cargo test --offline"], Duration::from_secs(300)).await;
    let comparison = compare(&baseline, &results);
    let mut changeset = ChangeSet::new(None, "add tests", Vec::new());
    changeset.status = ChangeSetStatus::Applied;
    let task = TaskId::new();
    let made = receipt(Work {
        subject: ReceiptSubject::Task { task },
        asked: "Add tests for add()",
        changesets: std::slice::from_ref(&changeset),
        results: &results,
        comparison: &comparison,
        usage: Usage { input_tokens: 1200, output_tokens: 300, cost_usd: Some(0.004), ..Usage::default() },
    });
    assert_eq!(made.verdict, Verdict::Failed);
    assert_eq!(made.summary, "new failures: tests::adds_three (cargo test --offline)");
    assert_eq!(made.commands[0].outcome, OutcomeClass::ProductFailure);
    assert_eq!(made.commands[0].failing_tests, ["tests::adds_three"]);

    let data = dir.path().join("store");
    let session = SessionId::new();
    {
        let store = StoreHandle::spawn(Store::open(&data, &Default::default()).unwrap()).unwrap();
        let record = Record::Receipt(made.clone());
        store.append(session, vec![record]).await.unwrap();
        store.close();
    }
    let store = Store::open(&data, &Default::default()).unwrap();
    let page = store.tail(session, 10).unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].record, Record::Receipt(made), "the receipt opens again as it was");
}

#[test]
fn checks_set_in_settings_replace_the_detected_ones() {
    use aura::domain::{Check, CheckKind};
    use aura::protocol::{Command as EngineCommand, Event};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    crate_with_tests(workspace.path(), false);
    std::fs::write(workspace.path().join("Makefile"), "quick:\n\ttrue\n").unwrap();
    let mut client = aura::engine::launch(runtime.handle(), data.path().to_path_buf(), std::sync::Arc::new(|| {}))
        .recv()
        .unwrap()
        .unwrap();
    let next = |client: &aura::engine::EngineClient| client.recv_timeout(Duration::from_secs(20)).unwrap().body;
    client.send(EngineCommand::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not opened") };
    assert!(snapshot.detected_checks.iter().any(|c| c.command == "cargo test" && c.source == "Cargo.toml"));
    assert!(snapshot.check_overrides.is_empty());
    let quick = Check { kind: CheckKind::Test, command: " make quick ".into(), source: String::new() };
    let blank = Check { kind: CheckKind::Lint, command: "  ".into(), source: String::new() };
    client.send(EngineCommand::SetChecks { project: snapshot.project.id, checks: vec![quick, blank] });
    let Event::ChecksChanged { overrides, .. } = next(&client) else { panic!("not set") };
    assert_eq!(overrides, [Check { kind: CheckKind::Test, command: "make quick".into(), source: "settings".into() }]);

    // The headless command uses them too, from the same store, in another process.
    let output = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["validate", "--json", "--workspace"])
        .arg(workspace.path())
        .env("AURA_DATA_DIR", data.path())
        .output()
        .unwrap();
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 1, "{results}");
    assert_eq!(results[0]["check"]["source"], "settings");
    assert_eq!(results[0]["run"]["outcome"], "passed");
    assert_eq!(output.status.code(), Some(0));

    client.send(EngineCommand::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not reopened") };
    assert_eq!(snapshot.check_overrides.len(), 1, "kept in the store");
}

/// ruff as the Python project's linter and formatter in the Craft checks: installed by scripts/test
/// into ~/.cache/aura/tools (or on the PATH), and used from the workspace's own `.venv`.
#[tokio::test]
async fn ruff_judges_python_changes_in_a_project_that_configures_it() {
    use aura::domain::{FileChange, FileChangeKind};
    use aura::validate::craft;
    let installed = std::env::var_os("HOME")
        .map(|home| Path::new(&home).join(".cache/aura/tools/bin/ruff"))
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("ruff"))
                .find(|p| p.is_file())
        })
        .expect("ruff is installed by scripts/test into ~/.cache/aura/tools");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".venv/bin")).unwrap();
    std::os::unix::fs::symlink(&installed, root.join(".venv/bin/ruff")).unwrap();
    let change = |text: &str| FileChange {
        path: "calc.py".into(),
        kind: FileChangeKind::Add,
        before: None,
        after: Some(text.into()),
        before_hash: None,
        hunks: aura::edits::hunks("", text),
    };
    let messy = change("import os\n\n\ndef add(a, b):\n    return a+b\n");
    let check = |changes: Vec<FileChange>| async move { craft::check(root, &changes, craft::TIMEOUT).await };
    assert!(check(vec![messy.clone()]).await.is_empty(), "not configured: not run");

    std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"calc\"\n\n[tool.ruff]\nline-length = 100\n")
        .unwrap();
    let findings = check(vec![messy]).await;
    let linted: Vec<_> = findings.iter().filter(|f| f.rule == "linter").collect();
    assert_eq!(linted.len(), 1, "{findings:?}");
    assert_eq!(linted[0].line, Some(1));
    assert!(linted[0].message.contains("F401") && linted[0].message.contains("os"), "{}", linted[0].message);
    assert!(findings.iter().any(|f| f.rule == "formatter" && f.message.contains("ruff format")), "{findings:?}");
    let clean = change("def add(a, b):\n    return a + b\n");
    assert!(check(vec![clean]).await.is_empty());
}
