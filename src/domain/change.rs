//! ChangeSets: every change an agent wants in the workspace, held for review before it is applied.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::id::{ChangeSetId, SessionId};
use super::now_millis;

/// A stable fingerprint of a file's content (64-bit FNV-1a plus the length), so an edit made against
/// an old read can be recognised as stale. Stable across platforms and compiler versions.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentHash(pub String);

impl ContentHash {
    pub fn of(bytes: &[u8]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        ContentHash(format!("{hash:016x}-{}", bytes.len()))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FileChangeKind {
    Add,
    Modify,
    Delete,
    /// Renamed from `from` (workspace-relative), possibly with edits.
    Move {
        from: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HunkDecision {
    #[default]
    Pending,
    Accepted,
    Rejected,
}

/// One contiguous region of a file change, decided on by the user on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// 1-based first line and line count in the old text.
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    #[serde(default)]
    pub decision: HunkDecision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Workspace-relative path after the change.
    pub path: String,
    pub kind: FileChangeKind,
    pub before: Option<String>,
    pub after: Option<String>,
    pub before_hash: Option<ContentHash>,
    pub hunks: Vec<Hunk>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSetStatus {
    /// Waiting for the approval policy or the user.
    Proposed,
    Applied,
    /// Some hunks were rejected; the accepted rest was applied.
    PartlyApplied,
    Rejected,
    /// Applied, then undone from its checkpoint.
    Undone,
}

/// What a Craft check found in a proposed change: shown beside its hunk, returned to the agent with
/// what to fix; the user may accept the change anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CraftFinding {
    pub path: String,
    /// 1-based line in the new text, when the finding is about one line.
    pub line: Option<u32>,
    /// Index of the file's hunk that holds the line.
    pub hunk: Option<usize>,
    /// `stub`, `placeholder`, `mass_deletion`, `swallowed_error`, `secret`, `formatter`, `linter`.
    pub rule: String,
    pub message: String,
    /// What the agent should do about it.
    pub fix: String,
}

/// Who decides on a ChangeSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Every ChangeSet waits for the user.
    #[default]
    Ask,
    /// ChangeSets inside the workspace are applied at once (still checkpointed, still undoable).
    AutoApprove,
    /// Nothing is written.
    ReadOnly,
}

/// The unit of review: files with before and after text, applied all at once or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: ChangeSetId,
    pub session: Option<SessionId>,
    /// What the change is for, in the agent's words.
    pub title: String,
    pub files: Vec<FileChange>,
    pub status: ChangeSetStatus,
    /// The user's comment back to the agent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Craft findings on the proposed change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<CraftFinding>,
    pub created_at: u64,
}

impl ChangeSet {
    pub fn new(session: Option<SessionId>, title: impl Into<String>, files: Vec<FileChange>) -> Self {
        ChangeSet {
            id: ChangeSetId::new(),
            session,
            title: title.into(),
            files,
            status: ChangeSetStatus::Proposed,
            comment: None,
            findings: Vec::new(),
            created_at: now_millis(),
        }
    }
}

/// What an applied ChangeSet replaced, written before it is applied, so the user can undo it or
/// restore the workspace to this point, also after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub changeset: ChangeSetId,
    pub at: u64,
    pub files: Vec<CheckpointFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointFile {
    pub path: String,
    /// The content before the change; `None` if the file did not exist.
    pub before: Option<String>,
    /// The hash the change left; `None` if it removed the file. A different hash now means the
    /// file was edited by hand since.
    pub after_hash: Option<ContentHash>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_stable_and_tells_contents_apart() {
        assert_eq!(ContentHash::of(b"").0, "cbf29ce484222325-0");
        assert_eq!(ContentHash::of(b"a").0, "af63dc4c8601ec8c-1");
        assert_ne!(ContentHash::of(b"ab"), ContentHash::of(b"ba"));
    }
}
