//! The task graph: explicit `depends_on` edges between tasks, checked once when built (no unknown
//! references, no cycles), then driven by status changes that unlock exactly the tasks whose
//! dependencies are all done.

use std::collections::HashMap;

use super::id::{SpecId, TaskId};
use super::task::{Spec, Task, TaskStatus, TransitionError};

/// A dependency that points at no task in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReference {
    /// The task that holds the reference, as `key title`.
    pub task: String,
    pub missing: TaskId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("{}", describe_unknown(.0))]
    UnknownReferences(Vec<UnknownReference>),
    #[error("tasks depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("task {task} belongs to a spec that is not in this project")]
    UnknownSpec { task: String },
    #[error("two tasks share the id {0}")]
    DuplicateTask(TaskId),
    #[error("no task with id {0}")]
    NoSuchTask(TaskId),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

fn describe_unknown(refs: &[UnknownReference]) -> String {
    let items: Vec<String> = refs.iter().map(|r| format!("{} depends on unknown task {}", r.task, r.missing)).collect();
    format!("{} unknown task reference(s): {}", refs.len(), items.join("; "))
}

/// Tasks of one project with their dependency edges, in run order (spec order, then task order).
#[derive(Debug, Clone)]
pub struct TaskGraph {
    /// Sorted by (spec order, task order): iteration order is next-ready order.
    tasks: Vec<Task>,
    index: HashMap<TaskId, usize>,
    /// For each task, the tasks that depend on it.
    dependents: HashMap<TaskId, Vec<TaskId>>,
}

impl TaskGraph {
    /// Checks the tasks and builds the graph. Every unknown reference is reported (none is dropped),
    /// and a cycle is reported with the tasks on it. Pending tasks whose dependencies are all done
    /// become ready.
    pub fn build(specs: &[Spec], tasks: Vec<Task>) -> Result<TaskGraph, GraphError> {
        let spec_order: HashMap<SpecId, u32> = specs.iter().map(|s| (s.id, s.order)).collect();
        let mut keyed = Vec::with_capacity(tasks.len());
        for task in tasks {
            let Some(&order) = spec_order.get(&task.spec) else {
                return Err(GraphError::UnknownSpec { task: task.label() });
            };
            keyed.push(((order, task.order), task));
        }
        keyed.sort_by_key(|(key, _)| *key);
        let tasks: Vec<Task> = keyed.into_iter().map(|(_, t)| t).collect();

        let mut index = HashMap::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            if index.insert(task.id, i).is_some() {
                return Err(GraphError::DuplicateTask(task.id));
            }
        }
        let unknown: Vec<UnknownReference> = tasks
            .iter()
            .flat_map(|t| {
                t.depends_on
                    .iter()
                    .filter(|d| !index.contains_key(d))
                    .map(|&missing| UnknownReference { task: t.label(), missing })
            })
            .collect();
        if !unknown.is_empty() {
            return Err(GraphError::UnknownReferences(unknown));
        }

