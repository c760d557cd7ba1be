//! MCP servers' tools in the agents' hands, through the engine: a real server no one here wrote
//! (`@modelcontextprotocol/server-everything`, installed by scripts/test) configured in the
//! workspace's `.mcp.json`, its tools offered to the chat under `server__tool` in a stable order, a
//! read-only tool run unasked, one that may change things asking first; Settings › MCP lists the
//! server with its tools and switches one off. The model is the provider emulator on loopback.

mod common;

use std::time::{Duration, Instant};

use common::{chat_session, launch, open_project, use_emulator, wait};

use aura::domain::CommandDecision;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{Command, Event, LoopSettings};
use serde_json::json;

fn everything_entry() -> String {
    let home = dirs::home_dir().expect("a home folder");
    let entry = home.join(".cache/aura/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        entry.is_file(),
        "{} is missing: scripts/test installs it (npm install @modelcontextprotocol/server-everything)",
        entry.display()
    );
    entry.display().to_string()
}

/// A stdio server, as `.mcp.json` would name it.
fn stdio_server(name: &str, command: &str, args: &[&str]) -> aura::mcp::ServerConfig {
    aura::mcp::ServerConfig {
        name: name.into(),
        transport: aura::mcp::Transport::Stdio {
            command: command.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Default::default(),
            cwd: None,
        },
        enabled: true,
        disabled_tools: vec![],
    }
}

