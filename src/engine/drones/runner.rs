//! Drone runs: a Drone's goal on the turn loop with its own session, model, tool policy and
//! budget. Where it may write decides where it works: a read-only Drone in the main workspace; a
//! writer in a git repository in its own worktree, whose whole result comes back as one ChangeSet
//! in Review (the worktree is removed once that is merged or discarded); a writer outside git on
//! the project's write lane, one at a time, each edit through Review. Every run ends with a receipt.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use crate::domain::{
    ChangeSet, DroneId, DroneManifest, DroneRun, Isolation, Message, ProjectId, Receipt, ReceiptSubject, Record,
    Role as MessageRole, Session, SessionId, SessionKind, Spec, Task, TaskId, TaskStatus, ToolPolicy, Trigger, Verdict,
    now_millis,
};
use crate::protocol::{Event, LoopSettings};
use crate::store::Table;
use crate::tools::Workspace;
use crate::validate::baseline::{self, Baseline, Comparison};
use crate::validate::receipt::{self as receipts, Work};

use super::super::commands::check_setup;
use super::super::control::loop_key;
use super::super::host::{AgentHost, AgentHostParts, Hold};
use super::super::prompt::{ProjectContext, Role};
use super::super::shared_review::{Proposal, SharedReview, Waiting};
use super::super::tasks::TaskBook;
use super::super::turn::{Agent, Conversation, Stop, StopSwitch, TurnBudget, TurnOutcome, run_turn, stop_pair};
use super::super::{Engine, Journal, memory};
use super::commit::commit_run;
use super::registry;
use super::worktree::{self, Worktree};

/// What the engine hears from its own tasks about Drones.
pub enum Internal {
    /// A run ended: a trigger queued for its Drone meanwhile can start now.
    RunEnded { project: ProjectId, drone: String },
    /// A task was finished (Drones triggered `after_task_finished`).
    TaskDone { task: TaskId },
    /// Some of a ChangeSet was applied (Drones triggered `after_change_set_applied`): whose it
    /// was, what for, and the files written (not its contents, which can be large).
    Applied { session: Option<SessionId>, title: String, files: Vec<String> },
}

struct LiveRun {
    project: ProjectId,
    drone: String,
    stop: StopSwitch,
}

/// The runs going on now, and the triggers waiting for a Drone that was busy (at most one each).
#[derive(Clone, Default)]
pub struct DroneRuns(Arc<Mutex<RunsInner>>);

#[derive(Default)]
struct RunsInner {
    live: HashMap<DroneId, LiveRun>,
    queued: HashMap<(ProjectId, String), (Trigger, String)>,
}

impl DroneRuns {
    fn lock(&self) -> std::sync::MutexGuard<'_, RunsInner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn busy(&self, project: ProjectId, drone: &str) -> bool {
        self.lock().live.values().any(|r| r.project == project && r.drone == drone)
    }

    fn end(&self, run: DroneId) {
        self.lock().live.remove(&run);
    }
}

/// The folder that holds the worktrees of a project's writing Drones.
pub fn worktrees_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("worktrees")
}

