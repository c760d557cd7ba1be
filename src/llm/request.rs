//! What Aura sends a model, independent of the wire format.

use serde::{Deserialize, Serialize};

pub use crate::domain::ToolSpec;

/// A tool call as the model made it; `arguments` is the parsed JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    /// The provider's id for the call (synthesised for providers without ids).
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

/// One turn of the transcript, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum ChatMessage {
    User {
        text: String,
    },
    Assistant {
        text: String,
        /// Sent back only where a provider requires it (DeepSeek, within a tool loop).
        reasoning: Option<String>,
        tool_calls: Vec<ToolCallRequest>,
    },
    ToolResult {
        call_id: String,
        name: String,
        content: String,
        is_error: bool,
    },
}

/// How the request should use the provider's prompt cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheHints {
    /// A stable key per session (OpenAI's `prompt_cache_key`).
    pub session_key: Option<String>,
    /// Place Anthropic `cache_control` breakpoints (system, last tool, newest user turn).
    pub breakpoints: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub system: String,
    pub tools: Vec<ToolSpec>,
    pub messages: Vec<ChatMessage>,
    pub max_output_tokens: u32,
    pub temperature: Option<f32>,
    /// Tokens of thinking to allow where the provider supports a budget (Anthropic).
    pub thinking_budget: Option<u32>,
    pub cache: CacheHints,
}

impl ChatRequest {
    /// A one-message request: what `aura chat` sends.
    pub fn simple(model: impl Into<String>, text: impl Into<String>) -> Self {
        ChatRequest {
            model: model.into(),
            system: String::new(),
            tools: Vec::new(),
            messages: vec![ChatMessage::User { text: text.into() }],
            max_output_tokens: 4096,
            temperature: None,
            thinking_budget: None,
            cache: CacheHints { session_key: None, breakpoints: true },
        }
    }
}
