//! The file viewer: one tab per opened workspace file, read through the engine, highlighted as it
//! scrolls into view, with go to line, find in file, and editing by hand. A save is an applied
//! change with a checkpoint (the engine's), refused when the file changed on disk since the text
//! the edit started from; a file changed or deleted on disk while open is read again, and an edit
//! in progress is never dropped for it.

mod find;
mod panel;

use std::collections::HashMap;

use crate::domain::{ContentHash, ProjectId};
use crate::protocol::{Command, Event, FileBody};

use super::highlight::HighlightedText;
use super::intents::Intents;

pub use find::Find;
pub use panel::viewer_ui;

/// Files larger than this open read-only: the editor lays the whole text out on each change.
pub const MAX_EDIT_BYTES: usize = 1 << 20;

/// A text file as last read.
pub struct Shown {
    pub text: String,
    /// How many lines it has (counted once: the bar shows it every frame).
    pub lines: usize,
    pub hash: ContentHash,
    /// Not UTF-8 on disk: shown with replacement characters, never saved.
    pub lossy: bool,
    /// The lines, coloured for the theme it was made for (made when first drawn).
    pub highlighted: Option<(bool, HighlightedText)>,
}

impl Shown {
    fn new(text: String, hash: ContentHash, lossy: bool) -> Shown {
        Shown { lines: text.lines().count(), text, hash, lossy, highlighted: None }
    }
}

/// What the tab has of its file.
pub enum Body {
    Loading,
    Text(Shown),
    /// Not shown as text: binary, too large, missing, unreadable.
    Other(FileBody),
}

/// The text being edited, and the hash of the text it started from.
pub struct Edit {
    pub text: String,
    pub base: ContentHash,
    /// The editor's layout of `text`, by the text's and the theme's hash.
    pub layout: Option<(u64, egui::text::LayoutJob)>,
}

/// Something the tab tells above the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The file was deleted or renamed on disk; the text shown is what it held.
    Deleted,
    /// The file changed on disk while edited; the new text waits until the user chooses.
    ChangedOnDisk,
    /// The tab was asked to close with edits not saved.
    Unsaved,
    /// A save was refused or failed: the engine's message; `stale` offers Reload or Overwrite.
    SaveFailed { message: String, stale: bool },
}

pub struct OpenFile {
    pub path: String,
    pub body: Body,
    /// The line (1-based) to scroll to once the text is there.
    pub goto: Option<u32>,
    /// The line last gone to, marked in the gutter.
    pub current_line: Option<u32>,
    pub goto_entry: String,
    pub find: Find,
    pub edit: Option<Edit>,
    pub notice: Option<Notice>,
    pub saving: bool,
    /// A newer text on disk, held while an edit is in progress.
    pub newer: Option<Shown>,
}

impl OpenFile {
    fn new(path: String) -> OpenFile {
        OpenFile {
            path,
            body: Body::Loading,
            goto: None,
            current_line: None,
            goto_entry: String::new(),
            find: Find::default(),
            edit: None,
            notice: None,
            saving: false,
            newer: None,
        }
    }

    pub fn shown(&self) -> Option<&Shown> {
        match &self.body {
            Body::Text(shown) => Some(shown),
            _ => None,
        }
    }

    /// Whether the edit holds text not saved.
    pub fn dirty(&self) -> bool {
        match (&self.edit, self.shown()) {
            (Some(edit), Some(shown)) => edit.text != shown.text,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Starts editing the text shown (when it may be edited).
    pub fn start_edit(&mut self) {
        if let Some(shown) = self.shown().filter(|s| !s.lossy && s.text.len() <= MAX_EDIT_BYTES) {
            self.edit = Some(Edit { text: shown.text.clone(), base: shown.hash.clone(), layout: None });
        }
    }

    /// The save of the edit: against the text it started from, or over whatever is on disk.
    pub fn save(&mut self, project: ProjectId, overwrite: bool) -> Option<Command> {
        let edit = self.edit.as_ref()?;
        self.saving = true;
        self.notice = None;
        Some(Command::SaveFile {
            project,
            path: self.path.clone(),
            text: edit.text.clone(),
            expected_hash: (!overwrite).then(|| edit.base.clone()),
        })
    }

    /// Drops the edit (and a held newer text takes its place).
    pub fn reload(&mut self) {
        self.edit = None;
        self.notice = None;
        if let Some(newer) = self.newer.take() {
            self.body = Body::Text(newer);
        }
        self.find.stale = true;
    }

    fn read(&mut self, body: &FileBody) {
        let saved = std::mem::take(&mut self.saving);
        match body {
            FileBody::Text { text, hash, lossy } => {
                if self.shown().is_some_and(|s| &s.hash == hash) && !saved {
                    return;
                }
                let shown = Shown::new(text.clone(), hash.clone(), *lossy);
                if self.dirty() && !saved {
                    self.newer = Some(shown);
                    self.notice = Some(Notice::ChangedOnDisk);
                    return;
                }
                if let Some(edit) = self.edit.as_mut() {
                    edit.base = hash.clone();
                }
                if self.notice == Some(Notice::Deleted) || saved {
                    self.notice = None;
                }
                self.body = Body::Text(shown);
                self.find.stale = true;
            }
            FileBody::Missing if self.shown().is_some() => self.notice = Some(Notice::Deleted),
            other => self.body = Body::Other(other.clone()),
        }
    }
}

/// The open files of the project, by path.
#[derive(Default)]
pub struct OpenFiles {
    project: Option<ProjectId>,
    files: HashMap<String, OpenFile>,
}

impl std::fmt::Debug for OpenFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenFiles").field("files", &self.files.keys().collect::<Vec<_>>()).finish()
    }
}

