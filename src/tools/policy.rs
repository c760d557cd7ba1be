//! Which commands an agent may run on its own, which wait for the user, and which never run.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::Workspace;
use super::shell::{CommandOutput, CommandSpec, run_command};

/// Allowed and denied command prefixes, matched word by word on every part of a command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandPolicy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Runs only if the user approves.
    NeedsApproval {
        reason: String,
    },
    Denied {
        reason: String,
    },
}

impl Default for CommandPolicy {
    /// Builds, tests, linters, formatters and read-only inspection run freely; anything that
    /// publishes, fetches or escalates is denied; the rest asks.
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        CommandPolicy {
            allow: words(&[
                "cargo build",
                "cargo check",
                "cargo test",
                "cargo clippy",
                "cargo fmt",
                "cargo nextest",
                "npm test",
                "npm run",
                "pnpm test",
                "pnpm run",
                "yarn test",
                "pytest",
                "python -m pytest",
                "ruff",
                "mypy",
                "go build",
                "go test",
                "go vet",
                "gofmt",
                "make",
                "ls",
                "cat",
                "head",
                "tail",
                "wc",
                "grep",
                "rg",
                "find",
                "echo",
                "pwd",
                "git status",
                "git diff",
                "git log",
                "git show",
            ]),
            deny: words(&[
                "sudo", "su", "git push", "curl", "wget", "ssh", "scp", "rsync", "dd", "mkfs", "shutdown", "reboot",
            ]),
        }
    }
}

/// `a` starts with the words of `prefix`.
fn starts_with_words(words: &[&str], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split_whitespace().collect();
    !prefix.is_empty() && words.len() >= prefix.len() && words[..prefix.len()] == prefix[..]
}

/// Substitution or redirection, which word matching cannot see through.
pub fn is_opaque(command: &str) -> bool {
    command.contains("$(") || command.contains('`') || command.contains('>') || command.contains('<')
}

/// The simple commands of a command line, split at `;`, `|`, `&` and newlines.
pub fn parts(command: &str) -> impl Iterator<Item = &str> {
    command.split(['\n', ';', '|', '&']).map(str::trim).filter(|p| !p.is_empty())
}

/// What "allow for this session" covers of one simple command: the program, and its subcommand
/// when it has one (`cargo build`, `touch`, `git commit`).
pub fn grant_prefix(part: &str) -> String {
    let mut words = part.split_whitespace();
    let program = words.next().unwrap_or_default();
    match words.next() {
        Some(sub) if sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !sub.starts_with('-') => {
            format!("{program} {sub}")
        }
        _ => program.to_string(),
    }
}

impl CommandPolicy {
    pub fn check(&self, command: &str) -> Verdict {
        if is_opaque(command) {
            return Verdict::NeedsApproval {
                reason: "it uses command substitution or redirection, which the policy cannot see through".into(),
            };
        }
        let mut verdict = Verdict::Allowed;
        for part in parts(command) {
            let words: Vec<&str> = part.split_whitespace().collect();
            if let Some(denied) = self.deny.iter().find(|d| starts_with_words(&words, d)) {
                return Verdict::Denied { reason: format!("`{denied}` is never run by an agent") };
            }
            if !self.allow.iter().any(|a| starts_with_words(&words, a)) && verdict == Verdict::Allowed {
                verdict = Verdict::NeedsApproval { reason: format!("`{part}` is not in the allowed commands") };
            }
        }
        verdict
    }
}

/// What became of a command under the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done(CommandOutput),
    /// The user said no; nothing ran.
    NotApproved {
        reason: String,
    },
    Denied {
        reason: String,
    },
}

/// Runs a command if the policy allows it, or after `approve` (the user) says yes.
pub async fn run_with_policy<A: Future<Output = bool>>(
    workspace: &Workspace,
    spec: &CommandSpec,
    policy: &CommandPolicy,
    approve: impl FnOnce(&str, &str) -> A,
    cancel: impl Future<Output = ()>,
) -> std::io::Result<Ran> {
    match policy.check(&spec.command) {
        Verdict::Denied { reason } => return Ok(Ran::Denied { reason }),
        Verdict::NeedsApproval { reason } => {
            if !approve(&spec.command, &reason).await {
                return Ok(Ran::NotApproved { reason });
            }
        }
        Verdict::Allowed => {}
    }
    run_command(workspace, spec, cancel).await.map(Ran::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let policy = CommandPolicy::default();
        assert_eq!(policy.check("cargo test --lib store::"), Verdict::Allowed);
        assert_eq!(policy.check("git status && cargo fmt --check"), Verdict::Allowed);
        assert!(
            matches!(policy.check("cargo test; rm -rf target"), Verdict::NeedsApproval { reason } if reason.contains("rm -rf target"))
        );
        assert!(matches!(policy.check("cargo testify"), Verdict::NeedsApproval { .. }), "words, not characters");
        assert!(matches!(policy.check("cat x > y"), Verdict::NeedsApproval { .. }));
        assert!(matches!(policy.check("echo $(whoami)"), Verdict::NeedsApproval { .. }));
        assert!(matches!(policy.check("ls | sudo tee /etc/x"), Verdict::Denied { .. }));
        assert!(matches!(policy.check("git push origin main"), Verdict::Denied { .. }));
    }

    #[test]
    fn a_session_grant_covers_the_program_and_its_subcommand() {
        assert_eq!(grant_prefix("touch made.txt"), "touch");
        assert_eq!(grant_prefix("cargo build --release"), "cargo build");
        assert_eq!(grant_prefix("rm -rf target"), "rm");
        assert_eq!(grant_prefix("python3 ./x.py"), "python3");
        let split: Vec<&str> = parts("a b && c | d; e\nf").collect();
        assert_eq!(split, ["a b", "c", "d", "e", "f"]);
    }
}
