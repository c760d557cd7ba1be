//! What the kernel sandbox costs: the time it adds per command (`true`, and `cargo test` on a small
//! crate) against the same command run bare through the same shell tool, and the cost of setting up
//! and reading back a command's overlay on a 100,000-file workspace when nothing changed.
//! Run with `cargo bench --bench sandbox`.

#[path = "common/mod.rs"]
mod common;
use common::{median, small_crate};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aura::domain::SandboxPolicy;
use aura::tools::Workspace;
use aura::tools::sandbox::{Sandbox, capture, support};
use aura::tools::shell::{CommandSpec, run_command};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn time_command(
    runtime: &tokio::runtime::Runtime,
    workspace: &Workspace,
    command: &str,
    sandbox: Option<&Sandbox>,
) -> Duration {
    let spec = CommandSpec::new(command, Duration::from_secs(300)).sandboxed(sandbox.cloned());
    let started = Instant::now();
    let output = runtime.block_on(run_command(workspace, &spec, std::future::pending())).unwrap();
    let took = started.elapsed();
    assert!(output.succeeded(), "{command}: {}", output.summary());
    assert!(output.writes.changes.is_empty(), "{command} wrote {:?}", output.writes.changes);
    took
}

fn compare(runtime: &tokio::runtime::Runtime, workspace: &Workspace, sandbox: &Sandbox, command: &str, runs: usize) {
    let bare = median((0..runs).map(|_| time_command(runtime, workspace, command, None)).collect());
    let boxed = median((0..runs).map(|_| time_command(runtime, workspace, command, Some(sandbox))).collect());
    println!(
        "`{command}`: bare median {:.2} ms, sandboxed median {:.2} ms, added {:.2} ms ({runs} runs each)",
        ms(bare),
        ms(boxed),
        ms(boxed) - ms(bare)
    );
}

/// 100,000 files in 1,000 folders, with an ignore file, like a large repository.
fn large_tree(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join(".gitignore"), "/target\n*.log\n").unwrap();
    for d in 0..1000 {
        let dir = root.join(format!("src/m{d:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            std::fs::write(dir.join(format!("f{f:02}.rs")), "pub fn f() {}\n").unwrap();
        }
    }
}

fn main() {
    assert!(support().landlock_abi > 0 && support().overlay, "this machine cannot sandbox: {:?}", support());
    println!("Landlock ABI {}, overlays: {}", support().landlock_abi, support().overlay);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("crate");
    small_crate(&root);
    let sandbox = Sandbox { policy: SandboxPolicy::WorkspaceWrite, scratch: dir.path().join("scratch"), home: None };
    assert!(
        Command::new("cargo").args(["test", "--offline", "-q"]).current_dir(&root).output().unwrap().status.success()
    );
    let workspace = Workspace::open(&root).unwrap();
    compare(&runtime, &workspace, &sandbox, "true", 100);
    compare(&runtime, &workspace, &sandbox, "cargo test --offline -q", 10);

    let large = dir.path().join("large");
    large_tree(&large);
    let mut samples = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let run = sandbox.prepare(&large).unwrap();
        let (upper, _) = run.spec.overlay.clone().unwrap();
        let writes = capture::capture(&large, &upper);
        drop(run);
        samples.push(started.elapsed());
        assert!(writes.is_empty());
    }
    println!(
        "snapshot and read-back on a 100,000-file workspace, nothing changed: median {:.2} ms, max {:.2} ms (20 runs)",
        ms(median(samples.clone())),
        ms(*samples.iter().max().unwrap())
    );
}
