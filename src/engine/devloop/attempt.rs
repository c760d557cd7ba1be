//! One attempt at a task, step by step, each step handing the next what it needs: plan (the
//! Planner's work order), approve (the user's or autopilot's decision on it), work (the baseline,
//! then the Worker's turn), judge (the checks again, and the receipt saying where the task goes)
//! and settle (the receipt issued, the task moved, its box ticked or its retry readied). A step
//! that cannot go on says why ([`Cut`]), and the task is put back, halted or blocked.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{
    ChangeSet, Receipt, ReceiptSubject, Record, Spec, Task, TaskStatus, Usage, Verdict, WorkOrder, WorkOrderStatus,
};
use crate::protocol::{Event, LoopState, WorkOrderDecision};
use crate::validate::CheckSetup;
use crate::validate::baseline::{self, Baseline};
use crate::validate::detect::Check;
use crate::validate::receipt::{self as receipts, Work};

use super::super::commands::check_setup;
use super::super::memory;
use super::super::prompt::Role;
use super::super::shared_review::Proposal;
use super::super::turn::{PauseGate, Stop, TurnOutcome, run_turn, stop_pair};
use super::{DevLoop, LoopError, TaskEnd, describe};

/// Why an attempt stops before its work is judged.
enum Cut {
    /// Stopped by the user, or by a request to block this task.
    Stopped,
    /// The provider failed: the task goes back to ready and the loop stops for the user.
    Halt(LoopError),
    /// The task waits for the user, for this reason.
    Blocked(String),
}

/// What the Worker's turn leaves for judging.
struct Worked {
    /// The task and its work order, as the Worker was asked.
    brief: String,
    setup: CheckSetup,
    checks: Vec<Check>,
    baseline: Baseline,
    outcome: TurnOutcome,
    changesets: Vec<ChangeSet>,
    question: Option<String>,
}

/// An attempt's receipt, and where and why it sends the task.
struct Judgement {
    receipt: Receipt,
    to: TaskStatus,
    reason: String,
    /// The Worker's ChangeSets as decided: what a commit of the task takes its changes from.
    changesets: Vec<ChangeSet>,
}

