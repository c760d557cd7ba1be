//! Pure types shared by every module: ids, projects, specs, tasks and their graph, conversations,
//! change sets, receipts and usage. Nothing here does I/O.

mod change;
mod drone;
mod git;
mod graph;
mod id;
mod message;
mod receipt;
mod record;
mod sandbox;
mod search;
mod task;
mod work;

pub use change::{
    ApprovalPolicy, ChangeSet, ChangeSetStatus, Checkpoint, CheckpointFile, ContentHash, CraftFinding, FileChange,
    FileChangeKind, Hunk, HunkDecision,
};
pub use drone::{DroneManifest, DroneRun, DroneSource, Isolation, ManifestBudget, ToolPolicy, Trigger};
pub use git::{CommitOutcome, GitChange, GitEntry, GitMark, GitStatus, RepoOperation};
pub use graph::{GraphError, TaskGraph, UnknownReference};
pub use id::{
    ApprovalId, ChangeSetId, DroneId, IdError, LogId, MemoryId, MessageId, ProjectId, RawId, ReceiptId, SessionId,
    SpecId, TaskId, ToolCallId, WorkOrderId,
};
pub use message::{Message, MessagePart, Role, Session, SessionKind, ToolCall, ToolSpec};
pub use receipt::{
    Check, CheckKind, CommandRun, OutcomeClass, Receipt, ReceiptSubject, RequestUsage, Usage, Verdict, thousands,
};
pub use record::Record;
pub use sandbox::{CommandApproval, CommandDecision, SandboxPolicy};
pub use search::{FileHits, LineHit, SearchOptions, SkippedFile};
pub use task::{Project, Spec, Task, TaskStatus, TransitionError};
pub use work::{MemoryEntry, MemorySource, Region, WorkOrder, WorkOrderStatus};

/// Milliseconds since the Unix epoch; 0 if the clock is before it.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
