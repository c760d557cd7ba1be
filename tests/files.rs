//! The workspace's files through the protocol, as the Files tab and the viewer use them: folders
//! listed with ignore files honoured, files found by name, files read whatever they hold (text,
//! invalid UTF-8, binary, 200 MB, gone), hand edits saved with a checkpoint and refused when the
//! file changed since, and the watcher naming what changed on disk, a flood as "everything".

mod common;

use std::path::Path;
use std::time::Duration;

use common::{launch, open_project, wait};

use aura::domain::{ContentHash, ProjectId};
use aura::engine::EngineClient;
use aura::protocol::{Command, Event, FileBody, FolderListing};

fn listed(client: &mut EngineClient, project: ProjectId, path: &str) -> FolderListing {
    client.send(Command::ListFolder { project, path: path.into() });
    wait(client, |e| match e {
        Event::FolderListed { listing, .. } if listing.path == path => Some(listing.clone()),
        _ => None,
    })
}

fn read(client: &mut EngineClient, project: ProjectId, path: &str) -> FileBody {
    client.send(Command::ReadFile { project, path: path.into() });
    wait(client, |e| match e {
        Event::FileRead { file, .. } if file.path == path => Some(file.body.clone()),
        _ => None,
    })
}

fn names(listing: &FolderListing) -> Vec<(&str, bool)> {
    listing.entries.iter().map(|e| (e.name.as_str(), e.dir)).collect()
}

fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A workspace made by `setup`, opened as a project on an engine over a new store.
struct Opened {
    _runtime: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
    workspace: tempfile::TempDir,
    client: EngineClient,
    project: ProjectId,
}

fn opened(setup: impl FnOnce(&Path)) -> Opened {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    setup(workspace.path());
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    Opened { _runtime: runtime, _data: data, workspace, client, project }
}

#[test]
fn folders_list_what_the_user_sees_and_files_are_found_by_name() {
    let Opened { _runtime, _data, workspace: _workspace, mut client, project } = opened(|root| {
        write(root, ".gitignore", "target/\n*.log\n");
        write(root, "src/lib.rs", "pub fn a() {}\n");
        write(root, "src/parse/tokens.rs", "");
        write(root, "target/debug/aura", "binary");
        write(root, "build.log", "noise");
        write(root, ".github/workflows/ci.yml", "on: push\n");
        write(root, ".git/HEAD", "ref: refs/heads/main\n");
        write(root, "Zebra.md", "");
    });

    let top = listed(&mut client, project, "");
    assert_eq!(top.error, None);
    assert_eq!(
        names(&top),
        [(".github", true), ("src", true), (".gitignore", false), ("Zebra.md", false)],
        "folders first, by name; ignored files and the git folder left out (no git repository needed)"
    );
    let src = listed(&mut client, project, "src");
    assert_eq!(names(&src), [("parse", true), ("lib.rs", false)]);
    assert_eq!(src.entries[1].size, 14);

    for outside in ["..", "../..", "/etc"] {
        let refused = listed(&mut client, project, outside);
        assert!(refused.entries.is_empty(), "{outside} was listed: {refused:?}");
        assert!(refused.error.is_some_and(|e| e.contains("outside") || e.contains("absolute")), "{outside}");
    }
    let gone = listed(&mut client, project, "no/such/folder");
    assert!(gone.error.unwrap().contains("no longer a folder"));

    client.send(Command::FindFiles { project, query: "TOK".into(), limit: 10 });
    let (paths, total) = wait(&client, |e| match e {
        Event::FilesFound { paths, total, .. } => Some((paths.clone(), *total)),
        _ => None,
    });
    assert_eq!((paths, total), (vec!["src/parse/tokens.rs".to_string()], 1));
    client.send(Command::FindFiles { project, query: "aura".into(), limit: 10 });
    let found = wait(&client, |e| match e {
        Event::FilesFound { total, .. } => Some(*total),
        _ => None,
    });
    assert_eq!(found, 0, "ignored files are not found");
}

