//! A phone that loses its connection mid-stream resumes without losing or repeating an event; one
//! that comes back to a restarted engine is told to start afresh.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aura::companion::{self, Companion, CompanionConfig};
use aura::engine::EngineClient;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{Command, Event, LoopSettings};
use common::phone::{self, Phone};
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn serve(runtime: &tokio::runtime::Runtime, engine: &EngineClient, data: &std::path::Path) -> Companion {
    let config = CompanionConfig { port: 0, ..CompanionConfig::default() };
    runtime.block_on(companion::start(engine, data, config, Arc::new(|| {}))).expect("the Companion starts")
}

fn pair(runtime: &tokio::runtime::Runtime, server: &Companion) -> String {
    let code = server.start_pairing().unwrap().code;
    runtime.block_on(phone::pair(&server.url(), &code))
}

/// The engine events among `frames` (the server's own errors carry `seq` 0).
fn events(frames: &[String]) -> Vec<Value> {
    frames.iter().map(|f| serde_json::from_str::<Value>(f).unwrap()).filter(|e| e["seq"].as_u64() > Some(0)).collect()
}

#[test]
fn a_phone_that_drops_mid_stream_gets_every_event_once_and_in_order() {
    let runtime = runtime();
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let reply: String = (0..200).map(|i| format!("w{i} ")).collect();
    let script = Script { chunk_delay_ms: 10, ..Script::new(vec![Turn::text(reply.clone())]) };
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut desktop = common::launch(&runtime, data.path());
    let project = common::open_project(&mut desktop, workspace.path());
    common::use_emulator(&mut desktop, project, &emulator, LoopSettings::default());
    let session = common::chat_session(&mut desktop, project).id;
    let server = serve(&runtime, &desktop, data.path());
    let (url, token) = (server.url(), pair(&runtime, &server));
    let is_delta = |e: &Value| e["body"]["event"] == "text_delta" && e["body"]["session"] == json!(session);

    let mut first = runtime.block_on(Phone::connect(&url, &token, None));
    assert!(!first.resumed, "a phone that knew nothing starts afresh");
    desktop.send(Command::SendMessage { session, text: "Count for me.".into() });
    runtime.block_on(async {
        for _ in 0..20 {
            first.until(is_delta).await;
        }
    });
    // The connection drops without a goodbye, with frames still on their way.
    let resume = (first.last_seq, first.epoch);
    let before = std::mem::take(&mut first.frames);
    drop(first);
    std::thread::sleep(Duration::from_millis(300));

    let mut second = runtime.block_on(Phone::connect(&url, &token, Some(resume)));
    assert!(second.resumed, "the same engine start resumes");
    let replayed = second.frames.len() - 1;
    assert!(replayed > 0, "what was missed while away came before the Welcome");
    runtime.block_on(second.until(|e| {
        e["body"]["event"] == "turn_running" && e["body"]["session"] == json!(session) && e["body"]["running"] == false
    }));

    let phone_events: Vec<Value> = events(&before).into_iter().chain(events(&second.frames)).collect();
    let seqs: Vec<u64> = phone_events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "every event once, in the engine's order: {seqs:?}");
    let streamed: String =
        phone_events.iter().filter(|e| is_delta(e)).map(|e| e["body"]["text"].as_str().unwrap()).collect();
    let mut on_desktop = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match desktop.recv_timeout(Duration::from_millis(100)).map(|e| e.body) {
            Some(Event::TextDelta { session: s, text }) if s == session => on_desktop.push_str(&text),
            Some(Event::TurnRunning { session: s, running: false }) if s == session => break,
            _ => {}
        }
    }
    assert_eq!(on_desktop.trim_end(), reply.trim_end());
    assert_eq!(streamed, on_desktop, "the phone streamed exactly what the desktop did");
    let finished = phone_events.iter().filter(|e| e["body"]["event"] == "turn_finished").count();
    assert_eq!(finished, 1);
}

#[test]
fn after_an_engine_restart_the_phone_starts_afresh() {
    let runtime = runtime();
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (token, resume) = {
        let mut desktop = common::launch(&runtime, data.path());
        let project = common::open_project(&mut desktop, workspace.path());
        let server = serve(&runtime, &desktop, data.path());
        let token = pair(&runtime, &server);
        let mut phone = runtime.block_on(Phone::connect(&server.url(), &token, None));
        desktop.send(Command::SetLoopSettings { project, settings: LoopSettings::default() });
        runtime.block_on(phone.until(|e| e["body"]["event"] == "loop_settings_changed"));
        let resume = (phone.last_seq, phone.epoch);
        drop(phone);
        runtime.block_on(server.stop());
        (token, resume)
    };
    // The engine ends with its last surface, and its store closes after it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let desktop = loop {
        let launched = aura::engine::launch(runtime.handle(), data.path().to_path_buf(), Arc::new(|| {}))
            .recv_timeout(Duration::from_secs(10))
            .expect("the engine answers");
        match launched {
            Ok(desktop) => break desktop,
            Err(e) if Instant::now() < deadline => {
                tracing::debug!("the store is still open: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("the store never reopened: {e}"),
        }
    };
    let server = serve(&runtime, &desktop, data.path());
    let url = server.url();
    let mut phone = runtime.block_on(Phone::connect(&url, &token, Some(resume)));
    assert_ne!(phone.epoch, resume.1, "a new engine start has a new epoch");
    assert!(!phone.resumed, "a restarted engine cannot replay: the phone starts afresh");
    assert_eq!(phone.frames.len(), 1, "nothing is replayed before the Welcome");
    // Starting afresh: the page asks for the projects again, and opens its own.
    let project = runtime.block_on(async {
        phone.command(2, json!({"command": "list_projects"})).await;
        let projects = phone.until(|e| e["body"]["event"] == "projects").await;
        let project = projects["body"]["projects"][0]["id"].clone();
        phone.command(3, json!({"command": "select_project", "project": project})).await;
        phone.until(|e| e["body"]["event"] == "project_opened").await
    });
    assert_eq!(project["body"]["snapshot"]["project"]["root"], json!(workspace.path()));
    // A seq from before this server's buffer, even with the right epoch, cannot be resumed either.
    let stale = runtime.block_on(Phone::connect(&url, &token, Some((0, phone.epoch))));
    assert!(!stale.resumed);
}
