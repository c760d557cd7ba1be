//! The kernel sandbox every agent command runs in (Linux): Landlock limits what it may read and
//! write, a seccomp filter refuses network sockets, a pids cgroup (or `RLIMIT_NPROC`) bounds how many
//! processes it may start, and its writes to the workspace land in an overlay upper folder instead of
//! the workspace itself, so they can be shown in Review like an edit (see [`capture`]).
//!
//! The restrictions are set up by the `aura` binary itself in a helper mode ([`child`]), between fork
//! and the exec of `sh -c COMMAND`: the command starts already confined and cannot undo it.

pub mod capture;
mod cgroup;
pub mod child;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::SandboxPolicy;

pub use capture::CommandWrites;

/// The first argument that turns the `aura` binary into the sandbox helper.
pub const HELPER_ARG: &str = "__sandbox";
/// The helper's exit code when it could not confine the command (nothing ran).
pub const SETUP_FAILED: i32 = 125;
/// What the helper's stderr line starts with when it could not confine the command.
pub const SETUP_PREFIX: &str = "aura sandbox: ";
/// Processes one command may have at once (a fork bomb stops there).
pub const MAX_PROCESSES: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox helper (the `aura` binary) was not found next to {0}; set AURA_SANDBOX_HELPER to its path")]
    NoHelper(String),
    #[error("the sandbox's scratch folder {path} could not be made: {source}")]
    Scratch { path: String, source: std::io::Error },
}

/// What this machine's kernel offers, probed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    /// Landlock's ABI version; 0 when the kernel has none.
    pub landlock_abi: i32,
    /// Unprivileged user and mount namespaces with overlayfs, so writes can be captured.
    pub overlay: bool,
}

impl Support {
    /// Why commands cannot be sandboxed here, when they cannot: said once, and every command asks.
    pub fn problem(&self) -> Option<String> {
        if self.landlock_abi <= 0 {
            return Some(
                "this kernel has no Landlock (Linux 5.13 or newer, with landlock in the lsm= boot list), so \
                 commands cannot be sandboxed: every command waits for your approval"
                    .into(),
            );
        }
        if !self.overlay {
            return Some(
                "user namespaces or overlayfs are not available to Aura here, so what commands write cannot be \
                 captured for Review: every command that may write waits for your approval"
                    .into(),
            );
        }
        None
    }
}

/// The running kernel's Landlock ABI version, 0 when it has none.
pub fn landlock_abi() -> i32 {
    // SAFETY: with a null attribute, size 0 and the VERSION flag the call only returns a number.
    let abi = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32) as i32 };
    abi.max(0)
}

/// Where the helper binary is: `AURA_SANDBOX_HELPER`, else this program when it is `aura`, else an
/// `aura` beside it or one folder up (how cargo lays out test binaries).
pub fn helper() -> Result<PathBuf, SandboxError> {
    static HELPER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = HELPER.get_or_init(|| {
        if let Some(path) = std::env::var_os("AURA_SANDBOX_HELPER") {
            return Ok(PathBuf::from(path));
        }
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        if me.file_name().is_some_and(|n| n == "aura") {
            return Ok(me);
        }
        let dir = me.parent().map(Path::to_path_buf).unwrap_or_default();
        [dir.join("aura"), dir.join("../aura")]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| me.display().to_string())
    });
    found.clone().map_err(SandboxError::NoHelper)
}

/// The kernel's offer, probed once per process (the overlay probe runs the helper once).
pub fn support() -> &'static Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    SUPPORT.get_or_init(|| {
        let landlock_abi = landlock_abi();
        let overlay = landlock_abi > 0 && probe_overlay().unwrap_or(false);
        let support = Support { landlock_abi, overlay };
        if let Some(problem) = support.problem() {
            tracing::warn!("{problem}");
        }
        support
    })
}

