//! The Search tab's state: the query and its options, the search sent for them (as-you-type, once
//! typing pauses), and its results grouped by file as they stream in, flattened into rows so the
//! tab draws only the visible ones. Built only from engine events; what the user does becomes
//! commands and intents.

mod panel;

use std::time::{Duration, Instant};

use crate::domain::{FileHits, ProjectId, SearchOptions, SkippedFile};
use crate::protocol::{Command, Event};

use super::intents::{Intent, Intents};

pub use panel::search_ui;

/// How long typing must pause before the query is searched.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// How a search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub truncated: bool,
    pub elapsed_ms: u64,
    pub error: Option<String>,
    pub binary_files: u32,
    pub skipped: Vec<SkippedFile>,
}

/// One file's results and whether its rows are folded away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGroup {
    pub hits: FileHits,
    pub collapsed: bool,
}

/// A row of the results list: a file's header, or one matching line of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    File(usize),
    Hit(usize, usize),
}

#[derive(Debug, Default)]
pub struct SearchView {
    project: Option<ProjectId>,
    pub query: String,
    pub options: SearchOptions,
    /// The query and options last sent, so an unchanged box sends nothing.
    sent: Option<(String, SearchOptions)>,
    /// When the query or options changed without being sent yet.
    changed_at: Option<Instant>,
    /// The id of the search whose results are shown; answers to older ones are dropped.
    current: Option<u64>,
    next_id: u64,
    pub groups: Vec<FileGroup>,
    rows: Vec<Row>,
    /// Matching lines received for the current search.
    pub matches: usize,
    /// `None` while the current search runs (or before any).
    pub finished: Option<Finished>,
    /// Focus the query box when it is next drawn (Ctrl+Shift+F: the tab may not be drawn yet).
    pub focus_query: bool,
}

impl SearchView {
    /// A search of `project`, keeping the options chosen before.
    pub fn open(project: ProjectId, options: SearchOptions) -> Self {
        SearchView { project: Some(project), options, ..SearchView::default() }
    }

    /// Whether a project is open to search.
    pub fn has_project(&self) -> bool {
        self.project.is_some()
    }

    /// Whether a search was sent and has not finished.
    pub fn running(&self) -> bool {
        self.current.is_some() && self.finished.is_none()
    }

    /// Whether a search was sent for what is shown.
    pub fn searched(&self) -> bool {
        self.current.is_some()
    }

    /// The query and options of the search shown (or last cleared).
    pub fn sent(&self) -> Option<&(String, SearchOptions)> {
        self.sent.as_ref()
    }

    /// The query or an option changed at `now`: it is searched once typing pauses.
    pub fn edited(&mut self, now: Instant) {
        self.changed_at = Some(now);
    }

    /// Sends the search when typing has paused long enough; otherwise how long to wait.
    pub fn poll(&mut self, now: Instant, intents: &mut Intents) -> Option<Duration> {
        let changed = self.changed_at?;
        let waited = now.saturating_duration_since(changed);
        if waited < DEBOUNCE {
            return Some(DEBOUNCE - waited);
        }
        self.search_now(intents);
        None
    }

    /// Stops the running search, if one runs (another project is opening).
    pub fn stop(&mut self, intents: &mut Intents) {
        if let Some(search) = self.current.filter(|_| self.running()) {
            intents.send(Command::CancelSearch { search });
        }
    }

    /// Searches what is typed now (Enter), unless that was the last search sent.
    pub fn search_now(&mut self, intents: &mut Intents) {
        self.changed_at = None;
        let Some(project) = self.project else { return };
        let asked = (self.query.clone(), self.options);
        if self.sent.as_ref() == Some(&asked) {
            return;
        }
        self.stop(intents);
        self.sent = Some(asked);
        self.clear_results();
        if self.query.is_empty() {
            self.current = None;
            return;
        }
        self.next_id += 1;
        self.current = Some(self.next_id);
        let (query, options) = (self.query.clone(), self.options);
        intents.send(Command::SearchWorkspace { project, search: self.next_id, query, options });
    }

    fn clear_results(&mut self) {
        self.groups.clear();
        self.rows.clear();
        self.matches = 0;
        self.finished = None;
    }

