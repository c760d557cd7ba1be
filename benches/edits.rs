//! Edits benchmark: a 20-hunk patch on a 100,000-line file, and a diff of two versions of a
//! 50,000-line file. Run with `cargo bench --bench edits`. (Search against ripgrep is
//! `benches/search.rs`.)

use std::time::{Duration, Instant};

use aura::edits::{self, patch};
use aura::tools::Workspace;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn patch_on_a_big_file() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..100_000).map(|i| format!("line {i}: let value_{i} = compute({});\n", i * 7)).collect();
    let mut body = String::from("*** Begin Patch\n*** Update File: big.rs\n");
    for k in 0..20 {
        let i = 2_500 + k * 4_900;
        body.push_str(&format!("@@\n line {}: let value_{} = compute({});\n", i - 1, i - 1, (i - 1) * 7));
        body.push_str(&format!("-line {i}: let value_{i} = compute({});\n", i * 7));
        body.push_str(&format!("+line {i}: let value_{i} = compute_faster({});\n", i * 7));
        body.push_str(&format!(" line {}: let value_{} = compute({});\n", i + 1, i + 1, (i + 1) * 7));
    }
    body.push_str("*** End Patch\n");
    let (mut planned, mut applied) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        std::fs::write(dir.path().join("big.rs"), &text).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let started = Instant::now();
        let changes = edits::plan_patch(&patch::parse(&body).unwrap(), &ws).unwrap();
        planned.push(started.elapsed());
        assert_eq!(changes[0].hunks.len(), 20);
        let started = Instant::now();
        edits::apply(&changes, &ws).unwrap();
        applied.push(started.elapsed());
    }
    println!(
        "20-hunk patch on a 100,000-line file: parse + plan median {}, atomic apply (fsync) median {}",
        ms(median(planned)),
        ms(median(applied))
    );
}

fn diff_of_a_big_file() {
    let before: String = (0..50_000).map(|i| format!("{i:06} the quick brown fox jumps over the lazy dog\n")).collect();
    let after: String = before
        .lines()
        .enumerate()
        .map(|(i, l)| if i % 97 == 0 { format!("{l} (edited)\n") } else { format!("{l}\n") })
        .collect();
    let mut samples = Vec::new();
    let mut count = 0;
    for _ in 0..10 {
        let started = Instant::now();
        count = edits::hunks(&before, &after).len();
        samples.push(started.elapsed());
    }
    println!("diff of two versions of a 50,000-line file ({count} hunks): median {}", ms(median(samples)));
}

fn main() {
    patch_on_a_big_file();
    diff_of_a_big_file();
}
