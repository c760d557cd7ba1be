//! The project's own formatters and linters, run on a changed file's new text through stdin (so
//! nothing is written first): rustfmt for Rust, ruff (check and format) for Python, prettier and
//! eslint for TypeScript and JavaScript. Each runs only when the project has it: the tool is found
//! in the workspace (`.venv/bin`, `node_modules/.bin`) or, for rustfmt and ruff, on the PATH, and
//! the project configures it (rustfmt always applies to Rust). Each runs as an async child process
//! with a timeout: a hung tool is killed and its verdict left out, never waited on.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::domain::{CraftFinding, FileChange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Prints the formatted text: a difference is a finding; failing to parse is a linter finding.
    Formatter,
    /// Exits non-zero with one finding per line, `path:line:column: message`.
    Linter,
}

struct Tool {
    name: &'static str,
    extensions: &'static [&'static str],
    program: &'static str,
    /// Workspace-relative places to look first.
    local: &'static [&'static str],
    /// Whether the tool may also come from the PATH.
    on_path: bool,
    /// Files whose presence means the project uses the tool; empty means always.
    config: &'static [&'static str],
    /// A `pyproject.toml` or `package.json` key that also configures it.
    manifest_key: Option<(&'static str, &'static str)>,
    args: fn(&str) -> Vec<String>,
    mode: Mode,
    fix: &'static str,
}

const JS: &[&str] = &["ts", "tsx", "js", "jsx", "mjs", "cjs"];
/// ruff's linter and formatter share where ruff is found and what configures it.
const RUFF_LOCAL: &[&str] = &[".venv/bin/ruff"];
const RUFF_CONFIG: &[&str] = &["ruff.toml", ".ruff.toml"];
const RUFF_MANIFEST: Option<(&str, &str)> = Some(("pyproject.toml", "[tool.ruff"));

const TOOLS: &[Tool] = &[
    Tool {
        name: "rustfmt",
        extensions: &["rs"],
        program: "rustfmt",
        local: &[],
        on_path: true,
        config: &[],
        manifest_key: None,
        args: |_| ["--edition", "2024", "--emit", "stdout"].map(String::from).to_vec(),
        mode: Mode::Formatter,
        fix: "format the file (cargo fmt) and fix what it reports",
    },
    Tool {
        name: "ruff",
        extensions: &["py"],
        program: "ruff",
        local: RUFF_LOCAL,
        on_path: true,
        config: RUFF_CONFIG,
        manifest_key: RUFF_MANIFEST,
        args: |path| {
            ["check", "--quiet", "--output-format", "concise", "--stdin-filename", path, "-"].map(String::from).to_vec()
        },
        mode: Mode::Linter,
        fix: "fix what ruff reports (ruff check --fix handles many)",
    },
    Tool {
        name: "ruff format",
        extensions: &["py"],
        program: "ruff",
        local: RUFF_LOCAL,
        on_path: true,
        config: RUFF_CONFIG,
        manifest_key: RUFF_MANIFEST,
        args: |path| ["format", "--quiet", "--stdin-filename", path, "-"].map(String::from).to_vec(),
        mode: Mode::Formatter,
        fix: "format the file (ruff format)",
    },
    Tool {
        name: "prettier",
        extensions: JS,
        program: "prettier",
        local: &["node_modules/.bin/prettier"],
        on_path: false,
        config: &[
            ".prettierrc",
            ".prettierrc.json",
            ".prettierrc.yaml",
            ".prettierrc.js",
            "prettier.config.js",
            "prettier.config.mjs",
        ],
        manifest_key: Some(("package.json", "\"prettier\"")),
        args: |path| ["--stdin-filepath", path].map(String::from).to_vec(),
        mode: Mode::Formatter,
        fix: "format the file (prettier --write)",
    },
    Tool {
        name: "eslint",
        extensions: JS,
        program: "eslint",
        local: &["node_modules/.bin/eslint"],
        on_path: false,
        config: &[
            "eslint.config.js",
            "eslint.config.mjs",
            "eslint.config.cjs",
            "eslint.config.ts",
            ".eslintrc",
            ".eslintrc.json",
            ".eslintrc.js",
            ".eslintrc.cjs",
        ],
        manifest_key: Some(("package.json", "\"eslintConfig\"")),
        args: |path| ["--stdin", "--stdin-filename", path, "--format", "unix"].map(String::from).to_vec(),
        mode: Mode::Linter,
        fix: "fix what eslint reports",
    },
];

/// Most findings one linter contributes for one file.
const MAX_PER_TOOL: usize = 10;

fn configured(root: &Path, tool: &Tool) -> bool {
    if tool.config.is_empty() && tool.manifest_key.is_none() {
        return true;
    }
    tool.config.iter().any(|c| root.join(c).exists())
        || tool
            .manifest_key
            .is_some_and(|(file, key)| std::fs::read_to_string(root.join(file)).is_ok_and(|text| text.contains(key)))
}

fn locate(root: &Path, tool: &Tool) -> Option<PathBuf> {
    if let Some(local) = tool.local.iter().map(|l| root.join(l)).find(|p| p.is_file()) {
        return Some(local);
    }
    if !tool.on_path {
        return None;
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(tool.program)).find(|p| p.is_file())
}

/// What the project's tools say about a change's new text, each tool given `timeout`.
pub async fn findings(root: &Path, change: &FileChange, timeout: Duration) -> Vec<CraftFinding> {
    let Some(after) = change.after.as_deref() else { return Vec::new() };
    let extension = Path::new(&change.path).extension().and_then(|e| e.to_str()).unwrap_or_default();
    let mut found = Vec::new();
    for tool in TOOLS.iter().filter(|tool| tool.extensions.contains(&extension) && configured(root, tool)) {
        if let Some(program) = locate(root, tool) {
            found.extend(run(root, tool, &program, change, after, timeout).await);
        }
    }
    found
}

