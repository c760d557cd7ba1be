//! The one protocol between surfaces (desktop UI, Companion, CLI) and the engine: commands in,
//! events out, each inside a versioned envelope, JSON on the wire.
//!
//! Compatibility rule: within a protocol version, variants and fields are only ever added (new
//! fields with defaults). A client seeing an envelope with a newer version refuses it with a clear
//! message instead of misreading it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::domain::{
    ApprovalId, ApprovalPolicy, ChangeSet, ChangeSetId, Check, CommandApproval, CommandDecision, ContentHash, DroneId,
    DroneManifest, DroneRun, DroneSource, FileHits, HunkDecision, MemoryEntry, MemoryId, Project, ProjectId, Receipt,
    Record, RequestUsage, SandboxPolicy, SearchOptions, Session, SessionId, SessionKind, SkippedFile, Spec, Task,
    TaskId, TaskStatus, ToolCall, ToolCallId, Usage, WorkOrder, WorkOrderId,
};
use crate::llm::ProviderKind;

pub const PROTOCOL_VERSION: u32 = 1;

/// A command or event with the protocol version it was written in. `seq` numbers commands per client
/// (so errors can name the command) and events per engine (so a reconnecting client can ask for what
/// it missed, and drop what it already has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub v: u32,
    pub seq: u64,
    pub body: T,
}

impl<T> Envelope<T> {
    pub fn new(seq: u64, body: T) -> Self {
        Envelope { v: PROTOCOL_VERSION, seq, body }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("the message uses protocol version {found}, newer than this Aura speaks ({supported}): update Aura")]
    NewerVersion { found: u32, supported: u32 },
    #[error("the message is not valid Aura protocol JSON: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// Encodes an envelope as one line of JSON.
pub fn encode<T: Serialize>(envelope: &Envelope<T>) -> Result<String, ProtocolError> {
    Ok(serde_json::to_string(envelope)?)
}

/// Decodes an envelope, checking the version before the body so a newer peer gets the right error.
pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Envelope<T>, ProtocolError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        v: u32,
    }
    let VersionOnly { v } = serde_json::from_str(text)?;
    if v > PROTOCOL_VERSION {
        return Err(ProtocolError::NewerVersion { found: v, supported: PROTOCOL_VERSION });
    }
    Ok(serde_json::from_str(text)?)
}

/// Which surface is talking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    Desktop,
    Companion,
    Cli,
}

/// Controls for the autonomous dev loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopControl {
    Start,
    /// Stop at the next safe point (never mid-edit).
    Pause,
    Resume,
    Stop,
}

/// The user's decision on a proposed ChangeSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum ChangeSetDecision {
    AcceptAll,
    RejectAll,
    /// Per hunk: (file index, hunk index, decision); hunks not named are rejected.
    Hunks {
        hunks: Vec<(u32, u32, HunkDecision)>,
    },
}

