//! The part every provider shares: send with retries until a response starts, map failures to
//! messages that say what to do, then feed the streamed body through the format's decoder.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use reqwest::StatusCode;
use tokio::sync::mpsc;

use super::error::LlmError;
use super::event::StreamEvent;
use super::framing::{MAX_EVENT_BYTES, SseDecoder, SseEvent};
use super::limits::{self, EXPLAIN_BYTES, Limits};
use super::request::ToolCallRequest;
use super::retry::RetryPolicy;

/// Where and how to reach one provider.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// How messages name it: "Anthropic", "Ollama", "llama.cpp", "the server at 127.0.0.1:9000"...
    pub provider: String,
    /// The API's base URL, as its SDKs write it (no trailing slash).
    pub base_url: String,
    pub api_key: Option<String>,
    /// Where the key comes from, for messages about it.
    pub key_env: &'static str,
    /// What to try when the server cannot be reached.
    pub unreachable_hint: String,
    /// A server on this machine: needs no key, and costs nothing.
    pub free: bool,
    pub retry: RetryPolicy,
    pub limits: Limits,
    /// Built from `limits`.
    pub client: reqwest::Client,
}

impl Endpoint {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    fn address(&self) -> String {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .unwrap_or_else(|| self.base_url.clone())
    }
}

/// Turns a format's streamed bytes into events.
pub trait Decode: Send {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), LlmError>;
    /// The body ended: an error if the format's own end marker never came.
    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), LlmError>;
}

/// A format carried over SSE: what each event means, and whether the format's end marker came.
/// The frame around it owns the tool calls being assembled and the provider's name.
pub trait SseFormat: Send {
    fn event(&mut self, frame: SseEvent, stream: &mut SseStream, out: &mut Vec<StreamEvent>) -> Result<(), LlmError>;
    fn ended(&self) -> bool;
}

/// What every SSE format shares while decoding.
#[derive(Debug, Default)]
pub struct SseStream {
    pub provider: String,
    pub calls: ToolCalls,
}

/// Frames SSE bytes into events for an [`SseFormat`]; a body that stops before the end marker, or
/// in the middle of an event, is a cut stream (tool calls still open are closed first).
pub struct Sse<F> {
    sse: SseDecoder,
    frames: Vec<SseEvent>,
    stream: SseStream,
    format: F,
}

impl<F: SseFormat> Sse<F> {
    pub fn new(provider: &str, format: F) -> Self {
        Sse {
            sse: SseDecoder::default(),
            frames: Vec::new(),
            stream: SseStream { provider: provider.to_string(), calls: ToolCalls::default() },
            format,
        }
    }
}

impl<F: SseFormat> Decode for Sse<F> {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        let fed = self.sse.feed(bytes, &mut self.frames);
        for frame in std::mem::take(&mut self.frames) {
            self.format.event(frame, &mut self.stream, out)?;
        }
        fed.map_err(|_| LlmError::too_large(&self.stream.provider, "one event", MAX_EVENT_BYTES as u64))
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), LlmError> {
        if self.format.ended() && !self.sse.is_mid_event() {
            return Ok(());
        }
        self.stream.calls.end_all(out);
        Err(LlmError::StreamCut { provider: self.stream.provider.clone() })
    }
}

/// Runs one streamed request to its end, sending events to `tx`. Returns early, dropping the HTTP
/// response, as soon as the receiver is gone (cancellation).
pub async fn stream(
    endpoint: &Endpoint,
    model: &str,
    request: impl Fn() -> reqwest::RequestBuilder,
    mut decoder: Box<dyn Decode>,
    tx: &mpsc::Sender<Result<StreamEvent, LlmError>>,
) -> Result<(), LlmError> {
    let response = limits::refuse_html(send_with_retries(endpoint, model, &request).await?, "an event stream").await?;
    let mut body = response.bytes_stream();
    let mut events = Vec::new();
    let mut read = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| cut(endpoint, &e))?;
        read += chunk.len() as u64;
        if read > endpoint.limits.body_bytes {
            return Err(LlmError::too_large(&endpoint.provider, "a reply", endpoint.limits.body_bytes));
        }
        let fed = decoder.feed(&chunk, &mut events);
        for event in events.drain(..) {
            if tx.send(Ok(event)).await.is_err() {
                return Ok(()); // the consumer went away: stop reading
            }
        }
        fed?;
    }
    let finished = decoder.finish(&mut events);
    for event in events.drain(..) {
        if tx.send(Ok(event)).await.is_err() {
            return Ok(());
        }
    }
    finished
}

