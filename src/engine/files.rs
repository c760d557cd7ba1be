//! The workspace's files for the Files tab and the viewer: a folder's entries (ignore files
//! honoured, the git folder left out), finding files by name, reading a file as the viewer shows
//! it, and saving the user's hand edit as an applied change with a checkpoint, so Review can undo
//! it and the hand-edit protection sees it. Reads walk the disk: they run off the engine's thread
//! and answer later.

use std::io::Read;
use std::sync::{Arc, Mutex};

use crate::domain::{ChangeSet, ContentHash, ProjectId};
use crate::edits::{self, EditError, WriteFile};
use crate::protocol::{Event, FileBody, FileContent, FolderEntry, FolderListing};
use crate::tools::{MAX_EDIT_BYTES, Opened, Workspace};

use super::review::ReviewError;
use super::{Engine, EngineResult};

/// The bytes looked at to tell text from binary, as git does.
const SNIFF_BYTES: usize = 8 << 10;
/// The most paths [`Command::FindFiles`](crate::protocol::Command::FindFiles) answers with.
const MAX_FOUND: u32 = 1000;

/// Why a hand edit was not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error(
        "{path} changed on disk since you opened it: reload it to see the new text (your edits are dropped), \
         or overwrite it with yours"
    )]
    Stale { path: String },
    #[error(transparent)]
    Edit(EditError),
    #[error("{0}")]
    Unavailable(String),
}

impl From<EditError> for SaveError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Stale { path } => SaveError::Stale { path },
            other => SaveError::Edit(other),
        }
    }
}

impl From<ReviewError> for SaveError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Edit(edit) => edit.into(),
            other => SaveError::Unavailable(other.to_string()),
        }
    }
}

/// Every file path of a workspace (ignore files honoured), built on first use and dropped when
/// the watcher sees a change, so finding files by name never walks the disk twice for one tree.
#[derive(Clone, Default)]
pub(super) struct FileIndex(Arc<Mutex<Option<Arc<Vec<IndexedPath>>>>>);

/// A path and its lowercase form, made once per index rather than once per query.
pub struct IndexedPath {
    path: String,
    lower: String,
}

impl IndexedPath {
    pub fn new(path: String) -> IndexedPath {
        IndexedPath { lower: path.to_lowercase(), path }
    }
}

