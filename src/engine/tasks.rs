//! Tasks from specs: the parsed spec files merged with what the store already knows (the store is
//! the source of truth for status once a task exists), dependencies mapped from keys to ids, and
//! the whole list checked into a [`TaskGraph`]. Unknown references, forward references, duplicate
//! keys and cycles are problems with their file and line, never dropped.

use std::collections::HashMap;

use crate::domain::{GraphError, ProjectId, Spec, SpecId, Task, TaskGraph, TaskStatus, now_millis};

use super::specs::{ParsedSpec, ParsedTask, SpecProblem};

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
    let mut id_of: HashMap<&str, crate::domain::TaskId> = HashMap::new();
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
