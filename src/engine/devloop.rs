//! The autonomous dev loop of one project: specs from `requirements.md` when there are none, tasks
//! from the specs (repaired by the model when the list is invalid), then task after task: claim,
//! plan, baseline, work, validate against the baseline, and done, failed (retried a bounded number
//! of times with the previous attempts' notes) or blocked. Pause and stop take effect at safe
//! points only: between tool calls and between tasks, never inside an apply. After a crash, the
//! interrupted task goes back to ready and no done task is claimed again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::domain::{
    CommandRun, OutcomeClass, Project, Receipt, ReceiptSubject, Record, Session, SessionKind, Spec, Task, TaskGraph,
    TaskId, TaskStatus, Usage, Verdict, WorkOrder, WorkOrderId, WorkOrderStatus, now_millis,
};
use crate::protocol::{Event, LoopSettings, LoopState, WorkOrderDecision};
use crate::tools::Workspace;
use crate::tools::policy::CommandPolicy;
use crate::validate::baseline::{self, Baseline};
use crate::validate::detect::{self, Check, CheckKind};
use crate::validate::outcome::next_action;
use crate::validate::receipt::{self as receipts, Work};
use crate::validate::runner::{CheckResult, Plan, run_plan};

use super::Journal;
use super::host::{AgentHost, Hold};
use super::mcp_tools::McpAccess;
use super::memory;
use super::prompt::{ProjectContext, Role};
use super::rotation;
use super::shared_review::SharedReview;
use super::specs::{self, SpecProblem};
use super::tasks::{self, TaskList};
use super::turn::{Agent, Conversation, PauseGate, Stop, TurnBudget, TurnOutcome, run_turn, stop_pair};

/// How the loop runs.
#[derive(Clone)]
pub struct LoopConfig {
    pub planner: Agent,
    pub worker: Agent,
    /// What the Worker was chosen as: Drones on its provider share its server and key.
    pub worker_choice: crate::protocol::ModelChoice,
    pub settings: LoopSettings,
    pub budget: TurnBudget,
    /// Rounds the model gets to repair an invalid task list.
    pub repair_rounds: u32,
    /// Commands waiting for the user, shared with the engine that answers them.
    pub approvals: super::commands::Approvals,
    /// The project's MCP servers.
    pub mcp: crate::mcp::McpHub,
}

/// Users' decisions on proposed work orders, handed to the loop waiting for them.
pub type OrderWaiters = super::decisions::Decisions<WorkOrderId, WorkOrderDecision>;

/// A request to stop one in-progress task and mark it blocked, with the reason.
pub type BlockRequest = Option<(TaskId, String)>;

/// Pause, stop and block, as the loop sees them.
#[derive(Clone)]
pub struct Controls {
    pub paused: watch::Receiver<bool>,
    pub stop: Stop,
    pub block: Arc<watch::Sender<BlockRequest>>,
}

/// How a loop run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopEnd {
    Finished,
    Blocked(String),
    Stopped,
}

/// How one task attempt ended.
enum TaskEnd {
    Done,
    Failed,
    Blocked,
    /// Stopped by the user: the task went back to ready.
    Stopped,
    /// Something outside the task stops the loop (the provider is unreachable, the store failed).
    Halt(String),
}

pub struct DevLoop {
    project: Project,
    workspace: Workspace,
    journal: Journal,
    review: SharedReview,
    orders: OrderWaiters,
    config: LoopConfig,
    controls: Controls,
    planner: Conversation,
    worker: Conversation,
    /// The MCP tools each role was given when the loop started (the Planner's only read).
    planner_mcp: McpAccess,
    worker_mcp: McpAccess,
}

/// The reason recorded on a task that was in progress when Aura stopped.
pub const INTERRUPTED: &str = "interrupted: Aura stopped during this task";

impl DevLoop {
    pub fn new(
        project: Project,
        workspace: Workspace,
        journal: Journal,
        review: SharedReview,
        orders: OrderWaiters,
        config: LoopConfig,
        controls: Controls,
    ) -> DevLoop {
        let context = ProjectContext::default();
        let planner = Conversation::new(
            Session::new(Some(project.id), SessionKind::Planner { task: None }, "Planner"),
            Role::Planner,
            context.clone(),
        );
        let worker = Conversation::new(
            Session::new(Some(project.id), SessionKind::Worker { task: None }, "Worker"),
            Role::Worker,
            context,
        );
        DevLoop {
            project,
            workspace,
            journal,
            review,
            orders,
            config,
            controls,
            planner,
            worker,
            planner_mcp: McpAccess::default(),
            worker_mcp: McpAccess::default(),
        }
    }

