//! `aura drone list`: the Drones a workspace has (built-in and its own manifests), and every
//! manifest that could not be read, with file, line and reason.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use crate::domain::{DroneSource, Isolation, ToolPolicy, Trigger, Verdict};
use crate::engine::drones::{ManifestError, registry};
use crate::protocol::{ChangeSetDecision, Command, Event};

use super::tasks::ListArgs;

#[derive(Debug, clap::Subcommand)]
pub enum DroneCommand {
    /// List the built-in and the workspace's Drones, and any manifest errors (exit 0 even with errors)
    List(ListArgs),
    /// Run one Drone on a goal, stream its work and print its receipt (exit 0 when verified, or
    /// when a read-only Drone finished)
    Run(RunDroneArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunDroneArgs {
    /// The Drone's name (`aura drone list` shows them)
    pub name: String,
    /// What it should do
    pub goal: String,
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    #[command(flatten)]
    pub model: super::ProjectModelArgs,
    /// Merge a writing Drone's changes without asking (else the project's approval policy decides,
    /// and what waits stays in Review for the desktop)
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub commands: super::CommandArgs,
}

#[derive(Serialize)]
struct Listing<'a> {
    drones: &'a [registry::LoadedDrone],
    errors: Vec<String>,
}

fn policy(p: ToolPolicy) -> &'static str {
    match p {
        ToolPolicy::ReadOnly => "read_only",
        ToolPolicy::AskBeforeWrites => "ask_before_writes",
        ToolPolicy::NormalReview => "normal_review",
    }
}

fn triggers(t: &[Trigger]) -> String {
    let names: Vec<&str> = t
        .iter()
        .map(|t| match t {
            Trigger::AfterTaskFinished => "after_task_finished",
            Trigger::AfterChangeSetApplied => "after_change_set_applied",
        })
        .collect();
    if names.is_empty() { "on demand".into() } else { names.join(",") }
}

pub fn drone(command: DroneCommand, data_dir: &Path) -> ExitCode {
    let result = match command {
        DroneCommand::List(args) => list(args).map(|()| ExitCode::SUCCESS),
        DroneCommand::Run(args) => run(args, data_dir),
    };
    result.unwrap_or_else(|e| {
        eprintln!("aura: {e:#}");
        ExitCode::FAILURE
    })
}

fn list(args: ListArgs) -> anyhow::Result<()> {
    let (drones, errors) = registry::load(&args.workspace).map_err(|e| {
        anyhow::anyhow!(
            "the Drones of {} could not be read ({e}); check the folder's permissions",
            args.workspace.display()
        )
    })?;
    if args.json {
        let errors = errors.iter().map(ManifestError::to_string).collect();
        println!("{}", serde_json::to_string_pretty(&Listing { drones: &drones, errors })?);
        return Ok(());
    }
    for drone in &drones {
        let m = &drone.manifest;
        let source = match &drone.source {
            DroneSource::BuiltIn => "built-in".to_string(),
            DroneSource::Workspace { path } => path.clone(),
        };
        let model = m.model.as_deref().unwrap_or("the project's Worker model");
        println!("{:<14} {:<28} {:<18} {:<22} {model}", m.name, source, policy(m.tool_policy), triggers(&m.triggers));
    }
    for error in &errors {
        println!("error: {error}");
    }
    Ok(())
}

/// Runs the Drone through the engine, like the desktop would, and waits until it is over: its
/// receipt printed and, for a writer whose change was merged or discarded, its worktree removed.
fn run(args: RunDroneArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let (_runtime, mut client, snapshot) = super::run::open_workspace(data_dir, &args.workspace)?;
    let project = snapshot.project.id;
    let mut ours: Vec<u64> = args.commands.apply(&mut client, project).into_iter().collect();
    if let Some(choice) = args.model.choice() {
        ours.push(client.send(Command::SetModels { project, planner: choice.clone(), worker: choice }));
    }
    ours.push(client.send(Command::RunDrone { project, drone: args.name.clone(), goal: args.goal.clone() }));
    let run = super::run::wait_for(&client, &ours, |e| match e {
        Event::DroneRunStarted { run } if run.trigger.is_none() => Some(run.clone()),
        _ => None,
    })
    .map_err(|e| anyhow::anyhow!("{e}; pass --provider and --model if no model was chosen for this project"))?;
    let read_only = run.isolation == Isolation::Shared;
    let in_worktree = matches!(run.isolation, Isolation::Worktree { .. });
    println!("{} Drone started: {}", run.drone, run.goal);
    let (mut merging, mut removed, mut receipt) = (false, false, None);
    loop {
        let Some(envelope) = client.recv_timeout(Duration::from_secs(3600)) else {
            anyhow::bail!("the engine stopped answering");
        };
        match envelope.body {
            Event::TextDelta { session, text } if session == run.session => print!("{text}"),
            Event::ToolCallStarted { session, call } if session == run.session => {
                println!("\n  → {} {}", call.name, call.arguments);
            }
            Event::ToolCallFinished { session, summary, is_error, .. } if session == run.session => {
                println!("  {} {summary}", if is_error { "✗" } else { "✓" });
            }
            Event::ChangeSetProposed { changeset } if changeset.session == Some(run.session) => {
                let files: Vec<&str> = changeset.files.iter().map(|f| f.path.as_str()).collect();
                if args.apply {
                    println!("\nmerging {}", files.join(", "));
                    let decision = ChangeSetDecision::AcceptAll;
                    client.send(Command::DecideChangeSet { changeset: changeset.id, decision, comment: None });
                    merging = true;
                } else if in_worktree {
                    println!("\nwaiting in Review: {} (merge or discard it in the desktop)", files.join(", "));
                } else {
                    // Outside git the Drone waits on each edit; without a person it cannot go on.
                    eprintln!(
                        "\n{} waits in Review and the run cannot go on without a decision: run with --apply, or use the desktop",
                        files.join(", ")
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
            Event::ChangeSetDecided { changeset, applied } if changeset.session == Some(run.session) => {
                println!("{:?}: {}", changeset.status, applied.join(", "));
            }
            Event::DroneRunFinished { run: finished } if finished.id == run.id => {
                receipt = finished.receipt;
                if let Some(receipt) = &receipt {
                    println!("\n{}", receipt.render_text());
                }
            }
            Event::DroneWorktreeRemoved { run: gone } if gone == run.id => removed = true,
            Event::CommandApprovalRequested { approval } if approval.session == run.session => {
                if let Some(why) = args.commands.answer(&mut client, &approval) {
                    client.send(Command::StopDrone { run: run.id });
                    eprintln!("blocked: {why}");
                }
            }
            Event::Error { message, .. } => eprintln!("error: {message}"),
            _ => {}
        }
        // Over once the receipt is in, and a merge asked for here has taken its worktree down.
        if receipt.is_some() && (!(merging && in_worktree) || removed) {
            break;
        }
    }
    let receipt = receipt.ok_or_else(|| anyhow::anyhow!("the run ended without its receipt"))?;
    let ok = receipt.verdict == Verdict::Verified || (read_only && receipt.verdict == Verdict::Unverified);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
