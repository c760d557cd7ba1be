//! `aura run`: the whole pipeline without a window (specs if missing, tasks, the dev loop in
//! autopilot), one line per event, over the same protocol the desktop uses. Exit 0 when every task
//! is done, 3 when the loop is blocked (with the reason and what to do), 1 on an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::domain::{TaskId, TaskStatus, Usage, thousands};
use crate::engine::{self, EngineClient};
use crate::protocol::{Command, Event, LoopControl, LoopSettings, LoopState, ModelChoice, Surface};

use super::ModelArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    // Both roles use this model unless --planner-model or --worker-model says otherwise.
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long)]
    pub planner_model: Option<String>,
    #[arg(long)]
    pub worker_model: Option<String>,
    /// Attempts a task gets before it stays failed
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// The model's context window in tokens, when the catalog does not know it (local servers)
    #[arg(long)]
    pub context_window: Option<u64>,
    /// Rotate a session past this share of the window, from 0 to 1 (0 turns rotation off)
    #[arg(long, default_value_t = 0.80, value_parser = super::values::share)]
    pub rotation_threshold: f64,
    /// Do not commit verified tasks' changes (in a git workspace each is committed by default)
    #[arg(long)]
    pub no_commit: bool,
    #[command(flatten)]
    pub commands: super::CommandArgs,
}

fn clock() -> String {
    let secs = crate::domain::now_millis() / 1000 % 86_400;
    format!("[{:02}:{:02}:{:02}]", secs / 3600, secs / 60 % 60, secs % 60)
}

fn usage_line(usage: &Usage) -> String {
    let cost = usage.cost_usd.map(|c| format!("${c:.3}")).unwrap_or_else(|| "cost unknown".into());
    format!(
        "in {} cached {} out {}  {cost}",
        thousands(usage.input_tokens + usage.cache_write_tokens),
        thousands(usage.cached_input_tokens),
        thousands(usage.output_tokens)
    )
}

/// Starts the engine on a runtime of its own and opens `workspace` as a project.
pub(super) fn open_workspace(
    data_dir: &Path,
    workspace: &Path,
) -> anyhow::Result<(tokio::runtime::Runtime, EngineClient, crate::protocol::ProjectSnapshot)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut client = connect(data_dir, &runtime)?;
    let open = client.send(Command::OpenProject { root: workspace.to_path_buf() });
    let snapshot = wait_for(&client, &[open], |e| match e {
        Event::ProjectOpened { snapshot } => Some(snapshot.as_ref().clone()),
        _ => None,
    })?;
    Ok((runtime, client, snapshot))
}

/// Opens the store and starts the engine, waiting for it (headless surfaces may block).
pub(super) fn connect(data_dir: &Path, runtime: &tokio::runtime::Runtime) -> anyhow::Result<EngineClient> {
    let mut client = engine::launch(runtime.handle(), data_dir.to_path_buf(), std::sync::Arc::new(|| {}))
        .recv()
        .map_err(|_| anyhow::anyhow!("the engine did not start"))??;
    client.send(Command::Hello { surface: Surface::Cli, client: format!("aura {}", env!("CARGO_PKG_VERSION")) });
    Ok(client)
}

