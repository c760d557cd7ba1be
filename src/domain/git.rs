//! A workspace's git state as surfaces see it: the branch, what is staged and what is not, and what a
//! finished task's commit became. Pure types; `crate::git` reads them from the `git` command.

use serde::{Deserialize, Serialize};

/// How one side (staged or unstaged) of a path changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GitChange {
    Modified,
    Added,
    Deleted,
    /// The file type changed (a file became a link).
    TypeChanged,
    /// Renamed from `from` (relative to the workspace).
    Renamed {
        from: String,
    },
    Copied {
        from: String,
    },
}

impl GitChange {
    /// One letter, as `git status --short` prints it.
    pub fn letter(&self) -> char {
        match self {
            GitChange::Modified => 'M',
            GitChange::Added => 'A',
            GitChange::Deleted => 'D',
            GitChange::TypeChanged => 'T',
            GitChange::Renamed { .. } => 'R',
            GitChange::Copied { .. } => 'C',
        }
    }
}

/// One path with changes, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitEntry {
    pub path: String,
    /// Between HEAD and the index.
    pub staged: Option<GitChange>,
    /// Between the index and the work tree.
    pub unstaged: Option<GitChange>,
    pub untracked: bool,
    /// Unmerged: both sides changed it in a merge, rebase or cherry-pick.
    pub conflicted: bool,
}

/// An operation git is in the middle of; Aura does not commit during one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoOperation {
    #[default]
    None,
    Rebase,
    Merge,
    CherryPick,
    Revert,
}

/// The repository as `git status` shows it, limited to the workspace folder.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GitStatus {
    /// The branch checked out; `None` on a detached HEAD.
    pub branch: Option<String>,
    pub upstream: Option<String>,
    pub ahead: u32,
    pub behind: u32,
    pub detached: bool,
    /// The branch has no commit yet.
    pub unborn: bool,
    pub operation: RepoOperation,
    pub entries: Vec<GitEntry>,
}

/// What a path's colour in a file tree says, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GitMark {
    Conflicted,
    Modified,
    Added,
    Deleted,
    Untracked,
}

impl GitStatus {
    /// The mark of `path` (workspace-relative), `None` when it is clean. For a folder: the strongest
    /// mark of what is under it.
    pub fn status_of(&self, path: &str) -> Option<GitMark> {
        self.marks().get(path).copied()
    }

    /// Every marked path and every folder above one (`""` is the root), with its strongest mark:
    /// made once per status, so a file tree looks each row up instead of scanning the entries.
    pub fn marks(&self) -> std::collections::HashMap<String, GitMark> {
        let mut marks = std::collections::HashMap::new();
        for entry in &self.entries {
            let mark = entry.mark();
            let folders = entry.path.match_indices('/').map(|(at, _)| &entry.path[..at]);
            for path in [""].into_iter().chain(folders).chain([entry.path.as_str()]) {
                let strongest = marks.entry(path.to_string()).or_insert(mark);
                if (mark as u8) < (*strongest as u8) {
                    *strongest = mark;
                }
            }
        }
        marks
    }

    /// Whether a commit now would be refused, and why.
    pub fn commit_refusal(&self) -> Option<String> {
        if self.entries.iter().any(|e| e.conflicted) {
            return Some("the repository has unresolved conflicts: resolve them and commit, then retry".into());
        }
        match self.operation {
            RepoOperation::Rebase => {
                Some("a rebase is in progress: finish it (`git rebase --continue`) or abort it".into())
            }
            RepoOperation::Merge => Some("a merge is in progress: commit it or abort it (`git merge --abort`)".into()),
            RepoOperation::CherryPick => Some("a cherry-pick is in progress: finish it or abort it".into()),
            RepoOperation::Revert => Some("a revert is in progress: finish it or abort it".into()),
            RepoOperation::None if self.detached => {
                Some("HEAD is detached: check out a branch so commits are not lost".into())
            }
            RepoOperation::None => None,
        }
    }
}

impl GitEntry {
    pub fn mark(&self) -> GitMark {
        if self.conflicted {
            return GitMark::Conflicted;
        }
        if self.untracked {
            return GitMark::Untracked;
        }
        match (&self.staged, &self.unstaged) {
            (_, Some(GitChange::Deleted)) | (Some(GitChange::Deleted), None) => GitMark::Deleted,
            (Some(GitChange::Added), None) => GitMark::Added,
            _ => GitMark::Modified,
        }
    }
}

/// What became of a finished piece of work's commit, shown on its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum CommitOutcome {
    /// Committed as `hash` (short) on `branch`.
    Committed { hash: String, branch: String },
    /// Not committed, by design: turned off, not a repository, not verified, nothing to commit.
    Skipped { reason: String },
    /// Not committed because something stood in the way (a hook, a rebase, a conflict): the changes
    /// are still in the work tree, uncommitted.
    Refused { reason: String },
}

impl CommitOutcome {
    /// One line: `committed abc1234 on main`, `not committed: ...`.
    pub fn line(&self) -> String {
        match self {
            CommitOutcome::Committed { hash, branch } => format!("committed {hash} on {branch}"),
            CommitOutcome::Skipped { reason } | CommitOutcome::Refused { reason } => format!("not committed: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, staged: Option<GitChange>, unstaged: Option<GitChange>) -> GitEntry {
        GitEntry { path: path.into(), staged, unstaged, untracked: false, conflicted: false }
    }

    #[test]
    fn a_folder_takes_the_strongest_mark_under_it() {
        let mut conflicted = entry("src/b.rs", None, None);
        conflicted.conflicted = true;
        let status = GitStatus {
            entries: vec![entry("src/a.rs", Some(GitChange::Added), None), conflicted, entry("srcx", None, None)],
            ..GitStatus::default()
        };
        assert_eq!(status.status_of("src/a.rs"), Some(GitMark::Added));
        assert_eq!(status.status_of("src"), Some(GitMark::Conflicted));
        assert_eq!(status.status_of("sr"), None, "a prefix that is not a folder");
        assert_eq!(status.status_of("README.md"), None);
        assert!(status.commit_refusal().unwrap().contains("conflicts"));
    }
}