    fn state(&self, state: LoopState, task: Option<TaskId>, reason: Option<String>) {
        self.journal.emit(Event::LoopChanged { project: self.project.id, state, task, reason });
    }

    /// Runs until every task is done, the loop is blocked, or it is stopped.
    pub async fn run(mut self) -> LoopEnd {
        self.state(LoopState::Running, None, None);
        let (hub, store, id) = (self.config.mcp.clone(), self.journal.store.clone(), self.project.id);
        self.planner_mcp = McpAccess::for_agent(&hub, store.reader(), id, true, None).await;
        self.worker_mcp = McpAccess::for_agent(&hub, store.reader(), id, false, None).await;
        self.planner.offer(self.planner_mcp.specs());
        self.worker.offer(self.worker_mcp.specs());
        let end = self.run_inner().await;
        match &end {
            LoopEnd::Finished => self.state(LoopState::Finished, None, None),
            LoopEnd::Blocked(reason) => self.state(LoopState::Blocked, None, Some(reason.clone())),
            LoopEnd::Stopped => self.state(LoopState::Stopped, None, None),
        }
        end
    }

    /// Writes the specs from requirements.md, or rewrites them: new spec files follow the approval
    /// policy, changes to existing ones always wait in Review. Then reads them into tasks.
    pub async fn generate_specs(mut self) {
        if let Err(message) = self.write_specs().await {
            return self.journal.emit(Event::Error { command: None, message });
        }
        if let Err(problems) = sync_tasks(&self.journal, &self.project, self.workspace.root()).await {
            let problems = problems.iter().map(ToString::to_string).collect();
            self.journal.emit(Event::TaskListInvalid { project: self.project.id, problems });
        }
    }

    async fn run_inner(&mut self) -> LoopEnd {
        if let Err(e) = recover(&self.journal, &self.project).await {
            return LoopEnd::Blocked(e);
        }
        let context = self.project_context();
        self.planner.set_context(context.clone());
        self.worker.set_context(context);
        for session in [&self.planner.session, &self.worker.session] {
            self.journal.put_session(session.clone()).await;
        }
        if specs::spec_paths(self.workspace.root()).is_empty()
            && let Err(reason) = self.write_specs().await
        {
            return LoopEnd::Blocked(reason);
        }
        if let Err(reason) = self.sync_with_repair().await {
            return LoopEnd::Blocked(reason);
        }
        loop {
            if let Some(end) = self.safe_point(None).await {
                return end;
            }
            let tasks = match load_tasks(&self.journal, &self.project) {
                Ok(t) => t,
                Err(e) => return LoopEnd::Blocked(e),
            };
            let Some(task) = tasks.tasks.iter().find(|t| t.status == TaskStatus::Ready).cloned() else {
                let open: Vec<String> = tasks
                    .tasks
                    .iter()
                    .filter(|t| t.status != TaskStatus::Done)
                    .map(|t| format!("{} is {}", t.key, t.status))
                    .collect();
                if open.is_empty() {
                    return LoopEnd::Finished;
                }
                return LoopEnd::Blocked(format!("no task can run: {}. Retry or unblock a task", open.join(", ")));
            };
            let spec = tasks.specs.iter().find(|s| s.id == task.spec).cloned();
            // A task boundary with a next task to run: the one place sessions rotate.
            self.rotate_if_needed().await;
            match self.run_task(task, spec).await {
                TaskEnd::Done | TaskEnd::Failed | TaskEnd::Blocked => {}
                TaskEnd::Stopped => return LoopEnd::Stopped,
                TaskEnd::Halt(reason) => return LoopEnd::Blocked(reason),
            }
        }
    }

    /// Waits while paused; returns how the loop ends if it was stopped.
    async fn safe_point(&mut self, task: Option<TaskId>) -> Option<LoopEnd> {
        if self.controls.stop.is_set() {
            return Some(LoopEnd::Stopped);
        }
        if *self.controls.paused.borrow() {
            self.state(LoopState::Paused, task, None);
            let mut paused = self.controls.paused.clone();
            tokio::select! {
                _ = paused.wait_for(|p| !*p) => {}
                _ = self.controls.stop.wait() => return Some(LoopEnd::Stopped),
            }
            self.state(LoopState::Running, task, None);
        }
        None
    }

    fn project_context(&self) -> ProjectContext {
        memory::project_context(self.journal.store.reader(), self.project.id, self.workspace.root())
    }

