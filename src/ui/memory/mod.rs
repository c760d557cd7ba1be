//! The open project's memory as the Memory tab shows it: its entries (pinned first, then newest),
//! a search whose results stand in for the list until it is cleared, and the form for a new entry.
//! Built only from engine events; what the user does becomes commands.

mod panel;

use std::cmp::Reverse;

use crate::domain::{MemoryEntry, ProjectId};
use crate::protocol::{Command, Event};

use super::intents::Intents;

pub use panel::memory_ui;

/// How many results a search asks for.
const SEARCH_LIMIT: u32 = 50;

/// A search sent, and its results once they are back.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub query: String,
    pub results: Option<Vec<MemoryEntry>>,
}

#[derive(Debug, Default)]
pub struct MemoryView {
    project: Option<ProjectId>,
    /// Pinned first, then newest first.
    pub entries: Vec<MemoryEntry>,
    pub query: String,
    pub search: Option<Search>,
    /// The new entry's text and tags (comma-separated) as typed.
    pub new_text: String,
    pub new_tags: String,
}

fn sort(entries: &mut [MemoryEntry]) {
    entries.sort_by_key(|e| (Reverse(e.pinned), Reverse(e.at_ms)));
}

/// Tags as typed: comma-separated, trimmed, empty ones dropped.
fn parse_tags(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

impl MemoryView {
    pub fn open(project: ProjectId, entries: Vec<MemoryEntry>) -> Self {
        let mut entries = entries;
        sort(&mut entries);
        MemoryView { project: Some(project), entries, ..MemoryView::default() }
    }

    pub fn apply(&mut self, event: &Event) {
        let Some(project) = self.project else { return };
        match event {
            Event::MemoryChanged { entry, deleted } if entry.project == project => {
                self.entries.retain(|e| e.id != entry.id);
                if !deleted {
                    self.entries.push(entry.clone());
                    sort(&mut self.entries);
                }
                if let Some(results) = self.search.as_mut().and_then(|s| s.results.as_mut()) {
                    match results.iter_mut().position(|e| e.id == entry.id) {
                        Some(at) if *deleted => {
                            results.remove(at);
                        }
                        Some(at) => results[at] = entry.clone(),
                        None => {}
                    }
                }
            }
            Event::MemoryResults { project: p, query, entries } if *p == project => {
                if let Some(search) = self.search.as_mut().filter(|s| s.query == *query) {
                    search.results = Some(entries.clone());
                }
            }
            _ => {}
        }
    }

    /// What the list shows: the search's results while there is one, else every entry.
    pub fn shown(&self) -> &[MemoryEntry] {
        match &self.search {
            Some(search) => search.results.as_deref().unwrap_or_default(),
            None => &self.entries,
        }
    }

    /// Searches for what is typed; an empty query clears the search.
    pub fn search(&mut self, intents: &mut Intents) {
        let query = self.query.trim().to_string();
        let Some(project) = self.project.filter(|_| !query.is_empty()) else {
            return self.clear_search();
        };
        intents.send(Command::SearchMemory { project, query: query.clone(), limit: SEARCH_LIMIT });
        self.search = Some(Search { query, results: None });
    }

    pub fn clear_search(&mut self) {
        self.search = None;
        self.query.clear();
    }

    /// Saves the typed entry, and empties the form.
    pub fn add(&mut self, intents: &mut Intents) {
        let text = self.new_text.trim().to_string();
        let Some(project) = self.project.filter(|_| !text.is_empty()) else { return };
        intents.send(Command::SaveMemory { project, text, tags: parse_tags(&self.new_tags) });
        self.new_text.clear();
        self.new_tags.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MemorySource;

    fn entry(project: ProjectId, text: &str, at_ms: u64) -> MemoryEntry {
        MemoryEntry { at_ms, ..MemoryEntry::new(project, text, vec![], MemorySource::User) }
    }

    #[test]
    fn pinned_come_first_then_newest_and_changes_keep_the_order() {
        let project = ProjectId::new();
        let (old, new) = (entry(project, "old", 1), entry(project, "new", 2));
        let mut view = MemoryView::open(project, vec![old.clone(), new.clone()]);
        let texts = |v: &MemoryView| v.entries.iter().map(|e| e.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&view), ["new", "old"]);
        view.apply(&Event::MemoryChanged { entry: MemoryEntry { pinned: true, ..old.clone() }, deleted: false });
        assert_eq!(texts(&view), ["old", "new"]);
        view.apply(&Event::MemoryChanged { entry: new.clone(), deleted: true });
        assert_eq!(texts(&view), ["old"]);
        let elsewhere = entry(ProjectId::new(), "other project", 3);
        view.apply(&Event::MemoryChanged { entry: elsewhere, deleted: false });
        assert_eq!(texts(&view), ["old"], "another project's entries stay out");
    }

    #[test]
    fn search_results_stand_in_for_the_list_until_cleared() {
        let project = ProjectId::new();
        let found = entry(project, "LMDB readers stay short", 1);
        let mut view = MemoryView::open(project, vec![found.clone(), entry(project, "tabs in Makefiles", 2)]);
        view.query = "  lmdb ".into();
        let mut intents = Intents::default();
        view.search(&mut intents);
        assert_eq!(intents.commands(), [Command::SearchMemory { project, query: "lmdb".into(), limit: SEARCH_LIMIT }]);
        assert!(view.shown().is_empty(), "nothing until the results are back");
        view.apply(&Event::MemoryResults { project, query: "older".into(), entries: vec![] });
        view.apply(&Event::MemoryResults { project, query: "lmdb".into(), entries: vec![found.clone()] });
        assert_eq!(view.shown(), std::slice::from_ref(&found));
        view.apply(&Event::MemoryChanged { entry: found, deleted: true });
        assert!(view.shown().is_empty(), "a deleted entry leaves the results too");
        view.clear_search();
        assert_eq!(view.shown().len(), 1);
    }

    #[test]
    fn the_form_sends_trimmed_text_and_tags_and_empties() {
        let project = ProjectId::new();
        let mut view = MemoryView::open(project, vec![]);
        let mut intents = Intents::default();
        view.new_text = "   ".into();
        view.add(&mut intents);
        assert!(intents.as_slice().is_empty(), "an empty entry is not sent");
        view.new_text = " Use thin LTO. ".into();
        view.new_tags = "build, ,release ".into();
        view.add(&mut intents);
        let tags = vec!["build".to_string(), "release".to_string()];
        assert_eq!(intents.commands(), [Command::SaveMemory { project, text: "Use thin LTO.".into(), tags }]);
        assert!(view.new_text.is_empty() && view.new_tags.is_empty());
    }
}
