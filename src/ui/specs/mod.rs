//! The specs of the open project as the Specs tab shows them: each spec file's text (read through
//! the engine) with its headings and rendered layout, the drafts being edited and how their saves
//! went, and the problems that keep the task list from being read. Built only from engine events;
//! what the user does becomes commands.

mod panel;

use std::collections::HashMap;

use crate::domain::{ContentHash, ProjectId, Session, SessionId, SessionKind, Spec};
use crate::protocol::{Command, Event};

use super::chat::ChatView;
use super::intents::Intents;
use super::markdown::{Heading, Rendered, headings};

pub use panel::specs_ui;

/// A spec file's text as last read from disk.
#[derive(Debug)]
pub struct SpecDoc {
    pub text: String,
    pub hash: ContentHash,
    pub headings: Vec<Heading>,
    pub rendered: Option<Rendered>,
}

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveFailure {
    pub message: String,
    /// The file changed on disk since the draft's text was read.
    pub stale: bool,
}

/// A spec being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub text: String,
    /// The hash of the text the edit started from; a save is refused if the file no longer has it.
    pub base: ContentHash,
    /// The editor is shown (a closed draft keeps its unsaved text while the spec is read).
    pub open: bool,
    pub saving: bool,
    pub failure: Option<SaveFailure>,
}

#[derive(Debug, Default)]
pub struct SpecsView {
    project: Option<ProjectId>,
    /// By workspace-relative path (`specs/01-domain.md`).
    pub docs: HashMap<String, SpecDoc>,
    /// Spec files that could not be read, with why.
    pub unreadable: HashMap<String, String>,
    pub drafts: HashMap<String, Draft>,
    /// The spec shown on the right.
    pub selected: Option<String>,
    /// A heading of the selected spec (its index in [`SpecDoc::headings`]) to scroll to.
    pub scroll_to: Option<usize>,
    /// Why the task list cannot be read, each with its file and line.
    pub problems: Vec<String>,
    /// The spec writer's and the task repairer's sessions, newest first: how the specs were written.
    pub writers: Vec<Session>,
    /// One of them, shown in place of a spec.
    pub reading: Option<ChatView>,
    /// `requirements.md` exists, so specs can be generated.
    pub has_requirements: bool,
    /// Generation was asked for and nothing has come back yet.
    pub generating: bool,
}

/// The path the protocol uses for a spec.
pub fn spec_path(spec: &Spec) -> String {
    spec.path.to_string_lossy().into_owned()
}

fn is_spec_file(path: &str) -> bool {
    path.starts_with("specs/") && path.ends_with(".md")
}

/// The file a task-list problem is about (`specs/01-x.md:9: ...` → `specs/01-x.md`).
pub fn problem_path(problem: &str) -> &str {
    problem.split(':').next().unwrap_or_default()
}

impl SpecsView {
    /// The view of a project just opened; the text of each spec is asked for. With no specs stored
    /// yet, the spec files are read into tasks (they may have been written outside Aura).
    pub fn open(
        project: ProjectId,
        specs: &[Spec],
        sessions: &[Session],
        has_requirements: bool,
        intents: &mut Intents,
    ) -> Self {
        intents.extend(specs.iter().map(|s| Command::ReadSpec { project, path: spec_path(s) }));
        if specs.is_empty() {
            intents.send(Command::SyncTasks { project });
        }
        let mut writers: Vec<Session> = sessions.iter().filter(|s| s.kind == SessionKind::Specs).cloned().collect();
        writers.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        SpecsView { project: Some(project), has_requirements, writers, ..SpecsView::default() }
    }

    /// Shows a spec writer's session (read from its records) in place of a spec.
    pub fn read_session(&mut self, session: SessionId, intents: &mut Intents) {
        if let Some(project) = self.project {
            self.selected = None;
            self.reading = Some(ChatView::of_run(project, session, false, intents));
        }
    }