    fn host(&self, session: &Session, role: Role, task: Option<TaskId>) -> AgentHost {
        AgentHost {
            workspace: self.workspace.clone(),
            project: self.project.id,
            session: session.id,
            task,
            journal: self.journal.clone(),
            review: self.review.clone(),
            autopilot: self.config.settings.autopilot,
            commands: super::commands::CommandGate::new(
                self.journal.store.reader(),
                self.config.approvals.clone(),
                self.project.id,
                session.id,
                // The Planner only reads, also through the commands in its work order.
                if role == Role::Worker {
                    crate::domain::SandboxPolicy::FullAccess
                } else {
                    crate::domain::SandboxPolicy::ReadOnly
                },
            ),
            mcp: match role {
                Role::Planner => self.planner_mcp.clone(),
                Role::Worker => self.worker_mcp.clone(),
                _ => McpAccess::default(),
            },
            allowed: role.tool_names(),
            writes_under: matches!(role, Role::SpecWriter | Role::TaskRepair).then_some("specs/"),
            hold: if role == Role::SpecWriter { Hold::Overwrites } else { Hold::Policy },
            direct_writes: false,
            changesets: Vec::new(),
            work_order: None,
            question: None,
        }
    }

    /// One turn of a session of its own with the Planner's model: the spec writer, the task repairer.
    async fn one_off(&self, role: Role, title: &str, message: String) -> (TurnOutcome, AgentHost) {
        let session = Session::new(Some(self.project.id), SessionKind::Specs, title);
        self.journal.put_session(session.clone()).await;
        let mut conversation = Conversation::new(session.clone(), role, self.project_context());
        conversation.push_user(message);
        let mut host = self.host(&session, role, None);
        let (agent, budget, stop) = (&self.config.planner, &self.config.budget, &self.controls.stop);
        let outcome = run_turn(agent, &mut conversation, &mut host, budget, stop, &self.journal).await;
        (outcome, host)
    }

    /// Has the model write specs from `requirements.md`.
    async fn write_specs(&mut self) -> Result<(), String> {
        let requirements = std::fs::read_to_string(self.workspace.root().join("requirements.md")).map_err(|e| {
            format!("requirements.md cannot be read ({e}): write requirements.md at the workspace root")
        })?;
        let existing = specs::spec_paths(self.workspace.root());
        let mut ask = format!("Write the specs for these requirements.\n\n# requirements.md\n\n{requirements}");
        if !existing.is_empty() {
            ask.push_str(&format!(
                "\n\nThese spec files exist: {}. Read them first; rewrite only what the requirements change \
                 (the user reviews every change to an existing file).",
                existing.join(", ")
            ));
        }
        let (outcome, host) = self.one_off(Role::SpecWriter, "Specs", ask).await;
        match outcome {
            TurnOutcome::Answered { .. } | TurnOutcome::Ended => {}
            TurnOutcome::Stopped => return Err("stopped while writing specs".into()),
            other => return Err(format!("the specs were not written: {}", describe(&other))),
        }
        if specs::spec_paths(self.workspace.root()).is_empty() {
            let pending = host.changesets.is_empty() && !self.review.overview().await.0.is_empty();
            return Err(if pending {
                "the specs wait in Review: approve them, then start the loop again".into()
            } else {
                "the model wrote no spec files under specs/".into()
            });
        }
        Ok(())
    }

    /// Reads the specs into tasks; an invalid list goes to the model to repair, at most
    /// `repair_rounds` times, then to the user.
    async fn sync_with_repair(&mut self) -> Result<(), String> {
        let mut round = 0;
        loop {
            let problems = match sync_tasks(&self.journal, &self.project, self.workspace.root()).await {
                Ok(_) => return Ok(()),
                Err(problems) => problems,
            };
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            if round == self.config.repair_rounds {
                self.journal.emit(Event::TaskListInvalid { project: self.project.id, problems: lines.clone() });
                return Err(format!("the task list is invalid; fix these lines in the specs:\n{}", lines.join("\n")));
            }
            round += 1;
            self.repair(&problems).await?;
        }
    }

