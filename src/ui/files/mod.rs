//! The Files tab: the workspace's tree, read one folder at a time as folders are opened, and kept
//! as the disk changes (the engine's watcher names what changed; only those folders are read
//! again). The visible rows are flattened once per change, so drawing a 100,000-file tree costs
//! what the rows on screen cost. A filter asks the engine for matching paths instead.

mod tree;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::domain::ProjectId;
use crate::protocol::{Command, Event, FolderListing};

use super::intents::Intents;

pub use tree::files_ui;

/// How long the filter waits after the last key before it asks.
const FILTER_DELAY: Duration = Duration::from_millis(120);
/// The most matches the filter shows.
const FILTER_LIMIT: u32 = 500;

/// One row of the tree as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub path: String,
    pub depth: usize,
    pub dir: bool,
    pub size: u64,
}

impl TreeRow {
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// Paths matching the filter, as the engine found them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub query: String,
    pub paths: Vec<String>,
    pub total: u32,
}

#[derive(Debug, Default)]
pub struct FilesView {
    project: Option<ProjectId>,
    /// Folders read so far, by path (`""` is the root).
    folders: HashMap<String, FolderListing>,
    /// Folders asked for and not answered yet.
    asked: BTreeSet<String>,
    pub expanded: BTreeSet<String>,
    /// The tree's visible rows, flattened; `None` after a change.
    rows: Option<Vec<TreeRow>>,
    pub filter: String,
    /// When the filter was last typed in, while its question waits.
    typed_at: Option<Instant>,
    pub found: Option<Found>,
    pub selected: Option<String>,
    /// Ctrl+P asked for the filter: it takes the focus when next drawn (a widget not drawn yet
    /// cannot have it).
    pub focus_filter: bool,
    /// Where the tree was scrolled to and how tall it was, last drawn: to keep a row moved to by
    /// the keyboard in view.
    pub viewport: (f32, f32),
    /// The scroll offset to take on the next draw.
    pub scroll_to: Option<f32>,
}

/// What a key does to the tree: select a row, open or close a folder (staying on it), open a file.
enum KeyTarget {
    Row(usize),
    Toggle(usize, String),
    Open(String),
}

/// A key for the tree, as in other editors' file trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKey {
    Up,
    Down,
    /// Opens a folder, or steps into an open one.
    Right,
    /// Closes a folder, or steps out to the folder holding the row.
    Left,
    /// Opens a file, or opens or closes a folder.
    Enter,
}

impl FilesView {
    /// The tree of a project just opened: its root is asked for at once.
    pub fn open(project: ProjectId, intents: &mut Intents) -> FilesView {
        let mut view = FilesView { project: Some(project), ..FilesView::default() };
        view.ask(String::new(), intents);
        view
    }

    fn ask(&mut self, path: String, intents: &mut Intents) {
        let Some(project) = self.project else { return };
        if self.asked.insert(path.clone()) {
            intents.send(Command::ListFolder { project, path });
        }
    }

    pub fn folder(&self, path: &str) -> Option<&FolderListing> {
        self.folders.get(path)
    }

    /// Opens or closes a folder; opening one never read asks for it.
    pub fn toggle(&mut self, path: &str, intents: &mut Intents) {
        if !self.expanded.remove(path) {
            self.expanded.insert(path.to_string());
            if !self.folders.contains_key(path) {
                self.ask(path.to_string(), intents);
            }
        }
        self.rows = None;
    }

    /// The rows to draw: the open folders' entries, depth first.
    pub fn rows(&mut self) -> &[TreeRow] {
        if self.rows.is_none() {
            let mut rows = Vec::new();
            self.flatten("", 0, &mut rows);
            self.rows = Some(rows);
        }
        self.rows.as_deref().unwrap_or_default()
    }

    fn flatten(&self, folder: &str, depth: usize, rows: &mut Vec<TreeRow>) {
        let Some(listing) = self.folders.get(folder) else { return };
        for entry in &listing.entries {
            let path = if folder.is_empty() { entry.name.clone() } else { format!("{folder}/{}", entry.name) };
            let open = entry.dir && self.expanded.contains(&path);
            rows.push(TreeRow { path: path.clone(), depth, dir: entry.dir, size: entry.size });
            if open {
                self.flatten(&path, depth + 1, rows);
            }
        }
    }

