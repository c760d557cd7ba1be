//! The servers of one open project. Each starts on first use; one that fails waits out a backoff
//! before the next try (so a hung server does not cost every agent turn its timeout), one that
//! dies is restarted on the next use. Servers never wait on each other.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use rmcp::model::{CallToolRequestParams, Tool};
use tokio::sync::MutexGuard;

use super::transport::{self, Connection};
use super::{
    McpError, McpOutcome, McpPrompt, McpPromptArgument, McpResource, McpTool, ServerConfig, ServerState, ServerStatus,
    SkippedTool, names, result, schema,
};

/// Timeouts; the defaults suit real servers (`npx` may download a package on first start).
#[derive(Debug, Clone, Copy)]
pub struct HubOptions {
    /// Start-up, initialize and listing the tools.
    pub init_timeout: Duration,
    pub call_timeout: Duration,
}

impl Default for HubOptions {
    fn default() -> HubOptions {
        HubOptions { init_timeout: Duration::from_secs(20), call_timeout: Duration::from_secs(300) }
    }
}

/// The MCP servers of one project; cheap to clone, shared by every agent.
#[derive(Clone)]
pub struct McpHub {
    inner: Arc<Inner>,
}

struct Inner {
    servers: Vec<Server>,
    options: HubOptions,
    /// Qualified name → (server index, tool name), as last listed.
    index: Mutex<BTreeMap<String, (usize, String)>>,
}

struct Server {
    config: ServerConfig,
    log: PathBuf,
    live: tokio::sync::Mutex<Live>,
    status: Mutex<ServerStatus>,
}

#[derive(Default)]
struct Live {
    connection: Option<Connection>,
    /// The tools offered, sanitized, by name.
    tools: Vec<Tool>,
    /// Failed starts in a row.
    failures: u32,
    retry_at: Option<Instant>,
    last_failure: String,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// One `tools/call`, with the progress the server reported on it. rmcp gives every request a progress
/// token of its own; the handle names it, so the notifications can be told apart from other calls'.
async fn call_tool(
    peer: &rmcp::Peer<rmcp::RoleClient>,
    params: CallToolRequestParams,
    progress: &transport::ProgressLog,
) -> (Result<rmcp::model::CallToolResult, rmcp::ServiceError>, Vec<String>) {
    let request = rmcp::model::ClientRequest::CallToolRequest(rmcp::model::CallToolRequest::new(params));
    let handle = match peer.send_request_with_option(request, rmcp::service::PeerRequestOptions::no_options()).await {
        Ok(handle) => handle,
        Err(e) => return (Err(e), Vec::new()),
    };
    let key = transport::progress_key(&handle.progress_token);
    let answer = handle.await_response().await.and_then(|result| match result {
        rmcp::model::ServerResult::CallToolResult(result) => Ok(result),
        _ => Err(rmcp::ServiceError::UnexpectedResponse),
    });
    // Notifications are handled on tasks of their own: those sent before the answer get a moment.
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    let reported = lock(progress).remove(&key).unwrap_or_default();
    (answer, reported)
}

/// 2 s, 4 s, 8 s … up to 5 minutes between tries.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(failures.min(9)).min(300))
}

fn log_name(server: &str) -> String {
    let clean: String =
        server.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{}.log", clean.trim_start_matches('.'))
}

impl McpHub {
    /// The hub for these servers, logging to `log_dir/<server>.log`; nothing starts yet.
    pub fn new(configs: Vec<ServerConfig>, log_dir: &Path) -> McpHub {
        McpHub::with_options(configs, log_dir, HubOptions::default())
    }

    pub fn with_options(mut configs: Vec<ServerConfig>, log_dir: &Path, options: HubOptions) -> McpHub {
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        configs.dedup_by(|a, b| a.name == b.name);
        let servers = configs
            .into_iter()
            .map(|config| {
                let log = log_dir.join(log_name(&config.name));
                let state = if config.enabled { ServerState::NotStarted } else { ServerState::Disabled };
                let status = ServerStatus {
                    name: config.name.clone(),
                    state,
                    tools: 0,
                    skipped_tools: Vec::new(),
                    log: log.clone(),
                };
                Server { config, log, live: Default::default(), status: Mutex::new(status) }
            })
            .collect();
        McpHub { inner: Arc::new(Inner { servers, options, index: Mutex::default() }) }
    }

