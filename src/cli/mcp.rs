//! `aura mcp list` and `aura mcp call`: a workspace's MCP servers (its `.mcp.json` and the user's
//! list in Settings), started here the way an agent would start them, without the engine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::mcp::{self, McpHub, McpTool, ServerConfig, ServerState, ServerStatus};
use crate::store::{Store, StoreOptions, Table};

#[derive(Debug, clap::Subcommand)]
pub enum McpCommand {
    /// Start the workspace's MCP servers and show each one's status and tools
    List(McpListArgs),
    /// Call one tool of one server and print its result (exit 1 on an unknown server or tool, or
    /// when the tool reports an error)
    Call(McpCallArgs),
}

#[derive(Debug, clap::Args)]
pub struct McpListArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct McpCallArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// Cut the result to this many bytes, as agents' results are
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub budget: usize,
    /// The server's name (`aura mcp list` shows them)
    pub server: String,
    /// The tool's name on that server
    pub tool: String,
    /// The arguments, a JSON object
    #[arg(default_value = "{}")]
    pub arguments: String,
}

pub fn mcp(command: McpCommand, data_dir: &Path) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("aura: the async runtime could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            McpCommand::List(args) => list(args, data_dir).await,
            McpCommand::Call(args) => call(args, data_dir).await,
        }
    });
    result.unwrap_or_else(|e| {
        eprintln!("aura: {e:#}");
        ExitCode::FAILURE
    })
}

/// The user's servers from Settings, when a store exists (none is created).
fn user_servers(data_dir: &Path) -> anyhow::Result<Vec<ServerConfig>> {
    if !data_dir.join("data.mdb").exists() {
        return Ok(Vec::new());
    }
    let store = Store::open(data_dir, &StoreOptions::default())?;
    let servers = store.get_value::<Vec<ServerConfig>>(Table::Settings, mcp::SETTINGS_KEY)?;
    Ok(servers.unwrap_or_default())
}

/// The workspace's hub; problems in `.mcp.json` are printed and the rest loads.
fn open_hub(workspace: &Path, data_dir: &Path) -> anyhow::Result<(McpHub, Vec<String>)> {
    let root = std::fs::canonicalize(workspace).with_context(|| format!("cannot open {}", workspace.display()))?;
    let (servers, errors) = mcp::load_config(&root, &user_servers(data_dir)?);
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for error in &errors {
        eprintln!("aura: {error}");
    }
    Ok((McpHub::new(servers, &data_dir.join("mcp")), errors))
}

#[derive(Serialize)]
struct ServerRow {
    #[serde(flatten)]
    status: ServerStatus,
    #[serde(rename = "offered")]
    tools: Vec<McpTool>,
    resources: Vec<mcp::McpResource>,
    prompts: Vec<mcp::McpPrompt>,
}

async fn list(args: McpListArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let (hub, config_errors) = open_hub(&args.workspace, data_dir)?;
    let tools = hub.tools().await;
    let (resources, prompts) = (hub.resources().await, hub.prompts().await);
    let rows: Vec<ServerRow> = hub
        .status()
        .into_iter()
        .map(|status| {
            let name = status.name.clone();
            ServerRow {
                tools: tools.iter().filter(|t| t.server == name).cloned().collect(),
                resources: resources.iter().filter(|r| r.server == name).cloned().collect(),
                prompts: prompts.iter().filter(|p| p.server == name).cloned().collect(),
                status,
            }
        })
        .collect();
    hub.shutdown().await;
    if args.json {
        let out = serde_json::json!({ "servers": rows, "config_errors": config_errors });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no MCP servers: add them to {}", args.workspace.join(mcp::config::WORKSPACE_FILE).display());
    }
    for row in rows {
        print_server(&row);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_server(row: &ServerRow) {
    let s = &row.status;
    let state = match &s.state {
        ServerState::NotStarted => "not started".to_string(),
        ServerState::Starting => "starting".to_string(),
        ServerState::Running => format!("running, {} tools", s.tools),
        ServerState::Failed(why) => format!("failed: {why}"),
        ServerState::Disabled => "disabled".to_string(),
    };
    println!("{}  {state}\n  log: {}", s.name, s.log.display());
    for tool in &row.tools {
        let read_only = if tool.read_only { " (read-only)" } else { "" };
        let summary = tool.description.lines().next().unwrap_or_default();
        println!("  {}{read_only}  {summary}", tool.qualified);
    }
    for skipped in &s.skipped_tools {
        println!("  {} not offered: {}", skipped.name, skipped.reason);
    }
    for resource in &row.resources {
        println!("  resource {}  {}", resource.name, resource.uri);
    }
    for prompt in &row.prompts {
        let summary = prompt.description.as_deref().unwrap_or_default().lines().next().unwrap_or_default();
        println!("  prompt {}  {summary}", prompt.name);
    }
}

async fn call(args: McpCallArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let arguments: serde_json::Value = serde_json::from_str(&args.arguments).with_context(|| {
        format!("the arguments are not JSON: {}; pass an object like '{{\"a\": 1}}'", args.arguments)
    })?;
    let (hub, _) = open_hub(&args.workspace, data_dir)?;
    let outcome = async {
        let names: Vec<String> = hub.status().into_iter().map(|s| s.name).collect();
        if !names.contains(&args.server) {
            anyhow::bail!("there is no MCP server \"{}\" (servers: {})", args.server, list_or_none(&names));
        }
        let tools = hub.tools().await;
        match hub.status().into_iter().find(|s| s.name == args.server).map(|s| s.state) {
            Some(ServerState::Failed(why)) => anyhow::bail!("MCP server \"{}\" could not start: {why}", args.server),
            Some(ServerState::Disabled) => anyhow::bail!("MCP server \"{}\" is disabled in the settings", args.server),
            _ => {}
        }
        let Some(tool) = tools.iter().find(|t| t.server == args.server && t.name == args.tool) else {
            let names: Vec<String> = tools.iter().filter(|t| t.server == args.server).map(|t| t.name.clone()).collect();
            anyhow::bail!("server \"{}\" has no tool \"{}\" (tools: {})", args.server, args.tool, list_or_none(&names));
        };
        Ok(hub.call(&tool.qualified, arguments, args.budget).await?)
    }
    .await;
    hub.shutdown().await;
    let outcome = outcome?;
    println!("{}", outcome.text);
    if outcome.is_error {
        eprintln!("aura: the tool reported an error ({} ms)", outcome.duration.as_millis());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "none".into() } else { names.join(", ") }
}
