//! Craft checks on a proposed change, before anyone approves it: stubs, placeholders, a change that
//! deletes most of a file, swallowed errors, secrets, and the project's own formatters and linters
//! when present (`linters`).
//! Only the lines the change adds are judged, so old code is never blamed on the agent.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use similar::{ChangeTag, TextDiff};

use crate::domain::{CraftFinding, FileChange, FileChangeKind, Hunk};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Rust,
    Python,
    Script,
    Other,
}

fn language(path: &str) -> Language {
    match Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "rs" => Language::Rust,
        "py" => Language::Python,
        "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" => Language::Script,
        _ => Language::Other,
    }
}

static SECRETS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"sk-ant-[A-Za-z0-9_\-]{20,}", "an Anthropic API key"),
        (r"\bsk-(proj-)?[A-Za-z0-9]{32,}", "an OpenAI-style API key"),
        (r"\bAKIA[0-9A-Z]{16}\b", "an AWS access key id"),
        (r"\bghp_[A-Za-z0-9]{36}\b", "a GitHub token"),
        (r"\bxox[abprs]-[A-Za-z0-9\-]{10,}", "a Slack token"),
        (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "a private key"),
    ]
    .into_iter()
    .filter_map(|(pattern, what)| Regex::new(pattern).ok().map(|r| (r, what)))
    .collect()
});

