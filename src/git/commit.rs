//! Commits exactly a finished task's accepted changes. They are applied as a patch to HEAD's files
//! in an index of Aura's own (`GIT_INDEX_FILE`), so the user's staged and unstaged work in other
//! files (or elsewhere in the same files) stays out of the commit and untouched; `git commit` runs
//! with the user's hooks and identity. Afterwards the user's index entries of those paths are set
//! to the new HEAD, so `git status` shows them clean. Nothing is pushed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::{FileChange, FileChangeKind, GitStatus, RepoOperation};

use super::runner::{exec, failed, git, output};
use super::status::{short_head, tracked_status};
use super::{GitError, patch};

/// Tells apart the scratch files of this process's commits.
static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// What to commit and how to say it.
pub struct CommitRequest<'a> {
    /// The accepted changes, relative to the workspace root, one per path (composed).
    pub changes: &'a [FileChange],
    /// Changes committed with them only if they apply on their own after them: a task's ticked box
    /// in a spec file that was never committed is left out rather than refusing the whole commit.
    pub extras: &'a [FileChange],
    pub message: &'a str,
}

/// Refuses a commit while git is in the middle of something, or has nowhere safe to put it.
pub(super) fn refuse_if_busy(status: &GitStatus) -> Result<(), GitError> {
    let conflicts: Vec<String> = status.entries.iter().filter(|e| e.conflicted).map(|e| e.path.clone()).collect();
    match status.operation {
        RepoOperation::Rebase => Err(GitError::MidRebase),
        RepoOperation::Merge | RepoOperation::CherryPick | RepoOperation::Revert => Err(GitError::MidMerge),
        RepoOperation::None if !conflicts.is_empty() => Err(GitError::Conflicts(conflicts)),
        RepoOperation::None if status.detached => Err(GitError::DetachedHead),
        RepoOperation::None => Ok(()),
    }
}

/// Runs a prepared `git commit`, its output when it succeeds; a failure while a commit hook is
/// installed is the hook's.
pub(super) fn run_commit(dir: &Path, command: &mut Command) -> Result<String, GitError> {
    let out = output(command)?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let hooks = exec(git(dir).args(["rev-parse", "--git-path", "hooks/pre-commit", "--git-path", "hooks/commit-msg"]))?;
    let hooked = String::from_utf8_lossy(&hooks).lines().any(|hook| dir.join(hook).is_file());
    if hooked {
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let output = [stdout.trim(), stderr.trim()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
        return Err(GitError::HookFailed { output: output.join("\n") });
    }
    Err(failed(command, &out))
}

/// Commits `request.changes` on the current branch: `Ok(None)` when they change nothing against
/// HEAD, else the new commit's short hash and its branch. Hold [`super::exclusive`]: the commit is
/// built on the HEAD it read, and another commit moving HEAD meanwhile would be undone by it.
pub fn commit_changes(root: &Path, request: &CommitRequest<'_>) -> Result<Option<(String, String)>, GitError> {
    let status = tracked_status(root)?;
    refuse_if_busy(&status)?;
    let scratch = Scratch::new(root)?;
    let committed = scratch.commit(request, status.unborn);
    let (top, prefix) = (scratch.top.clone(), scratch.prefix.clone());
    drop(scratch);
    let Some((hash, with_extras)) = committed? else { return Ok(None) };
    let extras = if with_extras { request.extras } else { &[] };
    // The commit is made: a user's index that cannot be settled now (a git of theirs holds its
    // lock) only shows those paths as staged until their next `git reset` or `git add`.
    if let Err(e) = settle_user_index(&top, &prefix, request.changes.iter().chain(extras)) {
        tracing::warn!("committed {hash}, but the index entries of its files were not updated: {e}");
    }
    Ok(Some((hash, status.branch.unwrap_or_default())))
}

/// The user's index entries of the committed paths become the new HEAD's, so they show clean.
fn settle_user_index<'a>(
    top: &Path,
    prefix: &str,
    changes: impl Iterator<Item = &'a FileChange>,
) -> Result<(), GitError> {
    let mut paths: Vec<String> = Vec::new();
    for change in changes {
        paths.push(format!("{prefix}{}", change.path));
        if let FileChangeKind::Move { from } = &change.kind {
            paths.push(format!("{prefix}{from}"));
        }
    }
    exec(git(top).env("GIT_LITERAL_PATHSPECS", "1").args(["reset", "-q", "--"]).args(paths))?;
    Ok(())
}

