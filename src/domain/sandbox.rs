//! What the commands an agent runs may touch: the four policies a user picks from.

use serde::{Deserialize, Serialize};

/// How much a command may do. Every command but `FullAccess` runs in the kernel sandbox: it reads
/// the system, the workspace and the toolchains' folders, never the rest of the home folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxPolicy {
    /// Nothing is written; no network.
    ReadOnly,
    /// Writes to the workspace (captured for Review) and a private temp folder; no network.
    #[default]
    WorkspaceWrite,
    /// As `WorkspaceWrite`, with the network.
    WorkspaceWriteNetwork,
    /// No sandbox: commands run as the user, and what they write is not reviewed.
    FullAccess,
}

impl SandboxPolicy {
    pub const ALL: [SandboxPolicy; 4] = [
        SandboxPolicy::ReadOnly,
        SandboxPolicy::WorkspaceWrite,
        SandboxPolicy::WorkspaceWriteNetwork,
        SandboxPolicy::FullAccess,
    ];

    /// The name used in settings, manifests and flags.
    pub fn name(self) -> &'static str {
        match self {
            SandboxPolicy::ReadOnly => "read-only",
            SandboxPolicy::WorkspaceWrite => "workspace-write",
            SandboxPolicy::WorkspaceWriteNetwork => "workspace-write-network",
            SandboxPolicy::FullAccess => "full-access",
        }
    }

    pub fn parse(name: &str) -> Option<SandboxPolicy> {
        SandboxPolicy::ALL.into_iter().find(|p| p.name() == name.trim())
    }

    /// What the policy means, in a user's words.
    pub fn describe(self) -> &'static str {
        match self {
            SandboxPolicy::ReadOnly => "commands read the workspace and write nothing; no network",
            SandboxPolicy::WorkspaceWrite => {
                "commands write only the workspace (shown in Review) and a private temp folder; no network"
            }
            SandboxPolicy::WorkspaceWriteNetwork => "as workspace-write, with network access",
            SandboxPolicy::FullAccess => "no sandbox: commands run as you, and what they write is not reviewed",
        }
    }

    pub fn network(self) -> bool {
        matches!(self, SandboxPolicy::WorkspaceWriteNetwork | SandboxPolicy::FullAccess)
    }

    pub fn writes(self) -> bool {
        self != SandboxPolicy::ReadOnly
    }

    /// The stricter of two policies (a read-only Drone under a project that allows writes).
    pub fn min(self, other: SandboxPolicy) -> SandboxPolicy {
        let rank = |p: SandboxPolicy| SandboxPolicy::ALL.iter().position(|q| *q == p).unwrap_or(0);
        if rank(self) <= rank(other) { self } else { other }
    }
}

impl std::fmt::Display for SandboxPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A command an agent wants to run that the policy does not let run unasked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandApproval {
    pub id: super::ApprovalId,
    pub project: super::ProjectId,
    pub session: super::SessionId,
    pub command: String,
    /// Why it asks, in the user's words.
    pub reason: String,
    /// It asks for the network as well (the sandbox has none).
    #[serde(default)]
    pub network: bool,
    pub policy: SandboxPolicy,
    pub asked_at: u64,
}

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandDecision {
    AllowOnce,
    /// This command (its first words), and the network if asked, for the rest of the session.
    AllowForSession,
    Deny,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_stricter_wins() {
        for policy in SandboxPolicy::ALL {
            assert_eq!(SandboxPolicy::parse(policy.name()), Some(policy));
            let json = serde_json::to_string(&policy).unwrap();
            assert_eq!(json, format!("\"{}\"", policy.name()));
        }
        assert_eq!(SandboxPolicy::parse("everything"), None);
        assert_eq!(SandboxPolicy::FullAccess.min(SandboxPolicy::ReadOnly), SandboxPolicy::ReadOnly);
        assert_eq!(
            SandboxPolicy::WorkspaceWrite.min(SandboxPolicy::WorkspaceWriteNetwork),
            SandboxPolicy::WorkspaceWrite
        );
    }
}
