//! Work orders (what a Planner hands a Worker) and project memory entries (what the agents and the
//! user keep for later tasks).

use serde::{Deserialize, Serialize};

use super::id::{MemoryId, ProjectId, TaskId, WorkOrderId};
use super::now_millis;

/// A part of a file the Worker should look at; `lines` is 1-based and inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub path: String,
    #[serde(default)]
    pub lines: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum WorkOrderStatus {
    Proposed,
    Approved,
    Rejected { reason: String },
}

/// The Planner's plan for one piece of work. The capsule is self-contained: the Worker gets it,
/// never the chat that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub id: WorkOrderId,
    pub task: Option<TaskId>,
    pub goal: String,
    pub regions: Vec<Region>,
    pub capsule: String,
    /// What must hold when the work is done, one criterion per entry.
    pub acceptance: Vec<String>,
    /// The commands that prove it (run before the work as a baseline, and after).
    pub validation: Vec<String>,
    pub status: WorkOrderStatus,
    pub created_at: u64,
}

impl WorkOrder {
    /// The order as the Worker reads it (and as it is re-injected after a compaction).
    pub fn brief(&self) -> String {
        let mut out = format!("## Goal\n{}\n\n## Plan\n{}\n", self.goal, self.capsule.trim_end());
        if !self.regions.is_empty() {
            out.push_str("\n## Where\n");
            for r in &self.regions {
                match r.lines {
                    Some((a, b)) => out.push_str(&format!("- {} lines {a}-{b}\n", r.path)),
                    None => out.push_str(&format!("- {}\n", r.path)),
                }
            }
        }
        if !self.acceptance.is_empty() {
            out.push_str("\n## Acceptance criteria\n");
            for a in &self.acceptance {
                out.push_str(&format!("- {a}\n"));
            }
        }
        if !self.validation.is_empty() {
            out.push_str("\n## Validation (run by Aura after you finish)\n");
            for v in &self.validation {
                out.push_str(&format!("- `{v}`\n"));
            }
        }
        out
    }
}

/// Who saved a memory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    Agent,
    User,
    /// Written by Aura when a task finished or a failure repeated.
    Auto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEntry {
    pub id: MemoryId,
    pub project: ProjectId,
    pub text: String,
    pub tags: Vec<String>,
    pub source: MemorySource,
    pub at_ms: u64,
    /// Pinned entries join every agent's project context.
    pub pinned: bool,
}

impl MemoryEntry {
    pub fn new(project: ProjectId, text: impl Into<String>, tags: Vec<String>, source: MemorySource) -> Self {
        MemoryEntry {
            id: MemoryId::new(),
            project,
            text: text.into(),
            tags,
            source,
            at_ms: now_millis(),
            pinned: false,
        }
    }
}