impl FileIndex {
    pub(super) fn invalidate(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn paths(&self, workspace: &Workspace) -> Arc<Vec<IndexedPath>> {
        let mut index = self.0.lock().unwrap_or_else(|p| p.into_inner());
        index.get_or_insert_with(|| Arc::new(walk_files(workspace))).clone()
    }
}

/// A walker over the workspace as the user sees it: ignore files honoured (also outside a git
/// repository), hidden files shown, the git folder left out.
pub(super) fn walker(root: &std::path::Path) -> ignore::WalkBuilder {
    let mut walk = ignore::WalkBuilder::new(root);
    walk.hidden(false).require_git(false).filter_entry(|entry| entry.file_name() != ".git");
    walk
}

fn walk_files(workspace: &Workspace) -> Vec<IndexedPath> {
    let root = workspace.root();
    let mut paths: Vec<IndexedPath> = walker(root)
        .build()
        .flatten()
        .filter(|entry| entry.file_type().is_some_and(|t| !t.is_dir()))
        .filter_map(|entry| entry.path().strip_prefix(root).ok().map(|p| p.to_string_lossy().into_owned()))
        .map(IndexedPath::new)
        .collect();
    paths.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    paths
}

/// One folder's entries, folders first. A path the jail refuses, or a folder that is gone, comes
/// back with the reason and no entries.
pub fn list_folder(workspace: &Workspace, path: &str) -> FolderListing {
    let folder = match path {
        "" => Ok(workspace.root().to_path_buf()),
        _ => workspace.resolve(path).map_err(|e| e.to_string()),
    };
    let listing = |entries, error| FolderListing { path: path.to_string(), entries, error };
    let folder = match folder {
        Ok(folder) if folder.is_dir() => folder,
        Ok(_) => return listing(Vec::new(), Some(format!("{path} is no longer a folder (removed or renamed)"))),
        Err(e) => return listing(Vec::new(), Some(e)),
    };
    let mut entries: Vec<FolderEntry> = walker(&folder)
        .max_depth(Some(1))
        .build()
        .flatten()
        .filter(|entry| entry.depth() == 1)
        .map(|entry| {
            // A symlinked folder is shown as the folder it leads to; listing it checks the jail.
            let meta = entry.path().metadata().ok();
            let dir = meta.as_ref().is_some_and(|m| m.is_dir());
            let size = meta.filter(|m| m.is_file()).map_or(0, |m| m.len());
            FolderEntry { name: entry.file_name().to_string_lossy().into_owned(), dir, size }
        })
        .collect();
    entries.sort_by_cached_key(|e| (!e.dir, e.name.to_lowercase()));
    listing(entries, None)
}

/// The paths holding every word of `query` (case-insensitive), those whose file name holds the
/// last word first, then shorter paths; with the count of all matches.
pub fn find_files(paths: &[IndexedPath], query: &str, limit: u32) -> (Vec<String>, u32) {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let Some(last) = words.last() else { return (Vec::new(), 0) };
    let mut found: Vec<(bool, &String)> = paths
        .iter()
        .filter(|p| words.iter().all(|w| p.lower.contains(w.as_str())))
        .map(|p| {
            let name = p.lower.rsplit('/').next().unwrap_or(&p.lower);
            (!name.contains(last.as_str()), &p.path)
        })
        .collect();
    let total = u32::try_from(found.len()).unwrap_or(u32::MAX);
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.len().cmp(&b.1.len())).then(a.1.cmp(b.1)));
    let paths = found.into_iter().take(limit.min(MAX_FOUND) as usize).map(|(_, p)| p.clone()).collect();
    (paths, total)
}