/// Runs `true` under a throwaway overlay to see that this machine lets Aura mount one.
fn probe_overlay() -> Result<bool, SandboxError> {
    let scratch = std::env::temp_dir().join(format!("aura-sandbox-probe-{}", std::process::id()));
    let workspace = scratch.join("ws");
    std::fs::create_dir_all(&workspace)
        .map_err(|source| SandboxError::Scratch { path: workspace.display().to_string(), source })?;
    let sandbox = Sandbox { policy: SandboxPolicy::WorkspaceWrite, scratch: scratch.join("runs"), home: None };
    let run = sandbox.prepare_with(&workspace, true)?;
    let ok = std::process::Command::new(helper()?)
        .args(run.helper_args("true"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    drop(run);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(ok)
}

/// How a project's commands are confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    pub policy: SandboxPolicy,
    /// Where each command's private temp folder and captured writes are kept: the data dir, which is
    /// usually on the workspace's filesystem, so generated output moves into place by rename.
    pub scratch: PathBuf,
    /// The home folder: its toolchain folders are readable, nothing else in it is. `None`: `$HOME`.
    pub home: Option<PathBuf>,
}

/// What the helper is told: everything decided by the parent, so the helper only applies it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub workspace: PathBuf,
    pub policy: SandboxPolicy,
    /// The overlay's upper and work folders; `None` for read-only commands.
    pub overlay: Option<(PathBuf, PathBuf)>,
    /// Generated folders at the workspace's top (`target/`, `node_modules/`) written straight through.
    pub passthrough: Vec<PathBuf>,
    pub tmp: PathBuf,
    /// Readable (and executable) folders and files outside the workspace.
    pub read: Vec<PathBuf>,
    /// Writable folders outside the workspace: the package caches, when the network is granted
    /// (so `cargo build` may fetch crates).
    #[serde(default)]
    pub write: Vec<PathBuf>,
    /// The `cgroup.procs` file of the command's own pids cgroup, when one could be made.
    pub cgroup_procs: Option<PathBuf>,
    pub max_processes: u64,
}

/// One command's sandbox: made before it starts, read back (its writes) after it ended, removed
/// when dropped.
pub struct Run {
    pub spec: Spec,
    dir: PathBuf,
    cgroup: Option<cgroup::Cgroup>,
}

impl Sandbox {
    /// Sets up the folders (and the pids cgroup) for one command in `workspace`.
    pub fn prepare(&self, workspace: &Path) -> Result<Run, SandboxError> {
        self.prepare_with(workspace, support().overlay)
    }

    fn prepare_with(&self, workspace: &Path, overlay: bool) -> Result<Run, SandboxError> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self.scratch.join(format!("{}-{n}", std::process::id()));
        let made = |path: &Path| {
            std::fs::create_dir_all(path)
                .map_err(|source| SandboxError::Scratch { path: path.display().to_string(), source })
        };
        let tmp = dir.join("tmp");
        made(&tmp)?;
        let overlay = if overlay && self.policy.writes() {
            let (upper, work) = (dir.join("upper"), dir.join("work"));
            made(&upper)?;
            made(&work)?;
            Some((upper, work))
        } else {
            None
        };
        let passthrough = capture::generated_top_folders(workspace);
        let cgroup = cgroup::Cgroup::create(MAX_PROCESSES);
        let home = self.home.clone().or_else(dirs::home_dir);
        let spec = Spec {
            workspace: workspace.to_path_buf(),
            policy: self.policy,
            overlay,
            passthrough,
            tmp,
            read: readable(home.as_deref(), workspace),
            write: if self.policy.network() { package_caches(home.as_deref()) } else { Vec::new() },
            cgroup_procs: cgroup.as_ref().map(cgroup::Cgroup::procs),
            max_processes: MAX_PROCESSES,
        };
        Ok(Run { spec, dir, cgroup })
    }
}

