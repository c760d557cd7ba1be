//! Fifty paired phones on loopback while a chat reply streams through the real engine from the
//! provider emulator (50 chunks a second). Every chunk carries the moment the emulator sent it, so
//! each arrival gives a latency: at the desktop's own surface (the engine's part), and at each phone
//! over its WebSocket (the engine's part plus the Companion's: redaction, encoding, the socket).
//! What the Companion adds is, chunk by chunk, the phone's arrival less the desktop's. Memory is the process's resident set before the
//! server starts, with the phones attached, and its peak; the phones' own client side lives in this
//! process too, so the figures are an upper bound for the desktop's share. Run with
//! `cargo bench --bench companion`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aura::companion::{self, CompanionConfig};
use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{SEND_STAMP, Script, Turn};
use aura::protocol::{Command, Event, LoopSettings};
use serde_json::{Value, json};

#[path = "../tests/common/mod.rs"]
mod common;

use common::phone::{self, Phone, Read};

const PHONES: usize = 50;
/// Chunks the reply streams.
const CHUNKS: usize = 250;
/// 50 chunks a second, a fast model's pace.
const CHUNK_DELAY_MS: u64 = 20;

fn now_us() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros()
}

fn stamps(text: &str) -> impl Iterator<Item = u128> + '_ {
    text.split_whitespace().filter_map(|s| s.parse::<u128>().ok())
}

fn percentile(sorted: &[u128], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

/// A line of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`).
fn memory(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Reads a phone's frames until the turn is over; each chunk's send stamp and arrival, in
/// microseconds.
async fn listen(mut phone: Phone, session: Value) -> Vec<(u128, u128)> {
    let mut latencies = Vec::with_capacity(CHUNKS);
    loop {
        let Read::Frame(text) = phone.read(Duration::from_secs(60)).await else { panic!("a phone lost its stream") };
        let arrived = now_us();
        let event: Value = serde_json::from_str(&text).unwrap();
        if event["body"]["session"] != session {
            continue;
        }
        match event["body"]["event"].as_str() {
            Some("text_delta") => {
                let text = event["body"]["text"].as_str().unwrap_or_default();
                latencies.extend(stamps(text).map(|sent| (sent, arrived)));
            }
            Some("turn_running") if event["body"]["running"] == false => return latencies,
            _ => {}
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let reply: String = std::iter::repeat_n(format!("{SEND_STAMP} "), CHUNKS).collect();
    let script = Script { chunk_delay_ms: CHUNK_DELAY_MS, stamp_sends: true, ..Script::new(vec![Turn::text(reply)]) };
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut desktop = common::launch(&runtime, data.path());
    let project = common::open_project(&mut desktop, workspace.path());
    common::use_emulator(&mut desktop, project, &emulator, LoopSettings::default());
    let session = common::chat_session(&mut desktop, project).id;
    let rss_before = memory("VmRSS");

    // Every phone here connects from 127.0.0.1.
    let config = CompanionConfig { port: 0, max_per_address: 2 * PHONES, ..CompanionConfig::default() };
    let server = runtime.block_on(companion::start(&desktop, data.path(), config, Arc::new(|| {}))).unwrap();
    let url = server.url();
    let phones: Vec<Phone> = (0..PHONES)
        .map(|_| {
            let code = server.start_pairing().unwrap().code;
            let token = runtime.block_on(phone::pair(&url, &code));
            runtime.block_on(Phone::connect(&url, &token, None))
        })
        .collect();
    let rss_attached = memory("VmRSS");

    let listeners: Vec<_> = phones.into_iter().map(|p| runtime.spawn(listen(p, json!(session)))).collect();
    desktop.send(Command::SendMessage { session, text: "Stream, please.".into() });
    let mut on_desktop = std::collections::HashMap::with_capacity(CHUNKS);
    loop {
        let Some(envelope) = desktop.recv_timeout(Duration::from_secs(60)) else { panic!("the engine went quiet") };
        let arrived = now_us();
        match envelope.body {
            Event::TextDelta { session: s, text } if s == session => {
                on_desktop.extend(stamps(&text).map(|sent| (sent, arrived)));
            }
            Event::TurnRunning { session: s, running: false } if s == session => break,
            Event::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    let arrivals: Vec<(u128, u128)> =
        listeners.into_iter().flat_map(|l| runtime.block_on(l).expect("a phone's listener")).collect();
    assert_eq!(on_desktop.len(), CHUNKS, "every chunk reached the desktop once");
    assert_eq!(arrivals.len(), CHUNKS * PHONES, "every chunk reached every phone once");
    let mut desktop_latency: Vec<u128> = on_desktop.iter().map(|(sent, at)| at.saturating_sub(*sent)).collect();
    let mut phone_latency: Vec<u128> = arrivals.iter().map(|(sent, at)| at.saturating_sub(*sent)).collect();
    let mut added: Vec<u128> = arrivals.iter().map(|(sent, at)| at.saturating_sub(on_desktop[sent])).collect();
    for figures in [&mut desktop_latency, &mut phone_latency, &mut added] {
        figures.sort_unstable();
    }
    let line = |f: &[u128]| {
        let (p50, p95, p99) = (percentile(f, 0.50), percentile(f, 0.95), percentile(f, 0.99));
        format!("p50 {p50:.3} ms, p95 {p95:.3} ms, p99 {p99:.3} ms, max {:.3} ms", percentile(f, 1.0))
    };
    println!("{PHONES} phones, {CHUNKS} chunks at {} a second:", 1000 / CHUNK_DELAY_MS);
    println!("  emulator → desktop surface:      {}", line(&desktop_latency));
    println!("  emulator → phone over WebSocket: {}", line(&phone_latency));
    println!("  added by the Companion per chunk and phone: {}", line(&added));
    println!(
        "  memory: {rss_before:.1} MiB before the server, {rss_attached:.1} MiB with {PHONES} phones attached (+{:.1}), peak {:.1} MiB",
        rss_attached - rss_before,
        memory("VmHWM")
    );
    runtime.block_on(server.stop());
}
