//! The engine: the runtime behind every surface. It receives [`Command`]s, works against the store
//! (and, as the product grows, providers, tools and the workspace), and emits [`Event`]s.
//!
//! Surfaces hold an [`EngineClient`]; the engine runs as one task on the tokio runtime and never
//! blocks a surface.

mod changes;
mod chat;
pub mod commands;
mod control;
mod conversations;
mod decisions;
pub mod devloop;
mod discovery;
pub mod drones;
mod files;
pub mod git;
pub mod host;
mod keys;
mod layout;
pub mod mcp_tools;
pub mod memory;
pub(crate) mod projects;
pub mod prompt;
mod requirements;
pub mod review;
pub mod rotation;
mod search;
pub mod shared_review;
mod spec_files;
pub mod specs;
pub mod tasks;
pub mod turn;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

use crate::domain::{ProjectId, Record, Session, SessionId};
use crate::protocol::{Command, Envelope, Event, PROTOCOL_VERSION};
use crate::store::{StoreError, StoreHandle, Table};

/// Called after each event is queued, so a surface can wake up (the desktop passes
/// `request_repaint`); surfaces that poll can pass a no-op.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Which connected surface sent a command, so its answers and errors go back to it alone.
pub type ClientId = u64;

/// A surface's end of the protocol: send commands, drain events. Several surfaces can be connected
/// at once (the desktop and each phone): every one hears every announcement, and the answers to
/// its own commands.
pub struct EngineClient {
    id: ClientId,
    commands: mpsc::UnboundedSender<(ClientId, Envelope<Command>)>,
    events: std_mpsc::Receiver<Envelope<Event>>,
    next_seq: u64,
    hub: Hub,
    context: EngineContext,
}

/// Where the engine runs and keeps its data: what a surface needs to start a server that serves
/// the engine to others (the desktop's Companion tab), never to work around the protocol.
#[derive(Clone)]
pub(crate) struct EngineContext {
    pub runtime: tokio::runtime::Handle,
    pub store: StoreHandle,
    pub data_dir: PathBuf,
}

impl EngineClient {
    /// Sends a command; returns its sequence number, which an [`Event::Error`] about it will name.
    pub fn send(&mut self, command: Command) -> u64 {
        self.next_seq += 1;
        if self.commands.send((self.id, Envelope::new(self.next_seq, command))).is_err() {
            tracing::error!("the engine has stopped; command {} was dropped", self.next_seq);
        }
        self.next_seq
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&self) -> Option<Envelope<Event>> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event (for headless surfaces and tests, never the UI thread).
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Envelope<Event>> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Another surface on the same engine, woken by `waker`. It hears events from now on; dropping
    /// it disconnects it.
    pub fn connect(&self, waker: Waker) -> EngineClient {
        let (id, events) = self.hub.subscribe(waker);
        EngineClient {
            id,
            commands: self.commands.clone(),
            events,
            next_seq: 0,
            hub: self.hub.clone(),
            context: self.context.clone(),
        }
    }

    /// Where the engine runs, for a surface that starts the Companion server on it.
    pub(crate) fn context(&self) -> &EngineContext {
        &self.context
    }

    /// The engine's store, for the Companion server, which keeps its paired devices in the settings
    /// table. Surfaces never write through it.
    pub(crate) fn store(&self) -> &StoreHandle {
        &self.context.store
    }
}

struct Subscriber {
    id: ClientId,
    events: std_mpsc::Sender<Envelope<Event>>,
    waker: Waker,
}

/// The connected surfaces.
#[derive(Clone, Default)]
struct Hub {
    subscribers: Arc<std::sync::Mutex<Vec<Subscriber>>>,
    next_id: Arc<AtomicU64>,
}

