//! The review commands: deciding on a pending ChangeSet and undoing an applied one, routed to the
//! project that holds it.

use crate::domain::{ApprovalPolicy, ChangeSetId, Project, ProjectId};
use crate::protocol::{ChangeSetDecision, Event};
use crate::store::Table;
use crate::tools::Workspace;

use super::Engine;
use super::review::Review;

/// The settings key of a project's approval policy.
pub fn policy_key(project: ProjectId) -> String {
    format!("approval_policy/{project}")
}

impl Engine {
    /// The project's review state, rebuilt from its log; the policy comes from its settings (Ask
    /// when none is set).
    pub(super) fn open_review(&self, project: &Project) -> Result<Review, String> {
        let workspace = Workspace::open(&project.root).map_err(|e| format!("{}: {e}", project.root.display()))?;
        let policy = self
            .store
            .reader()
            .get_value::<ApprovalPolicy>(Table::Settings, &policy_key(project.id))
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        Review::open(self.store.clone(), workspace, project.id, policy).map_err(|e| e.to_string())
    }

    pub(super) async fn set_approval_policy(
        &mut self,
        project: ProjectId,
        policy: ApprovalPolicy,
    ) -> super::EngineResult {
        let key = policy_key(project);
        self.store.write(move |w| w.put_value(Table::Settings, &key, &policy)).await?;
        if let Some(review) = self.reviews.get(&project) {
            review.lock().await.set_policy(policy);
        }
        self.emit(Event::ApprovalPolicyChanged { project, policy });
        Ok(())
    }

    pub(super) async fn decide_changeset(
        &mut self,
        command: u64,
        id: ChangeSetId,
        decision: ChangeSetDecision,
        comment: Option<String>,
    ) {
        let mut holder = None;
        for review in self.reviews.values() {
            if review.lock().await.pending().any(|c| c.id == id) {
                holder = Some(review.clone());
                break;
            }
        }
        let Some(review) = holder else {
            return self.fail(
                command,
                format!("no pending ChangeSet {id}; it was already decided, or its project is not open"),
            );
        };
        let decided = review.lock().await.decide(id, decision, comment).await;
        match decided {
            Ok(decided) => {
                self.waiters.deliver(&decided.changeset.id, decided.clone());
                self.emit(Event::ChangeSetDecided { changeset: decided.changeset, applied: decided.applied })
            }
            Err(e) => self.fail(command, e.to_string()),
        }
    }

    /// Undoes one ChangeSet, or with `and_later` restores to before it (undoing everything after too).
    pub(super) async fn undo_changeset(
        &mut self,
        command: u64,
        id: ChangeSetId,
        overwrite: Vec<String>,
        and_later: bool,
    ) {
        let mut holder = None;
        for review in self.reviews.values() {
            if review.lock().await.checkpoints().iter().any(|c| c.changeset == id) {
                holder = Some(review.clone());
                break;
            }
        }
        let Some(review) = holder else {
            return self.fail(
                command,
                format!("ChangeSet {id} has nothing to undo (it was not applied, or was undone already)"),
            );
        };
        let mut review = review.lock().await;
        let done = if and_later { review.restore(id, &overwrite).await } else { review.undo(id, &overwrite).await };
        drop(review);
        match done {
            Ok(done) => self.emit(Event::ChangeSetUndone {
                changeset: id,
                restored: done.restored,
                hand_edited: done.hand_edited,
                undone: done.undone,
            }),
            Err(e) => self.fail(command, e.to_string()),
        }
    }
}
