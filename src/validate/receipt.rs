//! Receipts: the evidence a task, Worker run or Drone run leaves behind: what was asked, the files
//! it changed, the checks it ran with their outcome classes and counts, the Craft findings, what it
//! cost, and a verdict saying which command verified it, or why nothing could; and where a
//! task's receipt sends the task.

use crate::domain::{
    ChangeSet, ChangeSetStatus, OutcomeClass, Receipt, ReceiptId, ReceiptSubject, TaskStatus, Usage, Verdict,
    now_millis,
};

use super::baseline::Comparison;
use super::runner::CheckResult;

/// Everything a receipt is made from.
pub struct Work<'a> {
    pub subject: ReceiptSubject,
    pub asked: &'a str,
    pub changesets: &'a [ChangeSet],
    pub results: &'a [CheckResult],
    pub comparison: &'a Comparison,
    pub usage: Usage,
}

pub fn receipt(work: Work<'_>) -> Receipt {
    let applied = work
        .changesets
        .iter()
        .filter(|c| matches!(c.status, ChangeSetStatus::Applied | ChangeSetStatus::PartlyApplied));
    let mut files_changed: Vec<String> = applied.flat_map(|c| c.files.iter().map(|f| f.path.clone())).collect();
    files_changed.sort();
    files_changed.dedup();
    Receipt {
        id: ReceiptId::new(),
        subject: work.subject,
        asked: work.asked.to_string(),
        changesets: work.changesets.iter().map(|c| c.id).collect(),
        files_changed,
        commands: work.results.iter().map(|r| r.run.clone()).collect(),
        craft_findings: work.changesets.iter().flat_map(|c| c.findings.iter().cloned()).collect(),
        usage: work.usage,
        verdict: work.comparison.verdict,
        summary: work.comparison.summary.clone(),
        created_at: now_millis(),
        commit: None,
    }
}

/// Where the receipt sends the task, and why: done when verified (or when the project has no
/// check at all, which the receipt says), blocked when a check needs the user, failed otherwise.
pub fn task_status(receipt: &Receipt, results: &[CheckResult]) -> (TaskStatus, String) {
    let needs_user = results.iter().find(|r| {
        matches!(
            r.run.outcome,
            OutcomeClass::MissingExecutable | OutcomeClass::MissingDependency | OutcomeClass::BlockedByPolicy
        )
    });
    match receipt.verdict {
        Verdict::Verified => (TaskStatus::Done, receipt.summary.clone()),
        Verdict::Unverified if results.is_empty() => (TaskStatus::Done, receipt.summary.clone()),
        _ if needs_user.is_some() => {
            let r = needs_user
                .map(|r| format!("`{}`: {:?}; {}", r.run.command, r.run.outcome, r.next_action))
                .unwrap_or_default();
            (TaskStatus::Blocked, format!("a check needs you: {r}"))
        }
        _ => (TaskStatus::Failed, receipt.summary.clone()),
    }
}