/// What surfaces ask the engine to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// First command of every connection; answered by [`Event::Welcome`].
    Hello {
        surface: Surface,
        client: String,
    },
    ListProjects,
    /// Opens a project the engine already knows, by id (a Companion never names a path).
    SelectProject {
        project: ProjectId,
    },
    /// Opens (and registers, the first time) the workspace folder at `root`.
    OpenProject {
        root: PathBuf,
    },
    CreateSession {
        project: ProjectId,
        kind: SessionKind,
        title: String,
    },
    /// Records older than `before` (all if `None`), newest `limit` of them.
    LoadHistory {
        session: SessionId,
        before: Option<u64>,
        limit: u32,
    },
    /// Makes a chat the project's current conversation: it opens after a restart, and the dev
    /// loop's work orders and receipts are written into it.
    OpenConversation {
        project: ProjectId,
        session: SessionId,
    },
    /// Renames a conversation (every session of it); answered by [`Event::ConversationChanged`].
    RenameConversation {
        session: SessionId,
        title: String,
    },
    /// Deletes a conversation, its sessions and their records; refused while it has a turn running.
    DeleteConversation {
        session: SessionId,
    },
    /// The project's conversations whose messages hold `query` (any case); answered by
    /// [`Event::ConversationMatches`].
    SearchConversations {
        project: ProjectId,
        query: String,
    },
    /// Queued to the next turn boundary if a turn is running.
    SendMessage {
        session: SessionId,
        text: String,
    },
    StopTurn {
        session: SessionId,
    },
    DecideChangeSet {
        changeset: ChangeSetId,
        decision: ChangeSetDecision,
        comment: Option<String>,
    },
    /// Undo an applied ChangeSet. Files edited by hand since are left alone unless named in
    /// `overwrite`.
    UndoChangeSet {
        changeset: ChangeSetId,
        #[serde(default)]
        overwrite: Vec<String>,
    },
    /// Put the workspace back to before `changeset`: it and every change applied after it are undone.
    RestoreCheckpoint {
        changeset: ChangeSetId,
        #[serde(default)]
        overwrite: Vec<String>,
    },
    Loop {
        project: ProjectId,
        control: LoopControl,
    },
    RetryTask {
        task: TaskId,
    },
    /// Summons the project's Drone named `drone` with `goal`; answered by [`Event::DroneRunStarted`]
    /// and, when it ends, [`Event::DroneRunFinished`].
    RunDrone {
        project: ProjectId,
        drone: String,
        goal: String,
    },
    /// Stops a Drone run at its next safe point; it still ends with a receipt.
    StopDrone {
        run: DroneId,
    },
    /// Look for model servers on this machine's usual ports; answered by [`Event::LocalServers`].
    DiscoverLocalServers,
    /// Write specs from `requirements.md`; existing spec files are changed only through review.
    GenerateSpecs {
        project: ProjectId,
    },
    /// Read the spec files into tasks; problems are answered by [`Event::TaskListInvalid`].
    SyncTasks {
        project: ProjectId,
    },
    DecideWorkOrder {
        work_order: WorkOrderId,
        decision: WorkOrderDecision,
    },
    /// The user's answer to a command waiting for approval.
    DecideCommand {
        approval: ApprovalId,
        decision: CommandDecision,
    },
    /// The project's MCP servers, their state and tools (starts the enabled ones to list them);
    /// answered by [`Event::McpServers`].
    ListMcpServers {
        project: ProjectId,
    },
    /// Adds a server to the user's own list (every project): `target` is a command line or an http(s) URL.
    AddMcpServer {
        project: ProjectId,
        name: String,
        target: String,
    },
    /// Removes a server from the user's own list.
    RemoveMcpServer {
        project: ProjectId,
        name: String,
    },
    /// Switches a server, or one tool of it (`tool`: its qualified name), on or off for a project.
    SwitchMcp {
        project: ProjectId,
        server: String,
        #[serde(default)]
        tool: Option<String>,
        enabled: bool,
    },
    /// The sandbox policy of a project's commands (stored per project).
    SetSandboxPolicy {
        project: ProjectId,
        policy: SandboxPolicy,
    },
    /// How the project's dev loop runs (stored per project).
    SetLoopSettings {
        project: ProjectId,
        settings: LoopSettings,
    },
    /// The models the dev loop's Planner and Worker use (stored per project).
    SetModels {
        project: ProjectId,
        planner: ModelChoice,
        worker: ModelChoice,
    },
    /// Stop an in-progress task at the next safe point and mark it blocked.
    BlockTask {
        task: TaskId,
        reason: String,
    },
    /// The user's answer to a task blocked on a question; the task becomes ready again with it.
    AnswerBlocked {
        task: TaskId,
        text: String,
    },
    /// The project's own validation checks, which replace the detected ones (empty: detect again).
    SetChecks {
        project: ProjectId,
        checks: Vec<Check>,
    },
    SaveMemory {
        project: ProjectId,
        text: String,
        tags: Vec<String>,
    },
    DeleteMemory {
        memory: MemoryId,
    },
    PinMemory {
        memory: MemoryId,
        pinned: bool,
    },
    /// Who decides on the project's ChangeSets: the user, the approval policy, or nobody (read-only).
    SetApprovalPolicy {
        project: ProjectId,
        policy: ApprovalPolicy,
    },
    /// Sends a one-line request to `choice` and answers with [`Event::ConnectionTested`].
    TestConnection {
        choice: ModelChoice,
    },
    /// The project's Drones and manifest errors; answered by [`Event::DroneList`].
    ListDrones {
        project: ProjectId,
    },
    /// Writes `.aura/drones/NAME.toml` from `manifest` (applied as the user's own change, undoable in
    /// Review), then answers with the project's [`Event::DroneList`].
    SaveDroneManifest {
        project: ProjectId,
        manifest: DroneManifest,
    },
    /// A task's log: its status changes, work orders and receipts, oldest first; answered by
    /// [`Event::TaskLog`].
    LoadTaskLog {
        project: ProjectId,
        task: TaskId,
    },
    /// Saves (or with `None` removes) the API key for `env` (`ANTHROPIC_API_KEY`, `DEEPSEEK_API_KEY`,
    /// `OPENAI_API_KEY`), used before the environment's. Answered by [`Event::ApiKeys`]; no event
    /// ever carries a key.
    SetApiKey {
        env: String,
        key: Option<String>,
    },
    /// The desktop's theme and text size (stored for the next start).
    SetAppearance {
        appearance: Appearance,
    },
    /// Answered by [`Event::MemoryResults`].
    SearchMemory {
        project: ProjectId,
        query: String,
        limit: u32,
    },
    /// Searches the project's files for `query` (files `.gitignore` leaves out, hidden, binary and
    /// very large ones are not searched). `search` is the client's own id for it, named by every
    /// answer: [`Event::SearchHits`] per file as found, then one [`Event::SearchFinished`]. A new
    /// search from the same client stops its previous one.
    SearchWorkspace {
        project: ProjectId,
        search: u64,
        query: String,
        options: SearchOptions,
    },
    /// Stops a running search of this client's; it still ends with [`Event::SearchFinished`].
    CancelSearch {
        search: u64,
    },
    /// Stores the desktop's layout (its docks and windows, in the desktop's own format), given back
    /// in [`Event::Welcome`] to the next desktop that says hello.
    SaveLayout {
        layout: serde_json::Value,
    },
    /// Writes a starter `requirements.md` at the project's root, only if there is none; answered by
    /// [`Event::RequirementsChanged`].
    WriteRequirements {
        project: ProjectId,
    },
    /// One folder of the workspace (`""` for the root), for the Files tab: answered by
    /// [`Event::FolderListed`]. Ignore files are honoured and the git folder is left out.
    ListFolder {
        project: ProjectId,
        path: String,
    },
    /// The workspace files whose path contains every word of `query` (case-insensitive), at most
    /// `limit`: answered by [`Event::FilesFound`].
    FindFiles {
        project: ProjectId,
        query: String,
        limit: u32,
    },
    /// A workspace file for the viewer: answered by [`Event::FileRead`], whatever it holds.
    ReadFile {
        project: ProjectId,
        path: String,
    },
    /// Saves the user's text of a workspace file as an applied change with a checkpoint (Review
    /// can undo it), answered by [`Event::FileRead`] with the text now on disk. `expected_hash` is
    /// the hash the edit started from: when the file changed since, nothing is written and
    /// [`Event::FileFailed`] says so with `stale`; `None` overwrites.
    SaveFile {
        project: ProjectId,
        path: String,
        text: String,
        expected_hash: Option<ContentHash>,
    },
    /// The text of a spec file (`specs/NAME.md`); answered by [`Event::SpecText`], or
    /// [`Event::SpecFailed`] when it cannot be read.
    ReadSpec {
        project: ProjectId,
        path: String,
    },
    /// Saves the user's text of a spec file (`specs/NAME.md` only) as an applied change with a
    /// checkpoint, then reads the specs into tasks again ([`Event::SpecsChanged`], or
    /// [`Event::TaskListInvalid`] with each problem's file and line). `expected_hash` is the hash of
    /// the text the edit started from: if the file changed on disk since, nothing is written and
    /// [`Event::SpecFailed`] says so; `None` overwrites whatever is there.
    SaveSpec {
        project: ProjectId,
        path: String,
        text: String,
        expected_hash: Option<ContentHash>,
    },
    // Git
    /// The workspace's git status; answered by [`Event::GitStatusChanged`].
    GitStatus {
        project: ProjectId,
    },
    /// One file's change, staged (HEAD to index) or not (index to work tree); answered by
    /// [`Event::GitDiff`], or [`Event::GitFailed`].
    GitDiff {
        project: ProjectId,
        path: String,
        staged: bool,
    },
    /// `git add` of workspace-relative paths, then the new status.
    GitStage {
        project: ProjectId,
        paths: Vec<String>,
    },
    /// Puts the paths' index entries back to HEAD's (the files are untouched), then the new status.
    GitUnstage {
        project: ProjectId,
        paths: Vec<String>,
    },
    /// Commits what is staged with the user's hooks; answered by [`Event::GitCommitted`] and the
    /// new status. Never pushes.
    GitCommit {
        project: ProjectId,
        message: String,
    },
    /// `git init` in a workspace that is not a repository yet, then the new status.
    GitInit {
        project: ProjectId,
    },
}

/// Where a cloud provider's API key comes from; the key itself never leaves the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyStatus {
    pub provider: String,
    pub env: String,
    pub source: KeySource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Typed in Settings (used first).
    Settings,
    /// From the environment variable.
    Environment,
    Missing,
}

/// How the desktop looks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Appearance {
    pub dark: bool,
    /// The body text size in points (the other text styles scale with it).
    pub font_size: f32,
}

impl Default for Appearance {
    fn default() -> Self {
        Appearance { dark: true, font_size: 12.5 }
    }
}