impl Engine {
    /// Summons `name` with `goal` (by a person when `trigger` is `None`).
    pub(in crate::engine) async fn run_drone(
        &mut self,
        project: ProjectId,
        name: &str,
        goal: String,
        trigger: Option<Trigger>,
    ) -> Result<DroneRun, String> {
        let project = self.project(project)?;
        let (drones, _) = registry::load(&project.root)
            .map_err(|e| format!("the Drones of {} could not be read ({e})", project.root.display()))?;
        let Some(manifest) = drones.iter().find(|d| d.manifest.name == name).map(|d| d.manifest.clone()) else {
            let names: Vec<&str> = drones.iter().map(|d| d.manifest.name.as_str()).collect();
            return Err(format!("there is no Drone named \"{name}\"; this project has: {}", names.join(", ")));
        };
        let config = self.loop_config(project.id)?;
        let agent = self.drone_agent(&config, manifest.model.as_deref());
        let review = self.review_of(&project)?;
        let id = DroneId::new();
        let isolation = if manifest.tool_policy == ToolPolicy::ReadOnly {
            Isolation::Shared
        } else if worktree::repo_of(&project.root).is_some() {
            let path = worktrees_dir(&self.data_dir).join(project.id.to_string()).join(id.to_string());
            Isolation::Worktree { path: path.display().to_string(), branch: worktree::branch(name, &id.to_string()) }
        } else {
            Isolation::WriteLane
        };
        let lane = (isolation == Isolation::WriteLane)
            .then(|| self.lanes.entry(project.id).or_insert_with(|| Arc::new(Semaphore::new(1))).clone());
        let session = Session::new(Some(project.id), SessionKind::Drone { drone: id }, format!("{name}: {goal}"));
        self.journal.put_session(session.clone()).await;
        let run = DroneRun {
            id,
            project: project.id,
            drone: manifest.name.clone(),
            goal,
            session: session.id,
            isolation,
            trigger,
            started_at: now_millis(),
            receipt: None,
        };
        self.store.put(run.clone()).await.map_err(|e| format!("the run could not be stored: {e}"))?;
        self.emit(Event::DroneRunStarted { run: run.clone() });
        let (switch, stop) = stop_pair();
        self.drone_runs.lock().live.insert(id, LiveRun { project: project.id, drone: run.drone.clone(), stop: switch });
        let mut context = memory::project_context(self.store.reader(), project.id, &project.root);
        context.instructions = Some(format!("{}: {}", manifest.role, manifest.instructions.trim()));
        let job = Job {
            run: run.clone(),
            session,
            manifest,
            agent,
            context,
            root: project.root.clone(),
            journal: self.journal.clone(),
            review,
            lane,
            stop,
            check_timeout: Duration::from_secs(config.settings.check_timeout_secs),
            approvals: config.approvals.clone(),
            mcp: config.mcp.clone(),
        };
        let (runs, internal) = (self.drone_runs.clone(), self.internal.clone());
        tokio::spawn(async move {
            let (project, drone, id) = (job.run.project, job.run.drone.clone(), job.run.id);
            job.go().await;
            runs.end(id);
            let _ = internal.send(Internal::RunEnded { project, drone });
        });
        Ok(run)
    }

    /// At start no run is live: worktrees left by a killed Aura are removed, and runs that never
    /// ended get a receipt saying so.
    pub(in crate::engine) async fn recover_drone_runs(&mut self) {
        let root = worktrees_dir(&self.data_dir);
        let removed = tokio::task::spawn_blocking(move || worktree::clean_stale(&root, &|_| false)).await;
        for path in removed.unwrap_or_default() {
            tracing::info!("removed the stale Drone worktree {}", path.display());
        }
        let runs = match self.store.reader().list::<DroneRun>() {
            Ok(runs) => runs,
            Err(e) => return self.emit(Event::StoreWarning { message: format!("Drone runs could not be read: {e}") }),
        };
        self.warn_skipped(runs.skipped);
        for mut run in runs.items.into_iter().filter(|r| r.receipt.is_none()) {
            let receipt = failed_receipt(&run, "Aura stopped before the run ended; summon the Drone again".into());
            self.journal.record_project(run.project, Record::Receipt(receipt.clone())).await;
            run.receipt = Some(receipt);
            if let Err(e) = self.store.put(run).await {
                self.emit(Event::StoreWarning { message: format!("a Drone run could not be closed: {e}") });
            }
        }
    }

    pub(in crate::engine) fn stop_drone(&mut self, command: u64, run: DroneId) {
        let pressed = self.drone_runs.lock().live.get(&run).map(|live| live.stop.press()).is_some();
        if !pressed {
            self.fail(command, format!("no Drone run {run} is running"));
        }
    }

    /// Runs the Drones `trigger` starts; one busy with an earlier run gets it once it is done.
    async fn on_trigger(&mut self, project: ProjectId, trigger: Trigger, goal: String) {
        let settings = self.store.reader().get_value::<LoopSettings>(Table::Settings, &loop_key(project));
        if !settings.ok().flatten().is_some_and(|s| s.drone_triggers) {
            return;
        }
        let Ok(root) = self.project(project).map(|p| p.root) else { return };
        let Ok((drones, _)) = registry::load(&root) else { return };
        for drone in drones.into_iter().filter(|d| d.manifest.triggers.contains(&trigger)) {
            let name = drone.manifest.name;
            if self.drone_runs.busy(project, &name) {
                self.drone_runs.lock().queued.insert((project, name), (trigger, goal.clone()));
            } else if let Err(message) = self.run_drone(project, &name, goal.clone(), Some(trigger)).await {
                self.emit(Event::Error {
                    command: None,
                    message: format!("the {name} Drone did not start: {message}"),
                });
            }
        }
    }

