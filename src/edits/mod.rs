//! Edits: every change an agent wants becomes a ChangeSet before anything is written. Patch formats
//! are parsed and planned in memory against the workspace's files; an approved ChangeSet is then
//! applied atomically (all files or none).

mod apply;
mod checkpoint;
mod diff;
mod journal;
pub mod patch;
mod place;
mod plan;
mod replace;
pub mod seek;

pub use apply::{apply, verify};
pub use checkpoint::{RestorePlan, capture, restore_plan};
pub use diff::{accepted_text, file_change, hunks};
pub use journal::{JOURNAL, Recovery, recover};
pub use place::Place;
pub use plan::{apply_chunks, plan_patch};
pub use replace::{Replace, WriteFile, plan_replace, plan_write};

/// How edits reach the workspace's files; the workspace jail implements it.
pub trait Files {
    /// The text of a workspace file; `None` if there is none. A directory, a file that is not
    /// UTF-8, or a path outside the workspace is an error.
    fn read_text(&self, path: &str) -> Result<Option<String>, EditError>;
    /// Where `path`'s content is written, symlinks followed: inside the workspace and never in a git
    /// folder, else refused. Planning calls it as the check that a path may be written.
    fn place(&self, path: &str) -> Result<Place, EditError>;
    /// The directory entry `path` itself (a final symlink is not followed): what a removal removes.
    fn entry(&self, path: &str) -> Result<Place, EditError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Parse(#[from] patch::ParseError),
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
    #[error("{path} does not exist; check the path (it is relative to the workspace root)")]
    NotFound { path: String },
    #[error("{path} is a directory, not a file")]
    IsDirectory { path: String },
    #[error("{path} is not UTF-8 text, so it cannot be edited as text")]
    NotText { path: String },
    #[error("{path} is {} MiB, over the {} MiB limit for text edits; change it with a command instead", size >> 20, limit >> 20)]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "{path}: could not find the line `{anchor}` that the @@ header names; read the file again and use a line that is in it"
    )]
    AnchorNotFound { path: String, anchor: String },
    #[error(
        "{path}: chunk {chunk} expects these lines, which are not in the file (read it again and copy them exactly):\n{expected}"
    )]
    ContextNotFound { path: String, chunk: usize, expected: String },
    #[error("the edit changes nothing")]
    NoChanges,
    #[error("{path}: the old text is empty; to create or replace a whole file, write it")]
    EmptyOld { path: String },
    #[error(
        "{path}: the old text occurs {count} times (lines {lines}); add surrounding lines to make it unique, or set replace_all"
    )]
    Ambiguous { path: String, count: usize, lines: String },
    #[error(
        "{path}: the old text is not in the file; the nearest region is lines {start}–{end}:\n{nearest}\nCopy the old text exactly from the file and retry"
    )]
    NoMatch { path: String, start: usize, end: usize, nearest: String },
    #[error("{path} changed on disk since it was read; read it again before editing")]
    Stale { path: String },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error(
        "the apply journal {} cannot be used ({detail}); an earlier apply was interrupted: check the changed files (git status), then delete the journal",
        JOURNAL
    )]
    Journal { detail: String },
}