async fn run(
    root: &Path,
    tool: &Tool,
    program: &Path,
    change: &FileChange,
    after: &str,
    timeout: Duration,
) -> Vec<CraftFinding> {
    let Ok(mut child) = tokio::process::Command::new(program)
        .args((tool.args)(&change.path))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Given up on, the future is dropped with the child: it is killed, not left running.
        .kill_on_drop(true)
        .spawn()
    else {
        return Vec::new();
    };
    let stdin = child.stdin.take();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A tool that stops reading early still gets judged by what it printed.
            let _ = stdin.write_all(after.as_bytes()).await;
        }
    };
    let ran = tokio::time::timeout(timeout, async { tokio::join!(feed, child.wait_with_output()).1 }).await;
    match ran {
        Ok(Ok(output)) => judge(tool, change, after, &output),
        Ok(Err(e)) => {
            tracing::warn!("{} could not be run on {}: {e}", tool.name, change.path);
            Vec::new()
        }
        Err(_) => {
            tracing::warn!(
                "{} did not finish on {} within {timeout:?}; its verdict is left out",
                tool.name,
                change.path
            );
            Vec::new()
        }
    }
}

/// The findings in what a tool printed.
fn judge(tool: &Tool, change: &FileChange, after: &str, output: &Output) -> Vec<CraftFinding> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let finding = |rule: &str, line: Option<u32>, message: String| CraftFinding {
        path: change.path.clone(),
        line,
        hunk: None,
        rule: rule.into(),
        message,
        fix: tool.fix.into(),
    };
    match tool.mode {
        Mode::Formatter if !output.status.success() => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let why = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            vec![finding("linter", None, format!("{} could not parse {}: {why}", tool.name, change.path))]
        }
        Mode::Formatter if stdout != after => {
            vec![finding(
                "formatter",
                None,
                format!("{} is not formatted as the project's {} would", change.path, tool.name),
            )]
        }
        Mode::Formatter => Vec::new(),
        Mode::Linter if output.status.success() => Vec::new(),
        Mode::Linter => stdout
            .lines()
            .filter_map(|l| {
                // `path:line:column: message`
                let mut parts = l.splitn(4, ':');
                let (_, line, _, message) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
                Some(finding("linter", line.trim().parse().ok(), format!("{}: {}", tool.name, message.trim())))
            })
            .take(MAX_PER_TOOL)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FileChangeKind;

    fn added(path: &str, text: &str) -> FileChange {
        FileChange {
            path: path.into(),
            kind: FileChangeKind::Add,
            before: None,
            after: Some(text.into()),
            before_hash: None,
            hunks: crate::edits::hunks("", text),
        }
    }

    fn rules(findings: &[CraftFinding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    const T: Duration = crate::validate::craft::TIMEOUT;

    #[tokio::test]
    async fn rustfmt_judges_rust_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(locate(dir.path(), &TOOLS[0]).is_some(), "rustfmt is part of the toolchain this project builds with");
        let messy = findings(dir.path(), &added("src/lib.rs", "fn main(){let x=1;}\n"), T).await;
        assert_eq!(rules(&messy), ["formatter"]);
        assert!(findings(dir.path(), &added("src/lib.rs", "fn main() {\n    let x = 1;\n}\n"), T).await.is_empty());
        let broken = findings(dir.path(), &added("src/lib.rs", "fn main( {\n"), T).await;
        assert_eq!(rules(&broken), ["linter"]);
        assert!(broken[0].message.starts_with("rustfmt could not parse src/lib.rs"), "{}", broken[0].message);
    }

    #[tokio::test]
    async fn project_tools_run_only_where_the_project_configures_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/.bin")).unwrap();
        let ruff = &TOOLS[1];
        assert!(!configured(dir.path(), ruff));
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n\n[tool.ruff]\nline-length = 100\n",
        )
        .unwrap();
        assert!(configured(dir.path(), ruff), "a [tool.ruff] table configures it");
        let prettier = &TOOLS[3];
        std::fs::write(dir.path().join(".prettierrc"), "{}").unwrap();
        assert!(configured(dir.path(), prettier));
        assert_eq!(locate(dir.path(), prettier), None, "node tools come only from the workspace");
        assert!(
            findings(dir.path(), &added("src/app.ts", "const x=1\n"), T).await.is_empty(),
            "configured but not installed"
        );
    }

    /// A tool that hangs (here a `.venv/bin/ruff` that sleeps) is killed at the timeout and leaves
    /// no verdict, instead of holding the proposal.
    #[tokio::test]
    async fn a_hung_tool_is_given_up_at_the_timeout() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".venv/bin")).unwrap();
        std::fs::write(dir.path().join("ruff.toml"), "").unwrap();
        let ruff = dir.path().join(".venv/bin/ruff");
        std::fs::write(&ruff, "#!/bin/sh\ntouch started\nexec sleep 60\n").unwrap();
        std::fs::set_permissions(&ruff, std::fs::Permissions::from_mode(0o755)).unwrap();
        let started = std::time::Instant::now();
        let found = findings(dir.path(), &added("calc.py", "x = 1\n"), Duration::from_millis(300)).await;
        assert!(found.is_empty(), "{found:?}");
        assert!(dir.path().join("started").exists(), "the hung tool did run");
        // Two tools (ruff check, ruff format), each given up after 300 ms; far below the 60 s sleep.
        assert!(started.elapsed() < Duration::from_secs(10), "waited {:?}", started.elapsed());
    }
}
