//! OpenAI-compatible Chat Completions over SSE: one implementation for OpenAI, DeepSeek, llama.cpp,
//! LM Studio, vLLM and any compatible base URL. Tool calls are assembled from deltas by index;
//! usage comes in a last chunk (`stream_options.include_usage`) with cached tokens in either
//! OpenAI's or DeepSeek's fields.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::Usage;

use super::error::LlmError;
use super::event::{StopReason, StreamEvent};
use super::framing::SseEvent;
use super::http::{Sse, SseFormat, SseStream, parse_json};
use super::request::{ChatMessage, ChatRequest};

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEEPSEEK_BASE_URL: &str = "https://api.deepseek.com";

/// The JSON body of a streamed chat completion.
pub fn body(request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    // DeepSeek wants the reasoning of assistant turns after the last user message (a tool loop in
    // progress) and nothing older: older reasoning is dropped, which also saves tokens.
    let last_user = request.messages.iter().rposition(|m| matches!(m, ChatMessage::User { .. }));
    for (i, message) in request.messages.iter().enumerate() {
        messages.push(match message {
            ChatMessage::User { text } => json!({"role": "user", "content": text}),
            ChatMessage::Assistant { text, reasoning, tool_calls } => {
                let mut m = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    m["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "type": "function",
                                   "function": {"name": c.name, "arguments": c.arguments.to_string()}})
                        })
                        .collect();
                }
                if let Some(reasoning) = reasoning
                    && last_user.is_some_and(|u| i > u)
                {
                    m["reasoning_content"] = json!(reasoning);
                }
                m
            }
            ChatMessage::ToolResult { call_id, content, .. } => {
                json!({"role": "tool", "tool_call_id": call_id, "content": content})
            }
        });
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": request.max_output_tokens,
    });
    if !request.tools.is_empty() {
        body["tools"] = tools(request);
    }
    if let Some(key) = &request.cache.session_key {
        body["prompt_cache_key"] = json!(key);
    }
    if let Some(temperature) = request.temperature {
        body["temperature"] = json!(temperature);
    }
    body
}

/// Tools in the function-calling shape OpenAI-compatible servers and Ollama share.
pub fn tools(request: &ChatRequest) -> Value {
    request
        .tools
        .iter()
        .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
        .collect()
}

#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolDelta>,
}

#[derive(Debug, Deserialize)]
struct ToolDelta {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: FunctionDelta,
}

#[derive(Debug, Default, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    /// DeepSeek's name for cached input.
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Usage {
        let cached = wire
            .prompt_cache_hit_tokens
            .or(wire.prompt_tokens_details.and_then(|d| d.cached_tokens))
            .unwrap_or(0)
            .min(wire.prompt_tokens);
        Usage {
            input_tokens: wire.prompt_tokens - cached,
            cached_input_tokens: cached,
            cache_write_tokens: 0,
            output_tokens: wire.completion_tokens,
            cost_usd: None,
        }
    }
}

/// The chunks of a completion stream.
pub struct Events {
    done: bool,
}

/// The decoder for a Chat Completions stream.
pub fn decoder(provider: &str) -> Sse<Events> {
    Sse::new(provider, Events { done: false })
}

impl Events {
    fn chunk(&mut self, frame: SseEvent, stream: &mut SseStream, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        if frame.data.trim() == "[DONE]" {
            stream.calls.end_all(out);
            self.done = true;
            return Ok(());
        }
        let value: Value = parse_json(&stream.provider, &frame.data)?;
        if let Some(error) = value.get("error") {
            return Err(LlmError::StreamError {
                provider: stream.provider.clone(),
                kind: error["type"].as_str().or(error["code"].as_str()).unwrap_or("error").to_string(),
                message: error["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| LlmError::Malformed { provider: stream.provider.clone(), detail: e.to_string() })?;
        for choice in chunk.choices {
            let delta = choice.delta;
            if let Some(text) = delta.reasoning_content.filter(|t| !t.is_empty()) {
                out.push(StreamEvent::ReasoningDelta { text });
            }
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                out.push(StreamEvent::TextDelta { text });
            }
            for call in delta.tool_calls {
                if !stream.calls.is_open(call.index) {
                    // Servers without ids (some local ones) still need one to pair results with.
                    let id = call.id.unwrap_or_else(|| format!("call_{}", call.index));
                    stream.calls.start(call.index, id, call.function.name.unwrap_or_default(), out);
                }
                stream.calls.append(call.index, call.function.arguments.as_deref().unwrap_or_default(), out);
            }
            if let Some(reason) = choice.finish_reason {
                stream.calls.end_all(out);
                out.push(StreamEvent::Stop { reason: stop_reason(&reason) });
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamEvent::Usage { usage: usage.into() });
        }
        Ok(())
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "length" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_string()),
    }
}

impl SseFormat for Events {
    fn event(&mut self, frame: SseEvent, stream: &mut SseStream, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        self.chunk(frame, stream, out)
    }

    fn ended(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::request::{CacheHints, ToolCallRequest};

    #[test]
    fn reasoning_goes_back_only_for_the_turn_in_progress() {
        let call = |id: &str| ToolCallRequest { id: id.into(), name: "read".into(), arguments: json!({}) };
        let request = ChatRequest {
            model: "deepseek-reasoner".into(),
            system: "s".into(),
            tools: vec![],
            messages: vec![
                ChatMessage::User { text: "one".into() },
                ChatMessage::Assistant { text: "a".into(), reasoning: Some("old".into()), tool_calls: vec![] },
                ChatMessage::User { text: "two".into() },
                ChatMessage::Assistant { text: "".into(), reasoning: Some("new".into()), tool_calls: vec![call("c1")] },
                ChatMessage::ToolResult {
                    call_id: "c1".into(),
                    name: "read".into(),
                    content: "x".into(),
                    is_error: false,
                },
            ],
            max_output_tokens: 10,
            temperature: None,
            thinking_budget: None,
            cache: CacheHints { session_key: Some("session-1".into()), breakpoints: false },
        };
        let body = body(&request);
        let messages = body["messages"].as_array().unwrap();
        assert!(messages[2].get("reasoning_content").is_none(), "finished turns lose their reasoning");
        assert_eq!(messages[4]["reasoning_content"], "new");
        assert_eq!(messages[4]["tool_calls"][0]["function"]["arguments"], "{}");
        assert_eq!(messages[5]["role"], "tool");
        assert_eq!(body["prompt_cache_key"], "session-1");
        assert_eq!(body["stream_options"]["include_usage"], true);
    }

    #[test]
    fn usage_reads_openai_and_deepseek_cache_fields() {
        let openai: WireUsage = serde_json::from_value(
            json!({"prompt_tokens": 1000, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 768}}),
        )
        .unwrap();
        let usage = Usage::from(openai);
        assert_eq!((usage.input_tokens, usage.cached_input_tokens, usage.output_tokens), (232, 768, 5));
        let deepseek: WireUsage = serde_json::from_value(
            json!({"prompt_tokens": 640, "completion_tokens": 9, "prompt_cache_hit_tokens": 576, "prompt_cache_miss_tokens": 64}),
        )
        .unwrap();
        let usage = Usage::from(deepseek);
        assert_eq!((usage.input_tokens, usage.cached_input_tokens), (64, 576));
    }
}