fn workspace_with_everything() -> tempfile::TempDir {
    let workspace = tempfile::tempdir().unwrap();
    let config = json!({"mcpServers": {"everything": {"command": "node", "args": [everything_entry()]}}});
    std::fs::write(workspace.path().join(".mcp.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();
    workspace
}

#[test]
fn the_chat_is_offered_a_servers_tools_and_calls_them_under_the_approval_policy() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = workspace_with_everything();
    let script = Script::new(vec![
        Turn::steps(vec![call("everything__get-sum", json!({"a": 2, "b": 3}))]),
        Turn::steps(vec![call("everything__toggle-simulated-logging", json!({}))]),
        Turn::text("The sum is 5."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = chat_session(&mut client, project);
    client.send(Command::SendMessage { session: session.id, text: "Add two and three.".into() });

    // A tool the server marks read-only runs unasked; its card says what it answered.
    let (summary, is_error) = wait(&client, |e| match e {
        Event::ToolCallFinished { summary, is_error, .. } => Some((summary.clone(), *is_error)),
        Event::CommandApprovalRequested { approval } => panic!("a read-only tool asked: {approval:?}"),
        _ => None,
    });
    assert!(!is_error && summary.starts_with("answered in") && summary.contains('5'), "{summary}");
    // One that may change things asks, like a command; denied, it does not run.
    let approval = wait(&client, |e| match e {
        Event::CommandApprovalRequested { approval } => Some(approval.clone()),
        _ => None,
    });
    assert!(approval.command.starts_with("everything__toggle-simulated-logging"), "{}", approval.command);
    assert!(approval.reason.contains("not marked read-only"), "{}", approval.reason);
    client.send(Command::DecideCommand { approval: approval.id, decision: CommandDecision::Deny });
    let (summary, is_error) = wait(&client, |e| match e {
        Event::ToolCallFinished { summary, is_error, .. } => Some((summary.clone(), *is_error)),
        _ => None,
    });
    assert!(is_error && summary.contains("denied"), "{summary}");
    wait(&client, |e| matches!(e, Event::TurnRunning { running: false, .. }).then_some(()));

    // The model saw the server's tools after Aura's own, in the hub's order, each with its schema;
    // every request of the session offered the same list, so the cached prefix held.
    let requests = emulator.requests();
    let names = |i: usize| -> Vec<String> {
        requests[i].body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let first = names(0);
    let mcp: Vec<&String> = first.iter().filter(|n| n.starts_with("everything__")).collect();
    assert!(
        mcp.len() >= 10
            && first.iter().position(|n| n == "read_file") < first.iter().position(|n| n.starts_with("everything__")),
        "{first:?}"
    );
    let mut sorted = mcp.clone();
    sorted.sort();
    assert_eq!(mcp, sorted, "a stable order");
    assert!((1..requests.len()).all(|i| names(i) == first), "the tool list never changed within the session");
    let sum = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "everything__get-sum")
        .unwrap();
    assert_eq!(sum["function"]["parameters"]["type"], "object", "{sum}");
}

#[test]
fn settings_lists_the_servers_tools_and_a_tool_switched_off_is_not_offered() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = workspace_with_everything();
    let mut client = launch(&runtime, &data.path().join("data"));
    let opened = Instant::now();
    let project = open_project(&mut client, workspace.path());
    client.send(Command::ListMcpServers { project });
    let servers = wait(&client, |e| match e {
        Event::McpServers { servers, problems, .. } => {
            assert!(problems.is_empty(), "{problems:?}");
            Some(servers.clone())
        }
        _ => None,
    });
    eprintln!("project open to server-everything's tools listed: {:?}", opened.elapsed());
    assert_eq!(servers.len(), 1);
    let everything = &servers[0];
    assert_eq!(
        (everything.name.as_str(), everything.state.as_str(), everything.enabled),
        ("everything", "running", true)
    );
    assert!(everything.tools.iter().any(|t| t.qualified == "everything__echo" && t.read_only && t.enabled));
    assert!(std::path::Path::new(&everything.log).exists(), "its log: {}", everything.log);
    assert!(everything.log_tail.contains("aura: starting"), "the log's tail: {:?}", everything.log_tail);

    client.send(Command::SwitchMcp {
        project,
        server: "everything".into(),
        tool: Some("everything__echo".into()),
        enabled: false,
    });
    let echo = wait(&client, |e| match e {
        Event::McpServers { servers, .. } => servers[0].tools.iter().find(|t| t.name == "echo").map(|t| t.enabled),
        _ => None,
    });
    assert!(!echo, "echo is switched off");
    client.send(Command::SwitchMcp { project, server: "everything".into(), tool: None, enabled: false });
    let state = wait(&client, |e| match e {
        Event::McpServers { servers, .. } if !servers[0].enabled => Some(servers[0].state.clone()),
        _ => None,
    });
    assert_eq!(state, "off");

    // Switched off, the chat is not offered the server's tools at all.
    let emulator = runtime.block_on(Emulator::start(Script::new(vec![Turn::text("Hello.")]))).unwrap();
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = chat_session(&mut client, project);
    client.send(Command::SendMessage { session: session.id, text: "Hi".into() });
    wait(&client, |e| matches!(e, Event::TurnRunning { running: false, .. }).then_some(()));
    let tools = emulator.requests()[0].body["tools"].to_string();
    assert!(!tools.contains("everything__"), "{tools}");
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn a_malformed_mcp_json_is_reported_with_file_and_line() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join(".mcp.json"),
        "{\n  \"mcpServers\": {\n    \"broken\": {\"command\": }\n  }\n}\n",
    )
    .unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    client.send(Command::ListMcpServers { project });
    let problems = wait(&client, |e| match e {
        Event::McpServers { problems, .. } => Some(problems.clone()),
        _ => None,
    });
    assert!(problems.len() == 1 && problems[0].contains(".mcp.json:3:"), "{problems:?}");
}

#[test]
fn a_server_hears_no_key_of_auras_environment_unless_its_config_names_it() {
    let workspace = tempfile::tempdir().unwrap();
    let config = json!({"mcpServers": {"everything": {
        "command": "node",
        "args": [everything_entry()],
        "env": {"GITHUB_TOKEN": "${AURA_TEST_GIVEN_TOKEN}"}
    }}});
    std::fs::write(workspace.path().join(".mcp.json"), config.to_string()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["mcp", "call", "--workspace", workspace.path().to_str().unwrap(), "everything", "get-env", "{}"])
        .env("AURA_DATA_DIR", data.path())
        .env("OPENAI_API_KEY", "sk-never-to-a-server")
        .env("AURA_TEST_GIVEN_TOKEN", "given-on-purpose")
        .env("AURA_TEST_PLAIN", "plain-value")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("plain-value"), "ordinary variables stay: {text}");
    assert!(!text.contains("sk-never-to-a-server"), "a key of Aura's reached the server: {text}");
    assert!(text.contains("given-on-purpose"), "the key its config names does: {text}");
}

/// The Worker's fixed prompt (system prompt and tool schemas, in tokens of 4 bytes) with 50 MCP tools:
/// server-everything's real schemas, offered under 50 names as four servers of them would be.
#[test]
fn the_workers_fixed_prompt_with_fifty_mcp_tools() {
    use aura::engine::prompt::{Role, fixed_overhead_tokens};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let hub = aura::mcp::McpHub::new(vec![stdio_server("everything", "node", &[&everything_entry()])], logs.path());
    let tools = runtime.block_on(hub.tools());
    runtime.block_on(hub.shutdown());
    assert!(tools.len() >= 10, "{} tools", tools.len());
    let fifty: Vec<serde_json::Value> = (0..50)
        .map(|i| {
            let t = &tools[i % tools.len()];
            json!({"name": format!("s{}__{}", i / tools.len(), t.name), "description": t.description, "parameters": t.input_schema})
        })
        .collect();
    let extra = serde_json::to_string(&fifty).unwrap().len().div_ceil(4) as u64;
    let base = fixed_overhead_tokens(Role::Worker);
    eprintln!(
        "the Worker's fixed prompt: {base} tokens alone, {} with 50 MCP tools ({extra} for them, {} per tool)",
        base + extra,
        extra / 50
    );
    assert!(extra / 50 < 400, "a tool's schema stays small: {} tokens", extra / 50);
}

#[test]
fn a_server_of_your_own_is_added_in_settings_for_every_project_and_removed() {
    let home = dirs::home_dir().unwrap();
    let time = home.join(".cache/aura/tools/bin/mcp-server-time");
    assert!(time.is_file(), "{} is missing: scripts/test installs it (pip install mcp-server-time)", time.display());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = workspace_with_everything();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    client.send(Command::AddMcpServer { project, name: "time".into(), target: time.display().to_string() });
    let servers = wait(&client, |e| match e {
        Event::McpServers { servers, .. } => Some(servers.clone()),
        _ => None,
    });
    let names: Vec<(&str, bool, &str)> = servers.iter().map(|s| (s.name.as_str(), s.yours, s.state.as_str())).collect();
    assert_eq!(names, [("everything", false, "running"), ("time", true, "running")], "{servers:?}");
    assert!(servers[1].tools.iter().any(|t| t.qualified == "time__get_current_time"), "{:?}", servers[1].tools);
    // server-everything has resources and prompts: listed with it.
    assert!(!servers[0].resources.is_empty() && !servers[0].prompts.is_empty(), "{:?}", servers[0]);

    // Another project hears of it too; removed, it is gone from both.
    let other = tempfile::tempdir().unwrap();
    let second = open_project(&mut client, other.path());
    client.send(Command::ListMcpServers { project: second });
    let listed = wait(&client, |e| match e {
        Event::McpServers { project, servers, .. } if *project == second => Some(servers.clone()),
        _ => None,
    });
    assert_eq!(listed.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["time"]);
    client.send(Command::RemoveMcpServer { project: second, name: "time".into() });
    let left = wait(&client, |e| match e {
        Event::McpServers { project, servers, .. } if *project == second => Some(servers.len()),
        _ => None,
    });
    assert_eq!(left, 0);
    // A name that cannot be a server is refused with what to use.
    client.send(Command::AddMcpServer { project, name: "no spaces".into(), target: "x".into() });
    let refused = common::wait_error(&client);
    assert!(refused.contains("cannot name a server"), "{refused}");
}

/// server-everything reports progress on a long operation when the call carries a progress token:
/// each step reaches Aura, and the agent's result says so.
#[test]
fn a_long_operation_reports_its_progress() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let hub = aura::mcp::McpHub::new(vec![stdio_server("everything", "node", &[&everything_entry()])], logs.path());
    let outcome = runtime
        .block_on(hub.call("everything__trigger-long-running-operation", json!({"duration": 0.6, "steps": 3}), 10_000))
        .unwrap();
    runtime.block_on(hub.shutdown());
    assert!(!outcome.is_error, "{}", outcome.text);
    // The last step's notification races the answer on a busy machine; the steps before it are in.
    assert!((2..=3).contains(&outcome.progress.len()), "{:?}", outcome.progress);
    assert!(outcome.progress[0].starts_with("1/3") && outcome.progress[1].starts_with("2/3"), "{:?}", outcome.progress);
}