    /// Every enabled server's tools, starting servers as needed, by server then tool name.
    pub async fn tools(&self) -> Vec<McpTool> {
        let enabled = self.inner.servers.iter().enumerate().filter(|(_, s)| s.config.enabled);
        let listed = join_all(enabled.map(|(i, server)| async move {
            let live = server.ensure(&self.inner.options).await.ok();
            (i, live.map(|l| l.tools.clone()).unwrap_or_default())
        }))
        .await;
        let mut taken = HashSet::new();
        let mut index = BTreeMap::new();
        let mut tools = Vec::new();
        for (i, server_tools) in listed {
            let server = &self.inner.servers[i];
            for tool in server_tools {
                let qualified = names::qualify(&server.config.name, &tool.name, &mut taken);
                index.insert(qualified.clone(), (i, tool.name.to_string()));
                tools.push(McpTool {
                    server: server.config.name.clone(),
                    name: tool.name.to_string(),
                    qualified,
                    description: tool.description.as_deref().unwrap_or_default().to_string(),
                    input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
                    read_only: tool.annotations.as_ref().and_then(|a| a.read_only_hint).unwrap_or(false),
                });
            }
        }
        *lock(&self.inner.index) = index;
        tools
    }

    /// Calls a tool by its qualified name, its text cut to `budget_bytes`.
    pub async fn call(
        &self,
        qualified: &str,
        arguments: serde_json::Value,
        budget_bytes: usize,
    ) -> Result<McpOutcome, McpError> {
        let known = lock(&self.inner.index).get(qualified).cloned();
        let (i, tool) = match known {
            Some(found) => found,
            None => {
                self.tools().await;
                let found = lock(&self.inner.index).get(qualified).cloned();
                found.ok_or_else(|| McpError::UnknownTool(qualified.to_string()))?
            }
        };
        let arguments = match arguments {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => None,
            other => return Err(McpError::Arguments { tool: qualified.to_string(), found: other.to_string() }),
        };
        self.inner.servers[i].call(&self.inner.options, &tool, arguments, budget_bytes).await
    }

    /// The resources of the servers that have them (started as needed).
    pub async fn resources(&self) -> Vec<McpResource> {
        let listed = join_all(self.inner.servers.iter().map(|s| s.resources(&self.inner.options))).await;
        listed.into_iter().flatten().collect()
    }

    /// The prompts of the servers that have them (started as needed).
    pub async fn prompts(&self) -> Vec<McpPrompt> {
        let listed = join_all(self.inner.servers.iter().map(|s| s.prompts(&self.inner.options))).await;
        listed.into_iter().flatten().collect()
    }

    /// Each server's state, by name; never waits.
    pub fn status(&self) -> Vec<ServerStatus> {
        self.inner.servers.iter().map(|s| lock(&s.status).clone()).collect()
    }

    /// Stops every server (stdio: stdin closed, then the process group signalled).
    pub async fn shutdown(&self) {
        join_all(self.inner.servers.iter().map(Server::stop)).await;
    }
}

impl Drop for Inner {
    /// The last clone went away without `shutdown`: kill what still runs, now.
    fn drop(&mut self) {
        for server in &self.servers {
            if let Ok(mut live) = server.live.try_lock()
                && let Some(child) = live.connection.as_mut().and_then(|c| c.child.as_mut())
            {
                transport::stdio::signal_group(&child.child, libc::SIGKILL);
            }
        }
    }
}

impl Server {
    fn set_state(&self, state: ServerState) {
        lock(&self.status).state = state;
    }

    fn note(&self, line: &str) {
        use std::io::Write;
        tracing::warn!(server = %self.config.name, "{line}");
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(&self.log) {
            let _ = writeln!(file, "--- aura: {line}");
        }
    }

    fn unavailable(&self, why: String) -> McpError {
        McpError::Unavailable { server: self.config.name.clone(), why }
    }