/// Where a commit is prepared: the repository's toplevel, the workspace's place in it, the
/// user's index, and the scratch index and patch in the git folder (deleted when dropped).
struct Scratch {
    top: PathBuf,
    prefix: String,
    user_index: PathBuf,
    index: PathBuf,
    patch: PathBuf,
}

impl Scratch {
    /// All the paths from one `rev-parse` (each git run costs milliseconds).
    fn new(root: &Path) -> Result<Scratch, GitError> {
        let unique = format!("{}-{}", std::process::id(), SCRATCH.fetch_add(1, Ordering::Relaxed));
        let (index, patch) = (format!("aura-commit-{unique}.index"), format!("aura-commit-{unique}.patch"));
        let mut command = git(root);
        command.args(["rev-parse", "--show-toplevel", "--show-prefix", "--git-path", "index"]);
        let out = exec(command.args(["--git-path", &index, "--git-path", &patch]))?;
        let text = String::from_utf8_lossy(&out);
        let lines: Vec<&str> = text.lines().collect();
        let [top, prefix, user_index, index, patch] = lines[..] else {
            return Err(GitError::Git { command: "rev-parse".into(), stderr: text.into_owned() });
        };
        let at = |path: &str| root.join(path);
        Ok(Scratch {
            top: top.into(),
            prefix: prefix.into(),
            user_index: at(user_index),
            index: at(index),
            patch: at(patch),
        })
    }

    fn with_index(&self) -> Command {
        let mut command = git(&self.top);
        command.env("GIT_INDEX_FILE", &self.index);
        command
    }

    /// Applies `changes` to the scratch index; `Ok(false)` when they do not apply (with git's words
    /// in `why`).
    fn apply(&self, changes: &[FileChange], why: &mut String) -> Result<bool, GitError> {
        fs::write(&self.patch, patch::patch(changes, &self.prefix)).map_err(io(&self.patch))?;
        let out = output(self.with_index().args(["apply", "--cached", "--whitespace=nowarn"]).arg(&self.patch))?;
        *why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Ok(out.status.success())
    }

    /// HEAD's files with the patch applied, committed: the short hash and whether the extras went
    /// in, or `None` if nothing changed.
    fn commit(&self, request: &CommitRequest<'_>, unborn: bool) -> Result<Option<(String, bool)>, GitError> {
        if unborn {
            exec(self.with_index().args(["read-tree", "--empty"]))?;
        } else {
            // From a copy of the user's index, so the files git already knows unchanged keep their
            // stat data and are not read again; `-m` then takes every entry from HEAD.
            if self.user_index.is_file() {
                fs::copy(&self.user_index, &self.index).map_err(io(&self.index))?;
            }
            exec(self.with_index().args(["read-tree", "-m", "HEAD"]))?;
        }
        let mut why = String::new();
        if !self.apply(request.changes, &mut why)? {
            return Err(GitError::DoesNotApply(why));
        }
        let with_extras = !request.extras.is_empty() && self.apply(request.extras, &mut why)?;
        if !unborn && output(self.with_index().args(["diff-index", "--cached", "--quiet", "HEAD"]))?.status.success() {
            return Ok(None);
        }
        let mut commit = self.with_index();
        let said = run_commit(&self.top, commit.args(["commit", "--cleanup=whitespace", "-m", request.message]))?;
        // `[main abc1234] Task 01.1: …`, or `[main (root-commit) abc1234] …`.
        let hash = said.lines().next().and_then(|l| l.split(']').next()).and_then(|l| l.split_whitespace().last());
        let hash = match hash {
            Some(hash) => hash.to_string(),
            None => short_head(&self.top)?,
        };
        Ok(Some((hash, with_extras)))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GitError + '_ {
    move |source| GitError::Io { path: path.to_path_buf(), source }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.index);
        let _ = fs::remove_file(&self.patch);
    }
}
