//! The view model: what the desktop draws, built only from engine events.

use std::path::PathBuf;

use std::collections::HashMap;

use crate::domain::{
    ApprovalPolicy, Check, Project, Receipt, ReceiptSubject, Record, SessionId, Spec, Task, TaskId, WorkOrderId,
    WorkOrderStatus,
};
use crate::llm::ProviderKind;
use crate::protocol::{
    ApiKeyStatus, Appearance, Command, ConversationSummary, Event, LocalServerStatus, LoopSettings, LoopState,
    ModelChoice,
};

use super::chat::ChatView;
use super::chat::conversations::ConversationsView;
use super::drones::DronesView;
use super::files::FilesView;
use super::git::GitView;
use super::intents::Intents;
use super::keys::KeyDrafts;
use super::memory::MemoryView;
use super::path_entry::PathEntry;
use super::review::ReviewView;
use super::search::SearchView;
use super::specs::SpecsView;
use super::tabs::Tab;
use super::usage::UsageView;
use super::viewer::OpenFiles;

/// Where the connection to the engine stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// The store is being opened.
    Starting,
    Ready {
        app_version: String,
        data_dir: PathBuf,
    },
    /// The store could not be opened; the message says what to do.
    Failed(String),
}

/// The project open in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectView {
    pub project: Project,
    pub detected_checks: Vec<Check>,
    /// The user's own checks as stored.
    pub check_overrides: Vec<Check>,
    /// The user's own checks as being edited in Settings.
    pub check_draft: Vec<Check>,
    pub specs: Vec<Spec>,
    /// In run order.
    pub tasks: Vec<Task>,
    pub loop_state: LoopState,
    /// Why the loop is blocked, when it is.
    pub loop_reason: Option<String>,
    /// The task the loop is on.
    pub loop_task: Option<TaskId>,
    /// Why a task failed or is blocked.
    pub task_reasons: HashMap<TaskId, String>,
    /// The newest receipt of each task.
    pub receipts: HashMap<TaskId, Receipt>,
    /// The task whose details the Tasks panel shows.
    pub selected_task: Option<TaskId>,
    /// The Planner's and Worker's models as stored.
    pub models: Option<(ModelChoice, ModelChoice)>,
    /// The model being edited in Settings (used for both roles when saved).
    pub model_draft: ModelChoice,
    pub loop_settings: LoopSettings,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_policy: crate::domain::SandboxPolicy,
    /// Settings › MCP.
    pub mcp: super::mcp::McpView,
    /// Why commands cannot be sandboxed on this machine, when they cannot.
    pub sandbox_problem: Option<String>,
    /// The log the Tasks tab shows: whose, and what happened, oldest first.
    pub task_log: Option<(TaskId, Vec<Record>)>,
    /// The task whose log was asked for.
    pub task_log_asked: Option<TaskId>,
    /// The newest connection test: `None` while it runs, then whether it answered and what it said.
    pub connection_test: Option<Option<(bool, String)>>,
    /// Whether the workspace has a `requirements.md`.
    pub requirements: bool,
    /// The user hid the getting-started card for this project.
    pub getting_started_hidden: bool,
}

/// What the model form starts from when nothing is chosen yet.
fn blank_model() -> ModelChoice {
    ModelChoice { provider: ProviderKind::Openai, base_url: None, model: String::new(), context_window: None }
}