    async fn repair(&mut self, problems: &[SpecProblem]) -> Result<(), String> {
        let mut paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        paths.dedup();
        let mut message = String::from("Repair these problems:\n");
        for p in problems {
            message.push_str(&format!("- {p}\n"));
        }
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(self.workspace.root().join(path)) {
                message.push_str(&format!("\n# {path}\n\n{text}"));
            }
        }
        match self.one_off(Role::TaskRepair, "Task list repair", message).await.0 {
            TurnOutcome::Answered { .. } | TurnOutcome::Ended => Ok(()),
            other => Err(format!("the task list could not be repaired: {}", describe(&other))),
        }
    }

    /// Runs one attempt at a task with its own stop: pressed by the loop's Stop, or by a request to
    /// block this task; the pause switch is honoured between tool calls.
    async fn run_task(&mut self, mut task: Task, spec: Option<Spec>) -> TaskEnd {
        if let Err(e) = transition(&self.journal, &self.project, &mut task, TaskStatus::InProgress, None).await {
            return TaskEnd::Halt(e);
        }
        self.state(LoopState::Running, Some(task.id), None);
        let (switch, stop) = stop_pair();
        let (journal, project, id) = (self.journal.clone(), self.project.id, task.id);
        let on_change = Arc::new(move |paused: bool| {
            let state = if paused { LoopState::Paused } else { LoopState::Running };
            journal.emit(Event::LoopChanged { project, state, task: Some(id), reason: None });
        });
        let stop = stop.with_pause(PauseGate { paused: self.controls.paused.clone(), on_change });
        let loop_stop = self.controls.stop.clone();
        let mut block = self.controls.block.subscribe();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                _ = loop_stop.wait() => {}
                _ = block.wait_for(|b| b.as_ref().is_some_and(|(t, _)| *t == id)) => {}
            }
            switch.press();
        });
        let end = self.attempt(task, spec, &stop).await;
        watcher.abort();
        end
    }

    async fn attempt(&mut self, mut task: Task, spec: Option<Spec>, stop: &Stop) -> TaskEnd {
        let before = self.planner.usage;
        let before_worker = self.worker.usage;

        // Plan.
        let spec_text = spec
            .as_ref()
            .and_then(|s| std::fs::read_to_string(self.workspace.root().join(&s.path)).ok())
            .unwrap_or_default();
        let notes = previous_attempts(&self.journal, &self.project, task.id);
        let mut ask = format!("# Task {} {}\n\nPlan this task and submit a work order.\n", task.key, task.title);
        if let Some(spec) = &spec {
            ask.push_str(&format!("\n# The spec: {}\n\n{}\n", spec.path.display(), spec_text.trim_end()));
        }
        if !task.description.trim().is_empty() {
            ask.push_str(&format!("\n# Notes on this task\n\n{}\n", task.description.trim()));
        }
        if !notes.is_empty() {
            ask.push_str(&format!("\n# Earlier attempts at this task\n\n{notes}\n"));
        }
        self.planner.push_user(ask);
        self.planner.compaction_tier = 0;
        let mut host = self.host(&self.planner.session.clone(), Role::Planner, Some(task.id));
        let outcome =
            run_turn(&self.config.planner, &mut self.planner, &mut host, &self.config.budget, stop, &self.journal)
                .await;
        let mut order = match (outcome, host.work_order.take()) {
            (TurnOutcome::Stopped, _) => return self.put_back(task).await,
            (TurnOutcome::Failed(e), _) => return self.halt(task, e).await,
            (_, Some(order)) => order,
            (other, None) => {
                let why = format!("the Planner did not submit a work order ({})", describe(&other));
                return self.block(task, why).await;
            }
        };

        // Approve.
        self.journal.record_project(self.project.id, Record::WorkOrder(order.clone())).await;
        // Wait before telling anyone, so no decision can arrive unheard.
        let decision = (!self.config.settings.autopilot).then(|| self.orders.wait(order.id));
        self.journal.emit(Event::WorkOrderProposed { work_order: order.clone() });
        if let Some(decision) = decision {
            let decision = tokio::select! {
                d = decision => d.unwrap_or(WorkOrderDecision::Reject { reason: "the decision was lost".into() }),
                _ = stop.wait() => return self.put_back(task).await,
            };
            match decision {
                WorkOrderDecision::Approve => {}
                WorkOrderDecision::ApproveEdited { work_order } => {
                    order = WorkOrder { id: order.id, task: order.task, ..work_order }
                }
                WorkOrderDecision::Reject { reason } => {
                    order.status = WorkOrderStatus::Rejected { reason: reason.clone() };
                    self.journal.record_project(self.project.id, Record::WorkOrder(order)).await;
                    return self.block(task, format!("the work order was rejected: {reason}")).await;
                }
            }
        }
        order.status = WorkOrderStatus::Approved;
        self.journal.record_project(self.project.id, Record::WorkOrder(order.clone())).await;

        // Baseline, then work.
        let checks = self.checks(&order);
        let baseline = Baseline::record(&self.run_checks(&checks).await);
        let brief = format!("# Task {} {}\n\n{}", task.key, task.title, order.brief());
        self.worker.context.task_brief = Some(brief.clone());
        self.worker.compaction_tier = 0;
        self.worker.push_user(format!("{brief}\nCarry out this work order."));
        let mut host = self.host(&self.worker.session.clone(), Role::Worker, Some(task.id));
        let outcome =
            run_turn(&self.config.worker, &mut self.worker, &mut host, &self.config.budget, stop, &self.journal).await;
        match &outcome {
            TurnOutcome::Stopped => return self.put_back(task).await,
            TurnOutcome::Failed(e) => return self.halt(task, e.clone()).await,
            _ => {}
        }

        // Validate and decide.
        let results = self.run_checks(&checks).await;
        let comparison = baseline::compare(&baseline, &results);
        let mut usage = diff_usage(self.planner.usage, before);
        usage += diff_usage(self.worker.usage, before_worker);
        let mut receipt = receipts::receipt(Work {
            subject: ReceiptSubject::Task { task: task.id },
            asked: &brief,
            changesets: &host.changesets,
            results: &results,
            comparison: &comparison,
            usage,
        });
        let (to, reason) = if let Some(question) = host.question.clone() {
            receipt.verdict = Verdict::Blocked;
            (TaskStatus::Blocked, format!("the Worker asks: {question}"))
        } else if let TurnOutcome::BudgetExhausted(kind) = &outcome {
            receipt.verdict = Verdict::Failed;
            (TaskStatus::Failed, format!("the Worker ran out of its {kind:?} budget; {}", comparison.summary))
        } else {
            verdict_to_status(&receipt, &results)
        };
        receipt.summary = if to == TaskStatus::Done { comparison.summary.clone() } else { reason.clone() };
        self.journal.record_project(self.project.id, Record::Receipt(receipt.clone())).await;
        self.journal.emit(Event::ReceiptIssued { receipt: receipt.clone() });
        self.remember(&task, &receipt).await;
        let reason = (to != TaskStatus::Done).then_some(reason);
        if let Err(e) = transition(&self.journal, &self.project, &mut task, to, reason).await {
            return TaskEnd::Halt(e);
        }
        match to {
            TaskStatus::Done => {
                self.tick(&task, spec.as_ref()).await;
                TaskEnd::Done
            }
            TaskStatus::Failed => {
                if task.attempts < self.config.settings.max_attempts
                    && let Err(e) = transition(&self.journal, &self.project, &mut task, TaskStatus::Ready, None).await
                {
                    return TaskEnd::Halt(e);
                }
                TaskEnd::Failed
            }
            _ => TaskEnd::Blocked,
        }
    }

    /// The order's validation commands, else the project's tests (the user's own checks from
    /// Settings, or the detected ones), else its build.
    fn checks(&self, order: &WorkOrder) -> Vec<Check> {
        if !order.validation.is_empty() {
            return order
                .validation
                .iter()
                .map(|c| Check { kind: CheckKind::Test, command: c.clone(), source: "work order".into() })
                .collect();
        }
        project_checks(self.journal.store.reader(), self.project.id, self.workspace.root())
    }

    async fn run_checks(&self, checks: &[Check]) -> Vec<CheckResult> {
        let sandbox = super::commands::check_sandbox(self.journal.store.reader(), self.project.id);
        run_checks(&self.workspace, checks, Duration::from_secs(self.config.settings.check_timeout_secs), sandbox).await
    }

    /// Saves what the attempt taught: the automatic entries, and warnings for repeated failures.
    async fn remember(&self, task: &Task, receipt: &Receipt) {
        let known = memory::entries(self.journal.store.reader(), self.project.id).unwrap_or_default();
        for entry in memory::after_task(self.project.id, &task.key, receipt, &known) {
            if self.journal.store.put(entry.clone()).await.is_ok() {
                self.journal.emit(Event::MemoryChanged { entry, deleted: false });
            }
        }
    }

    /// Proposes ticking the task's box in its spec (applied at once under autopilot).
    async fn tick(&self, task: &Task, spec: Option<&Spec>) {
        let Some(spec) = spec else { return };
        let path = spec.path.to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(self.workspace.root().join(&path)) else { return };
        let open = format!("- [ ] {} ", task.key);
        let Some(line) = text.lines().find(|l| l.starts_with(&open)) else { return };
        let input = crate::tools::registry::ToolInput::Replace {
            path,
            old: line.to_string(),
            new: line.replacen("- [ ]", "- [x]", 1),
            replace_all: false,
        };
        let Ok(changes) = crate::tools::registry::plan_edit(&self.workspace, &input) else { return };
        let changeset = crate::domain::ChangeSet::new(None, format!("tick {}", task.key), changes);
        // Nobody waits for the tick: it is applied, or left in Review for the user.
        if let Err(e) = self.review.propose(changeset, false).await {
            tracing::warn!("the box of {} was not ticked: {e}", task.key);
        }
    }

    /// Stopped mid-task: blocked when the user asked to block it, else back to ready without
    /// counting the attempt.
    async fn put_back(&self, mut task: Task) -> TaskEnd {
        let blocked = self.controls.block.borrow().as_ref().filter(|(t, _)| *t == task.id).map(|(_, r)| r.clone());
        if let Some(reason) = blocked {
            self.controls.block.send_replace(None);
            return self.block(task, reason).await;
        }
        match release(&self.journal, &self.project, &mut task, "stopped by the user").await {
            Ok(()) => TaskEnd::Stopped,
            Err(e) => TaskEnd::Halt(e),
        }
    }

    /// The provider or the store failed: the task goes back to ready and the loop stops for the user.
    async fn halt(&self, mut task: Task, why: String) -> TaskEnd {
        let _ = release(&self.journal, &self.project, &mut task, &why).await;
        TaskEnd::Halt(why)
    }

    async fn block(&self, mut task: Task, reason: String) -> TaskEnd {
        match transition(&self.journal, &self.project, &mut task, TaskStatus::Blocked, Some(reason)).await {
            Ok(()) => TaskEnd::Blocked,
            Err(e) => TaskEnd::Halt(e),
        }
    }

    async fn rotate_if_needed(&mut self) {
        for planner in [true, false] {
            let (conversation, agent) = if planner {
                (&mut self.planner, &self.config.planner)
            } else {
                (&mut self.worker, &self.config.worker)
            };
            if let Some(window) = agent.window
                && let Some(used) = conversation.context_used()
            {
                self.journal.emit(Event::ContextUse { session: conversation.session.id, used, window });
            }
            if !rotation::should_rotate(conversation, agent.window, &self.config.settings) {
                continue;
            }
            match rotation::rotate(agent, conversation, &self.controls.stop, &self.journal).await {
                Ok(next) => *conversation = next,
                Err(e) => tracing::warn!("the session was not rotated: {e}"),
            }
        }
    }
}