    /// The project of a finished task, and the goal its Drones get: the task and what it changed.
    fn task_done_goal(&self, id: TaskId) -> Option<(ProjectId, String)> {
        let reader = self.store.reader();
        let task = reader.get::<Task>(id.to_bytes()).ok()??;
        let project = reader.get::<Spec>(task.spec.to_bytes()).ok()??.project;
        let files =
            TaskBook::new(&self.journal, project).receipts(id).pop().map(|r| r.files_changed).unwrap_or_default();
        Some((project, format!("Task {} \"{}\" is done. {}", task.key, task.title, changed(&files))))
    }

    /// The project of an applied ChangeSet and the goal its Drones get; none for a Drone's own
    /// result (a Drone never triggers Drones) or a change the user made by hand.
    fn applied_goal(&self, session: Option<SessionId>, title: &str, files: &[String]) -> Option<(ProjectId, String)> {
        let session = self.store.reader().get::<Session>(session?.to_bytes()).ok()??;
        if matches!(session.kind, SessionKind::Drone { .. }) {
            return None;
        }
        Some((session.project?, format!("The change \"{title}\" was applied. {}", changed(files))))
    }

    pub(in crate::engine) async fn on_internal(&mut self, internal: Internal) {
        match internal {
            Internal::TaskDone { task } => {
                if let Some((project, goal)) = self.task_done_goal(task) {
                    self.on_trigger(project, Trigger::AfterTaskFinished, goal).await;
                }
            }
            Internal::Applied { session, title, files } => {
                if let Some((project, goal)) = self.applied_goal(session, &title, &files) {
                    self.on_trigger(project, Trigger::AfterChangeSetApplied, goal).await;
                }
            }
            Internal::RunEnded { project, drone } => {
                let queued = self.drone_runs.lock().queued.remove(&(project, drone.clone()));
                if let Some((trigger, goal)) = queued
                    && let Err(message) = self.run_drone(project, &drone, goal, Some(trigger)).await
                {
                    self.emit(Event::Error {
                        command: None,
                        message: format!("the {drone} Drone did not start: {message}"),
                    });
                }
            }
        }
    }
}

/// One run, owned by its task.
struct Job {
    run: DroneRun,
    session: Session,
    manifest: DroneManifest,
    agent: Agent,
    context: ProjectContext,
    root: PathBuf,
    journal: Journal,
    review: SharedReview,
    lane: Option<Arc<Semaphore>>,
    stop: Stop,
    check_timeout: Duration,
    approvals: super::super::commands::Approvals,
    mcp: crate::mcp::McpHub,
}

/// What a run produced besides its conversation.
struct Outcome {
    comparison: Comparison,
    results: Vec<crate::validate::runner::CheckResult>,
    changesets: Vec<ChangeSet>,
    usage: crate::domain::Usage,
    /// A worktree result in Review: the worktree stays until it is merged or discarded.
    waiting: Option<(Worktree, Waiting)>,
}

impl Job {
    async fn go(mut self) {
        let (mut receipt, waiting, changesets) = match self.work().await {
            Ok(outcome) => {
                let mut receipt = receipts::receipt(Work {
                    subject: ReceiptSubject::DroneRun { drone: self.run.id, session: self.session.id },
                    asked: &self.run.goal,
                    changesets: &outcome.changesets,
                    results: &outcome.results,
                    comparison: &outcome.comparison,
                    usage: outcome.usage,
                });
                // A worktree's result waits in Review: its files are what the Drone changed.
                if let Some((_, waiting)) = &outcome.waiting {
                    receipt.files_changed = waiting.changeset.files.iter().map(|f| f.path.clone()).collect();
                }
                (receipt, outcome.waiting, outcome.changesets)
            }
            Err(why) => (failed_receipt(&self.run, why), None, Vec::new()),
        };
        if waiting.is_none() {
            receipt.commit = commit_run(&self.journal, &self.root, &self.run, &receipt, &changesets).await;
        }
        self.finish(receipt.clone()).await;
        if let Some((tree, waiting)) = waiting {
            // Merged or discarded, the worktree has done its work. Dropped (the engine stopped),
            // it is removed at the next start.
            let decided = waiting.decided().await;
            let merged = decided.map(|d| vec![d.changeset]).unwrap_or_default();
            // Merged: committed, and the receipt issued again with the commit on it, before the
            // worktree goes (a headless `--apply` ends when it is gone).
            if let Some(commit) = commit_run(&self.journal, &self.root, &self.run, &receipt, &merged).await {
                self.finish(Receipt { commit: Some(commit), ..receipt }).await;
            }
            remove(tree, self.run.id, &self.journal).await;
        }
    }

