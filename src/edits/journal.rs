//! The apply journal: `.aura-apply-journal` at the workspace root says what an apply in flight is
//! doing, so that one killed halfway is finished or rolled back the next time the workspace opens.
//! It is written before the first folder or temporary file is made (`Staged`: nothing replaced yet,
//! so recovery removes what was staged) and rewritten as `Committed` once every new content is on
//! disk (from then on recovery goes forward: it renames what is left and removes what goes away).
//! It is removed when the apply ends. The root folder's lock keeps applies, and recovery, one at a
//! time.

use std::ffi::{OsStr, OsString};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::place::Place;
use super::{EditError, Files};

/// The journal's name at the workspace root.
pub const JOURNAL: &str = ".aura-apply-journal";
/// The journal while it is written, before it is renamed into place.
const JOURNAL_TEMP: &str = ".aura-apply-journal.tmp";
/// Journals larger than this were not written by Aura.
const MAX_JOURNAL_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum State {
    Staged,
    Committed,
}

/// One new content: the temporary file beside `path` that becomes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Write {
    pub path: String,
    pub temp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Journal {
    pub state: State,
    pub writes: Vec<Write>,
    pub removals: Vec<String>,
    /// Folders the apply creates, outermost first.
    pub created_dirs: Vec<String>,
}

/// What [`recover`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// No apply was interrupted.
    Nothing,
    /// Another apply is running in this workspace right now; it was left alone.
    Busy,
    /// An apply killed before it replaced anything: its temporary files were removed.
    RolledBack { temps: usize },
    /// An apply killed while it replaced files: the rest was put in place.
    Finished { written: usize, removed: usize },
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recovery::Nothing => write!(f, "no interrupted apply"),
            Recovery::Busy => write!(f, "an apply is running in this workspace; left alone"),
            Recovery::RolledBack { temps } => {
                write!(
                    f,
                    "an apply interrupted before it changed any file was rolled back ({temps} temporary files removed)"
                )
            }
            Recovery::Finished { written, removed } => {
                write!(f, "an apply interrupted halfway was finished ({written} files put in place, {removed} removed)")
            }
        }
    }
}

fn broken(detail: impl fmt::Display) -> EditError {
    EditError::Journal { detail: detail.to_string() }
}

/// Finishes or rolls back an apply that was killed halfway in this workspace. Cheap when there is
/// none (two lookups); an apply still running is left alone.
pub fn recover(files: &dyn Files) -> Result<Recovery, EditError> {
    let place = files.entry(JOURNAL)?;
    let temp = OsString::from(JOURNAL_TEMP);
    let io = |e: std::io::Error| broken(e);
    if !place.exists(None).map_err(io)? && !place.exists(Some(&temp)).map_err(io)? {
        return Ok(Recovery::Nothing);
    }
    if !place.lock(false).map_err(io)? {
        return Ok(Recovery::Busy);
    }
    recover_locked(files, &place)
}

/// [`recover`], the journal's folder already locked by the caller.
pub(super) fn recover_locked(files: &dyn Files, place: &Place) -> Result<Recovery, EditError> {
    let _ = place.remove(Some(OsStr::new(JOURNAL_TEMP))); // a journal killed while it was written
    let bytes = match place.read(MAX_JOURNAL_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recovery::Nothing),
        Err(e) => return Err(broken(e)),
    };
    let journal: Journal = serde_json::from_slice(&bytes).map_err(broken)?;
    journal.check()?;
    let done = match journal.state {
        State::Staged => Recovery::RolledBack { temps: journal.discard(files) },
        State::Committed => journal.roll_forward(files)?,
    };
    end(place)?;
    Ok(done)
}

/// Removes the journal: the apply is over.
pub(super) fn end(place: &Place) -> Result<(), EditError> {
    place.remove(None).map_err(broken)?;
    place.sync_dir().map_err(broken)
}

impl Journal {
    /// Written by an Aura: temporary names are ours and name no folder.
    fn check(&self) -> Result<(), EditError> {
        match self.writes.iter().find(|w| !is_temp_name(&w.temp)) {
            Some(w) => Err(broken(format!("`{}` is not a temporary name Aura makes", w.temp))),
            None => Ok(()),
        }
    }

    /// Saves the journal atomically beside `place` (the journal's own place).
    pub(super) fn save(&self, place: &Place) -> Result<(), EditError> {
        let text = serde_json::to_string(self).map_err(broken)?;
        let temp = OsStr::new(JOURNAL_TEMP);
        let _ = place.remove(Some(temp));
        place.write_temp(temp, &text).map_err(broken)?;
        place.rename_from(temp).map_err(broken)?;
        place.sync_dir().map_err(broken)
    }

    /// Removes what was staged: temporary files, then the folders made for them. How many
    /// temporary files there were.
    pub(super) fn discard(&self, files: &dyn Files) -> usize {
        let mut removed = 0;
        for write in &self.writes {
            if let Ok(place) = files.entry(&write.path)
                && place.remove(Some(OsStr::new(&write.temp))).is_ok()
            {
                removed += 1;
            }
        }
        for dir in self.created_dirs.iter().rev() {
            if let Ok(place) = files.entry(dir) {
                place.remove_empty_dir();
            }
        }
        removed
    }

    /// Puts every staged file still waiting in place and removes what goes away.
    fn roll_forward(&self, files: &dyn Files) -> Result<Recovery, EditError> {
        let (mut written, mut removed) = (0, 0);
        for write in &self.writes {
            let place = files.entry(&write.path)?;
            let temp = OsStr::new(&write.temp);
            if place.exists(Some(temp)).map_err(broken)? {
                place.rename_from(temp).map_err(broken)?;
                place.sync_dir().map_err(broken)?;
                written += 1;
            }
        }
        for path in &self.removals {
            match files.entry(path)?.remove(None) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(broken(e)),
            }
        }
        Ok(Recovery::Finished { written, removed })
    }
}

/// A temporary name for a file staged beside its target: short, so that a 255-byte name still
/// has room for one in its folder.
pub(super) fn temp_name() -> OsString {
    OsString::from(format!(".aura-{}.tmp", crate::domain::RawId::new()))
}

fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(".aura-")
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
}
