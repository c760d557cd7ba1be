//! Git against real repositories in temp folders: the status read from `git status`, the Git tab's
//! commands through the engine, and the commit of a finished task's accepted changes, which leaves
//! the user's own staged and unstaged work uncommitted and untouched, and is refused (with the
//! reason on the receipt) mid-merge, on a detached HEAD, outside a repository or by a hook.

mod common;

use common::{launch, open_project, use_emulator, wait};

use std::path::Path;
use std::process::Command as Process;

use aura::domain::{CommitOutcome, GitChange, GitMark, Receipt, RepoOperation, Verdict};
use aura::edits::file_change;
use aura::git::{self, CommitRequest, GitError};
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::{SPEC_01, call, text};
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{Command, Event, GitProblem, GitReport, LoopControl, LoopSettings, LoopState};
use serde_json::json;

fn run_git(dir: &Path, args: &[&str]) -> std::process::Output {
    Process::new("git").arg("-C").arg(dir).args(args).output().expect("git runs")
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = run_git(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// A repository on `main` with its own identity (the machine may have none) and no signing.
fn init(dir: &Path) {
    git_ok(dir, &["init", "-q", "-b", "main"]);
    for (key, value) in [("user.name", "Test"), ("user.email", "test@localhost"), ("commit.gpgsign", "false")] {
        git_ok(dir, &["config", key, value]);
    }
}

fn commit_all(dir: &Path, message: &str) {
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "-m", message]);
}

/// A repository with `a.txt` (ten lines), `b.txt` and `c.txt` committed.
fn repo() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    init(temp.path());
    let lines: String = (1..=10).map(|n| format!("line {n}\n")).collect();
    write(temp.path(), "a.txt", &lines);
    write(temp.path(), "b.txt", "bee\n");
    write(temp.path(), "c.txt", "sea\n");
    commit_all(temp.path(), "start");
    temp
}

#[test]
fn status_reads_the_branch_staged_unstaged_renamed_untracked_and_conflicted_files() {
    let temp = repo();
    let root = temp.path();
    write(root, "a.txt", "changed\n");
    write(root, "new file.txt", "fresh\n");
    git_ok(root, &["add", "new file.txt"]);
    git_ok(root, &["mv", "b.txt", "bee.txt"]);
    write(root, "notes/todo.md", "later\n");
    let status = git::status(root).unwrap();
    assert_eq!((status.branch.as_deref(), status.detached, status.unborn), (Some("main"), false, false));
    let entry =
        |path: &str| status.entries.iter().find(|e| e.path == path).unwrap_or_else(|| panic!("{path}: {status:?}"));
    assert_eq!((entry("a.txt").staged.clone(), entry("a.txt").unstaged.clone()), (None, Some(GitChange::Modified)));
    assert_eq!(entry("new file.txt").staged, Some(GitChange::Added));
    assert_eq!(entry("bee.txt").staged, Some(GitChange::Renamed { from: "b.txt".into() }));
    assert!(entry("notes/todo.md").untracked);
    assert_eq!(status.status_of("notes"), Some(GitMark::Untracked));
    assert_eq!(status.commit_refusal(), None);
    // A staged rename's diff is against the file it was renamed from.
    let renamed = git::file_diff(root, "bee.txt", true).unwrap();
    assert_eq!((renamed.before.as_deref(), renamed.after.as_deref()), (Some("bee\n"), Some("bee\n")));
    let untracked = git::file_diff(root, "notes/todo.md", false).unwrap();
    assert_eq!((untracked.before, untracked.after.as_deref()), (None, Some("later\n")));
    assert!(matches!(git::file_diff(root, "../etc/passwd", false), Err(GitError::BadPath(_))));

    // A merge that conflicts: the file is unmerged and git is mid-merge.
    commit_all(root, "more");
    git_ok(root, &["switch", "-q", "-c", "other"]);
    write(root, "c.txt", "theirs\n");
    commit_all(root, "theirs");
    git_ok(root, &["switch", "-q", "main"]);
    write(root, "c.txt", "ours\n");
    commit_all(root, "ours");
    assert!(!run_git(root, &["merge", "-q", "other"]).status.success());
    let status = git::status(root).unwrap();
    assert!(status.entries.iter().any(|e| e.path == "c.txt" && e.conflicted), "{status:?}");
    assert_eq!(status.operation, RepoOperation::Merge);
    assert!(status.commit_refusal().unwrap().contains("conflicts"));
}

