//! The tool registry: every tool an agent can be given, its JSON schema, the parsing of a model's
//! arguments into a typed call (a bad argument becomes a message the model can act on), and the
//! tools that only read the workspace. Edit tools plan [`FileChange`]s here; proposing them for
//! review, running commands and the memory and work-order tools belong to the engine that hosts
//! the agent.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{FileChange, Region, ToolSpec};
use crate::edits::{self, Replace, WriteFile, patch};

use super::Workspace;
use super::read::{self, FileView, SearchQuery};

/// A tool call with its arguments checked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "name", content = "arguments")]
pub enum ToolInput {
    ReadFile {
        path: String,
        start_line: Option<usize>,
        end_line: Option<usize>,
    },
    ListFiles {
        dir: Option<String>,
        depth: Option<usize>,
    },
    FindFiles {
        glob: String,
    },
    Search {
        pattern: String,
        #[serde(default)]
        literal: bool,
        glob: Option<String>,
    },
    ApplyPatch {
        patch: String,
    },
    Replace {
        path: String,
        old: String,
        new: String,
        #[serde(default)]
        replace_all: bool,
    },
    WriteFile {
        path: String,
        content: String,
    },
    RunCommand {
        command: String,
        timeout_secs: Option<u64>,
        /// Asks the user for network access for this command (the sandbox has none).
        #[serde(default)]
        network: bool,
    },
    SaveMemory {
        text: String,
        #[serde(default)]
        tags: Vec<String>,
    },
    SearchMemory {
        query: String,
        limit: Option<usize>,
    },
    SubmitWorkOrder {
        goal: String,
        #[serde(default)]
        regions: Vec<Region>,
        capsule: String,
        #[serde(default)]
        acceptance: Vec<String>,
        #[serde(default)]
        validation: Vec<String>,
    },
    AskUser {
        question: String,
    },
}

impl ToolInput {
    /// Checks a call's arguments against its tool; the error says what to send instead.
    pub fn parse(name: &str, arguments: &Value) -> Result<ToolInput, String> {
        if spec(name).is_none() {
            return Err(format!("there is no tool `{name}`; use one of the tools you were given"));
        }
        serde_json::from_value(json!({"name": name, "arguments": arguments}))
            .map_err(|e| format!("bad arguments for `{name}`: {e}. Send the arguments its schema describes"))
    }

    /// Whether the call changes the workspace (and so goes through review).
    pub fn is_edit(&self) -> bool {
        matches!(self, ToolInput::ApplyPatch { .. } | ToolInput::Replace { .. } | ToolInput::WriteFile { .. })
    }
}

/// Tools that only look: every role gets them.
pub const READ_TOOLS: [&str; 4] = ["read_file", "list_files", "find_files", "search"];
/// Tools that change files (through review) or run commands.
pub const EDIT_TOOLS: [&str; 4] = ["apply_patch", "replace", "write_file", "run_command"];

const PATH: &str = "Path relative to the workspace root";

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

