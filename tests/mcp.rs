//! The MCP client against real servers others wrote, installed by `scripts/test`:
//! `@modelcontextprotocol/server-everything` (npm; stdio and streamable HTTP), `mcp-server-time`
//! (PyPI) and a server built on the official `mcp` Python SDK; and against servers that fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aura::mcp::{HubOptions, McpError, McpHub, ServerConfig, ServerState, Transport};
use serde_json::json;

const INSTALL: &str = "run `bash scripts/test`, which installs the MCP test servers";

fn home() -> PathBuf {
    PathBuf::from(std::env::var("HOME").expect("HOME is set"))
}

/// server-everything's entry point, where scripts/test installs it.
fn everything_entry() -> String {
    let entry = home().join(".cache/aura/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        entry.exists(),
        "{} is missing: {INSTALL} (or: mkdir -p ~/.cache/aura/mcp && cd ~/.cache/aura/mcp && npm install --no-audit \
         --no-fund @modelcontextprotocol/server-everything@2026.8.31)",
        entry.display()
    );
    entry.to_string_lossy().into_owned()
}

/// A program of the tools venv scripts/test makes (mcp-server-time, python with the `mcp` SDK).
fn venv_program(name: &str) -> String {
    let path = home().join(".cache/aura/tools/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: {INSTALL} (or: ~/.cache/aura/tools/bin/pip install mcp-server-time==2026.10.19 mcp==2.3.0)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

fn stdio(name: &str, command: &str, args: &[&str]) -> ServerConfig {
    ServerConfig {
        name: name.into(),
        transport: Transport::Stdio {
            command: command.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Default::default(),
            cwd: None,
        },
        enabled: true,
        disabled_tools: Vec::new(),
    }
}

fn everything() -> ServerConfig {
    stdio("everything", "node", &[&everything_entry(), "stdio"])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

fn state(hub: &McpHub, name: &str) -> ServerState {
    hub.status().into_iter().find(|s| s.name == name).map(|s| s.state).expect("the server is listed")
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[test]
fn everything_over_stdio_offers_tools_resources_prompts_and_errors() {
    let logs = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let started = Instant::now();
        let hub = McpHub::new(vec![everything()], logs.path());
        assert_eq!(state(&hub, "everything"), ServerState::NotStarted, "nothing starts before it is needed");
        let tools = hub.tools().await;
        println!("server-everything (stdio): hub created to {} tools listed in {:?}", tools.len(), started.elapsed());
        assert_eq!(state(&hub, "everything"), ServerState::Running);
        let sum = tools.iter().find(|t| t.qualified == "everything__get-sum").expect("get-sum is offered");
        assert_eq!(sum.input_schema["type"], "object");
        assert_eq!(sum.input_schema["properties"]["a"]["type"], "number");
        assert!(tools.iter().find(|t| t.name == "echo").is_some_and(|t| t.read_only), "echo is annotated read-only");
        let mut sorted: Vec<_> = tools.iter().map(|t| t.qualified.clone()).collect();
        sorted.sort();
        assert_eq!(tools.iter().map(|t| t.qualified.clone()).collect::<Vec<_>>(), sorted, "a stable order");

        let outcome = hub.call("everything__get-sum", json!({"a": 2, "b": 3}), 4096).await.unwrap();
        assert!(outcome.text.contains('5') && !outcome.is_error && !outcome.truncated, "{outcome:?}");
        let echo = hub.call("everything__echo", json!({"message": "hello aura"}), 4096).await.unwrap();
        assert!(echo.text.contains("hello aura"), "{echo:?}");
        let cut = hub.call("everything__echo", json!({"message": "y".repeat(500)}), 100).await.unwrap();
        assert!(cut.truncated && cut.text.contains("bytes cut"), "{cut:?}");

        let wrong = hub.call("everything__get-sum", json!({"a": "two"}), 4096).await.unwrap();
        assert!(wrong.is_error && wrong.text.contains("Invalid arguments for tool get-sum"), "{wrong:?}");
        let unknown = hub.call("everything__nope", json!({}), 4096).await.unwrap_err();
        assert_eq!(unknown, McpError::UnknownTool("everything__nope".into()));
        let not_object = hub.call("everything__echo", json!([1]), 4096).await.unwrap_err();
        assert!(matches!(not_object, McpError::Arguments { .. }), "{not_object}");

        let resources = hub.resources().await;
        assert!(resources.iter().any(|r| r.server == "everything" && !r.uri.is_empty()), "{resources:?}");
        let prompts = hub.prompts().await;
        assert!(prompts.iter().any(|p| p.name.contains("simple")), "{prompts:?}");
        hub.shutdown().await;
        assert_eq!(state(&hub, "everything"), ServerState::NotStarted);
    });
}

/// The time one call takes through the hub against the same call on a bare rmcp session.
#[test]
fn call_overhead_against_rmcp_bare() {
    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    let logs = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let entry = everything_entry();
        let mut node = tokio::process::Command::new("node");
        node.arg(&entry).arg("stdio");
        let (child, _) =
            rmcp::transport::TokioChildProcess::builder(node).stderr(std::process::Stdio::null()).spawn().unwrap();
        let bare = ().serve(child).await.unwrap();
        let hub = McpHub::new(vec![everything()], logs.path());
        hub.tools().await;
        let args = json!({"a": 1, "b": 2});
        let (mut through_hub, mut direct) = (Vec::new(), Vec::new());
        for _ in 0..40 {
            let t = Instant::now();
            let outcome = hub.call("everything__get-sum", args.clone(), 4096).await.unwrap();
            through_hub.push(t.elapsed());
            assert!(outcome.text.contains('3'));
            let mut params = CallToolRequestParams::new("get-sum");
            params.arguments = args.as_object().cloned();
            let t = Instant::now();
            bare.peer().call_tool(params).await.unwrap();
            direct.push(t.elapsed());
        }
        let (hub_median, bare_median) = (median(through_hub), median(direct));
        println!("get-sum median: {hub_median:?} through the hub, {bare_median:?} on bare rmcp");
        assert!(hub_median < bare_median * 3 + Duration::from_millis(5), "the hub adds little");
        hub.shutdown().await;
        let _ = bare.cancel().await;
    });
}