fn request<'a>(changes: &'a [aura::domain::FileChange], message: &'a str) -> CommitRequest<'a> {
    CommitRequest { changes, extras: &[], message }
}

#[test]
fn a_task_commit_holds_exactly_its_changes_and_leaves_the_users_work_as_it_was() {
    let temp = repo();
    let root = temp.path();
    let before = std::fs::read_to_string(root.join("a.txt")).unwrap();
    // The user's own work: an edit at the top of a.txt, b.txt edited, c.txt staged, a new file.
    let users_a = before.replacen("line 1\n", "line 1 (the user's)\n", 1);
    write(root, "b.txt", "the user's bee\n");
    write(root, "c.txt", "staged by the user\n");
    git_ok(root, &["add", "c.txt"]);
    write(root, "scratch.md", "not for the task\n");
    // The task changed the bottom of a.txt and added src/new.rs (as applied to the work tree).
    let tasks_a = users_a.replacen("line 10\n", "line 10, by the task\n", 1);
    write(root, "a.txt", &tasks_a);
    write(root, "src/new.rs", "pub fn new() {}\n");
    let changes = [
        file_change("a.txt", Some(users_a.clone()), Some(tasks_a.clone())),
        file_change("src/new.rs", None, Some("pub fn new() {}\n".into())),
    ];
    let message = "Task 01.1: Write it\n\nAura-Receipt: R1\n";
    let (hash, branch) = git::commit_changes(root, &request(&changes, message)).unwrap().expect("a commit");
    assert_eq!((branch.as_str(), hash.len() >= 7), ("main", true));
    assert_eq!(
        git_ok(root, &["log", "-1", "--format=%s%n%(trailers:key=Aura-Receipt,valueonly)"]),
        "Task 01.1: Write it\nR1"
    );
    assert_eq!(git_ok(root, &["show", "--name-only", "--format=", "HEAD"]), "a.txt\nsrc/new.rs");
    // Committed: the task's line, not the user's.
    let committed = git_ok(root, &["show", "HEAD:a.txt"]);
    assert!(committed.contains("line 10, by the task") && !committed.contains("(the user's)"), "{committed}");
    // The work tree is untouched; the user's staged and unstaged work is as it was.
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), tasks_a);
    assert_eq!(git_ok(root, &["diff", "--cached", "--name-only"]), "c.txt");
    assert_eq!(git_ok(root, &["diff", "--name-only"]), "a.txt\nb.txt");
    let left = git_ok(root, &["diff", "a.txt"]);
    let added: Vec<&str> = left.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
    assert_eq!(added, ["+line 1 (the user's)"], "only the user's line is left uncommitted");
    assert_eq!(git_ok(root, &["status", "--porcelain", "--", "src/new.rs", "scratch.md"]), "?? scratch.md");

    // The same changes again are already in HEAD: nothing to commit.
    let changes = [file_change("src/new.rs", None, Some("pub fn new() {}\n".into()))];
    assert!(matches!(git::commit_changes(root, &request(&changes, "again")), Err(GitError::DoesNotApply(_))));
}

#[test]
fn a_task_change_next_to_the_users_own_edit_is_not_committed_and_says_why() {
    let temp = repo();
    let root = temp.path();
    let before = std::fs::read_to_string(root.join("a.txt")).unwrap();
    let users = before.replacen("line 5\n", "line 5 (the user's)\n", 1);
    let tasks = users.replacen("line 6\n", "line 6, by the task\n", 1);
    write(root, "a.txt", &tasks);
    let head = git_ok(root, &["rev-parse", "HEAD"]);
    let changes = [file_change("a.txt", Some(users), Some(tasks.clone()))];
    let err = git::commit_changes(root, &request(&changes, "Task 01.1: next door")).unwrap_err();
    assert!(matches!(err, GitError::DoesNotApply(_)), "{err}");
    assert!(err.to_string().contains("uncommitted edits nearby"), "{err}");
    assert_eq!(git_ok(root, &["rev-parse", "HEAD"]), head);
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), tasks, "nothing is lost");
    assert_eq!(git_ok(root, &["status", "--porcelain"]), " M a.txt");
}

