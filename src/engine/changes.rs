//! The review commands: deciding on a pending ChangeSet and undoing an applied one, routed to the
//! project that holds it.

use crate::domain::{ApprovalPolicy, ChangeSetId, Project, ProjectId};
use crate::protocol::{ChangeSetDecision, Event};
use crate::store::Table;
use crate::validate::craft;

use super::Engine;
use super::review::Review;
use super::shared_review::SharedReview;

/// The settings key of a project's approval policy.
pub fn policy_key(project: ProjectId) -> String {
    format!("approval_policy/{project}")
}

impl Engine {
    /// The project's review state, rebuilt from its log; the policy comes from its settings (Ask
    /// when none is set).
    pub(super) fn open_review(&self, project: &Project) -> Result<SharedReview, String> {
        let workspace = crate::engine::projects::open_workspace(project)?;
        let policy = self
            .store
            .reader()
            .get_value::<ApprovalPolicy>(Table::Settings, &policy_key(project.id))
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let review = Review::open(self.store.clone(), workspace, project.id, policy).map_err(|e| e.to_string())?;
        Ok(SharedReview::new(review, self.journal.clone(), craft::TIMEOUT))
    }

    pub(super) async fn set_approval_policy(
        &mut self,
        project: ProjectId,
        policy: ApprovalPolicy,
    ) -> super::EngineResult {
        let key = policy_key(project);
        self.store.write(move |w| w.put_value(Table::Settings, &key, &policy)).await?;
        if let Some(review) = self.reviews.get(&project) {
            review.set_policy(policy).await;
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
            if review.holds(id).await {
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
        if let Err(e) = review.decide(id, decision, comment).await {
            self.fail(command, e.to_string());
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
            if review.can_undo(id).await {
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
        if let Err(e) = review.undo(id, &overwrite, and_later).await {
            self.fail(command, e.to_string());
        }
    }
}