    /// The live session, started (or restarted) when there is none and the backoff allows.
    async fn ensure(&self, options: &HubOptions) -> Result<MutexGuard<'_, Live>, McpError> {
        if !self.config.enabled {
            return Err(self.unavailable("it is disabled in the MCP settings".into()));
        }
        let mut live = self.live.lock().await;
        if let Some(connection) = live.connection.as_mut() {
            let Some(why) = connection.death(&self.log) else {
                if connection.tools_changed.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    self.relist(&mut live, options).await;
                }
                return Ok(live);
            };
            self.note(&format!("the server stopped: {why}"));
            if let Some(dead) = live.connection.take() {
                dead.close().await;
            }
            live.last_failure = why;
        }
        if let Some(at) = live.retry_at.filter(|at| *at > Instant::now()) {
            let wait = at.saturating_duration_since(Instant::now()).as_secs() + 1;
            return Err(self.unavailable(format!("{} (Aura tries again in {wait} s)", live.last_failure)));
        }
        self.set_state(ServerState::Starting);
        match self.start(options).await {
            Ok((connection, tools)) => {
                live.connection = Some(connection);
                live.tools = tools;
                live.failures = 0;
                live.retry_at = None;
                self.set_state(ServerState::Running);
                Ok(live)
            }
            Err(why) => {
                live.failures += 1;
                live.retry_at = Some(Instant::now() + backoff(live.failures));
                live.last_failure = why.clone();
                self.note(&format!("could not start: {why}"));
                self.set_state(ServerState::Failed(why.clone()));
                Err(self.unavailable(why))
            }
        }
    }

    /// The server said its tools changed: they are listed again (new sessions get the new list;
    /// sessions already running keep theirs, so their cached prompts hold).
    async fn relist(&self, live: &mut Live, options: &HubOptions) {
        let Some(connection) = live.connection.as_ref() else { return };
        match self.list_tools(connection, options).await {
            Ok(tools) => {
                self.note(&format!("its tools changed: {} now", tools.len()));
                live.tools = tools;
            }
            Err(why) => self.note(&format!("its tools changed, but {why}; the old list stays")),
        }
    }

    /// Connects and lists the tools.
    async fn start(&self, options: &HubOptions) -> Result<(Connection, Vec<Tool>), String> {
        let connection = transport::connect(&self.config, &self.log, options.init_timeout).await?;
        match self.list_tools(&connection, options).await {
            Ok(tools) => Ok((connection, tools)),
            Err(why) => {
                connection.close().await;
                Err(why)
            }
        }
    }

    /// The server's tools, leaving out the disabled ones and those no provider accepts.
    async fn list_tools(&self, connection: &Connection, options: &HubOptions) -> Result<Vec<Tool>, String> {
        let listed = tokio::time::timeout(options.init_timeout, connection.session.list_all_tools()).await;
        let listed = match listed {
            Ok(Ok(tools)) => tools,
            Ok(Err(e)) => return Err(format!("it did not list its tools: {e}")),
            Err(_) => return Err(format!("it did not list its tools within {} s", options.init_timeout.as_secs())),
        };
        let mut tools = Vec::new();
        let mut skipped = Vec::new();
        for mut tool in listed.into_iter().filter(|t| !self.config.disabled_tools.iter().any(|d| *d == t.name)) {
            match schema::sanitize(&tool.input_schema) {
                Ok(clean) => {
                    tool.input_schema = Arc::new(clean);
                    tools.push(tool);
                }
                Err(reason) => {
                    self.note(&format!("tool {} is not offered: {reason}", tool.name));
                    skipped.push(SkippedTool { name: tool.name.to_string(), reason });
                }
            }
        }
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let mut status = lock(&self.status);
        status.tools = tools.len();
        status.skipped_tools = skipped;
        drop(status);
        Ok(tools)
    }

    async fn call(
        &self,
        options: &HubOptions,
        tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        budget_bytes: usize,
    ) -> Result<McpOutcome, McpError> {
        // The session's peer is shared, so calls to one server run side by side, not in turn.
        let live =
            self.ensure(options).await?.connection.as_ref().map(|c| (c.session.peer().clone(), c.progress.clone()));
        let (peer, progress) = live.ok_or_else(|| self.unavailable("it is not running".into()))?;
        let mut params = CallToolRequestParams::new(tool.to_string());
        params.arguments = arguments;
        let started = Instant::now();
        let answer = tokio::time::timeout(options.call_timeout, call_tool(&peer, params, &progress)).await;
        let duration = started.elapsed();
        let server = self.config.name.clone();
        let (answer, progress) = match answer {
            Ok((answer, progress)) => (Ok(answer), progress),
            Err(elapsed) => (Err(elapsed), Vec::new()),
        };
        match answer {
            Ok(Ok(result)) => {
                let (text, truncated) = result::render(&result, budget_bytes);
                Ok(McpOutcome { text, is_error: result.is_error.unwrap_or(false), truncated, duration, progress })
            }
            Ok(Err(e)) => {
                let mut live = self.live.lock().await;
                let Some(connection) = live.connection.as_mut() else {
                    return Err(McpError::Died { server, why: e.to_string() });
                };
                match transport::request_failure(connection, &self.log, &e) {
                    (true, why) => {
                        self.set_state(ServerState::Failed(format!("{why}; Aura restarts it on the next use")));
                        Err(McpError::Died { server, why })
                    }
                    (false, why) => Err(McpError::Request { server, why }),
                }
            }
            Err(_) => {
                Err(McpError::Timeout { server, tool: tool.to_string(), seconds: options.call_timeout.as_secs() })
            }
        }
    }

    async fn resources(&self, options: &HubOptions) -> Vec<McpResource> {
        let Some(peer) = self.peer_with(options, |caps| caps.resources.is_some()).await else { return Vec::new() };
        let listed = tokio::time::timeout(options.init_timeout, peer.list_all_resources()).await;
        let Ok(Ok(resources)) = listed else { return Vec::new() };
        resources
            .into_iter()
            .map(|r| McpResource {
                server: self.config.name.clone(),
                uri: r.uri.clone(),
                name: r.name.clone(),
                description: r.description.clone(),
                mime_type: r.mime_type.clone(),
            })
            .collect()
    }

    async fn prompts(&self, options: &HubOptions) -> Vec<McpPrompt> {
        let Some(peer) = self.peer_with(options, |caps| caps.prompts.is_some()).await else { return Vec::new() };
        let listed = tokio::time::timeout(options.init_timeout, peer.list_all_prompts()).await;
        let Ok(Ok(prompts)) = listed else { return Vec::new() };
        prompts
            .into_iter()
            .map(|p| McpPrompt {
                server: self.config.name.clone(),
                name: p.name.to_string(),
                description: p.description.clone(),
                arguments: p
                    .arguments
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| McpPromptArgument {
                        name: a.name,
                        description: a.description,
                        required: a.required.unwrap_or(false),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The session's peer, when the server runs (or starts) and has the capability.
    async fn peer_with(
        &self,
        options: &HubOptions,
        has: impl Fn(&rmcp::model::ServerCapabilities) -> bool,
    ) -> Option<rmcp::Peer<rmcp::RoleClient>> {
        if !self.config.enabled {
            return None;
        }
        let live = self.ensure(options).await.ok()?;
        let session = &live.connection.as_ref()?.session;
        let capable = session.peer_info().is_some_and(|info| has(&info.capabilities));
        capable.then(|| session.peer().clone())
    }

    async fn stop(&self) {
        let mut live = self.live.lock().await;
        if let Some(connection) = live.connection.take() {
            connection.close().await;
            self.set_state(ServerState::NotStarted);
        }
        live.tools.clear();
        lock(&self.status).tools = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::Transport;

    #[tokio::test]
    async fn a_disabled_server_never_starts_and_the_hub_can_be_spawned_on() {
        let command = Transport::Stdio { command: "false".into(), args: vec![], env: Default::default(), cwd: None };
        let off = ServerConfig { name: "off".into(), transport: command, enabled: false, disabled_tools: vec![] };
        let hub = McpHub::new(vec![off], Path::new("/nonexistent"));
        let spawned = hub.clone();
        // The engine runs calls on its runtime: the futures must be Send.
        let tools = tokio::spawn(async move { spawned.tools().await }).await.unwrap();
        assert!(tools.is_empty());
        assert_eq!(hub.status()[0].state, ServerState::Disabled);
        let caller = hub.clone();
        let unknown = tokio::spawn(async move { caller.call("off__x", serde_json::json!({}), 10).await });
        let unknown = unknown.await.unwrap().unwrap_err();
        assert_eq!(unknown, McpError::UnknownTool("off__x".into()));
        assert!(hub.resources().await.is_empty() && hub.prompts().await.is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), Duration::from_secs(300));
    }
}
