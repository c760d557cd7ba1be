//! The one way Aura runs `git`: a pinned environment, stdout captured, failures typed. Synchronous:
//! call it off the async threads (`spawn_blocking`).

use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::GitError;

/// A git command in `dir`. The environment is pinned so that messages are in English, git never
/// waits for a password or an editor, and a `GIT_DIR` or `GIT_INDEX_FILE` inherited from a hook
/// cannot point it at another repository or index.
pub fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    command
}

/// Runs the command, whatever its exit code; only a git that cannot be started is an error.
pub fn output(command: &mut Command) -> Result<Output, GitError> {
    command.output().map_err(|source| match source.kind() {
        ErrorKind::NotFound => GitError::GitMissing,
        _ => GitError::Io { path: "git".into(), source },
    })
}

/// The failure of `command`, named by its git arguments (without `-C dir` and `-c` settings).
pub fn failed(command: &Command, output: &Output) -> GitError {
    let mut args = command.get_args().skip(2).map(|a| a.to_string_lossy().into_owned());
    let mut named = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "-c" {
            args.next();
        } else {
            named.push(arg);
        }
    }
    let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if stderr.is_empty() {
        stderr = String::from_utf8_lossy(&output.stdout).trim().to_string();
    }
    GitError::Git { command: named.join(" "), stderr }
}

/// Runs a git command; its stdout when it succeeds.
pub fn exec(command: &mut Command) -> Result<Vec<u8>, GitError> {
    let output = output(command)?;
    if output.status.success() { Ok(output.stdout) } else { Err(failed(command, &output)) }
}

/// The first line of an output, without its line end.
pub fn line(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout).trim_end_matches(['\n', '\r']).to_string()
}

/// The entries of `-z` output.
pub fn names(stdout: &[u8]) -> impl Iterator<Item = String> + '_ {
    stdout.split(|&b| b == 0).filter(|n| !n.is_empty()).map(|n| String::from_utf8_lossy(n).into_owned())
}