fn describe(outcome: &TurnOutcome) -> String {
    match outcome {
        TurnOutcome::Answered { text } => format!("it answered: {}", text.chars().take(300).collect::<String>()),
        TurnOutcome::Ended => "its turn ended".into(),
        TurnOutcome::Stopped => "stopped".into(),
        TurnOutcome::BudgetExhausted(kind) => format!("its {kind:?} budget ran out"),
        TurnOutcome::Failed(e) => e.clone(),
    }
}

fn diff_usage(now: Usage, before: Usage) -> Usage {
    Usage {
        cached_input_tokens: now.cached_input_tokens - before.cached_input_tokens,
        input_tokens: now.input_tokens - before.input_tokens,
        cache_write_tokens: now.cache_write_tokens - before.cache_write_tokens,
        output_tokens: now.output_tokens - before.output_tokens,
        cost_usd: now.cost_usd.map(|c| c - before.cost_usd.unwrap_or(0.0)),
    }
}

/// Where the receipt sends the task: done when verified (or when the project has no check at
/// all, which the receipt says), blocked when a check needs the user, failed otherwise.
fn verdict_to_status(receipt: &Receipt, results: &[CheckResult]) -> (TaskStatus, String) {
    let needs_user = results.iter().find(|r| {
        matches!(
            r.run.outcome,
            OutcomeClass::MissingExecutable | OutcomeClass::MissingDependency | OutcomeClass::BlockedByPolicy
        )
    });
    match receipt.verdict {
        Verdict::Verified => (TaskStatus::Done, receipt.summary.clone()),
        Verdict::Unverified if results.is_empty() => (TaskStatus::Done, receipt.summary.clone()),
        _ if needs_user.is_some() => {
            let r = needs_user
                .map(|r| format!("`{}`: {:?}; {}", r.run.command, r.run.outcome, r.next_action))
                .unwrap_or_default();
            (TaskStatus::Blocked, format!("a check needs you: {r}"))
        }
        _ => (TaskStatus::Failed, receipt.summary.clone()),
    }
}

