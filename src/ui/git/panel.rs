//! Draws the Git tab: the branch and what stands in the way of a commit, the staged and unstaged
//! files (each with Stage or Unstage, a click shows its diff in Review's diff view), the commit
//! message and Commit; `git init` when the workspace is no repository, and what to do when git
//! is missing.

use egui::{Color32, Id, RichText, ScrollArea, TextEdit, Ui};

use crate::domain::{GitEntry, GitMark, GitStatus};
use crate::protocol::{Command, GitProblem, GitReport};

use super::super::intents::Intents;
use super::super::review::{DiffMode, FileDiff, diff_ui};
use super::super::theme::{self, Theme};
use super::super::view::ViewModel;
use super::GitView;

/// The colour of a path's mark, for the Git tab and file trees.
pub fn mark_colour(theme: &Theme, mark: GitMark) -> Color32 {
    match mark {
        GitMark::Conflicted | GitMark::Deleted => theme.error,
        GitMark::Modified => theme.active,
        GitMark::Added => theme.ok,
        GitMark::Untracked => theme.weak,
    }
}

pub fn git_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let git = &mut view.git;
    if git.project.is_none() {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to see its git status.").weak()));
        return;
    }
    git.drawn(ui.ctx().cumulative_pass_nr(), intents);
    // Taken out while the tab draws (the panels below need the view mutably), then put back.
    let Some(report) = git.report.take() else {
        git.refresh(intents);
        ui.label(RichText::new("Reading the git status…").weak());
        return;
    };
    report_ui(ui, git, &report, intents);
    git.report.get_or_insert(report);
}

fn report_ui(ui: &mut Ui, git: &mut GitView, report: &GitReport, intents: &mut Intents) {
    let status = match (&report.status, &report.problem) {
        (Some(status), _) => status,
        (None, problem) => return problem_ui(ui, git, problem.clone(), intents),
    };
    header_ui(ui, git, status, intents);
    ui.separator();
    let third = (ui.available_width() / 3.0).max(160.0);
    egui::Panel::left(Id::new("aura-git-files")).resizable(true).default_size(260.0_f32.min(third * 1.5)).show(
        ui,
        |ui| {
            ScrollArea::vertical().id_salt("aura-git-lists").show(ui, |ui| {
                files_ui(ui, git, status, intents);
                ui.separator();
                commit_ui(ui, git, status, intents);
            });
        },
    );
    shown_ui(ui, git);
}

fn problem_ui(ui: &mut Ui, git: &mut GitView, problem: Option<GitProblem>, intents: &mut Intents) {
    let theme = theme::of(ui);
    ui.add_space(theme::SPACE_M);
    match problem {
        Some(GitProblem::NotARepo) => {
            ui.label("This workspace is not a git repository.");
            ui.label(RichText::new("Commits per task are off until it is one.").weak());
            if ui.button("git init").on_hover_text("Make the workspace folder a git repository").clicked() {
                git.act(|project| Command::GitInit { project }, intents);
            }
        }
        Some(GitProblem::GitMissing) => {
            ui.colored_label(theme.warning, "git is not installed.");
            ui.label(RichText::new("Install git (Debian: apt-get install git), then refresh.").weak());
        }
        Some(GitProblem::Failed { message }) => {
            ui.colored_label(theme.error, message);
        }
        None => {}
    }
    failure_ui(ui, git);
    if ui.button("Refresh").clicked() {
        git.refresh(intents);
    }
}

/// The branch, its upstream and how far apart they are, and what git is in the middle of.
fn header_ui(ui: &mut Ui, git: &mut GitView, status: &GitStatus, intents: &mut Intents) {
    let theme = theme::of(ui);
    ui.horizontal_wrapped(|ui| {
        match &status.branch {
            Some(branch) => ui.strong(format!("Branch {branch}")),
            None => ui.colored_label(theme.warning, "HEAD detached"),
        };
        if let Some(upstream) = &status.upstream {
            ui.label(RichText::new(format!("→ {upstream} · {} ahead · {} behind", status.ahead, status.behind)).weak());
        }
        if status.unborn {
            ui.label(RichText::new("no commits yet").weak());
        }
        if ui.button("Refresh").clicked() {
            git.refresh(intents);
        }
    });
    if let Some(refusal) = status.commit_refusal() {
        ui.colored_label(theme.warning, format!("Aura does not commit now: {refusal}"));
    }
}

fn files_ui(ui: &mut Ui, git: &mut GitView, status: &GitStatus, intents: &mut Intents) {
    let staged: Vec<&GitEntry> = status.entries.iter().filter(|e| e.staged.is_some()).collect();
    let unstaged: Vec<&GitEntry> =
        status.entries.iter().filter(|e| e.unstaged.is_some() || e.untracked || e.conflicted).collect();
    side_ui(ui, git, &staged, true, intents);
    ui.add_space(theme::SPACE_S);
    side_ui(ui, git, &unstaged, false, intents);
    if status.entries.is_empty() {
        ui.label(RichText::new("Nothing to commit: the work tree is clean.").weak());
    }
}

