//! The entries of a conversation's append-only log. After a crash, replaying them rebuilds the screen.

use serde::{Deserialize, Serialize};

use super::change::{ChangeSet, Checkpoint};
use super::id::{ChangeSetId, TaskId};
use super::message::Message;
use super::receipt::{Receipt, RequestUsage};
use super::task::TaskStatus;
use super::work::WorkOrder;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "record")]
pub enum Record {
    Message(Message),
    TaskTransition {
        task: TaskId,
        from: TaskStatus,
        to: TaskStatus,
        at: u64,
        /// Why a task failed or is blocked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    ChangeSet(ChangeSet),
    Receipt(Receipt),
    /// A model request's tokens and cost (in the project's log).
    Usage(RequestUsage),
    /// Written before a ChangeSet is applied (in the project's log).
    Checkpoint(Checkpoint),
    /// A ChangeSet's checkpoint was used to put its files back.
    Undone {
        changeset: ChangeSetId,
        at: u64,
    },
    WorkOrder(WorkOrder),
    /// A session's context was shortened (tier 1: old tool results cut to head and tail; tier 2:
    /// one-line stubs), or the session was rotated into a summary (tier 0).
    Compacted {
        tier: u8,
        at: u64,
    },
    /// A line of Aura's own in a conversation (an error that answered a message), kept so the
    /// conversation reads the same after a restart. Never sent to the model.
    Note {
        text: String,
        error: bool,
        at: u64,
    },
}