/// How a project's dev loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoopSettings {
    /// Work orders are approved as proposed and clean ChangeSets applied at once.
    pub autopilot: bool,
    /// Attempts a task gets before it stays failed.
    pub max_attempts: u32,
    pub rotation_enabled: bool,
    /// Share of the model's window past which a session rotates at the next task boundary.
    pub rotation_threshold: f64,
    /// Seconds each validation command may run.
    pub check_timeout_secs: u64,
    /// Drones run on their triggers (after a finished task, after an applied ChangeSet). Off until
    /// the user turns it on: triggered runs spend tokens without being asked each time.
    pub drone_triggers: bool,
    /// A verified task's accepted changes (and a Drone's merged ones) are committed in a git
    /// workspace. On by default; `aura run --no-commit` turns it off for a run.
    pub commit_per_task: bool,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            autopilot: false,
            max_attempts: 3,
            rotation_enabled: true,
            rotation_threshold: 0.80,
            check_timeout_secs: 600,
            drone_triggers: false,
            commit_per_task: true,
        }
    }
}

/// The user's decision on a Planner's work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum WorkOrderDecision {
    Approve,
    /// Approve the order as the user edited it.
    ApproveEdited {
        work_order: WorkOrder,
    },
    Reject {
        reason: String,
    },
}

/// A provider, where it is, and the model to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelChoice {
    pub provider: ProviderKind,
    pub base_url: Option<String>,
    pub model: String,
    /// The context window, for models the catalog does not know.
    #[serde(default)]
    pub context_window: Option<u64>,
}

impl Command {
    /// The command's wire name (`send_message`), for messages about it.
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// Where the dev loop of a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopState {
    Idle,
    Running,
    Pausing,
    Paused,
    Stopped,
    /// Waiting on the user: a question, a rejected order, an invalid task list, or no task can run.
    Blocked,
    /// Every task is done.
    Finished,
}

/// Everything a surface needs to draw a project after opening it or reconnecting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSnapshot {
    pub project: Project,
    pub specs: Vec<Spec>,
    pub tasks: Vec<Task>,
    pub sessions: Vec<Session>,
    pub loop_state: LoopState,
    /// ChangeSets waiting for the user's decision.
    #[serde(default)]
    pub pending_changesets: Vec<ChangeSet>,
    /// The checks found in the workspace.
    #[serde(default)]
    pub detected_checks: Vec<Check>,
    /// The user's own checks, which replace the detected ones when not empty.
    #[serde(default)]
    pub check_overrides: Vec<Check>,
    /// The newest receipt of each task that has one.
    #[serde(default)]
    pub receipts: Vec<Receipt>,
    /// The Planner's and the Worker's models, once chosen.
    #[serde(default)]
    pub models: Option<(ModelChoice, ModelChoice)>,
    #[serde(default)]
    pub loop_settings: LoopSettings,
    /// Whether the workspace has a `requirements.md` at its root.
    #[serde(default)]
    pub requirements: bool,
    /// Applied ChangeSets that can still be undone (their checkpoints), oldest first.
    #[serde(default)]
    pub applied_changes: Vec<AppliedChange>,
    /// Every model request of the project's sessions, oldest first.
    #[serde(default)]
    pub usage: Vec<RequestUsage>,
    #[serde(default)]
    pub approval_policy: ApprovalPolicy,
    /// The project's memory entries, oldest first.
    #[serde(default)]
    pub memory: Vec<MemoryEntry>,
    /// The project's Drone runs, oldest first.
    #[serde(default)]
    pub drone_runs: Vec<DroneRun>,
    /// Commands waiting for the user's approval.
    #[serde(default)]
    pub pending_commands: Vec<CommandApproval>,
    #[serde(default)]
    pub sandbox_policy: SandboxPolicy,
    /// Why commands cannot be sandboxed on this machine, when they cannot.
    #[serde(default)]
    pub sandbox_problem: Option<String>,
    /// The project's chats, newest activity first.
    #[serde(default)]
    pub conversations: Vec<ConversationSummary>,
    /// The newest session of the conversation the user had open last.
    #[serde(default)]
    pub current_conversation: Option<SessionId>,
    /// Conversations (by their newest session) with a turn running now.
    #[serde(default)]
    pub running_turns: Vec<SessionId>,
}

/// A chat as the conversation list shows it. A conversation is a chain of sessions: each context
/// rotation continues it in a new session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    /// Its newest session: where a message goes.
    pub session: SessionId,
    /// Every session of it, newest first.
    pub sessions: Vec<SessionId>,
    pub title: String,
    pub created_at: u64,
    /// When its last message was written (its creation while it has none).
    pub last_at: u64,
    /// The start of its last message, on one line.
    pub last_message: String,
    /// Tokens in and out of every model request it made.
    pub tokens: u64,
    /// What those requests cost, when every price was known.
    pub cost_usd: Option<f64>,
}

impl ConversationSummary {
    /// The line of a conversation that has one session and nothing in it yet.
    pub fn fresh(session: &Session) -> Self {
        ConversationSummary {
            session: session.id,
            sessions: vec![session.id],
            title: session.title.clone(),
            created_at: session.created_at,
            last_at: session.created_at,
            last_message: String::new(),
            tokens: 0,
            cost_usd: None,
        }
    }
}

/// A conversation holding a searched text, with the line around its first match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationHit {
    pub session: SessionId,
    pub title: String,
    pub snippet: String,
}

/// An MCP server as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerView {
    pub name: String,
    pub enabled: bool,
    /// not started, starting, running, failed, off.
    pub state: String,
    /// Why it failed, and what to do.
    pub problem: Option<String>,
    pub tools: Vec<McpToolView>,
    /// Tools left out because no provider would accept their schemas, with why.
    pub skipped: Vec<String>,
    /// Its log file (stderr of a stdio server, and Aura's notes).
    pub log: String,
    /// The log's last lines.
    #[serde(default)]
    pub log_tail: String,
    /// From the user's own list (removable in Settings), not the workspace's `.mcp.json`.
    #[serde(default)]
    pub yours: bool,
    /// Its resources (`name  uri`) and prompts, where it has them.
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub prompts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpToolView {
    pub qualified: String,
    pub name: String,
    pub description: String,
    pub read_only: bool,
    pub enabled: bool,
}

/// An applied ChangeSet as a checkpoint: what it was for and the files it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedChange {
    pub changeset: ChangeSetId,
    pub title: String,
    pub files: Vec<String>,
    pub at: u64,
}

