//! Spec files: `specs/NN-name.md`, parsed into their number, title and task lines. A line under
//! `## Tasks` that starts like a task and does not follow the grammar is a problem with its file
//! and line, never skipped.

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// One task line: `- [ ] NN.K Title (depends_on: MM.J, NN.L)`.
static TASK_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^- \[( |x)\] (\d{2})\.(\d+) (.+?)(?: \(depends_on: (\d{2}\.\d+(?:, \d{2}\.\d+)*)\))?$")
        .expect("the task line grammar is a valid regex")
});
/// The title line: `# NN — Title` (an en dash or hyphen is accepted too).
static TITLE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^# (\d{2}) [—–-] (.+)$").expect("the title grammar is a valid regex"));

/// Something in a spec file that stops its tasks from being read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    pub path: String,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path, self.message),
            line => write!(f, "{}:{line}: {}", self.path, self.message),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTask {
    /// `NN.K`.
    pub key: String,
    pub order: u32,
    pub title: String,
    pub done: bool,
    pub depends_on: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSpec {
    /// Workspace-relative, like `specs/02-store.md`.
    pub path: String,
    pub number: u32,
    pub title: String,
    pub tasks: Vec<ParsedTask>,
}

/// The spec number a file name starts with (`02-store.md` → 2).
fn file_number(path: &str) -> Option<u32> {
    let name = Path::new(path).file_name()?.to_str()?;
    let (digits, rest) = name.split_at_checked(2)?;
    if !rest.starts_with('-') || !name.ends_with(".md") {
        return None;
    }
    digits.parse().ok()
}

pub fn parse_spec(path: &str, text: &str) -> Result<ParsedSpec, Vec<SpecProblem>> {
    let problem = |line: usize, message: String| SpecProblem { path: path.to_string(), line, message };
    let mut problems = Vec::new();
    let Some(number) = file_number(path) else {
        return Err(vec![problem(0, "the file name must be NN-name.md, like 02-store.md".into())]);
    };
    let mut title = None;
    let mut in_tasks = false;
    let mut tasks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end();
        if title.is_none() && line.starts_with("# ") {
            match TITLE_LINE.captures(line) {
                Some(c) if c[1].parse::<u32>().ok() == Some(number) => title = Some(c[2].trim().to_string()),
                Some(c) => problems
                    .push(problem(n, format!("the title says spec {} but the file name says {number:02}", &c[1]))),
                None => problems.push(problem(n, format!("the title must read `# {number:02} — Title`"))),
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            in_tasks = heading.trim() == "Tasks";
            continue;
        }
        if !in_tasks || !line.starts_with("- [") {
            continue;
        }
        let Some(c) = TASK_LINE.captures(line) else {
            problems.push(problem(
                n,
                format!("`{line}` is not a task line: write `- [ ] {number:02}.K Title (depends_on: MM.J)`"),
            ));
            continue;
        };
        let spec: u32 = c[2].parse().unwrap_or(u32::MAX);
        if spec != number {
            problems.push(problem(n, format!("task {}.{} belongs in spec {}, not {number:02}", &c[2], &c[3], &c[2])));
            continue;
        }
        let order: u32 = match c[3].parse() {
            Ok(k) if k > 0 => k,
            _ => {
                problems.push(problem(n, format!("task numbers count from 1: `{}.{}`", &c[2], &c[3])));
                continue;
            }
        };
        tasks.push(ParsedTask {
            key: format!("{}.{}", &c[2], &c[3]),
            order,
            title: c[4].trim().to_string(),
            done: &c[1] == "x",
            depends_on: c.get(5).map(|d| d.as_str().split(", ").map(str::to_string).collect()).unwrap_or_default(),
            line: n,
        });
    }
    if title.is_none() && problems.is_empty() {
        problems.push(problem(1, format!("the spec has no title line `# {number:02} — Title`")));
    }
    match (problems.is_empty(), title) {
        (true, Some(title)) => Ok(ParsedSpec { path: path.to_string(), number, title, tasks }),
        _ => Err(problems),
    }
}

/// The spec files under `specs/`, in number order (other files there are left alone).
pub fn spec_paths(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("specs")) else { return Vec::new() };
    let mut paths: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(|n| format!("specs/{n}")))
        .filter(|p| file_number(p).is_some())
        .collect();
    paths.sort();
    paths
}

/// Reads and parses every spec file; problems from all of them are returned together.
pub fn read_specs(root: &Path) -> Result<Vec<ParsedSpec>, Vec<SpecProblem>> {
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    for path in spec_paths(root) {
        match std::fs::read_to_string(root.join(&path)) {
            Ok(text) => match parse_spec(&path, &text) {
                Ok(spec) => specs.push(spec),
                Err(p) => problems.extend(p),
            },
            Err(e) => problems.push(SpecProblem { path, line: 0, message: format!("cannot be read: {e}") }),
        }
    }
    if problems.is_empty() { Ok(specs) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "# 02 — Store\n\n## Purpose\nx\n\n## Tasks\n\n- [x] 02.1 Open the env\n- [ ] 02.2 Tables (depends_on: 01.3, 02.1)\n\n## Definition of Done\n- [ ] not a task here\n";

    #[test]
    fn parses_titles_and_task_lines() {
        let spec = parse_spec("specs/02-store.md", SPEC).unwrap();
        assert_eq!((spec.number, spec.title.as_str()), (2, "Store"));
        assert_eq!(spec.tasks.len(), 2, "boxes outside ## Tasks are not tasks");
        assert!(spec.tasks[0].done);
        assert_eq!(spec.tasks[1].key, "02.2");
        assert_eq!(spec.tasks[1].depends_on, ["01.3", "02.1"]);
        assert_eq!(spec.tasks[1].line, 9);
    }

    #[test]
    fn bad_lines_are_problems_with_their_line() {
        let text = SPEC.replace("- [ ] 02.2 Tables (depends_on: 01.3, 02.1)", "- [ ] 2.2 Tables");
        let problems = parse_spec("specs/02-store.md", &text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 9);
        assert!(problems[0].to_string().starts_with("specs/02-store.md:9: `- [ ] 2.2 Tables` is not a task line"));
        let wrong = parse_spec("specs/03-store.md", SPEC).unwrap_err();
        assert!(wrong[0].message.contains("title says spec 02"), "{wrong:?}");
        assert!(parse_spec("specs/store.md", SPEC).is_err());
        let moved = SPEC.replace("- [x] 02.1 Open", "- [x] 03.1 Open");
        assert!(parse_spec("specs/02-store.md", &moved).unwrap_err()[0].message.contains("belongs in spec 03"));
    }
}
