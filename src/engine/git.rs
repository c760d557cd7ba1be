//! The Git tab's commands (status, a file's diff, stage, unstage, commit, init), each run off the
//! engine's loop; and the commit of a finished task's or Drone run's accepted changes, whose
//! outcome goes on its receipt. Aura never pushes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::domain::{ChangeSet, ChangeSetStatus, CommitOutcome, FileChange, FileChangeKind, ProjectId};
use crate::git::{self, CommitRequest, GitError};
use crate::protocol::{Event, GitCommitInfo, GitFileDiff, GitProblem, GitReport};

use super::{Engine, EngineResult, Journal, Reply};

/// A Git tab action, as the engine's dispatch hands it over.
pub(super) enum GitAction {
    Status,
    Diff { path: String, staged: bool },
    Stage(Vec<String>),
    Unstage(Vec<String>),
    Commit(String),
    Init,
}

/// The repository's status, or why there is none.
pub fn report(root: &Path) -> GitReport {
    match git::status(root) {
        Ok(status) => GitReport { status: Some(status), problem: None },
        Err(GitError::NotARepo(_)) => GitReport { status: None, problem: Some(GitProblem::NotARepo) },
        Err(GitError::GitMissing) => GitReport { status: None, problem: Some(GitProblem::GitMissing) },
        Err(e) => GitReport { status: None, problem: Some(GitProblem::Failed { message: e.to_string() }) },
    }
}

impl Engine {
    /// Runs `action` on the project's workspace off the loop. Answers (a status, a diff, a failure)
    /// go to the asking surface; a change to the repository is told to everyone.
    pub(super) fn git_action(&mut self, project: ProjectId, action: GitAction) -> EngineResult {
        let root = match self.project(project) {
            Ok(found) => found.root,
            Err(message) => {
                self.answer(Event::GitFailed { project, message });
                return Ok(());
            }
        };
        let (reply, all) = (self.reply(), Reply { emitter: self.emitter.clone(), to: None });
        tokio::task::spawn_blocking(move || run_action(&root, project, action, &reply, &all));
        Ok(())
    }
}

fn run_action(root: &Path, project: ProjectId, action: GitAction, reply: &Reply, all: &Reply) {
    // One piece at a time: a status asked for by one surface never makes another's Stage fail.
    let _one = git::exclusive();
    let changed = match action {
        GitAction::Status => return reply.send(Event::GitStatusChanged { project, status: report(root) }),
        GitAction::Diff { path, staged } => {
            return reply.send(match git::file_diff(root, &path, staged) {
                Ok(change) => Event::GitDiff { project, diff: GitFileDiff { path, staged, change } },
                Err(e) => Event::GitFailed { project, message: e.to_string() },
            });
        }
        GitAction::Stage(paths) => git::stage(root, &paths),
        GitAction::Unstage(paths) => git::unstage(root, &paths),
        GitAction::Init => git::init(root),
        GitAction::Commit(message) => git::commit_index(root, &message).map(|(hash, branch)| {
            let title = message.lines().next().unwrap_or_default().to_string();
            all.send(Event::GitCommitted { project, commit: GitCommitInfo { hash, branch, title } });
        }),
    };
    if let Err(e) = changed {
        reply.send(Event::GitFailed { project, message: e.to_string() });
    }
    all.send(Event::GitStatusChanged { project, status: report(root) });
}

/// What a finished piece of work asks to commit.
pub struct WorkCommit<'a> {
    pub project: ProjectId,
    pub root: PathBuf,
    /// The project's setting (`commit_per_task`).
    pub enabled: bool,
    pub changesets: &'a [ChangeSet],
    /// Committed with them only when they apply (a task's ticked box).
    pub extras: &'a [ChangeSet],
    pub message: String,
}

