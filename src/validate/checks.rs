//! The checks that judge a piece of work done with nobody at hand (a dev-loop task, a Drone run):
//! which ones run (a work order's own commands, else the project's tests, else its build) and
//! running them so that a plan that cannot run still gives each check a result saying why.

use std::path::Path;
use std::time::Duration;

use crate::domain::{CommandRun, OutcomeClass};
use crate::tools::Workspace;
use crate::tools::policy::CommandPolicy;
use crate::tools::sandbox::Sandbox;

use super::detect::{self, Check, CheckKind};
use super::outcome::next_action;
use super::runner::{CheckResult, Plan, run_plan};

/// How a project's checks are chosen and run: the user's own checks from Settings (empty when
/// none are set), the sandbox they run in, and the time each may take.
#[derive(Debug)]
pub struct CheckSetup {
    pub overrides: Vec<Check>,
    pub sandbox: Sandbox,
    pub timeout: Duration,
}

impl CheckSetup {
    /// The checks that validate work in the project at `root`: the tests (the user's own checks
    /// when set, else the detected ones), or the build when there are no tests.
    pub fn project_checks(&self, root: &Path) -> Vec<Check> {
        let detected = detect::checks_for(root, &self.overrides);
        let tests: Vec<Check> = detected.iter().filter(|c| c.kind == CheckKind::Test).cloned().collect();
        if tests.is_empty() { detected.into_iter().filter(|c| c.kind == CheckKind::Build).collect() } else { tests }
    }

    /// A work order's validation commands, else the project's checks.
    pub fn order_checks(&self, validation: &[String], root: &Path) -> Vec<Check> {
        if validation.is_empty() {
            return self.project_checks(root);
        }
        validation
            .iter()
            .map(|c| Check { kind: CheckKind::Test, command: c.clone(), source: "work order".into() })
            .collect()
    }

    /// Runs `checks` in `workspace` without a person at hand (commands outside the policy are
    /// refused); a plan that cannot run at all gives each check a "crashed" result saying why.
    pub async fn run(&self, workspace: &Workspace, checks: &[Check]) -> Vec<CheckResult> {
        let plan = Plan {
            workspace,
            checks: checks.to_vec(),
            timeout: self.timeout,
            policy: CommandPolicy::default(),
            sandbox: Some(self.sandbox.clone()),
        };
        match run_plan(&plan, |_, _| async { false }, None).await {
            Ok(results) => results,
            Err(e) => checks.iter().map(|check| not_run(check, &e)).collect(),
        }
    }
}

fn not_run(check: &Check, why: &std::io::Error) -> CheckResult {
    CheckResult {
        check: check.clone(),
        run: CommandRun {
            command: check.command.clone(),
            outcome: OutcomeClass::Crashed,
            passed: None,
            failed: None,
            failing_tests: vec![],
            duration_ms: 0,
        },
        next_action: next_action(OutcomeClass::Crashed).to_string(),
        output: format!("the check could not be run: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SandboxPolicy;

    fn setup(overrides: Vec<Check>) -> CheckSetup {
        let sandbox = Sandbox { policy: SandboxPolicy::WorkspaceWrite, scratch: std::env::temp_dir(), home: None };
        CheckSetup { overrides, sandbox, timeout: Duration::from_secs(1) }
    }

    fn check(kind: CheckKind, command: &str) -> Check {
        Check { kind, command: command.into(), source: "settings".into() }
    }

    #[test]
    fn the_tests_validate_work_else_the_build_and_a_work_order_names_its_own() {
        let root = Path::new("/nonexistent");
        let both = setup(vec![check(CheckKind::Build, "make"), check(CheckKind::Test, "make test")]);
        let commands = |checks: Vec<Check>| checks.into_iter().map(|c| c.command).collect::<Vec<_>>();
        assert_eq!(commands(both.project_checks(root)), ["make test"]);
        let build_only = setup(vec![check(CheckKind::Build, "make"), check(CheckKind::Lint, "make lint")]);
        assert_eq!(commands(build_only.project_checks(root)), ["make"]);
        let ordered = both.order_checks(&["cargo test -p mathlib".into()], root);
        assert_eq!((ordered[0].kind, ordered[0].source.as_str()), (CheckKind::Test, "work order"));
        assert_eq!(commands(ordered), ["cargo test -p mathlib"]);
        assert_eq!(commands(both.order_checks(&[], root)), ["make test"]);
    }
}
