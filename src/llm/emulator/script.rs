//! What the emulator says: a script of turns, one per request, each a list of steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A model the emulator pretends to serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmulatedModel {
    pub name: String,
    pub context_window: u32,
}

/// One piece of a scripted reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    Text {
        text: String,
    },
    Reasoning {
        text: String,
    },
    /// `arguments` is sent as written, so a script can send arguments that are not valid JSON.
    ToolCall {
        name: String,
        arguments: String,
    },
    /// The whole response is an HTTP error in the format's own shape (only step of its turn).
    HttpError {
        status: u16,
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// An error event after the stream began.
    StreamError {
        kind: String,
        message: String,
    },
    /// The connection drops in the middle of an event.
    Cut,
    /// An event whose JSON is broken.
    Malformed,
    /// An event of a type no client knows (clients must ignore it).
    UnknownEvent,
    /// A pause before the next step.
    Delay {
        ms: u64,
    },
}

/// One response: the steps in order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Turn {
    pub steps: Vec<Step>,
}

impl Turn {
    pub fn text(text: impl Into<String>) -> Self {
        Turn { steps: vec![Step::Text { text: text.into() }] }
    }

    pub fn steps(steps: Vec<Step>) -> Self {
        Turn { steps }
    }
}

/// The whole conversation the emulator plays, request by request. When the turns run out it
/// answers with a short text saying so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// When set, requests must carry this key (401 otherwise, in each format's own words).
    #[serde(default)]
    pub api_key: Option<String>,
    /// When not empty, other model names get a 404.
    #[serde(default)]
    pub models: Vec<EmulatedModel>,
    #[serde(default)]
    pub turns: Vec<Turn>,
    /// Turns for requests naming one model, each list played in its own order: parallel agents
    /// on different models (Drones) each get their own script, whatever order their requests
    /// arrive in. Other models get `turns`.
    #[serde(default)]
    pub per_model: BTreeMap<String, Vec<Turn>>,
    /// Pause between streamed chunks, to look like a real model.
    #[serde(default)]
    pub chunk_delay_ms: u64,
    /// Each `⌚` in streamed text becomes the moment its chunk was sent, in microseconds since the
    /// Unix epoch, so a client can measure what it adds to each chunk's way.
    #[serde(default)]
    pub stamp_sends: bool,
}

impl Script {
    pub fn new(turns: Vec<Turn>) -> Self {
        Script {
            api_key: None,
            models: Vec::new(),
            turns,
            per_model: BTreeMap::new(),
            chunk_delay_ms: 0,
            stamp_sends: false,
        }
    }

    pub fn with_key(mut self, key: &str) -> Self {
        self.api_key = Some(key.to_string());
        self
    }

    /// Gives requests for `model` their own turns.
    pub fn for_model(mut self, model: &str, turns: Vec<Turn>) -> Self {
        self.per_model.insert(model.to_string(), turns);
        self
    }

    pub fn with_model(mut self, name: &str, context_window: u32) -> Self {
        self.models.push(EmulatedModel { name: name.to_string(), context_window });
        self
    }
}

/// Stands for the send time in a stamped script's text (see [`Script::stamp_sends`]).
pub const SEND_STAMP: char = '⌚';

/// The emulator's tokenizer: one token per 4 bytes of text, rounded up. Real tokenizers differ,
/// but a fixed rule keeps usage and cache figures exact and reproducible in tests.
pub fn tokens(text: &str) -> u64 {
    text.len().div_ceil(4) as u64
}

/// Splits text into the small pieces a model streams (about 3 to 8 bytes, on char boundaries).
pub fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if i > start && (i - start >= 6 || (c == ' ' && i - start >= 3)) {
            out.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rebuild_the_text_on_char_boundaries() {
        let text = "Héllo wörld, this is ✓ streamed";
        let pieces = pieces(text);
        assert!(pieces.len() > 4);
        assert_eq!(pieces.concat(), text);
        assert_eq!(tokens("abcd"), 1);
        assert_eq!(tokens("abcde"), 2);
    }

    #[test]
    fn scripts_read_from_json() {
        let script: Script = serde_json::from_str(
            r#"{"api_key":"k","turns":[{"steps":[{"step":"text","text":"hi"},{"step":"tool_call","name":"read","arguments":"{\"path\":\"a\"}"}]},{"steps":[{"step":"http_error","status":429,"message":"slow down","retry_after_secs":1}]}]}"#,
        )
        .unwrap();
        assert_eq!(script.turns.len(), 2);
        assert!(matches!(script.turns[1].steps[0], Step::HttpError { status: 429, .. }));
    }
}
