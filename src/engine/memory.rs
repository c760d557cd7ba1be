//! Project memory: entries saved by agents, by the user, and by Aura when a task finishes, ranked
//! for a query with BM25 (the `bm25` crate) over text and tags. Pinned entries join every agent's
//! project context; a failure seen in two different tasks becomes a pinned warning.

use std::sync::LazyLock;

use bm25::{Document, SearchEngineBuilder, Tokenizer};
use regex::Regex;

use crate::domain::{MemoryEntry, MemorySource, ProjectId, Receipt};
use crate::store::{Store, StoreError};

/// Lower-cased words and identifiers; `snake_case` and `CamelCase` are also split into their parts,
/// so `parse_spec` matches a query for "spec".
struct Words;

impl Tokenizer for Words {
    fn tokenize(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()) {
            let lower = word.to_lowercase();
            let parts: Vec<&str> = lower.split('_').filter(|p| !p.is_empty()).collect();
            if parts.len() > 1 {
                out.extend(parts.iter().map(|p| p.to_string()));
            }
            out.push(lower);
        }
        out
    }
}

/// The project's entries, oldest first.
pub fn entries(store: &Store, project: ProjectId) -> Result<Vec<MemoryEntry>, StoreError> {
    let mut entries: Vec<MemoryEntry> =
        store.list::<MemoryEntry>()?.items.into_iter().filter(|e| e.project == project).collect();
    entries.sort_by_key(|e| e.at_ms);
    Ok(entries)
}

/// The `limit` entries that best match `query`, best first; entries matching nothing are left out.
pub fn search(entries: &[MemoryEntry], query: &str, limit: usize) -> Vec<MemoryEntry> {
    if entries.is_empty() || limit == 0 {
        return Vec::new();
    }
    let documents =
        entries.iter().enumerate().map(|(i, e)| Document::new(i, format!("{} {}", e.text, e.tags.join(" "))));
    let engine = SearchEngineBuilder::<usize, u32, Words>::with_tokenizer_and_documents(Words, documents).build();
    engine.search(query, limit).into_iter().filter(|r| r.score > 0.0).map(|r| entries[r.document.id].clone()).collect()
}

/// How results read for a model.
pub fn render(found: &[MemoryEntry]) -> String {
    if found.is_empty() {
        return "no memory entries match".to_string();
    }
    found.iter().map(|e| format!("- {} [{}]\n", e.text, e.tags.join(", "))).collect()
}

/// The texts pinned entries put into the project context.
pub fn pinned(entries: &[MemoryEntry]) -> Vec<String> {
    entries.iter().filter(|e| e.pinned).map(|e| e.text.clone()).collect()
}

/// Layer 2 as every agent of a project starts with it: the workspace's AGENTS.md and the pinned
/// memory (unreadable memory leaves it out rather than stopping the agent).
pub fn project_context(store: &Store, project: ProjectId, root: &std::path::Path) -> super::prompt::ProjectContext {
    super::prompt::ProjectContext {
        agents_md: super::prompt::ProjectContext::load_agents_md(root),
        pinned_memory: entries(store, project).map(|e| pinned(&e)).unwrap_or_default(),
        ..Default::default()
    }
}

static NUMBERS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("valid regex"));
static PATHS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:/[\w.\-]+)+/([\w.\-]+)").expect("valid regex"));

/// What identifies a failure across tasks: the failing test's name, or the first error line with
/// paths cut to their file name and numbers replaced.
pub fn failure_signature(receipt: &Receipt) -> Option<String> {
    let run = receipt.commands.iter().find(|c| c.outcome != crate::domain::OutcomeClass::Passed)?;
    if let Some(test) = run.failing_tests.first() {
        return Some(format!("`{}` fails test {test}", run.command));
    }
    let line = receipt.summary.lines().next()?;
    let line = PATHS.replace_all(line, "$1");
    Some(format!("`{}`: {}", run.command, NUMBERS.replace_all(&line, "N")))
}

const FAILURE_TAG: &str = "failure";
pub const WARNING_TAG: &str = "warning";

