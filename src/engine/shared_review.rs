//! A project's Review as the engine shares it: agents, the dev loop, Drones and the review commands
//! all go through [`SharedReview`], the one place that announces proposals, decisions and undos
//! (`ChangeSetProposed`, `ChangeSetDecided`, `ChangeSetUndone`) and hands each decision to whoever
//! waits for it. A proposal's Craft checks run before the review is locked, so a slow linter holds
//! up only its own proposal, never another decision.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, oneshot};

use crate::domain::{ApprovalPolicy, ChangeSet, ChangeSetId};
use crate::protocol::{AppliedChange, ChangeSetDecision, Event};
use crate::tools::Workspace;

use super::Journal;
use super::decisions::Decisions;
use super::review::{Checked, Decided, Restored, Review, ReviewError};

/// Agents and loops waiting for the user's decision on a ChangeSet they proposed.
type Waiters = Decisions<ChangeSetId, Decided>;

#[derive(Clone)]
pub struct SharedReview {
    review: Arc<Mutex<Review>>,
    workspace: Workspace,
    journal: Journal,
    waiters: Waiters,
    /// What each of a proposal's formatters and linters may take.
    craft_timeout: Duration,
}

/// What became of a proposal.
pub enum Proposal {
    /// Applied at once (a clean ChangeSet under auto-approve), announced as decided.
    Decided(Decided),
    /// Announced with its Craft findings; it waits for the user.
    Waiting(Waiting),
}

/// A ChangeSet waiting in Review, and the way to hear its decision. Dropped, nobody waits for it.
pub struct Waiting {
    /// As announced: its Craft findings attached.
    pub changeset: ChangeSet,
    decision: oneshot::Receiver<Decided>,
    _forget: Forget,
}

impl Waiting {
    /// The decision; `None` when the review closed before one was made.
    pub async fn decided(self) -> Option<Decided> {
        self.decision.await.ok()
    }
}

/// Drops a ChangeSet's waiter when nobody waits for it any more.
struct Forget(Waiters, ChangeSetId);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0.forget(&self.1);
    }
}

/// Runs review work on a task of its own: a caller that stops waiting (an agent stopped by the
/// user) never cuts an apply in half, nor loses its announcement.
async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, ReviewError>> + Send + 'static,
) -> Result<T, ReviewError> {
    tokio::spawn(work).await.unwrap_or_else(|e| Err(ReviewError::Interrupted(e.to_string())))
}

impl SharedReview {
    pub fn new(review: Review, journal: Journal, craft_timeout: Duration) -> SharedReview {
        let workspace = review.workspace().clone();
        SharedReview {
            review: Arc::new(Mutex::new(review)),
            workspace,
            journal,
            waiters: Waiters::default(),
            craft_timeout,
        }
    }

    /// Proposes an agent's ChangeSet: its Craft checks run first (without the lock), then the
    /// approval policy decides, and only then is it announced, findings attached. With `hold` it
    /// waits for the user whatever the policy (unless the project is read-only).
    pub async fn propose(&self, changeset: ChangeSet, hold: bool) -> Result<Proposal, ReviewError> {
        if self.review.lock().await.policy() == ApprovalPolicy::ReadOnly {
            return Err(ReviewError::ReadOnly);
        }
        let checked = Checked::run(self.workspace.root(), changeset, self.craft_timeout).await;
        let shared = self.clone();
        detached(async move { shared.submit(checked, hold).await }).await
    }

    async fn submit(&self, checked: Checked, hold: bool) -> Result<Proposal, ReviewError> {
        let changeset = checked.changeset().clone();
        // Waiting starts before the announcement, so a decision made at once is not missed.
        let decision = self.waiters.wait(changeset.id);
        let forget = Forget(self.waiters.clone(), changeset.id);
        let submitted = self.review.lock().await.submit(checked, hold).await?;
        match submitted {
            Some(decided) => {
                self.announce(&decided);
                Ok(Proposal::Decided(decided))
            }
            None => {
                self.journal.emit(Event::ChangeSetProposed { changeset: changeset.clone() });
                Ok(Proposal::Waiting(Waiting { changeset, decision, _forget: forget }))
            }
        }
    }

    /// Applies the decision on a pending ChangeSet, announces it and hands it to its waiter.
    pub async fn decide(
        &self,
        id: ChangeSetId,
        decision: ChangeSetDecision,
        comment: Option<String>,
    ) -> Result<Decided, ReviewError> {
        let shared = self.clone();
        detached(async move {
            let decided = shared.review.lock().await.decide(id, decision, comment).await?;
            shared.waiters.deliver(&id, decided.clone());
            shared.announce(&decided);
            Ok(decided)
        })
        .await
    }

    /// Applies a change the user made themselves at once (see [`Review::apply_own`]) and announces it.
    pub async fn apply_own(&self, changeset: ChangeSet) -> Result<(), ReviewError> {
        let decided = self.review.lock().await.apply_own(changeset).await?;
        self.announce(&decided);
        Ok(())
    }

    /// Undoes an applied ChangeSet, or with `and_later` restores to before it (undoing everything
    /// applied after it too), and announces it.
    pub async fn undo(&self, id: ChangeSetId, overwrite: &[String], and_later: bool) -> Result<(), ReviewError> {
        let mut review = self.review.lock().await;
        let done = if and_later { review.restore(id, overwrite).await } else { review.undo(id, overwrite).await }?;
        drop(review);
        let Restored { restored, hand_edited, undone } = done;
        self.journal.emit(Event::ChangeSetUndone { changeset: id, restored, hand_edited, undone });
        Ok(())
    }

    fn announce(&self, decided: &Decided) {
        self.journal
            .emit(Event::ChangeSetDecided { changeset: decided.changeset.clone(), applied: decided.applied.clone() });
    }

    pub async fn set_policy(&self, policy: ApprovalPolicy) {
        self.review.lock().await.set_policy(policy);
    }

    /// Whether ChangeSet `id` waits here for a decision.
    pub async fn holds(&self, id: ChangeSetId) -> bool {
        self.review.lock().await.pending().any(|c| c.id == id)
    }

    /// Whether ChangeSet `id` was applied here and can be undone.
    pub async fn can_undo(&self, id: ChangeSetId) -> bool {
        self.review.lock().await.checkpoints().iter().any(|c| c.changeset == id)
    }

    /// The pending ChangeSets and the applied ones that can be undone, read at one moment.
    pub async fn overview(&self) -> (Vec<ChangeSet>, Vec<AppliedChange>) {
        let review = self.review.lock().await;
        (review.pending().cloned().collect(), review.applied())
    }
}