#[test]
fn commits_are_refused_mid_merge_on_a_detached_head_and_outside_a_repository() {
    let change = [file_change("d.txt", None, Some("d\n".into()))];
    let temp = repo();
    let root = temp.path();
    git_ok(root, &["switch", "-q", "--detach", "HEAD"]);
    let err = git::commit_changes(root, &request(&change, "m")).unwrap_err();
    assert!(matches!(err, GitError::DetachedHead), "{err}");
    assert!(err.to_string().contains("check out a branch"));
    git_ok(root, &["switch", "-q", "main"]);
    std::fs::write(root.join(".git/MERGE_HEAD"), git_ok(root, &["rev-parse", "HEAD"])).unwrap();
    assert!(matches!(git::commit_changes(root, &request(&change, "m")), Err(GitError::MidMerge)));
    std::fs::remove_file(root.join(".git/MERGE_HEAD")).unwrap();
    std::fs::create_dir(root.join(".git/rebase-merge")).unwrap();
    assert!(matches!(git::commit_changes(root, &request(&change, "m")), Err(GitError::MidRebase)));
    let plain = tempfile::tempdir().unwrap();
    let err = git::commit_changes(plain.path(), &request(&change, "m")).unwrap_err();
    assert!(matches!(err, GitError::NotARepo(_)) && err.to_string().contains("git init"), "{err}");
}