impl DevLoop {
    /// Runs one attempt at a task with its own stop: pressed by the loop's Stop, or by a request to
    /// block this task; the pause switch is honoured between tool calls.
    pub(super) async fn run_task(&mut self, mut task: Task, spec: Option<Spec>) -> TaskEnd {
        if let Err(e) = self.tasks.transition(&mut task, TaskStatus::InProgress, None).await {
            return TaskEnd::Halt(e.into());
        }
        self.state(LoopState::Running, Some(task.id), None);
        let (switch, stop) = stop_pair();
        let (journal, project, id) = (self.journal.clone(), self.project.id, task.id);
        let on_change = Arc::new(move |paused: bool| {
            let state = if paused { LoopState::Paused } else { LoopState::Running };
            journal.emit(Event::LoopChanged { project, state, task: Some(id), reason: None });
        });
        let stop = stop.with_pause(PauseGate { paused: self.controls.paused.clone(), on_change });
        let loop_stop = self.controls.stop.clone();
        let mut block = self.controls.block.subscribe();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                _ = loop_stop.wait() => {}
                _ = block.wait_for(|b| b.as_ref().is_some_and(|(t, _)| *t == id)) => {}
            }
            switch.press();
        });
        let end = self.attempt(task, spec, &stop).await;
        watcher.abort();
        end
    }

    /// One attempt at a task, step by step: the Planner plans, the user (or autopilot) approves,
    /// the Worker works, the checks judge, and the task moves where the judgement sends it.
    async fn attempt(&mut self, task: Task, spec: Option<Spec>, stop: &Stop) -> TaskEnd {
        let before = (self.planner.usage, self.worker.usage);
        let worked = async {
            let order = self.plan(&task, spec.as_ref(), stop).await?;
            let order = self.approve(order, stop).await?;
            self.work(&task, &order, stop).await
        };
        match worked.await {
            Ok(worked) => {
                let judgement = self.judge(&task, worked, self.spent_since(before)).await;
                self.settle(task, spec.as_ref(), judgement).await
            }
            Err(Cut::Stopped) => self.put_back(task).await,
            Err(Cut::Halt(why)) => self.halt(task, why).await,
            Err(Cut::Blocked(why)) => self.block(task, why).await,
        }
    }

    /// Plan: the Planner reads the task, its spec and its earlier attempts, and submits a work order.
    async fn plan(&mut self, task: &Task, spec: Option<&Spec>, stop: &Stop) -> Result<WorkOrder, Cut> {
        let ask = self.planning_ask(task, spec);
        self.planner.push_user(ask);
        self.planner.compaction_tier = 0;
        let mut host = self.host(&self.planner.session.clone(), Role::Planner, Some(task.id));
        let outcome =
            run_turn(&self.config.planner, &mut self.planner, &mut host, &self.config.budget, stop, &self.journal)
                .await;
        match (outcome, host.work_order.take()) {
            (TurnOutcome::Stopped, _) => Err(Cut::Stopped),
            (TurnOutcome::Failed(e), _) => Err(Cut::Halt(LoopError::Provider(e))),
            (_, Some(order)) => Ok(order),
            (other, None) => {
                Err(Cut::Blocked(format!("the Planner did not submit a work order ({})", describe(&other))))
            }
        }
    }

    /// What the Planner is asked: the task, its spec, the notes on it, and the verdicts of
    /// earlier attempts.
    fn planning_ask(&self, task: &Task, spec: Option<&Spec>) -> String {
        let mut ask = format!("# Task {} {}\n\nPlan this task and submit a work order.\n", task.key, task.title);
        if let Some(spec) = spec {
            let text = std::fs::read_to_string(self.workspace.root().join(&spec.path)).unwrap_or_default();
            ask.push_str(&format!("\n# The spec: {}\n\n{}\n", spec.path.display(), text.trim_end()));
        }
        if !task.description.trim().is_empty() {
            ask.push_str(&format!("\n# Notes on this task\n\n{}\n", task.description.trim()));
        }
        let notes: String = self
            .tasks
            .receipts(task.id)
            .iter()
            .map(|receipt| format!("- {:?}: {}\n", receipt.verdict, receipt.summary))
            .collect();
        if !notes.is_empty() {
            ask.push_str(&format!("\n# Earlier attempts at this task\n\n{notes}\n"));
        }
        ask
    }

    /// Approve: the work order is recorded and proposed; under autopilot it is approved at once,
    /// else it waits for the user, who may edit or reject it.
    async fn approve(&self, mut order: WorkOrder, stop: &Stop) -> Result<WorkOrder, Cut> {
        self.journal.record_project(self.project.id, Record::WorkOrder(order.clone())).await;
        // Wait before telling anyone, so no decision can arrive unheard.
        let decision = (!self.config.settings.autopilot).then(|| self.orders.wait(order.id));
        self.journal.emit(Event::WorkOrderProposed { work_order: order.clone() });
        if let Some(decision) = decision {
            let decision = tokio::select! {
                d = decision => d.unwrap_or(WorkOrderDecision::Reject { reason: "the decision was lost".into() }),
                _ = stop.wait() => return Err(Cut::Stopped),
            };
            match decision {
                WorkOrderDecision::Approve => {}
                WorkOrderDecision::ApproveEdited { work_order } => {
                    order = WorkOrder { id: order.id, task: order.task, ..work_order }
                }
                WorkOrderDecision::Reject { reason } => {
                    order.status = WorkOrderStatus::Rejected { reason: reason.clone() };
                    self.journal.record_project(self.project.id, Record::WorkOrder(order)).await;
                    return Err(Cut::Blocked(format!("the work order was rejected: {reason}")));
                }
            }
        }
        order.status = WorkOrderStatus::Approved;
        self.journal.record_project(self.project.id, Record::WorkOrder(order.clone())).await;
        Ok(order)
    }

    /// Work: the checks the order names (else the project's) take the baseline, then the Worker
    /// carries out the order.
    async fn work(&mut self, task: &Task, order: &WorkOrder, stop: &Stop) -> Result<Worked, Cut> {
        let timeout = Duration::from_secs(self.config.settings.check_timeout_secs);
        let setup = check_setup(self.journal.store.reader(), self.project.id, timeout);
        let checks = setup.order_checks(&order.validation, self.workspace.root());
        let baseline = Baseline::record(&setup.run(&self.workspace, &checks).await);
        let brief = format!("# Task {} {}\n\n{}", task.key, task.title, order.brief());
        self.worker.context.task_brief = Some(brief.clone());
        self.worker.compaction_tier = 0;
        self.worker.push_user(format!("{brief}\nCarry out this work order."));
        let mut host = self.host(&self.worker.session.clone(), Role::Worker, Some(task.id));
        let outcome =
            run_turn(&self.config.worker, &mut self.worker, &mut host, &self.config.budget, stop, &self.journal).await;
        match outcome {
            TurnOutcome::Stopped => Err(Cut::Stopped),
            TurnOutcome::Failed(e) => Err(Cut::Halt(LoopError::Provider(e))),
            outcome => Ok(Worked {
                brief,
                setup,
                checks,
                baseline,
                outcome,
                changesets: host.changesets,
                question: host.question,
            }),
        }
    }

    /// Judge: the checks run again against the baseline, and the receipt says where the task goes:
    /// blocked on the Worker's question, failed when its budget ran out, else as the checks say.
    async fn judge(&self, task: &Task, worked: Worked, usage: Usage) -> Judgement {
        let results = worked.setup.run(&self.workspace, &worked.checks).await;
        let comparison = baseline::compare(&worked.baseline, &results);
        let mut receipt = receipts::receipt(Work {
            subject: ReceiptSubject::Task { task: task.id },
            asked: &worked.brief,
            changesets: &worked.changesets,
            results: &results,
            comparison: &comparison,
            usage,
        });
        let (to, reason) = if let Some(question) = &worked.question {
            receipt.verdict = Verdict::Blocked;
            (TaskStatus::Blocked, format!("the Worker asks: {question}"))
        } else if let TurnOutcome::BudgetExhausted(kind) = &worked.outcome {
            receipt.verdict = Verdict::Failed;
            (TaskStatus::Failed, format!("the Worker ran out of its {kind:?} budget; {}", comparison.summary))
        } else {
            receipts::task_status(&receipt, &results)
        };
        receipt.summary = if to == TaskStatus::Done { comparison.summary.clone() } else { reason.clone() };
        Judgement { receipt, to, reason, changesets: worked.changesets }
    }

    /// Settle: a done task's box is ticked and its accepted changes committed (when verified), the
    /// receipt is issued and learnt from, and the task moves where it says; a failed one with
    /// attempts left is ready again.
    async fn settle(&self, mut task: Task, spec: Option<&Spec>, judgement: Judgement) -> TaskEnd {
        let Judgement { mut receipt, to, reason, changesets } = judgement;
        if to == TaskStatus::Done {
            let tick = self.tick(&task, spec).await;
            receipt.commit = Some(self.commit_task(&task, spec, &receipt, &changesets, tick).await);
        }
        self.journal.record_project(self.project.id, Record::Receipt(receipt.clone())).await;
        self.journal.emit(Event::ReceiptIssued { receipt: receipt.clone() });
        self.remember(&task, &receipt).await;
        let reason = (to != TaskStatus::Done).then_some(reason);
        if let Err(e) = self.tasks.transition(&mut task, to, reason).await {
            return TaskEnd::Halt(e.into());
        }
        match to {
            TaskStatus::Done => TaskEnd::Done,
            TaskStatus::Failed => {
                if task.attempts < self.config.settings.max_attempts
                    && let Err(e) = self.tasks.transition(&mut task, TaskStatus::Ready, None).await
                {
                    return TaskEnd::Halt(e.into());
                }
                TaskEnd::Failed
            }
            _ => TaskEnd::Blocked,
        }
    }

    /// What the Planner and Worker spent since `before` (their running totals then).
    fn spent_since(&self, before: (Usage, Usage)) -> Usage {
        let mut usage = diff_usage(self.planner.usage, before.0);
        usage += diff_usage(self.worker.usage, before.1);
        usage
    }

    /// Saves what the attempt taught: the automatic entries, and warnings for repeated failures.
    async fn remember(&self, task: &Task, receipt: &Receipt) {
        let known = memory::entries(self.journal.store.reader(), self.project.id).unwrap_or_default();
        for entry in memory::after_task(self.project.id, &task.key, receipt, &known) {
            if self.journal.store.put(entry.clone()).await.is_ok() {
                self.journal.emit(Event::MemoryChanged { entry, deleted: false });
            }
        }
    }

    /// Proposes ticking the task's box in its spec (applied at once under autopilot); the tick when
    /// it was applied at once, so the task's commit holds it.
    async fn tick(&self, task: &Task, spec: Option<&Spec>) -> Option<ChangeSet> {
        let spec = spec?;
        let path = spec.path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(self.workspace.root().join(&path)).ok()?;
        let open = format!("- [ ] {} ", task.key);
        let line = text.lines().find(|l| l.starts_with(&open))?;
        let input = crate::tools::registry::ToolInput::Replace {
            path,
            old: line.to_string(),
            new: line.replacen("- [ ]", "- [x]", 1),
            replace_all: false,
        };
        let changes = crate::tools::registry::plan_edit(&self.workspace, &input).ok()?;
        let changeset = crate::domain::ChangeSet::new(None, format!("tick {}", task.key), changes);
        // Nobody waits for the tick: it is applied, or left in Review for the user.
        match self.review.propose(changeset, false).await {
            Ok(Proposal::Decided(decided)) => Some(decided.changeset),
            Ok(Proposal::Waiting(_)) => None,
            Err(e) => {
                tracing::warn!("the box of {} was not ticked: {e}", task.key);
                None
            }
        }
    }

    /// Stopped mid-task: blocked when the user asked to block it, else back to ready without
    /// counting the attempt.
    async fn put_back(&self, mut task: Task) -> TaskEnd {
        let blocked = self.controls.block.borrow().as_ref().filter(|(t, _)| *t == task.id).map(|(_, r)| r.clone());
        if let Some(reason) = blocked {
            self.controls.block.send_replace(None);
            return self.block(task, reason).await;
        }
        match self.tasks.release(&mut task, "stopped by the user").await {
            Ok(()) => TaskEnd::Stopped,
            Err(e) => TaskEnd::Halt(e.into()),
        }
    }

    /// The provider or the store failed: the task goes back to ready and the loop stops for the user.
    async fn halt(&self, mut task: Task, why: LoopError) -> TaskEnd {
        let _ = self.tasks.release(&mut task, &why.to_string()).await;
        TaskEnd::Halt(why)
    }

    async fn block(&self, mut task: Task, reason: String) -> TaskEnd {
        match self.tasks.transition(&mut task, TaskStatus::Blocked, Some(reason)).await {
            Ok(()) => TaskEnd::Blocked,
            Err(e) => TaskEnd::Halt(e.into()),
        }
    }
}

fn diff_usage(now: Usage, before: Usage) -> Usage {
    Usage {
        cached_input_tokens: now.cached_input_tokens - before.cached_input_tokens,
        input_tokens: now.input_tokens - before.input_tokens,
        cache_write_tokens: now.cache_write_tokens - before.cache_write_tokens,
        output_tokens: now.output_tokens - before.output_tokens,
        cost_usd: now.cost_usd.map(|c| c - before.cost_usd.unwrap_or(0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_a_task_is_the_difference_of_the_running_totals() {
        let before = Usage {
            input_tokens: 10,
            cached_input_tokens: 5,
            output_tokens: 1,
            cost_usd: Some(0.5),
            ..Usage::default()
        };
        let now = Usage {
            input_tokens: 25,
            cached_input_tokens: 105,
            output_tokens: 4,
            cost_usd: Some(0.75),
            ..Usage::default()
        };
        let d = diff_usage(now, before);
        assert_eq!((d.input_tokens, d.cached_input_tokens, d.output_tokens), (15, 100, 3));
        assert_eq!(d.cost_usd, Some(0.25));
    }
}