/// The receipts of a task's attempts, oldest first, from the project's log (none if it cannot be read).
pub(super) fn task_receipts(
    store: &crate::store::Store,
    project: crate::domain::ProjectId,
    task: TaskId,
) -> Vec<Receipt> {
    let Ok(page) = store.records_from(project, 1, usize::MAX) else { return Vec::new() };
    page.records
        .into_iter()
        .filter_map(|r| match r.record {
            Record::Receipt(receipt) if receipt.subject == (ReceiptSubject::Task { task }) => Some(receipt),
            _ => None,
        })
        .collect()
}

/// The verdicts of earlier attempts at a task, for the next attempt's Planner.
fn previous_attempts(journal: &Journal, project: &Project, task: TaskId) -> String {
    task_receipts(journal.store.reader(), project.id, task)
        .iter()
        .map(|receipt| format!("- {:?}: {}\n", receipt.verdict, receipt.summary))
        .collect()
}

/// The project's specs and tasks as stored, in run order.
pub fn load_tasks(journal: &Journal, project: &Project) -> Result<TaskList, String> {
    let reader = journal.store.reader();
    let specs: Vec<Spec> = reader
        .list::<Spec>()
        .map_err(|e| e.to_string())?
        .items
        .into_iter()
        .filter(|s| s.project == project.id)
        .collect();
    let tasks: Vec<Task> = reader
        .list::<Task>()
        .map_err(|e| e.to_string())?
        .items
        .into_iter()
        .filter(|t| specs.iter().any(|s| s.id == t.spec))
        .collect();
    let graph = TaskGraph::build(&specs, tasks).map_err(|e| format!("the stored task list is invalid: {e}"))?;
    let mut specs = specs;
    specs.sort_by_key(|s| s.order);
    Ok(TaskList { specs, tasks: graph.tasks().to_vec(), notes: Vec::new() })
}

