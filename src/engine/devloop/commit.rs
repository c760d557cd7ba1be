//! A done task's commit: when its receipt is Verified, exactly its accepted changes (and its
//! ticked box, when its spec file is committed) are committed, with a message naming the task, its spec and its receipt. The user's
//! other changes stay uncommitted; a refusal (a hook, a rebase) is written on the receipt and the
//! loop goes on.

use crate::domain::{ChangeSet, CommitOutcome, Receipt, Spec, Task, Verdict};

use super::super::git::{WorkCommit, commit_work};
use super::DevLoop;

/// `Task <key>: <title>`, the spec, the receipt's verdict and summary, and an `Aura-Receipt` trailer.
pub fn task_message(task: &Task, spec: Option<&Spec>, receipt: &Receipt) -> String {
    let spec = spec.map(|s| format!("Spec: {}\n", s.path.display())).unwrap_or_default();
    let verdict = format!("{:?}", receipt.verdict).to_lowercase();
    format!(
        "Task {}: {}\n\n{spec}Receipt: {verdict}: {}\n\nAura-Receipt: {}\n",
        task.key, task.title, receipt.summary, receipt.id
    )
}

impl DevLoop {
    pub(super) async fn commit_task(
        &self,
        task: &Task,
        spec: Option<&Spec>,
        receipt: &Receipt,
        changesets: &[ChangeSet],
        tick: Option<ChangeSet>,
    ) -> CommitOutcome {
        if receipt.verdict != Verdict::Verified {
            return CommitOutcome::Skipped { reason: "no check verified the task, so it was not committed".into() };
        }
        let work = WorkCommit {
            project: self.project.id,
            root: self.workspace.root().to_path_buf(),
            enabled: self.config.settings.commit_per_task,
            changesets,
            extras: tick.as_slice(),
            message: task_message(task, spec, receipt),
        };
        commit_work(&self.journal, work).await
    }
}
