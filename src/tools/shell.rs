//! `run_command`: a shell command in the workspace, in its own process group so that it and
//! everything it spawned can be killed whole on timeout or cancel, and after it exits. Output keeps
//! its head and tail and says how much was cut between them, so a flood cannot fill memory.

use std::future::Future;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

use super::Workspace;
use super::sandbox::{self, CommandWrites, Sandbox};
use crate::domain::SandboxPolicy;

/// Bytes kept from the start and from the end of each stream.
pub const KEEP_BYTES: usize = 32 * 1024;
/// How long a process group gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// How long pipes are drained after the command ended (a stray child may hold them open).
const DRAIN: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub command: String,
    pub timeout: Duration,
    /// Receives the output as it arrives (lossy UTF-8, stdout and stderr interleaved).
    pub live: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    /// The kernel sandbox it runs in; `None` runs it bare (Aura's own git and tool probes).
    pub sandbox: Option<Sandbox>,
}

impl CommandSpec {
    pub fn new(command: impl Into<String>, timeout: Duration) -> Self {
        CommandSpec { command: command.into(), timeout, live: None, sandbox: None }
    }

    pub fn sandboxed(mut self, sandbox: Option<Sandbox>) -> Self {
        self.sandbox = sandbox;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration: Duration,
    /// The sandbox it ran in, when it ran in one.
    pub sandbox: Option<SandboxPolicy>,
    /// Why the sandbox could not be set up (then nothing ran).
    pub sandbox_error: Option<String>,
    /// What it wrote to the workspace, captured instead of written (see `sandbox::capture`).
    pub writes: CommandWrites,
}

impl CommandOutput {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled && self.sandbox_error.is_none()
    }

    /// What the sandbox refused, when the output suggests it refused something.
    fn sandbox_note(&self) -> Option<String> {
        let policy = self.sandbox?;
        let said = |needle: &str| self.stderr.contains(needle) || self.stdout.contains(needle);
        let refused = said("ermission denied") || said("Operation not permitted") || said("Read-only file system");
        (refused && !self.succeeded()).then(|| {
            format!(
                "note: the command ran in Aura's sandbox ({policy}: {}); files outside the workspace and the \
                 toolchains' folders cannot be read, nothing outside the workspace can be written{}. \
                 A 'Permission denied' or 'Operation not permitted' above was the sandbox refusing it.",
                policy.describe(),
                if policy.network() { "" } else { ", and the network cannot be reached" }
            )
        })
    }

    /// How the result reads for the model and the user: the outcome, then both streams.
    pub fn summary(&self) -> String {
        if let Some(error) = &self.sandbox_error {
            return format!("the command did not run: the sandbox could not be set up ({error})");
        }
        let outcome = if self.timed_out {
            format!("timed out after {:.1} s and was killed", self.duration.as_secs_f64())
        } else if self.cancelled {
            "was cancelled and killed".to_string()
        } else {
            match (self.exit_code, self.signal) {
                (Some(code), _) => format!("exited with code {code} in {:.1} s", self.duration.as_secs_f64()),
                (None, Some(signal)) => format!("was killed by signal {signal}"),
                (None, None) => "ended without an exit code".to_string(),
            }
        };
        let mut text =
            format!("the command {outcome}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout, self.stderr);
        for note in self.sandbox_note().into_iter().chain(self.writes.notes()) {
            text.push('\n');
            text.push_str(&note);
        }
        text
    }
}

/// The first and last [`KEEP_BYTES`] of a stream, and how many bytes fell between them.
#[derive(Default)]
struct HeadTail {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    cut: u64,
}

impl HeadTail {
    fn push(&mut self, mut bytes: &[u8]) {
        let room = KEEP_BYTES.saturating_sub(self.head.len());
        let take = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(KEEP_BYTES);
        if excess > 0 {
            self.tail.drain(..excess);
            self.cut += excess as u64;
        }
    }

