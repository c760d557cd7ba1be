//! How each provider writes a response on the wire: the exact event names, JSON shapes and usage
//! fields, including errors and the ways a stream goes wrong.

use serde_json::{Value, json};

use super::cache::CacheOutcome;
use super::script::{Step, Turn, pieces, tokens};

/// The three formats the emulator speaks; OpenAI's has a DeepSeek flavour for usage fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Anthropic,
    OpenAi { deepseek: bool },
    Ollama,
}

/// A piece of the response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Data(String),
    Delay(u64),
    /// Send these bytes, then drop the connection.
    Cut(String),
}

/// Output tokens of a turn, by the emulator's tokenizer.
pub fn output_tokens(turn: &Turn) -> u64 {
    turn.steps
        .iter()
        .map(|s| match s {
            Step::Text { text } | Step::Reasoning { text } => tokens(text),
            Step::ToolCall { name, arguments } => tokens(name) + tokens(arguments),
            _ => 0,
        })
        .sum()
}

/// An error body in the format's own shape, with the HTTP status it goes with.
pub fn error_body(format: Format, status: u16, message: &str) -> Value {
    match format {
        Format::Anthropic => {
            let kind = match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        Format::OpenAi { .. } => {
            let (kind, code) = match status {
                400 => ("invalid_request_error", Value::Null),
                401 => ("invalid_request_error", json!("invalid_api_key")),
                404 => ("invalid_request_error", json!("model_not_found")),
                429 => ("rate_limit_exceeded", json!("rate_limit_exceeded")),
                _ => ("server_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Format::Ollama => json!({"error": message}),
    }
}

/// The 400 a prompt over the context window gets, in each provider's words.
pub fn context_error(format: Format, prompt: u64, window: u32) -> Value {
    match format {
        Format::Anthropic => {
            error_body(format, 400, &format!("prompt is too long: {prompt} tokens > {window} maximum"))
        }
        Format::OpenAi { .. } => json!({"error": {
            "message": format!("This model's maximum context length is {window} tokens. However, your messages resulted in {prompt} tokens. Please reduce the length of the messages."),
            "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}),
        Format::Ollama => error_body(format, 400, "the input length exceeds the context length"),
    }
}

/// Everything a response needs besides the script.
pub struct Reply<'a> {
    pub format: Format,
    pub model: &'a str,
    pub id: u64,
    pub turn: &'a Turn,
    pub cache: CacheOutcome,
}

pub fn frames(reply: &Reply) -> Vec<Frame> {
    match reply.format {
        Format::Anthropic => anthropic(reply),
        Format::OpenAi { deepseek } => openai(reply, deepseek),
        Format::Ollama => ollama(reply),
    }
}

fn sse(event: &str, data: &Value) -> Frame {
    Frame::Data(format!("event: {event}\ndata: {data}\n\n"))
}

fn anthropic(reply: &Reply) -> Vec<Frame> {
    let c = reply.cache;
    let mut out = vec![sse(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": format!("msg_emu_{}", reply.id), "type": "message", "role": "assistant", "model": reply.model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": c.total - c.read - c.written, "cache_creation_input_tokens": c.written,
                      "cache_read_input_tokens": c.read, "output_tokens": 1}}}),
    )];
    out.push(sse("ping", &json!({"type": "ping"})));
    let mut index = 0;
    let mut used_tools = false;
    for step in &reply.turn.steps {
        match step {
            Step::Text { text } | Step::Reasoning { text } => {
                let thinking = matches!(step, Step::Reasoning { .. });
                let (kind, field, delta) =
                    if thinking { ("thinking", "thinking", "thinking_delta") } else { ("text", "text", "text_delta") };
                out.push(sse("content_block_start", &json!({"type": "content_block_start", "index": index, "content_block": {"type": kind, field: ""}})));
                for piece in pieces(text) {
                    out.push(sse("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": delta, field: piece}})));
                }
                if thinking {
                    out.push(sse("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": "signature_delta", "signature": "emu-signature"}})));
                }
                out.push(sse("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
                index += 1;
            }
            Step::ToolCall { name, arguments } => {
                used_tools = true;
                out.push(sse("content_block_start", &json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "tool_use", "id": format!("toolu_emu_{}_{index}", reply.id), "name": name, "input": {}}})));
                for piece in pieces(arguments) {
                    out.push(sse("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": piece}})));
                }
                out.push(sse("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
                index += 1;
            }
            Step::StreamError { kind, message } => {
                out.push(sse("error", &json!({"type": "error", "error": {"type": kind, "message": message}})));
                return out;
            }
            Step::Cut => {
                out.push(Frame::Cut(format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_")));
                return out;
            }
            Step::Malformed => out.push(Frame::Data("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\"\n\n".into())),
            Step::UnknownEvent => out.push(sse("emulator_novelty", &json!({"type": "emulator_novelty", "detail": "clients must ignore this"}))),
            Step::Delay { ms } => out.push(Frame::Delay(*ms)),
            Step::HttpError { .. } => {}
        }
    }
    let stop = if used_tools { "tool_use" } else { "end_turn" };
    out.push(sse(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
        "usage": {"output_tokens": output_tokens(reply.turn)}}),
    ));
    out.push(sse("message_stop", &json!({"type": "message_stop"})));
    out
}

