//! Review: the ChangeSets waiting for the user (decided per hunk here, then sent as one decision
//! with an optional comment back to the agent), and the applied ones that can still be undone.

mod diff;
mod panel;

use std::collections::HashMap;

use crate::domain::{ChangeSet, ChangeSetId, ChangeSetStatus, HunkDecision};
use crate::protocol::{AppliedChange, ChangeSetDecision, Command, Event};

pub(in crate::ui) use panel::diff_ui;
pub use panel::review_ui;

pub(in crate::ui) use diff::FileDiff;

use super::intents::Intents;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffMode {
    #[default]
    Unified,
    SideBySide,
}

#[derive(Default)]
pub struct ReviewView {
    /// Waiting for a decision, oldest first; hunk decisions are the user's draft until sent.
    pub pending: Vec<ChangeSet>,
    /// Applied and still undoable, oldest first.
    pub applied: Vec<AppliedChange>,
    pub selected: Option<ChangeSetId>,
    pub file: usize,
    pub mode: DiffMode,
    pub comment: String,
    /// Files whose undo was refused because they were edited by hand since: (ChangeSet, files).
    pub hand_edited: Option<(ChangeSetId, Vec<String>)>,
    /// Laid-out diffs by (ChangeSet, file index).
    diffs: HashMap<(ChangeSetId, usize), FileDiff>,
}

impl std::fmt::Debug for ReviewView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewView")
            .field("pending", &self.pending.len())
            .field("applied", &self.applied.len())
            .field("selected", &self.selected)
            .finish()
    }
}

/// How many hunks the user accepted, rejected, and has not decided.
pub fn tally(changeset: &ChangeSet) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for hunk in changeset.files.iter().flat_map(|f| &f.hunks) {
        match hunk.decision {
            HunkDecision::Accepted => counts.0 += 1,
            HunkDecision::Rejected => counts.1 += 1,
            HunkDecision::Pending => counts.2 += 1,
        }
    }
    counts
}

/// The decision a ChangeSet's per-hunk draft amounts to: all accepted is an accept-all (which
/// also carries renames and other hunk-less changes); otherwise each hunk as marked, undecided
/// ones rejected.
pub fn decision_of(changeset: &ChangeSet) -> ChangeSetDecision {
    match tally(changeset) {
        (_, 0, 0) => ChangeSetDecision::AcceptAll,
        (0, _, _) => ChangeSetDecision::RejectAll,
        _ => ChangeSetDecision::Hunks {
            hunks: changeset
                .files
                .iter()
                .enumerate()
                .flat_map(|(f, file)| {
                    file.hunks.iter().enumerate().map(move |(h, hunk)| {
                        let decision = if hunk.decision == HunkDecision::Accepted {
                            hunk.decision
                        } else {
                            HunkDecision::Rejected
                        };
                        (f as u32, h as u32, decision)
                    })
                })
                .collect(),
        },
    }
}

impl ReviewView {
    pub fn open(pending: Vec<ChangeSet>, applied: Vec<AppliedChange>) -> ReviewView {
        ReviewView { selected: pending.first().map(|c| c.id), pending, applied, ..ReviewView::default() }
    }

    pub fn select(&mut self, id: ChangeSetId) {
        if self.selected != Some(id) {
            self.selected = Some(id);
            self.file = 0;
            self.comment.clear();
        }
    }

    pub fn current(&self) -> Option<&ChangeSet> {
        self.selected.and_then(|id| self.pending.iter().find(|c| c.id == id))
    }

    /// Sends the decision on the selected ChangeSet with the comment, if any.
    pub fn decide(&mut self, decision: Option<ChangeSetDecision>, intents: &mut Intents) {
        let Some(changeset) = self.current() else { return };
        let decision = decision.unwrap_or_else(|| decision_of(changeset));
        let comment = Some(self.comment.trim().to_string()).filter(|c| !c.is_empty());
        intents.send(Command::DecideChangeSet { changeset: changeset.id, decision, comment });
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::ChangeSetProposed { changeset } if changeset.status == ChangeSetStatus::Proposed => {
                self.pending.retain(|c| c.id != changeset.id);
                self.pending.push(changeset.clone());
                if self.selected.is_none() {
                    self.select(changeset.id);
                }
            }
            Event::ChangeSetDecided { changeset, applied } => {
                self.pending.retain(|c| c.id != changeset.id);
                self.diffs.retain(|(id, _), _| *id != changeset.id);
                if !applied.is_empty() {
                    self.applied.push(AppliedChange {
                        changeset: changeset.id,
                        title: changeset.title.clone(),
                        files: applied.clone(),
                        at: crate::domain::now_millis(),
                    });
                }
                if self.selected == Some(changeset.id) {
                    self.selected = None;
                    self.comment.clear();
                    if let Some(next) = self.pending.first().map(|c| c.id) {
                        self.select(next);
                    }
                }
            }
            Event::ChangeSetUndone { changeset, hand_edited, undone, .. } => {
                let undone: Vec<ChangeSetId> = if undone.is_empty() { vec![*changeset] } else { undone.clone() };
                self.applied.retain(|a| !undone.contains(&a.changeset));
                self.hand_edited = (!hand_edited.is_empty()).then(|| (*changeset, hand_edited.clone()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FileChange, FileChangeKind};
    use crate::edits::hunks;

    fn changeset() -> ChangeSet {
        let (before, after) = ("a\nb\nc\nd\ne\nf\ng\nh\n", "A\nb\nc\nd\ne\nf\ng\nH\n");
        ChangeSet::new(
            None,
            "two edits",
            vec![FileChange {
                path: "x.txt".into(),
                kind: FileChangeKind::Modify,
                before: Some(before.into()),
                after: Some(after.into()),
                before_hash: None,
                hunks: hunks(before, after),
            }],
        )
    }

    #[test]
    fn the_draft_becomes_one_decision() {
        let mut cs = changeset();
        assert_eq!(cs.files[0].hunks.len(), 2);
        assert_eq!(decision_of(&cs), ChangeSetDecision::RejectAll, "nothing accepted rejects all");
        cs.files[0].hunks[0].decision = HunkDecision::Accepted;
        assert_eq!(
            decision_of(&cs),
            ChangeSetDecision::Hunks { hunks: vec![(0, 0, HunkDecision::Accepted), (0, 1, HunkDecision::Rejected)] }
        );
        cs.files[0].hunks[1].decision = HunkDecision::Accepted;
        assert_eq!(decision_of(&cs), ChangeSetDecision::AcceptAll);
    }

    #[test]
    fn decided_changes_leave_pending_and_applied_ones_become_checkpoints() {
        let cs = changeset();
        let mut review = ReviewView::open(vec![cs.clone()], Vec::new());
        assert_eq!(review.selected, Some(cs.id));
        let mut applied = cs.clone();
        applied.status = ChangeSetStatus::Applied;
        review.apply(&Event::ChangeSetDecided { changeset: applied, applied: vec!["x.txt".into()] });
        assert!(review.pending.is_empty() && review.selected.is_none());
        assert_eq!(review.applied[0].files, ["x.txt"]);
        review.apply(&Event::ChangeSetUndone {
            changeset: cs.id,
            restored: vec![],
            hand_edited: vec!["x.txt".into()],
            undone: vec![cs.id],
        });
        assert!(review.applied.is_empty());
        assert_eq!(review.hand_edited, Some((cs.id, vec!["x.txt".to_string()])));
    }
}
