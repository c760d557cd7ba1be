//! The Anthropic Messages API over SSE: text, `tool_use` with `input_json_delta`, thinking blocks,
//! `ping`, mid-stream `error` events, and usage with cache reads and writes. Cache breakpoints go on
//! the system block, the last tool and the newest user turn, the three stable-prefix boundaries.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::Usage;

use super::error::LlmError;
use super::event::{StopReason, StreamEvent};
use super::framing::SseEvent;
use super::http::{Sse, SseFormat, SseStream, parse_json};
use super::request::{ChatMessage, ChatRequest};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";

/// The JSON body of a streamed Messages request.
pub fn body(request: &ChatRequest) -> Value {
    let cache = || json!({"type": "ephemeral"});
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_output_tokens,
        "stream": true,
        "messages": messages(request),
    });
    if !request.system.is_empty() {
        let mut block = json!({"type": "text", "text": request.system});
        if request.cache.breakpoints {
            block["cache_control"] = cache();
        }
        body["system"] = json!([block]);
    }
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        if request.cache.breakpoints
            && let Some(last) = tools.last_mut()
        {
            last["cache_control"] = cache();
        }
        body["tools"] = json!(tools);
    }
    if let Some(temperature) = request.temperature {
        body["temperature"] = json!(temperature);
    }
    if let Some(budget) = request.thinking_budget {
        body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
    }
    body
}

/// Tool results become `tool_result` blocks of a user turn; consecutive ones share that turn.
fn messages(request: &ChatRequest) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for message in &request.messages {
        let (role, block) = match message {
            ChatMessage::User { text } => ("user", vec![json!({"type": "text", "text": text})]),
            ChatMessage::Assistant { text, tool_calls, .. } => {
                let mut blocks = Vec::new();
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in tool_calls {
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}));
                }
                ("assistant", blocks)
            }
            ChatMessage::ToolResult { call_id, content, is_error, .. } => (
                "user",
                vec![json!({"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error})],
            ),
        };
        match out.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(content) = last["content"].as_array_mut() {
                    content.extend(block);
                }
            }
            _ => out.push(json!({"role": role, "content": block})),
        }
    }
    if request.cache.breakpoints
        && let Some(newest_user) = out.iter_mut().rev().find(|m| m["role"] == "user")
        && let Some(last_block) = newest_user["content"].as_array_mut().and_then(|c| c.last_mut())
    {
        last_block["cache_control"] = json!({"type": "ephemeral"});
    }
    out
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

/// The Messages stream's events; keeps the running usage because Anthropic sends input counts at
/// the start and output counts at the end.
pub struct Events {
    usage: Usage,
    stopped: bool,
}

/// The decoder for a Messages stream.
pub fn decoder(provider: &str) -> Sse<Events> {
    Sse::new(provider, Events { usage: Usage::default(), stopped: false })
}

impl Events {
    fn merge_usage(&mut self, wire: WireUsage, out: &mut Vec<StreamEvent>) {
        if let Some(n) = wire.input_tokens {
            self.usage.input_tokens = n;
        }
        if let Some(n) = wire.cache_read_input_tokens {
            self.usage.cached_input_tokens = n;
        }
        if let Some(n) = wire.cache_creation_input_tokens {
            self.usage.cache_write_tokens = n;
        }
        if let Some(n) = wire.output_tokens {
            self.usage.output_tokens = n;
        }
        out.push(StreamEvent::Usage { usage: self.usage });
    }