impl Run {
    /// The helper's arguments: `__sandbox SPEC-JSON sh -c COMMAND`.
    pub fn helper_args(&self, command: &str) -> Vec<String> {
        let spec = serde_json::to_string(&self.spec).unwrap_or_default();
        vec![HELPER_ARG.into(), spec, "sh".into(), "-c".into(), command.into()]
    }

    /// Kills whatever of the command is still alive, also processes that left its process group.
    pub fn kill_all(&self) {
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.kill_all();
        if let Some(cgroup) = self.cgroup.take() {
            cgroup.remove();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The system's folders, and the toolchains' folders in the home folder (never the home itself,
/// whose `.ssh`, `.aws`, `.config` and other projects stay unreadable).
fn readable(home: Option<&Path>, workspace: &Path) -> Vec<PathBuf> {
    let system =
        ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys", "/dev"];
    let mut read: Vec<PathBuf> = system.iter().map(PathBuf::from).collect();
    read.extend(["/var/lib/dpkg", "/run/systemd/resolve"].iter().map(PathBuf::from));
    if let Some(home) = home {
        let toolchains = [
            ".cargo",
            ".rustup",
            ".pyenv",
            ".nvm",
            ".npm",
            ".node-gyp",
            ".bun",
            ".deno",
            "go",
            ".gradle",
            ".m2",
            ".sdkman",
            ".local/bin",
            ".local/lib",
            ".local/share/pnpm",
            ".cache/pip",
            ".cache/uv",
            ".cache/go-build",
            ".cache/aura/tools",
            ".cache/pre-commit",
            ".gitconfig",
            ".config/git",
        ];
        read.extend(toolchains.iter().map(|t| home.join(t)).filter(|p| p.exists()));
    }
    // A git worktree's `.git` is a file naming the repository's own git folder: git needs to read it.
    if let Some(git_dir) = linked_git_dir(workspace) {
        read.push(git_dir);
    }
    // CARGO_HOME, RUSTUP_HOME and friends may live elsewhere.
    for var in ["CARGO_HOME", "RUSTUP_HOME", "PYENV_ROOT", "NVM_DIR", "GOPATH", "GOROOT"] {
        if let Some(path) = std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute() && p.exists()) {
            read.push(path);
        }
    }
    read
}

/// The package managers' download caches in the home folder.
fn package_caches(home: Option<&Path>) -> Vec<PathBuf> {
    let Some(home) = home else { return Vec::new() };
    let caches = [
        ".cargo/registry",
        ".cargo/git",
        ".npm",
        ".cache/pip",
        ".cache/uv",
        "go/pkg/mod",
        ".m2/repository",
        ".gradle/caches",
    ];
    caches.iter().map(|c| home.join(c)).filter(|p| p.exists()).collect()
}

/// The repository folder a worktree's `.git` file points into (`gitdir: REPO/.git/worktrees/NAME`).
fn linked_git_dir(workspace: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(workspace.join(".git")).ok()?;
    let dir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    let dir = if dir.is_absolute() { dir } else { workspace.join(dir) };
    // `.git/worktrees/NAME` → the whole `.git`, whose objects and refs the worktree shares.
    let common = dir.parent().and_then(Path::parent).filter(|p| p.file_name().is_some_and(|n| n == ".git"));
    Some(common.map(Path::to_path_buf).unwrap_or(dir))
}

/// The names of this process's environment variables a child must not inherit ([`is_secret_env`]).
pub fn secret_env_names() -> impl Iterator<Item = std::ffi::OsString> {
    std::env::vars_os().map(|(name, _)| name).filter(|name| is_secret_env(&name.to_string_lossy()))
}

/// Environment variables a sandboxed command never sees: keys and tokens, and the sockets that
/// would reach the user's agents and sessions.
pub fn is_secret_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE", "SESSION"]
        .iter()
        .any(|word| upper.contains(word))
        || ["DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "GPG_AGENT_INFO"]
            .contains(&upper.as_str())
}
