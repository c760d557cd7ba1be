//! Baselines: which checks already fail before a task starts, so only new failures count against
//! it, and a failure it fixes is credited.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{OutcomeClass, Verdict};

use super::runner::CheckResult;

/// A failing check and test as `command` + `test` (`*` when the check failed without test names).
pub type Failure = (String, String);

fn failures(results: &[CheckResult]) -> BTreeSet<Failure> {
    let mut out = BTreeSet::new();
    for r in results.iter().filter(|r| r.run.outcome == OutcomeClass::ProductFailure) {
        if r.run.failing_tests.is_empty() {
            out.insert((r.run.command.clone(), "*".to_string()));
        }
        for test in &r.run.failing_tests {
            out.insert((r.run.command.clone(), test.clone()));
        }
    }
    out
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub failing: BTreeSet<Failure>,
    pub outcomes: BTreeMap<String, OutcomeClass>,
}

impl Baseline {
    pub fn record(results: &[CheckResult]) -> Baseline {
        Baseline {
            failing: failures(results),
            outcomes: results.iter().map(|r| (r.run.command.clone(), r.run.outcome)).collect(),
        }
    }
}

/// How a task's checks compare with the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub new_failures: Vec<Failure>,
    pub fixed: Vec<Failure>,
    pub verdict: Verdict,
    /// The verdict in one sentence: verified by which command, or not verified and why.
    pub summary: String,
}

pub fn compare(baseline: &Baseline, after: &[CheckResult]) -> Comparison {
    let now = failures(after);
    let new_failures: Vec<Failure> = now.difference(&baseline.failing).cloned().collect();
    let fixed: Vec<Failure> = baseline.failing.difference(&now).cloned().collect();
    let verifying: Vec<&CheckResult> =
        after.iter().filter(|r| matches!(r.run.outcome, OutcomeClass::Passed | OutcomeClass::ProductFailure)).collect();
    let broken: Vec<&CheckResult> = after
        .iter()
        .filter(|r| !matches!(r.run.outcome, OutcomeClass::Passed | OutcomeClass::ProductFailure))
        .collect();
    let (verdict, summary) = if !new_failures.is_empty() {
        let names: Vec<String> =
            new_failures.iter().map(|(c, t)| if t == "*" { c.clone() } else { format!("{t} ({c})") }).collect();
        (Verdict::Failed, format!("new failures: {}", names.join(", ")))
    } else if verifying.is_empty() {
        let why: Vec<String> = broken.iter().map(|r| format!("`{}`: {:?}", r.run.command, r.run.outcome)).collect();
        let why = if why.is_empty() { "no checks were found".to_string() } else { why.join("; ") };
        (Verdict::Unverified, format!("not verified: {why}"))
    } else {
        let by: Vec<String> = verifying
            .iter()
            .map(|r| match r.run.passed {
                Some(n) => format!("`{}` ({n} passed)", r.run.command),
                None => format!("`{}`", r.run.command),
            })
            .collect();
        let mut summary = format!("verified by {}", by.join(", "));
        if !fixed.is_empty() {
            summary.push_str(&format!("; fixed {} failure(s) that were there before", fixed.len()));
        }
        if !baseline.failing.is_empty() && fixed.len() < baseline.failing.len() {
            summary.push_str(&format!("; {} failure(s) were already there", baseline.failing.len() - fixed.len()));
        }
        (Verdict::Verified, summary)
    };
    Comparison { new_failures, fixed, verdict, summary }
}