impl Hub {
    fn subscribe(&self, waker: Waker) -> (ClientId, std_mpsc::Receiver<Envelope<Event>>) {
        let (events, receiver) = std_mpsc::channel();
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        self.lock().push(Subscriber { id, events, waker });
        (id, receiver)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Numbers `event` from `next_seq` and sends it to `to` (everyone when `None`); a surface that
    /// went away is forgotten. The number is taken under the lock, so every surface receives events
    /// in increasing `seq` even when tasks emit at once (a resuming Companion relies on it).
    fn send(&self, to: Option<ClientId>, next_seq: &AtomicU64, event: Event) {
        let mut subscribers = self.lock();
        let envelope = Envelope::new(next_seq.fetch_add(1, Ordering::SeqCst) + 1, event);
        subscribers.retain(|s| {
            if to.is_some_and(|id| id != s.id) {
                return true;
            }
            let open = s.events.send(envelope.clone()).is_ok();
            (s.waker)();
            open
        });
    }
}

/// Sends events to the surfaces in sequence; cloned into tasks that finish later.
#[derive(Clone)]
struct Emitter {
    hub: Hub,
    next_seq: Arc<AtomicU64>,
    /// The engine's own ear for events that trigger Drones (none for detached journals).
    internal: Option<mpsc::UnboundedSender<drones::runner::Internal>>,
}

impl Emitter {
    fn emit(&self, event: Event) {
        self.emit_to(None, event);
    }