    /// Moves the selection or acts on it; the file to open, when Enter picked one. `row_h` keeps
    /// the selected row in view.
    pub fn key(&mut self, key: TreeKey, row_h: f32, intents: &mut Intents) -> Option<String> {
        let (next, toggle) = match self.key_target(key)? {
            KeyTarget::Row(next) => (next, None),
            KeyTarget::Toggle(next, folder) => (next, Some(folder)),
            KeyTarget::Open(path) => return Some(path),
        };
        // The row's place is taken before a toggle changes what lies below it.
        self.selected = self.rows().get(next).map(|r| r.path.clone());
        if let Some(folder) = toggle {
            self.toggle(&folder, intents);
        }
        let (offset, height) = self.viewport;
        let y = next as f32 * row_h;
        if y < offset || y + row_h > offset + height {
            self.scroll_to = Some((y - height / 2.0).max(0.0));
        }
        None
    }

    /// Where a key leads from the selected row, read off the rows as they are.
    fn key_target(&mut self, key: TreeKey) -> Option<KeyTarget> {
        self.rows();
        let (rows, expanded) = (self.rows.as_deref().unwrap_or_default(), &self.expanded);
        let last = rows.len().checked_sub(1)?;
        let at = self.selected.as_ref().and_then(|s| rows.iter().position(|r| &r.path == s));
        let Some(i) = at else {
            return matches!(key, TreeKey::Down | TreeKey::Up).then_some(KeyTarget::Row(0));
        };
        let row = &rows[i];
        let open = row.dir && expanded.contains(&row.path);
        Some(match key {
            TreeKey::Down => KeyTarget::Row((i + 1).min(last)),
            TreeKey::Up => KeyTarget::Row(i.saturating_sub(1)),
            TreeKey::Right if open => KeyTarget::Row((i + 1).min(last)),
            TreeKey::Left if !open => {
                let parent = row.path.rsplit_once('/').map(|(p, _)| p);
                KeyTarget::Row(parent.and_then(|p| rows.iter().position(|x| x.path == p)).unwrap_or(i))
            }
            TreeKey::Right | TreeKey::Left | TreeKey::Enter if row.dir => KeyTarget::Toggle(i, row.path.clone()),
            TreeKey::Enter => KeyTarget::Open(row.path.clone()),
            TreeKey::Right | TreeKey::Left => return None,
        })
    }

    /// Notes a key typed in the filter; the question goes after a pause ([`FilesView::poll`]).
    pub fn filter_changed(&mut self) {
        self.typed_at = Some(Instant::now());
        if self.filter.trim().is_empty() {
            self.found = None;
            self.typed_at = None;
        }
    }

    /// Asks for the filter's matches once typing paused; how long to wait otherwise.
    pub fn poll(&mut self, now: Instant, intents: &mut Intents) -> Option<Duration> {
        let typed_at = self.typed_at?;
        let due = typed_at + FILTER_DELAY;
        if now < due {
            return Some(due - now);
        }
        self.typed_at = None;
        self.ask_filter(intents);
        None
    }

    fn ask_filter(&mut self, intents: &mut Intents) {
        let (Some(project), query) = (self.project, self.filter.trim()) else { return };
        if !query.is_empty() {
            intents.send(Command::FindFiles { project, query: query.to_string(), limit: FILTER_LIMIT });
        }
    }