#[test]
fn files_are_read_as_what_they_hold() {
    let Opened { _runtime, _data, workspace: _workspace, mut client, project } = opened(|root| {
        write(root, "ok.rs", "fn main() {}\r\n");
        write(root, "latin1.txt", b"caf\xe9 cr\xe8me\n");
        write(root, "image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        // 200 MB, sparse: its size is what the viewer looks at, so nothing this big is read.
        let huge = std::fs::File::create(root.join("huge.bin")).unwrap();
        huge.set_len(200 << 20).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("escape")).unwrap();
    });

    let FileBody::Text { text, hash, lossy } = read(&mut client, project, "ok.rs") else { panic!() };
    assert_eq!((text.as_str(), lossy), ("fn main() {}\r\n", false), "the bytes as they are, CRLF kept");
    assert_eq!(hash, ContentHash::of(b"fn main() {}\r\n"));
    let FileBody::Text { text, lossy, hash } = read(&mut client, project, "latin1.txt") else { panic!() };
    assert!(lossy && text.starts_with("caf\u{fffd} cr"), "{text}");
    assert_eq!(hash, ContentHash::of(b"caf\xe9 cr\xe8me\n"), "the hash is of the bytes on disk");
    assert_eq!(read(&mut client, project, "image.png"), FileBody::Binary { size: 16 });
    let started = std::time::Instant::now();
    assert_eq!(read(&mut client, project, "huge.bin"), FileBody::TooLarge { size: 200 << 20, limit: 16 << 20 });
    assert!(started.elapsed() < Duration::from_secs(2), "a 200 MB file is never read for the viewer");
    assert_eq!(read(&mut client, project, "gone.rs"), FileBody::Missing);
    let FileBody::Unreadable { reason } = read(&mut client, project, "escape") else { panic!("read through a link") };
    assert!(reason.contains("outside the workspace"), "{reason}");
    let FileBody::Unreadable { reason } = read(&mut client, project, "../x") else { panic!() };
    assert!(reason.contains("outside the workspace"), "{reason}");
}

fn save(client: &mut EngineClient, project: ProjectId, path: &str, text: &str, expected: Option<ContentHash>) -> Event {
    client.send(Command::SaveFile { project, path: path.into(), text: text.into(), expected_hash: expected });
    wait(client, |e| matches!(e, Event::FileRead { .. } | Event::FileFailed { .. }).then(|| e.clone()))
}

#[test]
fn a_hand_edit_is_saved_with_a_checkpoint_and_never_over_a_newer_file() {
    let Opened { _runtime, _data, workspace, mut client, project } = opened(|root| {
        write(root, "src/lib.rs", "pub fn a() {}\n");
    });
    let root = workspace.path();
    let FileBody::Text { hash, .. } = read(&mut client, project, "src/lib.rs") else { panic!() };

    client.send(Command::SaveFile {
        project,
        path: "src/lib.rs".into(),
        text: "pub fn b() {}\n".into(),
        expected_hash: Some(hash.clone()),
    });
    // The save is an applied change with a checkpoint (Review can undo it), then the file as saved.
    let checkpoint = wait(&client, |e| match e {
        Event::ChangeSetDecided { changeset, applied } if applied == &["src/lib.rs".to_string()] => Some(changeset.id),
        Event::FileFailed { message, .. } => panic!("{message}"),
        _ => None,
    });
    let saved = wait(&client, |e| match e {
        Event::FileRead { file, .. } => match &file.body {
            FileBody::Text { text, hash, .. } if text == "pub fn b() {}\n" => Some(hash.clone()),
            other => panic!("{other:?}"),
        },
        _ => None,
    });
    assert_eq!(std::fs::read_to_string(root.join("src/lib.rs")).unwrap(), "pub fn b() {}\n");

    // Changed on disk since it was read: the save is refused as stale and nothing is written.
    std::fs::write(root.join("src/lib.rs"), "pub fn theirs() {}\n").unwrap();
    let Event::FileFailed { message, stale, .. } = save(&mut client, project, "src/lib.rs", "mine\n", Some(saved))
    else {
        panic!("saved over a newer file")
    };
    assert!(stale && message.contains("changed on disk since you opened it"), "{message}");
    assert_eq!(std::fs::read_to_string(root.join("src/lib.rs")).unwrap(), "pub fn theirs() {}\n");
    // Overwrite (no hash) writes it.
    let Event::FileRead { .. } = save(&mut client, project, "src/lib.rs", "mine\n", None) else { panic!() };
    assert_eq!(std::fs::read_to_string(root.join("src/lib.rs")).unwrap(), "mine\n");
    // Deleted since it was read: refused as stale too, nothing made.
    std::fs::remove_file(root.join("src/lib.rs")).unwrap();
    let Event::FileFailed { stale: true, .. } = save(&mut client, project, "src/lib.rs", "x\n", Some(hash)) else {
        panic!("a deleted file was written back without asking")
    };
    assert!(!root.join("src/lib.rs").exists());
    // Writing into the git folder, or outside, is refused with the jail's reason.
    for path in [".git/config", "../outside.txt"] {
        let Event::FileFailed { message, stale: false, .. } = save(&mut client, project, path, "x", None) else {
            panic!("{path} was written")
        };
        assert!(message.contains("git folder") || message.contains("outside"), "{path}: {message}");
    }
    assert!(!root.parent().unwrap().join("outside.txt").exists());
    // Undoing the hand edit puts back the text from before it (the file was changed since, so
    // the hand-edit protection asks first: overwriting it is the user's explicit choice).
    client.send(Command::UndoChangeSet { changeset: checkpoint, overwrite: vec!["src/lib.rs".into()] });
    wait(&client, |e| match e {
        Event::ChangeSetUndone { .. } => Some(()),
        Event::Error { message, .. } => panic!("{message}"),
        _ => None,
    });
    assert_eq!(std::fs::read_to_string(root.join("src/lib.rs")).unwrap(), "pub fn a() {}\n");
}

