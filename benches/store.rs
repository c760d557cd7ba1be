//! Store benchmark: durable append throughput, open-and-read-tail latency on a 100,000-record store,
//! and the peak memory of `aura doctor` on it. Run with `cargo bench --bench store`.

use std::path::Path;
use std::time::{Duration, Instant};

use aura::domain::{Message, Record, Role, SessionId};
use aura::store::{Store, StoreHandle, StoreOptions};

const RECORD_TEXT: usize = 1024 - 200; // the JSON around the text brings a record to about 1 KiB

fn record(session: SessionId, n: usize) -> Record {
    Record::Message(Message::text(session, Role::Assistant, format!("{n}:{}", "y".repeat(RECORD_TEXT))))
}

fn open(dir: &Path) -> StoreHandle {
    StoreHandle::spawn(Store::open(dir, &StoreOptions::default()).expect("open store")).expect("store thread")
}

/// Appends `total` records to `sessions` conversations, `per_commit` to a transaction.
fn append(handle: &StoreHandle, sessions: &[SessionId], total: usize, per_commit: usize) -> Duration {
    let started = Instant::now();
    for (commit, first) in (0..total).step_by(per_commit).enumerate() {
        let session = sessions[commit % sessions.len()];
        let records: Vec<Record> = (first..first + per_commit).map(|n| record(session, n)).collect();
        handle.write_blocking(move |w| w.append(session, &records)).expect("append");
    }
    started.elapsed()
}

fn rate(records: usize, took: Duration) -> String {
    format!("{records} records in {:.2} s = {:.0} records/s", took.as_secs_f64(), records as f64 / took.as_secs_f64())
}

/// Runs `aura doctor` under GNU time and returns its peak RSS in KiB and its report. Measured by a
/// separate small parent: a child spawned from this (large) process would inherit its high-water mark.
fn doctor_peak_rss_kib(data_dir: &Path) -> (u64, String) {
    let output = std::process::Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib %M", env!("CARGO_BIN_EXE_aura"), "doctor", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
    (kib, String::from_utf8_lossy(&output.stdout).into_owned())
}

fn main() {
    // AURA_BENCH_DIR keeps the stores for a closer look (it must not exist yet); else a temp dir.
    let kept = std::env::var_os("AURA_BENCH_DIR").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().expect("temp dir");
    let root = kept.as_deref().unwrap_or(temp.path());
    println!("store benchmark: 1 KiB records, every commit durable (fsync), data in {}", root.display());

    let single_dir = root.join("single");
    let handle = open(&single_dir);
    let one = [SessionId::new()];
    let took = append(&handle, &one, 2_000, 1);
    println!("appends, 1 per commit:    {}", rate(2_000, took));
    handle.close();

    let big_dir = root.join("big");
    let handle = open(&big_dir);
    let sessions: Vec<SessionId> = (0..100).map(|_| SessionId::new()).collect();
    let took = append(&handle, &sessions, 100_000, 100);
    println!("appends, 100 per commit:  {}", rate(100_000, took));
    let stats = handle.reader().stats().expect("stats");
    println!("store holds 100,000 records in 100 conversations, {:.1} MiB used", stats.used_bytes as f64 / 1048576.0);
    handle.close();

    let mut samples = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let store = Store::open(&big_dir, &StoreOptions::default()).expect("reopen");
        let page = store.tail(sessions[42], 200).expect("tail");
        let took = started.elapsed();
        assert_eq!(page.records.len(), 200);
        assert!(page.skipped.is_empty());
        drop(store);
        samples.push(took);
    }
    samples.sort();
    println!(
        "open + newest 200 of one conversation: median {:.2} ms, max {:.2} ms ({} runs)",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
        samples.len()
    );

    let (kib, report) = doctor_peak_rss_kib(&big_dir);
    assert!(report.contains("records 100000"), "doctor did not read the store:\n{report}");
    println!("aura doctor on that store: peak RSS {:.1} MiB", kib as f64 / 1024.0);
}
