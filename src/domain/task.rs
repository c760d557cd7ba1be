//! Projects, specs and tasks, and the one table that says how a task's status may change.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::id::{ProjectId, SpecId, TaskId};
use super::now_millis;

/// A workspace folder the user opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub root: PathBuf,
    pub created_at: u64,
    pub opened_at: u64,
}

impl Project {
    pub fn new(name: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        let now = now_millis();
        Project { id: ProjectId::new(), name: name.into(), root: root.into(), created_at: now, opened_at: now }
    }
}

/// One spec file (`specs/NN-name.md`); `order` is its NN and decides which spec's tasks run first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    pub id: SpecId,
    pub project: ProjectId,
    pub order: u32,
    pub title: String,
    /// Path relative to the workspace root.
    pub path: PathBuf,
    pub created_at: u64,
}

/// Where a task is in its life. See [`TaskStatus::can_move_to`] for the allowed moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Ready,
    InProgress,
    Done,
    Failed,
    Blocked,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::Pending,
        TaskStatus::Ready,
        TaskStatus::InProgress,
        TaskStatus::Done,
        TaskStatus::Failed,
        TaskStatus::Blocked,
    ];

    /// The whole lifecycle in one place:
    /// pending → ready → in_progress → done | failed | blocked, and failed | blocked → ready (a retry).
    const TRANSITIONS: [(TaskStatus, TaskStatus); 7] = [
        (TaskStatus::Pending, TaskStatus::Ready),
        (TaskStatus::Ready, TaskStatus::InProgress),
        (TaskStatus::InProgress, TaskStatus::Done),
        (TaskStatus::InProgress, TaskStatus::Failed),
        (TaskStatus::InProgress, TaskStatus::Blocked),
        (TaskStatus::Failed, TaskStatus::Ready),
        (TaskStatus::Blocked, TaskStatus::Ready),
    ];

    pub fn can_move_to(self, to: TaskStatus) -> bool {
        Self::TRANSITIONS.contains(&(self, to))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Ready => "ready",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
            TaskStatus::Blocked => "blocked",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An illegal status change, naming the task and both states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {task} cannot move from {from} to {to}")]
pub struct TransitionError {
    pub task: String,
    pub from: TaskStatus,
    pub to: TaskStatus,
}

/// A unit of work extracted from a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub spec: SpecId,
    /// Position within its spec (1-based); with the spec's order it gives the run order.
    pub order: u32,
    /// The human key the spec uses, like `02.3`.
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub status: TaskStatus,
    #[serde(default)]
    pub depends_on: Vec<TaskId>,
    #[serde(default)]
    pub attempts: u32,
    pub updated_at: u64,
}

impl Task {
    pub fn new(spec: SpecId, order: u32, key: impl Into<String>, title: impl Into<String>) -> Self {
        Task {
            id: TaskId::new(),
            spec,
            order,
            key: key.into(),
            title: title.into(),
            description: String::new(),
            status: TaskStatus::Pending,
            depends_on: Vec::new(),
            attempts: 0,
            updated_at: now_millis(),
        }
    }

    /// `02.3 Map growth`: how errors and logs name a task.
    pub fn label(&self) -> String {
        format!("{} {}", self.key, self.title)
    }

    /// Moves the task to `to` if the lifecycle allows it; a retry (back to ready from failed) counts
    /// as a new attempt when the task next starts.
    pub fn move_to(&mut self, to: TaskStatus) -> Result<(), TransitionError> {
        if !self.status.can_move_to(to) {
            return Err(TransitionError { task: self.label(), from: self.status, to });
        }
        if to == TaskStatus::InProgress {
            self.attempts += 1;
        }
        self.status = to;
        self.updated_at = now_millis();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table_allows_exactly_the_lifecycle() {
        use TaskStatus::*;
        let allowed = [
            (Pending, Ready),
            (Ready, InProgress),
            (InProgress, Done),
            (InProgress, Failed),
            (InProgress, Blocked),
            (Failed, Ready),
            (Blocked, Ready),
        ];
        for from in TaskStatus::ALL {
            for to in TaskStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to} is wrongly {}",
                    if from.can_move_to(to) { "allowed" } else { "refused" }
                );
            }
        }
    }

    #[test]
    fn an_illegal_move_names_both_states_and_changes_nothing() {
        let mut task = Task::new(SpecId::new(), 1, "01.1", "Ids");
        let err = task.move_to(TaskStatus::Done).unwrap_err();
        assert_eq!(err.to_string(), "task 01.1 Ids cannot move from pending to done");
        assert_eq!(task.status, TaskStatus::Pending);
    }

    #[test]
    fn a_retry_counts_a_new_attempt() {
        let mut task = Task::new(SpecId::new(), 1, "01.1", "Ids");
        for to in [TaskStatus::Ready, TaskStatus::InProgress, TaskStatus::Failed, TaskStatus::Ready] {
            task.move_to(to).unwrap();
        }
        assert_eq!(task.attempts, 1);
        task.move_to(TaskStatus::InProgress).unwrap();
        assert_eq!(task.attempts, 2);
    }

    #[test]
    fn status_text_matches_the_wire_form() {
        for status in TaskStatus::ALL {
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{status}\""));
        }
    }
}
