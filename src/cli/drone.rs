//! `aura drone list`: the Drones a workspace has (built-in and its own manifests), and every
//! manifest that could not be read, with file, line and reason.

use serde::Serialize;

use crate::domain::{DroneSource, ToolPolicy, Trigger};
use crate::engine::drones::{ManifestError, registry};

use super::tasks::ListArgs;

#[derive(Debug, clap::Subcommand)]
pub enum DroneCommand {
    /// List the built-in and the workspace's Drones, and any manifest errors (exit 0 even with errors)
    List(ListArgs),
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

pub fn drone(command: DroneCommand) -> anyhow::Result<()> {
    let DroneCommand::List(args) = command;
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
