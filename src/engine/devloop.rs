//! The autonomous dev loop of one project: specs from `requirements.md` when there are none, tasks
//! from the specs (repaired by the model when the list is invalid), then task after task: claim,
//! plan, baseline, work, validate against the baseline, and done, failed (retried a bounded number
//! of times with the previous attempts' notes) or blocked (one attempt's steps are in `attempt`).
//! Pause and stop take effect at safe points only: between tool calls and between tasks, never
//! inside an apply. After a crash, the interrupted task goes back to ready and no done task is
//! claimed again.

mod attempt;
mod commit;

use std::sync::Arc;

use tokio::sync::watch;

use crate::domain::{Project, SandboxPolicy, Session, SessionKind, Spec, Task, TaskId, TaskStatus, WorkOrderId};
use crate::protocol::{Event, LoopSettings, LoopState, WorkOrderDecision};
use crate::tools::Workspace;

use super::Journal;
use super::host::{AgentHost, AgentHostParts, Hold};
use super::mcp_tools::McpAccess;
use super::memory;
use super::prompt::{ProjectContext, Role};
use super::rotation;
use super::shared_review::SharedReview;
use super::specs::{self, SpecProblem};
use super::tasks::{TaskBook, TaskError};
use super::turn::{Agent, Conversation, Stop, TurnBudget, TurnOutcome, run_turn};

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
#[derive(Debug)]
pub enum LoopEnd {
    Finished,
    Blocked(LoopError),
    Stopped,
}

/// Why the loop stops for the user; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error("requirements.md cannot be read ({0}): write requirements.md at the workspace root")]
    NoRequirements(std::io::Error),
    #[error("stopped while writing specs")]
    StoppedWritingSpecs,
    #[error("the specs were not written: {}", describe(.0))]
    SpecsNotWritten(TurnOutcome),
    #[error("the specs wait in Review: approve them, then start the loop again")]
    SpecsInReview,
    #[error("the model wrote no spec files under specs/")]
    NoSpecFiles,
    /// The task list is still invalid after the model's repairs: its problems, one a line.
    #[error("the task list is invalid; fix these lines in the specs:\n{}", .0.join("\n"))]
    InvalidTaskList(Vec<String>),
    #[error("the task list could not be repaired: {}", describe(.0))]
    NotRepaired(TurnOutcome),
    /// Tasks are left, none ready: each as "KEY is STATUS".
    #[error("no task can run: {}. Retry or unblock a task", .0.join(", "))]
    NoTaskCanRun(Vec<String>),
    #[error(transparent)]
    Tasks(#[from] TaskError),
    /// The provider failed; its message says what to do.
    #[error("{0}")]
    Provider(String),
}

/// How one task attempt ended.
enum TaskEnd {
    Done,
    Failed,
    Blocked,
    /// Stopped by the user: the task went back to ready.
    Stopped,
    /// Something outside the task stops the loop (the provider is unreachable, the store failed).
    Halt(LoopError),
}

