//! `run_command` with real child processes: output, exit codes, timeouts, cancellation, floods, and
//! children that outlive their parent.

use std::time::Duration;

use aura::tools::Workspace;
use aura::tools::shell::{CommandSpec, KEEP_BYTES, run_command};

fn spec(command: &str, timeout_ms: u64) -> CommandSpec {
    CommandSpec::new(command, Duration::from_millis(timeout_ms))
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

fn running(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
}

/// Signals land asynchronously: give a killed process up to a second to be gone.
async fn alive(pid: i32) -> bool {
    for _ in 0..50 {
        if !running(pid) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[tokio::test]
async fn output_exit_code_and_the_workspace_as_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let out = run_command(&ws, &spec("pwd; echo oops >&2; exit 3", 10_000), never()).await.unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.stdout.trim(), ws.root().display().to_string());
    assert_eq!(out.stderr.trim(), "oops");
    assert!(!out.succeeded());
    assert!(out.summary().starts_with("the command exited with code 3 in "), "{}", out.summary());
}

#[tokio::test]
async fn a_command_that_never_ends_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let out = run_command(&ws, &spec("echo $$; sleep 30", 300), never()).await.unwrap();
    assert!(out.timed_out);
    assert!(out.duration < Duration::from_secs(5), "{:?}", out.duration);
    let pid: i32 = out.stdout.trim().parse().unwrap();
    assert!(!alive(pid).await, "the shell is gone");
    assert!(out.summary().contains("timed out after"), "{}", out.summary());
}

#[tokio::test]
async fn cancelling_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let cancel = tokio::time::sleep(Duration::from_millis(300));
    let out = run_command(&ws, &spec("sleep 40 & echo $!; wait", 60_000), cancel).await.unwrap();
    assert!(out.cancelled && !out.timed_out);
    let child: i32 = out.stdout.trim().parse().unwrap();
    assert!(!alive(child).await, "the background child was killed with its group");
}

#[tokio::test]
async fn children_left_behind_are_killed_and_do_not_hold_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let started = std::time::Instant::now();
    let out = run_command(&ws, &spec("sleep 60 & echo $!", 10_000), never()).await.unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(started.elapsed() < Duration::from_secs(5), "the stray child holding stdout did not block the call");
    let stray: i32 = out.stdout.trim().parse().unwrap();
    assert!(!alive(stray).await, "the stray child was killed");
}

#[tokio::test]
async fn a_flood_of_output_keeps_head_and_tail_and_says_what_was_cut() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let out = run_command(
        &ws,
        &spec("echo FIRST; head -c 50000000 /dev/zero | tr '\\0' 'x'; echo; echo LAST", 60_000),
        never(),
    )
    .await
    .unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(out.stdout.starts_with("FIRST\n"));
    assert!(out.stdout.trim_end().ends_with("LAST"));
    assert!(out.stdout.contains("MB cut …]"), "the cut is stated");
    assert!(out.stdout.len() < 3 * KEEP_BYTES, "{} bytes kept", out.stdout.len());
}

#[tokio::test]
async fn invalid_utf8_output_is_kept_readably() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let out = run_command(&ws, &spec("printf 'ok \\377\\376 end'", 10_000), never()).await.unwrap();
    assert_eq!(out.stdout, "ok \u{FFFD}\u{FFFD} end");
}

#[tokio::test]
async fn commands_outside_the_policy_wait_for_approval() {
    use aura::tools::policy::{CommandPolicy, Ran, run_with_policy};
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let policy = CommandPolicy::default();
    let asked = std::sync::Mutex::new(Vec::new());
    let ask = |answer: bool| {
        let asked = &asked;
        move |command: &str, _reason: &str| {
            asked.lock().unwrap().push(command.to_string());
            async move { answer }
        }
    };
    // Allowed: runs without asking.
    let ran = run_with_policy(&ws, &spec("ls", 10_000), &policy, ask(false), never()).await.unwrap();
    assert!(matches!(ran, Ran::Done(out) if out.succeeded()));
    assert!(asked.lock().unwrap().is_empty());
    // Outside the policy and refused: nothing runs.
    let ran = run_with_policy(&ws, &spec("touch made-it", 10_000), &policy, ask(false), never()).await.unwrap();
    assert!(matches!(ran, Ran::NotApproved { .. }));
    assert!(!dir.path().join("made-it").exists());
    // Approved: it runs.
    let ran = run_with_policy(&ws, &spec("touch made-it", 10_000), &policy, ask(true), never()).await.unwrap();
    assert!(matches!(ran, Ran::Done(_)));
    assert!(dir.path().join("made-it").exists());
    assert_eq!(*asked.lock().unwrap(), ["touch made-it", "touch made-it"]);
    // Denied: never asked, never run.
    let ran = run_with_policy(&ws, &spec("sudo touch x", 10_000), &policy, ask(true), never()).await.unwrap();
    assert!(matches!(ran, Ran::Denied { .. }));
    assert_eq!(asked.lock().unwrap().len(), 2);
}
