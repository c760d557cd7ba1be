//! The Git tab driven as a person would, against the real engine, a real store and a real git
//! repository in temp dirs: the branch and files, a click showing a file's diff in Review's diff
//! view, Stage, a commit message and Commit; and `git init` offered where there is no repository.

mod ui_harness;

use std::path::Path;
use std::process::Command as Process;

use ui_harness::{harness_with_store as harness, open_in_app, step_until};

use aura::domain::GitMark;
use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git").arg("-C").arg(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn configure(dir: &Path) {
    for (key, value) in [("user.name", "Test"), ("user.email", "test@localhost"), ("commit.gpgsign", "false")] {
        git(dir, &["config", key, value]);
    }
}

fn staged(app: &AuraApp, path: &str) -> bool {
    let status = app.view().git.report.as_ref().and_then(|r| r.status.as_ref());
    status.is_some_and(|s| s.entries.iter().any(|e| e.path == path && e.staged.is_some()))
}

fn show_git(harness: &mut Harness<'_, AuraApp>) {
    harness.state_mut().show_tab(Tab::Git);
    step_until(harness, 1_500, "the status never came", |app| app.view().git.report.is_some());
    harness.run_steps(2);
}

#[test]
fn a_file_is_diffed_staged_and_committed_from_the_git_tab() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    git(root, &["init", "-q", "-b", "main"]);
    configure(root);
    std::fs::write(root.join("a.txt"), "first line\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "start"]);
    std::fs::write(root.join("a.txt"), "first line\nsecond line, new\n").unwrap();
    std::fs::write(root.join("notes.md"), "later\n").unwrap();

    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, root);
    show_git(&mut harness);
    harness.get_by_label("Branch main");
    assert_eq!(harness.state().view().git.status_of("a.txt"), Some(GitMark::Modified));
    assert_eq!(harness.state().view().git.status_of("notes.md"), Some(GitMark::Untracked));

    // A click shows the unstaged diff, drawn line by line by the diff view Review uses.
    harness.get_by_label("a.txt").click();
    step_until(&mut harness, 1_500, "the diff never came", |app| {
        app.view().git.shown.as_ref().is_some_and(|s| s.change.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label("second line, new");
    harness.get_by_label("not staged");

    // Stage it (the first file of the unstaged list), write a message, commit.
    harness.get_all_by_label("Stage").next().unwrap().click();
    step_until(&mut harness, 1_500, "a.txt was never staged", |app| staged(app, "a.txt"));
    harness.run_steps(2);
    harness.get_by(|node| node.placeholder() == Some("Commit message")).focus();
    harness.run_steps(1);
    harness.get_by(|node| node.placeholder() == Some("Commit message")).type_text("Add the second line");
    harness.run_steps(1);
    harness.get_by_label("Commit").click();
    step_until(&mut harness, 1_500, "the commit never came", |app| app.view().git.last_commit.is_some());
    step_until(&mut harness, 1_500, "the status never refreshed", |app| !staged(app, "a.txt"));
    harness.run_steps(2);
    assert_eq!(git(root, &["log", "-1", "--format=%s"]), "Add the second line");
    assert_eq!(git(root, &["status", "--porcelain"]), "?? notes.md", "only what was staged was committed");
    harness.get_by_label_contains("Committed ");

    // Settings turns the commit per task off for this project, and the engine stores it.
    harness.state_mut().show_tab(Tab::Settings);
    harness.run_steps(2);
    harness.get_by_label("Commit each verified task (git workspaces only; never pushed)").click();
    step_until(&mut harness, 1_500, "the setting never landed", |app| {
        app.view().project.as_ref().is_some_and(|p| !p.loop_settings.commit_per_task)
    });
}

#[test]
fn a_folder_that_is_no_repository_is_offered_git_init() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());
    show_git(&mut harness);
    harness.get_by_label("This workspace is not a git repository.");
    harness.get_by_label("Commits per task are off until it is one.");
    harness.get_by_label("git init").click();
    step_until(&mut harness, 1_500, "the repository was never made", |app| {
        app.view().git.report.as_ref().is_some_and(|r| r.status.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label_contains("no commits yet");
    assert!(workspace.path().join(".git").is_dir());
}
