//! The one project-wide text search, on ripgrep's own libraries: the agent's `search` tool and the
//! desktop's Search tab both run it. A parallel walk that honours `.gitignore` and `.ignore` (and
//! leaves hidden files out, as ripgrep does), binary files and files over a size limit skipped and
//! counted, a cap on matching lines, and a stop flag checked for every file and every match. Each
//! file's matches are handed over as soon as that file is done, so a caller can stream them.
//!
//! Confinement: the walk never follows symlinks, and every file is opened beneath the workspace's
//! handle (`openat2(RESOLVE_BENEATH)`), so a folder swapped for a symlink mid-walk leads nowhere.

mod excerpt;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch};
use ignore::overrides::OverrideBuilder;
use ignore::{DirEntry, WalkBuilder, WalkState};

use crate::domain::{FileHits, LineHit, SearchOptions, SkippedFile};

use super::Workspace;

use excerpt::MAX_TEXT;

/// Files larger than this are skipped (and listed as skipped): a 200 MB log would hold a search
/// for seconds and bury real matches.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Matching lines a search returns at most, by default.
pub const MAX_MATCHES: usize = 20_000;
/// Skipped files named in a summary at most (the count is always whole).
const MAX_SKIPPED_NAMED: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("not a valid regular expression: {detail}; turn off Regex to search the text as written")]
    BadRegex { detail: String },
    #[error("the text holds a line break, and search looks within one line at a time; search for one line of it")]
    LineBreak,
    #[error("`{glob}` is not a valid glob: {detail}")]
    BadGlob { glob: String, detail: String },
}

/// What to look for, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub pattern: String,
    pub options: SearchOptions,
    /// Only files whose path matches this glob.
    pub glob: Option<String>,
    /// Lines of context kept before and after each match.
    pub context: usize,
    pub max_matches: usize,
    pub max_file_bytes: u64,
}

impl Query {
    /// `pattern` read by `options`, everywhere, no context, the default limits.
    pub fn new(pattern: impl Into<String>, options: SearchOptions) -> Query {
        Query {
            pattern: pattern.into(),
            options,
            glob: None,
            context: 0,
            max_matches: MAX_MATCHES,
            max_file_bytes: MAX_FILE_BYTES,
        }
    }
}

/// What a finished search found, besides the matches it handed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files with at least one match handed over.
    pub files: usize,
    /// Matching lines handed over.
    pub matches: usize,
    /// The cap was reached: more matches exist than were handed over.
    pub truncated: bool,
    /// Stopped by the flag before the walk was done.
    pub cancelled: bool,
    /// Binary files (a NUL byte) left out, as ripgrep leaves them.
    pub binary: usize,
    /// Files not searched, too large or unreadable: how many, and the first of them by name.
    pub skipped: usize,
    pub skipped_named: Vec<SkippedFile>,
}

/// The matcher for a query: the text as written unless it asks for a regex, never matching across
/// a line end (which lets the searcher skip straight to candidate lines, as ripgrep does).
fn matcher(pattern: &str, options: SearchOptions) -> Result<RegexMatcher, SearchError> {
    if !options.regex && pattern.contains('\n') {
        return Err(SearchError::LineBreak);
    }
    RegexMatcherBuilder::new()
        .fixed_strings(!options.regex)
        .case_insensitive(!options.case_sensitive)
        .word(options.whole_word)
        .line_terminator(Some(b'\n'))
        .build(pattern)
        .map_err(|e| SearchError::BadRegex { detail: e.to_string() })
}

/// Searches every file of the workspace the walk does not leave out, in parallel, calling `found`
/// with each file's matches (in line order) as soon as the file is done, from the walk's threads.
/// Files come in no particular order. Returns when the walk is done or `cancel` was set.
pub fn search<F>(ws: &Workspace, query: &Query, cancel: &AtomicBool, found: F) -> Result<Summary, SearchError>
where
    F: Fn(FileHits) + Sync,
{
    let matcher = matcher(&query.pattern, query.options)?;
    let mut walk = WalkBuilder::new(ws.root());
    walk.require_git(false);
    if let Some(glob) = &query.glob {
        let bad = |e: ignore::Error| SearchError::BadGlob { glob: glob.clone(), detail: e.to_string() };
        walk.overrides(OverrideBuilder::new(ws.root()).add(glob).map_err(bad)?.build().map_err(bad)?);
    }
    let run = Run { ws, query, cancel, found: &found, tally: Tally::default() };
    walk.build_parallel().run(|| {
        let run = &run;
        // One per thread, as ripgrep does: a clone has its own scratch space, so threads never wait on one.
        let matcher = matcher.clone();
        let mut searcher = SearcherBuilder::new()
            .line_number(true)
            .before_context(query.context)
            .after_context(query.context)
            .binary_detection(BinaryDetection::quit(b'\x00'))
            .build();
        Box::new(move |entry| run.visit(&mut searcher, &matcher, entry))
    });
    Ok(run.tally.summary(cancel.load(Ordering::Relaxed)))
}

/// Counts kept across the walk's threads.
#[derive(Default)]
struct Tally {
    /// Matching lines taken against the cap (a file found binary gives its own back).
    taken: AtomicUsize,
    files: AtomicUsize,
    matches: AtomicUsize,
    truncated: AtomicBool,
    binary: AtomicUsize,
    skipped: AtomicUsize,
    skipped_named: Mutex<Vec<SkippedFile>>,
}

