//! Opening a session with one server over its transport, within the initialize timeout, and
//! closing it again. What failed is said in words a user can act on.

pub mod http;
pub mod stdio;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProgressToken};
use rmcp::service::{MaybeSendFuture, NotificationContext, RoleClient, RunningService};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::{ServiceError, ServiceExt};

use super::config::{ServerConfig, Transport};
use stdio::StdioChild;

pub type Session = RunningService<RoleClient, AuraClient>;

/// The progress a server reported, by the token of the call it was for (`n/total message`).
pub type ProgressLog = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// A live session, and the process behind it for stdio servers.
pub struct Connection {
    pub session: Session,
    pub child: Option<StdioChild>,
    pub progress: ProgressLog,
    /// The server said its tools changed (`notifications/tools/list_changed`) since they were listed.
    pub tools_changed: Arc<AtomicBool>,
}

/// Aura's side of a session: who it is, and where the server's progress notifications go.
#[derive(Clone)]
pub struct AuraClient {
    info: ClientConfig,
    progress: ProgressLog,
    tools_changed: Arc<AtomicBool>,
}

/// The key a call's progress is kept under.
pub fn progress_key(token: &ProgressToken) -> String {
    match &token.0 {
        rmcp::model::NumberOrString::Number(n) => n.to_string(),
        rmcp::model::NumberOrString::String(s) => s.to_string(),
    }
}

impl rmcp::ClientHandler for AuraClient {
    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }

    fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        let step = match params.total {
            Some(total) => format!("{}/{}", params.progress, total),
            None => params.progress.to_string(),
        };
        let note = params.message.map(|m| format!("{step} {m}")).unwrap_or(step);
        let mut log = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        log.entry(progress_key(&params.progress_token)).or_default().push(note);
        std::future::ready(())
    }

    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        self.tools_changed.store(true, Ordering::SeqCst);
        std::future::ready(())
    }
}

fn client_info() -> AuraClient {
    let info = ClientConfig::new(ClientCapabilities::default(), Implementation::new("aura", env!("CARGO_PKG_VERSION")));
    AuraClient { info, progress: ProgressLog::default(), tools_changed: Arc::default() }
}

/// Starts (stdio) or reaches (HTTP) the server and runs MCP's initialize handshake.
pub async fn connect(config: &ServerConfig, log: &Path, timeout: Duration) -> Result<Connection, String> {
    match &config.transport {
        Transport::Stdio { command, args, env, cwd } => {
            let (mut child, stdout, stdin) = stdio::spawn(command, args, env, cwd.as_deref(), log)?;
            let transport =
                AsyncRwTransport::<RoleClient, _, _>::new(stdout, stdin).with_max_line_length(stdio::MAX_LINE_BYTES);
            let client = client_info();
            let (progress, tools_changed) = (client.progress.clone(), client.tools_changed.clone());
            match tokio::time::timeout(timeout, client.serve(transport)).await {
                Ok(Ok(session)) => Ok(Connection { session, child: Some(child), progress, tools_changed }),
                Ok(Err(e)) => Err(startup_failure(&mut child, log, &e.to_string()).await),
                Err(_) => {
                    let why = child.watch.problem().unwrap_or_else(|| {
                        format!(
                            "it did not answer MCP's initialize within {} s: check that the command starts an MCP \
                             server on stdio (its log: {})",
                            timeout.as_secs_f32(),
                            log.display()
                        )
                    });
                    stop_child(&mut child).await;
                    Err(why)
                }
            }
        }
        Transport::Http { url, headers } => {
            let transport = http::transport(url, headers)?;
            let client = client_info();
            let (progress, tools_changed) = (client.progress.clone(), client.tools_changed.clone());
            match tokio::time::timeout(timeout, client.serve(transport)).await {
                Ok(Ok(session)) => Ok(Connection { session, child: None, progress, tools_changed }),
                Ok(Err(e)) => Err(format!("{url} did not start an MCP session: {e}")),
                Err(_) => Err(format!(
                    "{url} did not answer MCP's initialize within {} s: check the URL and that the server runs",
                    timeout.as_secs_f32()
                )),
            }
        }
    }
}

/// Why a stdio server's handshake failed: it exited (with its status and last log line), or what
/// its stdout shows, or rmcp's reason.
async fn startup_failure(child: &mut StdioChild, log: &Path, reason: &str) -> String {
    let exited = tokio::time::timeout(Duration::from_millis(500), child.child.wait()).await;
    if let Ok(Ok(status)) = exited {
        return exit_reason(status, log, "during start-up");
    }
    let why = child.watch.problem().unwrap_or_else(|| format!("the MCP handshake failed: {reason}"));
    stop_child(child).await;
    why
}

/// "it exited with status 3 during start-up; its log ends: …".
pub fn exit_reason(status: std::process::ExitStatus, log: &Path, when: &str) -> String {
    let code = status.code().map_or_else(|| format!("was killed ({status})"), |c| format!("exited with status {c}"));
    match stdio::last_log_line(log) {
        Some(line) => format!("it {code} {when}; its log {} ends: {line}", log.display()),
        None => format!("it {code} {when} and wrote nothing to its log {}", log.display()),
    }
}

/// Stops a stdio server's process group: SIGTERM, a moment, then SIGKILL.
pub async fn stop_child(child: &mut StdioChild) {
    stdio::signal_group(&child.child, libc::SIGTERM);
    if tokio::time::timeout(Duration::from_millis(1500), child.child.wait()).await.is_err() {
        stdio::signal_group(&child.child, libc::SIGKILL);
        let _ = child.child.kill().await;
    }
}

impl Connection {
    /// Ends the session (closing stdin, which is how MCP asks a stdio server to leave), then the process.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.session.close()).await;
        if let Some(child) = self.child.as_mut() {
            stop_child(child).await;
        }
    }

    /// Why this session can no longer be used, if it cannot.
    pub fn death(&mut self, log: &Path) -> Option<String> {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.child.try_wait()
        {
            return Some(exit_reason(status, log, "while running"));
        }
        self.session.is_closed().then(|| "its session closed".to_string())
    }
}

/// Why a request failed: the server died (true, with how), or what its stdout showed, or rmcp's reason.
pub fn request_failure(connection: &mut Connection, log: &Path, e: &ServiceError) -> (bool, String) {
    if let Some(why) = connection.death(log) {
        return (true, why);
    }
    let watch = connection.child.as_ref().and_then(|c| c.watch.problem());
    (false, watch.unwrap_or_else(|| e.to_string()))
}