pub struct DevLoop {
    project: Project,
    workspace: Workspace,
    journal: Journal,
    tasks: TaskBook,
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
            tasks: TaskBook::new(&journal, project.id),
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
            LoopEnd::Blocked(reason) => self.state(LoopState::Blocked, None, Some(reason.to_string())),
            LoopEnd::Stopped => self.state(LoopState::Stopped, None, None),
        }
        end
    }

    /// Writes the specs from requirements.md, or rewrites them: new spec files follow the approval
    /// policy, changes to existing ones always wait in Review. Then reads them into tasks.
    pub async fn generate_specs(mut self) {
        if let Err(e) = self.write_specs().await {
            return self.journal.emit(Event::Error { command: None, message: e.to_string() });
        }
        if let Err(problems) = self.tasks.sync(self.workspace.root()).await {
            let problems = problems.iter().map(ToString::to_string).collect();
            self.journal.emit(Event::TaskListInvalid { project: self.project.id, problems });
        }
    }

    async fn run_inner(&mut self) -> LoopEnd {
        if let Err(e) = self.prepare().await {
            return LoopEnd::Blocked(e);
        }
        loop {
            if let Some(end) = self.safe_point(None).await {
                return end;
            }
            let (task, spec) = match self.next_task() {
                Ok(Some(next)) => next,
                Ok(None) => return LoopEnd::Finished,
                Err(e) => return LoopEnd::Blocked(e),
            };
            // A task boundary with a next task to run: the one place sessions rotate.
            self.rotate_if_needed().await;
            match self.run_task(task, spec).await {
                TaskEnd::Done | TaskEnd::Failed | TaskEnd::Blocked => {}
                TaskEnd::Stopped => return LoopEnd::Stopped,
                TaskEnd::Halt(reason) => return LoopEnd::Blocked(reason),
            }
        }
    }

    /// Before the first task: interrupted tasks back to ready, the sessions stored with the
    /// project's context, specs written when there are none, and the tasks read from them.
    async fn prepare(&mut self) -> Result<(), LoopError> {
        self.tasks.recover().await?;
        let context = self.project_context();
        self.planner.set_context(context.clone());
        self.worker.set_context(context);
        for session in [&self.planner.session, &self.worker.session] {
            self.journal.put_session(session.clone()).await;
        }
        if specs::spec_paths(self.workspace.root()).is_empty() {
            self.write_specs().await?;
        }
        self.sync_with_repair().await
    }

    /// The first ready task in run order with its spec; `None` when every task is done.
    fn next_task(&self) -> Result<Option<(Task, Option<Spec>)>, LoopError> {
        let tasks = self.tasks.load()?;
        let Some(task) = tasks.tasks.iter().find(|t| t.status == TaskStatus::Ready).cloned() else {
            let open: Vec<String> = tasks
                .tasks
                .iter()
                .filter(|t| t.status != TaskStatus::Done)
                .map(|t| format!("{} is {}", t.key, t.status))
                .collect();
            return if open.is_empty() { Ok(None) } else { Err(LoopError::NoTaskCanRun(open)) };
        };
        let spec = tasks.specs.iter().find(|s| s.id == task.spec).cloned();
        Ok(Some((task, spec)))
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
            task,
            autopilot: self.config.settings.autopilot,
            mcp: match role {
                Role::Planner => self.planner_mcp.clone(),
                Role::Worker => self.worker_mcp.clone(),
                _ => McpAccess::default(),
            },
            writes_under: matches!(role, Role::SpecWriter | Role::TaskRepair).then_some("specs/"),
            hold: if role == Role::SpecWriter { Hold::Overwrites } else { Hold::Policy },
            ..AgentHost::new(AgentHostParts {
                workspace: self.workspace.clone(),
                project: self.project.id,
                session: session.id,
                journal: self.journal.clone(),
                review: self.review.clone(),
                approvals: self.config.approvals.clone(),
                // The Planner only reads, also through the commands in its work order.
                ceiling: if role == Role::Worker { SandboxPolicy::FullAccess } else { SandboxPolicy::ReadOnly },
                role,
            })
        }
    }

    /// One turn of a session of its own with the Planner's model: the spec writer, the task repairer.
    async fn one_off(&self, role: Role, title: &str, message: String) -> (TurnOutcome, AgentHost) {
        let session = Session::new(Some(self.project.id), SessionKind::Specs, title);
        self.journal.put_session(session.clone()).await;
        // What was asked is kept with the answer, so the Specs tab shows the whole turn.
        let asked = crate::domain::Message::text(session.id, crate::domain::Role::User, message.clone());
        self.journal.record(session.id, crate::domain::Record::Message(asked)).await;
        let mut conversation = Conversation::new(session.clone(), role, self.project_context());
        conversation.push_user(message);
        let mut host = self.host(&session, role, None);
        let (agent, budget, stop) = (&self.config.planner, &self.config.budget, &self.controls.stop);
        let outcome = run_turn(agent, &mut conversation, &mut host, budget, stop, &self.journal).await;
        (outcome, host)
    }

    /// Has the model write specs from `requirements.md`.
    async fn write_specs(&mut self) -> Result<(), LoopError> {
        let requirements = std::fs::read_to_string(self.workspace.root().join("requirements.md"))
            .map_err(LoopError::NoRequirements)?;
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
            TurnOutcome::Stopped => return Err(LoopError::StoppedWritingSpecs),
            other => return Err(LoopError::SpecsNotWritten(other)),
        }
        if specs::spec_paths(self.workspace.root()).is_empty() {
            let pending = host.changesets.is_empty() && !self.review.overview().await.0.is_empty();
            return Err(if pending { LoopError::SpecsInReview } else { LoopError::NoSpecFiles });
        }
        Ok(())
    }

    /// Reads the specs into tasks; an invalid list goes to the model to repair, at most
    /// `repair_rounds` times, then to the user.
    async fn sync_with_repair(&mut self) -> Result<(), LoopError> {
        let mut round = 0;
        loop {
            let problems = match self.tasks.sync(self.workspace.root()).await {
                Ok(_) => return Ok(()),
                Err(problems) => problems,
            };
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            if round == self.config.repair_rounds {
                self.journal.emit(Event::TaskListInvalid { project: self.project.id, problems: lines.clone() });
                return Err(LoopError::InvalidTaskList(lines));
            }
            round += 1;
            self.repair(&problems).await?;
        }
    }

    async fn repair(&mut self, problems: &[SpecProblem]) -> Result<(), LoopError> {
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
            other => Err(LoopError::NotRepaired(other)),
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

/// What a turn did instead of its job, for the message that says so.
fn describe(outcome: &TurnOutcome) -> String {
    match outcome {
        TurnOutcome::Answered { text } => format!("it answered: {}", text.chars().take(300).collect::<String>()),
        TurnOutcome::Ended => "its turn ended".into(),
        TurnOutcome::Stopped => "stopped".into(),
        TurnOutcome::BudgetExhausted(kind) => format!("its {kind:?} budget ran out"),
        TurnOutcome::Failed(e) => e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_errors_say_what_to_do_in_the_words_users_saw_before() {
        let invalid = LoopError::InvalidTaskList(vec!["specs/01-a.md:3: x".into(), "specs/01-a.md:4: y".into()]);
        assert_eq!(
            invalid.to_string(),
            "the task list is invalid; fix these lines in the specs:\nspecs/01-a.md:3: x\nspecs/01-a.md:4: y"
        );
        let stuck = LoopError::NoTaskCanRun(vec!["01.2 is blocked".into(), "01.3 is pending".into()]);
        assert_eq!(stuck.to_string(), "no task can run: 01.2 is blocked, 01.3 is pending. Retry or unblock a task");
        let unwritten = LoopError::SpecsNotWritten(TurnOutcome::Ended);
        assert_eq!(unwritten.to_string(), "the specs were not written: its turn ended");
        assert_eq!(LoopError::Provider("the key was refused".into()).to_string(), "the key was refused");
    }
}
