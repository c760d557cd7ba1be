//! Applying file changes atomically: all files or none. New contents are written to temporary files
//! beside their targets first; only when every one is on disk are they renamed into place and the
//! deletions done. If any step fails, what was already done is put back.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::{FileChange, FileChangeKind};

use super::{EditError, Files};

fn io(path: &str, e: std::io::Error) -> EditError {
    EditError::Io { path: path.to_string(), detail: e.to_string() }
}

/// What has been done so far, to undo on failure.
#[derive(Default)]
struct Journal {
    temps: Vec<PathBuf>,
    created_dirs: Vec<PathBuf>,
    /// Targets replaced or created, with the text they had before (`None`: did not exist).
    written: Vec<(PathBuf, Option<String>)>,
    removed: Vec<(PathBuf, String)>,
}

impl Journal {
    fn roll_back(self) {
        for temp in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
        for (path, before) in self.written.iter().rev() {
            let _ = match before {
                Some(text) => std::fs::write(path, text),
                None => std::fs::remove_file(path),
            };
        }
        for (path, text) in self.removed.iter().rev() {
            let _ = std::fs::write(path, text);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir); // only succeeds while empty
        }
    }
}

/// What applying `change` will replace at its path: the planned before-text, except for a move,
/// whose destination is read (the plan only knows the source).
pub fn replaced(change: &FileChange, files: &dyn Files) -> Result<Option<String>, EditError> {
    match change.kind {
        FileChangeKind::Move { .. } => files.read_text(&change.path),
        _ => Ok(change.before.clone()),
    }
}

/// Checks that every file is still as it was when the change was planned (else it is stale).
pub fn verify(changes: &[FileChange], files: &dyn Files) -> Result<(), EditError> {
    for change in changes {
        let source = match &change.kind {
            FileChangeKind::Move { from } => from.as_str(),
            _ => change.path.as_str(),
        };
        if files.read_text(source)? != change.before {
            return Err(EditError::Stale { path: source.to_string() });
        }
    }
    Ok(())
}

/// Verifies, then writes.
pub fn apply(changes: &[FileChange], files: &dyn Files) -> Result<(), EditError> {
    verify(changes, files)?;
    let mut journal = Journal::default();
    match write_all(changes, files, &mut journal) {
        Ok(()) => Ok(()),
        Err(e) => {
            journal.roll_back();
            Err(e)
        }
    }
}

fn write_all(changes: &[FileChange], files: &dyn Files, journal: &mut Journal) -> Result<(), EditError> {
    // Stage every new content beside its target.
    let mut staged = Vec::new();
    for change in changes {
        let Some(after) = &change.after else { continue };
        let target = files.writable(&change.path)?;
        create_parents(&target, journal).map_err(|e| io(&change.path, e))?;
        let temp = temp_path(&target);
        journal.temps.push(temp.clone());
        write_synced(&temp, after, &target).map_err(|e| io(&change.path, e))?;
        let previous = replaced(change, files)?;
        staged.push((temp, target, previous));
    }
    // Put them in place, then remove what goes away.
    for (temp, target, previous) in staged {
        std::fs::rename(&temp, &target).map_err(|e| io(&target.display().to_string(), e))?;
        journal.temps.retain(|t| t != &temp);
        journal.written.push((target, previous));
    }
    for change in changes {
        let gone = match &change.kind {
            FileChangeKind::Delete => &change.path,
            FileChangeKind::Move { from } => from,
            _ => continue,
        };
        let path = files.writable(gone)?;
        let before = std::fs::read_to_string(&path).map_err(|e| io(gone, e))?;
        std::fs::remove_file(&path).map_err(|e| io(gone, e))?;
        journal.removed.push((path, before));
    }
    Ok(())
}

fn create_parents(target: &Path, journal: &mut Journal) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut dir = target.parent();
    while let Some(d) = dir {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    for d in missing.into_iter().rev() {
        std::fs::create_dir(&d)?;
        journal.created_dirs.push(d);
    }
    Ok(())
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let unique = crate::domain::RawId::new();
    target.with_file_name(format!(".{name}.aura-{unique}.tmp"))
}

/// Writes and syncs the temp file, with the permissions of the file it replaces.
fn write_synced(temp: &Path, text: &str, target: &Path) -> std::io::Result<()> {
    let mut file = std::fs::File::create(temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    if let Ok(meta) = std::fs::metadata(target) {
        std::fs::set_permissions(temp, meta.permissions())?;
    }
    Ok(())
}
