//! Reading the workspace: `read_file` with line ranges and a content hash (binary and oversized
//! files are described, not dumped), `list_files` / `find_files` honouring `.gitignore`, and
//! `search` through the shared search core ([`super::search`]).

use std::io::{BufRead, Read, Seek};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

use crate::domain::{ContentHash, FileHits, SearchOptions, SkippedFile};

use super::search::{self, SearchError};
use super::{JailError, Opened, Workspace};

/// Files larger than this are described unless a line range is asked for.
pub const MAX_READ_BYTES: u64 = 1 << 20;
/// Lines returned by one read at most.
pub const MAX_READ_LINES: usize = 2000;
/// Entries a listing returns at most.
pub const MAX_LISTED: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Jail(#[from] JailError),
    #[error("{path} does not exist; `list_files` or `find_files` shows what does")]
    NotFound { path: String },
    #[error("{path} is a directory; use `list_files` on it")]
    IsDirectory { path: String },
    #[error("`{pattern}` is not a valid search pattern: {detail}")]
    BadPattern { pattern: String, detail: String },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
}

/// What `read_file` gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileView {
    Text {
        path: String,
        /// Of the whole file, for edits to prove they saw the current version.
        hash: ContentHash,
        line_count: usize,
        /// 1-based, inclusive.
        first_line: usize,
        last_line: usize,
        text: String,
        /// More lines follow that were not returned.
        truncated: bool,
    },
    /// Not shown: what it is and how big.
    Described { path: String, size: u64, reason: String },
}

fn io_error(path: &str, e: std::io::Error) -> ReadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound { path: path.to_string() },
        _ => ReadError::Io { path: path.to_string(), detail: e.to_string() },
    }
}

fn looks_binary(head: &[u8]) -> bool {
    head.contains(&0) || std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some())
}

/// Reads a file, or lines `first..=last` of it (1-based).
pub fn read_file(ws: &Workspace, path: &str, lines: Option<(usize, usize)>) -> Result<FileView, ReadError> {
    let (mut file, meta) = match ws.open_file(path)? {
        Opened::File(file, meta) => (file, meta),
        Opened::Missing => return Err(ReadError::NotFound { path: path.to_string() }),
        Opened::Directory => return Err(ReadError::IsDirectory { path: path.to_string() }),
    };
    let size = meta.len();
    let mut head = vec![0u8; 8192.min(size as usize)];
    file.read_exact(&mut head).map_err(|e| io_error(path, e))?;
    file.rewind().map_err(|e| io_error(path, e))?;
    if looks_binary(&head) {
        return Ok(FileView::Described {
            path: path.to_string(),
            size,
            reason: "binary (not UTF-8 text); it is not shown".into(),
        });
    }
    if size > MAX_READ_BYTES && lines.is_none() {
        return Ok(FileView::Described {
            path: path.to_string(),
            size,
            reason: format!(
                "over the {} KiB read limit; read a line range (first and last line) or search it",
                MAX_READ_BYTES / 1024
            ),
        });
    }
    let (first, last) = lines.unwrap_or((1, MAX_READ_LINES));
    let first = first.max(1);
    let last = last.max(first).min(first + MAX_READ_LINES - 1);
    // One pass: hash the whole file, count its lines, keep the asked range.
    let mut reader = std::io::BufReader::new(file);
    let mut hasher = Fnv::default();
    let (mut text, mut count, mut bytes) = (String::new(), 0usize, Vec::new());
    loop {
        bytes.clear();
        let n = reader.read_until(b'\n', &mut bytes).map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.write(&bytes);
        count += 1;
        if (first..=last).contains(&count) {
            match std::str::from_utf8(&bytes) {
                Ok(line) => text.push_str(line),
                Err(_) => {
                    return Ok(FileView::Described {
                        path: path.to_string(),
                        size,
                        reason: format!("not UTF-8 text (line {count}); it is not shown"),
                    });
                }
            }
        }
    }
    Ok(FileView::Text {
        path: path.to_string(),
        hash: hasher.finish(size),
        line_count: count,
        first_line: first.min(count.max(1)),
        last_line: last.min(count),
        text,
        truncated: count > last,
    })
}

