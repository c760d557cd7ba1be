//! The engine through the protocol, as every surface uses it, over a real store in a temp dir.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aura::domain::{Message, Record, Role, SessionKind};
use aura::engine::{self, EngineClient};
use aura::protocol::{Command, Event, PROTOCOL_VERSION, Surface};

fn launch(runtime: &tokio::runtime::Runtime, data: &Path, wakes: Arc<AtomicUsize>) -> EngineClient {
    let waker = Arc::new(move || {
        wakes.fetch_add(1, Ordering::SeqCst);
    });
    engine::launch(runtime.handle(), data.to_path_buf(), waker)
        .recv_timeout(Duration::from_secs(10))
        .expect("the engine launches")
        .expect("the store opens")
}

fn next(client: &EngineClient) -> Event {
    client.recv_timeout(Duration::from_secs(10)).expect("an event").body
}

#[test]
fn hello_open_project_and_sessions() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let wakes = Arc::new(AtomicUsize::new(0));
    let mut client = launch(&runtime, &dir.path().join("data"), wakes.clone());

    client.send(Command::Hello { surface: Surface::Cli, client: "test".into() });
    let Event::Welcome { protocol_version, data_dir, .. } = next(&client) else { panic!("no welcome") };
    assert_eq!(protocol_version, PROTOCOL_VERSION);
    assert_eq!(data_dir, dir.path().join("data"));
    // The waker runs just after the event is queued: give it a moment on a busy machine.
    let woken = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        wakes.load(Ordering::SeqCst) >= 1
    });
    assert!(woken, "the surface was woken");

    client.send(Command::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not opened") };
    assert_eq!(snapshot.project.root, workspace.path().canonicalize().unwrap());
    let project = snapshot.project.id;

    // Opening again finds the same project rather than registering a twin.
    client.send(Command::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not reopened") };
    assert_eq!(snapshot.project.id, project);
    client.send(Command::ListProjects);
    let Event::Projects { projects } = next(&client) else { panic!("no list") };
    assert_eq!(projects.len(), 1);

    client.send(Command::CreateSession { project, kind: SessionKind::Chat, title: "main".into() });
    let Event::SessionCreated { session } = next(&client) else { panic!("no session") };
    assert_eq!(session.project, Some(project));
    let Event::ConversationChanged { conversation, .. } = next(&client) else { panic!("not listed") };
    assert_eq!((conversation.session, conversation.title.as_str()), (session.id, "main"));

    // A message needs a model; without one the error says where to choose it, and the
    // conversation keeps the message with that answer under it.
    let seq = client.send(Command::SendMessage { session: session.id, text: "hi".into() });
    let mut kept = Vec::new();
    let (command, message) = loop {
        match next(&client) {
            Event::Error { command, message } => break (command, message),
            Event::Recorded { record, .. } => kept.push(record),
            _ => {}
        }
    };
    assert_eq!(command, Some(seq));
    assert!(message.contains("no model is chosen") && message.contains("Settings"), "{message}");
    assert!(
        matches!(&kept[..], [Record::Message(m), Record::Note { text, error: true, .. }]
        if m.plain_text() == "hi" && *text == message),
        "{kept:?}"
    );
}

#[test]
fn a_missing_folder_is_an_error_that_names_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = launch(&runtime, &dir.path().join("data"), Arc::default());
    let missing = dir.path().join("no-such-project");
    let seq = client.send(Command::OpenProject { root: missing.clone() });
    let Event::Error { command, message } = next(&client) else { panic!("no error") };
    assert_eq!(command, Some(seq));
    assert!(message.contains(&missing.display().to_string()) && message.contains("Check the path"), "{message}");
}

