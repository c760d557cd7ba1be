//! Commits exactly a finished task's accepted changes. They are applied as a patch to HEAD's files
//! in an index of Aura's own (`GIT_INDEX_FILE`), so the user's staged and unstaged work in other
//! files (or elsewhere in the same files) stays out of the commit and untouched; `git commit` runs
//! with the user's hooks and identity. Afterwards the user's index entries of those paths are set
//! to the new HEAD, so `git status` shows them clean. Nothing is pushed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::{FileChange, FileChangeKind, GitStatus, RepoOperation};

use super::runner::{exec, failed, git, line, output};
use super::status::{short_head, status};
use super::{GitError, locate, patch};

static COMMITS: Mutex<()> = Mutex::new(());

/// Tells scratch files of commits made in the same millisecond apart.
static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// What to commit and how to say it.
pub struct CommitRequest<'a> {
    /// The accepted changes, relative to the workspace root, one per path (composed).
    pub changes: &'a [FileChange],
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

/// Runs a prepared `git commit`; a failure while a commit hook is installed is the hook's.
pub(super) fn run_commit(dir: &Path, command: &mut Command) -> Result<(), GitError> {
    let out = output(command)?;
    if out.status.success() {
        return Ok(());
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
/// HEAD, else the new commit's short hash and its branch.
pub fn commit_changes(root: &Path, request: &CommitRequest<'_>) -> Result<Option<(String, String)>, GitError> {
    // One at a time in this process: a commit built on a HEAD another one just moved would undo it.
    let _one = COMMITS.lock().unwrap_or_else(|p| p.into_inner());
    let status = status(root)?;
    refuse_if_busy(&status)?;
    let repo = locate(root)?;
    let top = &repo.toplevel;
    let scratch = Scratch::new(top)?;
    let result = (|| {
        fs::write(&scratch.patch, patch::patch(request.changes, &repo.prefix)).map_err(scratch.io(&scratch.patch))?;
        let with_index = || {
            let mut command = git(top);
            command.env("GIT_INDEX_FILE", &scratch.index);
            command
        };
        if status.unborn {
            exec(with_index().args(["read-tree", "--empty"]))?;
        } else {
            exec(with_index().args(["read-tree", "HEAD"]))?;
        }
        let mut apply = with_index();
        let out = output(apply.args(["apply", "--cached", "--whitespace=nowarn"]).arg(&scratch.patch))?;
        if !out.status.success() {
            return Err(GitError::DoesNotApply(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        let tree = line(&exec(with_index().arg("write-tree"))?);
        let head_tree =
            if status.unborn { None } else { Some(line(&exec(git(top).args(["rev-parse", "HEAD^{tree}"]))?)) };
        if head_tree.as_deref() == Some(tree.as_str()) {
            return Ok(None);
        }
        let mut commit = with_index();
        run_commit(top, commit.args(["commit", "-q", "--cleanup=whitespace", "-m", request.message]))?;
        Ok(Some(short_head(top)?))
    })();
    drop(scratch);
    let Some(hash) = result? else { return Ok(None) };
    settle_user_index(top, &repo.prefix, request.changes)?;
    Ok(Some((hash, status.branch.unwrap_or_default())))
}

/// The user's index entries of the committed paths become the new HEAD's, so they show clean.
fn settle_user_index(top: &Path, prefix: &str, changes: &[FileChange]) -> Result<(), GitError> {
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

/// The temporary index and patch, in the repository's git folder; deleted when dropped.
struct Scratch {
    index: PathBuf,
    patch: PathBuf,
}

impl Scratch {
    fn new(top: &Path) -> Result<Scratch, GitError> {
        let unique = format!("{}-{}", std::process::id(), SCRATCH.fetch_add(1, Ordering::Relaxed));
        let index = format!("aura-commit-{unique}.index");
        let patch = format!("aura-commit-{unique}.patch");
        let out = exec(git(top).args(["rev-parse", "--git-path", &index, "--git-path", &patch]))?;
        let text = String::from_utf8_lossy(&out);
        let mut lines = text.lines().map(|p| top.join(p));
        match (lines.next(), lines.next()) {
            (Some(index), Some(patch)) => Ok(Scratch { index, patch }),
            _ => Err(GitError::Git { command: "rev-parse --git-path".into(), stderr: text.into_owned() }),
        }
    }

    fn io<'a>(&self, path: &'a Path) -> impl FnOnce(std::io::Error) -> GitError + 'a {
        move |source| GitError::Io { path: path.to_path_buf(), source }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.index);
        let _ = fs::remove_file(&self.patch);
    }
}
