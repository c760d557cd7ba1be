//! What comes back from a model while it answers, the same for every wire format.

use serde::{Deserialize, Serialize};

use crate::domain::Usage;

use super::request::ToolCallRequest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    StopSequence,
    /// Refusals, content filters and reasons this build does not know, as the provider named them.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StreamEvent {
    TextDelta {
        text: String,
    },
    ReasoningDelta {
        text: String,
    },
    ToolCallStart {
        index: usize,
        id: String,
        name: String,
    },
    ToolCallDelta {
        index: usize,
        arguments: String,
    },
    /// The call's arguments are complete. `Err` carries why they are not usable (not valid JSON),
    /// so the loop can return that to the model instead of running the tool.
    ToolCallEnd {
        index: usize,
        call: Result<ToolCallRequest, String>,
    },
    /// Token counts so far; the last one of a response is its total.
    Usage {
        usage: Usage,
    },
    Stop {
        reason: StopReason,
    },
}
