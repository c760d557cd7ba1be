//! One file's staged or unstaged change as a [`FileChange`], the type Review draws, so the Git tab
//! shows it in the same diff view. The texts come from git (HEAD and the index) and the work tree;
//! the hunks are Aura's own, as for every other change.

use std::path::Path;

use crate::domain::FileChange;
use crate::edits::file_change;

use super::runner::{exec, git, names, output};
use super::{GitError, checked};

/// The change of `path` (workspace-relative) between HEAD and the index (`staged`), or between the
/// index and the work tree.
pub fn file_diff(root: &Path, path: &str, staged: bool) -> Result<FileChange, GitError> {
    let path = checked(path)?;
    let spec = format!("./{path}");
    let (before, after) = if staged {
        let before = match blob(root, &format!("HEAD:{spec}"))? {
            // Not in HEAD: new, or renamed from a path that is.
            None => match renamed_from(root, path)? {
                Some(from) => blob(root, &format!("HEAD:./{from}"))?,
                None => None,
            },
            found => found,
        };
        (before, blob(root, &format!(":{spec}"))?)
    } else {
        let index = blob(root, &format!(":{spec}"))?;
        // A file not in the index is untracked: compared with nothing.
        (index, on_disk(root, path)?)
    };
    let text = |bytes: Option<Vec<u8>>| {
        bytes
            .map(String::from_utf8)
            .transpose()
            .map_err(|_| GitError::NotText { path: path.to_string(), why: "it is not UTF-8 text (binary?)".into() })
    };
    Ok(file_change(path, text(before)?, text(after)?))
}

/// The path a staged file was renamed from, as `git status` finds renames.
fn renamed_from(root: &Path, path: &str) -> Result<Option<String>, GitError> {
    let out = exec(git(root).args(["diff", "--cached", "--name-status", "--relative", "-M", "-z"]))?;
    let mut fields = names(&out);
    while let Some(status) = fields.next() {
        let renamed = status.starts_with('R') || status.starts_with('C');
        let (first, second) = (fields.next(), if renamed { fields.next() } else { None });
        if let (Some(from), Some(to)) = (first, second)
            && to == path
        {
            return Ok(Some(from));
        }
    }
    Ok(None)
}

/// The bytes of a blob named like `HEAD:./path`; `None` when there is no such blob.
fn blob(root: &Path, spec: &str) -> Result<Option<Vec<u8>>, GitError> {
    let out = output(git(root).args(["cat-file", "blob", spec]))?;
    Ok(out.status.success().then_some(out.stdout))
}

/// The work tree's bytes of `path`; a symbolic link is its target, as git stores it, so reading
/// never follows a link out of the workspace.
fn on_disk(root: &Path, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    let full = root.join(path);
    let io = |source| GitError::Io { path: full.clone(), source };
    match std::fs::symlink_metadata(&full) {
        Err(_) => Ok(None),
        Ok(meta) if meta.file_type().is_symlink() => {
            Ok(Some(std::fs::read_link(&full).map_err(io)?.to_string_lossy().into_owned().into_bytes()))
        }
        Ok(meta) if meta.is_dir() => Err(GitError::NotText { path: path.into(), why: "it is a folder".into() }),
        Ok(_) => Ok(Some(std::fs::read(&full).map_err(io)?)),
    }
}
