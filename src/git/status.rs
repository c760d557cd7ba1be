//! `git status --porcelain=v2 --branch -z`, limited to the workspace folder, read into a
//! [`GitStatus`]; and which operation (rebase, merge...) the repository is in the middle of.

use std::path::Path;

use crate::domain::{GitChange, GitEntry, GitStatus, RepoOperation};

use super::GitError;
use super::runner::{exec, git, line};

/// The workspace's status. Paths are relative to `root`; changes outside it are left out.
pub fn status(root: &Path) -> Result<GitStatus, GitError> {
    read_status(root, "--untracked-files=all")
}

/// The status without untracked files, which a commit does not need (and which cost a walk of the
/// work tree).
pub(super) fn tracked_status(root: &Path) -> Result<GitStatus, GitError> {
    read_status(root, "--untracked-files=no")
}

fn read_status(root: &Path, untracked: &str) -> Result<GitStatus, GitError> {
    let out = exec(git(root).args(["status", "--porcelain=v2", "--branch", "-z", untracked, "--", "."])).map_err(
        |e| match e {
            GitError::Git { stderr, .. } if stderr.contains("not a git repository") => {
                GitError::NotARepo(root.to_path_buf())
            }
            other => other,
        },
    )?;
    let mut status = parse_status(&out);
    status.operation = operation(root)?;
    Ok(status)
}

/// The operation in progress, from the marker files git leaves in its folder.
fn operation(root: &Path) -> Result<RepoOperation, GitError> {
    let markers = [
        ("rebase-merge", RepoOperation::Rebase),
        ("rebase-apply", RepoOperation::Rebase),
        ("MERGE_HEAD", RepoOperation::Merge),
        ("CHERRY_PICK_HEAD", RepoOperation::CherryPick),
        ("REVERT_HEAD", RepoOperation::Revert),
    ];
    let mut command = git(root);
    command.arg("rev-parse");
    for (marker, _) in markers {
        command.args(["--git-path", marker]);
    }
    let out = exec(&mut command)?;
    let text = String::from_utf8_lossy(&out);
    let found = text.lines().zip(markers).find(|(path, _)| root.join(path).exists());
    Ok(found.map_or(RepoOperation::None, |(_, (_, op))| op))
}

/// Reads porcelain v2 output with `-z` (records end in NUL; a rename's old path is the next record).
pub fn parse_status(out: &[u8]) -> GitStatus {
    let mut status = GitStatus::default();
    let mut records = out.split(|&b| b == 0).map(|r| String::from_utf8_lossy(r).into_owned());
    while let Some(record) = records.next() {
        let mut fields = record.splitn(2, ' ');
        let (kind, rest) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        match kind {
            "#" => header(&mut status, rest),
            "1" => status.entries.extend(changed(rest, 7, None)),
            "2" => {
                let from = records.next().unwrap_or_default();
                status.entries.extend(changed(rest, 8, Some(from)));
            }
            "u" => {
                if let Some(path) = rest.splitn(10, ' ').nth(9) {
                    let entry = GitEntry { conflicted: true, ..entry(path) };
                    status.entries.push(entry);
                }
            }
            "?" if !rest.is_empty() => status.entries.push(GitEntry { untracked: true, ..entry(rest) }),
            _ => {}
        }
    }
    status
}

fn entry(path: &str) -> GitEntry {
    GitEntry { path: path.to_string(), staged: None, unstaged: None, untracked: false, conflicted: false }
}

fn header(status: &mut GitStatus, rest: &str) {
    let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
    match key {
        "branch.oid" => status.unborn = value == "(initial)",
        "branch.head" if value == "(detached)" => status.detached = true,
        "branch.head" => status.branch = Some(value.to_string()),
        "branch.upstream" => status.upstream = Some(value.to_string()),
        "branch.ab" => {
            for part in value.split(' ') {
                let count = |s: &str| s.parse().unwrap_or(0);
                match part.split_at_checked(1) {
                    Some(("+", n)) => status.ahead = count(n),
                    Some(("-", n)) => status.behind = count(n),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// An ordinary (`1`) or renamed/copied (`2`) record: `XY` then `skip` fields, then the path.
fn changed(rest: &str, skip: usize, from: Option<String>) -> Option<GitEntry> {
    let mut fields = rest.splitn(skip + 1, ' ');
    let xy: Vec<char> = fields.next()?.chars().collect();
    let path = fields.nth(skip - 1)?;
    let side = |c: char| match c {
        'M' => Some(GitChange::Modified),
        'A' => Some(GitChange::Added),
        'D' => Some(GitChange::Deleted),
        'T' => Some(GitChange::TypeChanged),
        'R' => from.clone().map(|from| GitChange::Renamed { from }),
        'C' => from.clone().map(|from| GitChange::Copied { from }),
        _ => None,
    };
    Some(GitEntry { staged: side(*xy.first()?), unstaged: side(*xy.get(1)?), ..entry(path) })
}

/// The short hash of HEAD.
pub(super) fn short_head(dir: &Path) -> Result<String, GitError> {
    Ok(line(&exec(git(dir).args(["rev-parse", "--short", "HEAD"]))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_record_is_read() {
        let out = b"# branch.oid 1234\0# branch.head main\0# branch.upstream origin/main\0# branch.ab +2 -1\0\
1 .M N... 100644 100644 100644 aaa aaa src/a.rs\0\
1 A. N... 000000 100644 100644 000 bbb new file.txt\0\
2 R. N... 100644 100644 100644 ccc ccc R100 b.rs\0old b.rs\0\
u UU N... 100644 100644 100644 100644 d1 d2 d3 both.rs\0\
? notes.md\0";
        let status = parse_status(out);
        assert_eq!(status.branch.as_deref(), Some("main"));
        assert_eq!(status.upstream.as_deref(), Some("origin/main"));
        assert_eq!((status.ahead, status.behind, status.detached, status.unborn), (2, 1, false, false));
        let paths: Vec<&str> = status.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["src/a.rs", "new file.txt", "b.rs", "both.rs", "notes.md"]);
        assert_eq!(
            (status.entries[0].staged.clone(), status.entries[0].unstaged.clone()),
            (None, Some(GitChange::Modified))
        );
        assert_eq!(status.entries[1].staged, Some(GitChange::Added));
        assert_eq!(status.entries[2].staged, Some(GitChange::Renamed { from: "old b.rs".into() }));
        assert!(status.entries[3].conflicted && status.entries[4].untracked);
    }

    #[test]
    fn a_detached_or_unborn_head_is_seen() {
        let status = parse_status(b"# branch.oid (initial)\0# branch.head (detached)\0");
        assert!(status.unborn && status.detached && status.branch.is_none());
    }
}
