//! Review of a project's ChangeSets: the approval policy decides, the user accepts or rejects per
//! hunk (with a comment back to the agent), a checkpoint is written before anything is applied, and
//! undo and restore put files back. Everything is recorded in the project's own log, so pending
//! ChangeSets and checkpoints survive a restart.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use crate::domain::{
    ApprovalPolicy, ChangeSet, ChangeSetId, ChangeSetStatus, Checkpoint, FileChange, FileChangeKind, HunkDecision,
    ProjectId, Record, now_millis,
};
use crate::edits::{self, EditError};
use crate::protocol::{AppliedChange, ChangeSetDecision};
use crate::store::{StoreError, StoreHandle};
use crate::tools::Workspace;
use crate::validate::craft;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(
        "the project is read-only: the change was not made (switch the approval policy in Settings to allow edits)"
    )]
    ReadOnly,
    #[error("no pending ChangeSet {0}; it was already decided, or never proposed")]
    NotPending(ChangeSetId),
    #[error("ChangeSet {0} has no checkpoint to undo (it was not applied, or was undone already)")]
    NothingToUndo(ChangeSetId),
    #[error("the review was interrupted: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What became of a ChangeSet and what the agent should hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub changeset: ChangeSet,
    /// Files written; empty when everything was rejected.
    pub applied: Vec<String>,
}

/// A ChangeSet whose Craft checks ran, with their findings attached: the only kind Review takes as
/// a proposal, so nothing is recorded or announced before it was checked.
pub struct Checked(ChangeSet);

impl Checked {
    /// Runs the Craft checks on `changeset`; each formatter or linter may take up to `timeout`.
    pub async fn run(root: &Path, mut changeset: ChangeSet, timeout: Duration) -> Checked {
        changeset.findings = craft::check(root, &changeset.files, timeout).await;
        Checked(changeset)
    }

    pub fn changeset(&self) -> &ChangeSet {
        &self.0
    }
}

/// What undo or restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub restored: Vec<String>,
    /// Files edited by hand since the change: left as they are.
    pub hand_edited: Vec<String>,
    /// Every ChangeSet undone: the one named, and for a restore those applied after it.
    pub undone: Vec<ChangeSetId>,
}

pub struct Review {
    store: StoreHandle,
    workspace: Workspace,
    project: ProjectId,
    policy: ApprovalPolicy,
    pending: BTreeMap<ChangeSetId, ChangeSet>,
    /// Applied and not undone, oldest first.
    checkpoints: Vec<Checkpoint>,
    /// What each applied ChangeSet was for, to list the checkpoints by name.
    titles: HashMap<ChangeSetId, String>,
}

impl Review {
    /// Rebuilds the review state of a project from its log: ChangeSets still proposed wait again,
    /// checkpoints not undone can still be undone.
    pub fn open(
        store: StoreHandle,
        workspace: Workspace,
        project: ProjectId,
        policy: ApprovalPolicy,
    ) -> Result<Review, ReviewError> {
        let page = store.reader().records_from(project, 1, usize::MAX)?;
        let mut pending = BTreeMap::new();
        let mut checkpoints: Vec<Checkpoint> = Vec::new();
        let mut titles = HashMap::new();
        for record in page.records {
            match record.record {
                Record::ChangeSet(cs) if cs.status == ChangeSetStatus::Proposed => {
                    pending.insert(cs.id, cs);
                }
                Record::ChangeSet(cs) => {
                    pending.remove(&cs.id);
                    titles.insert(cs.id, cs.title);
                }
                Record::Checkpoint(cp) => checkpoints.push(cp),
                Record::Undone { changeset, .. } => checkpoints.retain(|c| c.changeset != changeset),
                _ => {}
            }
        }
        titles.retain(|id, _| checkpoints.iter().any(|c| c.changeset == *id));
        Ok(Review { store, workspace, project, policy, pending, checkpoints, titles })
    }

    /// Changes who decides, for this run (autopilot applies clean ChangeSets at once).
    pub fn set_policy(&mut self, policy: ApprovalPolicy) {
        self.policy = policy;
    }

