//! Model providers: one [`Provider`] trait over three wire formats (Anthropic Messages, OpenAI-
//! compatible Chat Completions, Ollama's native chat), each streaming [`StreamEvent`]s with real
//! token usage; the model catalog that prices them; local server discovery; and the provider
//! emulator that tests, demos and benchmarks talk to.

pub mod anthropic;
pub mod catalog;
pub mod discovery;
pub mod emulator;
mod error;
mod event;
pub mod framing;
pub mod http;
mod limits;
pub mod ollama;
pub mod openai;
mod request;
mod retry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub use error::LlmError;
pub use event::{StopReason, StreamEvent};
pub use http::Endpoint;
pub use limits::Limits;
pub use request::{CacheHints, ChatMessage, ChatRequest, ToolCallRequest, ToolSpec};
pub use retry::RetryPolicy;

/// A model provider: starts a streamed reply for a request.
pub trait Provider: Send + Sync {
    fn endpoint(&self) -> &Endpoint;

    /// Starts the request on the current tokio runtime. Dropping the stream cancels it at once:
    /// the HTTP request is dropped with it.
    fn stream(&self, request: ChatRequest) -> ChatStream;

    /// How messages name this provider ("Anthropic", "Ollama", "llama.cpp"...).
    fn name(&self) -> &str {
        &self.endpoint().provider
    }

    /// Whether requests cost nothing (a server on this machine).
    fn is_local(&self) -> bool {
        self.endpoint().free
    }
}

/// The events of one reply, in order; an `Err` is always the last item.
pub struct ChatStream {
    events: mpsc::Receiver<Result<StreamEvent, LlmError>>,
    task: tokio::task::AbortHandle,
}

impl ChatStream {
    fn spawn<F>(work: impl FnOnce(mpsc::Sender<Result<StreamEvent, LlmError>>) -> F) -> ChatStream
    where
        F: Future<Output = Result<(), LlmError>> + Send + 'static,
    {
        let (tx, events) = mpsc::channel(256);
        let errors = tx.clone();
        let future = work(tx);
        let task = tokio::spawn(async move {
            if let Err(e) = future.await {
                let _ = errors.send(Err(e)).await;
            }
        })
        .abort_handle();
        ChatStream { events, task }
    }

    /// The next event, or `None` when the reply is complete.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, LlmError>> {
        self.events.recv().await
    }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The three wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Anthropic,
    /// Any OpenAI-compatible Chat Completions server: OpenAI, DeepSeek, llama.cpp, LM Studio, vLLM...
    Openai,
    Ollama,
}

/// What a user chooses: a format, and optionally a base URL and key (else the defaults and the
/// environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
}

impl ProviderConfig {
    /// Builds the provider. Keys come from the config, else from the environment variable the
    /// provider's SDK uses.
    pub fn connect(&self, retry: RetryPolicy) -> Arc<dyn Provider> {
        self.connect_with(retry, None)
    }

    /// [`ProviderConfig::connect`] with other timeouts and sizes than the server's defaults
    /// ([`Limits::for_server`]).
    pub fn connect_with(&self, retry: RetryPolicy, limits: Option<Limits>) -> Arc<dyn Provider> {
        let (base_url, host, port) = self.target();
        let local = is_loopback(&host);
        let limits = limits.unwrap_or(Limits::for_server(local));
        let (provider, key_env, hint) = describe(self.kind, &host, port, local);
        let api_key = self.api_key.clone().or_else(|| std::env::var(key_env).ok().filter(|k| !k.is_empty()));
        let endpoint = Arc::new(Endpoint {
            provider,
            base_url,
            api_key,
            key_env,
            unreachable_hint: hint,
            // The Anthropic format is the paid API even through a loopback proxy: always priced.
            free: local && self.kind != ProviderKind::Anthropic,
            retry,
            client: limits.client(),
            limits,
        });
        match self.kind {
            ProviderKind::Anthropic => Arc::new(Anthropic { endpoint }),
            ProviderKind::Openai => Arc::new(OpenAi { endpoint }),
            ProviderKind::Ollama => Arc::new(Ollama { endpoint, contexts: Arc::default() }),
        }
    }
}

