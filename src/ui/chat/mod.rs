//! The chat of the open project: its conversation as items (messages, tool cards, work orders,
//! receipts, changes), the reply streaming in, and what waits in the queue. Built only from engine
//! events; what the user does becomes commands. A Drone run's conversation is the same model, fed
//! by the same events under the run's session.

mod approval;
mod cards;
pub mod conversations;
mod panel;

use crate::domain::{
    ChangeSet, ChangeSetId, ChangeSetStatus, Message, MessagePart, ProjectId, Receipt, Record, Role, SessionId,
    SessionKind, ToolCall, ToolCallId, WorkOrder, WorkOrderStatus,
};
use crate::protocol::{Command, ConversationSummary, Event};

use super::intents::Intents;
use super::markdown::Rendered;
use super::rows::RowHeights;

pub(super) use cards::work_order_ui;
pub use panel::chat_ui;
pub(super) use panel::conversation_ui;

/// How many records a page of history holds.
const HISTORY_PAGE: u32 = 400;
/// A paste longer than this is attached to the message rather than typed into the input.
const PASTE_INLINE_BYTES: usize = 100_000;
/// How much of a longer message of the user's the chat shows.
const USER_SHOWN_CHARS: usize = 4_000;

#[derive(Debug)]
pub enum ToolState {
    Running,
    Done { is_error: bool, summary: String },
}

/// A tool call as a compact card that expands to the full output.
#[derive(Debug)]
pub struct ToolCard {
    pub call: ToolCall,
    /// `None` until the call has started (a call cut by Stop before it ran still ends with a result).
    pub state: Option<ToolState>,
    pub output: Option<String>,
    pub expanded: bool,
}

/// What the user decided on a work order from this card.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderDraft {
    /// Showing the order with its three buttons.
    Open,
    /// Editing it before approving.
    Editing {
        goal: String,
        capsule: String,
        acceptance: String,
    },
    /// Writing why it is rejected.
    Rejecting {
        reason: String,
    },
    Decided(String),
}

#[derive(Debug)]
pub enum ChatItem {
    User(String),
    Assistant { text: String, rendered: Option<Rendered> },
    Reasoning(String),
    Tool(ToolCard),
    WorkOrder { order: WorkOrder, draft: OrderDraft },
    Receipt(Receipt),
    Change { id: ChangeSetId, title: String, files: Vec<String>, status: ChangeSetStatus },
    Command { approval: crate::domain::CommandApproval, decided: Option<crate::domain::CommandDecision> },
    Note { text: String, error: bool },
}

/// The reply arriving now, re-laid out only when its text grew.
#[derive(Debug, Default)]
pub struct LiveReply {
    pub text: String,
    pub reasoning: String,
    pub rendered: Option<Rendered>,
}

#[derive(Debug, Default)]
pub struct ChatView {
    pub project: Option<ProjectId>,
    pub session: Option<SessionId>,
    pub items: Vec<ChatItem>,
    pub live: Option<LiveReply>,
    pub running: bool,
    pub queued: Vec<String>,
    pub input: String,
    /// Text pasted too large for the input, sent with the next message.
    pub pasted: Option<String>,
    /// A message typed before the chat session existed: sent once it is created.
    pending: Option<String>,
    /// The session whose records are being paged back through (the conversation's newest first).
    paging: Option<SessionId>,
    /// The conversation's older sessions, newest first, whose records are not shown yet.
    older: Vec<SessionId>,
    /// The oldest record shown of `paging`, and whether older ones exist.
    first_seq: Option<u64>,
    pub history_complete: bool,
    pub rows: RowHeights,
    /// Set when the user asks for earlier history; the panel keeps its place.
    pub loading_history: bool,
    /// Work orders are approved without asking (the project's loop setting).
    pub autopilot: bool,
    /// A message was sent and its turn has not started yet: an error now is about it.
    awaiting_turn: bool,
    /// A Drone run's conversation: only its session's events are its. Work orders, receipts and
    /// errors are the main chat's (the run's receipt is shown by its tab).
    run: bool,
}