    fn read(&self, path: &str, intents: &mut Intents) {
        if let Some(project) = self.project {
            intents.send(Command::ReadSpec { project, path: path.to_string() });
        }
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        let Some(project) = self.project else { return };
        if let Some(chat) = &mut self.reading {
            chat.apply(event, intents);
        }
        match event {
            Event::SessionCreated { session }
                if session.kind == SessionKind::Specs && session.project == Some(project) =>
            {
                self.writers.insert(0, session.clone());
            }
            Event::RequirementsChanged { project: p, present } if *p == project => self.has_requirements = *present,
            Event::SpecsChanged { project: p, specs, .. } if *p == project => {
                self.problems.clear();
                self.generating = false;
                for spec in specs.iter().map(spec_path).filter(|p| !self.docs.contains_key(p)) {
                    self.read(&spec, intents);
                }
            }
            Event::TaskListInvalid { project: p, problems } if *p == project => {
                self.problems = problems.clone();
                self.generating = false;
                // A file whose problems kept it out of the tasks is read too, so it can be fixed here.
                let mut paths: Vec<&str> =
                    problems.iter().map(|p| problem_path(p)).filter(|p| is_spec_file(p)).collect();
                paths.dedup();
                for path in paths.into_iter().filter(|p| !self.docs.contains_key(*p)) {
                    self.read(path, intents);
                }
            }
            Event::Error { .. } => self.generating = false,
            Event::SpecText { project: p, path, text, hash } if *p == project => self.text_read(path, text, hash),
            Event::SpecFailed { project: p, path, message, stale } if *p == project => {
                match self.drafts.get_mut(path).filter(|d| d.saving) {
                    Some(draft) => {
                        draft.saving = false;
                        draft.failure = Some(SaveFailure { message: message.clone(), stale: *stale });
                    }
                    None => {
                        self.unreadable.insert(path.clone(), message.clone());
                    }
                }
            }
            // A spec changed through Review (or was put back): its text is read again.
            Event::ChangeSetDecided { applied: paths, .. } | Event::ChangeSetUndone { restored: paths, .. } => {
                let changed: Vec<&String> = paths
                    .iter()
                    .filter(|p| is_spec_file(p) && !self.drafts.get(*p).is_some_and(|d| d.saving))
                    .collect();
                for path in &changed {
                    self.read(path, intents);
                }
                // Undo does not read the tasks again by itself.
                if matches!(event, Event::ChangeSetUndone { .. }) && !changed.is_empty() {
                    intents.send(Command::SyncTasks { project });
                }
            }
            _ => {}
        }
    }

    fn text_read(&mut self, path: &str, text: &str, hash: &ContentHash) {
        self.unreadable.remove(path);
        let before = self.docs.get(path).map(|d| d.text.as_str());
        if let Some(draft) = self.drafts.get_mut(path) {
            if draft.saving && draft.text == text {
                // The save landed.
                draft.saving = false;
                draft.failure = None;
                draft.base = hash.clone();
            } else if !draft.saving && before.is_some_and(|b| b == draft.text) {
                // Nothing was typed yet: the draft follows the file (after Reload, too).
                draft.text = text.to_string();
                draft.base = hash.clone();
                draft.failure = None;
            }
        }
        let doc = SpecDoc { text: text.to_string(), hash: hash.clone(), headings: headings(text), rendered: None };
        self.docs.insert(path.to_string(), doc);
    }

    /// Shows a spec, at a heading if one is given.
    pub fn select(&mut self, path: &str, heading: Option<usize>) {
        self.reading = None;
        self.selected = Some(path.to_string());
        self.scroll_to = heading;
    }

    /// Opens the editor on the selected spec, or closes it (an unchanged draft is dropped).
    pub fn toggle_edit(&mut self) {
        let Some(path) = self.selected.clone() else { return };
        match self.drafts.get_mut(&path) {
            Some(draft) if draft.open => {
                draft.open = false;
                if self.docs.get(&path).is_some_and(|d| d.text == draft.text) && !draft.saving {
                    self.drafts.remove(&path);
                }
            }
            Some(draft) => draft.open = true,
            None => {
                if let Some(doc) = self.docs.get(&path) {
                    let draft = Draft {
                        text: doc.text.clone(),
                        base: doc.hash.clone(),
                        open: true,
                        saving: false,
                        failure: None,
                    };
                    self.drafts.insert(path, draft);
                }
            }
        }
    }

    /// Sends the draft of `path`; `overwrite` saves it even if the file changed on disk.
    pub fn save(&mut self, path: &str, overwrite: bool, intents: &mut Intents) {
        let (Some(project), Some(draft)) = (self.project, self.drafts.get_mut(path)) else { return };
        draft.saving = true;
        draft.failure = None;
        intents.send(Command::SaveSpec {
            project,
            path: path.to_string(),
            text: draft.text.clone(),
            expected_hash: (!overwrite).then(|| draft.base.clone()),
        });
    }