#[test]
fn history_pages_back_through_a_long_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let session = aura::domain::SessionId::new();
    let handle =
        aura::store::StoreHandle::spawn(aura::store::Store::open(&data, &Default::default()).unwrap()).unwrap();
    let records: Vec<Record> =
        (1..=250).map(|i| Record::Message(Message::text(session, Role::User, format!("m{i}")))).collect();
    handle.write_blocking(move |w| w.append(session, &records)).unwrap();
    handle.close();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data, Arc::default());
    client.send(Command::LoadHistory { session, before: None, limit: 200 });
    let Event::History { records, complete, .. } = next(&client) else { panic!("no history") };
    assert_eq!((records.first().unwrap().0, records.last().unwrap().0, records.len()), (51, 250, 200));
    assert!(!complete);
    client.send(Command::LoadHistory { session, before: Some(51), limit: 200 });
    let Event::History { records, complete, .. } = next(&client) else { panic!("no history") };
    assert_eq!((records.first().unwrap().0, records.last().unwrap().0), (1, 50));
    assert!(complete);
    let Record::Message(first) = &records[0].1 else { panic!("not a message") };
    assert_eq!(first.plain_text(), "m1");
}

#[test]
fn a_store_that_cannot_open_is_reported_to_the_surface() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "x").unwrap();
    let result = engine::launch(runtime.handle(), file, Arc::new(|| {})).recv_timeout(Duration::from_secs(10)).unwrap();
    let err = result.err().expect("a file is not a store");
    assert!(err.to_string().contains("is a file, not an Aura data directory"));
}

#[test]
fn local_servers_are_discovered_without_holding_up_other_commands() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = launch(&runtime, &dir.path().join("data"), Arc::default());
    client.send(Command::DiscoverLocalServers);
    client.send(Command::Hello { surface: Surface::Cli, client: "test".into() });
    // The welcome comes first: discovery runs in the background.
    assert!(matches!(next(&client), Event::Welcome { .. }));
    let Event::LocalServers { servers } = next(&client) else { panic!("no discovery answer") };
    let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Ollama", "llama.cpp", "LM Studio", "vLLM"]);
    for server in &servers {
        assert!(server.models.is_some() != server.problem.is_some(), "{server:?}: either models or a problem");
    }
}

/// Writes a project and its log as an earlier run left them (an agent's proposals waiting).
fn seed_project(data: &Path, project: &aura::domain::Project, log: Vec<Record>) {
    let store = aura::store::StoreHandle::spawn(aura::store::Store::open(data, &Default::default()).unwrap()).unwrap();
    let project = project.clone();
    store
        .write_blocking(move |w| {
            w.put(&project)?;
            w.append(project.id, &log)
        })
        .unwrap();
    store.close();
}

