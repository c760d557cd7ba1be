//! The tools of one agent run, hosted by the engine: read tools run on the blocking pool, edits
//! become ChangeSets that go through review (the result tells the model whether they were applied),
//! commands run under the command policy, and the memory, work-order and question tools talk to
//! the store and the dev loop.

use std::time::Duration;

use crate::domain::{
    ChangeSet, ChangeSetStatus, MemoryEntry, MemorySource, ProjectId, SandboxPolicy, SessionId, TaskId, WorkOrder,
    WorkOrderId, WorkOrderStatus, now_millis,
};
use crate::llm::ToolCallRequest;
use crate::protocol::{ChangeSetDecision, Event};
use crate::tools::Workspace;
use crate::tools::registry::{self, ToolInput};
use crate::tools::shell::CommandSpec;

use super::Journal;
use super::commands::{Approvals, CommandGate, Gated};
use super::mcp_tools::McpAccess;
use super::memory;
use super::prompt::Role;
use super::shared_review::{Proposal, SharedReview};
use super::turn::{ToolHost, ToolResult};

/// Default time a command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// Which of an agent's changes wait for the user even when the approval policy would apply them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The approval policy decides.
    Policy,
    /// Changes to existing files wait (regenerated specs must not overwrite the user's).
    Overwrites,
    /// Every change waits (a Drone that asks before writes).
    Everything,
}

pub struct AgentHost {
    pub workspace: Workspace,
    pub project: ProjectId,
    pub session: SessionId,
    pub task: Option<TaskId>,
    pub journal: Journal,
    pub review: SharedReview,
    /// Held ChangeSets with Craft findings go back to the agent instead of waiting for a person.
    pub autopilot: bool,
    /// How its commands run: the command policy, the sandbox, the user's approvals.
    pub commands: CommandGate,
    /// The MCP servers' tools it was given (their calls pass the same approvals).
    pub mcp: McpAccess,
    /// The tools this agent was given.
    pub allowed: Vec<&'static str>,
    /// When set, edits outside this folder are refused (the spec writer only writes `specs/`).
    pub writes_under: Option<&'static str>,
    /// Which changes wait for the user whatever the approval policy.
    pub hold: Hold,
    /// Edits are written straight into `workspace` without review: a Drone's own worktree, whose
    /// whole result goes through Review as one ChangeSet at the end.
    pub direct_writes: bool,
    /// What the run produced, for its receipt.
    pub changesets: Vec<ChangeSet>,
    pub work_order: Option<WorkOrder>,
    pub question: Option<String>,
}

/// What every agent host is made of; everything else starts at its default (see [`AgentHost::new`]).
pub struct AgentHostParts {
    pub workspace: Workspace,
    pub project: ProjectId,
    pub session: SessionId,
    pub journal: Journal,
    pub review: SharedReview,
    /// Where its commands wait for the user.
    pub approvals: Approvals,
    /// The most its commands may do; the project's own sandbox policy applies below it.
    pub ceiling: SandboxPolicy,
    /// Its role, which gives it its tools.
    pub role: Role,
}

impl AgentHost {
    /// A host with the role's tools and the command gate of its ceiling; on no task, without
    /// autopilot or MCP tools, every change through Review under the approval policy, and nothing
    /// produced yet. A caller sets what differs with struct update syntax.
    pub fn new(parts: AgentHostParts) -> AgentHost {
        let AgentHostParts { workspace, project, session, journal, review, approvals, ceiling, role } = parts;
        let commands = CommandGate::new(journal.store.reader(), approvals, project, session, ceiling);
        AgentHost {
            workspace,
            project,
            session,
            task: None,
            journal,
            review,
            autopilot: false,
            commands,
            mcp: McpAccess::default(),
            allowed: role.tool_names(),
            writes_under: None,
            hold: Hold::Policy,
            direct_writes: false,
            changesets: Vec::new(),
            work_order: None,
            question: None,
        }
    }

    async fn edit(&mut self, input: &ToolInput, title: String) -> ToolResult {
        let workspace = self.workspace.clone();
        let planned = {
            let input = input.clone();
            tokio::task::spawn_blocking(move || registry::plan_edit(&workspace, &input)).await
        };
        let changes = match planned {
            Ok(Ok(changes)) => changes,
            Ok(Err(why)) => return ToolResult::error(format!("not applied: {why}")),
            Err(e) => return ToolResult::error(format!("not applied: the edit could not be planned ({e})")),
        };
        if let Some(folder) = self.writes_under
            && let Some(outside) = changes.iter().find(|c| !c.path.starts_with(folder))
        {
            return ToolResult::error(format!("not applied: you may only write under {folder}, not {}", outside.path));
        }
        let described: Vec<String> = changes.iter().map(registry::describe_change).collect();
        self.review_changes(changes, described, title).await
    }