impl ProjectView {
    pub fn task(&self, id: TaskId) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::ChecksChanged { overrides, .. } => {
                self.check_draft = overrides.clone();
                self.check_overrides = overrides;
            }
            Event::SpecsChanged { specs, tasks, .. } => {
                self.specs = specs;
                self.tasks = tasks;
            }
            Event::TaskChanged { task, from, to, reason, attempts } => {
                // An open log grows as the task moves on.
                if let Some((_, records)) = self.task_log.as_mut().filter(|(t, _)| *t == task) {
                    let at = crate::domain::now_millis();
                    records.push(Record::TaskTransition { task, from, to, at, reason: reason.clone() });
                }
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == task) {
                    t.status = to;
                    t.attempts = attempts;
                }
                match reason {
                    Some(reason) => self.task_reasons.insert(task, reason),
                    None => self.task_reasons.remove(&task),
                };
            }
            Event::ModelsChanged { planner, worker, .. } => {
                self.model_draft = worker.clone();
                self.models = Some((planner, worker));
            }
            Event::LoopSettingsChanged { settings, .. } => self.loop_settings = settings,
            Event::ApprovalPolicyChanged { policy, .. } => self.approval_policy = policy,
            Event::McpServers { servers, problems, .. } => {
                self.mcp.listing = false;
                self.mcp.servers = Some((servers, problems));
            }
            Event::SandboxPolicyChanged { policy, problem, .. } => {
                self.sandbox_policy = policy;
                self.sandbox_problem = problem;
            }
            Event::TaskLog { task, records } => self.task_log = Some((task, records)),
            Event::ConnectionTested { ok, message, .. } => self.connection_test = Some(Some((ok, message))),
            Event::RequirementsChanged { present, .. } => self.requirements = present,
            Event::LoopChanged { state, task, reason, .. } => {
                self.loop_state = state;
                self.loop_reason = reason;
                if task.is_some() || matches!(state, LoopState::Finished | LoopState::Stopped | LoopState::Blocked) {
                    self.loop_task = task;
                }
            }
            Event::ReceiptIssued { receipt } => {
                if let ReceiptSubject::Task { task } = receipt.subject {
                    if let Some((_, records)) = self.task_log.as_mut().filter(|(t, _)| *t == task) {
                        records.push(Record::Receipt(receipt.clone()));
                    }
                    self.receipts.insert(task, receipt);
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug)]
pub struct ViewModel {
    pub connection: Connection,
    pub projects: Vec<Project>,
    /// Errors and warnings the user has not dismissed, newest last.
    pub notices: Vec<String>,
    /// The model servers found on this machine, once searched.
    pub local_servers: Option<Vec<LocalServerStatus>>,
    pub discovering: bool,
    pub project: Option<ProjectView>,
    /// A folder path typed to open a project (in Settings, the welcome, or where no dialog opens).
    pub folder_entry: PathEntry,
    /// Why the folder must be typed, while the window asking for it is shown.
    pub folder_prompt: Option<String>,
    /// The open project's chat.
    pub chat: ChatView,
    /// The open project's conversations.
    pub conversations: ConversationsView,
    /// The open project's ChangeSets to review and checkpoints.
    pub review: ReviewView,
    /// The open project's model requests.
    pub usage: UsageView,
    /// The open project's Drones.
    pub drones: DronesView,
    /// The open project's spec files, as read and as being edited.
    pub specs: SpecsView,
    /// The open project's memory entries.
    pub memory: MemoryView,
    /// The open project's tree of files.
    pub files: FilesView,
    /// The files open in viewer tabs.
    pub viewer: OpenFiles,
    /// The Git tab.
    pub git: GitView,
    /// The Search tab's query and results.
    pub search: SearchView,
    /// Theme and text size, as stored (or being changed in Settings).
    pub appearance: Appearance,
    /// Where each provider's key comes from.
    pub api_keys: Vec<ApiKeyStatus>,
    /// Keys being typed in Settings, until saved.
    pub key_drafts: KeyDrafts,
    /// Open the most recent project once the list of projects arrives (a start without `--open`).
    pub reopen_last: bool,
    /// Work orders the dev loop waits on, with the conversation each was written into: Tasks
    /// shows their card (the chat's own, so a decision in either place is one decision).
    pub awaiting_orders: Vec<(WorkOrderId, Option<SessionId>)>,
}

impl Default for ViewModel {
    fn default() -> Self {
        ViewModel {
            connection: Connection::Starting,
            projects: Vec::new(),
            notices: Vec::new(),
            local_servers: None,
            discovering: false,
            project: None,
            folder_entry: PathEntry::default(),
            folder_prompt: None,
            chat: ChatView::default(),
            conversations: ConversationsView::default(),
            review: ReviewView::default(),
            usage: UsageView::default(),
            drones: DronesView::default(),
            specs: SpecsView::default(),
            memory: MemoryView::default(),
            files: FilesView::default(),
            viewer: OpenFiles::default(),
            git: GitView::default(),
            search: SearchView::default(),
            reopen_last: false,
            awaiting_orders: Vec::new(),
            appearance: Appearance::default(),
            api_keys: Vec::new(),
            key_drafts: KeyDrafts::default(),
        }
    }
}

