//! Reading back what a sandboxed command wrote. The command saw the workspace through an overlay,
//! so everything it wrote is in the upper folder and the workspace itself is untouched: text files
//! become `FileChange`s for Review (with the workspace's bytes as their before-text), generated
//! output (what the ignore files name, `target/`, `node_modules/`) is moved into place unreviewed,
//! and writes into `.git` are dropped, so no command can plant a hook or rewrite history.

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::domain::FileChange;
use crate::edits::file_change;
use crate::tools::MAX_EDIT_BYTES;

/// Folders that are build output wherever they are, ignore files or not.
const ALWAYS_GENERATED: &[&str] =
    &["target", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", ".tox"];

/// What one command wrote to the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandWrites {
    /// Text files added, changed or deleted: a ChangeSet for Review.
    pub changes: Vec<FileChange>,
    /// Generated files moved into place without review.
    pub generated: usize,
    /// Paths written inside `.git`, dropped.
    pub git: Vec<String>,
    /// Paths the command wrote that cannot be reviewed as text (binary, too large, links), with why;
    /// they were not written to the workspace.
    pub left_out: Vec<(String, String)>,
}

impl CommandWrites {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.git.is_empty() && self.left_out.is_empty()
    }

    /// What the model and the user read about the writes that did not become the ChangeSet.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.git.is_empty() {
            notes.push(format!(
                "its writes inside .git were dropped ({}): commands never change the repository itself",
                list(&self.git)
            ));
        }
        if !self.left_out.is_empty() {
            let named: Vec<String> = self.left_out.iter().map(|(p, why)| format!("{p} ({why})")).collect();
            notes.push(format!("not written, as Review shows only text files: {}", list(&named)));
        }
        notes
    }
}

fn list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut text = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// The workspace's top-level generated folders: bound straight through the overlay, so builds
/// write their output in place at full speed.
pub fn generated_top_folders(workspace: &Path) -> Vec<PathBuf> {
    let mut ignores = Ignores::new(workspace);
    let Ok(entries) = std::fs::read_dir(workspace) else { return Vec::new() };
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git")
        .filter(|e| ignores.generated(Path::new(&e.file_name()), true))
        .map(|e| e.path())
        .collect();
    folders.sort();
    folders
}

/// Reads `upper` back against `workspace` (see the module comment).
pub fn capture(workspace: &Path, upper: &Path) -> CommandWrites {
    let mut capture = Capture { workspace, upper, ignores: Ignores::new(workspace), writes: CommandWrites::default() };
    capture.folder(Path::new(""), false);
    capture.writes.changes.sort_by(|a, b| a.path.cmp(&b.path));
    capture.writes
}

struct Capture<'a> {
    workspace: &'a Path,
    upper: &'a Path,
    ignores: Ignores,
    writes: CommandWrites,
}

impl Capture<'_> {
    fn folder(&mut self, rel: &Path, generated: bool) {
        let Ok(entries) = std::fs::read_dir(self.upper.join(rel)) else { return };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let rel = rel.join(entry.file_name());
            let Ok(meta) = entry.path().symlink_metadata() else { continue };
            self.entry(&rel, &meta, generated);
        }
    }

    fn entry(&mut self, rel: &Path, meta: &std::fs::Metadata, generated: bool) {
        let name = rel.display().to_string();
        let kind = meta.file_type();
        if rel.components().any(|c| c.as_os_str() == ".git") {
            if kind.is_dir() {
                self.folder(rel, generated);
            } else {
                self.writes.git.push(name);
            }
            return;
        }
        let whiteout = kind.is_char_device() && meta.rdev() == 0;
        let generated = generated || self.ignores.generated(rel, kind.is_dir());
        let (from, to) = (self.upper.join(rel), self.workspace.join(rel));
        if generated {
            if whiteout {
                remove_any(&to);
            } else if kind.is_dir() && to.is_dir() {
                if opaque(&from) {
                    remove_any(&to);
                    move_into(&from, &to);
                } else {
                    self.folder(rel, true);
                }
            } else {
                move_into(&from, &to);
            }
            self.writes.generated += 1;
            return;
        }
        if whiteout {
            self.deleted(rel);
        } else if kind.is_dir() {
            if opaque(&from) {
                self.opaque_deletions(rel);
            }
            self.folder(rel, false);
        } else if kind.is_file() {
            self.written(rel, &from, &to, meta.len());
        } else {
            self.writes.left_out.push((name, "not a regular file".into()));
        }
    }

    /// A folder removed and made again: what it held before and does not hold now was deleted.
    fn opaque_deletions(&mut self, rel: &Path) {
        let Ok(entries) = std::fs::read_dir(self.workspace.join(rel)) else { return };
        for entry in entries.flatten() {
            let child = rel.join(entry.file_name());
            if self.upper.join(&child).symlink_metadata().is_err() {
                self.deleted(&child);
            }
        }
    }

    fn deleted(&mut self, rel: &Path) {
        let real = self.workspace.join(rel);
        if real.is_dir() && !real.is_symlink() {
            let Ok(entries) = std::fs::read_dir(&real) else { return };
            for entry in entries.flatten() {
                self.deleted(&rel.join(entry.file_name()));
            }
            return;
        }
        let name = rel.display().to_string();
        match read_text(&real) {
            Ok(Some(before)) => self.writes.changes.push(file_change(&name, Some(before), None)),
            Ok(None) => {}
            Err(why) => self.writes.left_out.push((name, format!("deleted, but {why}"))),
        }
    }

    fn written(&mut self, rel: &Path, from: &Path, to: &Path, size: u64) {
        let name = rel.display().to_string();
        if size > MAX_EDIT_BYTES {
            self.writes.left_out.push((name, format!("{} MB, too large to review", size >> 20)));
            return;
        }
        let after = match read_text(from) {
            Ok(Some(after)) => after,
            Ok(None) => return,
            Err(why) => return self.writes.left_out.push((name, why)),
        };
        let before = match read_text(to) {
            Ok(before) => before,
            Err(why) => return self.writes.left_out.push((name, format!("the workspace's copy is {why}"))),
        };
        if before.as_deref() != Some(after.as_str()) {
            self.writes.changes.push(file_change(&name, before, Some(after)));
        }
    }
}