    /// One file's hits, taken as they came (up to 20,000 lines a search: never copied).
    pub fn push_hits(&mut self, project: ProjectId, search: u64, hits: FileHits) {
        if Some(project) != self.project || Some(search) != self.current {
            return;
        }
        let group = self.groups.len();
        self.matches += hits.matches.len();
        self.rows.push(Row::File(group));
        self.rows.extend((0..hits.matches.len()).map(|hit| Row::Hit(group, hit)));
        self.groups.push(FileGroup { hits, collapsed: false });
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::SearchFinished { search, truncated, elapsed_ms, error, binary_files, skipped, .. }
                if Some(*search) == self.current =>
            {
                self.finished = Some(Finished {
                    truncated: *truncated,
                    elapsed_ms: *elapsed_ms,
                    error: error.clone(),
                    binary_files: *binary_files,
                    skipped: skipped.clone(),
                });
                // Files arrive in the order the walk's threads finish them; once all are in, by path.
                self.groups.sort_by(|a, b| a.hits.path.cmp(&b.hits.path));
                self.rebuild_rows();
            }
            _ => {}
        }
    }

    /// The rows to draw: each file's header, and its lines unless it is collapsed.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn toggle(&mut self, group: usize) {
        if let Some(g) = self.groups.get_mut(group) {
            g.collapsed = !g.collapsed;
            self.rebuild_rows();
        }
    }

    fn rebuild_rows(&mut self) {
        self.rows.clear();
        for (i, group) in self.groups.iter().enumerate() {
            self.rows.push(Row::File(i));
            if !group.collapsed {
                self.rows.extend((0..group.hits.matches.len()).map(|hit| Row::Hit(i, hit)));
            }
        }
    }

    /// Opens the file of a result at its line.
    pub fn open_hit(&self, group: usize, hit: usize, intents: &mut Intents) {
        let Some(group) = self.groups.get(group) else { return };
        let line = group.hits.matches.get(hit).map(|m| u32::try_from(m.line).unwrap_or(u32::MAX));
        intents.push(Intent::OpenFile { path: group.hits.path.clone(), line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LineHit;

    /// A file's hits on `lines`, each line `fn main` with `fn` marked.
    pub(super) fn hits(path: &str, lines: &[u64]) -> FileHits {
        let hit = |line: u64| LineHit {
            line,
            column: 1,
            text: "fn main".into(),
            ranges: vec![(0, 2)],
            before: vec![],
            after: vec![],
        };
        FileHits { path: path.into(), matches: lines.iter().copied().map(hit).collect() }
    }

    /// A view of `project` that has sent search 1, for `fn`, and the intents it left (none).
    pub(super) fn searching(project: ProjectId) -> (SearchView, Intents) {
        let mut view = SearchView::open(project, SearchOptions::default());
        let mut intents = Intents::default();
        view.query = "fn".into();
        view.search_now(&mut intents);
        intents.take();
        (view, intents)
    }

    fn finished(search: u64) -> Event {
        Event::SearchFinished {
            search,
            files: 0,
            matches: 0,
            truncated: false,
            elapsed_ms: 3,
            error: None,
            binary_files: 0,
            skipped: vec![],
        }
    }

    #[test]
    fn typing_is_searched_once_it_pauses_and_the_same_query_is_not_sent_twice() {
        let project = ProjectId::new();
        let mut view = SearchView::open(project, SearchOptions::default());
        let mut intents = Intents::default();
        let start = Instant::now();
        view.query = "fn".into();
        view.edited(start);
        assert_eq!(view.poll(start + Duration::from_millis(50), &mut intents), Some(Duration::from_millis(100)));
        assert!(intents.as_slice().is_empty(), "nothing while typing goes on");
        assert_eq!(view.poll(start + DEBOUNCE, &mut intents), None);
        let options = SearchOptions::default();
        assert_eq!(
            intents.take(),
            [Intent::Send(Command::SearchWorkspace { project, search: 1, query: "fn".into(), options })]
        );
        view.edited(start);
        view.search_now(&mut intents);
        assert!(intents.as_slice().is_empty(), "an unchanged query is not searched again");
        // A new query stops the running search first.
        view.query = "fn main".into();
        view.search_now(&mut intents);
        assert_eq!(intents.commands()[0], Command::CancelSearch { search: 1 });
        assert!(matches!(intents.commands()[1], Command::SearchWorkspace { search: 2, .. }));
        intents.take();
        view.stop(&mut intents);
        assert_eq!(intents.commands(), [Command::CancelSearch { search: 2 }], "opening another project stops it");
    }

    #[test]
    fn results_group_by_file_drop_stale_answers_and_fold() {
        let project = ProjectId::new();
        let (mut view, mut intents) = searching(project);
        view.push_hits(project, 1, hits("src/z.rs", &[3, 9]));
        view.push_hits(project, 7, hits("stale.rs", &[1]));
        view.push_hits(project, 1, hits("src/a.rs", &[1]));
        assert!(view.running());
        assert_eq!(view.rows(), [Row::File(0), Row::Hit(0, 0), Row::Hit(0, 1), Row::File(1), Row::Hit(1, 0)]);
        view.apply(&finished(1));
        assert!(!view.running());
        assert_eq!(view.matches, 3);
        let paths: Vec<&str> = view.groups.iter().map(|g| g.hits.path.as_str()).collect();
        assert_eq!(paths, ["src/a.rs", "src/z.rs"], "sorted by path once finished");
        view.toggle(1);
        assert_eq!(view.rows(), [Row::File(0), Row::Hit(0, 0), Row::File(1)]);
        view.open_hit(1, 1, &mut intents);
        assert_eq!(intents.take().last(), Some(&Intent::OpenFile { path: "src/z.rs".into(), line: Some(9) }));
    }
}