        let mut dependents: HashMap<TaskId, Vec<TaskId>> = HashMap::new();
        for task in &tasks {
            for dep in &task.depends_on {
                dependents.entry(*dep).or_default().push(task.id);
            }
        }
        let mut graph = TaskGraph { tasks, index, dependents };
        if let Some(cycle) = graph.find_cycle() {
            return Err(GraphError::Cycle(cycle));
        }
        graph.promote_ready();
        Ok(graph)
    }

    /// Depth-first search with colours; returns the labels along the first cycle found, closed by
    /// repeating its first task.
    fn find_cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Unseen,
            OnPath,
            Finished,
        }
        let mut marks = vec![Mark::Unseen; self.tasks.len()];
        for start in 0..self.tasks.len() {
            if marks[start] != Mark::Unseen {
                continue;
            }
            // Each frame: (task index, next dependency to look at). `path` mirrors the stack.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            marks[start] = Mark::OnPath;
            while let Some(frame) = stack.last_mut() {
                let (node, next) = *frame;
                let deps = &self.tasks[node].depends_on;
                if next == deps.len() {
                    marks[node] = Mark::Finished;
                    stack.pop();
                    continue;
                }
                frame.1 += 1;
                let dep = self.index[&deps[next]];
                match marks[dep] {
                    Mark::Unseen => {
                        marks[dep] = Mark::OnPath;
                        stack.push((dep, 0));
                    }
                    Mark::OnPath => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[from..].iter().map(|(n, _)| self.tasks[*n].label()).collect();
                        cycle.push(self.tasks[dep].label());
                        return Some(cycle);
                    }
                    Mark::Finished => {}
                }
            }
        }
        None
    }

    fn dependencies_done(&self, task: &Task) -> bool {
        task.depends_on.iter().all(|d| self.tasks[self.index[d]].status == TaskStatus::Done)
    }

    /// Makes every pending task whose dependencies are all done ready; returns those tasks.
    fn promote_ready(&mut self) -> Vec<TaskId> {
        let promotable: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| self.tasks[i].status == TaskStatus::Pending && self.dependencies_done(&self.tasks[i]))
            .collect();
        self.make_ready(promotable)
    }

    fn make_ready(&mut self, positions: Vec<usize>) -> Vec<TaskId> {
        positions
            .into_iter()
            .filter_map(|i| {
                let task = &mut self.tasks[i];
                task.move_to(TaskStatus::Ready).ok().map(|_| task.id)
            })
            .collect()
    }

    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    pub fn get(&self, id: TaskId) -> Option<&Task> {
        self.index.get(&id).map(|&i| &self.tasks[i])
    }

    /// The ready tasks in run order: spec order, then task order.
    pub fn ready(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.status == TaskStatus::Ready)
    }

    /// The task the dev loop should claim next.
    pub fn next_ready(&self) -> Option<&Task> {
        self.ready().next()
    }

    /// Moves a task along its lifecycle. When it becomes done, returns the dependents that became
    /// ready: exactly those whose dependencies are now all done.
    pub fn transition(&mut self, id: TaskId, to: TaskStatus) -> Result<Vec<TaskId>, GraphError> {
        let &i = self.index.get(&id).ok_or(GraphError::NoSuchTask(id))?;
        self.tasks[i].move_to(to)?;
        if to != TaskStatus::Done {
            return Ok(Vec::new());
        }
        let unlocked: Vec<usize> = self
            .dependents
            .get(&id)
            .into_iter()
            .flatten()
            .map(|d| self.index[d])
            .filter(|&d| self.tasks[d].status == TaskStatus::Pending && self.dependencies_done(&self.tasks[d]))
            .collect();
        Ok(self.make_ready(unlocked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProjectId;
    use std::path::PathBuf;

    fn spec(order: u32) -> Spec {
        Spec {
            id: SpecId::new(),
            project: ProjectId::new(),
            order,
            title: format!("spec {order}"),
            path: PathBuf::from(format!("specs/{order:02}-x.md")),
            created_at: 0,
        }
    }

    fn task(spec: &Spec, order: u32, deps: &[&Task]) -> Task {
        let mut t = Task::new(spec.id, order, format!("{:02}.{order}", spec.order), format!("task {order}"));
        t.depends_on = deps.iter().map(|d| d.id).collect();
        t
    }

    fn finish(graph: &mut TaskGraph, id: TaskId) -> Vec<TaskId> {
        graph.transition(id, TaskStatus::InProgress).unwrap();
        graph.transition(id, TaskStatus::Done).unwrap()
    }

    #[test]
    fn next_ready_follows_spec_order_then_task_order() {
        let (s1, s2) = (spec(1), spec(2));
        // Given out of order on purpose.
        let tasks = vec![task(&s2, 1, &[]), task(&s1, 2, &[]), task(&s1, 1, &[])];
        let graph = TaskGraph::build(&[s2.clone(), s1.clone()], tasks).unwrap();
        let order: Vec<&str> = graph.ready().map(|t| t.key.as_str()).collect();
        assert_eq!(order, ["01.1", "01.2", "02.1"]);
        assert_eq!(graph.next_ready().unwrap().key, "01.1");
    }

    #[test]
    fn finishing_a_task_readies_exactly_the_dependents_whose_dependencies_are_done() {
        let s = spec(1);
        let a = task(&s, 1, &[]);
        let b = task(&s, 2, &[]);
        let only_a = task(&s, 3, &[&a]);
        let a_and_b = task(&s, 4, &[&a, &b]);
        let after_only_a = task(&s, 5, &[&only_a]);
        let ids = [a.id, b.id, only_a.id, a_and_b.id, after_only_a.id];
        let mut graph = TaskGraph::build(&[s], vec![a, b, only_a, a_and_b, after_only_a]).unwrap();
        assert_eq!(graph.ready().map(|t| t.id).collect::<Vec<_>>(), [ids[0], ids[1]]);

        assert_eq!(finish(&mut graph, ids[0]), [ids[2]]);
        assert_eq!(graph.get(ids[3]).unwrap().status, TaskStatus::Pending);
        assert_eq!(finish(&mut graph, ids[1]), [ids[3]]);
        assert_eq!(finish(&mut graph, ids[2]), [ids[4]]);
    }

    #[test]
    fn a_failed_dependency_unlocks_nothing_until_retried_and_done() {
        let s = spec(1);
        let a = task(&s, 1, &[]);
        let b = task(&s, 2, &[&a]);
        let (a_id, b_id) = (a.id, b.id);
        let mut graph = TaskGraph::build(&[s], vec![a, b]).unwrap();
        graph.transition(a_id, TaskStatus::InProgress).unwrap();
        assert!(graph.transition(a_id, TaskStatus::Failed).unwrap().is_empty());
        assert_eq!(graph.get(b_id).unwrap().status, TaskStatus::Pending);
        graph.transition(a_id, TaskStatus::Ready).unwrap();
        assert_eq!(finish(&mut graph, a_id), [b_id]);
    }

    #[test]
    fn a_cycle_is_rejected_naming_the_tasks_in_it() {
        let s = spec(3);
        let mut a = task(&s, 1, &[]);
        let b = task(&s, 2, &[&a]);
        let c = task(&s, 3, &[&b]);
        let free = task(&s, 4, &[]);
        a.depends_on.push(c.id);
        let err = TaskGraph::build(&[s], vec![free, a, b, c]).unwrap_err();
        let GraphError::Cycle(names) = &err else { panic!("expected a cycle, got {err}") };
        assert_eq!(names.len(), 4, "three tasks, closed by repeating the first: {names:?}");
        assert_eq!(names.first(), names.last());
        for key in ["03.1", "03.2", "03.3"] {
            assert!(err.to_string().contains(key), "{err} should name {key}");
        }
        assert!(!err.to_string().contains("03.4"));
    }

    #[test]
    fn a_self_dependency_is_a_cycle() {
        let s = spec(1);
        let mut a = task(&s, 1, &[]);
        a.depends_on.push(a.id);
        assert!(matches!(TaskGraph::build(&[s], vec![a]), Err(GraphError::Cycle(c)) if c.len() == 2));
    }

    #[test]
    fn every_unknown_reference_is_reported() {
        let s = spec(1);
        let ghost1 = TaskId::new();
        let ghost2 = TaskId::new();
        let mut a = task(&s, 1, &[]);
        a.depends_on = vec![ghost1];
        let mut b = task(&s, 2, &[&a]);
        b.depends_on.push(ghost2);
        let err = TaskGraph::build(&[s], vec![a, b]).unwrap_err();
        let GraphError::UnknownReferences(refs) = &err else { panic!("got {err}") };
        assert_eq!(refs.iter().map(|r| r.missing).collect::<Vec<_>>(), [ghost1, ghost2]);
        assert!(err.to_string().starts_with("2 unknown task reference(s): 01.1 task 1 depends on unknown"));
    }

    #[test]
    fn a_task_of_an_unknown_spec_is_reported() {
        let s = spec(1);
        let stray = task(&spec(9), 1, &[]);
        assert!(matches!(TaskGraph::build(&[s], vec![stray]), Err(GraphError::UnknownSpec { .. })));
    }

    #[test]
    fn illegal_moves_through_the_graph_are_refused() {
        let s = spec(1);
        let a = task(&s, 1, &[]);
        let id = a.id;
        let mut graph = TaskGraph::build(&[s], vec![a]).unwrap();
        let err = graph.transition(id, TaskStatus::Done).unwrap_err();
        assert_eq!(err.to_string(), "task 01.1 task 1 cannot move from ready to done");
        assert!(matches!(graph.transition(TaskId::new(), TaskStatus::Ready), Err(GraphError::NoSuchTask(_))));
    }

    #[test]
    fn reloaded_tasks_keep_their_status() {
        let s = spec(1);
        let mut a = task(&s, 1, &[]);
        a.status = TaskStatus::Done;
        let b = task(&s, 2, &[&a]);
        let b_id = b.id;
        let graph = TaskGraph::build(&[s], vec![a, b]).unwrap();
        assert_eq!(graph.next_ready().unwrap().id, b_id);
    }
}