/// What the engine tells surfaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    Welcome {
        protocol_version: u32,
        app_version: String,
        data_dir: PathBuf,
        /// The layout the desktop saved last (only a desktop is sent one).
        #[serde(default)]
        layout: Option<serde_json::Value>,
        /// Made anew at each engine start: a surface resuming with the same epoch missed only the
        /// events after its last `seq`; with another, the engine restarted and it starts afresh.
        #[serde(default)]
        epoch: u64,
    },
    /// A command failed; `command` is the failed command's envelope `seq`. The message says what to do.
    Error {
        command: Option<u64>,
        message: String,
    },
    /// Something stored could not be read and was skipped.
    StoreWarning {
        message: String,
    },
    Projects {
        projects: Vec<Project>,
    },
    ProjectOpened {
        /// Boxed: it is far larger than any other event (serde reads and writes it the same).
        snapshot: Box<ProjectSnapshot>,
    },
    SessionCreated {
        session: Session,
    },
    /// A conversation was started, renamed or had a turn: its line in the list, new or updated.
    ConversationChanged {
        project: ProjectId,
        conversation: ConversationSummary,
    },
    /// A conversation and its sessions were deleted (`session` is its newest).
    ConversationDeleted {
        project: ProjectId,
        session: SessionId,
    },
    ConversationMatches {
        project: ProjectId,
        query: String,
        hits: Vec<ConversationHit>,
    },
    History {
        session: SessionId,
        records: Vec<(u64, Record)>,
        complete: bool,
    },
    /// A record was appended to a session's log (a finished message, a transition, a receipt...).
    Recorded {
        session: SessionId,
        seq: u64,
        record: Record,
    },
    TextDelta {
        session: SessionId,
        text: String,
    },
    ReasoningDelta {
        session: SessionId,
        text: String,
    },
    ToolCallStarted {
        session: SessionId,
        call: ToolCall,
    },
    ToolCallFinished {
        session: SessionId,
        call: ToolCallId,
        is_error: bool,
        summary: String,
    },
    /// One model reply of a turn ended, with what it cost.
    TurnFinished {
        session: SessionId,
        usage: Usage,
    },
    /// A model request of one of the project's sessions was counted.
    UsageRecorded {
        project: ProjectId,
        entry: RequestUsage,
    },
    /// The project's Drones (built-in and its own) and each manifest that could not be read.
    DroneList {
        project: ProjectId,
        drones: Vec<(DroneManifest, DroneSource)>,
        /// `file:line:column: reason`.
        errors: Vec<String>,
    },
    /// A Drone run began (its conversation streams under `run.session`).
    DroneRunStarted {
        run: DroneRun,
    },
    /// A Drone run ended; `run.receipt` says how. A writer's ChangeSet is in Review by now.
    DroneRunFinished {
        run: DroneRun,
    },
    /// A writer's worktree and branch are gone: its ChangeSet was merged or discarded.
    DroneWorktreeRemoved {
        run: DroneId,
    },
    /// What happened to a task, from the project's log (transitions, work orders, receipts).
    TaskLog {
        task: TaskId,
        records: Vec<Record>,
    },
    /// Where each cloud provider's key comes from (after a desktop's `Hello` and each change).
    ApiKeys {
        keys: Vec<ApiKeyStatus>,
    },
    ApprovalPolicyChanged {
        project: ProjectId,
        policy: ApprovalPolicy,
    },
    /// What a test request to a model answered: `ok` with how long it took, or what went wrong and
    /// what to do.
    ConnectionTested {
        choice: ModelChoice,
        ok: bool,
        message: String,
    },
    /// The desktop's appearance, after `Hello` (when one was stored) and after each change.
    AppearanceChanged {
        appearance: Appearance,
    },
    /// A chat session started or finished working (its queued messages included).
    TurnRunning {
        session: SessionId,
        running: bool,
    },
    TaskChanged {
        task: TaskId,
        from: TaskStatus,
        to: TaskStatus,
        /// Why a task failed or is blocked.
        #[serde(default)]
        reason: Option<String>,
        /// Attempts counted so far (an interrupted attempt is taken back).
        #[serde(default)]
        attempts: u32,
    },
    LoopChanged {
        project: ProjectId,
        state: LoopState,
        /// The task the loop is on, when it is on one.
        #[serde(default)]
        task: Option<TaskId>,
        #[serde(default)]
        reason: Option<String>,
    },
    WorkOrderProposed {
        work_order: WorkOrder,
    },
    /// A command waits for the user: allow once, allow for the session, or deny.
    CommandApprovalRequested {
        approval: CommandApproval,
    },
    /// A waiting command was answered (by whichever surface answered first).
    CommandDecided {
        approval: ApprovalId,
        project: ProjectId,
        decision: CommandDecision,
    },
    McpServers {
        project: ProjectId,
        servers: Vec<McpServerView>,
        /// Problems in `.mcp.json` or the user's list: file, line and reason.
        problems: Vec<String>,
    },
    SandboxPolicyChanged {
        project: ProjectId,
        policy: SandboxPolicy,
        /// Why commands cannot be sandboxed on this machine, when they cannot.
        #[serde(default)]
        problem: Option<String>,
    },
    /// Spec files were written or read again; `specs` and `tasks` are the project's whole lists.
    SpecsChanged {
        project: ProjectId,
        specs: Vec<Spec>,
        tasks: Vec<Task>,
    },
    /// The task list cannot become a graph; each problem names the file and line.
    TaskListInvalid {
        project: ProjectId,
        problems: Vec<String>,
    },
    /// Messages waiting for the running turn to end.
    QueueChanged {
        session: SessionId,
        queued: Vec<String>,
    },
    ContextUse {
        session: SessionId,
        used: u64,
        window: u64,
    },
    /// A session ran out of room and continues as `to`, which starts from a summary.
    SessionRotated {
        from: SessionId,
        to: Session,
    },
    /// Old tool results of a session were shortened (tier 1 or 2).
    Compacted {
        session: SessionId,
        tier: u8,
    },
    MemoryChanged {
        entry: MemoryEntry,
        deleted: bool,
    },
    ChecksChanged {
        project: ProjectId,
        overrides: Vec<Check>,
    },
    ModelsChanged {
        project: ProjectId,
        planner: ModelChoice,
        worker: ModelChoice,
    },
    LoopSettingsChanged {
        project: ProjectId,
        settings: LoopSettings,
    },
    MemoryResults {
        project: ProjectId,
        query: String,
        entries: Vec<MemoryEntry>,
    },
    /// One file's matches for [`Command::SearchWorkspace`], sent as soon as the file is searched.
    SearchHits {
        project: ProjectId,
        search: u64,
        hits: FileHits,
    },
    /// A search is over: `matches` matching lines in `files` files (`truncated`: the cap was
    /// reached). `error` says why it found nothing (an invalid regex) or that it was stopped.
    SearchFinished {
        search: u64,
        files: u32,
        matches: u32,
        truncated: bool,
        elapsed_ms: u64,
        error: Option<String>,
        /// Binary files left out.
        #[serde(default)]
        binary_files: u32,
        /// Files not searched (too large, unreadable), the first of them named.
        #[serde(default)]
        skipped: Vec<SkippedFile>,
    },
    ChangeSetProposed {
        changeset: ChangeSet,
    },
    /// The user's decision was carried out: `applied` lists the files written (none if rejected).
    ChangeSetDecided {
        changeset: ChangeSet,
        applied: Vec<String>,
    },
    ChangeSetUndone {
        changeset: ChangeSetId,
        restored: Vec<String>,
        /// Edited by hand since the change, so left as they are.
        hand_edited: Vec<String>,
        /// Every ChangeSet undone: `changeset`, and for a restore those applied after it.
        #[serde(default)]
        undone: Vec<ChangeSetId>,
    },
    ReceiptIssued {
        receipt: Receipt,
    },
    LocalServers {
        servers: Vec<LocalServerStatus>,
    },
    /// The project's `requirements.md` was written, or found already there.
    RequirementsChanged {
        project: ProjectId,
        present: bool,
    },
    /// One folder's entries, for [`Command::ListFolder`].
    FolderListed {
        project: ProjectId,
        listing: FolderListing,
    },
    /// The paths matching a [`Command::FindFiles`] query, best first; `total` counts every match.
    FilesFound {
        project: ProjectId,
        query: String,
        paths: Vec<String>,
        total: u32,
    },
    /// A file as the viewer shows it: read for [`Command::ReadFile`], or just saved.
    FileRead {
        project: ProjectId,
        file: FileContent,
    },
    /// A file could not be saved; the message says what to do. `stale`: refused because the file
    /// changed on disk since the text the edit started from.
    FileFailed {
        project: ProjectId,
        path: String,
        message: String,
        stale: bool,
    },
    /// Files of the workspace changed on disk (created, written, removed, renamed): the folders
    /// and open files among `paths` are read again. `all`: too many to name (a build wrote a whole
    /// tree), so everything shown is read again.
    FilesChanged {
        project: ProjectId,
        paths: Vec<String>,
        all: bool,
    },
    /// A spec file's text as it is on disk: read for [`Command::ReadSpec`], or just saved.
    SpecText {
        project: ProjectId,
        path: String,
        text: String,
        hash: ContentHash,
    },
    /// A spec file could not be read or saved; the message says what to do. `stale`: the save was
    /// refused because the file changed on disk since the text the edit started from.
    SpecFailed {
        project: ProjectId,
        path: String,
        message: String,
        stale: bool,
    },
    // Git
    /// The workspace's git status (asked for, or after a stage, commit, init or a task's commit).
    GitStatusChanged {
        project: ProjectId,
        status: GitReport,
    },
    /// One file's change, for the Git tab's diff view.
    GitDiff {
        project: ProjectId,
        diff: GitFileDiff,
    },
    /// A commit was made: from the Git tab, or of a finished task or Drone run.
    GitCommitted {
        project: ProjectId,
        commit: GitCommitInfo,
    },
    /// A git action failed; the message says what to do.
    GitFailed {
        project: ProjectId,
        message: String,
    },
}

