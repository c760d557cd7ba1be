//! MCP servers' tools for the engine's agents: one hub per project (servers start on first use), the
//! tools an agent is offered (read-only ones only for read-only agents, a Drone's own servers),
//! frozen into its session so the prompt cache holds, and each call put through the same approval
//! policy as commands: a tool its server marks read-only runs unasked, any other asks.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::{Project, ProjectId, ToolSpec};
use crate::mcp::{self, McpHub, McpTool, ServerConfig};
use crate::protocol::{Event, McpServerView, McpToolView};
use crate::store::{Store, Table};

use super::Journal;
use super::commands::CommandGate;
use super::turn::ToolResult;

/// The most of a tool's result an agent reads; the rest is cut with a note.
pub const RESULT_BUDGET: usize = 64 * 1024;

/// What the user switched off for a project, in Settings › MCP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    pub servers: BTreeSet<String>,
    /// Qualified names (`server__tool`).
    pub tools: BTreeSet<String>,
}

pub fn switches_key(project: ProjectId) -> String {
    format!("mcp_disabled/{project}")
}

fn switches(store: &Store, project: ProjectId) -> Switches {
    store.get_value(Table::Settings, &switches_key(project)).ok().flatten().unwrap_or_default()
}

/// A project's hub, and the problems found in its configuration files.
type Loaded = (McpHub, Vec<String>);

/// The projects' hubs, shared by the engine and its agents.
#[derive(Clone, Default)]
pub struct Hubs(Arc<Mutex<HashMap<ProjectId, Loaded>>>);

impl Hubs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ProjectId, Loaded>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The project's hub, made on first use from `.mcp.json` and the user's list; the problems
    /// found in those files come with it (each file, line and reason).
    pub fn hub(&self, store: &Store, project: &Project) -> Loaded {
        // Made under the lock, so two agents starting at once share one hub (making one starts nothing).
        self.lock().entry(project.id).or_insert_with(|| make_hub(store, project)).clone()
    }

    /// A project was opened in front: the servers of the others stop, unless their dev loop runs
    /// (a phone that uses one of them again starts its servers again, lazily).
    pub fn close_others(&self, open: ProjectId, busy: impl Fn(ProjectId) -> bool) {
        let others: Vec<ProjectId> = self.lock().keys().copied().filter(|id| *id != open && !busy(*id)).collect();
        for id in others {
            self.reset(Some(id));
        }
    }

    /// Forgets a project's hub (its switches changed), or every project's (`None`: the user's own
    /// list changed), and stops their servers; the next use makes new ones. Sessions already running
    /// keep the tools they were given.
    pub fn reset(&self, project: Option<ProjectId>) {
        let gone: Vec<McpHub> = {
            let mut hubs = self.lock();
            match project {
                Some(id) => hubs.remove(&id).into_iter().map(|(hub, _)| hub).collect(),
                None => hubs.drain().map(|(_, (hub, _))| hub).collect(),
            }
        };
        for hub in gone {
            tokio::spawn(async move { hub.shutdown().await });
        }
    }
}

/// The user's own servers, for every project.
fn user_servers(store: &Store) -> Vec<ServerConfig> {
    store.get_value(Table::Settings, mcp::SETTINGS_KEY).ok().flatten().unwrap_or_default()
}

/// A server from what the user typed: an http(s) URL, or a command line, words split at spaces, led by
/// any `NAME=VALUE` environment entries (`GITHUB_TOKEN=${GITHUB_TOKEN} npx -y server-github`: the
/// reference is kept and read when the server starts). For quoting, write it in `.mcp.json`.
pub fn server_from(name: &str, target: &str) -> Result<ServerConfig, String> {
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("`{name}` cannot name a server: use letters, digits, - and _"));
    }
    let target = target.trim();
    let transport = if target.starts_with("http://") || target.starts_with("https://") {
        mcp::Transport::Http { url: target.to_string(), headers: Default::default() }
    } else {
        let mut words = target.split_whitespace().map(str::to_string).peekable();
        let mut env = std::collections::BTreeMap::new();
        while let Some((key, value)) = words.peek().and_then(|w| w.split_once('=')).filter(|(k, _)| is_env_name(k)) {
            env.insert(key.to_string(), value.to_string());
            words.next();
        }
        let command = words.next().ok_or("give the server's command line, or its http(s) URL")?;
        mcp::Transport::Stdio { command, args: words.collect(), env, cwd: None }
    };
    Ok(ServerConfig { name: name.to_string(), transport, enabled: true, disabled_tools: Vec::new() })
}

fn is_env_name(word: &str) -> bool {
    !word.is_empty()
        && word.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !word.starts_with(|c: char| c.is_ascii_digit())
}