fn item_of_message(message: Message, out: &mut Vec<ChatItem>) {
    match message.role {
        Role::User => out.push(ChatItem::User(message.plain_text())),
        // Aura's own lines in a conversation (a Drone summoned from it), not the user's words.
        Role::System => out.push(ChatItem::Note { text: message.plain_text(), error: false }),
        Role::Assistant => {
            for part in message.parts {
                match part {
                    MessagePart::Reasoning { text } if !text.trim().is_empty() => out.push(ChatItem::Reasoning(text)),
                    MessagePart::Text { text } if !text.trim().is_empty() => {
                        out.push(ChatItem::Assistant { text, rendered: None })
                    }
                    MessagePart::ToolCall(call) => {
                        out.push(ChatItem::Tool(ToolCard { call, state: None, output: None, expanded: false }))
                    }
                    _ => {}
                }
            }
        }
        Role::Tool => {
            for part in message.parts {
                if let MessagePart::ToolResult { call, content, is_error } = part {
                    attach_result(out, call, content, is_error);
                }
            }
        }
    }
}

/// A tool's result fills its card: the first line is the summary, the whole is the output.
fn attach_result(items: &mut [ChatItem], call: ToolCallId, content: String, is_error: bool) {
    let card = items.iter_mut().rev().find_map(|item| match item {
        ChatItem::Tool(card) if card.call.id == call => Some(card),
        _ => None,
    });
    if let Some(card) = card {
        let summary = content.lines().next().unwrap_or("").chars().take(160).collect();
        card.state = Some(ToolState::Done { is_error, summary });
        card.output = Some(content);
    }
}

fn change_item(changeset: &ChangeSet) -> ChatItem {
    ChatItem::Change {
        id: changeset.id,
        title: changeset.title.clone(),
        files: changeset.files.iter().map(|f| f.path.clone()).collect(),
        status: changeset.status,
    }
}

/// How a work order's card reads once it is decided.
fn decided(status: &WorkOrderStatus, autopilot: bool) -> Option<String> {
    match status {
        WorkOrderStatus::Proposed => None,
        WorkOrderStatus::Approved if autopilot => Some("Approved by autopilot".into()),
        WorkOrderStatus::Approved => Some("Approved".into()),
        WorkOrderStatus::Rejected { reason } => Some(format!("Rejected: {reason}")),
    }
}

impl ChatView {
    /// A conversation of `project` (a new, empty one when `None`), whose history is asked for.
    pub fn open(project: ProjectId, conversation: Option<&ConversationSummary>, intents: &mut Intents) -> ChatView {
        let mut chat = ChatView { project: Some(project), ..ChatView::default() };
        match conversation {
            Some(conversation) => {
                chat.older = conversation.sessions.iter().skip(1).copied().collect();
                chat.load(conversation.session, intents);
            }
            None => chat.history_complete = true,
        }
        chat
    }

    /// The conversation of a Drone run: streamed from its start when `live`, else read from history.
    pub fn of_run(project: ProjectId, session: SessionId, live: bool, intents: &mut Intents) -> ChatView {
        let mut chat = ChatView { project: Some(project), run: true, ..ChatView::default() };
        if live {
            chat.session = Some(session);
            chat.history_complete = true;
            chat.running = true;
        } else {
            chat.load(session, intents);
        }
        chat
    }

    fn load(&mut self, session: SessionId, intents: &mut Intents) {
        self.session = Some(session);
        self.paging = Some(session);
        self.loading_history = true;
        intents.send(Command::LoadHistory { session, before: None, limit: HISTORY_PAGE });
    }

