//! The provider emulator: a loopback HTTP server that speaks the Anthropic, OpenAI-compatible and
//! Ollama wire formats byte for byte, plays a scripted conversation (text, reasoning, tool calls,
//! HTTP errors, mid-stream errors, slow or cut streams), and computes prompt-cache hits the way each
//! provider does, reporting them in that format's own usage fields. It is the one stand-in Aura's
//! tests, demos and benchmarks use for a remote model.

pub mod cache;
pub mod demo;
pub mod script;
pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use self::cache::{Prompt, PromptCache};
use self::script::{Script, Step, Turn};
use self::wire::{Format, Frame, Reply};
use super::ProviderKind;

/// A request the emulator received, for tests to inspect what Aura sent.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    script: Option<Script>,
    next_turn: usize,
    /// The next turn of each model with its own turns.
    next_turn_of: HashMap<String, usize>,
    next_id: u64,
    cache: PromptCache,
    requests: Vec<RecordedRequest>,
    /// Streams whose client went away before the end.
    disconnects: usize,
}

type Emu = Arc<Mutex<Shared>>;

/// A running emulator; it stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    shared: Emu,
    _stop: oneshot::Sender<()>,
}

/// The context window a model gets when the script names none.
const DEFAULT_CONTEXT_WINDOW: u32 = 131_072;

impl Emulator {
    /// Starts on a free loopback port.
    pub async fn start(script: Script) -> std::io::Result<Emulator> {
        Self::bind(script, 0).await
    }

    /// Starts on 127.0.0.1:`port` (0 picks a free one).
    pub async fn bind(script: Script, port: u16) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared: Emu = Arc::new(Mutex::new(Shared { script: Some(script), ..Shared::default() }));
        let app = Router::new()
            .route(
                "/v1/messages",
                post(|s: State<Emu>, h: HeaderMap, b: Bytes| chat(s, h, b, Format::Anthropic, "/v1/messages")),
            )
            .route(
                "/v1/chat/completions",
                post(|s: State<Emu>, h: HeaderMap, b: Bytes| {
                    chat(s, h, b, Format::OpenAi { deepseek: false }, "/v1/chat/completions")
                }),
            )
            .route(
                "/api/chat",
                post(|s: State<Emu>, h: HeaderMap, b: Bytes| chat(s, h, b, Format::Ollama, "/api/chat")),
            )
            .route("/api/show", post(show))
            .route("/api/tags", get(tags))
            .route("/v1/models", get(models))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            // Stream chunks leave at once, as from the providers' own servers (no Nagle delay).
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                tracing::warn!("the provider emulator stopped: {e}");
            }
        });
        Ok(Emulator { addr, shared, _stop: stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL each format's SDK convention expects.
    pub fn base_url(&self, kind: ProviderKind) -> String {
        match kind {
            ProviderKind::Openai => format!("http://{}/v1", self.addr),
            ProviderKind::Anthropic | ProviderKind::Ollama => format!("http://{}", self.addr),
        }
    }

    /// How many streamed responses lost their client before the end (cancellations).
    pub fn disconnects(&self) -> usize {
        lock(&self.shared).disconnects
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }
}

fn lock(shared: &Emu) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

fn error_response(format: Format, status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(wire::error_body(format, status, message))).into_response()
}

fn key_of(format: Format, headers: &HeaderMap) -> Option<String> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    match format {
        Format::Anthropic => text("x-api-key"),
        _ => text("authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_string)),
    }
}