fn changed(client: &EngineClient, project: ProjectId) -> (Vec<String>, bool) {
    wait(client, |e| match e {
        Event::FilesChanged { project: p, paths, all } if *p == project => Some((paths.clone(), *all)),
        _ => None,
    })
}

#[test]
fn the_watcher_names_changes_on_disk_and_a_flood_as_everything() {
    let Opened { _runtime, _data, workspace, mut client, project } = opened(|root| {
        write(root, ".gitignore", "target/\n");
        write(root, "src/lib.rs", "");
        write(root, "target/.keep", "");
    });
    let root = workspace.path();
    // The watch is set up once the project is open; a listing answered after it means it is.
    listed(&mut client, project, "");
    std::thread::sleep(Duration::from_millis(300));

    write(root, "src/new.rs", "fn x() {}\n");
    let (paths, all) = changed(&client, project);
    assert!(!all && paths.contains(&"src/new.rs".to_string()), "{paths:?}");

    // Output in an ignored folder is never announced; a new folder is followed from then on.
    write(root, "target/debug/out.o", "x");
    write(root, "docs/guide.md", "# Guide\n");
    let (paths, _) = changed(&client, project);
    assert!(paths.iter().all(|p| !p.starts_with("target")), "{paths:?}");
    assert!(paths.contains(&"docs".to_string()) || paths.contains(&"docs/guide.md".to_string()), "{paths:?}");
    std::thread::sleep(Duration::from_millis(300));
    write(root, "docs/more.md", "");
    let (paths, _) = changed(&client, project);
    assert!(paths.contains(&"docs/more.md".to_string()), "a folder made after the start is followed: {paths:?}");

    std::fs::remove_file(root.join("src/lib.rs")).unwrap();
    let (paths, _) = changed(&client, project);
    assert!(paths.contains(&"src/lib.rs".to_string()), "{paths:?}");

    // A build writes 5,000 files at once: announced as everything, not as 5,000 names.
    for i in 0..5000 {
        write(root, &format!("gen/{:02}/{i}.rs", i % 50), "");
    }
    loop {
        let (paths, all) = changed(&client, project);
        assert!(paths.len() <= 1000, "{} paths named at once", paths.len());
        if all {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    client.send(Command::FindFiles { project, query: "gen 4999".into(), limit: 10 });
    let found = wait(&client, |e| match e {
        Event::FilesFound { paths, .. } => Some(paths.clone()),
        _ => None,
    });
    assert_eq!(found, ["gen/49/4999.rs"], "the file index was made again after the flood");
}