    /// To one surface (an answer to its command), or to all with `None`. Sequence numbers are
    /// shared, so every surface sees its events in the engine's order (with gaps for others').
    fn emit_to(&self, to: Option<ClientId>, event: Event) {
        if let Some(internal) = &self.internal {
            drones::runner::watch(&event, internal);
        }
        self.hub.send(to, &self.next_seq, event);
    }
}

/// Answers one surface's command from a task that finishes later.
#[derive(Clone)]
struct Reply {
    emitter: Emitter,
    to: Option<ClientId>,
}

impl Reply {
    fn send(&self, event: Event) {
        self.emitter.emit_to(self.to, event);
    }
}

/// Where durable records go: appended to the store, then announced to surfaces.
#[derive(Clone)]
pub struct Journal {
    store: StoreHandle,
    emitter: Emitter,
    conversation_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Journal {
    pub fn emit(&self, event: Event) {
        self.emitter.emit(event);
    }

    /// Appends a record to a session's log and announces it. A record that cannot be stored is
    /// reported to the surfaces, never dropped silently.
    pub async fn record(&self, session: SessionId, record: Record) {
        match self.store.append(session, vec![record.clone()]).await {
            Ok(seqs) => self.emit(Event::Recorded { session, seq: seqs[0], record }),
            Err(e) => self.emit(Event::Error {
                command: None,
                message: format!("a record of session {session} could not be stored: {e}"),
            }),
        }
    }

    /// Counts a model request in the project's log and tells the surfaces.
    pub async fn record_usage(&self, project: ProjectId, entry: crate::domain::RequestUsage) {
        self.record_project(project, Record::Usage(entry.clone())).await;
        self.emit(Event::UsageRecorded { project, entry });
    }

    /// Appends a record to a project's own log (work orders, receipts, checkpoints). A work order
    /// or a task's receipt is also written into the current conversation, where the chat shows it.
    pub async fn record_project(&self, project: ProjectId, record: Record) {
        let card = match &record {
            Record::WorkOrder(_) => true,
            Record::Receipt(receipt) => matches!(receipt.subject, crate::domain::ReceiptSubject::Task { .. }),
            _ => false,
        };
        if let Err(e) = self.store.append(project, vec![record.clone()]).await {
            self.emit(Event::Error {
                command: None,
                message: format!("a record of the project could not be stored: {e}"),
            });
        }
        if card && let Some(chat) = self.current_conversation(project).await {
            self.record(chat, record).await;
        }
    }

    /// The project's current conversation, made now when there is none. One at a time: two cards
    /// at once must not start two conversations.
    async fn current_conversation(&self, project: ProjectId) -> Option<SessionId> {
        let _one = self.conversation_lock.lock().await;
        conversations::current_or_new(self, self.store.reader(), project).await
    }

    /// Makes `session` the project's current conversation; false (and said) when it cannot be stored.
    pub async fn set_current(&self, project: ProjectId, session: SessionId) -> bool {
        let key = conversations::current_key(project);
        match self.store.write(move |w| w.put_value(Table::Settings, &key, &session)).await {
            Ok(()) => true,
            Err(e) => {
                self.emit(Event::Error { command: None, message: format!("the open conversation was not kept: {e}") });
                false
            }
        }
    }

    /// A journal whose events go to the returned receiver instead of a surface: for running agents
    /// outside the engine (tests, benchmarks).
    pub fn detached(store: StoreHandle) -> (Journal, std_mpsc::Receiver<Envelope<Event>>) {
        let hub = Hub::default();
        let (_, receiver) = hub.subscribe(Arc::new(|| {}));
        let emitter = Emitter { hub, next_seq: Arc::default(), internal: None };
        (Journal { store, emitter, conversation_lock: Arc::default() }, receiver)
    }

    pub async fn put_session(&self, session: Session) {
        match self.store.put(session.clone()).await {
            Ok(()) => self.emit(Event::SessionCreated { session }),
            Err(e) => self.emit(Event::Error { command: None, message: format!("a session could not be stored: {e}") }),
        }
    }
}

struct Engine {
    store: StoreHandle,
    data_dir: PathBuf,
    emitter: Emitter,
    journal: Journal,
    /// The review state of every project opened in this run.
    reviews: HashMap<ProjectId, shared_review::SharedReview>,
    /// Dev loops waiting for a decision on a work order.
    orders: devloop::OrderWaiters,
    /// Commands waiting for the user's approval, and what was allowed per session.
    approvals: commands::Approvals,
    /// Each project's MCP servers.
    mcp: mcp_tools::Hubs,
    /// The running dev loop of each project.
    loops: HashMap<ProjectId, control::LoopHandle>,
    /// Turn state of the chat sessions used in this run.
    chats: HashMap<SessionId, Arc<chat::ChatState>>,
    /// Drone runs going on, and triggers queued for busy Drones.
    drone_runs: drones::runner::DroneRuns,
    /// Each project's write lane for Drones writing outside git.
    lanes: HashMap<ProjectId, Arc<tokio::sync::Semaphore>>,
    /// The workspace search each surface has running.
    searches: search::Searches,
    /// Where the engine's own tasks report back (a run ended, a trigger fired).
    internal: mpsc::UnboundedSender<drones::runner::Internal>,
    /// The surface whose command is being handled: its answers and errors go to it alone.
    origin: Option<ClientId>,
    /// This start's id, told in every Welcome.
    epoch: u64,
    /// Each opened project's file paths, for finding files by name.
    file_indexes: HashMap<ProjectId, files::FileIndex>,
    /// Each opened project's watcher on disk.
    watches: HashMap<ProjectId, watch::FileWatch>,
}

/// Starts the engine on `runtime` over an open store.
pub fn start(runtime: &tokio::runtime::Handle, store: StoreHandle, data_dir: PathBuf, waker: Waker) -> EngineClient {
    let (commands, mut inbox) = mpsc::unbounded_channel::<(ClientId, Envelope<Command>)>();
    let hub = Hub::default();
    let (id, outbox) = hub.subscribe(waker);
    let (internal, mut heard) = mpsc::unbounded_channel();
    let emitter = Emitter { hub: hub.clone(), next_seq: Arc::default(), internal: Some(internal.clone()) };
    let journal = Journal { store: store.clone(), emitter: emitter.clone(), conversation_lock: Arc::default() };
    let context = EngineContext { runtime: runtime.clone(), store: store.clone(), data_dir: data_dir.clone() };
    commands::clean_scratch(&data_dir);
    // Probing the kernel runs the sandbox helper once: off the engine's thread, before it is needed.
    runtime.spawn_blocking(|| {
        crate::tools::sandbox::support();
    });
    let mut engine = Engine {
        store: store.clone(),
        data_dir,
        emitter,
        journal,
        reviews: HashMap::new(),
        orders: Default::default(),
        approvals: Default::default(),
        mcp: Default::default(),
        loops: HashMap::new(),
        chats: HashMap::new(),
        drone_runs: Default::default(),
        lanes: HashMap::new(),
        searches: Default::default(),
        internal,
        origin: None,
        file_indexes: HashMap::new(),
        watches: HashMap::new(),
        epoch: {
            let mut bytes = [0u8; 8];
            // Without randomness the clock still tells one start from the next. 53 bits, so a
            // JavaScript client reads it back exactly.
            let epoch = getrandom::fill(&mut bytes)
                .map_or_else(|_| crate::domain::now_millis(), |()| u64::from_le_bytes(bytes));
            epoch & ((1 << 53) - 1)
        },
    };
    runtime.spawn(async move {
        engine.recover_drone_runs().await;
        loop {
            tokio::select! {
                envelope = inbox.recv() => match envelope {
                    Some((client, envelope)) => {
                        engine.origin = Some(client);
                        engine.handle(envelope).await;
                    }
                    // Every surface is gone.
                    None => break,
                },
                Some(heard) = heard.recv() => {
                    engine.origin = None;
                    engine.on_internal(heard).await;
                }
            }
        }
    });
    EngineClient { id, commands, events: outbox, next_seq: 0, hub, context }
}

impl Engine {
    fn emit(&mut self, event: Event) {
        self.emitter.emit(event);
    }

