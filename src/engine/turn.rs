//! The conversation turn loop: stream the model's reply, run its tool calls in the order it gave
//! them (results appended in that order), and repeat until it answers without tools, a tool ends
//! the turn, the user stops it, or a budget (steps, tokens, time) runs out. Every call gets a
//! result: a cancelled or failed one gets an explicit error result, never a silent gap.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::domain::{
    Message, MessagePart, Record, RequestUsage, Role as MessageRole, Session, ToolCall, ToolCallId, Usage,
};
use crate::llm::catalog::Catalog;
use crate::llm::{CacheHints, ChatMessage, ChatRequest, Provider, StreamEvent, ToolCallRequest, ToolSpec};
use crate::protocol::Event;

use super::Journal;
use super::prompt::{self, ProjectContext, Role};
use super::rotation;

/// A model to talk to, with the catalog that prices it.
#[derive(Clone)]
pub struct Agent {
    pub provider: Arc<dyn Provider>,
    pub model: String,
    pub catalog: Arc<Catalog>,
    /// The model's context window in tokens, when known.
    pub window: Option<u64>,
}

impl Agent {
    fn cost(&self, usage: &Usage) -> Option<f64> {
        if self.provider.is_local() { Some(0.0) } else { self.catalog.cost(&self.model, usage) }
    }
}

/// One conversation as the model sees it: the frozen layers and the append-only transcript.
pub struct Conversation {
    pub session: Session,
    pub role: Role,
    pub context: ProjectContext,
    system: String,
    tools: Vec<ToolSpec>,
    /// Tools beyond the role's own (MCP servers'), after them in the cached prefix.
    offered: Vec<ToolSpec>,
    pub transcript: Vec<ChatMessage>,
    /// All requests of this session added up.
    pub usage: Usage,
    /// The newest request's counts: what the context holds now.
    pub last_usage: Option<Usage>,
    /// The compaction tier already applied in the current task (0 = none).
    pub compaction_tier: u8,
    pub compactions: u32,
    pub max_output_tokens: u32,
    /// Where the session's time went, so the harness's own share can be measured.
    pub timing: Timing,
}

/// Time spent waiting on the model and on tools, over a session's steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timing {
    pub steps: u32,
    pub model: Duration,
    pub tools: Duration,
}

impl Conversation {
    pub fn new(session: Session, role: Role, context: ProjectContext) -> Self {
        Conversation {
            system: prompt::system(role, &context),
            tools: role.tools(),
            offered: Vec::new(),
            session,
            role,
            context,
            transcript: Vec::new(),
            usage: Usage::default(),
            last_usage: None,
            compaction_tier: 0,
            compactions: 0,
            max_output_tokens: 8_192,
            timing: Timing::default(),
        }
    }

    /// Offers tools beyond the role's own (an MCP server's). Only before the session's first request,
    /// or at rotation: it changes the cached prefix.
    pub fn offer(&mut self, extra: Vec<ToolSpec>) {
        self.tools.retain(|t| !self.offered.iter().any(|o| o.name == t.name));
        self.tools.extend(extra.iter().cloned());
        self.offered = extra;
    }

    /// The tools offered beyond the role's own, to carry over at rotation.
    pub fn offered(&self) -> &[ToolSpec] {
        &self.offered
    }

    /// Replaces layer 2. Only at a compaction or rotation point: it changes the cached prefix.
    pub fn set_context(&mut self, context: ProjectContext) {
        self.system = prompt::system(self.role, &context);
        self.context = context;
    }

    /// Layers 1 and 2 as sent.
    pub fn system(&self) -> &str {
        &self.system
    }

    pub fn push_user(&mut self, text: impl Into<String>) {
        self.transcript.push(ChatMessage::User { text: text.into() });
    }

    fn request(&self, model: &str) -> ChatRequest {
        ChatRequest {
            model: model.to_string(),
            system: self.system.clone(),
            tools: self.tools.clone(),
            messages: self.transcript.clone(),
            max_output_tokens: self.max_output_tokens,
            temperature: None,
            thinking_budget: None,
            cache: CacheHints { session_key: Some(self.session.id.to_string()), breakpoints: true },
        }
    }

    /// Tokens the context held at the newest request: its input and what the model added.
    pub fn context_used(&self) -> Option<u64> {
        self.last_usage.map(|u| u.total_input() + u.output_tokens)
    }
}

/// When a turn must end even if the model wants to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnBudget {
    /// Model requests.
    pub max_steps: u32,
    /// Input and output tokens over the turn's requests.
    pub max_tokens: Option<u64>,
    pub max_duration: Option<Duration>,
}

