//! Receipts: the evidence a task, Worker run or Drone run leaves behind: what was asked, the files
//! it changed, the checks it ran with their outcome classes and counts, the Craft findings, what it
//! cost, and a verdict saying which command verified it, or why nothing could.

use crate::domain::{ChangeSet, ChangeSetStatus, Receipt, ReceiptId, ReceiptSubject, Usage, now_millis};

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
    }
}
