//! A stdio server: a child process in its own process group (so `npx` and what it starts stop
//! together), stderr appended to the server's log, and stdout watched on its way to rmcp so a
//! server that prints something other than JSON-RPC is named for it instead of timing out mutely.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::mcp::config::{expand, expand_all};

/// How long one JSON-RPC line may be: a tool result over 10 MB still arrives whole and is cut to
/// the caller's budget; a line over this is dropped by rmcp and said (see [`StdoutWatch`]).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// A running stdio server's process.
pub struct StdioChild {
    pub child: Child,
    pub watch: Arc<StdoutWatch>,
}

/// What the child wrote to stdout that rmcp will not show us.
#[derive(Default)]
pub struct StdoutWatch {
    state: Mutex<WatchState>,
}

#[derive(Default)]
struct WatchState {
    /// The first line that did not start like a JSON-RPC message, cut short.
    garbage: Option<String>,
    in_line: usize,
    at_line_start: bool,
    collecting: Option<Vec<u8>>,
    oversized: bool,
}

impl StdoutWatch {
    fn new() -> StdoutWatch {
        StdoutWatch { state: Mutex::new(WatchState { at_line_start: true, ..WatchState::default() }) }
    }

    fn observe(&self, bytes: &[u8]) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for &b in bytes {
            if b == b'\n' {
                if let Some(line) = s.collecting.take() {
                    s.garbage.get_or_insert(String::from_utf8_lossy(&line).into_owned());
                }
                s.in_line = 0;
                s.at_line_start = true;
                continue;
            }
            s.in_line += 1;
            s.oversized |= s.in_line > MAX_LINE_BYTES;
            if s.at_line_start && !b.is_ascii_whitespace() {
                s.at_line_start = false;
                if b != b'{' && b != b'[' && s.garbage.is_none() {
                    s.collecting = Some(Vec::new());
                }
            }
            if let Some(line) = s.collecting.as_mut().filter(|l| l.len() < 200) {
                line.push(b);
            }
        }
    }

    /// Why the server's replies may not have arrived, if its stdout shows it.
    pub fn problem(&self) -> Option<String> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let partial = s.collecting.as_ref().map(|line| String::from_utf8_lossy(line).into_owned());
        if let Some(line) = s.garbage.clone().or(partial) {
            return Some(format!(
                "it wrote lines to stdout that are not MCP messages (first: {line:?}); a stdio server must write only \
                 JSON-RPC to stdout and its logs to stderr: check the command and its arguments"
            ));
        }
        s.oversized.then(|| format!("it sent a message over {} MB, which was dropped", MAX_LINE_BYTES >> 20))
    }
}

/// Child stdout, shown to the watch on its way to rmcp.
pub struct WatchedStdout {
    inner: ChildStdout,
    watch: Arc<StdoutWatch>,
}

impl AsyncRead for WatchedStdout {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.watch.observe(&buf.filled()[before..]);
        }
        polled
    }
}

/// Starts `command` with its stderr appended to `log`; `${VAR}`s in args and env are resolved now.
pub fn spawn(
    command: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    cwd: Option<&Path>,
    log: &Path,
) -> Result<(StdioChild, WatchedStdout, ChildStdin), String> {
    // The log names the command as configured: expanded values may be secrets.
    let stderr = open_log(log, &format!("{command} {}", args.join(" ")))?;
    let args: Vec<String> = args
        .iter()
        .map(|a| expand(a, |v| std::env::var(v).ok()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let env = expand_all(env).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(command);
    // A server hears Aura's environment without its keys and tokens: a secret reaches a server only
    // when its own `env` names it (`"GITHUB_TOKEN": "${GITHUB_TOKEN}"`).
    for name in crate::tools::sandbox::secret_env_names() {
        cmd.env_remove(name);
    }
    cmd.args(&args)
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .process_group(0);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().map_err(|e| spawn_error(command, e))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("its stdin or stdout could not be opened".into());
    };
    let watch = Arc::new(StdoutWatch::new());
    let stdout = WatchedStdout { inner: stdout, watch: watch.clone() };
    Ok((StdioChild { child, watch }, stdout, stdin))
}

fn spawn_error(command: &str, e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "the command `{command}` was not found: install it, or give its full path as \"command\" in .mcp.json"
        ),
        std::io::ErrorKind::PermissionDenied => format!("`{command}` is not executable: check its permissions"),
        _ => format!("`{command}` could not be started: {e}"),
    }
}

/// The log file, appended to with a line saying which start this is.
pub fn open_log(log: &Path, what: &str) -> Result<std::fs::File, String> {
    let open = || -> std::io::Result<std::fs::File> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        writeln!(file, "--- aura: starting {what} (unix time {}) ---", crate::domain::now_millis() / 1000)?;
        Ok(file)
    };
    open().map_err(|e| format!("its log {} could not be opened: {e}", log.display()))
}

/// The last non-empty line of a log, for a status that says why a server stopped.
pub fn last_log_line(log: &Path) -> Option<String> {
    let text = std::fs::read(log).ok()?;
    let tail = &text[text.len().saturating_sub(4096)..];
    String::from_utf8_lossy(tail)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("--- aura:"))
        .map(|l| l.trim().chars().take(300).collect())
}

/// Asks the process group to stop, then kills it: `npx`-style launchers leave children otherwise.
pub fn signal_group(child: &Child, signal: i32) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) with a negative pid signals the group this child leads (process_group(0)).
        unsafe { libc::kill(-(pid as i32), signal) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_names_the_first_line_that_is_not_json() {
        let watch = StdoutWatch::new();
        watch.observe(b"{\"jsonrpc\":\"2.0\"}\n  {\"a\":1}\n");
        assert_eq!(watch.problem(), None);
        watch.observe(b"not js");
        watch.observe(b"on\n{}\nalso bad\n");
        let problem = watch.problem().unwrap();
        assert!(problem.contains("\"not json\"") && problem.contains("stderr"), "{problem}");
    }
}
