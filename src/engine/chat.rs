//! Chat sessions: a message starts a turn with the project's Worker model and tools (edits through
//! review); a message sent while a turn runs is queued and becomes the next turn at the boundary;
//! Stop ends the turn, and any call in flight gets a "cancelled by user" result. The transcript is
//! rebuilt from the session's records, so a conversation goes on after a restart.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::{Message, MessagePart, Record, Role as MessageRole, Session, SessionId, SessionKind, ToolCallId};
use crate::llm::{ChatMessage, ToolCallRequest};
use crate::protocol::Event;
use crate::store::Store;

use super::host::{AgentHost, AgentHostParts};
use super::prompt::Role;
use super::turn::{Agent, Conversation, StopSwitch, TurnBudget, run_turn, stop_pair};
use super::{Engine, EngineResult, memory};

/// A chat session's turn state: whether a turn runs, what waits for it, and its stop button.
#[derive(Default)]
pub struct ChatState(Mutex<ChatInner>);

#[derive(Default)]
struct ChatInner {
    running: bool,
    queue: Vec<String>,
    stop: Option<StopSwitch>,
}

impl ChatState {
    pub fn is_running(&self) -> bool {
        self.lock().running
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChatInner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The model-facing transcript of a session, rebuilt from its records.
pub fn transcript(store: &Store, session: SessionId) -> Result<Vec<ChatMessage>, crate::store::StoreError> {
    let page = store.records_from(session, 1, usize::MAX)?;
    let mut calls: HashMap<ToolCallId, (String, String)> = HashMap::new();
    let mut out = Vec::new();
    for record in page.records {
        let Record::Message(message) = record.record else { continue };
        match message.role {
            MessageRole::User | MessageRole::System => out.push(ChatMessage::User { text: message.plain_text() }),
            MessageRole::Assistant => {
                let mut tool_calls = Vec::new();
                for part in &message.parts {
                    if let MessagePart::ToolCall(call) = part {
                        calls.insert(call.id, (call.provider_id.clone(), call.name.clone()));
                        tool_calls.push(ToolCallRequest {
                            id: call.provider_id.clone(),
                            name: call.name.clone(),
                            arguments: call.arguments.clone(),
                        });
                    }
                }
                // Reasoning of finished turns is not sent back: no provider needs it, and it costs tokens.
                out.push(ChatMessage::Assistant { text: message.plain_text(), reasoning: None, tool_calls });
            }
            MessageRole::Tool => {
                for part in message.parts {
                    if let MessagePart::ToolResult { call, content, is_error } = part {
                        let (call_id, name) = calls.get(&call).cloned().unwrap_or_default();
                        out.push(ChatMessage::ToolResult { call_id, name, content, is_error });
                    }
                }
            }
        }
    }
    Ok(out)
}

impl Engine {
    pub(super) async fn send_message(&mut self, command: u64, id: SessionId, text: String) -> EngineResult {
        let Some(session) = self.store.reader().get::<Session>(id.to_bytes())? else {
            self.fail(command, format!("no session {id}; create it first"));
            return Ok(());
        };
        if let Some(summon) = text.strip_prefix("/drone").filter(|rest| rest.is_empty() || rest.starts_with(' ')) {
            return self.summon_from_chat(command, &session, &text, summon.trim()).await;
        }
        if session.kind == SessionKind::Chat
            && let Some(project) = session.project
            && super::conversations::current(self.store.reader(), project) != Some(id)
        {
            self.journal.set_current(project, id).await;
        }
        // Every session of a conversation shares one turn state: a message sent to the session a
        // rotation made joins the queue of the turn still running in the old one.
        let root = super::conversations::chain_of(self.store.reader(), id)?.last().map_or(id, |s| s.id);
        let state = self.chats.entry(root).or_default().clone();
        {
            let mut inner = state.lock();
            if inner.running {
                inner.queue.push(text);
                self.emit(Event::QueueChanged { session: id, queued: inner.queue.clone() });
                return Ok(());
            }
        }
        let prepared = session.project.ok_or("the session belongs to no project".to_string()).and_then(|project| {
            let project = self.project(project)?;
            let config = self.loop_config(project.id)?;
            let workspace = crate::engine::projects::open_workspace(&project)?;
            Ok((project, config, workspace))
        });
        let prepared = prepared.and_then(|(project, config, workspace)| {
            let review = self.review_of(&project)?;
            Ok((project, config, workspace, review))
        });
        let (project, config, workspace, review) = match prepared {
            Ok(p) => p,
            Err(message) => {
                self.refuse_message(id, text, message.clone()).await;
                self.fail(command, message);
                return Ok(());
            }
        };
        let (switch, stop) = stop_pair();
        {
            let mut inner = state.lock();
            inner.running = true;
            inner.stop = Some(switch);
        }
        self.emit(Event::TurnRunning { session: id, running: true });
        let context = memory::project_context(self.store.reader(), project.id, &project.root);
        let mut conversation = Conversation::new(session.clone(), Role::Chat, context);
        conversation.transcript = transcript(self.store.reader(), id)?;
        let journal = self.journal.clone();
        let mut host = AgentHost {
            autopilot: config.settings.autopilot,
            ..AgentHost::new(AgentHostParts {
                workspace,
                project: project.id,
                session: id,
                journal: journal.clone(),
                review,
                approvals: config.approvals.clone(),
                ceiling: crate::domain::SandboxPolicy::FullAccess,
                role: Role::Chat,
            })
        };
        let agent: Agent = config.worker;
        let (hub, store) = (config.mcp.clone(), self.store.clone());
        let settings = config.settings;
        tokio::spawn(async move {
            // The servers' tools in their stable order: the same list each message keeps the cache.
            host.mcp = super::mcp_tools::McpAccess::for_agent(&hub, store.reader(), project.id, false, None).await;
            conversation.offer(host.mcp.specs());
            let mut text = text;
            loop {
                let id = conversation.session.id;
                journal.record(id, Record::Message(Message::text(id, MessageRole::User, text.clone()))).await;
                conversation.push_user(text);
                let outcome =
                    run_turn(&agent, &mut conversation, &mut host, &TurnBudget::default(), &stop, &journal).await;
                if let super::turn::TurnOutcome::Failed(message) = outcome {
                    journal.record(id, super::conversations::error_note(message)).await;
                }
                if !stop.is_set() {
                    rotate_at_boundary(&agent, &mut conversation, &settings, &stop, &journal, store.reader()).await;
                    host.session = conversation.session.id;
                }
                super::conversations::announce(&journal, store.reader(), conversation.session.id);
                let mut inner = state.lock();
                if inner.queue.is_empty() || stop.is_set() {
                    inner.running = false;
                    inner.stop = None;
                    journal.emit(Event::TurnRunning { session: id, running: false });
                    if id != conversation.session.id {
                        journal.emit(Event::TurnRunning { session: conversation.session.id, running: false });
                    }
                    break;
                }
                text = std::mem::take(&mut inner.queue).join("\n\n");
                journal.emit(Event::QueueChanged { session: conversation.session.id, queued: Vec::new() });
            }
        });
        Ok(())
    }

    /// A message that cannot start a turn stays in its conversation with the reason under it, so
    /// the chat reads the same after a restart.
    async fn refuse_message(&mut self, session: SessionId, text: String, reason: String) {
        self.journal.record(session, Record::Message(Message::text(session, MessageRole::User, text))).await;
        self.journal.record(session, super::conversations::error_note(reason)).await;
        self.emit(Event::TurnRunning { session, running: false });
    }

    /// `/drone NAME goal`: summons the Drone into its own tab; the chat keeps a line saying so.
    async fn summon_from_chat(&mut self, command: u64, session: &Session, text: &str, summon: &str) -> EngineResult {
        let Some(project) = session.project else {
            self.fail(command, "the session belongs to no project");
            return Ok(());
        };
        let (name, goal) = summon.split_once(' ').map(|(n, g)| (n, g.trim())).unwrap_or((summon, ""));
        if name.is_empty() || goal.is_empty() {
            self.fail(
                command,
                "say which Drone and what it should do: /drone NAME goal (e.g. /drone review the last task)",
            );
            return Ok(());
        }
        match self.run_drone(project, name, goal.to_string(), None).await {
            Ok(run) => {
                let id = session.id;
                self.journal.record(id, Record::Message(Message::text(id, MessageRole::User, text))).await;
                let note = format!("Summoned the {} Drone: {goal}. It works in its own tab.", run.drone);
                self.journal.record(id, Record::Message(Message::text(id, MessageRole::System, note))).await;
                // The chat itself takes no turn: its surfaces stop waiting for one.
                self.emit(Event::TurnRunning { session: id, running: false });
            }
            Err(message) => self.fail(command, message),
        }
        Ok(())
    }

    pub(super) fn stop_turn(&mut self, command: u64, id: SessionId) {
        let root = super::conversations::chain_of(self.store.reader(), id)
            .ok()
            .and_then(|chain| chain.last().map(|s| s.id))
            .unwrap_or(id);
        let pressed = self.chats.get(&root).or_else(|| self.chats.get(&id)).is_some_and(|state| {
            let inner = state.lock();
            if let Some(stop) = &inner.stop {
                stop.press();
            }
            inner.running
        });
        if !pressed {
            self.fail(command, format!("no turn is running in session {id}"));
        }
    }
}

/// Past the rotation threshold, a chat continues in a new session from a summary, as the dev loop's
/// sessions do at a task boundary; the summary is the new session's first record, so a turn built
/// later from the records starts from it too.
async fn rotate_at_boundary(
    agent: &Agent,
    conversation: &mut Conversation,
    settings: &crate::protocol::LoopSettings,
    stop: &super::turn::Stop,
    journal: &super::Journal,
    reader: &Store,
) {
    if let Some(window) = agent.window
        && let Some(used) = conversation.context_used()
    {
        journal.emit(Event::ContextUse { session: conversation.session.id, used, window });
    }
    if !super::rotation::should_rotate(conversation, agent.window, settings) {
        return;
    }
    let old = conversation.session.clone();
    match super::rotation::rotate(agent, conversation, stop, journal).await {
        Ok(next) => {
            let summary = next.context.summary.clone().unwrap_or_default();
            let message = super::conversations::summary_message(next.session.id, &summary);
            journal.record(next.session.id, Record::Message(message)).await;
            if let Some(project) = old.project
                && super::conversations::current(reader, project) == Some(old.id)
            {
                journal.set_current(project, next.session.id).await;
            }
            *conversation = next;
        }
        Err(e) => tracing::warn!("the chat was not rotated: {e}"),
    }
}