    /// An answer for the surface whose command is being handled (everyone's, for the engine's own).
    fn answer(&mut self, event: Event) {
        self.emitter.emit_to(self.origin, event);
    }

    /// Where a later answer to the current command goes.
    fn reply(&self) -> Reply {
        Reply { emitter: self.emitter.clone(), to: self.origin }
    }

    fn fail(&mut self, command: u64, message: impl Into<String>) {
        self.answer(Event::Error { command: Some(command), message: message.into() });
    }

    async fn handle(&mut self, envelope: Envelope<Command>) {
        let seq = envelope.seq;
        if envelope.v != PROTOCOL_VERSION {
            return self
                .fail(seq, format!("protocol version {} is not {PROTOCOL_VERSION}: update the client", envelope.v));
        }
        let result = match envelope.body {
            Command::Hello { surface, .. } => {
                self.welcome(surface);
                Ok(())
            }
            Command::SetAppearance { appearance } => self.set_appearance(appearance).await,
            Command::LoadTaskLog { project, task } => self.load_task_log(project, task),
            Command::ListDrones { project } => self.list_drones(seq, project),
            Command::DecideCommand { approval, decision } => self.decide_command(approval, decision),
            Command::SetSandboxPolicy { project, policy } => self.set_sandbox_policy(project, policy).await,
            Command::ListMcpServers { project } => self.list_mcp(project).await,
            Command::AddMcpServer { project, name, target } => self.edit_mcp_servers(project, name, Some(target)).await,
            Command::RemoveMcpServer { project, name } => self.edit_mcp_servers(project, name, None).await,
            Command::SwitchMcp { project, server, tool, enabled } => {
                self.switch_mcp(project, server, tool, enabled).await
            }
            Command::SaveDroneManifest { project, manifest } => self.save_drone_manifest(seq, project, manifest).await,
            Command::RunDrone { project, drone, goal } => {
                if let Err(message) = self.run_drone(project, &drone, goal, None).await {
                    self.fail(seq, message);
                }
                Ok(())
            }
            Command::StopDrone { run } => {
                self.stop_drone(seq, run);
                Ok(())
            }
            Command::SetApiKey { env, key } => {
                self.set_api_key(seq, env, key);
                Ok(())
            }
            Command::SetApprovalPolicy { project, policy } => self.set_approval_policy(project, policy).await,
            Command::TestConnection { choice } => {
                self.test_connection(choice);
                Ok(())
            }
            Command::ListProjects => self.list_projects(),
            Command::SelectProject { project } => self.select_project(seq, project).await,
            Command::OpenProject { root } => self.open_project(seq, root).await,
            Command::CreateSession { project, kind, title } => self.create_session(project, kind, title).await,
            Command::LoadHistory { session, before, limit } => self.load_history(session, before, limit),
            Command::DiscoverLocalServers => {
                self.discover_local_servers();
                Ok(())
            }
            Command::DecideChangeSet { changeset, decision, comment } => {
                self.decide_changeset(seq, changeset, decision, comment).await;
                Ok(())
            }
            Command::UndoChangeSet { changeset, overwrite } => {
                self.undo_changeset(seq, changeset, overwrite, false).await;
                Ok(())
            }
            Command::RestoreCheckpoint { changeset, overwrite } => {
                self.undo_changeset(seq, changeset, overwrite, true).await;
                Ok(())
            }
            Command::SendMessage { session, text } => self.send_message(seq, session, text).await,
            Command::OpenConversation { project, session } => self.open_conversation(seq, project, session).await,
            Command::RenameConversation { session, title } => self.rename_conversation(seq, session, title).await,
            Command::DeleteConversation { session } => self.delete_conversation(seq, session).await,
            Command::SearchConversations { project, query } => self.search_conversations(project, query).await,
            Command::StopTurn { session } => {
                self.stop_turn(seq, session);
                Ok(())
            }
            Command::Loop { project, control } => self.control_loop(seq, project, control).await,
            Command::SetLoopSettings { project, settings } => self.set_loop_settings(project, settings).await,
            Command::SetModels { project, planner, worker } => self.set_models(project, planner, worker).await,
            Command::DecideWorkOrder { work_order, decision } => {
                if !self.orders.deliver(&work_order, decision) {
                    self.fail(seq, format!("no work order {work_order} is waiting for a decision"));
                }
                Ok(())
            }
            Command::GenerateSpecs { project } => self.generate_specs(seq, project).await,
            Command::SyncTasks { project } => self.sync_tasks(seq, project).await,
            Command::BlockTask { task, reason } => self.block_task(seq, task, reason),
            Command::RetryTask { task } => self.retry_task(seq, task, None).await,
            Command::AnswerBlocked { task, text } => self.retry_task(seq, task, Some(text)).await,
            Command::SetChecks { project, checks } => self.set_checks(project, checks).await,
            Command::SaveMemory { project, text, tags } => self.save_memory(project, text, tags).await,
            Command::PinMemory { memory, pinned } => self.change_memory(seq, memory, Some(pinned)).await,
            Command::DeleteMemory { memory } => self.change_memory(seq, memory, None).await,
            Command::SearchMemory { project, query, limit } => self.search_memory(project, query, limit),
            Command::SearchWorkspace { project, search, query, options } => {
                self.search_workspace(project, search, query, options)
            }
            Command::CancelSearch { search } => self.cancel_search(search),
            Command::SaveLayout { layout } => self.save_layout(layout).await,
            Command::WriteRequirements { project } => self.write_requirements(seq, project).await,
            Command::ListFolder { project, path } => self.list_folder(seq, project, path),
            Command::FindFiles { project, query, limit } => self.find_files(seq, project, query, limit),
            Command::ReadFile { project, path } => self.read_file(seq, project, path),
            Command::SaveFile { project, path, text, expected_hash } => {
                self.save_file(project, path, text, expected_hash).await
            }
            Command::ReadSpec { project, path } => self.read_spec(project, path),
            Command::SaveSpec { project, path, text, expected_hash } => {
                self.save_spec(seq, project, path, text, expected_hash).await
            }
            Command::GitStatus { project } => self.git_action(project, git::GitAction::Status),
            Command::GitDiff { project, path, staged } => {
                self.git_action(project, git::GitAction::Diff { path, staged })
            }
            Command::GitStage { project, paths } => self.git_action(project, git::GitAction::Stage(paths)),
            Command::GitUnstage { project, paths } => self.git_action(project, git::GitAction::Unstage(paths)),
            Command::GitCommit { project, message } => self.git_action(project, git::GitAction::Commit(message)),
            Command::GitInit { project } => self.git_action(project, git::GitAction::Init),
        };
        if let Err(e) = result {
            self.fail(seq, e.to_string());
        }
    }