    /// Puts planned changes through Review (or straight into the agent's own worktree) and says
    /// what became of them.
    async fn review_changes(
        &mut self,
        changes: Vec<crate::domain::FileChange>,
        described: Vec<String>,
        title: String,
    ) -> ToolResult {
        if self.direct_writes {
            return self.write_directly(changes, described).await;
        }
        let changeset = ChangeSet::new(Some(self.session), title, changes);
        let hold = match self.hold {
            Hold::Policy => false,
            Hold::Overwrites => changeset.files.iter().any(|f| f.kind != crate::domain::FileChangeKind::Add),
            Hold::Everything => true,
        };
        let decided = match self.review.propose(changeset, hold).await {
            Ok(Proposal::Decided(decided)) => decided,
            Ok(Proposal::Waiting(waiting)) if self.autopilot && !hold && !waiting.changeset.findings.is_empty() => {
                return self.send_back(waiting.changeset).await;
            }
            Ok(Proposal::Waiting(waiting)) => match waiting.decided().await {
                Some(decided) => decided,
                None => return ToolResult::error("not applied: the review was closed before a decision"),
            },
            Err(e) => return ToolResult::error(format!("not applied: {e}")),
        };
        let comment =
            decided.changeset.comment.clone().map(|c| format!("\nThe reviewer says: {c}")).unwrap_or_default();
        let result = match decided.changeset.status {
            ChangeSetStatus::Applied => ToolResult::ok(format!("applied: {}{comment}", described.join(", "))),
            ChangeSetStatus::PartlyApplied => ToolResult::ok(format!(
                "partly applied (the reviewer rejected some hunks; read the files again): {}{comment}",
                decided.applied.join(", ")
            )),
            _ => ToolResult::error(format!("rejected by the reviewer; nothing was written{comment}")),
        };
        self.changesets.push(decided.changeset);
        result
    }

    /// Under autopilot, a ChangeSet with Craft findings is rejected with them as the comment and
    /// goes back to the agent to fix, instead of waiting for a person.
    async fn send_back(&mut self, held: ChangeSet) -> ToolResult {
        let findings: Vec<String> =
            held.findings.iter().map(|f| format!("- {}:{}: {}", f.path, f.line.unwrap_or(0), f.message)).collect();
        let comment = format!("Craft findings, sent back to the agent:\n{}", findings.join("\n"));
        match self.review.decide(held.id, ChangeSetDecision::RejectAll, Some(comment)).await {
            Ok(rejected) => self.changesets.push(rejected.changeset),
            Err(e) => return ToolResult::error(format!("not applied: {e}")),
        }
        ToolResult::error(format!(
            "not applied: Aura's Craft checks found problems; fix them and edit again:\n{}",
            findings.join("\n")
        ))
    }

    /// Writes planned changes at once (the workspace is the agent's own, never the user's).
    async fn write_directly(&mut self, changes: Vec<crate::domain::FileChange>, described: Vec<String>) -> ToolResult {
        let workspace = self.workspace.clone();
        let written = tokio::task::spawn_blocking(move || {
            crate::edits::verify(&changes, &workspace)?;
            crate::edits::apply(&changes, &workspace)
        })
        .await;
        match written {
            Ok(Ok(())) => ToolResult::ok(format!("applied: {}", described.join(", "))),
            Ok(Err(e)) => ToolResult::error(format!("not applied: {e}")),
            Err(e) => ToolResult::error(format!("not applied: the write failed ({e})")),
        }
    }