/// The workspace's repository as the Git tab shows it, or why there is none to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitReport {
    /// `None` when `problem` says why there is no status.
    pub status: Option<crate::domain::GitStatus>,
    pub problem: Option<GitProblem>,
}

/// Why a workspace has no git status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GitProblem {
    /// Not a repository: the Git tab offers `git init`; commits per task are off.
    NotARepo,
    /// The `git` command is not installed.
    GitMissing,
    Failed {
        message: String,
    },
}

/// One file's change as the Git tab's diff view draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitFileDiff {
    pub path: String,
    pub staged: bool,
    pub change: crate::domain::FileChange,
}

/// A commit Aura made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitCommitInfo {
    /// Short hash.
    pub hash: String,
    pub branch: String,
    /// The message's first line.
    pub title: String,
}

/// One folder of the workspace as the Files tab shows it: folders first, then files, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderListing {
    /// Relative to the workspace root, `/`-separated; `""` is the root.
    pub path: String,
    pub entries: Vec<FolderEntry>,
    /// Why the folder could not be read (it was removed, or is not readable); no entries then.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderEntry {
    pub name: String,
    pub dir: bool,
    /// In bytes; 0 for folders.
    pub size: u64,
}

/// A workspace file as read for the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileContent {
    pub path: String,
    pub body: FileBody,
}

/// What a file holds, as far as the viewer can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileBody {
    /// Text. `lossy`: bytes that are not UTF-8 were replaced, so it is shown read-only (saving
    /// it would change them). `hash` is of the bytes on disk.
    Text { text: String, hash: ContentHash, lossy: bool },
    /// Not text (a NUL byte near the start): only its size is shown.
    Binary { size: u64 },
    /// Larger than the viewer opens.
    TooLarge { size: u64, limit: u64 },
    /// Not on disk (deleted or renamed since it was named).
    Missing,
    /// Refused or unreadable; the reason says why.
    Unreadable { reason: String },
}

/// What discovery found on one local port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalServerStatus {
    pub name: String,
    pub base_url: String,
    /// The models it serves, when it answered as a model server.
    pub models: Option<Vec<String>>,
    /// Why it is not usable, when it is not ("not running", or what answered instead).
    pub problem: Option<String>,
}

