//! Checkpoints and undo: before a ChangeSet is applied, what it replaces is recorded; undoing puts
//! those files back, and restoring goes back over several checkpoints at once. A file edited by hand
//! since the change is never silently overwritten: it is reported and left alone unless the user
//! says to overwrite it.

use std::collections::BTreeMap;

use crate::domain::{ChangeSetId, Checkpoint, CheckpointFile, ContentHash, FileChange, FileChangeKind, now_millis};

use super::apply::replaced;
use super::{EditError, Files, file_change};

/// Records the content of every path `changes` will touch (verified current just before applying).
pub fn capture(changeset: ChangeSetId, changes: &[FileChange], files: &dyn Files) -> Result<Checkpoint, EditError> {
    let mut entries: BTreeMap<String, CheckpointFile> = BTreeMap::new();
    for change in changes {
        let after_hash = change.after.as_ref().map(|a| ContentHash::of(a.as_bytes()));
        entries.insert(
            change.path.clone(),
            CheckpointFile { path: change.path.clone(), before: replaced(change, files)?, after_hash },
        );
        if let FileChangeKind::Move { from } = &change.kind {
            entries.insert(
                from.clone(),
                CheckpointFile { path: from.clone(), before: change.before.clone(), after_hash: None },
            );
        }
    }
    Ok(Checkpoint { changeset, at: now_millis(), files: entries.into_values().collect() })
}

/// What putting files back would do: the changes to apply, and the files left alone because they
/// were edited by hand since (unless named in `overwrite`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    pub changes: Vec<FileChange>,
    pub hand_edited: Vec<String>,
}

/// Plans going back to before the oldest of `checkpoints` (given oldest first, all applied after
/// it, none undone): each file gets the content the oldest checkpoint touching it recorded, if it
/// is still as the newest one left it.
pub fn restore_plan(
    checkpoints: &[Checkpoint],
    files: &dyn Files,
    overwrite: &[String],
) -> Result<RestorePlan, EditError> {
    // path -> (content to restore, hash expected now)
    let mut targets: BTreeMap<&str, (&Option<String>, &Option<ContentHash>)> = BTreeMap::new();
    for checkpoint in checkpoints {
        for file in &checkpoint.files {
            targets
                .entry(file.path.as_str())
                .and_modify(|(_, expected)| *expected = &file.after_hash)
                .or_insert((&file.before, &file.after_hash));
        }
    }
    let mut plan = RestorePlan { changes: Vec::new(), hand_edited: Vec::new() };
    for (path, (before, expected)) in targets {
        let current = files.read_text(path)?;
        let current_hash = current.as_ref().map(|c| ContentHash::of(c.as_bytes()));
        if current_hash != *expected && !overwrite.iter().any(|o| o == path) {
            plan.hand_edited.push(path.to_string());
            continue;
        }
        if current == *before {
            continue;
        }
        plan.changes.push(file_change(path, current, before.clone()));
    }
    Ok(plan)
}