    /// Folders read again after changes on disk: the changed folders themselves and the folders
    /// holding changed paths, when they were read before.
    fn changed(&mut self, paths: &[String], all: bool, intents: &mut Intents) {
        let again: BTreeSet<String> = if all {
            self.folders.keys().cloned().collect()
        } else {
            paths
                .iter()
                .flat_map(|path| [path.clone(), path.rsplit_once('/').map_or(String::new(), |(p, _)| p.to_string())])
                .filter(|folder| self.folders.contains_key(folder))
                .collect()
        };
        for folder in again {
            self.asked.remove(&folder);
            self.ask(folder, intents);
        }
        if self.found.is_some() {
            self.ask_filter(intents);
        }
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        match event {
            Event::ProjectOpened { snapshot } => {
                // The same project again (a reconnect, a reopen) keeps its folders open.
                let project = snapshot.project.id;
                let expanded =
                    if self.project == Some(project) { std::mem::take(&mut self.expanded) } else { BTreeSet::new() };
                *self = FilesView::open(project, intents);
                for folder in &expanded {
                    self.ask(folder.clone(), intents);
                }
                self.expanded = expanded;
            }
            Event::FolderListed { project, listing } if Some(*project) == self.project => {
                self.asked.remove(&listing.path);
                if listing.error.is_some() && !listing.path.is_empty() {
                    // Gone (removed or renamed): its folder's new listing no longer names it.
                    self.folders
                        .retain(|path, _| path != &listing.path && !path.starts_with(&format!("{}/", listing.path)));
                    self.expanded.remove(&listing.path);
                } else {
                    self.folders.insert(listing.path.clone(), listing.clone());
                }
                self.rows = None;
            }
            // An answer to an older filter is dropped.
            Event::FilesFound { project, query, paths, total }
                if Some(*project) == self.project && query.as_str() == self.filter.trim() =>
            {
                self.found = Some(Found { query: query.clone(), paths: paths.clone(), total: *total });
            }
            Event::FilesChanged { project, paths, all } if Some(*project) == self.project => {
                self.changed(paths, *all, intents)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FolderEntry;

    fn listing(path: &str, entries: &[(&str, bool)]) -> Event {
        let entries = entries.iter().map(|(name, dir)| FolderEntry { name: name.to_string(), dir: *dir, size: 1 });
        Event::FolderListed {
            project: PROJECT.with(|p| *p),
            listing: FolderListing { path: path.into(), entries: entries.collect(), error: None },
        }
    }

    thread_local! {
        static PROJECT: ProjectId = ProjectId::new();
    }

    #[test]
    fn folders_are_read_when_opened_and_again_when_they_change() {
        let project = PROJECT.with(|p| *p);
        let mut intents = Intents::default();
        let mut files = FilesView::open(project, &mut intents);
        assert_eq!(
            intents.take(),
            [super::super::intents::Intent::Send(Command::ListFolder { project, path: "".into() })]
        );
        files.apply(&listing("", &[("src", true), ("README.md", false)]), &mut intents);
        let names: Vec<_> = files.rows().iter().map(|r| r.path.clone()).collect();
        assert_eq!(names, ["src", "README.md"]);
        files.toggle("src", &mut intents);
        assert_eq!(intents.commands(), [Command::ListFolder { project, path: "src".into() }]);
        intents.take();
        files.apply(&listing("src", &[("lib.rs", false)]), &mut intents);
        let rows = files.rows();
        assert_eq!((rows[1].path.as_str(), rows[1].depth), ("src/lib.rs", 1));
        // A new file in src: src is read again; the root is not, it did not change.
        let changed = Event::FilesChanged { project, paths: vec!["src/new.rs".into()], all: false };
        files.apply(&changed, &mut intents);
        assert_eq!(intents.commands(), [Command::ListFolder { project, path: "src".into() }]);
        intents.take();
        // Everything changed: every folder read so far is read again.
        files.apply(&Event::FilesChanged { project, paths: vec![], all: true }, &mut intents);
        assert_eq!(intents.commands().len(), 2);
    }

    #[test]
    fn the_keyboard_walks_the_tree_opens_and_closes_folders_and_opens_files() {
        let project = PROJECT.with(|p| *p);
        let mut intents = Intents::default();
        let mut files = FilesView::open(project, &mut intents);
        files.apply(&listing("", &[("src", true), ("README.md", false)]), &mut intents);
        intents.take();
        let mut key = |files: &mut FilesView, key| files.key(key, 20.0, &mut intents);
        assert_eq!(key(&mut files, TreeKey::Down), None);
        assert_eq!(files.selected.as_deref(), Some("src"), "the first row");
        key(&mut files, TreeKey::Right);
        assert!(files.expanded.contains("src"), "Right opens the folder");
        files.apply(&listing("src", &[("lib.rs", false)]), &mut Intents::default());
        key(&mut files, TreeKey::Right);
        assert_eq!(files.selected.as_deref(), Some("src/lib.rs"), "Right again steps in");
        assert_eq!(key(&mut files, TreeKey::Enter).as_deref(), Some("src/lib.rs"), "Enter opens a file");
        key(&mut files, TreeKey::Left);
        assert_eq!(files.selected.as_deref(), Some("src"), "Left steps out to the folder");
        key(&mut files, TreeKey::Left);
        assert!(!files.expanded.contains("src"), "Left closes it");
        key(&mut files, TreeKey::Down);
        key(&mut files, TreeKey::Down);
        assert_eq!(files.selected.as_deref(), Some("README.md"), "Down stops at the last row");
    }

    #[test]
    fn the_filter_asks_once_typing_pauses() {
        let project = PROJECT.with(|p| *p);
        let mut intents = Intents::default();
        let mut files = FilesView::open(project, &mut intents);
        intents.take();
        files.filter = "lib".into();
        files.filter_changed();
        let now = Instant::now();
        assert!(files.poll(now, &mut intents).is_some(), "it waits for the pause");
        assert!(intents.commands().is_empty());
        assert_eq!(files.poll(now + FILTER_DELAY, &mut intents), None);
        assert_eq!(intents.commands(), [Command::FindFiles { project, query: "lib".into(), limit: FILTER_LIMIT }]);
        let stale = Event::FilesFound { project, query: "li".into(), paths: vec!["x".into()], total: 1 };
        files.apply(&stale, &mut intents);
        assert_eq!(files.found, None, "an answer to an older filter is dropped");
    }
}
