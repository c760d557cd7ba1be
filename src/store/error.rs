use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong with the store, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot write to the data directory {path}: {reason}. Choose a writable directory with --data-dir or AURA_DATA_DIR"
    )]
    ReadOnly { path: PathBuf, reason: String },
    #[error(
        "{path} is a file, not an Aura data directory. Move it away, or choose another directory with --data-dir or AURA_DATA_DIR; nothing was changed"
    )]
    FileInTheWay { path: PathBuf },
    #[error(
        "{path} is not an Aura store ({reason}). Choose an empty or new directory with --data-dir or AURA_DATA_DIR; nothing was changed"
    )]
    NotAStore { path: PathBuf, reason: String },
    #[error(
        "the store at {path} has schema version {found}, newer than this Aura understands ({supported}). Update Aura, or use another data directory; nothing was changed"
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error(
        "the store's data file {path} is damaged: {reason}. Aura does not open it, as reading it could crash. Restore data.mdb from a backup, or move the data directory away to start a new store (or choose another with --data-dir or AURA_DATA_DIR); nothing was changed"
    )]
    Damaged { path: PathBuf, reason: String },
    #[error("the store at {path} is already open in this process")]
    AlreadyOpen { path: PathBuf },
    #[error("the store at {path} failed: {source}")]
    Lmdb { path: PathBuf, source: heed::Error },
    #[error("could not encode a {what} for the store: {source}")]
    Encode { what: &'static str, source: serde_json::Error },
    #[error("the store thread has stopped; restart Aura")]
    Closed,
}

/// A stored value that could not be decoded; it is skipped and reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeWarning {
    pub table: &'static str,
    /// The entry's key, readable (an id, or `session#seq` for records).
    pub key: String,
    pub error: String,
}

impl fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {} entry {} that could not be read: {}", self.table, self.key, self.error)
    }
}

impl DecodeWarning {
    pub(crate) fn log(self) -> Self {
        tracing::warn!("{self}");
        self
    }
}