    /// Reports entries the store skipped, so the user sees them instead of silent gaps.
    fn warn_skipped(&mut self, skipped: Vec<crate::store::DecodeWarning>) {
        for warning in skipped {
            self.emit(Event::StoreWarning { message: warning.to_string() });
        }
    }
}

pub(crate) type EngineResult = Result<(), StoreError>;

/// Opens the store at `data_dir` and starts the engine, off the caller's thread (opening writes
/// to disk). The receiver yields the client, or the reason the store could not be opened.
pub fn launch(
    runtime: &tokio::runtime::Handle,
    data_dir: PathBuf,
    waker: Waker,
) -> std_mpsc::Receiver<Result<EngineClient, StoreError>> {
    let (reply, receiver) = std_mpsc::channel();
    launch_into(runtime, data_dir, waker, reply);
    receiver
}

/// Like [`launch`], answering on a channel the caller made earlier (the window makes it before its
/// first frame and starts the engine after it).
pub fn launch_into(
    runtime: &tokio::runtime::Handle,
    data_dir: PathBuf,
    waker: Waker,
    reply: std_mpsc::Sender<Result<EngineClient, StoreError>>,
) {
    let handle = runtime.clone();
    runtime.spawn_blocking(move || {
        let result = crate::store::Store::open(&data_dir, &crate::store::StoreOptions::default())
            .and_then(StoreHandle::spawn)
            .map(|store| start(&handle, store, data_dir, waker.clone()));
        let _ = reply.send(result);
        waker();
    });
}