/// Reads the spec files into the store's specs and tasks, in one commit.
pub async fn sync_tasks(
    journal: &Journal,
    project: &Project,
    root: &std::path::Path,
) -> Result<TaskList, Vec<SpecProblem>> {
    let parsed = specs::read_specs(root)?;
    let reader = journal.store.reader();
    let problem =
        |e: crate::store::StoreError| vec![SpecProblem { path: "store".into(), line: 0, message: e.to_string() }];
    let stored_specs: Vec<Spec> =
        reader.list::<Spec>().map_err(problem)?.items.into_iter().filter(|s| s.project == project.id).collect();
    let stored_tasks: Vec<Task> = reader
        .list::<Task>()
        .map_err(problem)?
        .items
        .into_iter()
        .filter(|t| stored_specs.iter().any(|s| s.id == t.spec))
        .collect();
    let list = tasks::merge(project.id, &parsed, &stored_specs, &stored_tasks)?;
    let (specs, tasks) = (list.specs.clone(), list.tasks.clone());
    journal
        .store
        .write(move |w| {
            specs.iter().try_for_each(|s| w.put(s))?;
            tasks.iter().try_for_each(|t| w.put(t))
        })
        .await
        .map_err(problem)?;
    journal.emit(Event::SpecsChanged { project: project.id, specs: list.specs.clone(), tasks: list.tasks.clone() });
    Ok(list)
}

/// Moves a task, committing it, the dependents it readies and the transition records at once.
pub async fn transition(
    journal: &Journal,
    project: &Project,
    task: &mut Task,
    to: TaskStatus,
    reason: Option<String>,
) -> Result<(), String> {
    move_task(journal, project, task, to, reason, false).await
}

