//! Conversations: sessions, their messages and the parts a message is made of.

use serde::{Deserialize, Serialize};

use super::id::{DroneId, MessageId, ProjectId, SessionId, TaskId, ToolCallId};
use super::now_millis;
use super::receipt::Usage;

/// What a session is for; every kind is stored and replayed the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SessionKind {
    /// The main chat of a project.
    Chat,
    Planner {
        task: Option<TaskId>,
    },
    Worker {
        task: Option<TaskId>,
    },
    Drone {
        drone: DroneId,
    },
    /// A one-off turn about the specs (the spec writer, the task list repairer): shown from the
    /// Specs tab, never listed as a conversation.
    Specs,
}

/// One conversation. Its messages live in the store's append-only record log under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub project: Option<ProjectId>,
    pub kind: SessionKind,
    pub title: String,
    /// The model this session talks to, as `provider/model`.
    pub model: Option<String>,
    pub created_at: u64,
    /// The session this one continues after a context rotation.
    #[serde(default)]
    pub previous: Option<SessionId>,
    /// How many rotations led here (0 for a first session).
    #[serde(default)]
    pub rotation: u32,
}

impl Session {
    pub fn new(project: Option<ProjectId>, kind: SessionKind, title: impl Into<String>) -> Self {
        Session {
            id: SessionId::new(),
            project,
            kind,
            title: title.into(),
            model: None,
            created_at: now_millis(),
            previous: None,
            rotation: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
    /// Results of tool calls, sent back to the model.
    Tool,
}

/// A tool a model may call, with the JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// A tool the model asked to run, with its JSON arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: ToolCallId,
    /// The provider's own id for the call, echoed back with the result.
    pub provider_id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

/// A piece of a message, in the order the model produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum MessagePart {
    Text {
        text: String,
    },
    /// The model's visible reasoning, kept so providers that require it can be sent it back.
    Reasoning {
        text: String,
    },
    ToolCall(ToolCall),
    /// What a tool returned; `is_error` marks failed or cancelled calls, which always get a result.
    ToolResult {
        call: ToolCallId,
        content: String,
        is_error: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub session: SessionId,
    pub role: Role,
    pub parts: Vec<MessagePart>,
    /// Tokens the request that produced this message used (assistant messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    pub created_at: u64,
}

impl Message {
    pub fn new(session: SessionId, role: Role, parts: Vec<MessagePart>) -> Self {
        Message { id: MessageId::new(), session, role, parts, usage: None, created_at: now_millis() }
    }

    pub fn text(session: SessionId, role: Role, text: impl Into<String>) -> Self {
        Self::new(session, role, vec![MessagePart::Text { text: text.into() }])
    }

    /// The message's text parts joined, for previews and search.
    pub fn plain_text(&self) -> String {
        let texts: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                MessagePart::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        texts.join("\n")
    }
}