/// The end of a server's log, for Settings (read off the UI thread, at most the last 4 KiB).
fn log_tail(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    const TAIL: u64 = 4096;
    let Ok(mut file) = std::fs::File::open(path) else { return String::new() };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = file.take(TAIL).read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // A cut first line is dropped, unless the whole log fits.
    match text.split_once('\n') {
        Some((_, rest)) if length > TAIL => rest.to_string(),
        _ => text,
    }
}

fn make_hub(store: &Store, project: &Project) -> Loaded {
    let user = user_servers(store);
    let (mut configs, errors) = mcp::load_config(&project.root, &user);
    let off = switches(store, project.id);
    for config in &mut configs {
        config.enabled &= !off.servers.contains(&config.name);
    }
    let logs = log_dir(store.path(), project.id);
    let _ = std::fs::create_dir_all(&logs);
    (McpHub::new(configs, &logs), errors.iter().map(ToString::to_string).collect())
}

/// The MCP tools one agent was given, frozen for its session.
#[derive(Clone, Default)]
pub struct McpAccess {
    hub: Option<McpHub>,
    tools: Vec<McpTool>,
}

impl McpAccess {
    /// The tools of `hub` an agent may use: only read-only ones when it only reads, only the named
    /// servers' when it names some, never the ones switched off.
    pub async fn for_agent(
        hub: &McpHub,
        store: &Store,
        project: ProjectId,
        read_only: bool,
        servers: Option<&[String]>,
    ) -> McpAccess {
        let off = switches(store, project);
        let tools = hub
            .tools()
            .await
            .into_iter()
            .filter(|t| !off.tools.contains(&t.qualified))
            .filter(|t| t.read_only || !read_only)
            .filter(|t| servers.is_none_or(|named| named.contains(&t.server)))
            .collect();
        McpAccess { hub: Some(hub.clone()), tools }
    }