/// The schema of one tool, or `None` for a name no tool has.
pub fn spec(name: &str) -> Option<ToolSpec> {
    let string = |d: &str| json!({"type": "string", "description": d});
    let strings = |d: &str| json!({"type": "array", "items": {"type": "string"}, "description": d});
    let integer = |d: &str| json!({"type": "integer", "minimum": 0, "description": d});
    let (description, parameters) = match name {
        "read_file" => (
            "Read a text file, with line numbers (tab-separated; not part of the text). Long files come in pieces: \
             ask for start_line/end_line.",
            object(
                json!({"path": string(PATH), "start_line": integer("First line, 1-based"), "end_line": integer("Last line, inclusive")}),
                &["path"],
            ),
        ),
        "list_files" => (
            "List files and folders (folders end in /), ignoring what .gitignore ignores.",
            object(
                json!({"dir": string("Folder to list (default: the root)"), "depth": integer("How deep (default: all)")}),
                &[],
            ),
        ),
        "find_files" => (
            "Find files whose path matches a glob such as **/*.rs.",
            object(json!({"glob": string("The glob")}), &["glob"]),
        ),
        "search" => (
            "Search file contents with a regular expression (or literal text); returns path:line: text.",
            object(
                json!({"pattern": string("Regex, or text when literal is true"), "literal": {"type": "boolean"}, "glob": string("Only files matching this glob")}),
                &["pattern"],
            ),
        ),
        "apply_patch" => (
            "Edit files with a patch: *** Begin Patch, then *** Add File: P (lines start with +), *** Update File: P \
             (@@ anchor line, then context lines starting with space, - removed, + added) or *** Delete File: P, \
             then *** End Patch. The change is reviewed before it is written.",
            object(json!({"patch": string("The whole patch envelope")}), &["patch"]),
        ),
        "replace" => (
            "Replace text in a file. `old` must match exactly once (copy it from read_file, without line numbers) \
             unless replace_all is set. The change is reviewed before it is written.",
            object(
                json!({"path": string(PATH), "old": string("Exact text to replace"), "new": string("Replacement"), "replace_all": {"type": "boolean"}}),
                &["path", "old", "new"],
            ),
        ),
        "write_file" => (
            "Create a file, or replace a whole file. The change is reviewed before it is written.",
            object(json!({"path": string(PATH), "content": string("The whole new content")}), &["path", "content"]),
        ),
        "run_command" => (
            "Run a shell command in the workspace root (builds, tests, linters, git status...) in a sandbox: it reads \
             the workspace and the system, writes only the workspace (its changes are reviewed like edits) and has no \
             network. Commands outside the allowed list wait for the user's approval; some are never run.",
            object(
                json!({
                    "command": string("The command line"),
                    "timeout_secs": integer("Default 300"),
                    "network": {"type": "boolean", "description": "Set when the command needs the network (fetching dependencies); the user is asked"}
                }),
                &["command"],
            ),
        ),
        "save_memory" => (
            "Save a fact future tasks should know (a decision, a convention, a pitfall).",
            object(json!({"text": string("The fact, self-contained"), "tags": strings("Short tags")}), &["text"]),
        ),
        "search_memory" => (
            "Search the project's memory of earlier decisions and pitfalls.",
            object(json!({"query": string("Words to look for"), "limit": integer("Default 5")}), &["query"]),
        ),
        "submit_work_order" => (
            "Hand the work to the Worker. The capsule must be self-contained: the Worker sees only this order.",
            object(
                json!({
                    "goal": string("One sentence"),
                    "regions": {"type": "array", "items": object(json!({"path": string(PATH), "lines": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}}), &["path"])},
                    "capsule": string("Everything the Worker needs: context, interfaces, steps"),
                    "acceptance": strings("What must hold when done"),
                    "validation": strings("Commands that prove it, such as cargo test")
                }),
                &["goal", "capsule"],
            ),
        ),
        "ask_user" => (
            "Ask the user a question you cannot answer from the workspace; the task waits for the answer.",
            object(json!({"question": string("The question")}), &["question"]),
        ),
        _ => return None,
    };
    Some(ToolSpec { name: name.to_string(), description: description.to_string(), parameters })
}

/// The schemas of the named tools, in that order.
pub fn specs(names: &[&str]) -> Vec<ToolSpec> {
    names.iter().filter_map(|n| spec(n)).collect()
}

/// Most hits a search returns to a model.
const MAX_HITS: usize = 100;
/// Most lines `read_file` returns at once.
const MAX_LINES: usize = 2_000;

/// Runs a read-only tool; `Err` is the message for the model.
pub fn run_read(ws: &Workspace, input: &ToolInput) -> Result<String, String> {
    let text = match input {
        ToolInput::ReadFile { path, start_line, end_line } => {
            let first = start_line.unwrap_or(1).max(1);
            let last = end_line.unwrap_or(first + MAX_LINES - 1).min(first + MAX_LINES - 1);
            match read::read_file(ws, path, Some((first, last))).map_err(|e| e.to_string())? {
                FileView::Text { path, hash, line_count, first_line, last_line, text, truncated } => {
                    let mut out = format!("{path} (lines {first_line}-{last_line} of {line_count}, hash {})\n", hash.0);
                    for (n, line) in text.lines().enumerate() {
                        out.push_str(&format!("{}\t{line}\n", first_line + n));
                    }
                    if truncated {
                        out.push_str(&format!("[more lines follow: read from line {}]\n", last_line + 1));
                    }
                    out
                }
                FileView::Described { path, size, reason } => format!("{path} ({size} bytes) not shown: {reason}"),
            }
        }
        ToolInput::ListFiles { dir, depth } => {
            let (files, truncated) = read::list_files(ws, dir.as_deref(), *depth).map_err(|e| e.to_string())?;
            listing(files, truncated)
        }
        ToolInput::FindFiles { glob } => {
            let (files, truncated) = read::find_files(ws, glob).map_err(|e| e.to_string())?;
            listing(files, truncated)
        }
        ToolInput::Search { pattern, literal, glob } => {
            let query = SearchQuery {
                pattern: pattern.clone(),
                literal: *literal,
                case_insensitive: false,
                glob: glob.clone(),
                context: 0,
                max_hits: MAX_HITS,
            };
            let result = read::search(ws, &query).map_err(|e| e.to_string())?;
            let mut out: String = result.hits.iter().map(|h| format!("{}:{}: {}\n", h.path, h.line, h.text)).collect();
            if result.hits.is_empty() {
                out = "no matches\n".to_string();
            }
            if result.truncated {
                out.push_str(&format!("[only the first {MAX_HITS} hits; narrow the pattern or add a glob]\n"));
            }
            for skipped in &result.skipped {
                out.push_str(&format!("[not searched: {} ({})]\n", skipped.path, skipped.reason));
            }
            out
        }
        other => return Err(format!("{other:?} is not a read tool")),
    };
    Ok(text)
}