/// A server that says its tools changed (`notifications/tools/list_changed`, sent by the official
/// Python SDK) is listed again: the new tool is offered from then on.
#[test]
fn a_server_whose_tools_change_is_listed_again() {
    let python = dirs::home_dir().unwrap().join(".cache/aura/tools/bin/python");
    assert!(python.is_file(), "{} is missing: scripts/test makes it (pip install mcp)", python.display());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/grows.py");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let server = stdio_server("grows", &python.display().to_string(), &[&script.display().to_string()]);
    let hub = aura::mcp::McpHub::new(vec![server], logs.path());
    let names = |tools: Vec<aura::mcp::McpTool>| tools.into_iter().map(|t| t.qualified).collect::<Vec<_>>();
    assert_eq!(names(runtime.block_on(hub.tools())), ["grows__grow"]);
    let grown = runtime.block_on(hub.call("grows__grow", json!({}), 1000)).unwrap();
    assert!(!grown.is_error, "{}", grown.text);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut listed = names(runtime.block_on(hub.tools()));
    while listed.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        listed = names(runtime.block_on(hub.tools()));
    }
    assert_eq!(listed, ["grows__extra", "grows__grow"]);
    assert_eq!(runtime.block_on(hub.call("grows__extra", json!({}), 1000)).unwrap().text, "extra");
    runtime.block_on(hub.shutdown());
}
