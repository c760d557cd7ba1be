//! What a project-wide text search asks and finds: the same types for the agent's `search` tool,
//! the engine's Search command and the desktop's Search tab.

use serde::{Deserialize, Serialize};

/// How the query is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchOptions {
    /// A regular expression (Rust `regex` syntax) rather than the text as written.
    pub regex: bool,
    pub case_sensitive: bool,
    /// Only matches with a non-word character (or the line's edge) on both sides.
    pub whole_word: bool,
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineHit {
    /// 1-based.
    pub line: u64,
    /// 1-based, in characters, of the first match on the line.
    pub column: u32,
    /// The line, cut around the first match when it is long (cuts are marked with `…`); bytes that
    /// are not UTF-8 are shown as U+FFFD.
    pub text: String,
    /// Byte ranges of the matches in `text`, start inclusive, end exclusive, on char boundaries.
    pub ranges: Vec<(u32, u32)>,
    /// Lines before and after, when context was asked for (the agent's tool; the Search tab asks none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// One file's matching lines, in line order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHits {
    /// Workspace-relative, `/`-separated.
    pub path: String,
    pub matches: Vec<LineHit>,
}

/// A file a search did not read, and why (too large, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}