#[test]
fn mcp_server_time_from_pypi_lists_and_answers() {
    let logs = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let hub = McpHub::new(vec![stdio("time", &venv_program("mcp-server-time"), &[])], logs.path());
        let tools = hub.tools().await;
        let names: Vec<_> = tools.iter().map(|t| t.qualified.as_str()).collect();
        assert_eq!(names, ["time__convert_time", "time__get_current_time"], "{:?}", hub.status());
        let now = hub.call("time__get_current_time", json!({"timezone": "UTC"}), 4096).await.unwrap();
        assert!(now.text.contains("UTC") && !now.is_error, "{now:?}");
        let bad = hub.call("time__get_current_time", json!({"timezone": "Mars/Olympus"}), 4096).await.unwrap();
        assert!(bad.is_error && bad.text.contains("Mars/Olympus"), "{bad:?}");
        hub.shutdown().await;
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn everything_over_streamable_http() {
    let port = free_port();
    let mut server = Command::new("node")
        .args([everything_entry().as_str(), "streamableHttp"])
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server-everything did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        name: "web".into(),
        transport: Transport::Http {
            url: format!("http://127.0.0.1:{port}/mcp"),
            headers: [("X-Aura-Test".to_string(), "${HOME}".to_string())].into(),
        },
        enabled: true,
        disabled_tools: vec!["echo".into()],
    };
    let rt = runtime();
    rt.block_on(async {
        let started = Instant::now();
        let hub = McpHub::new(vec![config], logs.path());
        let tools = hub.tools().await;
        println!("server-everything (HTTP): {} tools listed in {:?}", tools.len(), started.elapsed());
        assert!(tools.iter().any(|t| t.qualified == "web__get-sum"), "{:?}", hub.status());
        assert!(!tools.iter().any(|t| t.name == "echo"), "a disabled tool is left out");
        let outcome = hub.call("web__get-sum", json!({"a": 20, "b": 22}), 4096).await.unwrap();
        assert!(outcome.text.contains("42"), "{outcome:?}");
        hub.shutdown().await;
    });
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn broken_servers_fail_with_reasons_and_leave_the_others_alone() {
    let logs = tempfile::tempdir().unwrap();
    let configs = vec![
        stdio("missing", "aura-no-such-mcp-server", &[]),
        stdio("exits", "sh", &["-c", "echo about to fail >&2; exit 3"]),
        stdio("hangs", "sleep", &["60"]),
        stdio("garbage", "sh", &["-c", "echo not json; sleep 5"]),
        stdio("time", &venv_program("mcp-server-time"), &[]),
        ServerConfig {
            transport: Transport::Stdio {
                command: "true".into(),
                args: vec!["--token=${AURA_TEST_NEVER_SET}".into()],
                env: Default::default(),
                cwd: None,
            },
            ..stdio("secret", "true", &[])
        },
    ];
    let options = HubOptions { init_timeout: Duration::from_secs(3), ..HubOptions::default() };
    let rt = runtime();
    rt.block_on(async {
        let hub = McpHub::with_options(configs, logs.path(), options);
        let tools = hub.tools().await;
        assert!(tools.iter().any(|t| t.server == "time"), "the good server is unaffected");
        let why = |name| match state(&hub, name) {
            ServerState::Failed(why) => why,
            other => panic!("{name} should have failed: {other:?}"),
        };
        assert!(why("missing").contains("was not found"), "{}", why("missing"));
        let exits = why("exits");
        assert!(exits.contains("status 3") && exits.contains("about to fail"), "{exits}");
        assert!(why("hangs").contains("did not answer MCP's initialize within 3"), "{}", why("hangs"));
        assert!(why("garbage").contains("\"not json\""), "{}", why("garbage"));
        assert!(why("secret").contains("AURA_TEST_NEVER_SET is not set"), "{}", why("secret"));
        assert!(std::fs::read_to_string(logs.path().join("exits.log")).unwrap().contains("about to fail"));

        let again = Instant::now();
        hub.tools().await;
        assert!(again.elapsed() < Duration::from_secs(2), "failed servers wait out their backoff");
        let err = hub.call("hangs__x", json!({}), 100).await.unwrap_err();
        assert_eq!(err, McpError::UnknownTool("hangs__x".into()));
        hub.shutdown().await;
    });
}

#[test]
fn a_result_over_10_mb_is_cut_to_the_budget() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/big_result.py");
    let config = stdio("big", &venv_program("python"), &[script.to_str().unwrap()]);
    let logs = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let hub = McpHub::new(vec![config], logs.path());
        assert_eq!(hub.tools().await.len(), 1, "{:?}", hub.status());
        let outcome = hub.call("big__big", json!({"megabytes": 11}), 64 * 1024).await.unwrap();
        assert!(outcome.truncated && !outcome.is_error);
        assert!(outcome.text.len() < 65 * 1024, "{} bytes kept", outcome.text.len());
        assert!(outcome.text.contains(&format!("{} of {} bytes cut", 11 * 1024 * 1024 - 64 * 1024, 11 * 1024 * 1024)));
        hub.shutdown().await;
    });
}

