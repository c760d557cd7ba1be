//! `aura validate`: detect a workspace's checks, run them, and print each outcome class; exit 0
//! only when every check passed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::Check;
use crate::domain::OutcomeClass;
use crate::store::Table;
use crate::tools::Workspace;
use crate::tools::policy::CommandPolicy;
use crate::validate::{Plan, detect, run_plan};

#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
    /// Seconds each check may run
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

pub fn validate(args: ValidateArgs, data_dir: &Path) -> anyhow::Result<()> {
    let workspace = Workspace::open(&args.workspace)
        .map_err(|e| anyhow::anyhow!("cannot use {} as the workspace: {e}", args.workspace.display()))?;
    // The project's own checks from Settings replace the detected ones.
    let (overrides, sandbox): (Vec<Check>, _) = match super::tasks::stored_project(data_dir, workspace.root())? {
        Some((store, project)) => (
            store.get_value(Table::Settings, &detect::overrides_key(project.id))?.unwrap_or_default(),
            crate::engine::commands::check_sandbox(&store, project.id),
        ),
        // No store to keep scratch folders in: a private temp folder (never a new data dir).
        None => (
            Vec::new(),
            crate::tools::sandbox::Sandbox {
                policy: crate::domain::SandboxPolicy::WorkspaceWrite,
                scratch: std::env::temp_dir().join(format!("aura-sandbox-{}", std::process::id())),
                home: None,
            },
        ),
    };
    let checks = detect::checks_for(workspace.root(), &overrides);
    if checks.is_empty() {
        if args.json {
            println!("[]");
        }
        anyhow::bail!(
            "no checks found in {}: no Cargo.toml, package.json, pytest setup, go.mod, Makefile targets, Definition of Done commands or checks set in Settings. Nothing was verified",
            workspace.root().display()
        );
    }
    let plan = Plan {
        workspace: &workspace,
        checks,
        timeout: Duration::from_secs(args.timeout),
        policy: CommandPolicy::default(),
        sandbox: Some(sandbox),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Headless: nobody can approve a command outside the policy, so it is blocked.
    let results = runtime.block_on(run_plan(&plan, |_, _| async { false }, None));
    if let Some(sandbox) = &plan.sandbox
        && sandbox.scratch.starts_with(std::env::temp_dir())
    {
        let _ = std::fs::remove_dir_all(&sandbox.scratch);
    }
    let results = results?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            let counts = match (r.run.passed, r.run.failed) {
                (Some(p), Some(f)) => format!(" · {p} passed, {f} failed"),
                (Some(p), None) => format!(" · {p} passed"),
                (None, Some(f)) => format!(" · {f} failed"),
                (None, None) => String::new(),
            };
            let mark = if r.run.outcome == OutcomeClass::Passed { "ok  " } else { "FAIL" };
            println!(
                "{mark} {:<22} {}{counts} · {:.1} s · from {}",
                format!("{:?}", r.run.outcome),
                r.run.command,
                r.run.duration_ms as f64 / 1000.0,
                r.check.source
            );
            if r.run.outcome != OutcomeClass::Passed {
                if !r.run.failing_tests.is_empty() {
                    println!("     failing: {}", r.run.failing_tests.join(", "));
                }
                println!("     next: {}", r.next_action);
            }
        }
    }
    let failed = results.iter().filter(|r| r.run.outcome != OutcomeClass::Passed).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks did not pass", results.len());
    }
    Ok(())
}
