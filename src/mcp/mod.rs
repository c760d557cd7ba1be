//! Aura as a Model Context Protocol client (spec 11): the servers a project configures, started
//! lazily over stdio or streamable HTTP with the official SDK (`rmcp`), their tools offered under
//! provider-safe names (`server__tool`) with sanitized schemas, and their results cut to a budget.
//! The engine offers the tools to agents and puts calls through the approval policy; this module
//! only talks to servers.

pub mod config;
mod hub;
mod names;
pub mod result;
pub mod schema;
mod transport;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use config::{ConfigError, ServerConfig, Transport, load_config};
pub use hub::{HubOptions, McpHub};
pub use names::{MAX_NAME_LEN, qualify};

/// The settings key of the user's own server list (a `Vec<ServerConfig>`).
pub const SETTINGS_KEY: &str = "mcp_servers";

/// A server tool as agents are offered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpTool {
    pub server: String,
    /// The tool's name on its server.
    pub name: String,
    /// `server__tool`: only `[A-Za-z0-9_-]`, at most 64 characters, unique in the hub.
    pub qualified: String,
    pub description: String,
    /// An object schema the providers accept.
    pub input_schema: serde_json::Value,
    /// The server says the tool changes nothing (`annotations.readOnlyHint`); a hint, not a proof.
    pub read_only: bool,
}

/// What a tool call returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOutcome {
    pub text: String,
    /// The tool reported an error (`isError`); `text` says what.
    pub is_error: bool,
    /// `text` was cut to the budget (it ends with a note saying how much).
    pub truncated: bool,
    pub duration: Duration,
    /// What the server reported while it worked (`n/total message`), oldest first.
    pub progress: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpResource {
    pub server: String,
    pub uri: String,
    pub name: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpPrompt {
    pub server: String,
    pub name: String,
    pub description: Option<String>,
    pub arguments: Vec<McpPromptArgument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpPromptArgument {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
}

/// Where a server is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "why", rename_all = "snake_case")]
pub enum ServerState {
    NotStarted,
    Starting,
    Running,
    /// Why it is not running, and what to do about it.
    Failed(String),
    Disabled,
}

/// A tool a server has that agents are not offered, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTool {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub name: String,
    pub state: ServerState,
    /// Tools offered (after the disabled and skipped ones are left out).
    pub tools: usize,
    /// Tools whose schemas no provider would accept.
    pub skipped_tools: Vec<SkippedTool>,
    /// The server's stderr (stdio) and Aura's notes about it.
    pub log: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpError {
    #[error("MCP server \"{server}\" is not available: {why}")]
    Unavailable { server: String, why: String },
    #[error("MCP server \"{server}\" stopped during the call: {why}; Aura restarts it on the next use")]
    Died { server: String, why: String },
    #[error("MCP server \"{server}\" failed the request: {why}")]
    Request { server: String, why: String },
    #[error("MCP server \"{server}\" did not answer {tool} within {seconds} s; the call was abandoned")]
    Timeout { server: String, tool: String, seconds: u64 },
    #[error("there is no MCP tool \"{0}\"; `aura mcp list` shows the servers and their tools")]
    UnknownTool(String),
    #[error("the arguments of {tool} must be a JSON object, not {found}")]
    Arguments { tool: String, found: String },
}