    fn text(self) -> String {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        let tail: Vec<u8> = self.tail.into_iter().collect();
        let tail = String::from_utf8_lossy(&tail);
        if self.cut == 0 {
            return head + &tail;
        }
        format!("{head}\n[… {} cut …]\n{tail}", human(self.cut))
    }
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / 1_048_576.0),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

async fn collect(
    mut pipe: impl AsyncRead + Unpin,
    live: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> HeadTail {
    let mut kept = HeadTail::default();
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = pipe.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        kept.push(&buffer[..n]);
        if let Some(live) = &live {
            let _ = live.send(String::from_utf8_lossy(&buffer[..n]).into_owned());
        }
    }
    kept
}

/// Sends `signal` to every process of the group.
fn signal_group(group: i32, signal: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// Runs `spec` with `sh -c` in the workspace root. Ends early, killing the whole group, when the
/// timeout passes or `cancel` completes; after a normal exit the group is killed too, so nothing it
/// spawned is left running.
pub async fn run_command(
    workspace: &Workspace,
    spec: &CommandSpec,
    cancel: impl Future<Output = ()>,
) -> std::io::Result<CommandOutput> {
    let started = Instant::now();
    let run = prepare(workspace, spec)?;
    let mut command = match &run {
        Some(run) => {
            let mut command = tokio::process::Command::new(sandbox::helper().map_err(std::io::Error::other)?);
            command.args(run.helper_args(&spec.command)).env("TMPDIR", &run.spec.tmp);
            for name in sandbox::secret_env_names() {
                command.env_remove(name);
            }
            command
        }
        None => {
            let mut command = tokio::process::Command::new("sh");
            command.arg("-c").arg(&spec.command);
            command
        }
    };
    let mut child = command
        .current_dir(workspace.root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()?;
    let group = child.id().map(|id| id as i32).unwrap_or(0);
    let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
    let stderr = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
    let stdout = tokio::spawn(collect(stdout, spec.live.clone()));
    let stderr = tokio::spawn(collect(stderr, spec.live.clone()));

    let (mut timed_out, mut cancelled) = (false, false);
    let status = tokio::select! {
        status = child.wait() => Some(status?),
        _ = tokio::time::sleep(spec.timeout) => { timed_out = true; None }
        _ = cancel => { cancelled = true; None }
    };
    let status = match status {
        Some(status) => status,
        None => {
            signal_group(group, libc::SIGTERM);
            match tokio::time::timeout(GRACE, child.wait()).await {
                Ok(status) => status?,
                Err(_) => {
                    signal_group(group, libc::SIGKILL);
                    child.wait().await?
                }
            }
        }
    };
    // Whatever the command left behind goes with it, also what left its process group.
    signal_group(group, libc::SIGKILL);
    if let Some(run) = &run {
        run.kill_all();
    }
    let drained = |task: tokio::task::JoinHandle<HeadTail>| async move {
        match tokio::time::timeout(DRAIN, task).await {
            Ok(Ok(kept)) => kept.text(),
            _ => "[output still open after the command ended; not waited for]".to_string(),
        }
    };
    let (stdout, stderr) = (drained(stdout).await, drained(stderr).await);
    use std::os::unix::process::ExitStatusExt;
    let sandbox_error = run
        .as_ref()
        .filter(|_| status.code() == Some(sandbox::SETUP_FAILED))
        .and_then(|_| stderr.lines().find_map(|l| l.strip_prefix(sandbox::SETUP_PREFIX)).map(str::to_string));
    // Read back even after a timeout or a kill: partial writes are shown too.
    let overlay = run.as_ref().and_then(|r| Some((r.spec.workspace.clone(), r.spec.overlay.clone()?.0)));
    let writes = match overlay {
        Some((root, upper)) => {
            tokio::task::spawn_blocking(move || sandbox::capture::capture(&root, &upper)).await.unwrap_or_default()
        }
        None => CommandWrites::default(),
    };
    let policy = run.as_ref().map(|r| r.spec.policy);
    if let Some(run) = run {
        // Removing the scratch folder and the cgroup may wait on the kernel a moment.
        tokio::task::spawn_blocking(move || drop(run));
    }
    Ok(CommandOutput {
        exit_code: status.code(),
        signal: status.signal(),
        stdout,
        stderr,
        timed_out,
        cancelled,
        duration: started.elapsed(),
        sandbox: policy,
        sandbox_error,
        writes,
    })
}

/// The command's sandbox, unless it runs bare: no sandbox asked for, full access, or a kernel
/// without Landlock (then the policy asked the user first).
fn prepare(workspace: &Workspace, spec: &CommandSpec) -> std::io::Result<Option<sandbox::Run>> {
    let Some(sandbox) = spec.sandbox.as_ref().filter(|s| s.policy != SandboxPolicy::FullAccess) else {
        return Ok(None);
    };
    if sandbox::support().landlock_abi <= 0 {
        return Ok(None);
    }
    sandbox.prepare(workspace.root()).map(Some).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_tail_are_kept_and_the_cut_is_counted() {
        let mut kept = HeadTail::default();
        for _ in 0..100 {
            kept.push(&[b'x'; 10_000]);
        }
        kept.push(b"THE END");
        assert_eq!(kept.head.len(), KEEP_BYTES);
        assert_eq!(kept.tail.len(), KEEP_BYTES);
        assert_eq!(kept.cut, 1_000_007 - 2 * KEEP_BYTES as u64);
        let text = kept.text();
        assert!(text.ends_with("THE END") && text.contains("KB cut …]"), "{}", &text[KEEP_BYTES - 10..KEEP_BYTES + 40]);
    }
}
