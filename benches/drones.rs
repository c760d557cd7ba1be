//! Eight Drones streaming at once through the real engine (store, sessions, turn loop, journal)
//! against the provider emulator on loopback, each Drone on its own model at 50 chunks a second.
//! Every streamed chunk carries the moment the emulator sent it; the figure is how long it took
//! from leaving the emulator to reaching the surface as an event: HTTP on loopback, the provider's
//! stream parser, the turn loop and the journal together. One Drone alone is measured first, so
//! what eight at once add shows beside it. Run with `cargo bench --bench drones`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{SEND_STAMP, Script, Turn};
use aura::protocol::{Command, Event, LoopSettings};

#[path = "../tests/common/mod.rs"]
mod common;

/// Chunks each Drone streams.
const CHUNKS: usize = 250;
/// 50 chunks a second, a fast model's pace.
const CHUNK_DELAY_MS: u64 = 20;

fn now_us() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros()
}

fn percentile(sorted: &[u128], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

/// Runs `drones` read-only Drones at once; returns each chunk's latency in microseconds.
fn stream(runtime: &tokio::runtime::Runtime, drones: usize) -> (Vec<u128>, Duration) {
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let folder = workspace.path().join(".aura/drones");
    std::fs::create_dir_all(&folder).unwrap();
    let reply: String = std::iter::repeat_n(format!("{SEND_STAMP} "), CHUNKS).collect();
    let mut script = Script::new(vec![]);
    for i in 0..drones {
        let manifest = format!(
            "name = \"d{i}\"\nrole = \"reader\"\ninstructions = \"Report.\"\nmodel = \"openai/d{i}\"\ntool_policy = \"read_only\"\n"
        );
        std::fs::write(folder.join(format!("d{i}.toml")), manifest).unwrap();
        script = script.for_model(&format!("d{i}"), vec![Turn::text(reply.clone())]);
    }
    let script = Script { chunk_delay_ms: CHUNK_DELAY_MS, stamp_sends: true, ..script };
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = common::launch(runtime, &data.path().join("data"));
    let project = common::open_project(&mut client, workspace.path());
    common::use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let started = Instant::now();
    for i in 0..drones {
        client.send(Command::RunDrone { project, drone: format!("d{i}"), goal: "report".into() });
    }
    let mut latencies = Vec::with_capacity(drones * CHUNKS);
    let mut finished = 0;
    while finished < drones {
        let Some(envelope) = client.recv_timeout(Duration::from_secs(60)) else { panic!("the engine went quiet") };
        match envelope.body {
            Event::TextDelta { text, .. } => {
                let arrived = now_us();
                for stamp in text.split_whitespace().filter_map(|s| s.parse::<u128>().ok()) {
                    latencies.push(arrived.saturating_sub(stamp));
                }
            }
            Event::DroneRunFinished { .. } => finished += 1,
            Event::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    let wall = started.elapsed();
    assert_eq!(latencies.len(), drones * CHUNKS, "every chunk arrived once");
    (latencies, wall)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for drones in [1, 8] {
        let (mut latencies, wall) = stream(&runtime, drones);
        latencies.sort_unstable();
        println!(
            "{drones} Drone(s) streaming: {} chunks in {:.1} s; emulator → surface per chunk: p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            latencies.len(),
            wall.as_secs_f64(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        );
    }
}