/// The streaming form of [`ContentHash::of`].
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(self, len: u64) -> ContentHash {
        ContentHash(format!("{:016x}-{len}", self.0))
    }
}

fn relative(ws: &Workspace, path: &Path) -> String {
    path.strip_prefix(ws.root()).unwrap_or(path).to_string_lossy().into_owned()
}

/// Files and folders under `dir` (the root if `None`), `.gitignore`d and hidden ones left out,
/// folders ending in `/`, sorted. Returns whether the listing was cut at [`MAX_LISTED`].
pub fn list_files(
    ws: &Workspace,
    dir: Option<&str>,
    max_depth: Option<usize>,
) -> Result<(Vec<String>, bool), ReadError> {
    let start = match dir {
        Some(d) => ws.resolve(d)?,
        None => ws.root().to_path_buf(),
    };
    let mut out = Vec::new();
    let mut truncated = false;
    for entry in WalkBuilder::new(&start).max_depth(max_depth).require_git(false).build().flatten() {
        if entry.depth() == 0 {
            continue;
        }
        if out.len() == MAX_LISTED {
            truncated = true;
            break;
        }
        let mut name = relative(ws, entry.path());
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            name.push('/');
        }
        out.push(name);
    }
    out.sort();
    Ok((out, truncated))
}

/// Files whose workspace-relative path matches a glob (`**/*.rs`, `src/**/mod.rs`), ignored files
/// left out, sorted.
pub fn find_files(ws: &Workspace, glob: &str) -> Result<(Vec<String>, bool), ReadError> {
    let bad = |e: ignore::Error| ReadError::BadPattern { pattern: glob.to_string(), detail: e.to_string() };
    let overrides = OverrideBuilder::new(ws.root()).add(glob).map_err(bad)?.build().map_err(bad)?;
    let mut out = Vec::new();
    let mut truncated = false;
    for entry in WalkBuilder::new(ws.root()).overrides(overrides).require_git(false).build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if out.len() == MAX_LISTED {
            truncated = true;
            break;
        }
        out.push(relative(ws, entry.path()));
    }
    out.sort();
    Ok((out, truncated))
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub pattern: String,
    /// Match the pattern as plain text rather than a regular expression.
    pub literal: bool,
    pub case_insensitive: bool,
    /// Only files whose path matches this glob.
    pub glob: Option<String>,
    /// Lines of context before and after each hit.
    pub context: usize,
    pub max_hits: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    pub line: u64,
    pub text: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// Sorted by path, then line.
    pub hits: Vec<Hit>,
    /// More hits existed than `max_hits`.
    pub truncated: bool,
    /// Files not searched (too large, unreadable), with why.
    pub skipped: Vec<SkippedFile>,
}

/// Searches every file not ignored, in parallel, skipping binary and oversized files: the shared
/// search core, with the hits sorted by path, then line.
pub fn search(ws: &Workspace, query: &SearchQuery) -> Result<SearchResult, ReadError> {
    let core = search::Query {
        options: SearchOptions { regex: !query.literal, case_sensitive: !query.case_insensitive, whole_word: false },
        glob: query.glob.clone(),
        context: query.context,
        max_matches: query.max_hits,
        ..search::Query::new(query.pattern.clone(), SearchOptions::default())
    };
    let found: Mutex<Vec<Hit>> = Mutex::new(Vec::new());
    let summary = search::search(ws, &core, &AtomicBool::new(false), |file: FileHits| {
        let hits = file.matches.into_iter().map(|m| Hit {
            path: file.path.clone(),
            line: m.line,
            text: m.text,
            before: m.before,
            after: m.after,
        });
        found.lock().unwrap_or_else(|p| p.into_inner()).extend(hits);
    })
    .map_err(|e| match e {
        SearchError::BadGlob { glob, detail } => ReadError::BadPattern { pattern: glob, detail },
        SearchError::BadRegex { detail } => ReadError::BadPattern { pattern: query.pattern.clone(), detail },
        other => ReadError::BadPattern { pattern: query.pattern.clone(), detail: other.to_string() },
    })?;
    let mut hits = found.into_inner().unwrap_or_else(|p| p.into_inner());
    hits.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    Ok(SearchResult { hits, truncated: summary.truncated, skipped: summary.skipped_named })
}