/// A plain (not streamed) JSON request with the same retries and error messages.
pub async fn fetch_json(
    endpoint: &Endpoint,
    model: &str,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> Result<serde_json::Value, LlmError> {
    let response = limits::refuse_html(send_with_retries(endpoint, model, &request).await?, "JSON").await?;
    let (body, more) = limits::read_capped(response, MAX_EVENT_BYTES).await.map_err(|e| cut(endpoint, &e))?;
    if more {
        return Err(LlmError::too_large(&endpoint.provider, "an answer", MAX_EVENT_BYTES as u64));
    }
    parse_json(&endpoint.provider, &String::from_utf8_lossy(&body))
}

/// A body that stopped: silent past the stall limit, or closed.
fn cut(endpoint: &Endpoint, e: &reqwest::Error) -> LlmError {
    match e.is_timeout() {
        true => LlmError::Timeout {
            provider: endpoint.provider.clone(),
            timeout: endpoint.limits.stall,
            during: "in the middle of the reply (what arrived is kept)",
        },
        false => LlmError::StreamCut { provider: endpoint.provider.clone() },
    }
}

async fn send_with_retries(
    endpoint: &Endpoint,
    model: &str,
    request: &impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, LlmError> {
    let policy = endpoint.retry;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let last = attempt >= policy.max_attempts;
        match request().send().await {
            Ok(response) if response.status().is_success() => return Ok(response),
            Ok(response) if response.status().is_redirection() => {
                return Err(limits::redirected(&endpoint.provider, endpoint.address(), &response));
            }
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let (body, _) = limits::read_capped(response, EXPLAIN_BYTES).await.unwrap_or_default();
                let body = String::from_utf8_lossy(&body);
                if RetryPolicy::is_retryable(status) && !last {
                    let wait = policy.delay(attempt, Some(&headers));
                    tracing::info!(provider = %endpoint.provider, %status, ?wait, attempt, "retrying");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(status_error(endpoint, model, status, &body, attempt));
            }
            Err(e) if is_refused(&e) => {
                return Err(LlmError::Unreachable {
                    provider: endpoint.provider.clone(),
                    url: endpoint.base_url.clone(),
                    address: endpoint.address(),
                    hint: endpoint.unreachable_hint.clone(),
                });
            }
            // Only a connection that never opened is retried: a server silent after the request
            // may be working on it (and billing it).
            Err(e) if e.is_connect() && !last => {
                let wait = policy.delay(attempt, None);
                tracing::info!(provider = %endpoint.provider, error = %e, ?wait, attempt, "retrying");
                tokio::time::sleep(wait).await;
            }
            Err(e) if e.is_timeout() => {
                let (timeout, during) = match e.is_connect() {
                    true => (endpoint.limits.connect, "while connecting"),
                    false => (endpoint.limits.stall, "after the request, before its reply began"),
                };
                return Err(LlmError::Timeout { provider: endpoint.provider.clone(), timeout, during });
            }
            Err(e) => return Err(LlmError::Transport { provider: endpoint.provider.clone(), detail: error_chain(&e) }),
        }
    }
}

fn status_error(endpoint: &Endpoint, model: &str, status: StatusCode, body: &str, attempts: u32) -> LlmError {
    let provider = endpoint.provider.clone();
    let detail = LlmError::detail_from_body(body);
    match status.as_u16() {
        401 | 403 => LlmError::Unauthorized { provider, key_env: endpoint.key_env, detail },
        404 => LlmError::ModelNotFound { provider, model: model.to_string(), detail },
        413 => LlmError::ContextTooLong { detail },
        400 if LlmError::is_context_overflow(&detail) || LlmError::is_context_overflow(body) => {
            LlmError::ContextTooLong { detail }
        }
        429 => LlmError::RateLimited { provider, attempts, detail },
        s if status.is_server_error() => LlmError::Unavailable { provider, status: s, attempts, detail },
        s => LlmError::Rejected { provider, status: s, detail },
    }
}

fn is_refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = err.source();
    }
    false
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

/// Parses one event's JSON, naming the provider when it is malformed.
pub fn parse_json<T: serde::de::DeserializeOwned>(provider: &str, data: &str) -> Result<T, LlmError> {
    serde_json::from_str(data).map_err(|e| {
        let sample: String = data.chars().take(120).collect();
        LlmError::Malformed { provider: provider.to_string(), detail: format!("{e} in {sample:?}") }
    })
}

/// Collects tool calls whose id, name and arguments arrive in pieces, keyed by the stream's index.
#[derive(Debug, Default)]
pub struct ToolCalls {
    open: BTreeMap<usize, (String, String, String)>,
}

impl ToolCalls {
    pub fn start(&mut self, index: usize, id: String, name: String, out: &mut Vec<StreamEvent>) {
        out.push(StreamEvent::ToolCallStart { index, id: id.clone(), name: name.clone() });
        self.open.insert(index, (id, name, String::new()));
    }

    pub fn is_open(&self, index: usize) -> bool {
        self.open.contains_key(&index)
    }

    pub fn append(&mut self, index: usize, arguments: &str, out: &mut Vec<StreamEvent>) {
        if arguments.is_empty() {
            return;
        }
        if let Some((_, _, args)) = self.open.get_mut(&index) {
            args.push_str(arguments);
            out.push(StreamEvent::ToolCallDelta { index, arguments: arguments.to_string() });
        }
    }

    /// Closes one call: its arguments must be a JSON object (empty means `{}`).
    pub fn end(&mut self, index: usize, out: &mut Vec<StreamEvent>) {
        let Some((id, name, args)) = self.open.remove(&index) else { return };
        let call = match serde_json::from_str::<serde_json::Value>(if args.trim().is_empty() { "{}" } else { &args }) {
            Ok(arguments) if arguments.is_object() => Ok(ToolCallRequest { id, name, arguments }),
            Ok(other) => Err(format!("the arguments of {name} must be a JSON object, not {other}")),
            Err(e) => Err(format!("the arguments of {name} are not valid JSON ({e}): {args}")),
        };
        out.push(StreamEvent::ToolCallEnd { index, call });
    }

    /// Closes every call still open, in index order.
    pub fn end_all(&mut self, out: &mut Vec<StreamEvent>) {
        let indexes: Vec<usize> = self.open.keys().copied().collect();
        for index in indexes {
            self.end(index, out);
        }
    }
}
