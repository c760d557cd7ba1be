//! Spec files edited through the protocol, as the Specs tab does: read a spec's text, save it back
//! as an undoable change that re-reads the tasks, refuse paths outside `specs/`, and refuse to
//! overwrite a file that changed on disk since it was read.

mod common;

use common::{launch, open_project, wait};

use aura::domain::{ContentHash, ProjectId};
use aura::engine::EngineClient;
use aura::protocol::{Command, Event};

const SPEC: &str = "# 01 — Parser\n\n## Purpose\n\nRead the input.\n\n## Tasks\n\n- [ ] 01.1 Tokens\n";

/// Sends a save and returns the first answer about it: the text written, or why not.
fn save(client: &mut EngineClient, project: ProjectId, path: &str, text: &str, expected: Option<ContentHash>) -> Event {
    client.send(Command::SaveSpec { project, path: path.into(), text: text.into(), expected_hash: expected });
    wait(client, |e| matches!(e, Event::SpecText { .. } | Event::SpecFailed { .. }).then(|| e.clone()))
}

#[test]
fn paths_outside_specs_are_refused_and_nothing_is_written() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("src")).unwrap();
    std::fs::write(workspace.path().join("src/lib.rs"), "pub fn a() {}\n").unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());

    for path in ["../x.md", "src/lib.rs", "specs/../src/lib.rs", "/tmp/x.md", "specs/sub/x.md"] {
        let Event::SpecFailed { message, stale, path: answered, .. } = save(&mut client, project, path, "hacked", None)
        else {
            panic!("{path} was saved");
        };
        assert_eq!(answered, path);
        assert!(!stale);
        assert!(message.contains("is not a spec file: only specs/NAME.md inside the project"), "{message}");
        client.send(Command::ReadSpec { project, path: path.into() });
        let refused = wait(&client, |e| match e {
            Event::SpecFailed { message, .. } => Some(message.clone()),
            Event::SpecText { .. } => panic!("{path} was read"),
            _ => None,
        });
        assert!(refused.contains("is not a spec file"), "{refused}");
    }
    assert_eq!(std::fs::read_to_string(workspace.path().join("src/lib.rs")).unwrap(), "pub fn a() {}\n");
    assert!(!workspace.path().parent().unwrap().join("x.md").exists());
    assert!(!workspace.path().join("specs").exists(), "no folder was made for a refused path");
}

#[test]
fn a_save_is_undoable_rereads_the_tasks_and_never_overwrites_a_newer_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let file = workspace.path().join("specs/01-parser.md");
    std::fs::create_dir(workspace.path().join("specs")).unwrap();
    std::fs::write(&file, SPEC).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());

    client.send(Command::ReadSpec { project, path: "specs/01-parser.md".into() });
    let (text, hash) = wait(&client, |e| match e {
        Event::SpecText { text, hash, .. } => Some((text.clone(), hash.clone())),
        _ => None,
    });
    assert_eq!(text, SPEC);
    assert_eq!(hash, ContentHash::of(SPEC.as_bytes()));

    // A new task line: written, answered with the text, applied as an undoable change, read into tasks.
    let edited = format!("{SPEC}- [ ] 01.2 Syntax tree (depends_on: 01.1)\n");
    client.send(Command::SaveSpec {
        project,
        path: "specs/01-parser.md".into(),
        text: edited.clone(),
        expected_hash: Some(hash),
    });
    let changeset = wait(&client, |e| match e {
        Event::ChangeSetDecided { changeset, applied } => {
            assert_eq!(applied, &["specs/01-parser.md"]);
            Some(changeset.id)
        }
        _ => None,
    });
    let saved = wait(&client, |e| match e {
        Event::SpecText { text, hash, .. } => Some((text.clone(), hash.clone())),
        _ => None,
    });
    assert_eq!(saved, (edited.clone(), ContentHash::of(edited.as_bytes())));
    let tasks = wait(&client, |e| match e {
        Event::SpecsChanged { tasks, .. } => Some(tasks.iter().map(|t| t.key.clone()).collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(tasks, ["01.1", "01.2"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    // Bad task lines still save; the problems come back with file and line.
    let bad = format!("{edited}- [ ] 1.3 Not a key\n");
    assert!(matches!(
        save(&mut client, project, "specs/01-parser.md", &bad, Some(saved.1.clone())),
        Event::SpecText { .. }
    ));
    let problems = wait(&client, |e| match e {
        Event::TaskListInvalid { problems, .. } => Some(problems.clone()),
        _ => None,
    });
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("specs/01-parser.md:11: `- [ ] 1.3 Not a key` is not a task line"), "{problems:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);

    // The file changed on disk since the text the edit started from: refused, the disk left alone.
    std::fs::write(&file, "# 01 — Parser\n\nedited in another editor\n").unwrap();
    let answer = save(&mut client, project, "specs/01-parser.md", "mine", Some(ContentHash::of(bad.as_bytes())));
    let Event::SpecFailed { message, stale: true, .. } = answer else { panic!("not refused: {answer:?}") };
    assert!(message.contains("changed on disk since you opened it: reload it"), "{message}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# 01 — Parser\n\nedited in another editor\n");

    // Deleted on disk counts as changed too; overwriting (no expected hash) is the user's choice.
    std::fs::remove_file(&file).unwrap();
    let answer = save(&mut client, project, "specs/01-parser.md", SPEC, Some(ContentHash::of(bad.as_bytes())));
    assert!(matches!(answer, Event::SpecFailed { stale: true, .. }), "{answer:?}");
    assert!(!file.exists());
    let rewritten = "# 01 — Parser\n\nrewritten\n";
    assert!(matches!(save(&mut client, project, "specs/01-parser.md", rewritten, None), Event::SpecText { .. }));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), rewritten);

    // Each save is a checkpoint like any agent's change: restoring to before the first one undoes
    // them all and brings back the text the file started with.
    client.send(Command::RestoreCheckpoint { changeset, overwrite: vec![] });
    wait(&client, |e| matches!(e, Event::ChangeSetUndone { .. }).then_some(()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SPEC);
}