async fn chat(
    State(shared): State<Emu>,
    headers: HeaderMap,
    body: Bytes,
    format: Format,
    path: &'static str,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error_response(format, 400, "the request body is not valid JSON");
    };
    let model = request["model"].as_str().unwrap_or_default().to_string();
    let format = match format {
        Format::OpenAi { .. } => Format::OpenAi { deepseek: model.starts_with("deepseek") },
        other => other,
    };
    let mut state = lock(&shared);
    state.requests.push(RecordedRequest { path: path.to_string(), headers: headers.clone(), body: request.clone() });
    let Some(script) = state.script.clone() else { return error_response(format, 500, "no script") };
    // Ollama has no authentication of its own.
    if let Some(expected) = &script.api_key
        && format != Format::Ollama
        && key_of(format, &headers).as_deref() != Some(expected.as_str())
    {
        let message = match format {
            Format::Anthropic => "invalid x-api-key",
            _ => "Incorrect API key provided. You can find your API key in your account settings.",
        };
        return error_response(format, 401, message);
    }
    let window = match script.models.iter().find(|m| m.name == model) {
        Some(m) => m.context_window,
        None if script.models.is_empty() => DEFAULT_CONTEXT_WINDOW,
        None => {
            let message = match format {
                Format::Anthropic => format!("model: {model}"),
                Format::OpenAi { .. } => format!("The model `{model}` does not exist or you do not have access to it."),
                Format::Ollama => format!("model '{model}' not found"),
            };
            return error_response(format, 404, &message);
        }
    };
    let next = match script.per_model.get(&model) {
        Some(turns) => {
            let next = state.next_turn_of.entry(model.clone()).or_default();
            *next += 1;
            turns.get(*next - 1)
        }
        None => {
            state.next_turn += 1;
            script.turns.get(state.next_turn - 1)
        }
    };
    let turn = next.cloned().unwrap_or_else(|| Turn::text("(the emulator's script has no more turns)"));
    state.next_id += 1;
    if let Some(Step::HttpError { status, message, retry_after_secs }) = turn.steps.first() {
        let mut response = error_response(format, *status, message);
        if let Some(secs) = retry_after_secs
            && let Ok(value) = secs.to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let (prompt, partition, rule) = prompt_of(format, &request, &model);
    if format != Format::Ollama && prompt.tokens() > window as u64 {
        let body = wire::context_error(format, prompt.tokens(), window);
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let outcome = state.cache.serve(&partition, &prompt, rule);
    let frames = wire::frames(&Reply { format, model: &model, id: state.next_id, turn: &turn, cache: outcome });
    drop(state);
    let content_type = if format == Format::Ollama { "application/x-ndjson" } else { "text/event-stream" };
    stream_response(Arc::clone(&shared), frames, &script, content_type)
}

/// Streams the frames with their delays; a cut ends the body with an error, which drops the
/// connection without the closing chunk, as a dying server does.
fn stream_response(shared: Emu, frames: Vec<Frame>, script: &Script, content_type: &'static str) -> Response {
    let (chunk_delay_ms, stamp) = (script.chunk_delay_ms, script.stamp_sends);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        for frame in frames {
            let item = match frame {
                Frame::Delay(ms) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    continue;
                }
                Frame::Data(text) if stamp && text.contains(script::SEND_STAMP) => {
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                    Ok(Bytes::from(text.replace(script::SEND_STAMP, &now.as_micros().to_string())))
                }
                Frame::Data(text) => Ok(Bytes::from(text)),
                Frame::Cut(text) => {
                    let _ = tx.send(Ok(Bytes::from(text))).await;
                    // Let what was written reach the client, as it would from a dying server.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "scripted cut"))
                }
            };
            let last = item.is_err();
            if tx.send(item).await.is_err() {
                lock(&shared).disconnects += 1;
                return;
            }
            if last {
                return;
            }
            if chunk_delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(chunk_delay_ms)).await;
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The prompt as the provider caches it, its cache partition, and the provider's caching rule.
fn prompt_of(format: Format, request: &Value, model: &str) -> (Prompt, String, cache::CacheRule) {
    let mut prompt = Prompt::default();
    let marked = |v: &Value| v.get("cache_control").is_some();
    let unmarked = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("cache_control");
        }
        v.to_string()
    };
    match format {
        Format::Anthropic => {
            match &request["system"] {
                Value::String(text) => prompt.push(text, false),
                Value::Array(blocks) => blocks.iter().for_each(|b| prompt.push(&unmarked(b), marked(b))),
                _ => {}
            }
            for tool in request["tools"].as_array().into_iter().flatten() {
                prompt.push(&unmarked(tool), marked(tool));
            }
            for message in request["messages"].as_array().into_iter().flatten() {
                let role = message["role"].as_str().unwrap_or_default();
                match &message["content"] {
                    Value::String(text) => prompt.push(&format!("{role}: {text}"), false),
                    Value::Array(blocks) => {
                        blocks.iter().for_each(|b| prompt.push(&format!("{role}: {}", unmarked(b)), marked(b)))
                    }
                    _ => {}
                }
            }
            (prompt, "anthropic".into(), cache::ANTHROPIC)
        }
        Format::OpenAi { .. } | Format::Ollama => {
            for tool in request["tools"].as_array().into_iter().flatten() {
                prompt.push(&tool.to_string(), false);
            }
            for message in request["messages"].as_array().into_iter().flatten() {
                prompt.push(&message.to_string(), false);
            }
            match format {
                Format::Ollama => (prompt, format!("ollama:{model}"), cache::OLLAMA),
                Format::OpenAi { deepseek: true } => (prompt, "deepseek".into(), cache::DEEPSEEK),
                _ => {
                    let key = request["prompt_cache_key"].as_str().unwrap_or_default();
                    (prompt, format!("openai:{key}"), cache::OPENAI)
                }
            }
        }
    }
}

async fn show(State(shared): State<Emu>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let name = request["model"].as_str().or(request["name"].as_str()).unwrap_or_default().to_string();
    let mut state = lock(&shared);
    state.requests.push(RecordedRequest { path: "/api/show".into(), headers: HeaderMap::new(), body: request });
    let models = state.script.as_ref().map(|s| s.models.clone()).unwrap_or_default();
    let window = match models.iter().find(|m| m.name == name) {
        Some(m) => m.context_window,
        None if models.is_empty() => DEFAULT_CONTEXT_WINDOW,
        None => return error_response(Format::Ollama, 404, &format!("model '{name}' not found")),
    };
    axum::Json(json!({
        "modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
        "details": {"format": "gguf", "family": "emulated"},
        "model_info": {"general.architecture": "emulated", "emulated.context_length": window},
        "capabilities": ["completion", "tools"]
    }))
    .into_response()
}

fn model_names(shared: &Emu) -> Vec<String> {
    let state = lock(shared);
    state.script.as_ref().map(|s| s.models.iter().map(|m| m.name.clone()).collect()).unwrap_or_default()
}

async fn tags(State(shared): State<Emu>) -> Response {
    let models: Vec<Value> =
        model_names(&shared).into_iter().map(|n| json!({"name": n, "model": n, "size": 0})).collect();
    axum::Json(json!({"models": models})).into_response()
}

async fn models(State(shared): State<Emu>) -> Response {
    let data: Vec<Value> =
        model_names(&shared).into_iter().map(|n| json!({"id": n, "object": "model", "owned_by": "emulator"})).collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}
