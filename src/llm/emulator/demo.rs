//! The scripted demo run: a `requirements.md` for a small Rust library, and the turns a model
//! plays to build it through Aura's dev loop (two specs, three tasks, each planned, patched and
//! verified by `cargo test`). `aura emulator --demo`, `scripts/demo.sh`, the dev loop tests and the
//! engine benchmark all play it.

use serde_json::{Value, json};

use super::script::{Script, Step, Turn};

pub const REQUIREMENTS: &str = include_str!("../../../assets/demo/requirements.md");

pub const SPEC_01: &str = "# 01 — Crate\n\n## Purpose\nThe crate and its first function.\n\n## Requirements covered\nR1\n\n## Interfaces\n`pub fn add(a: i64, b: i64) -> i64`\n\n## Use cases\nAdd two numbers.\n\n## Invariants\nNo panics.\n\n## Tasks\n\n- [ ] 01.1 Create the crate with add and its test\n\n## Definition of Done\n- `cargo test`\n";
pub const SPEC_02: &str = "# 02 — Operations\n\n## Purpose\nMore arithmetic.\n\n## Requirements covered\nR1\n\n## Interfaces\n`mul`, `sub`\n\n## Use cases\nMultiply and subtract.\n\n## Invariants\nNo panics.\n\n## Tasks\n\n- [ ] 02.1 Add mul with a test (depends_on: 01.1)\n- [ ] 02.2 Add sub with a test (depends_on: 01.1)\n\n## Definition of Done\n- `cargo test`\n";

pub const CARGO_TOML: &str =
    "[package]\nname = \"mathlib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n";
pub const LIB_RS: &str = "//! Small arithmetic helpers.\n\n/// The sum of `a` and `b`.\npub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(2, 3), 5);\n    }\n}\n";
const ADD_FN: &str = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n";
const ADD_TEST: &str = "    fn adds() {\n        assert_eq!(add(2, 3), 5);\n    }\n";

pub fn call(name: &str, arguments: Value) -> Step {
    Step::ToolCall { name: name.into(), arguments: arguments.to_string() }
}

pub fn text(t: &str) -> Turn {
    Turn::text(t)
}

pub fn spec_turns() -> Vec<Turn> {
    vec![
        Turn::steps(vec![
            Step::Text { text: "Writing two specs.".into() },
            call("write_file", json!({"path": "specs/01-crate.md", "content": SPEC_01})),
            call("write_file", json!({"path": "specs/02-operations.md", "content": SPEC_02})),
        ]),
        text("Wrote specs/01-crate.md and specs/02-operations.md."),
    ]
}

pub fn plan(goal: &str) -> Turn {
    Turn::steps(vec![call(
        "submit_work_order",
        json!({"goal": goal, "capsule": format!("{goal}. Keep the existing functions; add a unit test."), "acceptance": ["cargo test passes"], "validation": ["cargo test"]}),
    )])
}

pub fn task_01() -> Vec<Turn> {
    let patch = format!(
        "*** Begin Patch\n*** Add File: Cargo.toml\n{}*** Add File: src/lib.rs\n{}*** End Patch",
        CARGO_TOML.lines().map(|l| format!("+{l}\n")).collect::<String>(),
        LIB_RS.lines().map(|l| format!("+{l}\n")).collect::<String>()
    );
    vec![
        plan("Create the mathlib crate with add"),
        Turn::steps(vec![call("apply_patch", json!({"patch": patch}))]),
        text("Created Cargo.toml and src/lib.rs with add and its test."),
    ]
}

/// A task that adds `name` after `add`, with its test after `adds`.
fn operation(name: &str, op: &str, test: &str, check: &str, first_step: Option<Step>) -> Vec<Turn> {
    let function = format!("{ADD_FN}\n/// `a` {op} `b`.\npub fn {name}(a: i64, b: i64) -> i64 {{\n    a {op} b\n}}\n");
    let test = format!("{ADD_TEST}\n    #[test]\n    fn {test}() {{\n        {check}\n    }}\n");
    let mut steps: Vec<Step> = first_step.into_iter().collect();
    steps.push(call("replace", json!({"path": "src/lib.rs", "old": ADD_FN, "new": function})));
    steps.push(call("replace", json!({"path": "src/lib.rs", "old": ADD_TEST, "new": test})));
    vec![plan(&format!("Add {name}")), Turn::steps(steps), text(&format!("Added {name} and its test."))]
}

pub fn task_mul(first_step: Option<Step>) -> Vec<Turn> {
    operation("mul", "*", "multiplies", "assert_eq!(mul(4, 5), 20);", first_step)
}

pub fn task_sub() -> Vec<Turn> {
    operation("sub", "-", "subtracts", "assert_eq!(sub(9, 4), 5);", None)
}

/// The whole run, from specs to the last task.
pub fn script() -> Script {
    let mut turns = spec_turns();
    turns.extend(task_01());
    turns.extend(task_mul(None));
    turns.extend(task_sub());
    Script::new(turns)
}

/// The chat demo, played against a workspace holding the finished `mathlib` crate ([`CARGO_TOML`],
/// [`LIB_RS`]): the model reads `src/lib.rs`, proposes one change with two hunks (the doc line and a
/// new `double`), and when the review answers, replies in markdown with a code block.
pub fn chat_script() -> Script {
    let doubled = LIB_RS
        .replace("//! Small arithmetic helpers.", "//! Small arithmetic helpers, now with doubling.")
        .replace(ADD_FN, &format!("{ADD_FN}\n/// Twice `a`.\npub fn double(a: i64) -> i64 {{\n    add(a, a)\n}}\n"));
    Script::new(vec![
        Turn::steps(vec![
            Step::Text { text: "Let me read the library first.".into() },
            call("read_file", json!({"path": "src/lib.rs"})),
        ]),
        Turn::steps(vec![
            Step::Text { text: "I will add `double` next to `add` and mention it in the crate doc.".into() },
            call("write_file", json!({"path": "src/lib.rs", "content": doubled})),
        ]),
        text(
            "Done. The review decided what landed; `double` reuses `add`:\n\n```rust\npub fn double(a: i64) -> i64 {\n    add(a, a)\n}\n```\n\n- run `cargo test` to check\n- **nothing else** changed",
        ),
        // `/drone review …` next: the review Drone reads the file and reports.
        Turn::steps(vec![
            Step::Text { text: "Reading what changed.".into() },
            call("read_file", json!({"path": "src/lib.rs"})),
        ]),
        text(
            "## Findings\n\n- `double` has no test of its own; add one beside `adds`.\n- `double(i64::MAX)` overflows like `add`; consider `checked_add`.\n\nNothing blocks the change.",
        ),
    ])
}