/// A file's text; `None` when missing; an error when it is not text.
fn read_text(path: &Path) -> Result<Option<String>, String> {
    match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(None),
        Ok(meta) if !meta.is_file() => return Err("not a regular file".into()),
        Ok(_) => {}
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.contains(&0) {
        return Err("binary".into());
    }
    String::from_utf8(bytes).map(Some).map_err(|_| "not UTF-8 text".into())
}

/// overlayfs marks a folder that replaced a deleted one as opaque.
fn opaque(dir: &Path) -> bool {
    let (Ok(path), Ok(name)) =
        (std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()), std::ffi::CString::new("user.overlay.opaque"))
    else {
        return false;
    };
    let mut value = [0u8; 4];
    // SAFETY: lgetxattr writes at most `value.len()` bytes into `value`.
    let n = unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
    n > 0 && value[0] == b'y'
}

fn remove_any(path: &Path) {
    let _ =
        if path.is_dir() && !path.is_symlink() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
}

/// Moves generated output into the workspace: a rename when on one filesystem, else a copy.
fn move_into(from: &Path, to: &Path) {
    if let Some(parent) = to.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if to.symlink_metadata().is_ok() && !(from.is_dir() && to.is_dir()) {
        remove_any(to);
    }
    if std::fs::rename(from, to).is_ok() {
        return;
    }
    if from.is_dir() {
        let _ = std::fs::create_dir_all(to);
        if let Ok(entries) = std::fs::read_dir(from) {
            for entry in entries.flatten() {
                move_into(&entry.path(), &to.join(entry.file_name()));
            }
        }
    } else if let Err(e) = std::fs::copy(from, to) {
        tracing::warn!("generated file {} could not be moved into place: {e}", to.display());
    }
}

/// The workspace's ignore files, read once per folder, deeper ones overriding.
struct Ignores {
    root: PathBuf,
    folders: HashMap<PathBuf, Option<Gitignore>>,
}

impl Ignores {
    fn new(root: &Path) -> Ignores {
        Ignores { root: root.to_path_buf(), folders: HashMap::new() }
    }

    fn generated(&mut self, rel: &Path, is_dir: bool) -> bool {
        if is_dir && rel.file_name().is_some_and(|n| ALWAYS_GENERATED.iter().any(|g| n == *g)) {
            return true;
        }
        let mut verdict = false;
        let folders: Vec<PathBuf> = rel.ancestors().skip(1).map(Path::to_path_buf).collect();
        for folder in folders.iter().rev() {
            if let Some(ignore) = self.folder(folder) {
                match ignore.matched(rel.strip_prefix(folder).unwrap_or(rel), is_dir) {
                    ignore::Match::Ignore(_) => verdict = true,
                    ignore::Match::Whitelist(_) => verdict = false,
                    ignore::Match::None => {}
                }
            }
        }
        verdict
    }

    fn folder(&mut self, folder: &Path) -> Option<&Gitignore> {
        let root = &self.root;
        self.folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| {
                let dir = root.join(folder);
                let mut builder = GitignoreBuilder::new(&dir);
                let mut any = builder.add(dir.join(".gitignore")).is_none();
                if folder.as_os_str().is_empty() {
                    any |= builder.add(dir.join(".git/info/exclude")).is_none();
                }
                if any { builder.build().ok() } else { None }
            })
            .as_ref()
    }
}