fn openai(reply: &Reply, deepseek: bool) -> Vec<Frame> {
    let id = format!("chatcmpl-emu-{}", reply.id);
    let chunk = |delta: Value, finish: Value| {
        let data = json!({"id": id, "object": "chat.completion.chunk", "created": 1_763_683_200, "model": reply.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
        Frame::Data(format!("data: {data}\n\n"))
    };
    let mut out = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
    let mut calls = 0;
    for step in &reply.turn.steps {
        match step {
            Step::Text { text } => {
                out.extend(pieces(text).into_iter().map(|p| chunk(json!({"content": p}), Value::Null)))
            }
            Step::Reasoning { text } => {
                out.extend(pieces(text).into_iter().map(|p| chunk(json!({"reasoning_content": p}), Value::Null)))
            }
            Step::ToolCall { name, arguments } => {
                out.push(chunk(
                    json!({"tool_calls": [{"index": calls, "id": format!("call_emu_{}_{calls}", reply.id), "type": "function",
                        "function": {"name": name, "arguments": ""}}]}),
                    Value::Null,
                ));
                for piece in pieces(arguments) {
                    out.push(chunk(
                        json!({"tool_calls": [{"index": calls, "function": {"arguments": piece}}]}),
                        Value::Null,
                    ));
                }
                calls += 1;
            }
            Step::StreamError { kind, message } => {
                out.push(Frame::Data(format!(
                    "data: {}\n\n",
                    json!({"error": {"message": message, "type": kind, "code": null}})
                )));
                return out;
            }
            Step::Cut => {
                out.push(Frame::Cut(format!("data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"cont")));
                return out;
            }
            Step::Malformed => {
                out.push(Frame::Data("data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"oops}\n\n".into()))
            }
            Step::UnknownEvent => {
                out.push(Frame::Data(format!("event: emulator_novelty\ndata: {}\n\n", json!({"note": "ignore me"}))))
            }
            Step::Delay { ms } => out.push(Frame::Delay(*ms)),
            Step::HttpError { .. } => {}
        }
    }
    let finish = if calls > 0 { "tool_calls" } else { "stop" };
    out.push(chunk(json!({}), json!(finish)));
    let c = reply.cache;
    let completion = output_tokens(reply.turn);
    let mut usage =
        json!({"prompt_tokens": c.total, "completion_tokens": completion, "total_tokens": c.total + completion});
    if deepseek {
        usage["prompt_cache_hit_tokens"] = json!(c.read);
        usage["prompt_cache_miss_tokens"] = json!(c.total - c.read);
    } else {
        usage["prompt_tokens_details"] = json!({"cached_tokens": c.read});
    }
    out.push(Frame::Data(format!(
        "data: {}\n\n",
        json!({"id": id, "object": "chat.completion.chunk", "created": 1_763_683_200, "model": reply.model, "choices": [], "usage": usage})
    )));
    out.push(Frame::Data("data: [DONE]\n\n".into()));
    out
}

fn ollama(reply: &Reply) -> Vec<Frame> {
    let line = |message: Value| {
        Frame::Data(format!(
            "{}\n",
            json!({"model": reply.model, "created_at": "2026-11-21T12:00:00Z", "message": message, "done": false})
        ))
    };
    let mut out = Vec::new();
    for step in &reply.turn.steps {
        match step {
            Step::Text { text } => {
                out.extend(pieces(text).into_iter().map(|p| line(json!({"role": "assistant", "content": p}))))
            }
            Step::Reasoning { text } => out.extend(
                pieces(text).into_iter().map(|p| line(json!({"role": "assistant", "content": "", "thinking": p}))),
            ),
            Step::ToolCall { name, arguments } => {
                // Ollama sends parsed arguments; text that is not JSON goes as a string.
                let args = serde_json::from_str::<Value>(arguments).unwrap_or_else(|_| json!(arguments));
                out.push(line(json!({"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": args}}]})));
            }
            Step::StreamError { message, .. } => {
                out.push(Frame::Data(format!("{}\n", json!({"error": message}))));
                return out;
            }
            Step::Cut => {
                out.push(Frame::Cut(format!(
                    "{{\"model\":\"{}\",\"message\":{{\"role\":\"assistant\",\"content\":\"par",
                    reply.model
                )));
                return out;
            }
            Step::Malformed => out.push(Frame::Data("{\"model\":\"x\",\"message\":{\"content\":\"oops}\n".into())),
            Step::UnknownEvent => {
                out.push(Frame::Data(format!("{}\n", json!({"model": reply.model, "status": "emulator_novelty"}))))
            }
            Step::Delay { ms } => out.push(Frame::Delay(*ms)),
            Step::HttpError { .. } => {}
        }
    }
    let c = reply.cache;
    out.push(Frame::Data(format!(
        "{}\n",
        json!({"model": reply.model, "created_at": "2026-11-21T12:00:00Z", "message": {"role": "assistant", "content": ""},
            "done": true, "done_reason": "stop", "total_duration": 1_000_000, "load_duration": 1_000,
            "prompt_eval_count": c.total - c.read, "prompt_eval_duration": 1_000, "eval_count": output_tokens(reply.turn), "eval_duration": 1_000})
    )));
    out
}