/// The child processes of this test process whose command line contains `needle`.
fn children_running(needle: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1));
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(me.as_str()) && String::from_utf8_lossy(&cmdline).contains(needle) {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_server_that_dies_is_restarted_on_the_next_use() {
    let logs = tempfile::tempdir().unwrap();
    let program = venv_program("mcp-server-time");
    let rt = runtime();
    rt.block_on(async {
        // A time zone no other test passes tells this test's server apart (tests share the process).
        let zone = "Etc/GMT-3";
        let hub = McpHub::new(vec![stdio("time", &program, &["--local-timezone", zone])], logs.path());
        hub.tools().await;
        let pids = children_running(zone);
        assert_eq!(pids.len(), 1, "one server process");
        // SAFETY: kill(2) on the server process this test started.
        unsafe { libc::kill(pids[0], libc::SIGKILL) };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = hub.call("time__get_current_time", json!({"timezone": "UTC"}), 4096).await.unwrap();
        assert!(now.text.contains("UTC"), "{now:?}");
        let log = std::fs::read_to_string(logs.path().join("time.log")).unwrap();
        assert!(log.contains("the server stopped: it was killed"), "{log}");
        assert_eq!(state(&hub, "time"), ServerState::Running);
        hub.shutdown().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(children_running(zone).is_empty(), "shutdown stops the server");
    });
}

fn aura(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aura")).args(args).arg("--data-dir").arg(data_dir).output().expect("aura runs")
}

#[test]
fn the_cli_lists_calls_and_refuses_what_is_unknown() {
    let workspace = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let time = venv_program("mcp-server-time");
    let config = format!(
        "{{\n  \"mcpServers\": {{\n    \"time\": {{\"command\": {time:?}}},\n    \"broken\": {{\"args\": []}}\n  }}\n}}\n"
    );
    std::fs::write(workspace.path().join(".mcp.json"), config).unwrap();
    let dir = workspace.path().to_str().unwrap();

    let list = aura(&["mcp", "list", "--workspace", dir], data.path());
    let (stdout, stderr) = (String::from_utf8_lossy(&list.stdout), String::from_utf8_lossy(&list.stderr));
    assert!(list.status.success(), "{stderr}");
    assert!(stdout.contains("time  running, 2 tools") && stdout.contains("time__get_current_time"), "{stdout}");
    assert!(stderr.contains(".mcp.json:4:5:") && stderr.contains("\"broken\""), "{stderr}");

    let json = aura(&["mcp", "list", "--workspace", dir, "--json"], data.path());
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(parsed["servers"][0]["name"], "time");
    assert_eq!(parsed["servers"][0]["offered"][1]["qualified"], "time__get_current_time");

    let call =
        aura(&["mcp", "call", "--workspace", dir, "time", "get_current_time", r#"{"timezone":"UTC"}"#], data.path());
    assert!(call.status.success() && String::from_utf8_lossy(&call.stdout).contains("UTC"));

    let refusals = [
        (vec!["nope", "get_current_time"], "no MCP server \"nope\" (servers: time)"),
        (vec!["time", "nope"], "has no tool \"nope\" (tools: convert_time, get_current_time)"),
        (vec!["time", "get_current_time", r#"{"timezone":"Mars/Olympus"}"#], "the tool reported an error"),
        (vec!["time", "get_current_time", "{oops"], "not JSON"),
    ];
    for (args, message) in refusals {
        let mut all = vec!["mcp", "call", "--workspace", dir];
        all.extend(args);
        let out = aura(&all, data.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(message), "{all:?}: {stderr}");
    }
}