#[test]
fn a_failing_pre_commit_hook_is_reported_and_nothing_is_lost() {
    let temp = repo();
    let root = temp.path();
    let hook = root.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'lint: trailing space in d.txt' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    write(root, "d.txt", "d \n");
    let head = git_ok(root, &["rev-parse", "HEAD"]);
    let change = [file_change("d.txt", None, Some("d \n".into()))];
    let err = git::commit_changes(root, &request(&change, "Task 01.1: d")).unwrap_err();
    let GitError::HookFailed { output } = &err else { panic!("not the hook: {err}") };
    assert!(output.contains("lint: trailing space"), "{output}");
    assert_eq!(git_ok(root, &["rev-parse", "HEAD"]), head, "no commit");
    assert_eq!(std::fs::read_to_string(root.join("d.txt")).unwrap(), "d \n", "the change is still there");
    assert_eq!(git_ok(root, &["status", "--porcelain"]), "?? d.txt", "and the index is as it was");
    let leftovers: Vec<_> = std::fs::read_dir(root.join(".git"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("aura-"))
        .collect();
    assert!(leftovers.is_empty(), "the scratch index and patch are gone");
}

fn next_report(client: &aura::engine::EngineClient) -> GitReport {
    wait(client, |e| match e {
        Event::GitStatusChanged { status, .. } => Some(status.clone()),
        Event::GitFailed { message, .. } => panic!("git failed: {message}"),
        _ => None,
    })
}

#[test]
fn the_git_tab_commands_init_stage_diff_unstage_and_commit() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, root);
    client.send(Command::GitStatus { project });
    assert_eq!(next_report(&client), GitReport { status: None, problem: Some(GitProblem::NotARepo) });

    client.send(Command::GitInit { project });
    assert!(next_report(&client).status.unwrap().unborn);
    for (key, value) in [("user.name", "Test"), ("user.email", "test@localhost"), ("commit.gpgsign", "false")] {
        git_ok(root, &["config", key, value]);
    }
    write(root, "hello.txt", "hello\n");
    client.send(Command::GitStage { project, paths: vec!["hello.txt".into()] });
    let status = next_report(&client).status.unwrap();
    assert_eq!(status.entries[0].staged, Some(GitChange::Added));
    client.send(Command::GitDiff { project, path: "hello.txt".into(), staged: true });
    let diff = wait(&client, |e| match e {
        Event::GitDiff { diff, .. } => Some(diff.clone()),
        _ => None,
    });
    assert_eq!((diff.change.before.as_deref(), diff.change.after.as_deref()), (None, Some("hello\n")));
    assert_eq!(diff.change.hunks.len(), 1, "the hunks Review draws");
    client.send(Command::GitUnstage { project, paths: vec!["hello.txt".into()] });
    assert!(next_report(&client).status.unwrap().entries[0].untracked);
    client.send(Command::GitStage { project, paths: vec!["../outside".into()] });
    let refused = wait(&client, |e| match e {
        Event::GitFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert!(refused.contains("not a path inside the workspace"), "{refused}");

    client.send(Command::GitStage { project, paths: vec!["hello.txt".into()] });
    next_report(&client);
    client.send(Command::GitCommit { project, message: "Say hello".into() });
    let commit = wait(&client, |e| match e {
        Event::GitCommitted { commit, .. } => Some(commit.clone()),
        Event::GitFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    let branch = git_ok(root, &["branch", "--show-current"]);
    assert_eq!((commit.branch.as_str(), commit.title.as_str()), (branch.as_str(), "Say hello"));
    assert_eq!(git_ok(root, &["log", "--format=%h %s"]), format!("{} Say hello", commit.hash));
    let status = next_report(&client).status.unwrap();
    assert!(status.entries.is_empty() && !status.unborn, "{status:?}");
}

/// A spec with two tasks: 01.1 writes the notes (verified by `make check`), 01.2 breaks the check.
fn loop_workspace(root: &Path) {
    init(root);
    let spec = SPEC_01.replace(
        "- [ ] 01.1 Create the crate with add and its test\n",
        "- [ ] 01.1 Write the notes\n- [ ] 01.2 Add a stray file (depends_on: 01.1)\n",
    );
    write(root, "specs/01-notes.md", &spec);
    write(root, "Makefile", "check:\n\tgrep -q done notes.txt\n\ttest ! -e stray.txt\n");
    write(root, "README.md", "# notes\n");
    write(root, "staged.txt", "one\n");
    commit_all(root, "start");
    // The user's own work, from before the loop: it must stay uncommitted and untouched.
    write(root, "README.md", "# notes, edited by the user\n");
    write(root, "staged.txt", "two\n");
    git_ok(root, &["add", "staged.txt"]);
}

fn plan_with_check(goal: &str) -> Turn {
    Turn::steps(vec![call(
        "submit_work_order",
        json!({"goal": goal, "capsule": goal, "acceptance": ["make check passes"], "validation": ["make check"]}),
    )])
}

fn loop_turns() -> Vec<Turn> {
    vec![
        plan_with_check("Write the notes"),
        Turn::steps(vec![call("write_file", json!({"path": "notes.txt", "content": "done\n"}))]),
        text("Wrote notes.txt."),
        plan_with_check("Add a stray file"),
        Turn::steps(vec![call("write_file", json!({"path": "stray.txt", "content": "oops\n"}))]),
        text("Wrote stray.txt."),
    ]
}

/// Runs the loop over `root` until it stops; the receipts it issued, by task key order.
fn run_loop(root: &Path, settings: LoopSettings) -> Vec<Receipt> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let emulator = runtime.block_on(Emulator::start(Script::new(loop_turns()))).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, root);
    use_emulator(&mut client, project, &emulator, LoopSettings { autopilot: true, max_attempts: 1, ..settings });
    client.send(Command::Loop { project, control: LoopControl::Start });
    let mut receipts = Vec::new();
    loop {
        let event = wait(&client, |e| match e {
            Event::ReceiptIssued { receipt } => Some(Ok(receipt.clone())),
            Event::LoopChanged { state: LoopState::Blocked | LoopState::Finished, .. } => Some(Err(())),
            _ => None,
        });
        match event {
            Ok(receipt) => receipts.push(receipt),
            Err(()) => return receipts,
        }
    }
}

#[test]
fn a_verified_task_is_committed_alone_and_a_failed_one_commits_nothing() {
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    loop_workspace(root);
    let start = git_ok(root, &["rev-parse", "HEAD"]);
    let receipts = run_loop(root, LoopSettings::default());
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    let (done, failed) = (&receipts[0], &receipts[1]);
    assert_eq!(done.verdict, Verdict::Verified, "{}", done.summary);
    let Some(CommitOutcome::Committed { hash, branch }) = &done.commit else { panic!("{:?}", done.commit) };
    assert_eq!(branch, "main");
    assert_eq!(failed.verdict, Verdict::Failed, "{}", failed.summary);
    assert_eq!(failed.commit, None, "a failed task commits nothing");

    // One commit on top of the start: the task's file and its ticked box, named for task and receipt.
    assert_eq!(git_ok(root, &["rev-list", "--count", &format!("{start}..HEAD")]), "1");
    assert_eq!(&git_ok(root, &["rev-parse", "--short", "HEAD"]), hash);
    let message = git_ok(root, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("Task 01.1: Write the notes\n\nSpec: specs/01-notes.md\nReceipt: verified"),
        "{message}"
    );
    assert!(message.contains(&format!("Aura-Receipt: {}", done.id)), "{message}");
    assert_eq!(git_ok(root, &["show", "--name-only", "--format=", "HEAD"]), "notes.txt\nspecs/01-notes.md");
    assert!(git_ok(root, &["show", "HEAD:specs/01-notes.md"]).contains("- [x] 01.1 Write the notes"));
    // The user's edits and the failed task's file are left as they were, uncommitted.
    assert_eq!(git_ok(root, &["diff", "--cached", "--name-only"]), "staged.txt");
    assert_eq!(git_ok(root, &["diff", "--name-only"]), "README.md");
    assert_eq!(std::fs::read_to_string(root.join("README.md")).unwrap(), "# notes, edited by the user\n");
    assert_eq!(git_ok(root, &["status", "--porcelain", "--", "stray.txt"]), "?? stray.txt");
}

#[test]
fn commits_per_task_turned_off_or_outside_git_say_why_on_the_receipt() {
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    loop_workspace(root);
    let start = git_ok(root, &["rev-parse", "HEAD"]);
    let receipts = run_loop(root, LoopSettings { commit_per_task: false, ..LoopSettings::default() });
    let Some(CommitOutcome::Skipped { reason }) = &receipts[0].commit else { panic!("{:?}", receipts[0].commit) };
    assert!(reason.contains("off"), "{reason}");
    assert_eq!(git_ok(root, &["rev-parse", "HEAD"]), start, "--no-commit commits nothing");

    let plain = tempfile::tempdir().unwrap();
    loop_workspace(plain.path());
    std::fs::remove_dir_all(plain.path().join(".git")).unwrap();
    let receipts = run_loop(plain.path(), LoopSettings::default());
    assert_eq!(receipts[0].verdict, Verdict::Verified);
    let Some(CommitOutcome::Skipped { reason }) = &receipts[0].commit else { panic!("{:?}", receipts[0].commit) };
    assert!(reason.contains("not a git repository"), "{reason}");
}

#[test]
fn a_hook_that_refuses_the_tasks_commit_is_on_its_receipt_and_the_loop_goes_on() {
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    loop_workspace(root);
    let hook = root.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let start = git_ok(root, &["rev-parse", "HEAD"]);
    let receipts = run_loop(root, LoopSettings::default());
    assert_eq!(receipts.len(), 2, "the loop went on to the next task");
    let Some(CommitOutcome::Refused { reason }) = &receipts[0].commit else { panic!("{:?}", receipts[0].commit) };
    assert!(reason.contains("policy: no commits today"), "{reason}");
    assert!(receipts[0].render_text().contains("not committed: a git hook refused"), "{}", receipts[0].render_text());
    assert_eq!(git_ok(root, &["rev-parse", "HEAD"]), start);
    assert_eq!(std::fs::read_to_string(root.join("notes.txt")).unwrap(), "done\n", "nothing is lost");
    assert_eq!(git_ok(root, &["diff", "--cached", "--name-only"]), "staged.txt");
}

#[test]
fn a_drones_merged_result_is_committed_the_same_way() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    init(root);
    write(root, "README.md", "# adder\n");
    write(root, "Makefile", "test:\n\tgrep -q adder README.md\n");
    let manifest = "name = \"docs\"\nrole = \"docs\"\ninstructions = \"Write docs.\"\nmodel = \"openai/docs-model\"\ntool_policy = \"normal_review\"\ntriggers = []\n";
    write(root, ".aura/drones/docs.toml", manifest);
    commit_all(root, "start");
    write(root, "NOTES.md", "the user's draft\n");
    let docs = "# adder\n\nAdds two numbers.\n";
    let turns = vec![
        Turn::steps(vec![call("write_file", json!({"path": "README.md", "content": docs}))]),
        text("Wrote README.md."),
    ];
    let emulator = runtime.block_on(Emulator::start(Script::new(vec![]).for_model("docs-model", turns))).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, root);
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let check = aura::domain::Check {
        kind: aura::domain::CheckKind::Test,
        command: "make test".into(),
        source: "settings".into(),
    };
    client.send(Command::SetChecks { project, checks: vec![check] });
    client.send(Command::RunDrone { project, drone: "docs".into(), goal: "document add".into() });
    let proposed = wait(&client, |e| match e {
        Event::ChangeSetProposed { changeset } => Some(changeset.id),
        _ => None,
    });
    client.send(Command::DecideChangeSet {
        changeset: proposed,
        decision: aura::protocol::ChangeSetDecision::AcceptAll,
        comment: None,
    });
    let receipt = wait(&client, |e| match e {
        Event::DroneRunFinished { run } => run.receipt.clone().filter(|r| r.commit.is_some()),
        _ => None,
    });
    assert_eq!(receipt.verdict, Verdict::Verified, "{}", receipt.summary);
    let Some(CommitOutcome::Committed { hash, .. }) = &receipt.commit else { panic!("{:?}", receipt.commit) };
    assert_eq!(&git_ok(root, &["rev-parse", "--short", "HEAD"]), hash);
    let message = git_ok(root, &["log", "-1", "--format=%B"]);
    assert!(message.starts_with("Drone docs: document add\n"), "{message}");
    assert!(message.contains(&format!("Aura-Receipt: {}", receipt.id)), "{message}");
    assert_eq!(git_ok(root, &["show", "--name-only", "--format=", "HEAD"]), "README.md");
    assert_eq!(git_ok(root, &["status", "--porcelain"]), "?? NOTES.md", "the user's draft is left alone");
}