/// Commits the accepted changes of `work.changesets` (and nothing else) and tells the surfaces;
/// the outcome, for the receipt. A failure is never fatal: the changes stay in the work tree.
pub async fn commit_work(journal: &Journal, work: WorkCommit<'_>) -> CommitOutcome {
    let skipped = |reason: &str| CommitOutcome::Skipped { reason: reason.to_string() };
    if !work.enabled {
        return skipped("commits per task are off for this project (Settings)");
    }
    let changes = accepted_changes(work.changesets);
    if changes.is_empty() {
        return skipped("no accepted changes to commit");
    }
    let extras = accepted_changes(work.extras);
    let (root, message) = (work.root.clone(), work.message.clone());
    // The commit and the status it leaves, in one piece of git work.
    let (committed, status) = tokio::task::spawn_blocking(move || {
        let _one = git::exclusive();
        let request = CommitRequest { changes: &changes, extras: &extras, message: &message };
        let committed = git::commit_changes(&root, &request);
        let touched = match &committed {
            Ok(found) => found.is_some(),
            Err(e) => !matches!(e, GitError::NotARepo(_) | GitError::GitMissing),
        };
        (committed, touched.then(|| report(&root)))
    })
    .await
    .unwrap_or_else(|e| (Err(GitError::Git { command: "commit".into(), stderr: e.to_string() }), None));
    let outcome = match committed {
        Ok(Some((hash, branch))) => {
            let title = work.message.lines().next().unwrap_or_default().to_string();
            let commit = GitCommitInfo { hash: hash.clone(), branch: branch.clone(), title };
            journal.emit(Event::GitCommitted { project: work.project, commit });
            CommitOutcome::Committed { hash, branch }
        }
        Ok(None) => skipped("the accepted changes are already in HEAD; nothing to commit"),
        Err(GitError::NotARepo(_)) => skipped("the workspace is not a git repository (the Git tab offers `git init`)"),
        Err(GitError::GitMissing) => skipped("git is not installed"),
        Err(e) => CommitOutcome::Refused { reason: e.to_string() },
    };
    if let Some(status) = status {
        journal.emit(Event::GitStatusChanged { project: work.project, status });
    }
    outcome
}

/// The accepted part of every applied ChangeSet, one change per path from its first text to its
/// last (a file changed twice in a task is one change in its commit).
pub fn accepted_changes(changesets: &[ChangeSet]) -> Vec<FileChange> {
    let mut by_path: BTreeMap<String, FileChange> = BTreeMap::new();
    let applied =
        changesets.iter().filter(|c| matches!(c.status, ChangeSetStatus::Applied | ChangeSetStatus::PartlyApplied));
    for changeset in applied {
        let whole = changeset.status == ChangeSetStatus::Applied;
        for change in changeset.files.iter().filter_map(|f| super::review::accepted_change(f, whole)) {
            let earlier = match &change.kind {
                FileChangeKind::Move { from } => by_path.remove(from),
                _ => by_path.remove(&change.path),
            };
            let composed = match earlier {
                None => change,
                Some(first) => compose(first, change),
            };
            if composed.before != composed.after || matches!(composed.kind, FileChangeKind::Move { .. }) {
                by_path.insert(composed.path.clone(), composed);
            }
        }
    }
    by_path.into_values().collect()
}

/// `first` then `then`, as one change from `first`'s text to `then`'s, from where the file was.
fn compose(first: FileChange, then: FileChange) -> FileChange {
    let origin = match (&first.kind, &then.kind) {
        (FileChangeKind::Move { from }, _) | (_, FileChangeKind::Move { from }) => Some(from.clone()),
        _ => None,
    };
    let (path, kind) = match (origin, &first.before, &then.after) {
        (_, None, _) => (then.path, FileChangeKind::Add),
        (Some(from), Some(_), None) => (from, FileChangeKind::Delete),
        (None, Some(_), None) => (then.path, FileChangeKind::Delete),
        (Some(from), Some(_), Some(_)) => (then.path, FileChangeKind::Move { from }),
        (None, Some(_), Some(_)) => (then.path, FileChangeKind::Modify),
    };
    FileChange { path, kind, after: then.after, hunks: Vec::new(), ..first }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits::file_change;

    fn applied(files: Vec<FileChange>) -> ChangeSet {
        let mut changeset = ChangeSet::new(None, "edit", files);
        changeset.status = ChangeSetStatus::Applied;
        for file in &mut changeset.files {
            file.hunks.iter_mut().for_each(|h| h.decision = crate::domain::HunkDecision::Accepted);
        }
        changeset
    }

    #[test]
    fn a_file_changed_twice_is_one_change_and_rejected_sets_are_left_out() {
        let first = applied(vec![file_change("a.txt", Some("1\n".into()), Some("2\n".into()))]);
        let second = applied(vec![
            file_change("a.txt", Some("2\n".into()), Some("3\n".into())),
            file_change("new.txt", None, Some("n\n".into())),
        ]);
        let mut rejected = applied(vec![file_change("b.txt", Some("b\n".into()), Some("B\n".into()))]);
        rejected.status = ChangeSetStatus::Rejected;
        let back = applied(vec![file_change("new.txt", Some("n\n".into()), None)]);
        let changes = accepted_changes(&[first, second, rejected, back]);
        assert_eq!(changes.len(), 1, "an added then deleted file is no change: {changes:?}");
        assert_eq!((changes[0].before.as_deref(), changes[0].after.as_deref()), (Some("1\n"), Some("3\n")));
        assert_eq!(changes[0].kind, FileChangeKind::Modify);
    }
}
