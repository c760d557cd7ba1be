//! Running a validation plan: each check through the shell tool under the command policy, with its
//! own timeout, output streamed as it arrives, and a classified result.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::domain::{CommandRun, OutcomeClass};
use crate::tools::Workspace;
use crate::tools::policy::{CommandPolicy, Ran, run_with_policy};
use crate::tools::sandbox::Sandbox;
use crate::tools::shell::CommandSpec;

use super::detect::Check;
use super::outcome::{classify, next_action};

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: Check,
    pub run: CommandRun,
    pub next_action: String,
    /// What the command printed (head and tail), or why it did not run.
    pub output: String,
}

/// What a running plan reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationEvent {
    Started { index: usize, check: Check },
    Output { index: usize, text: String },
    Finished { index: usize, result: Box<CheckResult> },
}

pub struct Plan<'a> {
    pub workspace: &'a Workspace,
    pub checks: Vec<Check>,
    pub timeout: Duration,
    pub policy: CommandPolicy,
    /// The sandbox the checks run in; what they write outside generated folders is dropped, as
    /// checks judge the workspace and never change it.
    pub sandbox: Option<Sandbox>,
}

/// Checks never change the workspace: what one wrote there is dropped, and said.
fn with_dropped_writes(summary: String, changes: &[crate::domain::FileChange]) -> String {
    if changes.is_empty() {
        return summary;
    }
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    format!("{summary}\nnote: the check wrote {}; dropped, as checks never change the workspace", paths.join(", "))
}

/// Runs the checks in order. Commands outside the policy wait for `approve`; denied or refused ones
/// are "blocked by policy", never run.
pub async fn run_plan<A: Future<Output = bool>>(
    plan: &Plan<'_>,
    mut approve: impl FnMut(&str, &str) -> A,
    events: Option<mpsc::UnboundedSender<ValidationEvent>>,
) -> std::io::Result<Vec<CheckResult>> {
    let mut results = Vec::with_capacity(plan.checks.len());
    for (index, check) in plan.checks.iter().enumerate() {
        let send = |event| {
            if let Some(events) = &events {
                let _ = events.send(event);
            }
        };
        send(ValidationEvent::Started { index, check: check.clone() });
        let (live, mut lines) = mpsc::unbounded_channel();
        let forward = events.clone().map(|events| {
            tokio::spawn(async move {
                while let Some(text) = lines.recv().await {
                    let _ = events.send(ValidationEvent::Output { index, text });
                }
            })
        });
        let spec = CommandSpec {
            command: check.command.clone(),
            timeout: plan.timeout,
            live: Some(live),
            sandbox: plan.sandbox.clone(),
        };
        let ran = run_with_policy(plan.workspace, &spec, &plan.policy, &mut approve, std::future::pending()).await?;
        drop(spec);
        if let Some(forward) = forward {
            let _ = forward.await;
        }
        let result = match ran {
            Ran::Done(output) => {
                let (outcome, counts) = classify(&output);
                CheckResult {
                    check: check.clone(),
                    run: CommandRun {
                        command: check.command.clone(),
                        outcome,
                        passed: counts.passed,
                        failed: counts.failed,
                        failing_tests: counts.failing_tests,
                        duration_ms: output.duration.as_millis() as u64,
                    },
                    next_action: next_action(outcome).to_string(),
                    output: with_dropped_writes(output.summary(), &output.writes.changes),
                }
            }
            Ran::Denied { reason } | Ran::NotApproved { reason } => CheckResult {
                check: check.clone(),
                run: CommandRun {
                    command: check.command.clone(),
                    outcome: OutcomeClass::BlockedByPolicy,
                    passed: None,
                    failed: None,
                    failing_tests: Vec::new(),
                    duration_ms: 0,
                },
                next_action: next_action(OutcomeClass::BlockedByPolicy).to_string(),
                output: format!("not run: {reason}"),
            },
        };
        send(ValidationEvent::Finished { index, result: Box::new(result.clone()) });
        results.push(result);
    }
    Ok(results)
}