static EMPTY_FN_WITH_RESULT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\bfn\s+\w+[^{]*->\s*[^{]+\{\s*\}\s*$").ok());

/// The Rust stub macros, spelled in pieces so a search of the sources for stubs does not find the
/// rule that finds them.
const RUST_STUBS: [&str; 2] = [concat!("todo", "!("), concat!("unimplemented", "!(")];

const PLACEHOLDERS: [&str; 6] = [
    "rest of code here",
    "rest of the code",
    "existing code here",
    "... existing code",
    "your code here",
    "code goes here",
];

/// The lines a change adds: (1-based line in the new text, text).
fn added_lines(change: &FileChange) -> Vec<(u32, String)> {
    let before = change.before.as_deref().unwrap_or("");
    let Some(after) = change.after.as_deref() else { return Vec::new() };
    let diff = TextDiff::from_lines(before, after);
    let mut out = Vec::new();
    for op in diff.ops() {
        for c in diff.iter_changes(op) {
            if c.tag() == ChangeTag::Insert
                && let Some(index) = c.new_index()
            {
                out.push((index as u32 + 1, c.value().trim_end_matches(['\n', '\r']).to_string()));
            }
        }
    }
    out
}

fn hunk_of(hunks: &[Hunk], line: u32) -> Option<usize> {
    hunks.iter().position(|h| line >= h.new_start && line < h.new_start + h.new_lines.max(1))
}

/// Every finding on one file change.
pub fn check_change(change: &FileChange) -> Vec<CraftFinding> {
    let lang = language(&change.path);
    let added = added_lines(change);
    let after_lines: Vec<&str> = change.after.as_deref().unwrap_or("").lines().collect();
    let mut findings = Vec::new();
    let mut find = |line: Option<u32>, rule: &str, message: String, fix: &str| {
        findings.push(CraftFinding {
            path: change.path.clone(),
            line,
            hunk: line.and_then(|l| hunk_of(&change.hunks, l)),
            rule: rule.to_string(),
            message,
            fix: fix.to_string(),
        });
    };
    for (number, text) in &added {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let previous =
            (*number as usize).checked_sub(2).and_then(|i| after_lines.get(i)).map(|l| l.trim()).unwrap_or("");
        let stub = match lang {
            Language::Rust => RUST_STUBS.iter().any(|m| trimmed.contains(m)),
            Language::Python => {
                trimmed.starts_with("raise NotImplementedError")
                    || ((trimmed == "pass" || trimmed == "...")
                        && (previous.starts_with("def ") || previous.starts_with("async def ")))
            }
            Language::Script => lower.contains("throw new error(") && lower.contains("not implemented"),
            Language::Other => false,
        } || (lang == Language::Rust && EMPTY_FN_WITH_RESULT.as_ref().is_some_and(|r| r.is_match(trimmed)));
        if stub {
            find(Some(*number), "stub", format!("line {number} is a stub: `{trimmed}`"), "write the real body");
        }
        let comment_only = trimmed.trim_start_matches(['/', '#', '*', ' ']).trim();
        if PLACEHOLDERS.iter().any(|p| lower.contains(p)) || (comment_only == "..." && trimmed != "...") {
            find(
                Some(*number),
                "placeholder",
                format!("line {number} is placeholder text: `{trimmed}`"),
                "write out the code the placeholder stands for",
            );
        }
        let swallowed = match lang {
            Language::Python => {
                trimmed == "pass"
                    && (previous == "except:"
                        || previous.starts_with("except Exception")
                        || previous.starts_with("except BaseException"))
            }
            Language::Rust => {
                trimmed.starts_with("let _ =")
                    && [
                        "fs::",
                        ".write_all(",
                        ".flush(",
                        ".sync_all(",
                        "remove_file(",
                        "remove_dir",
                        "rename(",
                        "create_dir",
                        ".commit(",
                    ]
                    .iter()
                    .any(|call| trimmed.contains(call))
            }
            Language::Script => trimmed.contains("catch") && (trimmed.ends_with("{}") || trimmed.ends_with("{ }")),
            Language::Other => false,
        };
        if swallowed {
            find(
                Some(*number),
                "swallowed_error",
                format!("line {number} throws an error away: `{trimmed}`"),
                "handle the error or pass it on",
            );
        }
        for (pattern, what) in SECRETS.iter() {
            if pattern.is_match(text) {
                find(
                    Some(*number),
                    "secret",
                    format!("line {number} holds what looks like {what}"),
                    "remove it; read secrets from the environment",
                );
            }
        }
    }
    if let (FileChangeKind::Modify, Some(before), Some(after)) = (&change.kind, &change.before, &change.after) {
        let (old, new) = (before.lines().count(), after.lines().count());
        if old >= 20 && new * 10 < old * 3 {
            find(
                None,
                "mass_deletion",
                format!("the change deletes most of {}: {old} lines become {new}", change.path),
                "change only what the task needs; if the file must shrink, say why",
            );
        }
    }
    findings
}

/// How long one formatter or linter may take on one file before its verdict is left out (a cold
/// eslint on a large project takes several seconds; a hung one must not hold a proposal forever).
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Every finding on a set of changes: the line rules, then the project's formatters and linters,
/// each of those given up after `timeout`. Nothing here blocks the async runtime.
pub async fn check(root: &Path, changes: &[FileChange], timeout: Duration) -> Vec<CraftFinding> {
    let owned = changes.to_vec();
    // Diffing large files is CPU work: the blocking pool's, not the runtime's.
    let by_rules = tokio::task::spawn_blocking(move || owned.iter().map(check_change).collect::<Vec<_>>())
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("the Craft line rules failed: {e}");
            vec![Vec::new(); changes.len()]
        });
    let mut findings = Vec::new();
    for (change, by_rules) in changes.iter().zip(by_rules) {
        findings.extend(by_rules);
        findings.extend(super::linters::findings(root, change, timeout).await);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modify(path: &str, before: &str, after: &str) -> FileChange {
        FileChange {
            path: path.into(),
            kind: FileChangeKind::Modify,
            before: Some(before.into()),
            after: Some(after.into()),
            before_hash: None,
            hunks: crate::edits::hunks(before, after),
        }
    }

    fn rules(findings: &[CraftFinding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn rust_stubs_placeholders_swallowed_errors_and_secrets() {
        let before = "fn a() -> u32 {\n    1\n}\n";
        let stub = format!("{})", RUST_STUBS[0]);
        let after = format!(
            "fn a() -> u32 {{\n    {stub}\n}}\nfn b() -> String {{}}\n// ... rest of code here\nfn c() {{\n    let _ = std::fs::remove_file(\"x\");\n    let key = \"sk-ant-api03-abcdefghijklmnopqrstuvwxyz\";\n}}\n"
        );
        let findings = check_change(&modify("src/lib.rs", before, &after));
        assert_eq!(rules(&findings), ["stub", "stub", "placeholder", "swallowed_error", "secret"], "{findings:#?}");
        assert_eq!(findings[0].line, Some(2));
        assert_eq!(findings[0].hunk, Some(0));
    }

    #[test]
    fn python_and_typescript_rules() {
        let py =
            check_change(&modify("calc.py", "", "def div(a, b):\n    pass\n\ntry:\n    go()\nexcept:\n    pass\n"));
        assert_eq!(rules(&py), ["stub", "swallowed_error"]);
        let py = check_change(&modify("calc.py", "", "def div(a, b):\n    raise NotImplementedError\n"));
        assert_eq!(rules(&py), ["stub"]);
        let ts = check_change(&modify(
            "a.ts",
            "",
            "export function f(): number {\n  throw new Error(\"Not implemented\");\n}\ntry { g() } catch (e) {}\n",
        ));
        assert_eq!(rules(&ts), ["stub", "swallowed_error"]);
    }

    #[test]
    fn only_added_lines_are_judged_and_mass_deletion_is_noticed() {
        let old_stub = format!("fn a() {{\n    {})\n}}\n", RUST_STUBS[1]);
        let grown = format!("{old_stub}fn b() {{}}\n");
        assert!(check_change(&modify("a.rs", &old_stub, &grown)).is_empty(), "the old stub is not the agent's");
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let findings = check_change(&modify("notes.txt", &long, "line 0\n"));
        assert_eq!(rules(&findings), ["mass_deletion"]);
        assert!(findings[0].message.contains("40 lines become 1"));
    }
}
