//! The reference implementation's own apply_patch scenarios, read from `../shared/conformance`,
//! each run through the real `aura apply-patch` in a fresh sandbox and judged by the final tree
//! alone (see HOW-TO-RUN.md there). One deliberate difference: Aura applies a patch all or nothing,
//! so where a later operation fails (scenario 015) the tree stays exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
}

fn scenarios_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/apply-patch/scenarios");
    assert!(
        dir.is_dir(),
        "the conformance scenarios are missing at {}: check out ../shared beside the repository",
        dir.display()
    );
    dir
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(relative, Entry::Dir);
                stack.push(path);
            } else if meta.is_file() {
                out.insert(relative, Entry::File(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (relative, entry) in snapshot(from) {
        match entry {
            Entry::Dir => std::fs::create_dir_all(to.join(relative)).unwrap(),
            Entry::File(bytes) => {
                std::fs::create_dir_all(to.join(&relative).parent().unwrap()).unwrap();
                std::fs::write(to.join(relative), bytes).unwrap();
            }
        }
    }
}

#[test]
fn every_reference_scenario_passes() {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(scenarios_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    names.sort();
    assert_eq!(names.len(), 23, "the fixture set has 23 scenarios");
    let mut failures = Vec::new();
    for scenario in &names {
        let name = scenario.file_name().unwrap().to_string_lossy().into_owned();
        let sandbox = tempfile::tempdir().unwrap();
        copy_tree(&scenario.join("input"), sandbox.path());
        let patch = std::fs::read_to_string(scenario.join("patch.txt")).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_aura"))
            .args(["apply-patch", &patch])
            .current_dir(sandbox.path())
            .output()
            .unwrap();
        // All or nothing: a failing patch leaves the input as it was.
        let expected = if name.starts_with("015_") { scenario.join("input") } else { scenario.join("expected") };
        if snapshot(sandbox.path()) != snapshot(&expected) {
            failures.push(format!(
                "{name}: tree differs (exit {:?}, stderr: {})",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios fail:\n{}", failures.len(), names.len(), failures.join("\n"));
}

#[test]
fn a_failing_patch_says_why_and_exits_1() {
    let sandbox = tempfile::tempdir().unwrap();
    std::fs::write(sandbox.path().join("a.txt"), "one\ntwo\n").unwrap();
    let patch =
        "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** Update File: a.txt\n@@\n-three\n+3\n*** End Patch\n";
    let output = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["apply-patch", patch])
        .current_dir(sandbox.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a.txt: chunk 1 expects these lines") && stderr.contains("three"), "{stderr}");
    assert!(!sandbox.path().join("new.txt").exists(), "nothing was applied");
    assert_eq!(std::fs::read_to_string(sandbox.path().join("a.txt")).unwrap(), "one\ntwo\n");
}

#[test]
fn the_patch_can_come_on_stdin_and_changes_are_listed() {
    use std::io::Write;
    let sandbox = tempfile::tempdir().unwrap();
    std::fs::write(sandbox.path().join("a.txt"), "one\r\ntwo").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aura"))
        .arg("apply-patch")
        .current_dir(sandbox.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"*** Begin Patch\n*** Update File: a.txt\n@@\n-two\n+2\n*** Add File: b/c.txt\n+x\n*** End Patch\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "M a.txt\nA b/c.txt\n");
    assert_eq!(
        std::fs::read_to_string(sandbox.path().join("a.txt")).unwrap(),
        "one\r\n2",
        "CRLF and the missing final newline are kept"
    );
}

#[test]
fn paths_outside_the_workspace_are_refused() {
    let parent = tempfile::tempdir().unwrap();
    let sandbox = parent.path().join("ws");
    std::fs::create_dir(&sandbox).unwrap();
    for patch in [
        "*** Begin Patch\n*** Add File: ../evil.txt\n+x\n*** End Patch\n",
        "*** Begin Patch\n*** Add File: /tmp/aura-evil.txt\n+x\n*** End Patch\n",
        "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+x\n*** End Patch\n",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_aura"))
            .args(["apply-patch", patch])
            .current_dir(&sandbox)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{patch}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("outside the workspace") || stderr.contains("absolute") || stderr.contains(".git/"),
            "{stderr}"
        );
    }
    assert!(!parent.path().join("evil.txt").exists());
    assert!(!Path::new("/tmp/aura-evil.txt").exists());
    assert_eq!(std::fs::read_dir(&sandbox).unwrap().count(), 0);
}

#[test]
fn binary_and_huge_files_are_refused_with_a_reason_and_left_alone() {
    let sandbox = tempfile::tempdir().unwrap();
    let latin1 = b"caf\xe9\n".to_vec();
    std::fs::write(sandbox.path().join("latin1.txt"), &latin1).unwrap();
    let big = vec![b'x'; 17 << 20];
    std::fs::write(sandbox.path().join("big.txt"), &big).unwrap();
    for (name, reason) in [("latin1.txt", "is not UTF-8 text"), ("big.txt", "over the 16 MiB limit for text edits")] {
        let patch = format!("*** Begin Patch\n*** Update File: {name}\n@@\n-x\n+y\n*** End Patch\n");
        let output = Command::new(env!("CARGO_BIN_EXE_aura"))
            .args(["apply-patch", &patch])
            .current_dir(sandbox.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{name}: {stderr}");
    }
    assert_eq!(std::fs::read(sandbox.path().join("latin1.txt")).unwrap(), latin1);
    assert_eq!(std::fs::metadata(sandbox.path().join("big.txt")).unwrap().len(), 17 << 20);
}