/// `aura run` (the real binary) over the loop workspace against the emulator; its output.
fn aura_run(root: &Path, extra: &[&str]) -> String {
    aura_run_with_path(root, extra, None)
}

/// `aura run` with `PATH` set to `path` when given.
fn aura_run_with_path(root: &Path, extra: &[&str], path: Option<&Path>) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let emulator = runtime.block_on(Emulator::start(Script::new(loop_turns()))).unwrap();
    let base = emulator.base_url(aura::llm::ProviderKind::Openai);
    let out = Process::new(env!("CARGO_BIN_EXE_aura"))
        .args(["run", "--workspace"])
        .arg(root)
        .args(["--provider", "openai", "--base-url", &base, "--model", "emu", "--max-attempts", "1"])
        .args(extra)
        .env("AURA_DATA_DIR", data.path())
        .env("AURA_LOG", "aura=warn")
        .envs(path.map(|p| ("PATH", p.as_os_str())))
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "blocked on the failed task:\n{log}");
    log
}

#[test]
fn aura_run_prints_the_commit_and_no_commit_turns_it_off() {
    let workspace = tempfile::tempdir().unwrap();
    loop_workspace(workspace.path());
    let log = aura_run(workspace.path(), &[]);
    let hash = git_ok(workspace.path(), &["rev-parse", "--short", "HEAD"]);
    assert!(log.contains(&format!("committed {hash} on main")), "{log}");

    let workspace = tempfile::tempdir().unwrap();
    loop_workspace(workspace.path());
    let start = git_ok(workspace.path(), &["rev-parse", "HEAD"]);
    let log = aura_run(workspace.path(), &["--no-commit"]);
    assert!(log.contains("not committed: commits per task are off"), "{log}");
    assert_eq!(git_ok(workspace.path(), &["rev-parse", "HEAD"]), start);
}