/// Entries to save after a task's attempt: what it changed and decided when it was done, its failure
/// when it failed, and a pinned warning when the same failure was already seen in another task.
pub fn after_task(project: ProjectId, key: &str, receipt: &Receipt, known: &[MemoryEntry]) -> Vec<MemoryEntry> {
    let mut out = Vec::new();
    match receipt.verdict {
        crate::domain::Verdict::Verified | crate::domain::Verdict::Unverified => {
            let files = if receipt.files_changed.is_empty() {
                "no files".to_string()
            } else {
                receipt.files_changed.join(", ")
            };
            out.push(MemoryEntry::new(
                project,
                format!("Task {key} done ({}): changed {files}.", receipt.summary),
                vec!["task".into(), key.to_string()],
                MemorySource::Auto,
            ));
        }
        crate::domain::Verdict::Failed | crate::domain::Verdict::Blocked => {
            let Some(signature) = failure_signature(receipt) else { return out };
            let seen_elsewhere = known.iter().any(|e| {
                e.tags.iter().any(|t| t == FAILURE_TAG)
                    && e.text.ends_with(&signature)
                    && !e.tags.iter().any(|t| t == key)
            });
            let warned = known.iter().any(|e| e.pinned && e.text.contains(&signature));
            out.push(MemoryEntry::new(
                project,
                format!("Task {key} failed: {signature}"),
                vec![FAILURE_TAG.into(), key.to_string()],
                MemorySource::Auto,
            ));
            if seen_elsewhere && !warned {
                let mut warning = MemoryEntry::new(
                    project,
                    format!("Repeated failure across tasks; check for it before finishing: {signature}"),
                    vec![WARNING_TAG.into()],
                    MemorySource::Auto,
                );
                warning.pinned = true;
                out.push(warning);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CommandRun, OutcomeClass, ReceiptId, ReceiptSubject, TaskId, Usage, Verdict};

    fn entry(text: &str, tags: &[&str]) -> MemoryEntry {
        MemoryEntry::new(ProjectId::new(), text, tags.iter().map(|t| t.to_string()).collect(), MemorySource::User)
    }

    #[test]
    fn bm25_ranks_the_entry_that_matches_best_first() {
        let entries = vec![
            entry("The store uses LMDB through heed; one writer thread.", &["store"]),
            entry("Spec files are parsed by parse_spec; task lines follow a grammar.", &["specs"]),
            entry("Use tabs in the Makefile.", &[]),
            entry("LMDB map size doubles when full; LMDB readers must be short.", &["lmdb", "store"]),
        ];
        let found = search(&entries, "lmdb readers", 5);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].text.starts_with("LMDB map size"), "{found:?}");
        assert!(found[1].text.starts_with("The store uses LMDB"));
        assert_eq!(search(&entries, "spec", 5)[0].text, entries[1].text, "snake_case parts are words");
        assert!(search(&entries, "zebra", 5).is_empty());
    }

    fn failed(command: &str, test: &str) -> Receipt {
        Receipt {
            id: ReceiptId::new(),
            subject: ReceiptSubject::Task { task: TaskId::new() },
            asked: String::new(),
            changesets: vec![],
            files_changed: vec![],
            commands: vec![CommandRun {
                command: command.into(),
                outcome: OutcomeClass::ProductFailure,
                passed: Some(1),
                failed: Some(1),
                failing_tests: vec![test.into()],
                duration_ms: 5,
            }],
            craft_findings: vec![],
            usage: Usage::default(),
            verdict: Verdict::Failed,
            summary: "new failures".into(),
            created_at: 0,
            commit: None,
        }
    }

    #[test]
    fn a_failure_in_two_tasks_becomes_a_pinned_warning_once() {
        let project = ProjectId::new();
        let first = after_task(project, "01.2", &failed("cargo test", "tests::adds"), &[]);
        assert_eq!(first.len(), 1);
        let again_same_task = after_task(project, "01.2", &failed("cargo test", "tests::adds"), &first);
        assert_eq!(again_same_task.len(), 1, "a retry of the same task is not a repeat across tasks");
        let mut known = first.clone();
        let second = after_task(project, "02.1", &failed("cargo test", "tests::adds"), &known);
        assert_eq!(second.len(), 2);
        assert!(second[1].pinned && second[1].tags == ["warning"], "{second:?}");
        known.extend(second);
        assert_eq!(after_task(project, "03.1", &failed("cargo test", "tests::adds"), &known).len(), 1, "warned once");
        assert_eq!(pinned(&known).len(), 1);
    }
}