impl ViewModel {
    /// Keeps `awaiting_orders`: a proposal waits (unless autopilot approves it) until its decision
    /// is recorded or the loop ends.
    fn track_orders(&mut self, event: &Event) {
        let Some(open) = self.project.as_ref() else { return };
        let ours = |task: Option<TaskId>| task.is_none_or(|t| open.tasks.iter().any(|x| x.id == t));
        match event {
            Event::Recorded { session, record: Record::WorkOrder(order), .. } if ours(order.task) => {
                if order.status != WorkOrderStatus::Proposed {
                    self.awaiting_orders.retain(|(id, _)| *id != order.id);
                } else if let Some(waiting) = self.awaiting_orders.iter_mut().find(|(id, _)| *id == order.id) {
                    waiting.1 = Some(*session);
                } else if !open.loop_settings.autopilot {
                    self.awaiting_orders.push((order.id, Some(*session)));
                }
            }
            Event::WorkOrderProposed { work_order }
                if ours(work_order.task)
                    && !open.loop_settings.autopilot
                    && !self.awaiting_orders.iter().any(|(id, _)| *id == work_order.id) =>
            {
                self.awaiting_orders.push((work_order.id, None));
            }
            Event::LoopChanged { project, state, .. }
                if *project == open.project.id
                    && !matches!(state, LoopState::Running | LoopState::Pausing | LoopState::Paused) =>
            {
                self.awaiting_orders.clear();
            }
            Event::ProjectOpened { .. } => self.awaiting_orders.clear(),
            _ => {}
        }
    }

    /// Opens the project used last, or says why it cannot be (its folder was moved or deleted).
    fn reopen(&mut self, last: Option<&Project>, intents: &mut Intents) {
        let Some(last) = last else { return };
        if last.root.is_dir() {
            intents.send(Command::OpenProject { root: last.root.clone() });
        } else {
            self.notices.push(format!(
                "The last project, {}, is no longer at {}: open its folder where it is now, or another one.",
                last.name,
                last.root.display()
            ));
        }
    }

    /// Shows a conversation of the open project in the chat (a new, empty one for `None`) and makes
    /// it the one the engine writes the dev loop's cards into.
    pub fn open_conversation(&mut self, conversation: Option<&ConversationSummary>, intents: &mut Intents) {
        let Some(project) = self.project.as_ref().map(|p| p.project.id) else { return };
        let autopilot = self.chat.autopilot;
        self.chat = ChatView::open(project, conversation, intents);
        self.chat.autopilot = autopilot;
        if let Some(c) = conversation {
            intents.send(Command::OpenConversation { project, session: c.session });
        }
    }