/// A folder of links to every program on the `PATH` but git's, as on a machine without git.
fn path_without_git(into: &Path) -> std::path::PathBuf {
    let bin = into.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if !name.to_string_lossy().starts_with("git") && !link.exists() {
                let _ = std::os::unix::fs::symlink(entry.path(), link);
            }
        }
    }
    bin
}

#[test]
fn without_git_installed_the_task_is_done_and_its_receipt_says_why_it_was_not_committed() {
    let workspace = tempfile::tempdir().unwrap();
    loop_workspace(workspace.path());
    let start = git_ok(workspace.path(), &["rev-parse", "HEAD"]);
    let tools = tempfile::tempdir().unwrap();
    let path = path_without_git(tools.path());
    assert!(!path.join("git").exists());
    let log = aura_run_with_path(workspace.path(), &[], Some(&path));
    assert!(log.contains("not committed: git is not installed"), "{log}");
    assert_eq!(git_ok(workspace.path(), &["rev-parse", "HEAD"]), start, "nothing was committed");
    assert!(std::fs::read_to_string(workspace.path().join("notes.txt")).is_ok(), "the task's work is kept");
}

#[test]
fn a_tick_in_a_spec_that_was_never_committed_is_left_out_of_the_tasks_commit() {
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    loop_workspace(root);
    // As after `aura run` wrote the specs: the spec file is not in HEAD.
    git_ok(root, &["rm", "-q", "--cached", "specs/01-notes.md"]);
    git_ok(root, &["commit", "-q", "-m", "specs are not committed"]);
    let receipts = run_loop(root, LoopSettings::default());
    assert!(matches!(receipts[0].commit, Some(CommitOutcome::Committed { .. })), "{:?}", receipts[0].commit);
    assert_eq!(git_ok(root, &["show", "--name-only", "--format=", "HEAD"]), "notes.txt");
    assert!(std::fs::read_to_string(root.join("specs/01-notes.md")).unwrap().contains("- [x] 01.1"));
    assert_eq!(git_ok(root, &["status", "--porcelain", "--", "specs"]), "?? specs/");
}
