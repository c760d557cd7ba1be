//! The workspace's git repository, through the system `git` command: its status, the diff of a
//! file staged or not, staging, commits from the Git tab, and the commit of a finished task's
//! accepted changes (through an index of its own, so the user's index and other changes stay as
//! they are). Aura never pushes. Everything here is synchronous: call it from `spawn_blocking`.

mod commit;
mod diff;
mod index;
mod patch;
pub mod runner;
mod status;

use std::io;
use std::path::{Component, Path, PathBuf};

pub use commit::{CommitRequest, commit_changes};
pub use diff::file_diff;
pub use index::{commit_index, init, stage, unstage};
pub use status::{parse_status, status};

use runner::{exec, git};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed: install git (Debian: `apt-get install git`) and try again")]
    GitMissing,
    #[error("{} is not a git repository: use `git init` in the Git tab (or run it there yourself)", .0.display())]
    NotARepo(PathBuf),
    #[error("a rebase is in progress: finish it (`git rebase --continue`) or abort it, then try again")]
    MidRebase,
    #[error("a merge, cherry-pick or revert is in progress: commit or abort it, then try again")]
    MidMerge,
    #[error("the repository has unresolved conflicts in {}: resolve them first", .0.join(", "))]
    Conflicts(Vec<String>),
    #[error("HEAD is detached: check out a branch (`git switch <branch>`) so commits are not lost")]
    DetachedHead,
    #[error("a git hook refused the commit; the changes are still in the work tree, uncommitted:\n{output}")]
    HookFailed { output: String },
    #[error("the change does not apply to the committed files (uncommitted edits nearby?): {0}")]
    DoesNotApply(String),
    #[error("`{0}` is not a path inside the workspace")]
    BadPath(String),
    #[error("name at least one file")]
    NoPaths,
    #[error("write a commit message first")]
    NoMessage,
    #[error("`{path}` cannot be shown as text: {why}")]
    NotText { path: String, why: String },
    #[error("`git {command}` failed: {stderr}")]
    Git { command: String, stderr: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Git takes the index's lock for most of what it does (a status refreshes the index) and refuses
/// to run while another holds it; and a task's commit is built on the HEAD it read. So Aura's git
/// work runs one piece at a time in this process: hold this around each piece.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where the workspace sits in its repository.
#[derive(Debug, Clone)]
pub struct Repo {
    pub toplevel: PathBuf,
    /// The workspace root relative to the toplevel, with a trailing `/`; empty at the top.
    pub prefix: String,
}

/// The repository `root` is in.
pub fn locate(root: &Path) -> Result<Repo, GitError> {
    let out = exec(git(root).args(["rev-parse", "--show-toplevel", "--show-prefix"])).map_err(|e| match e {
        GitError::Git { .. } => GitError::NotARepo(root.to_path_buf()),
        other => other,
    })?;
    let text = String::from_utf8_lossy(&out);
    let mut lines = text.lines();
    let toplevel = lines.next().filter(|l| !l.is_empty()).ok_or_else(|| GitError::NotARepo(root.into()))?;
    Ok(Repo { toplevel: PathBuf::from(toplevel), prefix: lines.next().unwrap_or("").to_string() })
}

/// Refuses paths that could leave the workspace: absolute ones and any with `..`.
fn checked(path: &str) -> Result<&str, GitError> {
    let inside =
        !path.is_empty() && Path::new(path).components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside { Ok(path) } else { Err(GitError::BadPath(path.to_string())) }
}