impl Tally {
    fn skip(&self, path: String, reason: String) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        let mut named = self.skipped_named.lock().unwrap_or_else(|p| p.into_inner());
        if named.len() < MAX_SKIPPED_NAMED {
            named.push(SkippedFile { path, reason });
        }
    }

    fn summary(self, cancelled: bool) -> Summary {
        let mut skipped_named = self.skipped_named.into_inner().unwrap_or_else(|p| p.into_inner());
        skipped_named.sort_by(|a, b| a.path.cmp(&b.path));
        Summary {
            files: self.files.into_inner(),
            matches: self.matches.into_inner(),
            truncated: self.truncated.into_inner(),
            cancelled,
            binary: self.binary.into_inner(),
            skipped: self.skipped.into_inner(),
            skipped_named,
        }
    }
}

/// One search, shared by the walk's threads.
struct Run<'a, F> {
    ws: &'a Workspace,
    query: &'a Query,
    cancel: &'a AtomicBool,
    found: &'a F,
    tally: Tally,
}

impl<F: Fn(FileHits) + Sync> Run<'_, F> {
    fn visit(
        &self,
        searcher: &mut Searcher,
        matcher: &RegexMatcher,
        entry: Result<DirEntry, ignore::Error>,
    ) -> WalkState {
        if self.cancel.load(Ordering::Relaxed) || self.tally.truncated.load(Ordering::Relaxed) {
            return WalkState::Quit;
        }
        let Ok(entry) = entry else { return WalkState::Continue };
        // Symlinks are not followed: their type is not a file.
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return WalkState::Continue;
        }
        let relative = entry.path().strip_prefix(self.ws.root()).unwrap_or(entry.path());
        let path = relative.to_string_lossy().into_owned();
        let file = match self.ws.open_beneath(relative) {
            Ok(file) => file,
            Err(e) => {
                self.tally.skip(path, format!("not readable: {e}"));
                return WalkState::Continue;
            }
        };
        let size = file.metadata().map_or(0, |m| m.len());
        if size > self.query.max_file_bytes {
            let reason = format!("{}, over the {} search limit", megabytes(size), megabytes(self.query.max_file_bytes));
            self.tally.skip(path, reason);
            return WalkState::Continue;
        }
        let mut sink = FileSink { run: self, matcher, matches: Vec::new(), pending_before: Vec::new(), binary: false };
        let searched = searcher.search_file(matcher, &file, &mut sink);
        let FileSink { matches, binary, .. } = sink;
        match searched {
            Err(e) => self.tally.skip(path, format!("not readable: {e}")),
            Ok(()) if binary => {
                self.tally.taken.fetch_sub(matches.len(), Ordering::Relaxed);
                self.tally.binary.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) if matches.is_empty() => {}
            Ok(()) => {
                self.tally.files.fetch_add(1, Ordering::Relaxed);
                self.tally.matches.fetch_add(matches.len(), Ordering::Relaxed);
                (self.found)(FileHits { path, matches });
            }
        }
        WalkState::Continue
    }

    /// Takes one matching line against the cap; false once the cap is reached.
    fn take(&self) -> bool {
        if self.tally.taken.fetch_add(1, Ordering::Relaxed) < self.query.max_matches {
            return true;
        }
        self.tally.taken.fetch_sub(1, Ordering::Relaxed);
        self.tally.truncated.store(true, Ordering::Relaxed);
        false
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / f64::from(1 << 20))
}

/// Collects one file's matching lines; a file found binary is dropped whole by its caller.
struct FileSink<'r, 'a, F> {
    run: &'r Run<'a, F>,
    matcher: &'r RegexMatcher,
    matches: Vec<LineHit>,
    pending_before: Vec<String>,
    binary: bool,
}

impl<F: Fn(FileHits) + Sync> Sink for FileSink<'_, '_, F> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, std::io::Error> {
        if self.run.cancel.load(Ordering::Relaxed) || !self.run.take() {
            return Ok(false);
        }
        let before = std::mem::take(&mut self.pending_before);
        self.matches.push(line_hit(self.matcher, mat.bytes(), mat.line_number().unwrap_or(0), before));
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, ctx: &SinkContext<'_>) -> Result<bool, std::io::Error> {
        match ctx.kind() {
            SinkContextKind::Before => self.pending_before.push(excerpt::shown_line(ctx.bytes())),
            SinkContextKind::After => {
                if let Some(hit) = self.matches.last_mut() {
                    hit.after.push(excerpt::shown_line(ctx.bytes()));
                }
            }
            SinkContextKind::Other => {}
        }
        Ok(true)
    }

    fn binary_data(&mut self, _: &Searcher, _offset: u64) -> Result<bool, std::io::Error> {
        self.binary = true;
        Ok(false)
    }
}

/// A matching line with its match ranges, cut for showing.
fn line_hit(matcher: &RegexMatcher, line: &[u8], number: u64, before: Vec<String>) -> LineHit {
    let line = excerpt::trim_newline(line);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // Matches beyond what a cut line shows are not looked for (a one-letter query on a minified line).
    let _ = matcher.find_iter(line, |m| {
        if ranges.first().is_some_and(|first| m.start() > first.0 + MAX_TEXT) {
            return false;
        }
        if m.start() < m.end() {
            ranges.push((m.start(), m.end()));
        }
        true
    });
    let first = ranges.first().map_or(0, |r| r.0);
    // Characters before the first match; a stray byte counts as one, as it is shown.
    let column = line[..first].iter().filter(|&&b| !excerpt::continues(b)).count() + 1;
    let (text, ranges) = excerpt::excerpt(line, &ranges);
    LineHit { line: number, column: u32::try_from(column).unwrap_or(u32::MAX), text, ranges, before, after: Vec::new() }
}
