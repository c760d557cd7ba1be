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

/// What a manifest says; the Drone's id and conversation are kept in the store, matched by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DroneManifest {
    pub name: String,
    pub role: String,
    pub instructions: String,
    /// `provider/model`; none: the project's Worker model.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub tool_policy: ToolPolicy,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    #[serde(default)]
    pub budget: ManifestBudget,
}

/// The `[budget]` table, with the defaults a run gets when it is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManifestBudget {
    pub max_tokens: u64,
    pub max_steps: u32,
    pub max_seconds: u64,
}

impl Default for ManifestBudget {
    fn default() -> Self {
        ManifestBudget { max_tokens: 300_000, max_steps: 60, max_seconds: 1_800 }
    }
}

impl From<ManifestBudget> for Budget {
    fn from(b: ManifestBudget) -> Budget {
        Budget { max_tokens: Some(b.max_tokens), max_steps: Some(b.max_steps), max_seconds: Some(b.max_seconds) }
    }
}

/// Where a Drone's manifest came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DroneSource {
    BuiltIn,
    /// Workspace-relative path of its manifest.
    Workspace {
        path: String,
    },
}