impl Default for TurnBudget {
    fn default() -> Self {
        TurnBudget { max_steps: 50, max_tokens: None, max_duration: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetKind {
    Steps,
    Tokens,
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    /// The model answered without calling a tool.
    Answered {
        text: String,
    },
    /// A tool ended the turn (a work order was submitted, the user was asked).
    Ended,
    Stopped,
    BudgetExhausted(BudgetKind),
    /// The provider failed; the message says what to do.
    Failed(String),
}

/// What a tool call returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    pub content: String,
    pub is_error: bool,
    /// The turn ends once this call's batch is done.
    pub end_turn: bool,
}

impl ToolResult {
    pub fn ok(content: impl Into<String>) -> Self {
        ToolResult { content: content.into(), is_error: false, end_turn: false }
    }

    pub fn error(content: impl Into<String>) -> Self {
        ToolResult { content: content.into(), is_error: true, end_turn: false }
    }
}

/// Runs the tools of one conversation.
pub trait ToolHost: Send {
    fn call(&mut self, call: &ToolCallRequest) -> impl Future<Output = ToolResult> + Send;
}

/// The user's stop button for one turn or run, and optionally a pause switch honoured at the
/// same safe points (before each model request, never inside a tool call); cheap to clone.
#[derive(Clone)]
pub struct Stop {
    stop: watch::Receiver<bool>,
    pause: Option<PauseGate>,
}

/// A pause switch, and what to call when a run actually stops at it (true) and goes on (false).
#[derive(Clone)]
pub struct PauseGate {
    pub paused: watch::Receiver<bool>,
    pub on_change: Arc<dyn Fn(bool) + Send + Sync>,
}

/// Presses the [`Stop`] it was made with.
pub struct StopSwitch(watch::Sender<bool>);

pub fn stop_pair() -> (StopSwitch, Stop) {
    let (tx, rx) = watch::channel(false);
    (StopSwitch(tx), Stop { stop: rx, pause: None })
}

impl StopSwitch {
    pub fn press(&self) {
        self.0.send_replace(true);
    }
}

impl Stop {
    /// The same stop, also honouring `gate` at safe points.
    pub fn with_pause(mut self, gate: PauseGate) -> Stop {
        self.pause = Some(gate);
        self
    }

    pub fn is_set(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when stop is pressed (never, if the switch is dropped unpressed).
    pub async fn wait(&self) {
        let mut rx = self.stop.clone();
        if rx.wait_for(|stopped| *stopped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A safe point: waits while paused (until resumed or stopped).
    pub async fn safe_point(&self) {
        let Some(gate) = &self.pause else { return };
        if !*gate.paused.borrow() {
            return;
        }
        (gate.on_change)(true);
        let mut paused = gate.paused.clone();
        tokio::select! {
            _ = paused.wait_for(|p| !*p) => {}
            _ = self.wait() => {}
        }
        (gate.on_change)(false);
    }
}

/// The result every call left without one gets when the user stops the turn.
pub const CANCELLED: &str = "cancelled by user";

/// Runs one turn of `conversation`.
pub async fn run_turn<H: ToolHost>(
    agent: &Agent,
    conversation: &mut Conversation,
    host: &mut H,
    budget: &TurnBudget,
    stop: &Stop,
    journal: &Journal,
) -> TurnOutcome {
    let started = Instant::now();
    let deadline = budget.max_duration.map(|d| tokio::time::Instant::now() + d);
    let mut turn_usage = Usage::default();
    let session = conversation.session.id;
    for step in 0.. {
        stop.safe_point().await;
        if stop.is_set() {
            return TurnOutcome::Stopped;
        }
        if step >= budget.max_steps {
            return TurnOutcome::BudgetExhausted(BudgetKind::Steps);
        }
        if budget.max_tokens.is_some_and(|max| turn_usage.total_input() + turn_usage.output_tokens >= max) {
            return TurnOutcome::BudgetExhausted(BudgetKind::Tokens);
        }
        if budget.max_duration.is_some_and(|max| started.elapsed() >= max) {
            return TurnOutcome::BudgetExhausted(BudgetKind::Time);
        }
        if let Some(tier) = rotation::compact_if_needed(conversation, agent.window) {
            journal.record(session, Record::Compacted { tier, at: crate::domain::now_millis() }).await;
            journal.emit(Event::Compacted { session, tier });
        }
        let asked = Instant::now();
        conversation.timing.steps += 1;
        let reply = tokio::select! {
            reply = stream_reply(agent, conversation, journal) => reply,
            _ = stop.wait() => return TurnOutcome::Stopped,
            _ = sleep_until(deadline) => return TurnOutcome::BudgetExhausted(BudgetKind::Time),
        };
        conversation.timing.model += asked.elapsed();
        let reply = match reply {
            Ok(reply) => reply,
            Err(message) => return TurnOutcome::Failed(message),
        };
        turn_usage += reply.usage;
        conversation.usage += reply.usage;
        conversation.last_usage = Some(reply.usage);
        journal.emit(Event::TurnFinished { session, usage: reply.usage });
        if let Some(project) = conversation.session.project {
            let entry = RequestUsage {
                session,
                model: agent.model.clone(),
                at: crate::domain::now_millis(),
                usage: reply.usage,
                window: agent.window,
            };
            journal.record_usage(project, entry).await;
        }

        // The assistant message, with its calls, is recorded before any call runs.
        let mut parts = Vec::new();
        if !reply.reasoning.is_empty() {
            parts.push(MessagePart::Reasoning { text: reply.reasoning.clone() });
        }
        if !reply.text.is_empty() {
            parts.push(MessagePart::Text { text: reply.text.clone() });
        }
        let calls: Vec<(ToolCall, Result<ToolCallRequest, String>)> = reply
            .calls
            .into_iter()
            .map(|(id, name, call)| {
                let arguments = call.as_ref().map(|c| c.arguments.clone()).unwrap_or_default();
                (ToolCall { id: ToolCallId::new(), provider_id: id, name, arguments }, call)
            })
            .collect();
        parts.extend(calls.iter().map(|(c, _)| MessagePart::ToolCall(c.clone())));
        let mut message = Message::new(session, MessageRole::Assistant, parts);
        message.usage = Some(reply.usage);
        journal.record(session, Record::Message(message)).await;
        conversation.transcript.push(ChatMessage::Assistant {
            text: reply.text.clone(),
            reasoning: (!reply.reasoning.is_empty()).then_some(reply.reasoning),
            tool_calls: calls
                .iter()
                .map(|(c, _)| ToolCallRequest {
                    id: c.provider_id.clone(),
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                })
                .collect(),
        });
        if calls.is_empty() {
            return TurnOutcome::Answered { text: reply.text };
        }

        let mut ended = false;
        for (call, parsed) in calls {
            journal.emit(Event::ToolCallStarted { session, call: call.clone() });
            let called = Instant::now();
            let result = match parsed {
                _ if stop.is_set() => ToolResult::error(CANCELLED),
                Err(why) => ToolResult::error(why),
                Ok(request) => tokio::select! {
                    result = host.call(&request) => result,
                    _ = stop.wait() => ToolResult::error(CANCELLED),
                },
            };
            conversation.timing.tools += called.elapsed();
            ended |= result.end_turn;
            let summary = result.content.lines().next().unwrap_or("").chars().take(160).collect();
            journal.emit(Event::ToolCallFinished { session, call: call.id, is_error: result.is_error, summary });
            let part =
                MessagePart::ToolResult { call: call.id, content: result.content.clone(), is_error: result.is_error };
            journal.record(session, Record::Message(Message::new(session, MessageRole::Tool, vec![part]))).await;
            conversation.transcript.push(ChatMessage::ToolResult {
                call_id: call.provider_id,
                name: call.name,
                content: result.content,
                is_error: result.is_error,
            });
        }
        if stop.is_set() {
            return TurnOutcome::Stopped;
        }
        if ended {
            return TurnOutcome::Ended;
        }
    }
    unreachable!("the step loop only ends by returning")
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One streamed reply, put together.
struct Reply {
    text: String,
    reasoning: String,
    /// (provider id, name, the call or why its arguments are unusable), in the model's order.
    calls: Vec<(String, String, Result<ToolCallRequest, String>)>,
    usage: Usage,
}

async fn stream_reply(agent: &Agent, conversation: &Conversation, journal: &Journal) -> Result<Reply, String> {
    let session = conversation.session.id;
    let mut stream = agent.provider.stream(conversation.request(&agent.model));
    let mut reply = Reply { text: String::new(), reasoning: String::new(), calls: Vec::new(), usage: Usage::default() };
    let mut started: HashMap<usize, (String, String)> = HashMap::new();
    while let Some(event) = stream.next().await {
        match event.map_err(|e| e.to_string())? {
            StreamEvent::TextDelta { text } => {
                reply.text.push_str(&text);
                journal.emit(Event::TextDelta { session, text });
            }
            StreamEvent::ReasoningDelta { text } => {
                reply.reasoning.push_str(&text);
                journal.emit(Event::ReasoningDelta { session, text });
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                started.insert(index, (id, name));
            }
            StreamEvent::ToolCallEnd { index, call } => {
                let (id, name) = match (&call, started.remove(&index)) {
                    (Ok(c), _) => (c.id.clone(), c.name.clone()),
                    (Err(_), Some(known)) => known,
                    (Err(_), None) => (format!("call_{index}"), "unknown".to_string()),
                };
                let call =
                    call.map_err(|why| format!("the arguments of `{name}` were not usable: {why}. Send valid JSON"));
                reply.calls.push((id, name, call));
            }
            StreamEvent::Usage { usage } => reply.usage = usage,
            StreamEvent::ToolCallDelta { .. } | StreamEvent::Stop { .. } => {}
        }
    }
    reply.usage.cost_usd = agent.cost(&reply.usage);
    Ok(reply)
}