impl LocalServerStatus {
    /// The choice that talks to `model` on this server (Ollama natively, the rest as OpenAI-compatible).
    pub fn choice(&self, model: &str) -> ModelChoice {
        let provider = if self.name == "Ollama" { ProviderKind::Ollama } else { ProviderKind::Openai };
        ModelChoice { provider, base_url: Some(self.base_url.clone()), model: model.to_string(), context_window: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ChangeSetStatus, FileChange, FileChangeKind, Hunk, Message, MessagePart, ReceiptId, ReceiptSubject, Role,
        SpecId, Verdict,
    };
    use std::fmt::Debug;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + Debug>(body: T) {
        let envelope = Envelope::new(7, body);
        let text = encode(&envelope).unwrap();
        let back: Envelope<T> = decode(&text).unwrap();
        assert_eq!(back, envelope, "{text}");
    }

    fn sample_project() -> Project {
        Project::new("aura", "/work/aura")
    }

    fn sample_changeset() -> ChangeSet {
        let mut cs = ChangeSet::new(
            Some(SessionId::new()),
            "rename",
            vec![FileChange {
                path: "src/lib.rs".into(),
                kind: FileChangeKind::Move { from: "src/old.rs".into() },
                before: Some("a\n".into()),
                after: Some("b\n".into()),
                before_hash: Some(ContentHash::of(b"a\n")),
                hunks: vec![Hunk {
                    old_start: 1,
                    old_lines: 1,
                    new_start: 1,
                    new_lines: 1,
                    decision: HunkDecision::Accepted,
                }],
            }],
        );
        cs.status = ChangeSetStatus::PartlyApplied;
        cs.comment = Some("keep the old name in docs".into());
        cs
    }

    fn sample_conversation() -> ConversationSummary {
        let session = SessionId::new();
        ConversationSummary {
            session,
            sessions: vec![session, SessionId::new()],
            title: "Fix the parser".into(),
            created_at: 1,
            last_at: 9,
            last_message: "Done: the parser keeps CRLF.".into(),
            tokens: 12_345,
            cost_usd: Some(0.0123),
        }
    }

    fn sample_approval() -> CommandApproval {
        CommandApproval {
            id: ApprovalId::new(),
            project: ProjectId::new(),
            session: SessionId::new(),
            command: "cargo build".into(),
            reason: "it asks for network access".into(),
            network: true,
            policy: SandboxPolicy::WorkspaceWrite,
            asked_at: 5,
        }
    }

    fn sample_run() -> DroneRun {
        DroneRun {
            id: DroneId::new(),
            project: ProjectId::new(),
            drone: "tests".into(),
            goal: "cover the parser".into(),
            session: SessionId::new(),
            isolation: crate::domain::Isolation::Worktree {
                path: "/data/worktrees/p/r".into(),
                branch: "aura/drone/tests/r".into(),
            },
            trigger: Some(crate::domain::Trigger::AfterTaskFinished),
            started_at: 1,
            receipt: None,
        }
    }

    fn sample_receipt() -> Receipt {
        Receipt {
            id: ReceiptId::new(),
            subject: ReceiptSubject::Task { task: TaskId::new() },
            asked: "make it work".into(),
            changesets: vec![ChangeSetId::new()],
            files_changed: vec!["src/lib.rs".into()],
            commands: vec![crate::domain::CommandRun {
                command: "cargo test".into(),
                outcome: crate::domain::OutcomeClass::ProductFailure,
                passed: Some(39),
                failed: Some(2),
                failing_tests: vec!["store::tests::grows".into()],
                duration_ms: 1234,
            }],
            craft_findings: vec![crate::domain::CraftFinding {
                path: "src/lib.rs".into(),
                line: Some(3),
                hunk: Some(0),
                rule: "stub".into(),
                message: "a stub macro left in the code".into(),
                fix: "write the body".into(),
            }],
            usage: Usage {
                input_tokens: 10,
                cached_input_tokens: 90,
                output_tokens: 5,
                cache_write_tokens: 0,
                cost_usd: Some(0.01),
            },
            verdict: Verdict::Failed,
            summary: "2 tests fail".into(),
            created_at: 1,
            commit: Some(crate::domain::CommitOutcome::Committed { hash: "abc1234".into(), branch: "main".into() }),
        }
    }

    #[test]
    fn every_command_round_trips() {
        let session = SessionId::new();
        let commands = vec![
            Command::Hello { surface: Surface::Companion, client: "phone".into() },
            Command::ListProjects,
            Command::OpenProject { root: "/work/aura".into() },
            Command::CreateSession {
                project: ProjectId::new(),
                kind: SessionKind::Worker { task: Some(TaskId::new()) },
                title: "w".into(),
            },
            Command::LoadHistory { session, before: Some(10), limit: 200 },
            Command::SendMessage { session, text: "hello\nworld ✓".into() },
            Command::OpenConversation { project: ProjectId::new(), session },
            Command::RenameConversation { session, title: "Parser work".into() },
            Command::DeleteConversation { session },
            Command::SearchConversations { project: ProjectId::new(), query: "parser".into() },
            Command::StopTurn { session },
            Command::DecideChangeSet {
                changeset: ChangeSetId::new(),
                decision: ChangeSetDecision::AcceptAll,
                comment: None,
            },
            Command::DecideChangeSet {
                changeset: ChangeSetId::new(),
                decision: ChangeSetDecision::Hunks { hunks: vec![(0, 1, HunkDecision::Rejected)] },
                comment: Some("no".into()),
            },
            Command::DecideChangeSet {
                changeset: ChangeSetId::new(),
                decision: ChangeSetDecision::RejectAll,
                comment: None,
            },
            Command::UndoChangeSet { changeset: ChangeSetId::new(), overwrite: vec!["README.md".into()] },
            Command::RestoreCheckpoint { changeset: ChangeSetId::new(), overwrite: vec![] },
            Command::Loop { project: ProjectId::new(), control: LoopControl::Pause },
            Command::RetryTask { task: TaskId::new() },
            Command::RunDrone {
                project: ProjectId::new(),
                drone: "review".into(),
                goal: "review the last task".into(),
            },
            Command::StopDrone { run: DroneId::new() },
            Command::DecideCommand { approval: ApprovalId::new(), decision: CommandDecision::AllowForSession },
            Command::SetSandboxPolicy { project: ProjectId::new(), policy: SandboxPolicy::WorkspaceWriteNetwork },
            Command::ListMcpServers { project: ProjectId::new() },
            Command::AddMcpServer {
                project: ProjectId::new(),
                name: "time".into(),
                target: "uvx mcp-server-time".into(),
            },
            Command::RemoveMcpServer { project: ProjectId::new(), name: "time".into() },
            Command::SwitchMcp {
                project: ProjectId::new(),
                server: "git".into(),
                tool: Some("git__git_commit".into()),
                enabled: false,
            },
            Command::DiscoverLocalServers,
            Command::SelectProject { project: ProjectId::new() },
            Command::SaveLayout { layout: serde_json::json!({"main": {"pane": {"kind": "tabs", "tabs": ["Chat"]}}}) },
            Command::WriteRequirements { project: ProjectId::new() },
            Command::SetApiKey { env: "OPENAI_API_KEY".into(), key: None },
            Command::LoadTaskLog { project: ProjectId::new(), task: TaskId::new() },
            Command::ListDrones { project: ProjectId::new() },
            Command::SaveDroneManifest {
                project: ProjectId::new(),
                manifest: crate::domain::DroneManifest {
                    sandbox: None,
                    mcp_servers: None,
                    name: "api-docs".into(),
                    role: "documentation".into(),
                    instructions: "Keep docs in step.".into(),
                    model: None,
                    tool_policy: crate::domain::ToolPolicy::ReadOnly,
                    triggers: vec![crate::domain::Trigger::AfterTaskFinished],
                    budget: Default::default(),
                },
            },
            Command::ListFolder { project: ProjectId::new(), path: "src".into() },
            Command::FindFiles { project: ProjectId::new(), query: "lib rs".into(), limit: 200 },
            Command::ReadFile { project: ProjectId::new(), path: "src/lib.rs".into() },
            Command::SaveFile {
                project: ProjectId::new(),
                path: "src/lib.rs".into(),
                text: "fn main() {}\n".into(),
                expected_hash: None,
            },
            Command::SearchWorkspace {
                project: ProjectId::new(),
                search: 3,
                query: r"fn \w+".into(),
                options: SearchOptions { regex: true, case_sensitive: false, whole_word: true },
            },
            Command::CancelSearch { search: 3 },
            Command::ReadSpec { project: ProjectId::new(), path: "specs/01-domain.md".into() },
            Command::SaveSpec {
                project: ProjectId::new(),
                path: "specs/01-domain.md".into(),
                text: "# 01 — Domain\n".into(),
                expected_hash: Some(ContentHash::of("# 01 - Old\n".as_bytes())),
            },
            Command::GitStatus { project: ProjectId::new() },
            Command::GitDiff { project: ProjectId::new(), path: "src/lib.rs".into(), staged: true },
            Command::GitStage { project: ProjectId::new(), paths: vec!["a b.txt".into()] },
            Command::GitUnstage { project: ProjectId::new(), paths: vec!["src/lib.rs".into()] },
            Command::GitCommit { project: ProjectId::new(), message: "Fix the parser\n\nWhy.".into() },
            Command::GitInit { project: ProjectId::new() },
        ];
        for command in commands {
            round_trip(command);
        }
    }

    #[test]
    fn every_event_round_trips() {
        let session = SessionId::new();
        let project = sample_project();
        let spec = Spec {
            id: SpecId::new(),
            project: project.id,
            order: 1,
            title: "Domain".into(),
            path: "specs/01-domain.md".into(),
            created_at: 3,
        };
        let task = Task::new(spec.id, 1, "01.1", "Ids");
        let message = Message::new(
            session,
            Role::Assistant,
            vec![
                MessagePart::Reasoning { text: "think".into() },
                MessagePart::Text { text: "done".into() },
                MessagePart::ToolResult { call: ToolCallId::new(), content: "ok".into(), is_error: false },
            ],
        );
        let call = ToolCall {
            id: ToolCallId::new(),
            provider_id: "toolu_1".into(),
            name: "read_file".into(),
            arguments: serde_json::json!({"path": "src/lib.rs"}),
        };
        let events = vec![
            Event::Welcome {
                protocol_version: PROTOCOL_VERSION,
                app_version: "0.1.0".into(),
                data_dir: "/d".into(),
                layout: None,
                epoch: 7,
            },
            Event::Welcome {
                protocol_version: PROTOCOL_VERSION,
                app_version: "0.1.0".into(),
                data_dir: "/d".into(),
                layout: Some(serde_json::json!({"windows": []})),
                epoch: 7,
            },
            Event::Error { command: Some(3), message: "no such project".into() },
            Event::StoreWarning { message: "skipped".into() },
            Event::Projects { projects: vec![project.clone()] },
            Event::ProjectOpened {
                snapshot: Box::new(ProjectSnapshot {
                    project: project.clone(),
                    specs: vec![spec],
                    tasks: vec![task.clone()],
                    sessions: vec![Session::new(Some(project.id), SessionKind::Chat, "main")],
                    loop_state: LoopState::Paused,
                    pending_changesets: vec![sample_changeset()],
                    detected_checks: vec![Check {
                        kind: crate::domain::CheckKind::Test,
                        command: "cargo test".into(),
                        source: "Cargo.toml".into(),
                    }],
                    check_overrides: vec![],
                    receipts: vec![sample_receipt()],
                    models: None,
                    loop_settings: LoopSettings::default(),
                    applied_changes: vec![AppliedChange {
                        changeset: ChangeSetId::new(),
                        title: "edit".into(),
                        files: vec!["src/lib.rs".into()],
                        at: 1,
                    }],
                    usage: vec![RequestUsage {
                        session: SessionId::new(),
                        model: "m".into(),
                        at: 2,
                        usage: Usage { input_tokens: 10, ..Usage::default() },
                        window: Some(8192),
                    }],
                    approval_policy: ApprovalPolicy::ReadOnly,
                    requirements: true,
                    memory: vec![MemoryEntry::new(
                        project.id,
                        "one writer thread",
                        vec!["store".into()],
                        crate::domain::MemorySource::User,
                    )],
                    drone_runs: vec![sample_run()],
                    pending_commands: vec![sample_approval()],
                    sandbox_policy: SandboxPolicy::ReadOnly,
                    sandbox_problem: Some("no Landlock".into()),
                    conversations: vec![sample_conversation()],
                    current_conversation: Some(SessionId::new()),
                    running_turns: vec![SessionId::new()],
                }),
            },
            Event::ConversationChanged { project: ProjectId::new(), conversation: sample_conversation() },
            Event::ConversationDeleted { project: ProjectId::new(), session: SessionId::new() },
            Event::ConversationMatches {
                project: ProjectId::new(),
                query: "parser".into(),
                hits: vec![ConversationHit {
                    session: SessionId::new(),
                    title: "Fix the parser".into(),
                    snippet: "the parser drops…".into(),
                }],
            },
            Event::Recorded {
                session: SessionId::new(),
                seq: 4,
                record: Record::Note { text: "no model is set".into(), error: true, at: 5 },
            },
            Event::CommandApprovalRequested { approval: sample_approval() },
            Event::CommandDecided {
                approval: ApprovalId::new(),
                project: ProjectId::new(),
                decision: CommandDecision::Deny,
            },
            Event::SandboxPolicyChanged { project: ProjectId::new(), policy: SandboxPolicy::FullAccess, problem: None },
            Event::McpServers {
                project: ProjectId::new(),
                servers: vec![McpServerView {
                    name: "git".into(),
                    enabled: true,
                    state: "failed".into(),
                    problem: Some("the command was not found".into()),
                    tools: vec![McpToolView {
                        qualified: "git__git_status".into(),
                        name: "git_status".into(),
                        description: "Shows the working tree status".into(),
                        read_only: true,
                        enabled: true,
                    }],
                    skipped: vec![],
                    log: "/d/mcp/git.log".into(),
                    yours: true,
                    log_tail: "--- aura: starting uvx mcp-server-git\n".into(),
                    resources: vec!["README  file:///repo/README.md".into()],
                    prompts: vec!["review".into()],
                }],
                problems: vec![".mcp.json:3:17: expected value".into()],
            },
            Event::SessionCreated { session: Session::new(None, SessionKind::Drone { drone: DroneId::new() }, "docs") },
            Event::History { session, records: vec![(1, Record::Message(message.clone()))], complete: true },
            Event::Recorded {
                session,
                seq: 2,
                record: Record::TaskTransition {
                    task: task.id,
                    from: TaskStatus::Ready,
                    to: TaskStatus::InProgress,
                    at: 9,
                    reason: None,
                },
            },
            Event::Recorded { session, seq: 3, record: Record::ChangeSet(sample_changeset()) },
            Event::Recorded { session, seq: 4, record: Record::Receipt(sample_receipt()) },
            Event::TextDelta { session, text: "He".into() },
            Event::ReasoningDelta { session, text: "hm".into() },
            Event::ToolCallStarted { session, call: call.clone() },
            Event::ToolCallFinished { session, call: call.id, is_error: true, summary: "cancelled".into() },
            Event::TurnFinished { session, usage: Usage { output_tokens: 3, ..Usage::default() } },
            Event::TaskChanged {
                task: task.id,
                from: TaskStatus::InProgress,
                to: TaskStatus::Done,
                reason: None,
                attempts: 1,
            },
            Event::LoopChanged { project: project.id, state: LoopState::Running, task: None, reason: Some("x".into()) },
            Event::ChangeSetProposed { changeset: sample_changeset() },
            Event::ChangeSetDecided { changeset: sample_changeset(), applied: vec!["src/lib.rs".into()] },
            Event::ChangeSetUndone {
                changeset: ChangeSetId::new(),
                restored: vec!["a".into()],
                hand_edited: vec!["b".into()],
                undone: vec![ChangeSetId::new()],
            },
            Event::TurnRunning { session: SessionId::new(), running: true },
            Event::TaskLog { task: task.id, records: vec![Record::Receipt(sample_receipt())] },
            Event::DroneRunStarted { run: sample_run() },
            Event::DroneWorktreeRemoved { run: DroneId::new() },
            Event::DroneRunFinished { run: DroneRun { receipt: Some(sample_receipt()), ..sample_run() } },
            Event::DroneList {
                project: project.id,
                drones: vec![],
                errors: vec![".aura/drones/x.toml:3:1: unknown key \"rol\"".into()],
            },
            Event::ApiKeys {
                keys: vec![ApiKeyStatus {
                    provider: "DeepSeek".into(),
                    env: "DEEPSEEK_API_KEY".into(),
                    source: KeySource::Settings,
                }],
            },
            Event::ApprovalPolicyChanged { project: project.id, policy: ApprovalPolicy::AutoApprove },
            Event::ConnectionTested {
                choice: ModelChoice {
                    provider: crate::llm::ProviderKind::Ollama,
                    base_url: None,
                    model: "m".into(),
                    context_window: None,
                },
                ok: false,
                message: "connection refused".into(),
            },
            Event::AppearanceChanged { appearance: Appearance { dark: false, font_size: 14.0 } },
            Event::UsageRecorded {
                project: project.id,
                entry: RequestUsage {
                    session: SessionId::new(),
                    model: "m".into(),
                    at: 3,
                    usage: Usage::default(),
                    window: None,
                },
            },
            Event::ReceiptIssued { receipt: sample_receipt() },
            Event::LocalServers {
                servers: vec![
                    LocalServerStatus {
                        name: "Ollama".into(),
                        base_url: "http://127.0.0.1:11434".into(),
                        models: Some(vec!["qwen3:8b".into()]),
                        problem: None,
                    },
                    LocalServerStatus {
                        name: "vLLM".into(),
                        base_url: "http://127.0.0.1:8000/v1".into(),
                        models: None,
                        problem: Some("not running".into()),
                    },
                ],
            },
            Event::SearchHits {
                project: project.id,
                search: 3,
                hits: FileHits {
                    path: "src/lib.rs".into(),
                    matches: vec![crate::domain::LineHit {
                        line: 12,
                        column: 5,
                        text: "fn main() {}".into(),
                        ranges: vec![(0, 7)],
                        before: vec![],
                        after: vec!["}".into()],
                    }],
                },
            },
            Event::SearchFinished {
                search: 3,
                files: 1,
                matches: 1,
                truncated: false,
                elapsed_ms: 12,
                error: Some("not a valid regular expression".into()),
                binary_files: 2,
                skipped: vec![SkippedFile { path: "big.log".into(), reason: "200 MB".into() }],
            },
            Event::RequirementsChanged { project: project.id, present: true },
            Event::FolderListed {
                project: project.id,
                listing: FolderListing {
                    path: "src".into(),
                    entries: vec![
                        FolderEntry { name: "ui".into(), dir: true, size: 0 },
                        FolderEntry { name: "lib.rs".into(), dir: false, size: 1200 },
                    ],
                    error: None,
                },
            },
            Event::FilesFound { project: project.id, query: "lib".into(), paths: vec!["src/lib.rs".into()], total: 1 },
            Event::FileRead {
                project: project.id,
                file: FileContent {
                    path: "src/lib.rs".into(),
                    body: FileBody::Text { text: "x\n".into(), hash: ContentHash::of(b"x\n"), lossy: false },
                },
            },
            Event::FileRead {
                project: project.id,
                file: FileContent { path: "a.bin".into(), body: FileBody::TooLarge { size: 9, limit: 8 } },
            },
            Event::FileFailed { project: project.id, path: "a".into(), message: "changed".into(), stale: true },
            Event::FilesChanged { project: project.id, paths: vec!["src/new.rs".into()], all: false },
            Event::SpecText {
                project: project.id,
                path: "specs/01-domain.md".into(),
                text: "# 01 — Domain\n".into(),
                hash: ContentHash::of("# 01 — Domain\n".as_bytes()),
            },
            Event::SpecFailed {
                project: project.id,
                path: "specs/01-domain.md".into(),
                message: "changed on disk".into(),
                stale: true,
            },
            Event::GitStatusChanged {
                project: project.id,
                status: GitReport {
                    status: Some(crate::domain::GitStatus {
                        branch: Some("main".into()),
                        upstream: Some("origin/main".into()),
                        ahead: 1,
                        entries: vec![crate::domain::GitEntry {
                            path: "b.rs".into(),
                            staged: Some(crate::domain::GitChange::Renamed { from: "a.rs".into() }),
                            unstaged: Some(crate::domain::GitChange::Modified),
                            untracked: false,
                            conflicted: false,
                        }],
                        ..Default::default()
                    }),
                    problem: None,
                },
            },
            Event::GitStatusChanged {
                project: project.id,
                status: GitReport { status: None, problem: Some(GitProblem::NotARepo) },
            },
            Event::GitDiff {
                project: project.id,
                diff: GitFileDiff {
                    path: "a.txt".into(),
                    staged: false,
                    change: crate::edits::file_change("a.txt", Some("a\n".into()), Some("b\n".into())),
                },
            },
            Event::GitCommitted {
                project: project.id,
                commit: GitCommitInfo { hash: "abc1234".into(), branch: "main".into(), title: "Task 01.1: Ids".into() },
            },
            Event::GitFailed { project: project.id, message: "a rebase is in progress".into() },
        ];
        for event in events {
            round_trip(event);
        }
    }

    #[test]
    fn the_wire_form_is_tagged_and_readable() {
        let text = encode(&Envelope::new(1, Command::ListProjects)).unwrap();
        assert_eq!(text, r#"{"v":1,"seq":1,"body":{"command":"list_projects"}}"#);
    }

    #[test]
    fn a_welcome_from_before_layouts_reads_as_no_layout() {
        let text =
            r#"{"v":1,"seq":1,"body":{"event":"welcome","protocol_version":1,"app_version":"0.1.0","data_dir":"/d"}}"#;
        let Event::Welcome { layout, .. } = decode::<Event>(text).unwrap().body else { panic!("not a welcome") };
        assert_eq!(layout, None);
    }

    #[test]
    fn a_command_knows_its_wire_name() {
        assert_eq!(Command::StopTurn { session: SessionId::new() }.name(), "stop_turn");
    }

    #[test]
    fn a_newer_version_is_refused_with_what_to_do() {
        let text = r#"{"v":99,"seq":1,"body":{"command":"a_command_from_the_future"}}"#;
        let err = decode::<Command>(text).unwrap_err();
        assert!(matches!(err, ProtocolError::NewerVersion { found: 99, supported: PROTOCOL_VERSION }));
        assert!(err.to_string().contains("update Aura"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for text in ["", "{", "[]", r#"{"v":1}"#, r#"{"v":1,"seq":1,"body":{"command":"nope"}}"#, "\u{0}"] {
            assert!(matches!(decode::<Command>(text), Err(ProtocolError::Malformed(_))), "{text:?}");
        }
    }
}