    async fn run_command(&mut self, command: &str, timeout: Option<u64>, network: bool) -> ToolResult {
        let spec = CommandSpec::new(command, timeout.map(Duration::from_secs).unwrap_or(COMMAND_TIMEOUT));
        let mut output = match self.commands.run(&self.journal, &self.workspace, spec, network).await {
            Gated::Ran(output) => output,
            Gated::Refused(why) => return ToolResult::error(why),
        };
        // The outcome class leads, so the first line (what a tool card shows) says what happened.
        let (class, counts) = crate::validate::outcome::classify(&output);
        let outcome = class.with_counts(counts.passed, counts.failed);
        let is_error = !output.succeeded();
        let changes = std::mem::take(&mut output.writes.changes);
        let mut content = format!("{outcome}: {}", output.summary());
        if !changes.is_empty() {
            // What the command wrote was kept out of the workspace; it goes through Review now.
            let described: Vec<String> = changes.iter().map(registry::describe_change).collect();
            let reviewed = self.review_changes(changes, described, format!("command: {command}")).await;
            content.push_str(&format!("\nwhat the command wrote to the workspace: {}", reviewed.content));
        }
        ToolResult { content, is_error, end_turn: false }
    }

    async fn save_memory(&mut self, text: &str, tags: &[String]) -> ToolResult {
        let entry = MemoryEntry::new(self.project, text, tags.to_vec(), MemorySource::Agent);
        match self.journal.store.put(entry.clone()).await {
            Ok(()) => {
                self.journal.emit(Event::MemoryChanged { entry, deleted: false });
                ToolResult::ok("saved")
            }
            Err(e) => ToolResult::error(format!("not saved: {e}")),
        }
    }

    fn search_memory(&self, query: &str, limit: Option<usize>) -> ToolResult {
        match memory::entries(self.journal.store.reader(), self.project) {
            Ok(entries) => ToolResult::ok(memory::render(&memory::search(&entries, query, limit.unwrap_or(5).min(20)))),
            Err(e) => ToolResult::error(format!("memory could not be read: {e}")),
        }
    }
}

fn title_of(input: &ToolInput) -> String {
    match input {
        ToolInput::ApplyPatch { .. } => "patch".to_string(),
        ToolInput::Replace { path, .. } => format!("edit {path}"),
        ToolInput::WriteFile { path, .. } => format!("write {path}"),
        _ => String::new(),
    }
}

impl ToolHost for AgentHost {
    async fn call(&mut self, call: &ToolCallRequest) -> ToolResult {
        if self.mcp.offers(&call.name) {
            return self.mcp.call(&self.commands, &self.journal, &call.name, &call.arguments).await;
        }
        if !self.allowed.contains(&call.name.as_str()) {
            return ToolResult::error(format!(
                "`{}` is not one of your tools here; use the tools you were given",
                call.name
            ));
        }
        let input = match ToolInput::parse(&call.name, &call.arguments) {
            Ok(input) => input,
            Err(why) => return ToolResult::error(why),
        };
        match &input {
            ToolInput::ReadFile { .. }
            | ToolInput::ListFiles { .. }
            | ToolInput::FindFiles { .. }
            | ToolInput::Search { .. } => {
                let workspace = self.workspace.clone();
                match tokio::task::spawn_blocking(move || registry::run_read(&workspace, &input)).await {
                    Ok(Ok(text)) => ToolResult::ok(text),
                    Ok(Err(why)) => ToolResult::error(why),
                    Err(e) => ToolResult::error(format!("the tool failed: {e}")),
                }
            }
            ToolInput::ApplyPatch { .. } | ToolInput::Replace { .. } | ToolInput::WriteFile { .. } => {
                let title = title_of(&input);
                self.edit(&input, title).await
            }
            ToolInput::RunCommand { command, timeout_secs, network } => {
                self.run_command(command, *timeout_secs, *network).await
            }
            ToolInput::SaveMemory { text, tags } => self.save_memory(text, tags).await,
            ToolInput::SearchMemory { query, limit } => self.search_memory(query, *limit),
            ToolInput::SubmitWorkOrder { goal, regions, capsule, acceptance, validation } => {
                self.work_order = Some(WorkOrder {
                    id: WorkOrderId::new(),
                    task: self.task,
                    goal: goal.clone(),
                    regions: regions.clone(),
                    capsule: capsule.clone(),
                    acceptance: acceptance.clone(),
                    validation: validation.clone(),
                    status: WorkOrderStatus::Proposed,
                    created_at: now_millis(),
                });
                ToolResult { content: "work order submitted".into(), is_error: false, end_turn: true }
            }
            ToolInput::AskUser { question } => {
                self.question = Some(question.clone());
                ToolResult {
                    content: "the question was sent to the user; the task waits for the answer".into(),
                    is_error: false,
                    end_turn: true,
                }
            }
        }
    }
}