/// A file as the viewer shows it: text (marked lossy when not UTF-8), or what it is instead.
pub fn read_file(workspace: &Workspace, path: &str) -> FileBody {
    let (mut file, meta) = match workspace.open_file(path) {
        Ok(Opened::File(file, meta)) => (file, meta),
        Ok(Opened::Missing) => return FileBody::Missing,
        Ok(Opened::Directory) => return FileBody::Unreadable { reason: format!("{path} is a folder") },
        Err(e) => return FileBody::Unreadable { reason: e.to_string() },
    };
    if meta.len() > MAX_EDIT_BYTES {
        return FileBody::TooLarge { size: meta.len(), limit: MAX_EDIT_BYTES };
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    if let Err(e) = file.read_to_end(&mut bytes) {
        return FileBody::Unreadable { reason: format!("{path}: {e}") };
    }
    if bytes[..bytes.len().min(SNIFF_BYTES)].contains(&0) {
        return FileBody::Binary { size: bytes.len() as u64 };
    }
    let hash = ContentHash::of(&bytes);
    match String::from_utf8(bytes) {
        Ok(text) => FileBody::Text { text, hash, lossy: false },
        Err(e) => FileBody::Text { text: String::from_utf8_lossy(e.as_bytes()).into_owned(), hash, lossy: true },
    }
}

impl Engine {
    /// The project's workspace, opened for one command.
    pub(super) fn workspace_of(&self, project: ProjectId) -> Result<Workspace, String> {
        super::projects::open_workspace(&self.project(project)?)
    }

    /// Runs `answer` on a blocking thread with the project's workspace and sends what it returns
    /// to the asking surface; a project that cannot be opened is answered with an error.
    fn answer_from_disk(
        &mut self,
        command: u64,
        project: ProjectId,
        answer: impl FnOnce(&Workspace) -> Event + Send + 'static,
    ) -> EngineResult {
        match self.workspace_of(project) {
            Ok(workspace) => {
                let reply = self.reply();
                tokio::task::spawn_blocking(move || reply.send(answer(&workspace)));
            }
            Err(message) => self.fail(command, message),
        }
        Ok(())
    }

    pub(super) fn list_folder(&mut self, command: u64, project: ProjectId, path: String) -> EngineResult {
        self.answer_from_disk(command, project, move |workspace| Event::FolderListed {
            project,
            listing: list_folder(workspace, &path),
        })
    }

    pub(super) fn find_files(&mut self, command: u64, project: ProjectId, query: String, limit: u32) -> EngineResult {
        let index = self.file_index(project);
        self.answer_from_disk(command, project, move |workspace| {
            let (paths, total) = find_files(&index.paths(workspace), &query, limit);
            Event::FilesFound { project, query, paths, total }
        })
    }

    pub(super) fn read_file(&mut self, command: u64, project: ProjectId, path: String) -> EngineResult {
        self.answer_from_disk(command, project, move |workspace| {
            let body = read_file(workspace, &path);
            Event::FileRead { project, file: FileContent { path, body } }
        })
    }

    /// Saves the user's text, then answers with the file as it now is on disk.
    pub(super) async fn save_file(
        &mut self,
        project: ProjectId,
        path: String,
        text: String,
        expected_hash: Option<ContentHash>,
    ) -> EngineResult {
        let saved = async {
            let workspace = self.workspace_of(project).map_err(SaveError::Unavailable)?;
            self.write_own(project, &workspace, &path, &text, expected_hash).await?;
            Ok::<_, SaveError>(read_file(&workspace, &path))
        };
        match saved.await {
            Ok(body) => self.answer(Event::FileRead { project, file: FileContent { path, body } }),
            Err(e) => {
                let stale = matches!(e, SaveError::Stale { .. });
                self.answer(Event::FileFailed { project, path, message: e.to_string(), stale });
            }
        }
        Ok(())
    }

    /// Writes a text the user wrote as an applied change with a checkpoint; nothing when it is
    /// what the file already holds. With `expected_hash`, a file that changed or went away since is
    /// left as it is.
    pub(super) async fn write_own(
        &mut self,
        project: ProjectId,
        workspace: &Workspace,
        path: &str,
        text: &str,
        expected_hash: Option<ContentHash>,
    ) -> Result<(), SaveError> {
        if expected_hash.is_some() && matches!(workspace.open_file(path), Ok(Opened::Missing)) {
            // It was read once, so it was deleted or renamed since.
            return Err(SaveError::Stale { path: path.to_string() });
        }
        let write = WriteFile { path: path.to_string(), content: text.to_string(), expected_hash };
        let change = match edits::plan_write(&write, workspace) {
            Ok(change) => change,
            Err(EditError::NoChanges) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let project = self.project(project).map_err(SaveError::Unavailable)?;
        let review = self.review_of(&project).map_err(SaveError::Unavailable)?;
        let changeset = ChangeSet::new(None, format!("Edit {path}"), vec![change]);
        Ok(review.apply_own(changeset).await?)
    }

    /// The project's file index, made on first use.
    pub(super) fn file_index(&mut self, project: ProjectId) -> FileIndex {
        self.file_indexes.entry(project).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<IndexedPath> {
        list.iter().map(|p| IndexedPath::new(p.to_string())).collect()
    }

    #[test]
    fn every_word_must_match_and_file_names_come_first() {
        let all = paths(&["src/ui/files/mod.rs", "docs/files.md", "src/lib.rs", "files/x/lib.rs", "src/main.rs"]);
        let (found, total) = find_files(&all, "FILES", 10);
        assert_eq!(total, 3);
        assert_eq!(found, ["docs/files.md", "files/x/lib.rs", "src/ui/files/mod.rs"]);
        let (found, _) = find_files(&all, "src lib", 10);
        assert_eq!(found, ["src/lib.rs"]);
        assert_eq!(find_files(&all, "   ", 10), (Vec::new(), 0));
        let (found, total) = find_files(&all, "rs", 2);
        assert_eq!((found.len(), total), (2, 4), "the limit cuts the list, not the count");
    }
}
