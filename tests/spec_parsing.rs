//! Aura's own specs are its first real input: every file parses, every task line follows the
//! grammar, every dependency resolves to the same or an earlier spec, and the task graph builds.

use std::path::Path;

use aura::domain::ProjectId;
use aura::engine::specs::{read_specs, spec_paths};
use aura::engine::tasks::merge;

#[test]
fn this_repository_s_specs_parse_into_a_valid_task_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = spec_paths(root);
    assert_eq!(paths.len(), 11, "{paths:?}");
    let specs = read_specs(root).unwrap_or_else(|problems| {
        panic!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    let numbers: Vec<u32> = specs.iter().map(|s| s.number).collect();
    assert_eq!(numbers, (1..=11).collect::<Vec<u32>>());
    let task_lines = specs.iter().map(|s| s.tasks.len()).sum::<usize>();
    let text_lines: usize = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(root.join(p)).unwrap();
            let tasks = text.split("\n## Tasks").nth(1).unwrap_or("").split("\n## ").next().unwrap_or("").to_string();
            tasks.lines().filter(|l| l.starts_with("- [")).count()
        })
        .sum();
    assert_eq!(task_lines, text_lines, "every task line was read");
    assert!(task_lines > 60, "{task_lines}");
    let list = merge(ProjectId::new(), &specs, &[], &[]).unwrap_or_else(|problems| {
        panic!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    assert_eq!(list.tasks.len(), task_lines);
}