#[test]
fn pending_changesets_are_decided_and_undone_through_the_protocol() {
    use aura::domain::{ChangeSet, Project};
    use aura::edits::{self, patch};
    use aura::protocol::ChangeSetDecision;
    use aura::tools::Workspace;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path().canonicalize().unwrap();
    std::fs::write(root.join("notes.md"), "# Notes\nold line\n").unwrap();
    // An agent proposed a change in an earlier run; it waits in the project's log.
    let project = Project::new("notes", &root);
    let plan =
        patch::parse("*** Begin Patch\n*** Update File: notes.md\n@@\n-old line\n+new line\n*** End Patch").unwrap();
    let proposal =
        ChangeSet::new(None, "update notes", edits::plan_patch(&plan, &Workspace::open(&root).unwrap()).unwrap());
    seed_project(&data, &project, vec![Record::ChangeSet(proposal.clone())]);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data, Arc::default());
    client.send(Command::OpenProject { root: root.clone() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not opened") };
    assert_eq!(snapshot.project.id, project.id);
    assert_eq!(snapshot.pending_changesets.iter().map(|c| c.id).collect::<Vec<_>>(), [proposal.id]);

    client.send(Command::DecideChangeSet {
        changeset: proposal.id,
        decision: ChangeSetDecision::AcceptAll,
        comment: Some("thanks".into()),
    });
    let Event::ChangeSetDecided { changeset, applied } = next(&client) else { panic!("not decided") };
    assert_eq!(applied, ["notes.md"]);
    assert_eq!(changeset.comment.as_deref(), Some("thanks"));
    assert_eq!(std::fs::read_to_string(root.join("notes.md")).unwrap(), "# Notes\nnew line\n");

    client.send(Command::UndoChangeSet { changeset: proposal.id, overwrite: vec![] });
    let Event::ChangeSetUndone { restored, hand_edited, .. } = next(&client) else { panic!("not undone") };
    assert_eq!((restored.as_slice(), hand_edited.len()), (["notes.md".to_string()].as_slice(), 0));
    assert_eq!(std::fs::read_to_string(root.join("notes.md")).unwrap(), "# Notes\nold line\n");

    let seq = client.send(Command::UndoChangeSet { changeset: proposal.id, overwrite: vec![] });
    let Event::Error { command, message } = next(&client) else { panic!("no error") };
    assert_eq!(command, Some(seq));
    assert!(message.contains("nothing to undo"), "{message}");
}

#[test]
fn restoring_a_checkpoint_undoes_it_and_everything_after() {
    use aura::domain::{ChangeSet, Project};
    use aura::edits;
    use aura::protocol::ChangeSetDecision;
    use aura::tools::Workspace;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path().canonicalize().unwrap();
    std::fs::write(root.join("a.txt"), "a\n").unwrap();
    let project = Project::new("p", &root);
    let ws = Workspace::open(&root).unwrap();
    let write = |path: &str, content: &str| {
        let file = edits::plan_write(
            &edits::WriteFile { path: path.into(), content: content.into(), expected_hash: None },
            &ws,
        );
        ChangeSet::new(None, format!("write {path}"), vec![file.unwrap()])
    };
    let (first, second) = (write("a.txt", "A\n"), write("b.txt", "new file\n"));
    seed_project(&data, &project, vec![Record::ChangeSet(first.clone()), Record::ChangeSet(second.clone())]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data, Arc::default());
    client.send(Command::OpenProject { root: root.clone() });
    assert!(matches!(next(&client), Event::ProjectOpened { .. }));
    for cs in [&first, &second] {
        client.send(Command::DecideChangeSet {
            changeset: cs.id,
            decision: ChangeSetDecision::AcceptAll,
            comment: None,
        });
        assert!(matches!(next(&client), Event::ChangeSetDecided { .. }));
    }
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "A\n");
    assert!(root.join("b.txt").exists());
    client.send(Command::RestoreCheckpoint { changeset: first.id, overwrite: vec![] });
    let Event::ChangeSetUndone { mut restored, hand_edited, .. } = next(&client) else { panic!("not restored") };
    restored.sort();
    assert_eq!(restored, ["a.txt", "b.txt"]);
    assert!(hand_edited.is_empty());
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "a\n");
    assert!(!root.join("b.txt").exists(), "the file the later change created is gone again");
}

/// Waits until no engine of this process holds the store at `data` (a dropped engine finishes its
/// queued writes first), so another can open it, as the next start of the app would.
fn wait_until_closed(data: &Path) {
    for _ in 0..500 {
        if aura::store::Store::open(data, &Default::default()).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the store was never closed");
}

/// The layout of the next welcome (a desktop's welcome is followed by its keys and appearance).
fn next_welcome(client: &EngineClient) -> Option<serde_json::Value> {
    loop {
        if let Event::Welcome { layout, .. } = next(client) {
            return layout;
        }
    }
}

#[test]
fn a_saved_layout_is_given_back_to_the_next_desktop_only() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let layout = serde_json::json!({"main": {"pane": {"kind": "tabs", "tabs": ["Chat", "Specs"], "active": 1}}});
    {
        let mut client = launch(&runtime, &data, Arc::default());
        client.send(Command::Hello { surface: Surface::Desktop, client: "test".into() });
        assert_eq!(next_welcome(&client), None, "a new store has no layout");
        client.send(Command::SaveLayout { layout: layout.clone() });
        // Commands run in order: the welcome after it means the layout is stored.
        client.send(Command::Hello { surface: Surface::Desktop, client: "test".into() });
        next_welcome(&client);
    }
    wait_until_closed(&data);
    let mut client = launch(&runtime, &data, Arc::default());
    client.send(Command::Hello { surface: Surface::Desktop, client: "test".into() });
    assert_eq!(next_welcome(&client), Some(layout));
    client.send(Command::Hello { surface: Surface::Cli, client: "test".into() });
    assert_eq!(next_welcome(&client), None, "the layout is the desktop's");
}

