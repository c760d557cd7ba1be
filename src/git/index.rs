//! What the Git tab does to the repository: stage and unstage files, commit what is staged, and
//! `git init` a workspace that is not a repository yet. Nothing here pushes.

use std::path::Path;

use super::runner::{exec, git};
use super::status::{short_head, tracked_status};
use super::{GitError, checked};

/// `git add` of each path (a deleted file is staged as deleted).
pub fn stage(root: &Path, paths: &[String]) -> Result<(), GitError> {
    let paths = each_checked(paths)?;
    exec(git(root).env("GIT_LITERAL_PATHSPECS", "1").args(["add", "-A", "--"]).args(paths))?;
    Ok(())
}

/// Puts each path's index entry back to HEAD's (the work tree is untouched). Before the first
/// commit there is no HEAD: the paths leave the index instead.
pub fn unstage(root: &Path, paths: &[String]) -> Result<(), GitError> {
    let paths = each_checked(paths)?;
    let mut command = git(root);
    command.env("GIT_LITERAL_PATHSPECS", "1");
    if tracked_status(root)?.unborn {
        command.args(["rm", "--cached", "-q", "-r", "--"]);
    } else {
        command.args(["reset", "-q", "--"]);
    }
    exec(command.args(paths))?;
    Ok(())
}

/// Commits what is staged with `message` (the user's hooks run); the new commit's short hash and
/// its branch. Refused mid-rebase, mid-merge, with conflicts or on a detached HEAD.
pub fn commit_index(root: &Path, message: &str) -> Result<(String, String), GitError> {
    if message.trim().is_empty() {
        return Err(GitError::NoMessage);
    }
    let status = tracked_status(root)?;
    super::commit::refuse_if_busy(&status)?;
    let mut command = git(root);
    command.args(["commit", "-q", "--cleanup=strip", "-m", message]);
    super::commit::run_commit(root, &mut command)?;
    Ok((short_head(root)?, status.branch.unwrap_or_default()))
}

/// `git init` in the workspace folder.
pub fn init(root: &Path) -> Result<(), GitError> {
    exec(git(root).args(["init", "-q"]))?;
    Ok(())
}

fn each_checked(paths: &[String]) -> Result<Vec<&str>, GitError> {
    if paths.is_empty() {
        return Err(GitError::NoPaths);
    }
    paths.iter().map(|p| checked(p)).collect()
}