    /// The tools as the model is offered them, in the hub's stable order.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|t| ToolSpec {
                name: t.qualified.clone(),
                description: format!("[MCP server {}] {}", t.server, t.description),
                parameters: t.input_schema.clone(),
            })
            .collect()
    }

    pub fn offers(&self, name: &str) -> bool {
        self.tools.iter().any(|t| t.qualified == name)
    }

    /// Calls a tool, after the user's approval unless its server marks it read-only.
    pub async fn call(
        &self,
        gate: &CommandGate,
        journal: &Journal,
        name: &str,
        arguments: &serde_json::Value,
    ) -> ToolResult {
        let (Some(hub), Some(tool)) = (&self.hub, self.tools.iter().find(|t| t.qualified == name)) else {
            return ToolResult::error(format!("`{name}` is not one of your tools here; use the tools you were given"));
        };
        if !tool.read_only {
            let what = format!("{name} {arguments}");
            let reason = format!(
                "the MCP tool {} of server \"{}\" is not marked read-only, so it may change things",
                tool.name, tool.server
            );
            if !gate.approve(journal, &what, reason).await {
                return ToolResult::error(
                    "the user denied this tool call; nothing ran. Do without it, or explain why it is needed",
                );
            }
        }
        match hub.call(name, arguments.clone(), RESULT_BUDGET).await {
            Ok(outcome) => {
                // The first line is what the card shows: the time, and the answer's start.
                let mut content = format!("answered in {}: {}", seconds(outcome.duration), outcome.text);
                if let Some(last) = outcome.progress.last() {
                    let times = outcome.progress.len();
                    content.push_str(&format!("\n(the server reported progress {times} times; last: {last})"));
                }
                ToolResult { content, is_error: outcome.is_error, end_turn: false }
            }
            Err(e) => ToolResult::error(e.to_string()),
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// What Settings › MCP shows of a project's servers: each with its state, tools and log; listing
/// them starts the enabled ones.
pub async fn views(hub: &McpHub, off: &Switches, yours: &[String]) -> Vec<McpServerView> {
    let tools = hub.tools().await;
    let (resources, prompts) = (hub.resources().await, hub.prompts().await);
    hub.status()
        .into_iter()
        .map(|status| {
            let (state, problem) = match &status.state {
                mcp::ServerState::NotStarted => ("not started", None),
                mcp::ServerState::Starting => ("starting", None),
                mcp::ServerState::Running => ("running", None),
                mcp::ServerState::Failed(why) => ("failed", Some(why.clone())),
                mcp::ServerState::Disabled => ("off", None),
            };
            let tools = tools
                .iter()
                .filter(|t| t.server == status.name)
                .map(|t| McpToolView {
                    qualified: t.qualified.clone(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                    read_only: t.read_only,
                    enabled: !off.tools.contains(&t.qualified),
                })
                .collect();
            let skipped = status.skipped_tools.iter().map(|s| format!("{}: {}", s.name, s.reason)).collect();
            let of = |server: &str| server == status.name;
            McpServerView {
                yours: yours.contains(&status.name),
                log_tail: log_tail(&status.log),
                resources: resources
                    .iter()
                    .filter(|r| of(&r.server))
                    .map(|r| format!("{}  {}", r.name, r.uri))
                    .collect(),
                prompts: prompts.iter().filter(|p| of(&p.server)).map(|p| p.name.clone()).collect(),
                enabled: !off.servers.contains(&status.name),
                name: status.name,
                state: state.into(),
                problem,
                tools,
                skipped,
                log: status.log.display().to_string(),
            }
        })
        .collect()
}

impl super::Engine {
    pub(super) async fn list_mcp(&mut self, project: ProjectId) -> super::EngineResult {
        let Ok(found) = self.project(project) else {
            self.emit(Event::Error { command: None, message: format!("no project {project}; open its folder first") });
            return Ok(());
        };
        let (hub, problems) = self.mcp.hub(self.store.reader(), &found);
        let off = switches(self.store.reader(), project);
        let yours: Vec<String> = user_servers(self.store.reader()).into_iter().map(|s| s.name).collect();
        let emitter = self.journal.clone();
        // Listing may start servers: off the engine's command loop.
        tokio::spawn(async move {
            let servers = views(&hub, &off, &yours).await;
            emitter.emit(Event::McpServers { project, servers, problems });
        });
        Ok(())
    }

    pub(super) async fn switch_mcp(
        &mut self,
        project: ProjectId,
        server: String,
        tool: Option<String>,
        enabled: bool,
    ) -> super::EngineResult {
        let mut off = switches(self.store.reader(), project);
        let tool_only = tool.is_some();
        let set = if tool_only { &mut off.tools } else { &mut off.servers };
        let name = tool.unwrap_or(server);
        if enabled {
            set.remove(&name);
        } else {
            set.insert(name);
        }
        let key = switches_key(project);
        self.store.write(move |w| w.put_value(Table::Settings, &key, &off)).await?;
        if !tool_only {
            // A server switched on or off: a new hub starts (or stops) it; a tool is only filtered.
            self.mcp.reset(Some(project));
        }
        self.list_mcp(project).await
    }

    /// Adds (`Some`) or removes a server of the user's own list, for every project.
    pub(super) async fn edit_mcp_servers(
        &mut self,
        project: ProjectId,
        name: String,
        target: Option<String>,
    ) -> super::EngineResult {
        let mut servers = user_servers(self.store.reader());
        servers.retain(|s| s.name != name.trim());
        if let Some(target) = target {
            match server_from(&name, &target) {
                Ok(server) => servers.push(server),
                Err(message) => {
                    self.emit(Event::Error { command: None, message });
                    return Ok(());
                }
            }
        }
        self.store.write(move |w| w.put_value(Table::Settings, mcp::SETTINGS_KEY, &servers)).await?;
        self.mcp.reset(None);
        self.list_mcp(project).await
    }
}

/// Where a project's server logs are (beside `aura mcp`'s, in the data dir's `mcp/`).
pub fn log_dir(data_dir: &Path, project: ProjectId) -> std::path::PathBuf {
    data_dir.join("mcp").join(project.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_user_types_becomes_a_server() {
        let server = server_from("github", "GITHUB_TOKEN=${GITHUB_TOKEN} npx -y server-github --ro").unwrap();
        match server.transport {
            mcp::Transport::Stdio { command, args, env, .. } => {
                assert_eq!(
                    (command.as_str(), args),
                    ("npx", vec!["-y".to_string(), "server-github".into(), "--ro".into()])
                );
                assert_eq!(env.get("GITHUB_TOKEN").map(String::as_str), Some("${GITHUB_TOKEN}"), "kept as a reference");
            }
            other => panic!("{other:?}"),
        }
        let http = server_from("docs", " https://mcp.example.test/mcp ").unwrap();
        assert!(matches!(http.transport, mcp::Transport::Http { url, .. } if url == "https://mcp.example.test/mcp"));
        assert!(server_from("two words", "x").unwrap_err().contains("cannot name a server"));
        assert!(server_from("x", "  ").is_err());
        assert!(server_from("x", "A=1").is_err(), "an environment alone is no command");
    }

    #[test]
    fn a_logs_tail_is_its_last_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.log");
        std::fs::write(&path, "first\nsecond\n").unwrap();
        assert_eq!(log_tail(&path), "first\nsecond\n");
        let long: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &long).unwrap();
        let tail = log_tail(&path);
        assert!(tail.ends_with("line 1999\n") && tail.starts_with("line ") && tail.len() <= 4096, "{}", &tail[..40]);
        assert_eq!(log_tail(&dir.path().join("none.log")), "");
    }
}