#[test]
fn a_starter_requirements_md_is_written_once_and_never_over_a_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut client = launch(&runtime, &dir.path().join("data"), Arc::default());
    client.send(Command::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not opened") };
    assert!(!snapshot.requirements);
    let project = snapshot.project.id;

    client.send(Command::WriteRequirements { project });
    let Event::RequirementsChanged { project: changed, present } = next(&client) else { panic!("not written") };
    assert_eq!((changed, present), (project, true));
    let written = std::fs::read_to_string(workspace.path().join("requirements.md")).unwrap();
    assert!(written.contains("## Must have"), "{written}");

    // The user edits it; asking again changes nothing and says why.
    std::fs::write(workspace.path().join("requirements.md"), "# mine\n").unwrap();
    let seq = client.send(Command::WriteRequirements { project });
    let Event::Error { command, message } = next(&client) else { panic!("no refusal") };
    assert_eq!(command, Some(seq));
    assert!(message.contains("already exists; it was left as it is"), "{message}");
    assert!(matches!(next(&client), Event::RequirementsChanged { present: true, .. }));
    assert_eq!(std::fs::read_to_string(workspace.path().join("requirements.md")).unwrap(), "# mine\n");

    client.send(Command::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&client) else { panic!("not reopened") };
    assert!(snapshot.requirements);
}

#[test]
fn several_surfaces_hear_announcements_and_only_the_answers_to_their_own_commands() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut desktop = launch(&runtime, &dir.path().join("data"), Arc::new(AtomicUsize::new(0)));
    let phone_wakes = Arc::new(AtomicUsize::new(0));
    let mut phone = {
        let wakes = phone_wakes.clone();
        desktop.connect(Arc::new(move || {
            wakes.fetch_add(1, Ordering::SeqCst);
        }))
    };
    let quiet = |client: &EngineClient| client.recv_timeout(Duration::from_millis(300)).map(|e| e.body);

    // The phone's hello and its errors are its own; the same command seq on the desktop is not confused.
    phone.send(Command::Hello { surface: Surface::Companion, client: "phone".into() });
    let Event::Welcome { epoch, layout, .. } = next(&phone) else { panic!("no welcome") };
    assert_eq!(layout, None);
    let seq = phone.send(Command::SelectProject { project: aura::domain::ProjectId::new() });
    let Event::Error { command, message } = next(&phone) else { panic!("no error") };
    assert_eq!(command, Some(seq));
    assert!(message.contains("open its folder first"), "{message}");
    assert_eq!(quiet(&desktop), None, "the desktop heard neither");
    assert!(phone_wakes.load(Ordering::SeqCst) >= 2, "the phone's own waker ran");

    // The desktop opens a project; the phone picks it by id and gets its own snapshot.
    desktop.send(Command::OpenProject { root: workspace.path().to_path_buf() });
    let Event::ProjectOpened { snapshot } = next(&desktop) else { panic!("not opened") };
    assert_eq!(quiet(&phone), None, "the desktop's answer is the desktop's");
    phone.send(Command::SelectProject { project: snapshot.project.id });
    let Event::ProjectOpened { snapshot: picked } = next(&phone) else { panic!("not selected") };
    assert_eq!(picked.project.id, snapshot.project.id);
    assert_eq!(quiet(&desktop), None);

    // Announcements reach both, in one order.
    phone.send(Command::SaveMemory { project: picked.project.id, text: "from the couch".into(), tags: vec![] });
    let mut seqs = Vec::new();
    for client in [&desktop, &phone] {
        let envelope = client.recv_timeout(Duration::from_secs(10)).expect("an event");
        assert!(matches!(&envelope.body, Event::MemoryChanged { entry, .. } if entry.text == "from the couch"));
        seqs.push(envelope.seq);
    }
    assert_eq!(seqs[0], seqs[1], "the same event, the same seq");

    // A surface that goes away is forgotten; the others go on, in the same epoch.
    drop(phone);
    desktop.send(Command::ListProjects);
    assert!(matches!(next(&desktop), Event::Projects { .. }));
    desktop.send(Command::Hello { surface: Surface::Cli, client: "again".into() });
    let Event::Welcome { epoch: same, .. } = next(&desktop) else { panic!("no welcome") };
    assert_eq!(same, epoch, "one start, one epoch");
}
