//! What a fault probe asked of the workspace jail and the apply path, on real files and real
//! processes: an apply killed halfway (by `strace` injecting SIGKILL at a chosen rename of the real
//! `aura apply-patch`) is finished or rolled back by the next start, leaving no temporary file;
//! names of 255 bytes edit; FIFOs and sockets are refused, never waited on; a symlink inside the
//! workspace edits its target; git folders stay unwritable however they are reached.

use std::os::unix::fs::{FileTypeExt, symlink};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use aura::edits::{self, EditError, Files, Replace, WriteFile, patch};
use aura::tools::read::read_file;
use aura::tools::{JailError, Workspace};

const JOURNAL: &str = ".aura-apply-journal";

/// Every file under `root` with its bytes (folders as `None`), symlinks by their target.
fn tree(root: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if meta.is_dir() {
                out.push((relative, None));
                stack.push(path);
            } else if meta.is_symlink() {
                out.push((relative, Some(std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes())));
            } else {
                out.push((relative, Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// Names Aura's apply leaves while it runs: temporary files and the journal.
fn leftovers(root: &Path) -> Vec<PathBuf> {
    let ours = |path: &PathBuf| path.file_name().unwrap().to_string_lossy().contains(".aura-");
    tree(root).into_iter().map(|(path, _)| path).filter(ours).collect()
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for (name, text) in [("a.txt", "a\n"), ("b.txt", "b\n"), ("c.txt", "c\n"), ("gone.txt", "gone\n")] {
        std::fs::write(root.join(name), text).unwrap();
    }
    (dir, root)
}

const PATCH: &str = "*** Begin Patch\n\
*** Update File: a.txt\n@@\n-a\n+A\n\
*** Update File: b.txt\n@@\n-b\n+B\n\
*** Add File: new/deep/c.txt\n+new\n\
*** Delete File: gone.txt\n\
*** End Patch";

/// Runs `aura apply-patch PATCH` in `root` under strace, which does `fault` (`signal=KILL`,
/// `error=EIO`) on entry to its `nth` rename: the journal is renamed into place twice (staged,
/// committed), then each file.
fn apply_faulted_at_rename(root: &Path, fault: &str, nth: u32) -> std::process::Output {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat,renameat2", "-e"])
        .arg(format!("inject=renameat,renameat2:{fault}:when={nth}"))
        .arg(env!("CARGO_BIN_EXE_aura"))
        .args(["apply-patch", PATCH])
        .current_dir(root)
        .output()
        .expect("strace runs the apply (install it: scripts/test does)")
}

fn apply_killed_at_rename(root: &Path, nth: u32) {
    let strace = apply_faulted_at_rename(root, "signal=KILL", nth);
    assert_eq!(strace.status.signal(), Some(9), "the apply was killed: {strace:?}");
    assert!(root.join(JOURNAL).exists(), "the killed apply left its journal");
}

#[test]
fn a_rename_failing_halfway_puts_every_file_back() {
    let (_dir, root) = workspace();
    let before = tree(&root);
    let out = apply_faulted_at_rename(&root, "error=EIO", 4); // a.txt replaced, b.txt's rename fails
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("b.txt"), "{out:?}");
    assert_eq!(tree(&root), before, "a.txt put back, the new folders and every temporary file gone");
}

#[test]
fn an_apply_killed_while_it_replaces_files_is_finished_by_the_next_start() {
    let (_dir, root) = workspace();
    apply_killed_at_rename(&root, 4); // after a.txt, before b.txt
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "A\n");
    assert_eq!(std::fs::read_to_string(root.join("b.txt")).unwrap(), "b\n", "killed halfway");
    // The next start: another apply-patch, which opens the workspace first.
    let next = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["apply-patch", "*** Begin Patch\n*** Update File: c.txt\n@@\n-c\n+C\n*** End Patch"])
        .current_dir(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&next.stderr);
    assert!(next.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted halfway was finished (2 files put in place, 1 removed)"), "{stderr}");
    for (name, text) in [("a.txt", "A\n"), ("b.txt", "B\n"), ("c.txt", "C\n"), ("new/deep/c.txt", "new\n")] {
        assert_eq!(std::fs::read_to_string(root.join(name)).unwrap(), text, "{name}");
    }
    assert!(!root.join("gone.txt").exists());
    assert_eq!(leftovers(&root), Vec::<PathBuf>::new());
}

#[test]
fn an_apply_killed_before_it_replaces_anything_is_rolled_back_on_open() {
    let (_dir, root) = workspace();
    let before = tree(&root);
    apply_killed_at_rename(&root, 2); // every new content staged, the journal not yet committed
    assert!(leftovers(&root).len() > 2, "temporary files were staged: {:?}", leftovers(&root));
    Workspace::open(&root).unwrap();
    assert_eq!(tree(&root), before, "the tree is exactly as before: no temporary file, no new folder");
    assert_eq!(edits::recover(&Workspace::open(&root).unwrap()), Ok(edits::Recovery::Nothing));
}

#[test]
fn names_of_255_bytes_can_be_edited() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}.rs", "n".repeat(252));
    assert_eq!(name.len(), 255);
    std::fs::write(dir.path().join(&name), "fn old() {}\n").unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let change = edits::plan_replace(
        &Replace { path: name.clone(), old: "old".into(), new: "new".into(), replace_all: false, expected_hash: None },
        &ws,
    )
    .unwrap();
    edits::apply(&[change], &ws).unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join(&name)).unwrap(), "fn new() {}\n");
    assert_eq!(leftovers(dir.path()), Vec::<PathBuf>::new());
}

