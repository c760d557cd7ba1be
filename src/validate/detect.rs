//! Finding a project's own checks: build, test, lint and format commands from its manifests, its
//! Makefile, and the commands its requirements and specs name in their Definition of Done.

use std::path::Path;

pub use crate::domain::{Check, CheckKind};

fn check(kind: CheckKind, command: &str, source: &str) -> Check {
    Check { kind, command: command.to_string(), source: source.to_string() }
}

/// The settings key of a project's own checks, which replace the detected ones when set.
pub fn overrides_key(project: crate::domain::ProjectId) -> String {
    format!("checks/{project}")
}

/// The checks to run: the user's own for the project when there are any, else the detected ones.
pub fn checks_for(root: &Path, overrides: &[Check]) -> Vec<Check> {
    if overrides.is_empty() { detect(root) } else { overrides.to_vec() }
}

/// Every check the workspace names, manifests first, without duplicates.
pub fn detect(root: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    let exists = |name: &str| root.join(name).exists();
    if exists("Cargo.toml") {
        for (kind, command) in [
            (CheckKind::Build, "cargo build"),
            (CheckKind::Test, "cargo test"),
            (CheckKind::Lint, "cargo clippy"),
            (CheckKind::Format, "cargo fmt --check"),
        ] {
            checks.push(check(kind, command, "Cargo.toml"));
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("package.json"))
        && let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let runner = if exists("pnpm-lock.yaml") { "pnpm" } else { "npm" };
        for (script, kind) in [
            ("build", CheckKind::Build),
            ("test", CheckKind::Test),
            ("lint", CheckKind::Lint),
            ("format", CheckKind::Format),
        ] {
            if manifest["scripts"].get(script).is_some() {
                let command =
                    if script == "test" { format!("{runner} test") } else { format!("{runner} run {script}") };
                checks.push(check(kind, &command, "package.json"));
            }
        }
    }
    let pyproject = std::fs::read_to_string(root.join("pyproject.toml")).unwrap_or_default();
    let python = !pyproject.is_empty() || exists("setup.py") || exists("setup.cfg") || exists("pytest.ini");
    if python || exists("tests") && has_python_tests(&root.join("tests")) {
        checks.push(check(CheckKind::Test, "pytest", if pyproject.is_empty() { "tests/" } else { "pyproject.toml" }));
    }
    if pyproject.contains("[tool.ruff") || exists("ruff.toml") || exists(".ruff.toml") {
        checks.push(check(CheckKind::Lint, "ruff check .", "ruff"));
        checks.push(check(CheckKind::Format, "ruff format --check .", "ruff"));
    }
    if exists("go.mod") {
        checks.push(check(CheckKind::Build, "go build ./...", "go.mod"));
        checks.push(check(CheckKind::Test, "go test ./...", "go.mod"));
        checks.push(check(CheckKind::Lint, "go vet ./...", "go.mod"));
    }
    if let Ok(makefile) = std::fs::read_to_string(root.join("Makefile")) {
        for (target, kind) in [
            ("build", CheckKind::Build),
            ("test", CheckKind::Test),
            ("lint", CheckKind::Lint),
            ("check", CheckKind::Test),
        ] {
            if makefile.lines().any(|l| l.starts_with(&format!("{target}:"))) {
                checks.push(check(kind, &format!("make {target}"), "Makefile"));
            }
        }
    }
    for (source, text) in documents(root) {
        for command in definition_of_done_commands(&text) {
            checks.push(Check { kind: kind_of(&command), command, source: source.clone() });
        }
    }
    let mut seen = std::collections::HashSet::new();
    checks.retain(|c| seen.insert(c.command.clone()));
    checks
}

fn has_python_tests(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("test") && name.ends_with(".py")
            })
        })
        .unwrap_or(false)
}

/// `requirements.md` and the spec files, with their workspace-relative names.
fn documents(root: &Path) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    if let Ok(text) = std::fs::read_to_string(root.join("requirements.md")) {
        docs.push(("requirements.md".to_string(), text));
    }
    let mut specs: Vec<_> = std::fs::read_dir(root.join("specs"))
        .map(|entries| {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect()
        })
        .unwrap_or_default();
    specs.sort();
    for path in specs {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let name = format!("specs/{}", path.file_name().unwrap_or_default().to_string_lossy());
            docs.push((name, text));
        }
    }
    docs
}

/// Programs whose commands count as checks when a document names them.
const RUNNERS: [&str; 9] =
    ["cargo ", "npm ", "pnpm ", "pytest", "python -m pytest", "ruff ", "go ", "make ", "node --test"];

/// The backticked commands in a "Definition of Done" section.
pub fn definition_of_done_commands(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix('#') {
            inside = heading.trim_start_matches('#').trim().eq_ignore_ascii_case("definition of done");
            continue;
        }
        if !inside {
            continue;
        }
        for (i, piece) in line.split('`').enumerate() {
            let piece = piece.trim();
            // Odd pieces are inside backticks; the benchmarks and ignored runs are not validation.
            if i % 2 == 1
                && RUNNERS.iter().any(|r| piece.starts_with(r))
                && !piece.starts_with("cargo bench")
                && !piece.contains("--ignored")
                && !piece.contains('&')
            {
                out.push(piece.to_string());
            }
        }
    }
    out
}

fn kind_of(command: &str) -> CheckKind {
    match command {
        c if c.contains("fmt") || c.contains("format") => CheckKind::Format,
        c if c.contains("clippy") || c.contains("lint") || c.contains("vet") || c.starts_with("ruff check") => {
            CheckKind::Lint
        }
        c if c.contains("build") => CheckKind::Build,
        _ => CheckKind::Test,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_makefiles_and_specs_name_the_checks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        std::fs::write(root.join("package.json"), r#"{"scripts": {"test": "node --test", "lint": "eslint ."}}"#)
            .unwrap();
        std::fs::write(root.join("Makefile"), "build:\n\tcc x.c\ncheck: build\n\t./x\n").unwrap();
        std::fs::create_dir(root.join("specs")).unwrap();
        std::fs::write(
            root.join("specs/02-store.md"),
            "# Store\n`cargo run` here is prose.\n## Definition of Done\n- `cargo test --test store` — all pass\n- `cargo bench --bench store` — figures\n- `cargo test` again\n",
        )
        .unwrap();
        let found = detect(root);
        let commands: Vec<&str> = found.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(
            commands,
            [
                "cargo build",
                "cargo test",
                "cargo clippy",
                "cargo fmt --check",
                "npm test",
                "npm run lint",
                "make build",
                "make check",
                "cargo test --test store"
            ]
        );
        assert!(found.contains(&check(CheckKind::Test, "cargo test --test store", "specs/02-store.md")));
    }

    #[test]
    fn a_python_package_gets_pytest_and_ruff() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"calc\"\n[tool.ruff]\nline-length = 100\n",
        )
        .unwrap();
        let commands: Vec<String> = detect(dir.path()).into_iter().map(|c| c.command).collect();
        assert_eq!(commands, ["pytest", "ruff check .", "ruff format --check ."]);
        assert!(detect(tempfile::tempdir().unwrap().path()).is_empty(), "an empty folder has no checks");
    }
}
