//! Drones: focused workers with their own role, model, tool policy, budget and conversation.

use serde::{Deserialize, Serialize};

use super::id::{DroneId, SessionId};

/// What a Drone may do to the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolPolicy {
    ReadOnly,
    /// Every write waits for the user.
    AskBeforeWrites,
    /// Writes go through the project's approval policy like the main chat's.
    #[default]
    NormalReview,
}

/// Limits on one run; `None` means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Budget {
    pub max_tokens: Option<u64>,
    pub max_steps: Option<u32>,
    pub max_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    AfterTaskFinished,
    AfterChangeSetApplied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drone {
    pub id: DroneId,
    pub name: String,
    pub role: String,
    pub instructions: String,
    /// `provider/model`; `None` uses the project's default.
    pub model: Option<String>,
    pub tool_policy: ToolPolicy,
    pub budget: Budget,
    pub triggers: Vec<Trigger>,
    pub session: SessionId,
}