/// Runs `f` on another thread and fails if it does not return soon: a blocked open would hang.
fn soon<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    rx.recv_timeout(Duration::from_secs(10)).expect("returned instead of waiting")
}

#[test]
fn fifos_and_sockets_are_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("mkfifo").arg(dir.path().join("pipe")).status().unwrap();
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock")).unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    for (path, kind) in [("pipe", "FIFO (named pipe)"), ("sock", "socket")] {
        let ws = ws.clone();
        let (read, text, write) = soon(move || {
            let write = WriteFile { path: path.into(), content: "x".into(), expected_hash: None };
            (read_file(&ws, path, None).map(drop), ws.read_text(path), edits::plan_write(&write, &ws).map(drop))
        });
        let expected = format!("{path} is a {kind}, not a regular file; tools only read and edit regular files");
        assert_eq!(read.unwrap_err().to_string(), expected);
        assert!(matches!(&text, Err(EditError::Refused { reason, .. }) if *reason == expected), "{text:?}");
        assert!(matches!(&write, Err(EditError::Refused { reason, .. }) if *reason == expected), "{write:?}");
    }
    assert!(std::fs::symlink_metadata(dir.path().join("pipe")).unwrap().file_type().is_fifo(), "left as it was");
}

#[test]
fn a_symlink_inside_the_workspace_edits_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/real.rs"), "one\n").unwrap();
    std::fs::write(outside.path().join("secret"), "key\n").unwrap();
    symlink("src/real.rs", root.join("alias.rs")).unwrap();
    symlink(root.join("src/real.rs"), root.join("absolute.rs")).unwrap();
    symlink(outside.path().join("secret"), root.join("out.rs")).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let replace = |path: &str, old: &str, new: &str| {
        let edit =
            Replace { path: path.into(), old: old.into(), new: new.into(), replace_all: false, expected_hash: None };
        edits::plan_replace(&edit, &ws).and_then(|change| edits::apply(&[change], &ws))
    };
    replace("alias.rs", "one", "two").unwrap();
    replace("absolute.rs", "two", "three").unwrap();
    assert_eq!(std::fs::read_to_string(root.join("src/real.rs")).unwrap(), "three\n");
    for link in ["alias.rs", "absolute.rs"] {
        assert!(std::fs::symlink_metadata(root.join(link)).unwrap().is_symlink(), "{link} is still a link");
    }
    let refused = replace("out.rs", "key", "stolen").unwrap_err();
    assert!(refused.to_string().contains("leads outside the workspace"), "{refused}");
    assert_eq!(std::fs::read_to_string(outside.path().join("secret")).unwrap(), "key\n");
    // Deleting through the link removes the link, not the file it points to.
    let delete =
        edits::plan_patch(&patch::parse("*** Begin Patch\n*** Delete File: alias.rs\n*** End Patch").unwrap(), &ws);
    edits::apply(&delete.unwrap(), &ws).unwrap();
    assert!(std::fs::symlink_metadata(root.join("alias.rs")).is_err());
    assert_eq!(std::fs::read_to_string(root.join("src/real.rs")).unwrap(), "three\n");
}

fn git(args: &[&str], dir: &Path) {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn git_folders_are_protected_on_the_resolved_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&["init", "-q"], &root);
    std::fs::create_dir_all(root.join("vendor/lib")).unwrap();
    git(&["init", "-q"], &root.join("vendor/lib"));
    git(&["init", "-q", "--bare", "mirror"], &root);
    symlink(".git", root.join("g")).unwrap();
    symlink(".git/hooks", root.join("h")).unwrap();
    symlink("mirror", root.join("m")).unwrap();
    let ws = Workspace::open(&root).unwrap();
    for path in
        ["g/hooks/pre-commit", "h/pre-commit", "vendor/lib/.git/hooks/pre-commit", "mirror/hooks/update", "m/config"]
    {
        let write =
            WriteFile { path: path.into(), content: "#!/bin/sh\ntouch /tmp/owned\n".into(), expected_hash: None };
        let err = edits::plan_write(&write, &ws).unwrap_err();
        let expected = JailError::GitDir { path: path.into() }.to_string();
        assert!(matches!(&err, EditError::Refused { reason, .. } if *reason == expected), "{path}: {err}");
    }
    assert!(ws.place("vendor/lib/src.rs").is_ok(), "a nested repository's work tree is writable");
    assert!(read_file(&ws, "g/HEAD", None).is_ok(), "reading through the link is fine");
    // The real binary refuses the same patch, and writes nothing.
    let before = tree(&root);
    let out = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["apply-patch", "*** Begin Patch\n*** Add File: g/hooks/pre-commit\n+#!/bin/sh\n*** End Patch"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("git folder"), "{out:?}");
    assert_eq!(tree(&root), before);
}