    pub fn pending(&self) -> impl Iterator<Item = &ChangeSet> {
        self.pending.values()
    }

    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// The applied ChangeSets that can still be undone, oldest first.
    pub fn applied(&self) -> Vec<AppliedChange> {
        self.checkpoints
            .iter()
            .map(|c| AppliedChange {
                changeset: c.changeset,
                title: self.titles.get(&c.changeset).cloned().unwrap_or_default(),
                files: c.files.iter().map(|f| f.path.clone()).collect(),
                at: c.at,
            })
            .collect()
    }

    async fn record(&self, records: Vec<Record>) -> Result<(), ReviewError> {
        self.store.append(self.project, records).await?;
        Ok(())
    }

    pub fn policy(&self) -> ApprovalPolicy {
        self.policy
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Takes a ChangeSet from an agent and runs the Craft checks on it (the findings travel with
    /// it), then [`Review::submit`]s it. The checks run while this review is borrowed: for a review
    /// used alone; shared, `SharedReview` runs them first and locks only to submit.
    pub async fn propose(&mut self, changeset: ChangeSet) -> Result<Option<Decided>, ReviewError> {
        self.check_and_submit(changeset, false).await
    }

    /// Like [`Review::propose`], but the ChangeSet always waits for the user (regenerated specs
    /// that would overwrite the user's files).
    pub async fn hold(&mut self, changeset: ChangeSet) -> Result<Option<Decided>, ReviewError> {
        self.check_and_submit(changeset, true).await
    }

    async fn check_and_submit(&mut self, changeset: ChangeSet, hold: bool) -> Result<Option<Decided>, ReviewError> {
        if self.policy == ApprovalPolicy::ReadOnly {
            return Err(ReviewError::ReadOnly);
        }
        let checked = Checked::run(self.workspace.root(), changeset, craft::TIMEOUT).await;
        self.submit(checked, hold).await
    }

    /// Takes a checked ChangeSet. Under `Ask`, when it is `hold`, or when something was found, it
    /// waits (returns `None`); under `AutoApprove` a clean one is applied at once; under `ReadOnly`
    /// it is refused.
    pub async fn submit(&mut self, checked: Checked, hold: bool) -> Result<Option<Decided>, ReviewError> {
        let Checked(changeset) = checked;
        let policy = match self.policy {
            ApprovalPolicy::ReadOnly => return Err(ReviewError::ReadOnly),
            _ if hold || !changeset.findings.is_empty() => ApprovalPolicy::Ask,
            policy => policy,
        };
        if policy == ApprovalPolicy::Ask {
            self.record(vec![Record::ChangeSet(changeset.clone())]).await?;
            self.pending.insert(changeset.id, changeset);
            return Ok(None);
        }
        let id = changeset.id;
        self.pending.insert(id, changeset);
        self.decide(id, ChangeSetDecision::AcceptAll, None).await.map(Some)
    }

    /// Applies a change the user made themselves (a spec saved from the editor) at once, whatever
    /// the policy, which governs the agents: the user already decided. It still gets a checkpoint,
    /// so it can be undone like any other.
    pub async fn apply_own(&mut self, changeset: ChangeSet) -> Result<Decided, ReviewError> {
        let id = changeset.id;
        self.pending.insert(id, changeset);
        let decided = self.decide(id, ChangeSetDecision::AcceptAll, None).await;
        self.pending.remove(&id);
        decided
    }

    /// Applies the user's decision: accepted hunks are written (after a checkpoint), the rest
    /// dropped; the comment goes back to the agent with the result.
    pub async fn decide(
        &mut self,
        id: ChangeSetId,
        decision: ChangeSetDecision,
        comment: Option<String>,
    ) -> Result<Decided, ReviewError> {
        let mut changeset = self.pending.get(&id).cloned().ok_or(ReviewError::NotPending(id))?;
        set_decisions(&mut changeset, &decision);
        changeset.comment = comment;
        let accept_all = decision == ChangeSetDecision::AcceptAll;
        let changes: Vec<FileChange> = changeset.files.iter().filter_map(|f| accepted_change(f, accept_all)).collect();
        let all = changeset.files.iter().all(|f| f.hunks.iter().all(|h| h.decision == HunkDecision::Accepted));
        changeset.status = match (changes.is_empty(), all) {
            (true, _) => ChangeSetStatus::Rejected,
            (false, true) => ChangeSetStatus::Applied,
            (false, false) => ChangeSetStatus::PartlyApplied,
        };
        if changes.is_empty() {
            self.record(vec![Record::ChangeSet(changeset.clone())]).await?;
        } else {
            edits::verify(&changes, &self.workspace)?;
            let checkpoint = edits::capture(id, &changes, &self.workspace)?;
            // The checkpoint is committed before the first file is touched.
            self.record(vec![Record::Checkpoint(checkpoint.clone())]).await?;
            if let Err(e) = edits::apply(&changes, &self.workspace) {
                // Nothing was written (apply puts back what it did): cancel the checkpoint.
                self.record(vec![Record::Undone { changeset: id, at: now_millis() }]).await?;
                return Err(e.into());
            }
            self.record(vec![Record::ChangeSet(changeset.clone())]).await?;
            self.checkpoints.push(checkpoint);
            self.titles.insert(id, changeset.title.clone());
        }
        self.pending.remove(&id);
        Ok(Decided { applied: changes.iter().map(|c| c.path.clone()).collect(), changeset })
    }

    /// Undoes one applied ChangeSet.
    pub async fn undo(&mut self, id: ChangeSetId, overwrite: &[String]) -> Result<Restored, ReviewError> {
        let at = self.checkpoints.iter().position(|c| c.changeset == id).ok_or(ReviewError::NothingToUndo(id))?;
        self.restore_from(at, at + 1, overwrite).await
    }

    /// Puts the workspace back to before ChangeSet `id`, undoing it and everything applied after it.
    pub async fn restore(&mut self, id: ChangeSetId, overwrite: &[String]) -> Result<Restored, ReviewError> {
        let at = self.checkpoints.iter().position(|c| c.changeset == id).ok_or(ReviewError::NothingToUndo(id))?;
        self.restore_from(at, self.checkpoints.len(), overwrite).await
    }

    async fn restore_from(&mut self, from: usize, to: usize, overwrite: &[String]) -> Result<Restored, ReviewError> {
        let plan = edits::restore_plan(&self.checkpoints[from..to], &self.workspace, overwrite)?;
        if !plan.changes.is_empty() {
            edits::apply(&plan.changes, &self.workspace)?;
        }
        let undone: Vec<Record> = self.checkpoints[from..to]
            .iter()
            .rev()
            .map(|c| Record::Undone { changeset: c.changeset, at: now_millis() })
            .collect();
        self.record(undone).await?;
        let undone: Vec<ChangeSetId> = self.checkpoints.drain(from..to).map(|c| c.changeset).collect();
        self.titles.retain(|id, _| !undone.contains(id));
        Ok(Restored {
            restored: plan.changes.iter().map(|c| c.path.clone()).collect(),
            hand_edited: plan.hand_edited,
            undone,
        })
    }
}

fn set_decisions(changeset: &mut ChangeSet, decision: &ChangeSetDecision) {
    for (f, file) in changeset.files.iter_mut().enumerate() {
        for (h, hunk) in file.hunks.iter_mut().enumerate() {
            hunk.decision = match decision {
                ChangeSetDecision::AcceptAll => HunkDecision::Accepted,
                ChangeSetDecision::RejectAll => HunkDecision::Rejected,
                ChangeSetDecision::Hunks { hunks } => hunks
                    .iter()
                    .find(|(fi, hi, _)| *fi as usize == f && *hi as usize == h)
                    .map(|(_, _, d)| *d)
                    .unwrap_or(HunkDecision::Rejected),
            };
        }
    }
}

/// The part of a file change the user accepted, if any. Adds, deletes and moves are whole: they
/// happen only when all their hunks are accepted (a change without hunks, like a pure rename, only
/// when the whole set is).
pub(crate) fn accepted_change(file: &FileChange, accept_all: bool) -> Option<FileChange> {
    let accepted = file.hunks.iter().filter(|h| h.decision == HunkDecision::Accepted).count();
    let whole = if file.hunks.is_empty() { accept_all } else { accepted == file.hunks.len() };
    match &file.kind {
        FileChangeKind::Modify if accepted > 0 => {
            let (before, after) = (file.before.as_deref()?, file.after.as_deref()?);
            let mut partial = file.clone();
            partial.after = Some(edits::accepted_text(before, after, &file.hunks));
            Some(partial)
        }
        FileChangeKind::Add | FileChangeKind::Delete | FileChangeKind::Move { .. } if whole => Some(file.clone()),
        _ => None,
    }
}
