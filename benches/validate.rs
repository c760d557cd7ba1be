//! Validation overhead: the time Aura adds around a check (detection, spawn under the policy,
//! capture, classification) against running the same command directly, in the same run.
//! Run with `cargo bench --bench validate`.

#[path = "common/mod.rs"]
mod common;
use common::{median, small_crate};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aura::tools::Workspace;
use aura::tools::policy::CommandPolicy;
use aura::validate::{Plan, detect, run_plan};

fn compare(runtime: &tokio::runtime::Runtime, root: &Path, command: &str, runs: usize) {
    let direct = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new("sh").args(["-c", command]).current_dir(root).output().unwrap().status;
            assert!(status.success());
            started.elapsed()
        })
        .collect();
    let workspace = Workspace::open(root).unwrap();
    let through_aura = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let mut checks = detect(root);
            checks.retain(|c| c.command == "cargo test");
            if let Some(check) = checks.first_mut() {
                check.command = command.to_string();
            }
            let plan = Plan {
                workspace: &workspace,
                checks,
                timeout: Duration::from_secs(300),
                policy: CommandPolicy::default(),
                sandbox: None,
            };
            let results = runtime.block_on(run_plan(&plan, |_, _| async { true }, None)).unwrap();
            assert_eq!(results.len(), 1);
            started.elapsed()
        })
        .collect();
    let (d, a) = (median(direct), median(through_aura));
    println!(
        "`{command}`: direct median {:.2} ms, through Aura median {:.2} ms, added {:.2} ms, ratio {:.3} ({runs} runs)",
        d.as_secs_f64() * 1e3,
        a.as_secs_f64() * 1e3,
        (a.as_secs_f64() - d.as_secs_f64()) * 1e3,
        a.as_secs_f64() / d.as_secs_f64()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    small_crate(dir.path());
    // Warm the crate's build so both sides run the same cached test binary.
    assert!(
        Command::new("cargo")
            .args(["test", "--offline", "-q"])
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success()
    );
    compare(&runtime, dir.path(), "cargo test --offline -q", 20);
    compare(&runtime, dir.path(), "true", 200);
}
