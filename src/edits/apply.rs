//! Applying file changes atomically: all files or none. New contents are written to temporary files
//! beside their targets first; only when every one is on disk are they renamed into place and the
//! deletions done. If any step fails, what was already done is put back; if the process dies, the
//! journal (see `journal`) lets the next start finish or roll back. Every step goes through the
//! folders the jail opened, not through paths.

use std::ffi::OsString;

use crate::domain::{FileChange, FileChangeKind};

use super::journal::{self, JOURNAL, Journal, State, Write};
use super::place::Place;
use super::{EditError, Files};

fn io(place: &Place, e: std::io::Error) -> EditError {
    EditError::Io { path: place.path().display().to_string(), detail: e.to_string() }
}

/// A new content on its way to its place.
struct Staged<'a> {
    place: Place,
    temp: OsString,
    text: &'a str,
    /// What it replaces, to put back on failure (`None`: nothing was there).
    previous: Option<String>,
}

/// A file that goes away, with its text to put back on failure.
struct Removal<'a> {
    place: Place,
    before: &'a str,
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
        if files.read_text(source(change))? != change.before {
            return Err(EditError::Stale { path: source(change).to_string() });
        }
    }
    Ok(())
}

fn source(change: &FileChange) -> &str {
    match &change.kind {
        FileChangeKind::Move { from } => from,
        _ => &change.path,
    }
}

/// Verifies, then writes. One apply at a time per workspace; one interrupted earlier is recovered
/// first.
pub fn apply(changes: &[FileChange], files: &dyn Files) -> Result<(), EditError> {
    let journal_place = files.entry(JOURNAL)?;
    journal_place.lock(true).map_err(|e| io(&journal_place, e))?;
    journal::recover_locked(files, &journal_place)?;
    verify(changes, files)?;
    let (mut staged, removals) = places(changes, files)?;
    let mut journal = Journal {
        state: State::Staged,
        writes: staged.iter().map(|s| journaled(s.place.path(), &s.temp)).collect::<Result<_, _>>()?,
        removals: removals.iter().map(|r| utf8(r.place.path())).collect::<Result<_, _>>()?,
        created_dirs: created_dirs(&staged)?,
    };
    journal.save(&journal_place)?;
    let staging = stage(&mut staged).and_then(|()| {
        journal.state = State::Committed;
        journal.save(&journal_place)
    });
    if let Err(e) = staging {
        journal.discard(files);
        journal::end(&journal_place)?;
        return Err(e);
    }
    if let Err((e, renamed, removed)) = commit(&staged, &removals) {
        // A recovery would roll the remaining temporaries forward: they and the journal go first. Then
        // the files are put back, and the folders made for them, empty now, go too.
        journal.discard(files);
        journal::end(&journal_place)?;
        put_back(&staged[..renamed], &removals[..removed]);
        journal.discard(files);
        return Err(e);
    }
    journal::end(&journal_place)
}

fn utf8(path: &std::path::Path) -> Result<String, EditError> {
    path.to_str().map(str::to_string).ok_or_else(|| EditError::Refused {
        path: path.display().to_string(),
        reason: "the path is not UTF-8; rename it to edit it".into(),
    })
}

fn journaled(path: &std::path::Path, temp: &OsString) -> Result<Write, EditError> {
    Ok(Write { path: utf8(path)?, temp: temp.to_string_lossy().into_owned() })
}

fn created_dirs(staged: &[Staged]) -> Result<Vec<String>, EditError> {
    let mut dirs: Vec<String> = Vec::new();
    for dir in staged.iter().flat_map(|s| s.place.missing_dirs()) {
        let dir = utf8(&dir)?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    Ok(dirs)
}

/// Where every new content goes and every removed file is, checked by the jail.
fn places<'a>(changes: &'a [FileChange], files: &dyn Files) -> Result<(Vec<Staged<'a>>, Vec<Removal<'a>>), EditError> {
    let mut staged = Vec::new();
    let mut removals = Vec::new();
    for change in changes {
        if let Some(text) = &change.after {
            let previous = replaced(change, files)?;
            staged.push(Staged { place: files.place(&change.path)?, temp: journal::temp_name(), text, previous });
        }
        if matches!(change.kind, FileChangeKind::Delete | FileChangeKind::Move { .. }) {
            let before = change.before.as_deref().unwrap_or_default();
            removals.push(Removal { place: files.entry(source(change))?, before });
        }
    }
    Ok((staged, removals))
}

/// Writes every new content beside its target, making missing folders.
fn stage(staged: &mut [Staged]) -> Result<(), EditError> {
    for s in staged {
        s.place.make_dirs().map_err(|e| io(&s.place, e))?;
        s.place.write_temp(&s.temp, s.text).map_err(|e| io(&s.place, e))?;
    }
    Ok(())
}

/// Renames every staged file into place, then removes what goes away. On failure: the error and how
/// many renames and removals were done.
fn commit(staged: &[Staged], removals: &[Removal]) -> Result<(), (EditError, usize, usize)> {
    for (done, s) in staged.iter().enumerate() {
        s.place.rename_from(&s.temp).map_err(|e| (io(&s.place, e), done, 0))?;
    }
    for (done, r) in removals.iter().enumerate() {
        r.place.remove(None).map_err(|e| (io(&r.place, e), staged.len(), done))?;
    }
    for place in staged.iter().map(|s| &s.place).chain(removals.iter().map(|r| &r.place)) {
        place.sync_dir().map_err(|e| (io(place, e), staged.len(), removals.len()))?;
    }
    Ok(())
}

/// Best effort after a failed commit: every replaced file gets its text back, created ones go.
fn put_back(renamed: &[Staged], removed: &[Removal]) {
    let restore = |place: &Place, text: &str| {
        let temp = journal::temp_name();
        if place.write_temp(&temp, text).and_then(|()| place.rename_from(&temp)).is_err() {
            let _ = place.remove(Some(&temp));
        }
    };
    for s in renamed.iter().rev() {
        match &s.previous {
            Some(text) => restore(&s.place, text),
            None => {
                let _ = s.place.remove(None);
            }
        }
    }
    for r in removed.iter().rev() {
        restore(&r.place, r.before);
    }
}