impl OpenFiles {
    pub fn project(&self) -> Option<ProjectId> {
        self.project
    }

    pub fn get(&self, path: &str) -> Option<&OpenFile> {
        self.files.get(path)
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut OpenFile> {
        self.files.get_mut(path)
    }

    /// Opens `path`, at `line` when given: the read to ask for when it was not open.
    #[must_use]
    pub fn open(&mut self, path: &str, line: Option<u32>) -> Option<Command> {
        let project = self.project?;
        let mut read = None;
        let file = self.files.entry(path.to_string()).or_insert_with(|| {
            read = Some(Command::ReadFile { project, path: path.to_string() });
            OpenFile::new(path.to_string())
        });
        if line.is_some() {
            file.goto = line;
        }
        read
    }

    /// Forgets every file (their tabs were closed).
    pub fn close_all(&mut self) {
        self.files.clear();
    }

    /// Forgets a file whose tab was closed.
    pub fn close(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        match event {
            Event::ProjectOpened { snapshot } => {
                // Another project than the one open: its files' tabs close. (At the first open
                // the tabs a restored layout brought are the reopened project's own.)
                if self.project.is_some_and(|open| open != snapshot.project.id) {
                    self.files.clear();
                    intents.push(super::intents::Intent::CloseFileTabs);
                }
                self.project = Some(snapshot.project.id);
                // Whatever is open is read again: it may have changed while the project was closed.
                let project = snapshot.project.id;
                intents.extend(self.files.keys().map(|path| Command::ReadFile { project, path: path.clone() }));
            }
            Event::FileRead { project, file } if Some(*project) == self.project => {
                if let Some(open) = self.files.get_mut(&file.path) {
                    open.read(&file.body);
                }
            }
            Event::FileFailed { project, path, message, stale } if Some(*project) == self.project => {
                if let Some(open) = self.files.get_mut(path) {
                    open.saving = false;
                    open.notice = Some(Notice::SaveFailed { message: message.clone(), stale: *stale });
                }
            }
            Event::FilesChanged { project, paths, all } if Some(*project) == self.project => {
                let project = *project;
                let again = self.files.keys().filter(|path| *all || paths.contains(path));
                intents.extend(again.map(|path| Command::ReadFile { project, path: path.clone() }));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FileContent;

    fn text(path: &str, body: &str, project: ProjectId) -> Event {
        let hash = ContentHash::of(body.as_bytes());
        let body = FileBody::Text { text: body.into(), hash, lossy: false };
        Event::FileRead { project, file: FileContent { path: path.into(), body } }
    }

    fn opened(project: ProjectId) -> OpenFiles {
        OpenFiles { project: Some(project), files: HashMap::new() }
    }

    #[test]
    fn an_edit_survives_a_change_on_disk_until_the_user_chooses() {
        let project = ProjectId::new();
        let mut files = opened(project);
        let mut intents = Intents::default();
        assert_eq!(files.open("a.rs", Some(3)), Some(Command::ReadFile { project, path: "a.rs".into() }));
        assert_eq!(files.open("a.rs", Some(3)), None, "an open file is not read again");
        files.apply(&text("a.rs", "one\n", project), &mut intents);
        let file = files.get_mut("a.rs").unwrap();
        assert_eq!(file.goto, Some(3));
        file.start_edit();
        file.edit.as_mut().unwrap().text = "mine\n".into();
        files.apply(&text("a.rs", "theirs\n", project), &mut intents);
        let file = files.get_mut("a.rs").unwrap();
        assert_eq!(file.notice, Some(Notice::ChangedOnDisk));
        assert_eq!(file.edit.as_ref().unwrap().text, "mine\n", "the edit is kept");
        assert_eq!(file.shown().unwrap().text, "one\n");
        let Some(Command::SaveFile { expected_hash, .. }) = file.save(project, false) else { panic!() };
        assert_eq!(expected_hash, Some(ContentHash::of(b"one\n")), "the save is against what the edit started from");
        file.saving = false;
        file.reload();
        assert_eq!((file.edit.is_none(), file.shown().unwrap().text.as_str()), (true, "theirs\n"));
    }

    #[test]
    fn a_deleted_file_keeps_its_text_and_says_so() {
        let project = ProjectId::new();
        let mut files = opened(project);
        let mut intents = Intents::default();
        let _ = files.open("a.rs", None);
        files.apply(&text("a.rs", "one\n", project), &mut intents);
        files.apply(&Event::FilesChanged { project, paths: vec!["a.rs".into()], all: false }, &mut intents);
        assert_eq!(intents.commands(), [Command::ReadFile { project, path: "a.rs".into() }]);
        let missing = Event::FileRead { project, file: FileContent { path: "a.rs".into(), body: FileBody::Missing } };
        files.apply(&missing, &mut intents);
        let file = files.get("a.rs").unwrap();
        assert_eq!(
            (file.notice.clone(), file.shown().map(|s| s.text.as_str())),
            (Some(Notice::Deleted), Some("one\n"))
        );
    }
}
