//! A Drone run's merged result is committed like a task's: when its receipt is Verified, exactly
//! the accepted changes of its ChangeSets, with a message naming the Drone, its goal and the receipt.

use std::path::Path;

use crate::domain::{ChangeSet, CommitOutcome, DroneRun, Receipt, Verdict};
use crate::protocol::LoopSettings;
use crate::store::Table;

use super::super::Journal;
use super::super::control::loop_key;
use super::super::git::{WorkCommit, accepted_changes, commit_work};

/// `Drone <name>: <goal>`, the receipt's verdict and summary, and an `Aura-Receipt` trailer.
fn drone_message(run: &DroneRun, receipt: &Receipt) -> String {
    let goal = run.goal.lines().next().unwrap_or_default();
    let verdict = format!("{:?}", receipt.verdict).to_lowercase();
    format!("Drone {}: {goal}\n\nReceipt: {verdict}: {}\n\nAura-Receipt: {}\n", run.drone, receipt.summary, receipt.id)
}

/// The commit of what the run merged into the workspace; `None` when it merged nothing.
pub(super) async fn commit_run(
    journal: &Journal,
    root: &Path,
    run: &DroneRun,
    receipt: &Receipt,
    changesets: &[ChangeSet],
) -> Option<CommitOutcome> {
    if accepted_changes(changesets).is_empty() {
        return None;
    }
    if receipt.verdict != Verdict::Verified {
        return Some(CommitOutcome::Skipped { reason: "no check verified the run, so it was not committed".into() });
    }
    let settings = journal.store.reader().get_value::<LoopSettings>(Table::Settings, &loop_key(run.project));
    let work = WorkCommit {
        project: run.project,
        root: root.to_path_buf(),
        enabled: settings.ok().flatten().unwrap_or_default().commit_per_task,
        changesets,
        extras: &[],
        message: drone_message(run, receipt),
    };
    Some(commit_work(journal, work).await)
}