/// Waits for the event `pick` accepts; an error about one of `ours` ends the wait with it.
pub(super) fn wait_for<T>(
    client: &EngineClient,
    ours: &[u64],
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> anyhow::Result<T> {
    loop {
        let Some(envelope) = client.recv_timeout(Duration::from_secs(3600)) else {
            anyhow::bail!("the engine stopped answering");
        };
        if let Event::Error { command: Some(seq), message } = &envelope.body
            && ours.contains(seq)
        {
            anyhow::bail!("{message}");
        }
        if let Some(found) = pick(&envelope.body) {
            return Ok(found);
        }
    }
}

pub fn run(args: RunArgs, data_dir: &Path) -> ExitCode {
    match drive(args, data_dir) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aura: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn drive(args: RunArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let (runtime, mut client, snapshot) = open_workspace(data_dir, &args.workspace)?;
    let project = snapshot.project.id;
    println!("{} workspace {}", clock(), snapshot.project.root.display());
    let choice = |model: &Option<String>| ModelChoice {
        provider: args.model.provider,
        base_url: args.model.base_url.clone(),
        model: model.clone().unwrap_or_else(|| args.model.model.clone()),
        context_window: args.context_window,
    };
    let settings = LoopSettings {
        autopilot: true,
        max_attempts: args.max_attempts.max(1),
        rotation_enabled: args.rotation_threshold > 0.0,
        rotation_threshold: args.rotation_threshold,
        commit_per_task: !args.no_commit,
        ..LoopSettings::default()
    };
    let sandbox = args.commands.apply(&mut client, project);
    let setup = [
        sandbox.unwrap_or(0),
        client.send(Command::SetModels {
            project,
            planner: choice(&args.planner_model),
            worker: choice(&args.worker_model),
        }),
        client.send(Command::SetLoopSettings { project, settings }),
        client.send(Command::Loop { project, control: LoopControl::Start }),
    ];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let stop = stop.clone();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
    let mut keys: HashMap<TaskId, String> = snapshot.tasks.iter().map(|t| (t.id, t.key.clone())).collect();
    let mut total = Usage::default();
    let mut stop_sent = false;
    let mut refused: Option<String> = None;
    loop {
        if stop.load(std::sync::atomic::Ordering::SeqCst) && !stop_sent {
            println!("{} stopping at the next safe point…", clock());
            client.send(Command::Loop { project, control: LoopControl::Stop });
            stop_sent = true;
        }
        let Some(envelope) = client.recv_timeout(Duration::from_millis(200)) else { continue };
        match envelope.body {
            Event::Error { command, message } => {
                if command.is_some_and(|c| setup.contains(&c)) {
                    anyhow::bail!("{message}");
                }
                println!("{} error: {message}", clock());
            }
            Event::SpecsChanged { specs, tasks, .. } => {
                keys = tasks.iter().map(|t| (t.id, t.key.clone())).collect();
                let done = tasks.iter().filter(|t| t.status == TaskStatus::Done).count();
                println!("{} specs {}  tasks {} ({done} done)", clock(), specs.len(), tasks.len());
            }
            Event::TaskListInvalid { problems, .. } => {
                println!("{} the task list is invalid:", clock());
                for p in problems {
                    println!("    {p}");
                }
            }
            Event::TaskChanged { task, to, reason, .. } => {
                let key = keys.get(&task).cloned().unwrap_or_else(|| task.to_string());
                match (to, reason) {
                    (TaskStatus::InProgress, _) => println!("{} {key} started", clock()),
                    (TaskStatus::Ready, _) | (TaskStatus::Done, _) => {}
                    (to, Some(reason)) => println!("{} {key} {to}  {reason}", clock()),
                    (to, None) => println!("{} {key} {to}", clock()),
                }
            }
            Event::CommandApprovalRequested { approval } if approval.project == project => {
                if let Some(why) = args.commands.answer(&mut client, &approval) {
                    client.send(Command::Loop { project, control: LoopControl::Stop });
                    refused.get_or_insert(why);
                }
            }
            Event::WorkOrderProposed { work_order } => println!("{}   plan: {}", clock(), work_order.goal),
            Event::ChangeSetDecided { changeset, applied } if !applied.is_empty() => {
                println!("{}   applied {}: {}", clock(), changeset.title, applied.join(", "));
            }
            Event::ReceiptIssued { receipt } => {
                total += receipt.usage;
                let key = match receipt.subject {
                    crate::domain::ReceiptSubject::Task { task } => keys.get(&task).cloned().unwrap_or_default(),
                    _ => String::new(),
                };
                let verdict = format!("{:?}", receipt.verdict).to_lowercase();
                println!("{} {key} {verdict}  {}  {}", clock(), receipt.summary, usage_line(&receipt.usage));
                if let Some(commit) = &receipt.commit {
                    println!("{}   {}", clock(), commit.line());
                }
            }
            Event::ContextUse { used, window, .. } => {
                println!(
                    "{}   context {} of {} tokens ({:.0}%)",
                    clock(),
                    thousands(used),
                    thousands(window),
                    used as f64 * 100.0 / window as f64
                )
            }
            Event::SessionRotated { to, .. } => println!("{}   context rotated (session {})", clock(), to.rotation),
            Event::Compacted { tier, .. } => println!("{}   old tool results shortened (tier {tier})", clock()),
            Event::LoopChanged { project: p, state, reason, .. } if p == project => match state {
                LoopState::Finished => {
                    println!("{} all tasks done  {}", clock(), usage_line(&total));
                    return Ok(ExitCode::SUCCESS);
                }
                LoopState::Blocked => {
                    println!("{} blocked: {}", clock(), reason.unwrap_or_default());
                    println!("Fix what it says, then run `aura run` again (done tasks are not redone).");
                    return Ok(ExitCode::from(3));
                }
                LoopState::Stopped if refused.is_some() => {
                    println!("{} blocked: {}", clock(), refused.take().unwrap_or_default());
                    return Ok(ExitCode::from(3));
                }
                LoopState::Stopped => {
                    println!("{} stopped; `aura run` resumes where it left off", clock());
                    return Ok(ExitCode::from(130));
                }
                _ => {}
            },
            _ => {}
        }
    }
}
