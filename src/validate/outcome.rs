//! Telling a product failure from a broken command: each result gets an outcome class and a next
//! action, and the test runners' own output is read for counts and failing test names.

use crate::domain::OutcomeClass;
use crate::tools::shell::CommandOutput;

/// Test counts read from a runner's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: Option<u32>,
    pub failed: Option<u32>,
    pub failing_tests: Vec<String>,
}

/// What the agent loop should do about an outcome.
pub fn next_action(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Passed => "nothing: the check passed",
        OutcomeClass::ProductFailure => "fix the code: the check ran and found a real failure",
        OutcomeClass::NoTestsCollected => "add tests, or fix the command so it finds them; nothing was verified",
        OutcomeClass::MissingDependency => "install the missing dependency, then run the check again",
        OutcomeClass::MissingExecutable => "install the tool, or fix the command's name",
        OutcomeClass::WrongWorkingDirectory => "fix the command: it ran where its project files are not",
        OutcomeClass::Timeout => "retry with a longer timeout, or find what hangs",
        OutcomeClass::BlockedByPolicy => "ask the user to allow the command",
        OutcomeClass::Crashed => "retry; if it crashes again, look into the crash itself",
    }
}

fn has(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// Classifies a finished command from its exit status and what it printed.
pub fn classify(output: &CommandOutput) -> (OutcomeClass, Counts) {
    let text = format!("{}\n{}", output.stdout, output.stderr);
    let counts = read_counts(&text);
    if output.timed_out {
        return (OutcomeClass::Timeout, counts);
    }
    if output.exit_code.is_none() {
        return (OutcomeClass::Crashed, counts);
    }
    let code = output.exit_code.unwrap_or(-1);
    let no_tests = has(
        &text,
        &["collected 0 items", "no tests ran", "[no test files]", "no tests to run", "# tests 0", "No tests found"],
    ) || (code == 0 && counts.passed == Some(0) && counts.failed == Some(0));
    let class =
        if code == 127 || (code != 0 && has(&text, &["command not found", "No such file or directory (os error 2)"])) {
            OutcomeClass::MissingExecutable
        } else if code != 0
            && has(
                &text,
                &[
                    "could not find `Cargo.toml`",
                    "no go.mod file",
                    "go.mod file not found",
                    "npm ERR! enoent",
                    "Could not read package.json",
                    "make: *** No rule to make target",
                    "ERROR: file or directory not found",
                    "No Makefile found",
                ],
            )
        {
            OutcomeClass::WrongWorkingDirectory
        } else if code != 0
            && has(
                &text,
                &[
                    "ModuleNotFoundError",
                    "No module named",
                    "Cannot find module",
                    "no matching package named",
                    "failed to select a version for the requirement",
                    "cannot find package",
                    "npm ERR! missing",
                    "error: linker `cc` not found",
                ],
            )
            && !has(&text, &["test result: FAILED", "AssertionError", "assertion"])
        {
            OutcomeClass::MissingDependency
        } else if no_tests || (code == 5 && text.contains("collected")) {
            OutcomeClass::NoTestsCollected
        } else if code == 0 {
            OutcomeClass::Passed
        } else if (129..=159).contains(&code) || has(&text, &["Segmentation fault", "core dumped"]) {
            OutcomeClass::Crashed
        } else {
            OutcomeClass::ProductFailure
        };
    (class, counts)
}

/// Reads counts and failing names from cargo, pytest, go test and node's test runner.
pub fn read_counts(text: &str) -> Counts {
    let mut counts = Counts::default();
    let add = |slot: &mut Option<u32>, n: u32| *slot = Some(slot.unwrap_or(0) + n);
    for line in text.lines() {
        let line = line.trim();
        // cargo: "test result: FAILED. 3 passed; 1 failed; 0 ignored; ..."
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                if let Some(pos) = words.iter().position(|w| *w == "passed" || *w == "failed")
                    && pos > 0
                    && let Ok(n) = words[pos - 1].trim_start_matches(|c: char| !c.is_ascii_digit()).parse()
                {
                    if words[pos] == "passed" { add(&mut counts.passed, n) } else { add(&mut counts.failed, n) }
                }
            }
        }
        // cargo: "test tests::it_fails ... FAILED"
        if let Some(name) = line.strip_prefix("test ").and_then(|l| l.strip_suffix(" ... FAILED")) {
            counts.failing_tests.push(name.to_string());
        }
        // pytest: "===== 1 failed, 2 passed in 0.03s =====" and "FAILED tests/test_a.py::test_b - ..."
        // (with -q the same line comes without the `=` padding)
        let summary = line.trim_matches(|c| c == '=' || c == ' ');
        let pytest_summary = summary.contains(" in ")
            && summary.split_whitespace().next().is_some_and(|w| w.parse::<u32>().is_ok())
            && (summary.contains(" passed") || summary.contains(" failed") || summary.contains(" error"));
        if pytest_summary {
            for part in summary.split(" in ").next().unwrap_or_default().split(',') {
                let words: Vec<&str> = part.split_whitespace().collect();
                if words.len() >= 2
                    && let Ok(n) = words[0].parse()
                {
                    match words[1] {
                        "passed" => add(&mut counts.passed, n),
                        "failed" | "error" | "errors" => add(&mut counts.failed, n),
                        _ => {}
                    }
                }
            }
        }
        if let Some(rest) = line.strip_prefix("FAILED ") {
            counts.failing_tests.push(rest.split(" - ").next().unwrap_or(rest).to_string());
        }
        // go test: "--- FAIL: TestName (0.00s)" / "--- PASS: ..."
        if let Some(rest) = line.strip_prefix("--- FAIL: ") {
            counts.failing_tests.push(rest.split_whitespace().next().unwrap_or(rest).to_string());
            add(&mut counts.failed, 1);
        }
        if line.starts_with("--- PASS: ") {
            add(&mut counts.passed, 1);
        }
        // node --test (TAP): "# pass 3", "# fail 1", "not ok 2 - name"
        if let Some(n) = line.strip_prefix("# pass ").and_then(|n| n.trim().parse().ok()) {
            add(&mut counts.passed, n);
        }
        if let Some(n) = line.strip_prefix("# fail ").and_then(|n| n.trim().parse().ok()) {
            add(&mut counts.failed, n);
        }
        if let Some(rest) = line.strip_prefix("not ok ") {
            let name = rest.split_once(" - ").map(|(_, n)| n).unwrap_or(rest);
            counts.failing_tests.push(name.to_string());
        }
    }
    counts.failing_tests.dedup();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn output(code: Option<i32>, stdout: &str, stderr: &str) -> CommandOutput {
        CommandOutput {
            exit_code: code,
            signal: None,
            stdout: stdout.into(),
            stderr: stderr.into(),
            timed_out: false,
            cancelled: false,
            duration: Duration::from_millis(5),
            ..CommandOutput::default()
        }
    }

    #[test]
    fn cargo_output_gives_counts_and_names() {
        let text = "running 3 tests\ntest a::ok ... ok\ntest a::bad ... FAILED\ntest result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured\n\nrunning 1 test\ntest result: ok. 1 passed; 0 failed; 0 ignored";
        let counts = read_counts(text);
        assert_eq!((counts.passed, counts.failed), (Some(3), Some(1)));
        assert_eq!(counts.failing_tests, ["a::bad"]);
        assert_eq!(classify(&output(Some(101), text, "")).0, OutcomeClass::ProductFailure);
    }

    #[test]
    fn pytest_go_and_node_output_give_counts() {
        let pytest =
            "FAILED tests/test_calc.py::test_div - ZeroDivisionError\n========= 1 failed, 4 passed in 0.05s =========";
        let c = read_counts(pytest);
        assert_eq!(
            (c.passed, c.failed, c.failing_tests.as_slice()),
            (Some(4), Some(1), ["tests/test_calc.py::test_div".to_string()].as_slice())
        );
        let go = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- FAIL: TestB (0.00s)\nFAIL";
        let c = read_counts(go);
        assert_eq!(
            (c.passed, c.failed, c.failing_tests.as_slice()),
            (Some(1), Some(1), ["TestB".to_string()].as_slice())
        );
        let node = "not ok 2 - divides\n# tests 3\n# pass 2\n# fail 1";
        let c = read_counts(node);
        assert_eq!(
            (c.passed, c.failed, c.failing_tests.as_slice()),
            (Some(2), Some(1), ["divides".to_string()].as_slice())
        );
    }

    #[test]
    fn broken_commands_are_told_apart_from_failing_code() {
        let class = |code, out: &str, err: &str| classify(&output(code, out, err)).0;
        assert_eq!(class(Some(127), "", "sh: 1: carg: not found"), OutcomeClass::MissingExecutable);
        assert_eq!(
            class(Some(101), "", "error: could not find `Cargo.toml` in `/tmp` or any parent directory"),
            OutcomeClass::WrongWorkingDirectory
        );
        assert_eq!(
            class(Some(1), "", "ModuleNotFoundError: No module named 'requests'"),
            OutcomeClass::MissingDependency
        );
        assert_eq!(
            class(Some(5), "collected 0 items\n==== no tests ran in 0.01s ====", ""),
            OutcomeClass::NoTestsCollected
        );
        assert_eq!(
            class(Some(0), "running 0 tests\ntest result: ok. 0 passed; 0 failed; 0 ignored", ""),
            OutcomeClass::NoTestsCollected
        );
        assert_eq!(class(Some(0), "test result: ok. 5 passed; 0 failed", ""), OutcomeClass::Passed);
        assert_eq!(class(None, "", ""), OutcomeClass::Crashed);
        assert_eq!(class(Some(139), "", "Segmentation fault (core dumped)"), OutcomeClass::Crashed);
        let mut hung = output(None, "", "");
        hung.timed_out = true;
        assert_eq!(classify(&hung).0, OutcomeClass::Timeout);
    }
}