fn listing(files: Vec<String>, truncated: bool) -> String {
    let mut out = if files.is_empty() { "nothing found\n".to_string() } else { files.join("\n") + "\n" };
    if truncated {
        out.push_str("[list cut short; narrow it]\n");
    }
    out
}

/// Plans an edit tool's change against the files as they are now; `Err` is the message for the model.
pub fn plan_edit(ws: &Workspace, input: &ToolInput) -> Result<Vec<FileChange>, String> {
    let result = match input {
        ToolInput::ApplyPatch { patch: text } => {
            patch::parse(text).map_err(edits::EditError::from).and_then(|p| edits::plan_patch(&p, ws))
        }
        ToolInput::Replace { path, old, new, replace_all } => {
            let edit = Replace {
                path: path.clone(),
                old: old.clone(),
                new: new.clone(),
                replace_all: *replace_all,
                expected_hash: None,
            };
            edits::plan_replace(&edit, ws).map(|c| vec![c])
        }
        ToolInput::WriteFile { path, content } => {
            let edit = WriteFile { path: path.clone(), content: content.clone(), expected_hash: None };
            edits::plan_write(&edit, ws).map(|c| vec![c])
        }
        other => return Err(format!("{other:?} is not an edit tool")),
    };
    result.map_err(|e| e.to_string())
}

/// A short line describing a change for the model: `M src/lib.rs (+3 -1)`.
pub fn describe_change(change: &FileChange) -> String {
    let (added, removed) = change.hunks.iter().fold((0, 0), |(a, r), h| (a + h.new_lines, r + h.old_lines));
    let letter = match change.kind {
        crate::domain::FileChangeKind::Add => "A",
        crate::domain::FileChangeKind::Modify => "M",
        crate::domain::FileChangeKind::Delete => "D",
        crate::domain::FileChangeKind::Move { .. } => "R",
    };
    format!("{letter} {} (+{added} -{removed})", change.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_schema_and_parses_its_own_arguments() {
        for name in READ_TOOLS.iter().chain(EDIT_TOOLS.iter()) {
            let spec = spec(name).unwrap();
            assert_eq!(spec.parameters["type"], "object", "{name}");
        }
        assert_eq!(
            ToolInput::parse("read_file", &json!({"path": "src/lib.rs", "start_line": 3})).unwrap(),
            ToolInput::ReadFile { path: "src/lib.rs".into(), start_line: Some(3), end_line: None }
        );
        let err = ToolInput::parse("read_file", &json!({"file": "x"})).unwrap_err();
        assert!(err.contains("missing field `path`"), "{err}");
        let err = ToolInput::parse("delete_everything", &json!({})).unwrap_err();
        assert!(err.contains("no tool `delete_everything`"), "{err}");
        let order = ToolInput::parse(
            "submit_work_order",
            &json!({"goal": "g", "capsule": "c", "regions": [{"path": "a.rs", "lines": [1, 9]}]}),
        )
        .unwrap();
        assert!(matches!(order, ToolInput::SubmitWorkOrder { regions, .. } if regions[0].lines == Some((1, 9))));
    }

    #[test]
    fn read_tools_number_lines_and_edit_tools_plan_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "one\ntwo\n").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let text =
            run_read(&ws, &ToolInput::ReadFile { path: "a.txt".into(), start_line: None, end_line: None }).unwrap();
        assert!(text.contains("1\tone\n2\ttwo\n"), "{text}");
        let input =
            ToolInput::Replace { path: "a.txt".into(), old: "two".into(), new: "three".into(), replace_all: false };
        let changes = plan_edit(&ws, &input).unwrap();
        assert_eq!(describe_change(&changes[0]), "M a.txt (+1 -1)");
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "one\ntwo\n");
        let miss = ToolInput::Replace { path: "a.txt".into(), old: "zzz".into(), new: "y".into(), replace_all: false };
        assert!(plan_edit(&ws, &miss).unwrap_err().contains("not in the file"));
    }
}
