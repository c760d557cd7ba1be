//! How headless runs answer commands that wait for approval: `--approve-commands never` denies
//! them (the agent hears it and goes on), `ask-fails` denies them and stops the run (exit 3, with
//! the command and the reason), `all` allows them once. And `--sandbox POLICY` for the project.

use crate::domain::{CommandApproval, CommandDecision, ProjectId, SandboxPolicy};
use crate::engine::EngineClient;
use crate::protocol::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApproveCommands {
    Never,
    AskFails,
    All,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CommandArgs {
    /// What commands may do: read-only, workspace-write (the default), workspace-write-network, full-access
    #[arg(long, value_name = "POLICY", value_parser = parse_policy)]
    pub sandbox: Option<SandboxPolicy>,
    /// Commands that would ask a person: never run them, fail the run (ask-fails), or run them all
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ApproveCommands::Never)]
    pub approve_commands: ApproveCommands,
}

fn parse_policy(text: &str) -> Result<SandboxPolicy, String> {
    SandboxPolicy::parse(text).ok_or_else(|| {
        let names: Vec<&str> = SandboxPolicy::ALL.iter().map(|p| p.name()).collect();
        format!("`{text}` is not a sandbox policy; use one of {}", names.join(", "))
    })
}

impl CommandArgs {
    /// Stores `--sandbox` for the project; returns the command's number.
    pub fn apply(&self, client: &mut EngineClient, project: ProjectId) -> Option<u64> {
        self.sandbox.map(|policy| client.send(Command::SetSandboxPolicy { project, policy }))
    }

    /// Answers a waiting command; returns why the run must fail, under `ask-fails`.
    pub fn answer(&self, client: &mut EngineClient, approval: &CommandApproval) -> Option<String> {
        let decision = match self.approve_commands {
            ApproveCommands::All => CommandDecision::AllowOnce,
            ApproveCommands::Never | ApproveCommands::AskFails => CommandDecision::Deny,
        };
        client.send(Command::DecideCommand { approval: approval.id, decision });
        let verb = if decision == CommandDecision::Deny { "denied" } else { "allowed" };
        println!("  command {verb}: `{}` ({})", approval.command, approval.reason);
        (self.approve_commands == ApproveCommands::AskFails).then(|| {
            format!(
                "`{}` needs your approval ({}). Run it in the desktop, allow it with --approve-commands all, \
                 or choose another --sandbox",
                approval.command, approval.reason
            )
        })
    }
}
