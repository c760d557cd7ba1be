//! A project's tasks. From specs: the parsed spec files merged with what the store already knows
//! (the store is the source of truth for status once a task exists), dependencies mapped from keys
//! to ids, and the whole list checked into a [`TaskGraph`]; unknown references, forward
//! references, duplicate keys and cycles are problems with their file and line, never dropped.
//! In the store: the [`TaskBook`] reads them, syncs them from the spec files, and moves them
//! between statuses with their transition records.

use std::collections::HashMap;
use std::path::Path;

use crate::domain::{
    GraphError, ProjectId, Receipt, ReceiptSubject, Record, Spec, SpecId, Task, TaskGraph, TaskId, TaskStatus,
    now_millis,
};
use crate::protocol::Event;
use crate::store::StoreError;

use super::Journal;
use super::specs::{self, ParsedSpec, ParsedTask, SpecProblem};

/// The reason recorded on a task that was in progress when Aura stopped.
pub const INTERRUPTED: &str = "interrupted: Aura stopped during this task";

/// Why a project's tasks could not be read or moved.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored task list is invalid: {0}")]
    InvalidList(GraphError),
    /// The move is not one a task can make, or the task is gone.
    #[error(transparent)]
    Refused(#[from] GraphError),
    #[error("the task's status could not be stored: {0}")]
    NotStored(StoreError),
}

/// The project's specs and tasks after a sync, in run order.
#[derive(Debug, Clone)]
pub struct TaskList {
    pub specs: Vec<Spec>,
    pub tasks: Vec<Task>,
    /// Things to tell the user that do not stop the loop (a stored task whose line is gone).
    pub notes: Vec<String>,
}

