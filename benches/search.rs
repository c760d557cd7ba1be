//! Search benchmark: Aura's search core (what the Search tab and the agents' `search` tool run)
//! against ripgrep on the same large tree in the same run, for a literal, a regex and a
//! case-insensitive query: medians of 5 alternated runs after a warm-up, and the ratio. Also how
//! soon the first file's matches are handed over (what the Search tab shows first).
//!
//! The tree is a copy of this machine's cargo registry sources (the dependencies' own code, tens of
//! thousands of files) in a temp dir, or `AURA_BENCH_TREE` searched in place.
//! Run with `cargo bench --bench search` (ripgrep must be installed: `rg`; scripts/bench installs it).

#[allow(dead_code)] // the benches share it; this one needs only `median`
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aura::domain::SearchOptions;
use aura::tools::Workspace;
use aura::tools::search::{Query, search};
use common::median;

const RUNS: usize = 5;

struct Case {
    name: &'static str,
    pattern: &'static str,
    options: SearchOptions,
    rg_flags: &'static [&'static str],
}

const CASES: [Case; 3] = [
    Case {
        name: "literal `fn main`",
        pattern: "fn main",
        options: SearchOptions { regex: false, case_sensitive: true, whole_word: false },
        rg_flags: &["-F"],
    },
    Case {
        name: r"regex `impl<[^>]+> \w+ for`",
        pattern: r"impl<[^>]+> \w+ for",
        options: SearchOptions { regex: true, case_sensitive: true, whole_word: false },
        rg_flags: &[],
    },
    Case {
        name: "case-insensitive `unsafe impl`",
        pattern: "unsafe impl",
        options: SearchOptions { regex: false, case_sensitive: false, whole_word: false },
        rg_flags: &["-F", "-i"],
    },
];

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The tree to search, and the temp dir holding it when it is a copy.
fn tree() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(tree) = std::env::var_os("AURA_BENCH_TREE") {
        return (PathBuf::from(tree), None);
    }
    let registry = dirs::home_dir().map(|h| h.join(".cargo/registry/src")).expect("a home folder");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("tree");
    let status = Command::new("cp").arg("-r").arg(&registry).arg(&copy).status().expect("cp runs");
    assert!(status.success(), "copying {} failed", registry.display());
    (copy, Some(dir))
}

/// Files and bytes under `root`, as `du` and `find` count them.
fn size_of(root: &Path) -> (usize, u64) {
    let files = Command::new("find").arg(root).args(["-type", "f"]).output().unwrap().stdout;
    let bytes = Command::new("du").args(["-sb"]).arg(root).output().unwrap().stdout;
    let bytes = String::from_utf8_lossy(&bytes).split_whitespace().next().and_then(|b| b.parse().ok()).unwrap_or(0);
    (files.iter().filter(|&&b| b == b'\n').count(), bytes)
}

fn rg(tree: &Path, case: &Case) -> (Duration, usize) {
    let started = Instant::now();
    let out = Command::new("rg")
        .args(["-n", "--no-heading", "--no-messages", "--no-require-git"])
        .args(case.rg_flags)
        .arg("-e")
        .arg(case.pattern)
        .arg(tree)
        .output()
        .expect("ripgrep (`rg`) must be installed for this comparison: apt-get install ripgrep");
    (started.elapsed(), out.stdout.iter().filter(|&&b| b == b'\n').count())
}

/// One run of the core: its time, the matching lines, and when the first file came.
fn ours(ws: &Workspace, case: &Case) -> (Duration, usize, Duration) {
    // No cap here: ripgrep has none, and both must find the same lines.
    let query = Query { max_matches: usize::MAX, ..Query::new(case.pattern, case.options) };
    let started = Instant::now();
    let first = Mutex::new(None);
    let lines = AtomicUsize::new(0);
    search(ws, &query, &AtomicBool::new(false), |hits| {
        lines.fetch_add(hits.matches.len(), Ordering::Relaxed);
        first.lock().unwrap().get_or_insert_with(|| started.elapsed());
    })
    .unwrap();
    let first = first.into_inner().unwrap().unwrap_or_default();
    (started.elapsed(), lines.into_inner(), first)
}

fn compare(tree: &Path, ws: &Workspace, case: &Case) {
    rg(tree, case);
    ours(ws, case);
    let (mut rg_times, mut our_times, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rg_lines, mut our_lines) = (0, 0);
    for _ in 0..RUNS {
        let (t, n) = rg(tree, case);
        rg_times.push(t);
        rg_lines = n;
        let (t, n, first) = ours(ws, case);
        our_times.push(t);
        firsts.push(first);
        our_lines = n;
    }
    let (r, o) = (median(rg_times), median(our_times));
    println!(
        "{}: Aura median {} ({our_lines} lines, first file after {}), rg median {} ({rg_lines} lines), ratio {:.2}",
        case.name,
        ms(o),
        ms(median(firsts)),
        ms(r),
        o.as_secs_f64() / r.as_secs_f64()
    );
}

fn main() {
    let (tree, _copy) = tree();
    let (files, bytes) = size_of(&tree);
    println!("tree: {} ({files} files, {} MB), page cache warm", tree.display(), bytes >> 20);
    let ws = Workspace::open(&tree).unwrap();
    for case in &CASES {
        compare(&tree, &ws, case);
    }
}