    /// Applies an engine event; what it calls for (history to load, a message waiting for its
    /// session, a summoned Drone's tab) is pushed into `intents`.
    pub fn apply(&mut self, event: Event, intents: &mut Intents) {
        // A search's hits go to the Search tab alone, moved rather than copied.
        let event = match event {
            Event::SearchHits { project, search, hits } => return self.search.push_hits(project, search, hits),
            other => other,
        };
        self.chat.apply(&event, intents);
        self.conversations.apply(&event);
        self.track_orders(&event);
        self.review.apply(&event);
        self.usage.apply(&event);
        self.drones.apply(&event, intents);
        self.specs.apply(&event, intents);
        self.memory.apply(&event);
        self.files.apply(&event, intents);
        self.viewer.apply(&event, intents);
        self.git.apply(&event, intents);
        self.search.apply(&event);
        match event {
            Event::Welcome { app_version, data_dir, .. } => {
                self.connection = Connection::Ready { app_version, data_dir }
            }
            Event::Error { message, .. } | Event::StoreWarning { message } => self.notices.push(message),
            Event::Projects { projects } => {
                if std::mem::take(&mut self.reopen_last) && self.project.is_none() {
                    self.reopen(projects.first(), intents);
                }
                self.projects = projects;
            }
            Event::AppearanceChanged { appearance } => self.appearance = appearance,
            Event::ApiKeys { keys } => self.api_keys = keys,
            Event::ProjectOpened { snapshot } => {
                self.projects.retain(|p| p.id != snapshot.project.id);
                self.folder_entry = PathEntry::default();
                self.projects.insert(0, snapshot.project.clone());
                let receipts = snapshot
                    .receipts
                    .into_iter()
                    .filter_map(|r| match r.subject {
                        ReceiptSubject::Task { task } => Some((task, r)),
                        _ => None,
                    })
                    .collect();
                self.conversations = ConversationsView::open(snapshot.project.id, snapshot.conversations);
                let first = self.conversations.first(snapshot.current_conversation).cloned();
                self.chat = ChatView::open(snapshot.project.id, first.as_ref(), intents);
                self.chat.running = first.as_ref().is_some_and(|c| snapshot.running_turns.contains(&c.session));
                if let Some(first) = first.filter(|c| snapshot.current_conversation != Some(c.session)) {
                    let project = snapshot.project.id;
                    intents.send(Command::OpenConversation { project, session: first.session });
                }
                self.chat.autopilot = snapshot.loop_settings.autopilot;
                // Commands that were waiting before this surface connected ask again.
                for approval in &snapshot.pending_commands {
                    self.chat.apply(&Event::CommandApprovalRequested { approval: approval.clone() }, intents);
                }
                self.review = ReviewView::open(snapshot.pending_changesets, snapshot.applied_changes);
                self.usage = UsageView::open(snapshot.usage, &snapshot.sessions);
                self.drones = DronesView::open(snapshot.project.id, snapshot.drone_runs, intents);
                self.specs = SpecsView::open(
                    snapshot.project.id,
                    &snapshot.specs,
                    &snapshot.sessions,
                    snapshot.requirements,
                    intents,
                );
                self.memory = MemoryView::open(snapshot.project.id, snapshot.memory);
                self.search.stop(intents);
                self.search = SearchView::open(snapshot.project.id, self.search.options);
                let mut tasks = snapshot.tasks;
                let order: HashMap<_, _> = snapshot.specs.iter().map(|s| (s.id, s.order)).collect();
                tasks.sort_by_key(|t| (order.get(&t.spec).copied().unwrap_or(u32::MAX), t.order));
                self.project = Some(ProjectView {
                    project: snapshot.project,
                    detected_checks: snapshot.detected_checks,
                    check_draft: snapshot.check_overrides.clone(),
                    check_overrides: snapshot.check_overrides,
                    specs: snapshot.specs,
                    tasks,
                    loop_state: snapshot.loop_state,
                    loop_reason: None,
                    loop_task: None,
                    task_reasons: HashMap::new(),
                    receipts,
                    selected_task: None,
                    model_draft: snapshot.models.as_ref().map(|m| m.1.clone()).unwrap_or_else(blank_model),
                    models: snapshot.models,
                    loop_settings: snapshot.loop_settings,
                    approval_policy: snapshot.approval_policy,
                    sandbox_policy: snapshot.sandbox_policy,
                    mcp: Default::default(),
                    sandbox_problem: snapshot.sandbox_problem,
                    task_log: None,
                    task_log_asked: None,
                    connection_test: None,
                    requirements: snapshot.requirements,
                    getting_started_hidden: false,
                });
            }
            Event::ChecksChanged { project, .. }
            | Event::ModelsChanged { project, .. }
            | Event::LoopSettingsChanged { project, .. }
            | Event::ApprovalPolicyChanged { project, .. }
            | Event::SandboxPolicyChanged { project, .. }
            | Event::McpServers { project, .. }
            | Event::SpecsChanged { project, .. }
            | Event::LoopChanged { project, .. }
            | Event::RequirementsChanged { project, .. }
                if self.project.as_ref().is_some_and(|p| p.project.id == project) =>
            {
                if let Some(open) = self.project.as_mut() {
                    open.apply(event);
                }
            }
            Event::TaskChanged { .. }
            | Event::ReceiptIssued { .. }
            | Event::ConnectionTested { .. }
            | Event::TaskLog { .. } => {
                if let Some(open) = self.project.as_mut() {
                    open.apply(event);
                }
            }
            // A person summoned it (here, or with `/drone` in the chat): its tab comes forward.
            Event::DroneRunStarted { run }
                if run.trigger.is_none() && self.project.as_ref().is_some_and(|p| p.project.id == run.project) =>
            {
                self.drones.runs.select(&run.drone, None);
                intents.show(Tab::Drone(run.drone));
            }
            // The conversation on screen was deleted (here or elsewhere): the next one opens.
            Event::ConversationDeleted { session, .. } if self.chat.session == Some(session) => {
                let next = self.conversations.list.first().cloned();
                self.open_conversation(next.as_ref(), intents);
            }
            Event::LocalServers { servers } => {
                self.local_servers = Some(servers);
                self.discovering = false;
            }
            // The panels that show the rest arrive with their features.
            _ => {}
        }
    }
}