    /// Drops the draft's changes: back to the text last read, and the file is read again (so a
    /// Reload after a refused save shows what is on disk now).
    pub fn revert(&mut self, path: &str, intents: &mut Intents) {
        let (Some(doc), Some(draft)) = (self.docs.get(path), self.drafts.get_mut(path)) else { return };
        draft.text = doc.text.clone();
        draft.base = doc.hash.clone();
        draft.failure = None;
        self.read(path, intents);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "specs/01-parser.md";

    fn view() -> SpecsView {
        let project = ProjectId::new();
        let spec = Spec {
            id: crate::domain::SpecId::new(),
            project,
            order: 1,
            title: "Parser".into(),
            path: PATH.into(),
            created_at: 0,
        };
        let mut intents = Intents::default();
        let mut view = SpecsView::open(project, &[spec], &[], true, &mut intents);
        assert_eq!(intents.commands(), [Command::ReadSpec { project, path: PATH.into() }]);
        view.read_text("# 01 — Parser\n\n## Tasks\n");
        view
    }

    impl SpecsView {
        fn read_text(&mut self, text: &str) {
            let event = Event::SpecText {
                project: self.project.unwrap(),
                path: PATH.into(),
                text: text.into(),
                hash: ContentHash::of(text.as_bytes()),
            };
            self.apply(&event, &mut Intents::default());
        }
    }

    #[test]
    fn a_save_sends_the_base_hash_and_lands_when_the_text_comes_back() {
        let mut view = view();
        assert_eq!(view.docs[PATH].headings.len(), 2);
        view.select(PATH, None);
        view.toggle_edit();
        view.drafts.get_mut(PATH).unwrap().text.push_str("- [ ] 01.1 Tokens\n");
        let mut intents = Intents::default();
        view.save(PATH, false, &mut intents);
        let commands = intents.commands();
        let Command::SaveSpec { expected_hash, text, .. } = &commands[0] else { panic!("{commands:?}") };
        assert_eq!(expected_hash.as_ref(), Some(&ContentHash::of("# 01 — Parser\n\n## Tasks\n".as_bytes())));
        assert!(view.drafts[PATH].saving);
        let saved = text.clone();
        view.read_text(&saved);
        let draft = &view.drafts[PATH];
        assert!(!draft.saving && draft.open && draft.base == ContentHash::of(saved.as_bytes()));
        // Closing an unchanged editor drops the draft.
        view.toggle_edit();
        assert!(view.drafts.is_empty());
    }

    #[test]
    fn a_stale_save_keeps_the_draft_until_reload_brings_the_disk_text() {
        let mut view = view();
        view.select(PATH, None);
        view.toggle_edit();
        view.drafts.get_mut(PATH).unwrap().text.push_str("mine\n");
        view.save(PATH, false, &mut Intents::default());
        let project = view.project.unwrap();
        let refused = Event::SpecFailed { project, path: PATH.into(), message: "changed on disk".into(), stale: true };
        view.apply(&refused, &mut Intents::default());
        let draft = &view.drafts[PATH];
        assert!(!draft.saving && draft.failure.as_ref().is_some_and(|f| f.stale));
        assert!(draft.text.ends_with("mine\n"), "the typed text is kept");
        // A text read while the draft has edits does not replace them.
        view.read_text("# 01 — Parser\n\nfrom elsewhere\n");
        assert!(view.drafts[PATH].text.ends_with("mine\n"));
        // Reload: the draft goes back to the file, and the file is read again.
        let mut intents = Intents::default();
        view.revert(PATH, &mut intents);
        assert_eq!(intents.commands(), [Command::ReadSpec { project, path: PATH.into() }]);
        view.read_text("# 01 — Parser\n\nnewer still\n");
        let draft = &view.drafts[PATH];
        assert_eq!(draft.text, "# 01 — Parser\n\nnewer still\n");
        assert!(draft.failure.is_none() && draft.base == ContentHash::of(draft.text.as_bytes()));
    }

    #[test]
    fn problems_show_until_the_list_reads_and_spec_changes_in_review_are_read_again() {
        let mut view = view();
        let project = view.project.unwrap();
        view.apply(
            &Event::TaskListInvalid { project, problems: vec![format!("{PATH}:3: bad")] },
            &mut Intents::default(),
        );
        assert_eq!(view.problems.len(), 1);
        view.apply(&Event::SpecsChanged { project, specs: vec![], tasks: vec![] }, &mut Intents::default());
        assert!(view.problems.is_empty());
        let mut intents = Intents::default();
        let undone = Event::ChangeSetUndone {
            changeset: crate::domain::ChangeSetId::new(),
            restored: vec![PATH.into(), "src/lib.rs".into()],
            hand_edited: vec![],
            undone: vec![],
        };
        view.apply(&undone, &mut intents);
        assert_eq!(
            intents.commands(),
            [Command::ReadSpec { project, path: PATH.into() }, Command::SyncTasks { project }]
        );
    }
}
