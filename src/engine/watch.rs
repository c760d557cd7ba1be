//! Follows each open project's files on disk, so the Files tab and open viewers show what is there
//! now, whoever changed it (the agent, the user's editor, a build). One thread per project owns an
//! inotify watcher (through `notify`) on every folder the user sees: ignored folders (`target/`,
//! `node_modules/`) and the git folder are never watched, so a build's output costs nothing.
//! Changes are gathered until the disk is quiet and announced as one [`Event::FilesChanged`]; a
//! flood (a build writing a whole tree, or the kernel's queue overflowing) is announced as `all`.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::domain::ProjectId;
use crate::protocol::Event;

use super::Emitter;
use super::files::{FileIndex, walker};

/// How long the disk must be quiet before changes are announced.
const SETTLE: Duration = Duration::from_millis(100);
/// The longest changes are held before they are announced, however busy the disk is.
const MAX_HOLD: Duration = Duration::from_secs(1);
/// More changed paths than this in one announcement are announced as `all`.
const MAX_NAMED: usize = 1000;

enum Message {
    Changed(notify::Result<notify::Event>),
    Stop,
}

impl super::Engine {
    /// Starts following the project's files on disk, once per run; a machine without a watcher
    /// is told why the Files tab will not follow changes.
    pub(super) fn watch_files(&mut self, project: &crate::domain::Project) {
        if self.watches.contains_key(&project.id) {
            return;
        }
        let index = self.file_index(project.id);
        match watch(project.id, project.root.clone(), self.emitter.clone(), index) {
            Ok(watch) => {
                self.watches.insert(project.id, watch);
            }
            Err(message) => self.emit(Event::Error { command: None, message }),
        }
    }
}

/// A project's watcher; dropping it stops the watching.
pub(super) struct FileWatch {
    messages: Sender<Message>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        let _ = self.messages.send(Message::Stop);
    }
}

/// Starts following `root`; the reason when the system has no watcher to give.
fn watch(project: ProjectId, root: PathBuf, emitter: Emitter, index: FileIndex) -> Result<FileWatch, String> {
    let (messages, inbox) = channel();
    let events = messages.clone();
    let watcher = notify::recommended_watcher(move |change| {
        let _ = events.send(Message::Changed(change));
    })
    .map_err(|e| format!("the Files tab will not follow changes on disk: {e}"))?;
    let follower = Follower { project, root, watcher, watched: HashSet::new(), ignored: None, emitter, index };
    std::thread::Builder::new()
        .name("aura-watch".into())
        .spawn(move || follower.run(inbox))
        .map_err(|e| format!("the Files tab will not follow changes on disk: {e}"))?;
    Ok(FileWatch { messages })
}

struct Follower {
    project: ProjectId,
    root: PathBuf,
    watcher: RecommendedWatcher,
    watched: HashSet<PathBuf>,
    /// The root's ignore files, to drop changes in ignored files of watched folders.
    ignored: Option<Gitignore>,
    emitter: Emitter,
    index: FileIndex,
}

/// What one settled batch of changes comes to.
#[derive(Default)]
struct Batch {
    paths: BTreeSet<PathBuf>,
    /// The kernel lost events, or a watch failed: everything is read again.
    all: bool,
}

impl Follower {
    fn run(mut self, inbox: Receiver<Message>) {
        self.ignored = Some(ignore_files(&self.root));
        self.watch_tree(&self.root.clone());
        loop {
            let mut batch = Batch::default();
            match inbox.recv() {
                Ok(Message::Changed(change)) => batch.add(change),
                Ok(Message::Stop) | Err(_) => return,
            }
            // Changes are gathered until the disk is quiet for SETTLE, but never held past
            // MAX_HOLD: a build writing for minutes is announced as it goes.
            let held_until = Instant::now() + MAX_HOLD;
            while Instant::now() < held_until {
                let quiet = (Instant::now() + SETTLE).min(held_until);
                match inbox.recv_timeout(quiet.saturating_duration_since(Instant::now())) {
                    Ok(Message::Changed(change)) => batch.add(change),
                    Ok(Message::Stop) => return,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            self.announce(batch);
        }
    }

    /// Watches `folder` and every folder under it that is not ignored.
    fn watch_tree(&mut self, folder: &Path) {
        let folders: Vec<PathBuf> = walker(folder)
            .build()
            .flatten()
            .filter(|entry| entry.file_type().is_some_and(|t| t.is_dir()))
            .map(ignore::DirEntry::into_path)
            .filter(|path| !self.watched.contains(path))
            .collect();
        for path in folders {
            match self.watcher.watch(&path, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(path);
                }
                Err(e) => {
                    tracing::warn!("{} is not followed on disk: {e}", path.display());
                }
            }
        }
    }

    fn announce(&mut self, batch: Batch) {
        let mut paths = BTreeSet::new();
        for path in batch.paths {
            let Ok(relative) = path.strip_prefix(&self.root) else { continue };
            if relative.components().any(|c| c.as_os_str() == ".git") || relative.as_os_str().is_empty() {
                continue;
            }
            if relative == Path::new(".gitignore") || relative == Path::new(".ignore") {
                self.ignored = Some(ignore_files(&self.root));
            }
            let dir = path.is_dir();
            if self.ignored.as_ref().is_some_and(|i| i.matched_path_or_any_parents(relative, dir).is_ignore()) {
                continue;
            }
            if dir {
                self.watch_tree(&path);
            } else if !path.exists() {
                // The kernel dropped its watches with the folder; one made again is watched anew.
                self.watched.retain(|w| !w.starts_with(&path));
            }
            paths.insert(relative.to_string_lossy().into_owned());
        }
        if paths.is_empty() && !batch.all {
            return;
        }
        if batch.all {
            // The folders made in the flood were not named: find them.
            self.watched.retain(|w| w.is_dir());
            self.watch_tree(&self.root.clone());
        }
        self.index.invalidate();
        let all = batch.all || paths.len() > MAX_NAMED;
        let paths = if all { Vec::new() } else { paths.into_iter().collect() };
        self.emitter.emit(Event::FilesChanged { project: self.project, paths, all });
    }
}

impl Batch {
    fn add(&mut self, change: notify::Result<notify::Event>) {
        match change {
            Ok(event) if event.need_rescan() => self.all = true,
            Ok(event) => {
                if event.kind.is_access() {
                    return;
                }
                self.paths.extend(event.paths);
                if self.paths.len() > MAX_NAMED * 4 {
                    // A flood: names past this point change nothing about what is announced.
                    self.all = true;
                    self.paths.clear();
                }
            }
            Err(e) => {
                tracing::warn!("a change on disk was missed: {e}");
                self.all = true;
            }
        }
    }
}

/// The root's `.gitignore`, `.ignore` and the repository's own excludes.
fn ignore_files(root: &Path) -> Gitignore {
    let mut builder = GitignoreBuilder::new(root);
    for name in [".gitignore", ".ignore", ".git/info/exclude"] {
        let path = root.join(name);
        if path.is_file() {
            let _ = builder.add(path);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}
