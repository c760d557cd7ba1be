//! The command line: `aura` (the desktop window), `aura doctor`, and the headless commands later
//! issues add. Parsing lives here; `main.rs` only dispatches.

mod apply_patch;
mod approvals;
mod chat;
mod companion;
mod doctor;
mod drone;
mod emulator;
mod mcp;
mod run;
mod tasks;
mod validate;
mod values;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use apply_patch::{ApplyPatchArgs, apply_patch};
pub use approvals::{ApproveCommands, CommandArgs};
pub use chat::{ChatArgs, chat};
pub use companion::{CompanionArgs, companion};
pub use doctor::doctor;
pub use drone::{DroneCommand, drone};
pub use emulator::{EmulatorArgs, emulator};
pub use mcp::{McpCommand, mcp};
pub use run::{RunArgs, run};
pub use tasks::{ListArgs, list_specs, list_tasks};
pub use validate::{ValidateArgs, validate};

/// Which model to talk to: the wire format, where, and the model's name.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// The wire format: anthropic, openai (any OpenAI-compatible server) or ollama
    #[arg(long, value_enum)]
    pub provider: crate::llm::ProviderKind,
    /// The API's base URL, as its SDK writes it (default: the provider's own;
    /// http://127.0.0.1:8080/v1 for llama.cpp, http://127.0.0.1:11434 for Ollama)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[arg(long)]
    pub model: String,
}

/// The model for a project's Planner and Worker, for headless commands that may leave the one
/// chosen before in place.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectModelArgs {
    /// The wire format for the project's model (default: the model chosen before)
    #[arg(long, value_enum, requires = "model")]
    pub provider: Option<crate::llm::ProviderKind>,
    /// The API's base URL
    #[arg(long, value_name = "URL", requires = "provider")]
    pub base_url: Option<String>,
    /// The project's model, for its Planner and Worker (and Drones without a model of their own)
    #[arg(long, requires = "provider")]
    pub model: Option<String>,
    /// The model's context window in tokens, when the catalog does not know it
    #[arg(long)]
    pub context_window: Option<u64>,
}

impl ProjectModelArgs {
    /// The model named on the command line, if one was.
    pub fn choice(&self) -> Option<crate::protocol::ModelChoice> {
        Some(crate::protocol::ModelChoice {
            provider: self.provider?,
            base_url: self.base_url.clone(),
            model: self.model.clone()?,
            context_window: self.context_window,
        })
    }
}

/// A native desktop AI coding orchestration IDE.
///
/// With no command, opens the desktop window.
#[derive(Debug, Parser)]
#[command(name = "aura", version, about, long_about)]
pub struct Args {
    /// Where Aura keeps its store [env: AURA_DATA_DIR; default: $XDG_DATA_HOME/aura]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Open this folder as a project when the window starts
    #[arg(long, value_name = "DIR")]
    pub open: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Check the data dir, the store and its schema, and which model providers are configured or
    /// reachable on this machine
    Doctor,
    /// Send one message to a model and stream the reply, then print the usage and cost
    Chat(ChatArgs),
    /// Apply a patch in the `*** Begin Patch` envelope to the current directory, all or nothing
    ApplyPatch(ApplyPatchArgs),
    /// Detect the workspace's build, test, lint and format checks, run them, and report each outcome
    Validate(ValidateArgs),
    /// Run the whole pipeline headless: specs from requirements.md if there are none, tasks, and
    /// the dev loop in autopilot until every task is done (exit 0) or the loop is blocked (exit 3)
    Run(RunArgs),
    /// Show the workspace's specs and how many of their tasks are done
    Specs(ListArgs),
    /// Show the workspace's tasks with status, dependencies and attempts
    Tasks(ListArgs),
    /// Run the provider emulator (Anthropic, OpenAI-compatible and Ollama wire formats) on loopback
    Emulator(EmulatorArgs),
    /// Focused workers: list the workspace's Drones (and manifest errors), or run one on a goal
    #[command(subcommand)]
    Drone(DroneCommand),
    /// Serve the phone page for a workspace without a window: prints the address, a pairing code
    /// and its QR code (Enter makes a new one), and runs until Ctrl+C
    Companion(CompanionArgs),
    /// The workspace's MCP servers (.mcp.json and Settings): list them with their tools, or call one tool
    #[command(subcommand)]
    Mcp(McpCommand),
}