    /// Sends what was typed: at once, or after the chat session has been created.
    pub fn send(&mut self, intents: &mut Intents) {
        let mut text = self.input.trim().to_string();
        if let Some(pasted) = self.pasted.take() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&pasted);
        }
        if text.trim().is_empty() {
            return;
        }
        self.input.clear();
        match (self.session, self.project) {
            (Some(session), _) => {
                self.awaiting_turn = !self.running;
                intents.send(Command::SendMessage { session, text })
            }
            (None, Some(project)) if self.pending.is_none() => {
                let title = conversations::title_from(&text);
                self.pending = Some(text);
                intents.send(Command::CreateSession { project, kind: SessionKind::Chat, title });
            }
            (None, Some(_)) => {
                if let Some(pending) = &mut self.pending {
                    pending.push_str("\n\n");
                    pending.push_str(&text);
                }
            }
            (None, None) => self.input = text,
        }
    }

    pub fn load_earlier(&mut self, intents: &mut Intents) {
        if let (Some(session), false) = (self.paging, self.history_complete || self.loading_history) {
            self.loading_history = true;
            intents.send(Command::LoadHistory { session, before: self.first_seq, limit: HISTORY_PAGE });
        }
    }

    fn mine(&self, session: SessionId) -> bool {
        self.session == Some(session)
    }

    /// Applies an event that may concern the chat.
    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        match event {
            Event::SessionCreated { session }
                if session.kind == SessionKind::Chat && session.project == self.project && self.session.is_none() =>
            {
                self.session = Some(session.id);
                self.history_complete = true;
                if let Some(text) = self.pending.take() {
                    self.awaiting_turn = true;
                    intents.send(Command::SendMessage { session: session.id, text });
                }
            }
            Event::History { session, records, complete } if self.paging == Some(*session) => {
                let newest = self.first_seq.is_none() && self.paging == self.session;
                let mut older = Vec::new();
                for (_, record) in records.iter().cloned() {
                    self.push_record(record, &mut older);
                }
                self.first_seq = records.first().map(|(seq, _)| *seq).or(self.first_seq);
                self.history_complete = *complete;
                // The session a rotation continued goes on where this one's records begin.
                if *complete && !self.older.is_empty() {
                    self.paging = Some(self.older.remove(0));
                    self.first_seq = None;
                    self.history_complete = false;
                }
                self.loading_history = false;
                older.append(&mut self.items);
                self.items = older;
                // A question left without an answer by a turn that ended (Aura closed, or Stop
                // before a word) says so, rather than looking as if one is on its way.
                if newest && !self.running && !self.run && matches!(self.items.last(), Some(ChatItem::User(_))) {
                    self.note("No reply: the turn ended before an answer was written (Aura was closed or the turn stopped). Send it again to ask.", false);
                }
                self.rows.clear();
            }
            Event::Recorded { session, record, .. } if self.mine(*session) => {
                match record {
                    Record::Message(m) if m.role == Role::Assistant => self.live = None,
                    // The message's answer is this note: the error that follows is not news here.
                    Record::Note { error: true, .. } => {
                        self.awaiting_turn = false;
                        self.pending = None;
                    }
                    _ => {}
                }
                let mut items = std::mem::take(&mut self.items);
                self.push_record(record.clone(), &mut items);
                self.items = items;
            }
            Event::TextDelta { session, text } if self.mine(*session) => {
                let live = self.live.get_or_insert_with(LiveReply::default);
                live.text.push_str(text);
                live.rendered = None;
            }
            Event::ReasoningDelta { session, text } if self.mine(*session) => {
                self.live.get_or_insert_with(LiveReply::default).reasoning.push_str(text);
            }
            Event::ToolCallStarted { session, call } if self.mine(*session) => {
                if let Some(card) = self.card(call.id) {
                    card.state = Some(ToolState::Running);
                }
            }
            Event::ToolCallFinished { session, call, is_error, summary } if self.mine(*session) => {
                if let Some(card) = self.card(*call) {
                    card.state = Some(ToolState::Done { is_error: *is_error, summary: summary.clone() });
                }
            }
            Event::TurnRunning { session, running } if self.mine(*session) => {
                self.running = *running;
                self.awaiting_turn = false;
                if !running {
                    self.live = None;
                }
            }
            Event::QueueChanged { session, queued } if self.mine(*session) => self.queued = queued.clone(),
            Event::SessionRotated { from, to } if self.mine(*from) => {
                self.session = Some(to.id);
                self.note("The conversation ran out of room and continues from a summary.", false);
            }
            Event::Compacted { session, tier } if self.mine(*session) => {
                self.note(&format!("Older tool results were shortened to save room (tier {tier})."), false);
            }
            // The Worker's and the chat's commands ask here; a Drone's ask in its own tab.
            Event::CommandApprovalRequested { approval }
                if self.mine(approval.session) || (!self.run && self.project == Some(approval.project)) =>
            {
                self.items.push(ChatItem::Command { approval: approval.clone(), decided: None })
            }
            Event::CommandDecided { approval: id, decision, .. } => {
                for item in self.items.iter_mut().rev() {
                    if let ChatItem::Command { approval, decided } = item
                        && approval.id == *id
                    {
                        *decided = Some(*decision);
                    }
                }
            }
            Event::LoopSettingsChanged { project, settings } if self.project == Some(*project) => {
                self.autopilot = settings.autopilot
            }
            Event::ChangeSetProposed { changeset } if changeset.session.is_some_and(|s| self.mine(s)) => {
                self.items.push(change_item(changeset))
            }
            Event::ChangeSetDecided { changeset, .. } => {
                for item in self.items.iter_mut().rev() {
                    if let ChatItem::Change { id, status, .. } = item
                        && *id == changeset.id
                    {
                        *status = changeset.status;
                    }
                }
            }
            Event::Error { message, .. }
                if !self.run && (self.running || self.awaiting_turn || self.pending.is_some()) =>
            {
                self.awaiting_turn = false;
                self.pending = None;
                self.note(message, true)
            }
            _ => {}
        }
    }

    /// A work order's card, or its new state when the card is already shown (it is recorded again
    /// when decided).
    fn push_order(&self, order: WorkOrder, out: &mut Vec<ChatItem>) {
        let shown = out.iter_mut().rev().find_map(|item| match item {
            ChatItem::WorkOrder { order: o, draft } if o.id == order.id => Some((o, draft)),
            _ => None,
        });
        let outcome = decided(&order.status, self.autopilot);
        match shown {
            Some((shown, draft)) => {
                if let Some(outcome) = outcome {
                    *draft = OrderDraft::Decided(outcome);
                }
                *shown = order;
            }
            None => {
                out.push(ChatItem::WorkOrder { draft: outcome.map_or(OrderDraft::Open, OrderDraft::Decided), order })
            }
        }
    }

    /// The card of a work order shown here, to draw it elsewhere with the same state.
    pub fn order_card(&mut self, id: crate::domain::WorkOrderId) -> Option<(&WorkOrder, &mut OrderDraft)> {
        self.items.iter_mut().rev().find_map(|item| match item {
            ChatItem::WorkOrder { order, draft } if order.id == id => Some((&*order, draft)),
            _ => None,
        })
    }

    fn note(&mut self, text: &str, error: bool) {
        self.items.push(ChatItem::Note { text: text.to_string(), error });
    }

    fn card(&mut self, call: ToolCallId) -> Option<&mut ToolCard> {
        self.items.iter_mut().rev().find_map(|item| match item {
            ChatItem::Tool(card) if card.call.id == call => Some(card),
            _ => None,
        })
    }

    fn push_record(&mut self, record: Record, out: &mut Vec<ChatItem>) {
        match record {
            Record::Message(message) => item_of_message(message, out),
            Record::ChangeSet(changeset) => out.push(change_item(&changeset)),
            Record::Receipt(receipt) if !self.run => out.push(ChatItem::Receipt(receipt)),
            Record::WorkOrder(order) if !self.run => self.push_order(order, out),
            Record::Note { text, error, .. } => out.push(ChatItem::Note { text, error }),
            Record::Compacted { tier: 0, .. } => {
                out.push(ChatItem::Note { text: "The conversation continues from a summary.".into(), error: false })
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Session, Usage};

    fn session() -> Session {
        Session::new(Some(ProjectId::new()), SessionKind::Chat, "Chat")
    }

    fn listed(s: &Session) -> ConversationSummary {
        ConversationSummary::fresh(s)
    }

    #[test]
    fn a_streamed_reply_becomes_one_message_and_tool_cards_fill_in() {
        let s = session();
        let mut intents = Intents::default();
        let mut chat = ChatView::open(s.project.unwrap(), Some(&listed(&s)), &mut intents);
        assert!(matches!(intents.commands()[0], Command::LoadHistory { limit: HISTORY_PAGE, .. }));
        chat.apply(&Event::History { session: s.id, records: vec![], complete: true }, &mut intents);
        for text in ["Let me ", "look."] {
            chat.apply(&Event::TextDelta { session: s.id, text: text.into() }, &mut intents);
        }
        assert_eq!(chat.live.as_ref().unwrap().text, "Let me look.");
        let call = ToolCall {
            id: ToolCallId::new(),
            provider_id: "c1".into(),
            name: "read_file".into(),
            arguments: serde_json::json!({"path": "src/lib.rs"}),
        };
        let reply = Message::new(
            s.id,
            Role::Assistant,
            vec![MessagePart::Text { text: "Let me look.".into() }, MessagePart::ToolCall(call.clone())],
        );
        chat.apply(&Event::Recorded { session: s.id, seq: 1, record: Record::Message(reply) }, &mut intents);
        assert!(chat.live.is_none(), "the finished message replaces the streamed text");
        chat.apply(&Event::ToolCallStarted { session: s.id, call: call.clone() }, &mut intents);
        let result = Message::new(
            s.id,
            Role::Tool,
            vec![MessagePart::ToolResult { call: call.id, content: "1 | pub fn x() {}\n2 |".into(), is_error: false }],
        );
        chat.apply(&Event::Recorded { session: s.id, seq: 2, record: Record::Message(result) }, &mut intents);
        assert_eq!(chat.items.len(), 2);
        let ChatItem::Tool(card) = &chat.items[1] else { panic!("{:?}", chat.items[1]) };
        assert!(
            matches!(&card.state, Some(ToolState::Done { is_error: false, summary }) if summary == "1 | pub fn x() {}")
        );
        assert_eq!(card.output.as_deref(), Some("1 | pub fn x() {}\n2 |"));
        // Other sessions' events are not this chat's.
        chat.apply(&Event::TextDelta { session: SessionId::new(), text: "x".into() }, &mut intents);
        assert!(chat.live.is_none());
        chat.apply(&Event::TurnFinished { session: s.id, usage: Usage::default() }, &mut intents);
    }

    #[test]
    fn a_first_message_creates_the_session_then_is_sent() {
        let project = ProjectId::new();
        let mut intents = Intents::default();
        let mut chat = ChatView::open(project, None, &mut intents);
        assert!(intents.as_slice().is_empty());
        chat.input = "  hello  ".into();
        chat.send(&mut intents);
        assert!(matches!(intents.commands().as_slice(), [Command::CreateSession { kind: SessionKind::Chat, .. }]));
        assert!(chat.input.is_empty());
        let mut s = session();
        s.project = Some(project);
        chat.apply(&Event::SessionCreated { session: s.clone() }, &mut intents);
        assert_eq!(intents.commands().last(), Some(&Command::SendMessage { session: s.id, text: "hello".into() }));
    }

    #[test]
    fn a_question_a_restart_left_unanswered_says_so_unless_its_turn_runs() {
        let s = session();
        let question = Record::Message(Message::text(s.id, Role::User, "And the lexer?"));
        for running in [false, true] {
            let mut intents = Intents::default();
            let mut chat = ChatView::open(s.project.unwrap(), Some(&listed(&s)), &mut intents);
            chat.running = running;
            let history = Event::History { session: s.id, records: vec![(3, question.clone())], complete: false };
            chat.apply(&history, &mut intents);
            let noted = matches!(chat.items.last(), Some(ChatItem::Note { text, .. }) if text.starts_with("No reply"));
            assert_eq!(noted, !running, "running: {running}");
        }
    }

    #[test]
    fn earlier_history_goes_before_what_is_shown() {
        let s = session();
        let mut intents = Intents::default();
        let mut chat = ChatView::open(s.project.unwrap(), Some(&listed(&s)), &mut intents);
        let user = |t: &str| Record::Message(Message::text(s.id, Role::User, t));
        chat.apply(&Event::History { session: s.id, records: vec![(5, user("five"))], complete: false }, &mut intents);
        chat.load_earlier(&mut intents);
        assert_eq!(
            intents.commands().last(),
            Some(&Command::LoadHistory { session: s.id, before: Some(5), limit: HISTORY_PAGE })
        );
        chat.apply(&Event::History { session: s.id, records: vec![(4, user("four"))], complete: true }, &mut intents);
        let texts: Vec<_> = chat
            .items
            .iter()
            .map(|i| match i {
                ChatItem::User(t) => t.as_str(),
                _ => "(note)",
            })
            .collect();
        // The newest page ended on a question nobody answered: the note says so, after it.
        assert_eq!(texts, ["four", "five", "(note)"]);
        assert!(chat.history_complete);
    }
}
