//! Ollama's native `/api/chat` over NDJSON. Ollama's default context is small and it truncates
//! prompts silently, so every request sets `num_ctx` to the model's real context length, read once
//! per model from `/api/show`.

use serde_json::{Value, json};

use crate::domain::Usage;

use super::error::LlmError;
use super::event::{StopReason, StreamEvent};
use super::framing::{MAX_EVENT_BYTES, NdjsonDecoder};
use super::http::{Decode, ToolCalls, parse_json};
use super::request::{ChatMessage, ChatRequest};

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";

/// The model's context length from an `/api/show` answer (`model_info["<arch>.context_length"]`).
pub fn context_length(show: &Value) -> Option<u32> {
    show["model_info"]
        .as_object()?
        .iter()
        .find(|(key, _)| key.ends_with(".context_length"))
        .and_then(|(_, v)| v.as_u64())
        .map(|n| n.min(u32::MAX as u64) as u32)
}

pub fn body(request: &ChatRequest, num_ctx: Option<u32>) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for message in &request.messages {
        messages.push(match message {
            ChatMessage::User { text } => json!({"role": "user", "content": text}),
            ChatMessage::Assistant { text, tool_calls, .. } => {
                let mut m = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    m["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| json!({"function": {"name": c.name, "arguments": c.arguments}}))
                        .collect();
                }
                m
            }
            ChatMessage::ToolResult { name, content, .. } => {
                json!({"role": "tool", "content": content, "tool_name": name})
            }
        });
    }
    let mut options = json!({"num_predict": request.max_output_tokens});
    if let Some(num_ctx) = num_ctx {
        options["num_ctx"] = json!(num_ctx);
    }
    if let Some(temperature) = request.temperature {
        options["temperature"] = json!(temperature);
    }
    let mut body = json!({"model": request.model, "messages": messages, "stream": true, "options": options});
    if !request.tools.is_empty() {
        body["tools"] = super::openai::tools(request);
    }
    if request.thinking_budget.is_some() {
        body["think"] = json!(true);
    }
    body
}

pub struct Decoder {
    provider: String,
    lines: NdjsonDecoder,
    pending: Vec<String>,
    calls: ToolCalls,
    next_call: usize,
    done: bool,
}

impl Decoder {
    pub fn new(provider: &str) -> Self {
        Decoder {
            provider: provider.to_string(),
            lines: NdjsonDecoder::default(),
            pending: Vec::new(),
            calls: ToolCalls::default(),
            next_call: 0,
            done: false,
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        let value: Value = parse_json(&self.provider, line)?;
        if let Some(error) = value["error"].as_str() {
            return Err(LlmError::StreamError {
                provider: self.provider.clone(),
                kind: "error".into(),
                message: error.to_string(),
            });
        }
        let message = &value["message"];
        if let Some(text) = message["thinking"].as_str().filter(|t| !t.is_empty()) {
            out.push(StreamEvent::ReasoningDelta { text: text.to_string() });
        }
        if let Some(text) = message["content"].as_str().filter(|t| !t.is_empty()) {
            out.push(StreamEvent::TextDelta { text: text.to_string() });
        }
        // Ollama sends each tool call whole, without an id: number them in arrival order.
        for call in message["tool_calls"].as_array().into_iter().flatten() {
            let index = self.next_call;
            self.next_call += 1;
            let name = call["function"]["name"].as_str().unwrap_or_default().to_string();
            self.calls.start(index, format!("call_{index}"), name, out);
            let arguments = &call["function"]["arguments"];
            let text = match arguments {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.calls.append(index, &text, out);
            self.calls.end(index, out);
        }
        if value["done"].as_bool() == Some(true) {
            let usage = Usage {
                input_tokens: value["prompt_eval_count"].as_u64().unwrap_or(0),
                output_tokens: value["eval_count"].as_u64().unwrap_or(0),
                ..Usage::default()
            };
            out.push(StreamEvent::Usage { usage });
            let reason = match value["done_reason"].as_str().unwrap_or("stop") {
                "stop" if self.next_call > 0 => StopReason::ToolUse,
                "stop" => StopReason::EndTurn,
                "length" => StopReason::MaxTokens,
                other => StopReason::Other(other.to_string()),
            };
            out.push(StreamEvent::Stop { reason });
            self.done = true;
        }
        Ok(())
    }
}

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        let fed = self.lines.feed(bytes, &mut self.pending);
        let lines = std::mem::take(&mut self.pending);
        for line in lines {
            self.line(&line, out)?;
        }
        fed.map_err(|_| LlmError::too_large(&self.provider, "one line of its reply", MAX_EVENT_BYTES as u64))
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        if let Some(last) = self.lines.finish() {
            self.line(&last, out)?;
        }
        if self.done { Ok(()) } else { Err(LlmError::StreamCut { provider: self.provider.clone() }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_length_is_found_whatever_the_architecture() {
        let show = json!({"model_info": {"general.architecture": "gemma3", "gemma3.context_length": 32768}});
        assert_eq!(context_length(&show), Some(32768));
        assert_eq!(context_length(&json!({"model_info": {}})), None);
    }

    #[test]
    fn num_ctx_and_tools_are_sent() {
        let mut request = ChatRequest::simple("qwen3:8b", "hi");
        request.tools.push(crate::llm::request::ToolSpec {
            name: "read".into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        });
        let body = body(&request, Some(40960));
        assert_eq!(body["options"]["num_ctx"], 40960);
        assert_eq!(body["tools"][0]["function"]["name"], "read");
        assert_eq!(body["stream"], true);
    }
}
