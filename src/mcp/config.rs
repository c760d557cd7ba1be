//! Which MCP servers a project has: the workspace's `.mcp.json` (the format other tools write) and
//! the user's own list from Settings. Secrets stay out of both: `${VAR}` references are kept as
//! written and resolved from the environment only when a server starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The workspace file other MCP clients (Claude Code, Cursor, Zed) already read.
pub const WORKSPACE_FILE: &str = ".mcp.json";

/// One server a project may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub name: String,
    pub transport: Transport,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Tools of this server never offered to agents, by their MCP name.
    #[serde(default)]
    pub disabled_tools: Vec<String>,
}

fn enabled_by_default() -> bool {
    true
}

/// How Aura talks to a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Transport {
    /// A child process speaking JSON-RPC lines on stdin/stdout.
    Stdio {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<PathBuf>,
    },
    /// A streamable HTTP endpoint.
    Http {
        url: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
}

/// A problem in a configuration file: where, and what to change. The other servers still load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem has no single place (an unreadable file).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One entry of `.mcp.json` as other tools write it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileEntry {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Cline's way to keep a server listed but off.
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    disabled_tools: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(default)]
    mcp_servers: BTreeMap<String, serde_json::Value>,
}

/// The project's servers, by name: the workspace's `.mcp.json` and the user's list; a user entry of
/// the same name replaces the workspace's (that is where Settings keeps its switches). Problems are
/// returned beside the servers that did load.
pub fn load_config(workspace: &Path, user: &[ServerConfig]) -> (Vec<ServerConfig>, Vec<ConfigError>) {
    let path = workspace.join(WORKSPACE_FILE);
    let (from_file, errors) = match std::fs::read_to_string(&path) {
        Ok(text) => parse_file(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), Vec::new()),
        Err(e) => (Vec::new(), vec![ConfigError { path, line: 0, column: 0, message: format!("cannot be read: {e}") }]),
    };
    let mut servers: BTreeMap<String, ServerConfig> = from_file.into_iter().map(|s| (s.name.clone(), s)).collect();
    servers.extend(user.iter().map(|s| (s.name.clone(), s.clone())));
    (servers.into_values().collect(), errors)
}

/// The servers of one `.mcp.json` text; a bad entry is reported at its name and skipped.
pub fn parse_file(path: &Path, text: &str) -> (Vec<ServerConfig>, Vec<ConfigError>) {
    let error = |line, column, message: String| ConfigError { path: path.to_path_buf(), line, column, message };
    let file: File = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let reason = e.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
            let message = format!("{reason}; fix the JSON (expected {{\"mcpServers\": {{NAME: {{...}}}}}})");
            return (Vec::new(), vec![error(e.line(), e.column(), message)]);
        }
    };
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in file.mcp_servers {
        match entry(&name, value) {
            Ok(server) => servers.push(server),
            Err(message) => {
                let (line, column) = position_of(text, &name);
                errors.push(error(line, column, format!("server \"{name}\": {message}")));
            }
        }
    }
    (servers, errors)
}

fn entry(name: &str, value: serde_json::Value) -> Result<ServerConfig, String> {
    if name.trim().is_empty() {
        return Err("a server needs a name".into());
    }
    let e: FileEntry = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let transport = match (e.kind.as_deref(), e.command, e.url) {
        (Some("sse"), _, _) => {
            return Err("the old SSE transport is not supported; use the server's streamable HTTP endpoint".into());
        }
        (_, Some(_), Some(_)) => return Err("give either \"command\" (stdio) or \"url\" (HTTP), not both".into()),
        (None | Some("stdio"), Some(command), None) => {
            Transport::Stdio { command, args: e.args, env: e.env, cwd: e.cwd }
        }
        (None | Some("http" | "streamable-http" | "streamableHttp"), None, Some(url)) => {
            Transport::Http { url, headers: e.headers }
        }
        (Some(other), _, _) if !matches!(other, "stdio" | "http" | "streamable-http" | "streamableHttp") => {
            return Err(format!("unknown \"type\": \"{other}\"; use \"stdio\" or \"http\""));
        }
        _ => return Err("needs \"command\" (a stdio server) or \"url\" (a streamable HTTP server)".into()),
    };
    Ok(ServerConfig { name: name.to_string(), transport, enabled: !e.disabled, disabled_tools: e.disabled_tools })
}

/// Where `"name"` first appears as a key, 1-based (serde_json's values keep no positions).
fn position_of(text: &str, name: &str) -> (usize, usize) {
    let needle = serde_json::to_string(name).unwrap_or_default();
    let Some(offset) = text.find(&needle) else { return (0, 0) };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A `${VAR}` (or `${VAR:-default}`) the environment does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the environment variable {0} is not set; set it before starting Aura, or write the value in the server's configuration"
)]
pub struct MissingVar(pub String);

/// `text` with each `${VAR}` replaced from `lookup`; `$` anywhere else stays as written.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, MissingVar> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        let (var, default) = match inner.split_once(":-") {
            Some((var, default)) => (var, Some(default)),
            None => (inner, None),
        };
        match lookup(var).or_else(|| default.map(str::to_string)) {
            Some(value) => out.push_str(&value),
            None => return Err(MissingVar(var.to_string())),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every value of `map` expanded from the process environment.
pub fn expand_all(map: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, MissingVar> {
    map.iter().map(|(k, v)| Ok((k.clone(), expand(v, |var| std::env::var(var).ok())?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_load_and_a_bad_entry_is_reported_at_its_name() {
        let text = r#"{
  "mcpServers": {
    "files": {"command": "npx", "args": ["-y", "server"], "env": {"TOKEN": "${TOKEN}"}},
    "web": {"url": "http://127.0.0.1:3001/mcp", "headers": {"Authorization": "Bearer ${KEY}"}},
    "broken": {"args": ["x"]},
    "off": {"command": "x", "disabled": true}
  }
}"#;
        let (servers, errors) = parse_file(Path::new(".mcp.json"), text);
        let names: Vec<_> = servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["files", "off", "web"]);
        assert!(!servers[1].enabled);
        assert!(matches!(&servers[0].transport, Transport::Stdio { env, .. } if env["TOKEN"] == "${TOKEN}"));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (5, 5));
        assert!(errors[0].message.contains("\"broken\"") && errors[0].message.contains("\"command\""));
    }

    #[test]
    fn malformed_json_names_line_and_reason() {
        let (servers, errors) = parse_file(Path::new("/w/.mcp.json"), "{\n  \"mcpServers\": {\n    \"a\": {,}\n");
        assert!(servers.is_empty());
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].to_string().starts_with("/w/.mcp.json:3:"), "{}", errors[0]);
    }

    #[test]
    fn variables_expand_with_defaults_and_a_missing_one_is_named() {
        let env = |v: &str| (v == "HOME").then(|| "/h".to_string());
        assert_eq!(expand("${HOME}/x $PATH ${NOPE:-d}", env).unwrap(), "/h/x $PATH d");
        assert_eq!(expand("Bearer ${TOKEN}", env), Err(MissingVar("TOKEN".into())));
        assert_eq!(expand("unclosed ${X", env).unwrap(), "unclosed ${X");
    }
}