    /// Issues the run's receipt, stores the run with it and says it finished.
    async fn finish(&mut self, receipt: Receipt) {
        self.journal.record_project(self.run.project, Record::Receipt(receipt.clone())).await;
        self.journal.emit(Event::ReceiptIssued { receipt: receipt.clone() });
        self.run.receipt = Some(receipt);
        if let Err(e) = self.journal.store.put(self.run.clone()).await {
            self.journal
                .emit(Event::Error { command: None, message: format!("the Drone run could not be stored: {e}") });
        }
        self.journal.emit(Event::DroneRunFinished { run: self.run.clone() });
    }

    async fn work(&mut self) -> Result<Outcome, String> {
        let writes = self.manifest.tool_policy != ToolPolicy::ReadOnly;
        // Held for the whole run: writers outside git take turns.
        let _permit = match &self.lane {
            Some(lane) => tokio::select! {
                permit = lane.clone().acquire_owned() => Some(permit.map_err(|e| e.to_string())?),
                _ = self.stop.wait() => return Err("stopped by the user while waiting for the write lane".into()),
            },
            None => None,
        };
        let tree = match &self.run.isolation {
            Isolation::Worktree { path, .. } => {
                let (root, path, name, run) =
                    (self.root.clone(), PathBuf::from(path), self.run.drone.clone(), self.run.id.to_string());
                let created = tokio::task::spawn_blocking(move || {
                    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
                    worktree::create(&root, &dir, &run, &name)
                })
                .await
                .map_err(|e| e.to_string())?;
                Some(created.map_err(|e| e.to_string())?)
            }
            _ => None,
        };
        let result = self.turn(writes, tree.as_ref()).await;
        let Some(tree) = tree else { return result };
        let proposed = match result {
            Ok(outcome) => self.propose(&tree).await.map(|changeset| (outcome, changeset)),
            Err(why) => Err(why),
        };
        match proposed {
            // Waiting in Review: the worktree stays until the change is merged or discarded.
            Ok((mut outcome, Some(Proposal::Waiting(waiting)))) => {
                outcome.changesets.push(waiting.changeset.clone());
                outcome.waiting = Some((tree, waiting));
                Ok(outcome)
            }
            Ok((mut outcome, decided)) => {
                if let Some(Proposal::Decided(decided)) = decided {
                    outcome.changesets.push(decided.changeset);
                }
                remove(tree, self.run.id, &self.journal).await;
                Ok(outcome)
            }
            Err(why) => {
                remove(tree, self.run.id, &self.journal).await;
                Err(why)
            }
        }
    }