impl ProviderConfig {
    /// The environment variable its key is read from when none is given (`DEEPSEEK_API_KEY`...).
    pub fn key_env(&self) -> &'static str {
        let (_, host, port) = self.target();
        describe(self.kind, &host, port, is_loopback(&host)).1
    }

    /// The base URL (the provider's own when none is set), its host and port.
    fn target(&self) -> (String, String, u16) {
        let base_url = self.base_url.clone().unwrap_or_else(|| {
            match self.kind {
                ProviderKind::Anthropic => anthropic::DEFAULT_BASE_URL,
                ProviderKind::Openai => openai::OPENAI_BASE_URL,
                ProviderKind::Ollama => ollama::DEFAULT_BASE_URL,
            }
            .to_string()
        });
        let url = reqwest::Url::parse(&base_url).ok();
        let host = url.as_ref().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        let port = url.as_ref().and_then(|u| u.port_or_known_default()).unwrap_or(0);
        (base_url, host, port)
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The provider's name, the key's environment variable, and what to do when it is unreachable.
fn describe(kind: ProviderKind, host: &str, port: u16, local: bool) -> (String, &'static str, String) {
    let known_local = discovery::LOCAL_SERVERS.iter().find(|s| local && s.port == port);
    match kind {
        ProviderKind::Anthropic => {
            ("Anthropic".into(), "ANTHROPIC_API_KEY", "Check the network and the base URL.".into())
        }
        ProviderKind::Ollama => {
            ("Ollama".into(), "OLLAMA_API_KEY", "Start it with `ollama serve`, or pass the right --base-url.".into())
        }
        ProviderKind::Openai if host == "api.deepseek.com" => {
            ("DeepSeek".into(), "DEEPSEEK_API_KEY", "Check the network and the base URL.".into())
        }
        ProviderKind::Openai if host == "api.openai.com" => {
            ("OpenAI".into(), "OPENAI_API_KEY", "Check the network and the base URL.".into())
        }
        ProviderKind::Openai => match known_local {
            Some(server) => (server.name.to_string(), "OPENAI_API_KEY", start_hint(server.name)),
            None if local => (
                format!("the OpenAI-compatible server at {host}:{port}"),
                "OPENAI_API_KEY",
                "Start the server, or pass the right --base-url.".into(),
            ),
            None => (
                format!("the OpenAI-compatible server at {host}"),
                "OPENAI_API_KEY",
                "Check the network and the base URL.".into(),
            ),
        },
    }
}

fn start_hint(server: &str) -> String {
    match server {
        "llama.cpp" => "Start it with `llama-server -m MODEL.gguf --port 8080`, or run scripts/local-model.sh.".into(),
        "LM Studio" => "Start its local server (Developer tab, port 1234).".into(),
        "vLLM" => "Start it with `vllm serve MODEL --port 8000`.".into(),
        other => format!("Start {other}."),
    }
}

struct Anthropic {
    endpoint: Arc<Endpoint>,
}

impl Provider for Anthropic {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn stream(&self, request: ChatRequest) -> ChatStream {
        let endpoint = Arc::clone(&self.endpoint);
        ChatStream::spawn(move |tx| async move {
            let key = endpoint.api_key.clone().ok_or_else(|| LlmError::MissingKey {
                provider: endpoint.provider.clone(),
                key_env: endpoint.key_env,
            })?;
            let body = anthropic::body(&request);
            let url = endpoint.url("/v1/messages");
            let send = || {
                endpoint
                    .client
                    .post(&url)
                    .header("x-api-key", &key)
                    .header("anthropic-version", anthropic::API_VERSION)
                    .json(&body)
            };
            let decoder = Box::new(anthropic::decoder(&endpoint.provider));
            http::stream(&endpoint, &request.model, send, decoder, &tx).await
        })
    }
}

struct OpenAi {
    endpoint: Arc<Endpoint>,
}

impl Provider for OpenAi {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn stream(&self, request: ChatRequest) -> ChatStream {
        let endpoint = Arc::clone(&self.endpoint);
        ChatStream::spawn(move |tx| async move {
            if endpoint.api_key.is_none() && !endpoint.free {
                return Err(LlmError::MissingKey { provider: endpoint.provider.clone(), key_env: endpoint.key_env });
            }
            let body = openai::body(&request);
            let url = endpoint.url("/chat/completions");
            let send = || {
                let builder = endpoint.client.post(&url).json(&body);
                match &endpoint.api_key {
                    Some(key) => builder.bearer_auth(key),
                    None => builder,
                }
            };
            let decoder = Box::new(openai::decoder(&endpoint.provider));
            http::stream(&endpoint, &request.model, send, decoder, &tx).await
        })
    }
}

struct Ollama {
    endpoint: Arc<Endpoint>,
    /// Context lengths already read from `/api/show`, per model.
    contexts: Arc<Mutex<HashMap<String, u32>>>,
}

impl Provider for Ollama {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn stream(&self, request: ChatRequest) -> ChatStream {
        let endpoint = Arc::clone(&self.endpoint);
        let contexts = Arc::clone(&self.contexts);
        ChatStream::spawn(move |tx| async move {
            let known = contexts.lock().unwrap_or_else(|p| p.into_inner()).get(&request.model).copied();
            let num_ctx = match known {
                Some(n) => Some(n),
                None => {
                    let url = endpoint.url("/api/show");
                    let show = || endpoint.client.post(&url).json(&serde_json::json!({"model": request.model}));
                    let n = ollama::context_length(&http::fetch_json(&endpoint, &request.model, show).await?);
                    if let Some(n) = n {
                        contexts.lock().unwrap_or_else(|p| p.into_inner()).insert(request.model.clone(), n);
                    }
                    n
                }
            };
            let body = ollama::body(&request, num_ctx);
            let url = endpoint.url("/api/chat");
            let send = || endpoint.client.post(&url).json(&body);
            let decoder = Box::new(ollama::Decoder::new(&endpoint.provider));
            http::stream(&endpoint, &request.model, send, decoder, &tx).await
        })
    }
}
