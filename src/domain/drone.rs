//! Drones: focused workers with their own role, model, tool policy, budget and conversation.

use serde::{Deserialize, Serialize};

use super::id::{DroneId, ProjectId, SessionId};
use super::receipt::Receipt;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    AfterTaskFinished,
    AfterChangeSetApplied,
}

/// Where a run's writes go, so parallel writers never share a working tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Isolation {
    /// Read-only: it works in the main workspace and writes nothing.
    Shared,
    /// Its own git worktree and branch; the result comes back as one ChangeSet.
    Worktree { path: String, branch: String },
    /// Outside git: writers take turns, each writing through Review like the main Worker.
    WriteLane,
}

/// One run of a Drone: what it was asked, where it worked, and its receipt once it ended. Stored
/// in the drones table, so a Drone's tab lists its runs after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroneRun {
    pub id: DroneId,
    pub project: ProjectId,
    /// The manifest's name.
    pub drone: String,
    pub goal: String,
    /// The run's own conversation.
    pub session: SessionId,
    pub isolation: Isolation,
    /// What started it; `None` when a person did.
    pub trigger: Option<Trigger>,
    pub started_at: u64,
    pub receipt: Option<Receipt>,
}

/// What a manifest says: the Drone itself, identified by its name. Its runs are [`DroneRun`]s.
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
    /// What its commands may do (at most the project's own sandbox policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<super::SandboxPolicy>,
    /// The MCP servers whose tools it may use; none named: all of the project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<Vec<String>>,
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