    /// The Drone's turn, validated before and after when it writes.
    async fn turn(&mut self, writes: bool, tree: Option<&Worktree>) -> Result<Outcome, String> {
        let root = tree.map(Worktree::workspace_root).unwrap_or_else(|| self.root.clone());
        let workspace = Workspace::open(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let setup = check_setup(self.journal.store.reader(), self.run.project, self.check_timeout);
        let checks = if writes { setup.project_checks(&self.root) } else { Vec::new() };
        let baseline = Baseline::record(&setup.run(&workspace, &checks).await);
        let role = Role::Drone { writes };
        let mut conversation = Conversation::new(self.session.clone(), role, std::mem::take(&mut self.context));
        let goal = self.run.goal.clone();
        let session = self.session.id;
        self.journal.record(session, Record::Message(Message::text(session, MessageRole::User, goal.clone()))).await;
        conversation.push_user(goal);
        let mut host = AgentHost {
            mcp: super::super::mcp_tools::McpAccess::for_agent(
                &self.mcp,
                self.journal.store.reader(),
                self.run.project,
                !writes,
                self.manifest.mcp_servers.as_deref(),
            )
            .await,
            hold: if self.manifest.tool_policy == ToolPolicy::AskBeforeWrites {
                Hold::Everything
            } else {
                Hold::Policy
            },
            direct_writes: tree.is_some(),
            ..AgentHost::new(AgentHostParts {
                workspace: workspace.clone(),
                project: self.run.project,
                session,
                journal: self.journal.clone(),
                review: self.review.clone(),
                approvals: self.approvals.clone(),
                ceiling: if writes {
                    self.manifest.sandbox.unwrap_or(crate::domain::SandboxPolicy::FullAccess)
                } else {
                    crate::domain::SandboxPolicy::ReadOnly
                },
                role,
            })
        };
        conversation.offer(host.mcp.specs());
        let b = self.manifest.budget;
        let budget = TurnBudget {
            max_steps: b.max_steps,
            max_tokens: Some(b.max_tokens),
            max_duration: Some(Duration::from_secs(b.max_seconds)),
        };
        let outcome = run_turn(&self.agent, &mut conversation, &mut host, &budget, &self.stop, &self.journal).await;
        let results = match &outcome {
            TurnOutcome::Stopped => return Err("stopped by the user".into()),
            TurnOutcome::Failed(why) => return Err(why.clone()),
            _ => setup.run(&workspace, &checks).await,
        };
        let mut comparison = baseline::compare(&baseline, &results);
        if let TurnOutcome::BudgetExhausted(kind) = outcome {
            comparison.verdict = Verdict::Failed;
            comparison.summary = format!("ran out of its {kind:?} budget; {}", comparison.summary).to_lowercase();
        } else if !writes {
            comparison.summary = "read-only: it changed nothing, so there was nothing to check".into();
        }
        Ok(Outcome { comparison, results, changesets: host.changesets, usage: conversation.usage, waiting: None })
    }

    /// The worktree's changes as one ChangeSet in Review: `None` when the Drone changed nothing;
    /// files changed on both sides that git cannot merge stay out, named in the receipt's findings.
    async fn propose(&self, tree: &Worktree) -> Result<Option<Proposal>, String> {
        let (tree_copy, root) = (tree.clone(), self.root.clone());
        let derived = tokio::task::spawn_blocking(move || tree_copy.changes(&root))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if derived.changes.is_empty() {
            return Ok(None);
        }
        let title = format!("{} Drone: {}", self.run.drone, self.run.goal);
        let mut changeset = ChangeSet::new(Some(self.session.id), title, derived.changes);
        let skipped = derived.conflicts.iter().map(|p| format!("{p}: changed in the workspace too; not merged"));
        let skipped = skipped.chain(derived.skipped.iter().map(|p| format!("{p}: not text; not merged")));
        changeset.comment = Some(skipped.collect::<Vec<_>>().join("\n")).filter(|c| !c.is_empty());
        let hold = self.manifest.tool_policy == ToolPolicy::AskBeforeWrites;
        self.review.propose(changeset, hold).await.map(Some).map_err(|e| e.to_string())
    }
}

/// The receipt of a run that failed before it had work to show, saying why.
fn failed_receipt(run: &DroneRun, why: String) -> Receipt {
    let comparison = Comparison { new_failures: vec![], fixed: vec![], verdict: Verdict::Failed, summary: why };
    receipts::receipt(Work {
        subject: ReceiptSubject::DroneRun { drone: run.id, session: run.session },
        asked: &run.goal,
        changesets: &[],
        results: &[],
        comparison: &comparison,
        usage: Default::default(),
    })
}

fn changed(files: &[String]) -> String {
    if files.is_empty() {
        "It changed no files.".into()
    } else {
        format!("Files it changed: {}. Read them and do your part.", files.join(", "))
    }
}

/// Removes a run's worktree and branch; a failure is reported, and the next start tries again.
async fn remove(tree: Worktree, run: DroneId, journal: &Journal) {
    let path = tree.path.clone();
    let why = match tokio::task::spawn_blocking(move || tree.remove()).await {
        Ok(Ok(())) => return journal.emit(Event::DroneWorktreeRemoved { run }),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    journal.emit(Event::StoreWarning {
        message: format!(
            "the worktree {} could not be removed ({why}); it is removed at the next start",
            path.display()
        ),
    });
}

/// Passes on the events Drones can be triggered by.
pub fn watch(event: &Event, internal: &mpsc::UnboundedSender<Internal>) {
    let heard = match event {
        Event::TaskChanged { task, to: TaskStatus::Done, .. } => Internal::TaskDone { task: *task },
        Event::ChangeSetDecided { changeset, applied } if !applied.is_empty() => {
            Internal::Applied { session: changeset.session, title: changeset.title.clone(), files: applied.clone() }
        }
        _ => return,
    };
    let _ = internal.send(heard);
}