    fn handle(&mut self, frame: SseEvent, stream: &mut SseStream, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        let kind = frame.event.as_deref().unwrap_or("");
        if kind == "ping" {
            return Ok(());
        }
        let data: Value = parse_json(&stream.provider, &frame.data)?;
        let kind =
            if kind.is_empty() { data["type"].as_str().unwrap_or_default().to_string() } else { kind.to_string() };
        let index = data["index"].as_u64().unwrap_or(0) as usize;
        match kind.as_str() {
            "message_start" => {
                let usage = serde_json::from_value(data["message"]["usage"].clone()).unwrap_or_default();
                self.merge_usage(usage, out);
            }
            "content_block_start" => {
                let block = &data["content_block"];
                match block["type"].as_str() {
                    Some("tool_use") => {
                        let id = block["id"].as_str().unwrap_or_default().to_string();
                        let name = block["name"].as_str().unwrap_or_default().to_string();
                        stream.calls.start(index, id, name, out);
                    }
                    Some("text") => push_text(out, block["text"].as_str(), false),
                    Some("thinking") => push_text(out, block["thinking"].as_str(), true),
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = &data["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => push_text(out, delta["text"].as_str(), false),
                    Some("thinking_delta") => push_text(out, delta["thinking"].as_str(), true),
                    Some("input_json_delta") => {
                        stream.calls.append(index, delta["partial_json"].as_str().unwrap_or_default(), out)
                    }
                    _ => {} // signature_delta and newer kinds carry nothing to show
                }
            }
            "content_block_stop" => stream.calls.end(index, out),
            "message_delta" => {
                if let Ok(usage) = serde_json::from_value::<WireUsage>(data["usage"].clone()) {
                    self.merge_usage(usage, out);
                }
                if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                    out.push(StreamEvent::Stop { reason: stop_reason(reason) });
                }
            }
            "message_stop" => self.stopped = true,
            "error" => {
                return Err(LlmError::StreamError {
                    provider: stream.provider.clone(),
                    kind: data["error"]["type"].as_str().unwrap_or("error").to_string(),
                    message: data["error"]["message"].as_str().unwrap_or_default().to_string(),
                });
            }
            other => tracing::debug!(event = other, "ignoring an unknown Anthropic event"),
        }
        Ok(())
    }
}

fn push_text(out: &mut Vec<StreamEvent>, text: Option<&str>, reasoning: bool) {
    let Some(text) = text.filter(|t| !t.is_empty()) else { return };
    let text = text.to_string();
    out.push(if reasoning { StreamEvent::ReasoningDelta { text } } else { StreamEvent::TextDelta { text } });
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        other => StopReason::Other(other.to_string()),
    }
}

impl SseFormat for Events {
    fn event(&mut self, frame: SseEvent, stream: &mut SseStream, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        self.handle(frame, stream, out)
    }

    fn ended(&self) -> bool {
        self.stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::request::{CacheHints, ToolCallRequest, ToolSpec};

    fn request() -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            system: "be brief".into(),
            tools: vec![
                ToolSpec { name: "read".into(), description: "r".into(), parameters: json!({"type": "object"}) },
                ToolSpec { name: "write".into(), description: "w".into(), parameters: json!({"type": "object"}) },
            ],
            messages: vec![
                ChatMessage::User { text: "hi".into() },
                ChatMessage::Assistant {
                    text: "reading".into(),
                    reasoning: None,
                    tool_calls: vec![ToolCallRequest {
                        id: "t1".into(),
                        name: "read".into(),
                        arguments: json!({"p": 1}),
                    }],
                },
                ChatMessage::ToolResult {
                    call_id: "t1".into(),
                    name: "read".into(),
                    content: "ok".into(),
                    is_error: false,
                },
                ChatMessage::User { text: "and now?".into() },
            ],
            max_output_tokens: 100,
            temperature: None,
            thinking_budget: None,
            cache: CacheHints { session_key: None, breakpoints: true },
        }
    }

    #[test]
    fn breakpoints_sit_on_system_last_tool_and_newest_user_turn() {
        let body = body(&request());
        assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
        assert!(body["tools"][0].get("cache_control").is_none());
        assert_eq!(body["tools"][1]["cache_control"]["type"], "ephemeral");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3, "the tool result and the next user text share one user turn");
        let last = messages[2]["content"].as_array().unwrap();
        assert_eq!(last[0]["type"], "tool_result");
        assert!(last[0].get("cache_control").is_none());
        assert_eq!(last[1]["cache_control"]["type"], "ephemeral");
        assert_eq!(body.to_string().matches("cache_control").count(), 3);
        assert_eq!(messages[1]["content"][1]["type"], "tool_use");
    }
}
