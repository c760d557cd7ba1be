//! `aura chat`, the real binary, against the provider emulator on loopback.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aura::llm::ProviderKind;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{Script, Turn};

fn aura_chat(args: &[&str], data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aura"));
    command
        .arg("chat")
        .args(args)
        .env("AURA_DATA_DIR", data_dir)
        .env("ANTHROPIC_API_KEY", "emulator-key")
        .env("OPENAI_API_KEY", "emulator-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn the_reply_streams_to_stdout_then_one_usage_line() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (kind, name) in
        [(ProviderKind::Anthropic, "anthropic"), (ProviderKind::Openai, "openai"), (ProviderKind::Ollama, "ollama")]
    {
        let mut script = Script::new(vec![Turn::text("Streaming from the emulator, piece by piece, to stdout.")])
            .with_key("emulator-key");
        script.chunk_delay_ms = 40;
        let emulator = runtime.block_on(Emulator::start(script)).unwrap();
        let base = emulator.base_url(kind);
        let started = Instant::now();
        let mut child =
            aura_chat(&["--provider", name, "--base-url", &base, "--model", "emu-sonnet-4-5", "Hello?"], data.path())
                .spawn()
                .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 9];
        stdout.read_exact(&mut first).unwrap();
        let first_bytes_after = started.elapsed();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let finished_after = started.elapsed();
        assert!(child.wait().unwrap().success(), "{name}");
        let text = format!("{}{rest}", String::from_utf8_lossy(&first));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("Streaming from the emulator, piece by piece, to stdout."), "{name}");
        let usage = lines.next().unwrap();
        assert!(usage.starts_with("usage: input "), "{name}: {usage}");
        assert!(usage.contains("· output 14 ·"), "{name}: {usage}");
        assert!(
            finished_after - first_bytes_after > Duration::from_millis(200),
            "{name}: the first words were printed before the reply finished ({first_bytes_after:?} vs {finished_after:?})"
        );
        if kind == ProviderKind::Ollama {
            assert!(usage.ends_with("cost $0 (local)"), "{usage}");
        }
    }
}

/// The numbers of a usage line: input, cached, cache write, output, and the cost in dollars.
fn parse_usage(line: &str) -> (f64, f64, f64, f64, f64) {
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 5, "{line}");
    (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
}

#[test]
fn the_cost_comes_from_the_catalog_and_the_users_own_prices() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let emulator =
        runtime.block_on(Emulator::start(Script::new(vec![Turn::text("priced"), Turn::text("repriced")]))).unwrap();
    let base = emulator.base_url(ProviderKind::Anthropic);
    let run = || {
        let output = aura_chat(
            &["--provider", "anthropic", "--base-url", &base, "--model", "emu-sonnet-4-5", "hi"],
            data.path(),
        )
        .output()
        .unwrap();
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).lines().last().unwrap().to_string()
    };
    let (input, cached, write, output, cost) = parse_usage(&run());
    let expected = (input * 3.0 + cached * 0.30 + write * 3.75 + output * 15.0) / 1e6;
    assert!((cost - expected).abs() < 1e-6, "built-in Sonnet 4 prices: {cost} vs {expected}");

    // The user prices this model themselves (what Settings will write).
    let mine = aura::llm::catalog::ModelInfo {
        pattern: "emu-sonnet".into(),
        context_window: 200_000,
        max_output: 8_192,
        prices: Some(aura::llm::catalog::Prices { input: 1000.0, cached_input: 0.0, cache_write: 0.0, output: 2000.0 }),
    };
    let store =
        aura::store::StoreHandle::spawn(aura::store::Store::open(data.path(), &Default::default()).unwrap()).unwrap();
    store
        .write_blocking(move |w| {
            w.put_value(aura::store::Table::Settings, aura::llm::catalog::SETTINGS_KEY, &vec![mine.clone()])
        })
        .unwrap();
    store.close();
    let (input, _, _, output, cost) = parse_usage(&run());
    assert!((cost - (input * 1000.0 + output * 2000.0) / 1e6).abs() < 1e-6, "the user's prices win: {cost}");
}

#[test]
fn errors_go_to_stderr_with_what_to_do_and_exit_1() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let output = aura_chat(&["--provider", "ollama", "--base-url", &base, "--model", "qwen3:8b", "hi"], data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("is Ollama running on 127.0.0.1:{port}?")), "{stderr}");
    assert!(output.stdout.is_empty());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(Emulator::start(Script::new(vec![]).with_key("the-right-key"))).unwrap();
    let output = aura_chat(
        &["--provider", "openai", "--base-url", &emulator.base_url(ProviderKind::Openai), "--model", "m", "hi"],
        data.path(),
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refused the API key (401") && stderr.contains("OPENAI_API_KEY"), "{stderr}");
}
