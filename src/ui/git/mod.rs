//! The Git tab's view model: the workspace's status (branch, ahead/behind, what git is in the
//! middle of, staged and unstaged files), the file whose diff is shown, the commit message being
//! written, and the last failure. Built only from engine events; every action is a command.
//! [`GitView::status_of`] gives other panels (the file tree) a path's mark.

mod panel;

use std::collections::HashMap;

use crate::domain::{FileChange, GitMark, ProjectId};
use crate::protocol::{Command, Event, GitCommitInfo, GitReport};

pub use panel::{git_ui, mark_colour};

use super::intents::Intents;
use super::review::FileDiff;

/// The file whose diff the tab shows: its path, which side, and the change once it came.
pub struct Shown {
    pub path: String,
    pub staged: bool,
    pub change: Option<FileChange>,
    /// Laid out by the Review diff view's own code, made when first drawn.
    pub diff: Option<FileDiff>,
}

#[derive(Default)]
pub struct GitView {
    pub project: Option<ProjectId>,
    /// The newest status; `None` until the first answer.
    pub report: Option<GitReport>,
    /// Each marked path and folder of that status, for [`GitView::status_of`].
    marks: HashMap<String, GitMark>,
    /// A status was asked for and has not come yet.
    pub asking: bool,
    pub shown: Option<Shown>,
    pub message: String,
    /// The last failure (a refused commit, a hook's output), until the next action.
    pub failure: Option<String>,
    pub last_commit: Option<GitCommitInfo>,
    /// The pass the tab was last drawn in: a tab that comes back into view asks for a new status.
    pub drawn_in: u64,
}

impl std::fmt::Debug for GitView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitView").field("project", &self.project).field("report", &self.report).finish()
    }
}

impl GitView {
    /// The view of a project just opened; its status is asked for at once.
    pub fn open(project: ProjectId, intents: &mut Intents) -> GitView {
        let mut view = GitView { project: Some(project), ..GitView::default() };
        view.refresh(intents);
        view
    }

    /// Called each time the tab draws: after a pass without it (it was hidden behind another tab or
    /// closed), the files may have changed, so the status is asked for again.
    pub fn drawn(&mut self, pass: u64, intents: &mut Intents) {
        if pass > self.drawn_in + 1 {
            self.refresh(intents);
        }
        self.drawn_in = pass;
    }

    /// Asks for the status again (the tab came forward, files changed, the user asked).
    pub fn refresh(&mut self, intents: &mut Intents) {
        if let Some(project) = self.project
            && !self.asking
        {
            self.asking = true;
            intents.send(Command::GitStatus { project });
        }
    }

    /// The mark of a workspace-relative path (a folder: the strongest under it), for colouring a
    /// file tree; `None` when it is clean or there is no repository.
    pub fn status_of(&self, path: &str) -> Option<GitMark> {
        self.marks.get(path).copied()
    }

    /// Shows `path`'s staged or unstaged diff (asked of the engine).
    pub fn show(&mut self, path: &str, staged: bool, intents: &mut Intents) {
        let Some(project) = self.project else { return };
        self.shown = Some(Shown { path: path.to_string(), staged, change: None, diff: None });
        intents.send(Command::GitDiff { project, path: path.to_string(), staged });
    }

    /// Sends an action on the repository; its answer comes back as a new status.
    pub fn act(&mut self, command: impl FnOnce(ProjectId) -> Command, intents: &mut Intents) {
        if let Some(project) = self.project {
            self.failure = None;
            intents.send(command(project));
        }
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        let ours = |project: &ProjectId| self.project == Some(*project);
        match event {
            Event::ProjectOpened { snapshot } => *self = GitView::open(snapshot.project.id, intents),
            Event::GitStatusChanged { project, status } if ours(project) => {
                self.asking = false;
                self.marks = status.status.as_ref().map(|s| s.marks()).unwrap_or_default();
                self.report = Some(status.clone());
                self.reshow(intents);
            }
            Event::GitDiff { project, diff } if ours(project) => {
                if let Some(shown) = self.shown.as_mut().filter(|s| s.path == diff.path && s.staged == diff.staged) {
                    shown.change = Some(diff.change.clone());
                    shown.diff = None;
                }
            }
            Event::GitFailed { project, message } if ours(project) => {
                self.asking = false;
                self.failure = Some(message.clone());
            }
            Event::GitCommitted { project, commit } if ours(project) => {
                self.last_commit = Some(commit.clone());
                self.message.clear();
            }
            // Files changed under git's feet: its status is asked for again.
            Event::ChangeSetDecided { applied, .. } | Event::ChangeSetUndone { restored: applied, .. }
                if !applied.is_empty() =>
            {
                self.refresh(intents)
            }
            // The watcher saw the disk change (the user's editor, a build, a checkout).
            Event::FilesChanged { project, .. } if ours(project) => self.refresh(intents),
            _ => {}
        }
    }

    /// After a new status: the shown file's diff again, or none when the file left that side.
    fn reshow(&mut self, intents: &mut Intents) {
        let Some(shown) = &self.shown else { return };
        let (path, staged) = (shown.path.clone(), shown.staged);
        let entries = self.report.as_ref().and_then(|r| r.status.as_ref()).map(|s| s.entries.as_slice()).unwrap_or(&[]);
        let still = entries
            .iter()
            .any(|e| e.path == path && if staged { e.staged.is_some() } else { e.unstaged.is_some() || e.untracked });
        if still {
            self.show(&path, staged, intents);
        } else {
            self.shown = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{GitEntry, GitStatus};

    fn report(entries: Vec<GitEntry>) -> GitReport {
        GitReport {
            status: Some(GitStatus { branch: Some("main".into()), entries, ..GitStatus::default() }),
            problem: None,
        }
    }

    #[test]
    fn a_new_status_asks_for_the_shown_diff_again_and_marks_paths() {
        let project = ProjectId::new();
        let mut intents = Intents::default();
        let mut view = GitView::open(project, &mut intents);
        assert_eq!(intents.commands(), [Command::GitStatus { project }]);
        view.show("a.txt", false, &mut intents);
        let entry = GitEntry { path: "a.txt".into(), staged: None, unstaged: None, untracked: true, conflicted: false };
        view.apply(&Event::GitStatusChanged { project, status: report(vec![entry]) }, &mut intents);
        assert_eq!(view.status_of("a.txt"), Some(GitMark::Untracked));
        let diffs = intents.commands().into_iter().filter(|c| matches!(c, Command::GitDiff { .. })).count();
        assert_eq!(diffs, 2, "shown, then shown again after the new status");
        view.apply(&Event::GitStatusChanged { project, status: report(vec![]) }, &mut intents);
        assert!(view.shown.is_none(), "a file that is clean now has no diff to show");
        assert_eq!(view.status_of("a.txt"), None);
    }
}