/// The staged or the unstaged files, under a title with the action for all of them.
fn side_ui(ui: &mut Ui, git: &mut GitView, entries: &[&GitEntry], staged: bool, intents: &mut Intents) {
    let (title, all) = if staged { ("Staged", "Unstage all") } else { ("Changes", "Stage all") };
    ui.horizontal(|ui| {
        ui.strong(format!("{title} ({})", entries.len()));
        let paths: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
        if !paths.is_empty() && ui.small_button(all).clicked() {
            git.act(|project| change_index(project, paths, staged), intents);
        }
    });
    for entry in entries {
        file_row_ui(ui, git, entry, staged, intents);
    }
}

/// Unstages paths that are staged, stages the others.
fn change_index(project: crate::domain::ProjectId, paths: Vec<String>, staged: bool) -> Command {
    if staged { Command::GitUnstage { project, paths } } else { Command::GitStage { project, paths } }
}

/// One file: its letter in its mark's colour, its path (a click shows the diff) and its action.
fn file_row_ui(ui: &mut Ui, git: &mut GitView, entry: &GitEntry, staged: bool, intents: &mut Intents) {
    let theme = theme::of(ui);
    let side = if staged { &entry.staged } else { &entry.unstaged };
    let letter = match side {
        _ if entry.conflicted => '!',
        _ if entry.untracked && !staged => '?',
        Some(change) => change.letter(),
        None => ' ',
    };
    ui.push_id((&entry.path, staged), |ui| {
        ui.horizontal(|ui| {
            ui.colored_label(mark_colour(theme, entry.mark()), RichText::new(letter.to_string()).monospace());
            let chosen = git.shown.as_ref().is_some_and(|s| s.path == entry.path && s.staged == staged);
            if ui.selectable_label(chosen, &entry.path).clicked() {
                git.show(&entry.path, staged, intents);
            }
            let (label, hint) = if staged {
                ("Unstage", "Keep the change, take it out of the commit")
            } else {
                ("Stage", "Put this change into the next commit")
            };
            if ui.small_button(label).on_hover_text(hint).clicked() {
                let paths = vec![entry.path.clone()];
                git.act(|project| change_index(project, paths, staged), intents);
            }
        });
    });
}

fn commit_ui(ui: &mut Ui, git: &mut GitView, status: &GitStatus, intents: &mut Intents) {
    ui.add(
        TextEdit::multiline(&mut git.message).hint_text("Commit message").desired_rows(3).desired_width(f32::INFINITY),
    );
    let staged = status.entries.iter().any(|e| e.staged.is_some());
    let ready = staged && !git.message.trim().is_empty() && status.commit_refusal().is_none();
    let commit = ui
        .add_enabled(ready, egui::Button::new("Commit"))
        .on_disabled_hover_text("Stage a change and write a message first");
    if commit.clicked() {
        let message = git.message.trim().to_string();
        git.act(|project| Command::GitCommit { project, message }, intents);
    }
    if let Some(last) = &git.last_commit {
        ui.colored_label(theme::of(ui).ok, format!("Committed {} on {}: {}", last.hash, last.branch, last.title));
    }
    ui.label(RichText::new("Aura never pushes.").weak());
    failure_ui(ui, git);
}

fn failure_ui(ui: &mut Ui, git: &GitView) {
    if let Some(failure) = &git.failure {
        ui.colored_label(theme::of(ui).error, failure);
    }
}

/// The shown file's diff, drawn by Review's diff view without decisions.
fn shown_ui(ui: &mut Ui, git: &mut GitView) {
    let Some(shown) = git.shown.as_mut() else {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Click a file to see its diff.").weak()));
        return;
    };
    let side = if shown.staged { "staged" } else { "not staged" };
    ui.horizontal(|ui| {
        ui.heading(&shown.path);
        ui.label(RichText::new(side).weak());
    });
    let Some(change) = shown.change.as_mut() else {
        ui.label(RichText::new("Reading the diff…").weak());
        return;
    };
    let dark = ui.visuals().dark_mode;
    if shown.diff.as_ref().is_none_or(|d| d.dark != dark) {
        let ctx = ui.ctx().clone();
        shown.diff = Some(FileDiff::new(change, Vec::new(), dark, theme::of(ui).text, move || ctx.request_repaint()));
    }
    if change.hunks.is_empty() {
        ui.label(RichText::new("No text changes (a new empty file, or only its mode changed).").weak());
    }
    if let Some(diff) = &shown.diff {
        diff_ui(ui, diff, change, DiffMode::Unified, Id::new(("aura-git-diff", &shown.path, shown.staged)), false);
    }
}