/// [`transition`]; with `uncount`, the last attempt is taken back (it was interrupted, not tried).
async fn move_task(
    journal: &Journal,
    project: &Project,
    task: &mut Task,
    to: TaskStatus,
    reason: Option<String>,
    uncount: bool,
) -> Result<(), String> {
    let list = load_tasks(journal, project)?;
    let mut graph = TaskGraph::build(&list.specs, list.tasks).map_err(|e| e.to_string())?;
    let from = graph.get(task.id).map(|t| t.status).unwrap_or(task.status);
    let readied = graph.transition(task.id, to).map_err(|e| e.to_string())?;
    let mut moved: Vec<Task> =
        std::iter::once(task.id).chain(readied.iter().copied()).filter_map(|id| graph.get(id).cloned()).collect();
    if uncount && let Some(first) = moved.first_mut() {
        first.attempts = first.attempts.saturating_sub(1);
    }
    let at = now_millis();
    let records: Vec<Record> = moved
        .iter()
        .map(|t| {
            let (from, reason) = if t.id == task.id { (from, reason.clone()) } else { (TaskStatus::Pending, None) };
            Record::TaskTransition { task: t.id, from, to: t.status, at, reason }
        })
        .collect();
    let (put, log, id) = (moved.clone(), records.clone(), project.id);
    journal
        .store
        .write(move |w| {
            put.iter().try_for_each(|t| w.put(t))?;
            w.append(id, &log).map(|_| ())
        })
        .await
        .map_err(|e| format!("the task's status could not be stored: {e}"))?;
    for (record, moved) in records.into_iter().zip(&moved) {
        if let Record::TaskTransition { task, from, to, reason, .. } = record {
            journal.emit(Event::TaskChanged { task, from, to, reason, attempts: moved.attempts });
        }
    }
    if let Some(updated) = moved.into_iter().find(|t| t.id == task.id) {
        *task = updated;
    }
    Ok(())
}

/// Returns an in-progress task to ready through failed, without counting the attempt.
async fn release(journal: &Journal, project: &Project, task: &mut Task, why: &str) -> Result<(), String> {
    transition(journal, project, task, TaskStatus::Failed, Some(why.to_string())).await?;
    move_task(journal, project, task, TaskStatus::Ready, None, true).await
}

/// After a crash: every task still in progress was interrupted; it goes back to ready, and the
/// interrupted attempt does not count. Done tasks are left alone.
pub async fn recover(journal: &Journal, project: &Project) -> Result<usize, String> {
    let list = load_tasks(journal, project)?;
    let interrupted: Vec<Task> = list.tasks.into_iter().filter(|t| t.status == TaskStatus::InProgress).collect();
    for mut task in interrupted.iter().cloned() {
        release(journal, project, &mut task, INTERRUPTED).await?;
    }
    Ok(interrupted.len())
}

/// The checks that validate work in a project: the tests (the user's own checks when set, else
/// the detected ones), or the build when there are no tests.
pub(super) fn project_checks(
    store: &crate::store::Store,
    project: crate::domain::ProjectId,
    root: &std::path::Path,
) -> Vec<Check> {
    let overrides: Vec<Check> = store
        .get_value(crate::store::Table::Settings, &detect::overrides_key(project))
        .ok()
        .flatten()
        .unwrap_or_default();
    let detected = detect::checks_for(root, &overrides);
    let tests: Vec<Check> = detected.iter().filter(|c| c.kind == CheckKind::Test).cloned().collect();
    if tests.is_empty() { detected.into_iter().filter(|c| c.kind == CheckKind::Build).collect() } else { tests }
}

/// Runs `checks` in `workspace` without a person at hand (commands outside the policy are refused);
/// a plan that cannot run at all gives each check a "crashed" result saying why.
pub(super) async fn run_checks(
    workspace: &Workspace,
    checks: &[Check],
    timeout: Duration,
    sandbox: crate::tools::sandbox::Sandbox,
) -> Vec<CheckResult> {
    let plan =
        Plan { workspace, checks: checks.to_vec(), timeout, policy: CommandPolicy::default(), sandbox: Some(sandbox) };
    match run_plan(&plan, |_, _| async { false }, None).await {
        Ok(results) => results,
        Err(e) => checks
            .iter()
            .map(|check| CheckResult {
                check: check.clone(),
                run: CommandRun {
                    command: check.command.clone(),
                    outcome: OutcomeClass::Crashed,
                    passed: None,
                    failed: None,
                    failing_tests: vec![],
                    duration_ms: 0,
                },
                next_action: next_action(OutcomeClass::Crashed).to_string(),
                output: format!("the check could not be run: {e}"),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_a_task_is_the_difference_of_the_running_totals() {
        let before = Usage {
            input_tokens: 10,
            cached_input_tokens: 5,
            output_tokens: 1,
            cost_usd: Some(0.5),
            ..Usage::default()
        };
        let now = Usage {
            input_tokens: 25,
            cached_input_tokens: 105,
            output_tokens: 4,
            cost_usd: Some(0.75),
            ..Usage::default()
        };
        let d = diff_usage(now, before);
        assert_eq!((d.input_tokens, d.cached_input_tokens, d.output_tokens), (15, 100, 3));
        assert_eq!(d.cost_usd, Some(0.25));
    }
}