/// Merges the parsed specs with the stored ones and checks the result.
pub fn merge(
    project: ProjectId,
    parsed: &[ParsedSpec],
    stored_specs: &[Spec],
    stored_tasks: &[Task],
) -> Result<TaskList, Vec<SpecProblem>> {
    let mut problems = Vec::new();
    let mut where_is: HashMap<&str, (&ParsedSpec, &ParsedTask)> = HashMap::new();
    for spec in parsed {
        for task in &spec.tasks {
            if let Some((other, first)) = where_is.insert(&task.key, (spec, task)) {
                problems.push(SpecProblem {
                    path: spec.path.clone(),
                    line: task.line,
                    message: format!("task {} is listed twice (also {}:{})", task.key, other.path, first.line),
                });
            }
        }
    }
    for spec in parsed {
        for task in &spec.tasks {
            for dep in &task.depends_on {
                let problem = |message: String| SpecProblem { path: spec.path.clone(), line: task.line, message };
                match where_is.get(dep.as_str()) {
                    None => problems.push(problem(format!("{} depends on {dep}, which no spec lists", task.key))),
                    Some((dep_spec, _)) if dep_spec.number > spec.number => problems.push(problem(format!(
                        "{} depends on {dep} from a later spec ({}); a task may depend only on the same or an earlier spec",
                        task.key, dep_spec.path
                    ))),
                    Some(_) => {}
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut specs = Vec::with_capacity(parsed.len());
    let mut tasks = Vec::new();
    let spec_by_path: HashMap<String, &Spec> =
        stored_specs.iter().map(|s| (s.path.to_string_lossy().into_owned(), s)).collect();
    let task_by_key: HashMap<&str, &Task> = stored_tasks.iter().map(|t| (t.key.as_str(), t)).collect();
    let mut id_of: HashMap<&str, TaskId> = HashMap::new();
    for p in parsed {
        let mut spec = match spec_by_path.get(&p.path) {
            Some(s) => (*s).clone(),
            None => Spec {
                id: SpecId::new(),
                project,
                order: p.number,
                title: String::new(),
                path: p.path.clone().into(),
                created_at: now_millis(),
            },
        };
        spec.order = p.number;
        spec.title = p.title.clone();
        for pt in &p.tasks {
            let mut task = match task_by_key.get(pt.key.as_str()) {
                Some(t) => (*t).clone(),
                None => {
                    let mut t = Task::new(spec.id, pt.order, &pt.key, &pt.title);
                    t.status = if pt.done { TaskStatus::Done } else { TaskStatus::Pending };
                    t
                }
            };
            task.spec = spec.id;
            task.order = pt.order;
            task.title = pt.title.clone();
            id_of.insert(&pt.key, task.id);
            tasks.push(task);
        }
        specs.push(spec);
    }
    for (task, pt) in tasks.iter_mut().zip(parsed.iter().flat_map(|p| p.tasks.iter())) {
        task.depends_on = pt.depends_on.iter().map(|k| id_of[k.as_str()]).collect();
    }
    let notes = stored_tasks
        .iter()
        .filter(|t| !id_of.contains_key(t.key.as_str()) && stored_specs.iter().any(|s| s.id == t.spec))
        .map(|t| format!("task {} ({}) is no longer in any spec; it is kept as it was", t.key, t.title))
        .collect();

    match TaskGraph::build(&specs, tasks) {
        Ok(graph) => Ok(TaskList { specs, tasks: graph.tasks().to_vec(), notes }),
        Err(GraphError::Cycle(labels)) => {
            let keys: Vec<&str> = labels.iter().filter_map(|l| l.split_whitespace().next()).collect();
            let (spec, task) = where_is[keys[0]];
            Err(vec![SpecProblem {
                path: spec.path.clone(),
                line: task.line,
                message: format!("tasks depend on each other in a cycle: {}", keys.join(" → ")),
            }])
        }
        Err(other) => Err(vec![SpecProblem { path: "specs/".into(), line: 0, message: other.to_string() }]),
    }
}

/// A project's tasks as the store keeps them: read in run order, synced from the spec files,
/// moved between statuses (each move committed with the dependents it readies and its transition
/// records, then announced), and the receipts their attempts left.
pub struct TaskBook {
    journal: Journal,
    project: ProjectId,
}

impl TaskBook {
    pub fn new(journal: &Journal, project: ProjectId) -> TaskBook {
        TaskBook { journal: journal.clone(), project }
    }

    /// The project's specs and the tasks that belong to them, as stored.
    fn stored(&self) -> Result<(Vec<Spec>, Vec<Task>), StoreError> {
        let reader = self.journal.store.reader();
        let specs: Vec<Spec> = reader.list::<Spec>()?.items.into_iter().filter(|s| s.project == self.project).collect();
        let tasks = reader.list::<Task>()?.items.into_iter().filter(|t| specs.iter().any(|s| s.id == t.spec)).collect();
        Ok((specs, tasks))
    }

    /// The project's specs and tasks as stored, in run order.
    pub fn load(&self) -> Result<TaskList, TaskError> {
        let (mut specs, tasks) = self.stored()?;
        let graph = TaskGraph::build(&specs, tasks).map_err(TaskError::InvalidList)?;
        specs.sort_by_key(|s| s.order);
        Ok(TaskList { specs, tasks: graph.tasks().to_vec(), notes: Vec::new() })
    }

    /// Reads the spec files under `root` into the store's specs and tasks, in one commit.
    pub async fn sync(&self, root: &Path) -> Result<TaskList, Vec<SpecProblem>> {
        let parsed = specs::read_specs(root)?;
        let problem = |e: StoreError| vec![SpecProblem { path: "store".into(), line: 0, message: e.to_string() }];
        let (stored_specs, stored_tasks) = self.stored().map_err(problem)?;
        let list = merge(self.project, &parsed, &stored_specs, &stored_tasks)?;
        let (specs, tasks) = (list.specs.clone(), list.tasks.clone());
        self.journal
            .store
            .write(move |w| {
                specs.iter().try_for_each(|s| w.put(s))?;
                tasks.iter().try_for_each(|t| w.put(t))
            })
            .await
            .map_err(problem)?;
        self.journal.emit(Event::SpecsChanged {
            project: self.project,
            specs: list.specs.clone(),
            tasks: list.tasks.clone(),
        });
        Ok(list)
    }

    /// Moves a task, committing it, the dependents it readies and the transition records at once.
    pub async fn transition(&self, task: &mut Task, to: TaskStatus, reason: Option<String>) -> Result<(), TaskError> {
        self.move_task(task, to, reason, false).await
    }

    /// [`Self::transition`]; with `uncount`, the last attempt is taken back (it was interrupted,
    /// not tried).
    async fn move_task(
        &self,
        task: &mut Task,
        to: TaskStatus,
        reason: Option<String>,
        uncount: bool,
    ) -> Result<(), TaskError> {
        let list = self.load()?;
        let mut graph = TaskGraph::build(&list.specs, list.tasks)?;
        let from = graph.get(task.id).map(|t| t.status).unwrap_or(task.status);
        let readied = graph.transition(task.id, to)?;
        let mut moved: Vec<Task> =
            std::iter::once(task.id).chain(readied.iter().copied()).filter_map(|id| graph.get(id).cloned()).collect();
        if uncount && let Some(first) = moved.first_mut() {
            first.attempts = first.attempts.saturating_sub(1);
        }
        let at = now_millis();
        let records: Vec<Record> = moved
            .iter()
            .map(|t| {
                let (from, reason) = if t.id == task.id { (from, reason.clone()) } else { (TaskStatus::Pending, None) };
                Record::TaskTransition { task: t.id, from, to: t.status, at, reason }
            })
            .collect();
        let (put, log, id) = (moved.clone(), records.clone(), self.project);
        self.journal
            .store
            .write(move |w| {
                put.iter().try_for_each(|t| w.put(t))?;
                w.append(id, &log).map(|_| ())
            })
            .await
            .map_err(TaskError::NotStored)?;
        for (record, moved) in records.into_iter().zip(&moved) {
            if let Record::TaskTransition { task, from, to, reason, .. } = record {
                self.journal.emit(Event::TaskChanged { task, from, to, reason, attempts: moved.attempts });
            }
        }
        if let Some(updated) = moved.into_iter().find(|t| t.id == task.id) {
            *task = updated;
        }
        Ok(())
    }

    /// Returns an in-progress task to ready through failed, without counting the attempt.
    pub async fn release(&self, task: &mut Task, why: &str) -> Result<(), TaskError> {
        self.transition(task, TaskStatus::Failed, Some(why.to_string())).await?;
        self.move_task(task, TaskStatus::Ready, None, true).await
    }

    /// After a crash: every task still in progress was interrupted; it goes back to ready, and the
    /// interrupted attempt does not count. Done tasks are left alone.
    pub async fn recover(&self) -> Result<usize, TaskError> {
        let list = self.load()?;
        let interrupted: Vec<Task> = list.tasks.into_iter().filter(|t| t.status == TaskStatus::InProgress).collect();
        for mut task in interrupted.iter().cloned() {
            self.release(&mut task, INTERRUPTED).await?;
        }
        Ok(interrupted.len())
    }

    /// The receipts of a task's attempts, oldest first, from the project's log (none if it cannot
    /// be read).
    pub fn receipts(&self, task: TaskId) -> Vec<Receipt> {
        let Ok(page) = self.journal.store.reader().records_from(self.project, 1, usize::MAX) else { return Vec::new() };
        page.records
            .into_iter()
            .filter_map(|r| match r.record {
                Record::Receipt(receipt) if receipt.subject == (ReceiptSubject::Task { task }) => Some(receipt),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::specs::parse_spec;

    fn parsed(files: &[(&str, &str)]) -> Vec<ParsedSpec> {
        files.iter().map(|(p, t)| parse_spec(p, t).unwrap()).collect()
    }

    const ONE: &str = "# 01 — Core\n## Tasks\n- [x] 01.1 Crate\n- [ ] 01.2 Add (depends_on: 01.1)\n";
    const TWO: &str = "# 02 — More\n## Tasks\n- [ ] 02.1 Sub (depends_on: 01.2)\n- [ ] 02.2 Mul (depends_on: 01.1)\n";

    #[test]
    fn new_tasks_take_their_box_and_stored_tasks_keep_their_status() {
        let project = ProjectId::new();
        let specs = parsed(&[("specs/01-core.md", ONE), ("specs/02-more.md", TWO)]);
        let list = merge(project, &specs, &[], &[]).unwrap();
        let status: Vec<(&str, TaskStatus)> = list.tasks.iter().map(|t| (t.key.as_str(), t.status)).collect();
        assert_eq!(
            status,
            [
                ("01.1", TaskStatus::Done),
                ("01.2", TaskStatus::Ready),
                ("02.1", TaskStatus::Pending),
                ("02.2", TaskStatus::Ready)
            ]
        );
        let mut stored = list.tasks.clone();
        stored[1].status = TaskStatus::Done;
        let again = merge(project, &specs, &list.specs, &stored).unwrap();
        assert_eq!(again.tasks[1].id, list.tasks[1].id, "ids are kept by key");
        assert_eq!(again.tasks[1].status, TaskStatus::Done);
        assert_eq!(again.tasks[2].status, TaskStatus::Ready, "02.1 is unblocked by the stored status");
        let only_one = parsed(&[("specs/01-core.md", "# 01 — Core\n## Tasks\n- [x] 01.1 Crate\n")]);
        let shrunk = merge(project, &[only_one[0].clone(), specs[1].clone()], &list.specs, &stored);
        assert!(shrunk.is_err(), "02.1 now points at a task no spec lists");
    }

    #[test]
    fn unknown_forward_duplicate_and_cyclic_references_are_problems_with_lines() {
        let bad =
            "# 01 — Core\n## Tasks\n- [ ] 01.1 A (depends_on: 01.9)\n- [ ] 01.2 B (depends_on: 02.1)\n- [ ] 01.2 C\n";
        let two = "# 02 — More\n## Tasks\n- [ ] 02.1 D\n";
        let problems =
            merge(ProjectId::new(), &parsed(&[("specs/01-core.md", bad), ("specs/02-more.md", two)]), &[], &[])
                .unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|p| p.contains("specs/01-core.md:5: task 01.2 is listed twice")), "{text:?}");
        assert!(text.iter().any(|p| p.contains(":3: 01.1 depends on 01.9, which no spec lists")), "{text:?}");
        assert!(text.iter().any(|p| p.contains(":4: 01.2 depends on 02.1 from a later spec")), "{text:?}");
        let cycle = "# 01 — Core\n## Tasks\n- [ ] 01.1 A (depends_on: 01.2)\n- [ ] 01.2 B (depends_on: 01.1)\n";
        let problems = merge(ProjectId::new(), &parsed(&[("specs/01-core.md", cycle)]), &[], &[]).unwrap_err();
        assert!(problems[0].message.contains("cycle: 01.1 → 01.2 → 01.1"), "{problems:?}");
        assert_eq!(problems[0].line, 3);
    }
}
