//! Commands under the same trust as edits, through the engine: a command outside the policy waits
//! for the user's answer (once, for the session, or no), runs in the sandbox, and what it wrote waits
//! in Review as a ChangeSet until accepted. Real store, real workspace, real processes, the provider
//! emulator on loopback.

mod common;

use common::{chat_session, launch, open_project, use_emulator, wait};

use aura::domain::Session;
use aura::domain::{ChangeSetStatus, CommandDecision};
use aura::engine::EngineClient;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{ChangeSetDecision, Command, Event, LoopSettings};
use serde_json::json;

/// The next command that waits for the user.
fn asked(client: &EngineClient) -> aura::domain::CommandApproval {
    wait(client, |e| match e {
        Event::CommandApprovalRequested { approval } => Some(approval.clone()),
        _ => None,
    })
}

/// The next tool call's summary and whether it failed.
fn tool_finished(client: &EngineClient) -> (String, bool) {
    wait(client, |e| match e {
        Event::ToolCallFinished { summary, is_error, .. } => Some((summary.clone(), *is_error)),
        _ => None,
    })
}

/// The engine on a fresh data dir, a project on `workspace` talking to the emulator playing `script`,
/// and a chat session sent `message`. The emulator lives as long as the returned value.
fn chat(
    runtime: &tokio::runtime::Runtime,
    data: &std::path::Path,
    workspace: &std::path::Path,
    script: Script,
    message: &str,
) -> (EngineClient, Session, Emulator) {
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(runtime, &data.join("data"));
    let project = open_project(&mut client, workspace);
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = chat_session(&mut client, project);
    client.send(Command::SendMessage { session: session.id, text: message.into() });
    (client, session, emulator)
}

#[test]
fn a_command_asks_runs_sandboxed_and_its_writes_wait_in_review() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("notes.txt"), "one\n").unwrap();
    let write = "touch made.txt && sed -i s/one/one-two/ notes.txt";
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": write}))]),
        Turn::steps(vec![call("run_command", json!({"command": "touch again.txt"}))]),
        Turn::steps(vec![call("run_command", json!({"command": "touch third.txt"}))]),
        Turn::text("Done."),
    ]);
    let (mut client, session, _emulator) = chat(&runtime, data.path(), workspace.path(), script, "Make the file.");

    // `touch` is not in the allowed list: it asks, with the reason and the sandbox it will run in.
    let approval = asked(&client);
    assert_eq!((approval.command.as_str(), approval.session), (write, session.id));
    assert!(approval.reason.contains("not in the allowed commands"), "{}", approval.reason);
    client.send(Command::DecideCommand { approval: approval.id, decision: CommandDecision::AllowForSession });
    let decided = wait(&client, |e| match e {
        Event::CommandDecided { approval: id, decision, .. } if *id == approval.id => Some(*decision),
        _ => None,
    });
    assert_eq!(decided, CommandDecision::AllowForSession);

    // It ran, but nothing reached the workspace: its writes are a ChangeSet waiting in Review.
    let changeset = wait(&client, |e| match e {
        Event::ChangeSetProposed { changeset } => Some(changeset.clone()),
        _ => None,
    });
    let files: Vec<&str> = changeset.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["made.txt", "notes.txt"]);
    assert!(changeset.title.starts_with("command: touch"), "{}", changeset.title);
    assert!(!workspace.path().join("made.txt").exists());
    assert_eq!(std::fs::read_to_string(workspace.path().join("notes.txt")).unwrap(), "one\n");
    client.send(Command::DecideChangeSet {
        changeset: changeset.id,
        decision: ChangeSetDecision::AcceptAll,
        comment: None,
    });
    let status = wait(&client, |e| match e {
        Event::ChangeSetDecided { changeset: c, .. } if c.id == changeset.id => Some(c.status),
        _ => None,
    });
    assert_eq!(status, ChangeSetStatus::Applied);
    assert!(workspace.path().join("made.txt").exists());
    assert_eq!(std::fs::read_to_string(workspace.path().join("notes.txt")).unwrap(), "one-two\n");

    // Allowed for the session: the next `touch` runs without asking; its file waits in Review too.
    let next = wait(&client, |e| match e {
        Event::CommandApprovalRequested { .. } => Some(None),
        Event::ChangeSetProposed { changeset } => Some(Some(changeset.clone())),
        _ => None,
    });
    let next = next.expect("a command allowed for the session does not ask again");
    assert_eq!(next.files[0].path, "again.txt");
    client.send(Command::DecideChangeSet { changeset: next.id, decision: ChangeSetDecision::RejectAll, comment: None });
    wait(&client, |e| match e {
        Event::ChangeSetDecided { changeset: c, .. } if c.id == next.id => Some(()),
        _ => None,
    });
    assert!(!workspace.path().join("again.txt").exists(), "a rejected command write stays out");
}

#[test]
fn a_denied_command_does_not_run_and_the_model_is_told() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": "touch denied.txt"}))]),
        Turn::text("Understood."),
    ]);
    let (mut client, _, _emulator) = chat(&runtime, data.path(), workspace.path(), script, "Try it.");
    let approval = asked(&client);
    client.send(Command::DecideCommand { approval: approval.id, decision: CommandDecision::Deny });
    let (summary, is_error) = tool_finished(&client);
    assert!(is_error && summary.contains("denied"), "{summary}");
    assert!(!workspace.path().join("denied.txt").exists());
}

#[test]
fn the_network_is_granted_to_one_command_by_approval() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5); print('connected')\""
    );
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": connect, "network": true}))]),
        Turn::text("Fetched."),
    ]);
    let (mut client, _, _emulator) = chat(&runtime, data.path(), workspace.path(), script, "Fetch it.");
    let approval = asked(&client);
    assert!(approval.network && approval.reason.contains("network access"), "{approval:?}");
    client.send(Command::DecideCommand { approval: approval.id, decision: CommandDecision::AllowOnce });
    let (summary, is_error) = tool_finished(&client);
    assert!(!is_error, "{summary}");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_ok(), "the granted command reached the listener");
}

#[test]
fn a_phone_answers_a_command_that_waits_and_sees_it_pending_when_it_connects_late() {
    use aura::companion::{self, CompanionConfig};
    use common::phone::{self, Phone};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": "touch from-phone.txt"}))]),
        Turn::text("Done."),
    ]);
    let (mut desktop, _, _emulator) = chat(&runtime, data.path(), workspace.path(), script, "Touch it.");
    let asked = asked(&desktop);
    // The phone connects after the question was asked: the project's snapshot carries it.
    let config = CompanionConfig { port: 0, ..CompanionConfig::default() };
    let server = runtime
        .block_on(companion::start(&desktop, &data.path().join("data"), config, std::sync::Arc::new(|| {})))
        .unwrap();
    let code = server.start_pairing().unwrap().code;
    let token = runtime.block_on(phone::pair(&server.url(), &code));
    let mut phone = runtime.block_on(Phone::connect(&server.url(), &token, None));
    runtime.block_on(async {
        phone.command(1, json!({"command": "select_project", "project": asked.project})).await;
        let opened = phone.until(|e| e["body"]["event"] == "project_opened").await;
        let pending = &opened["body"]["snapshot"]["pending_commands"];
        assert_eq!(pending[0]["command"], "touch from-phone.txt", "{pending}");
        phone.command(2, json!({"command": "decide_command", "approval": asked.id, "decision": "allow_once"})).await;
        let decided = phone.until(|e| e["body"]["event"] == "command_decided").await;
        assert_eq!(decided["body"]["decision"], "allow_once");
    });
    // The desktop hears the answer too, and the command's write waits in Review for either of them.
    let changeset = wait(&desktop, |e| match e {
        Event::ChangeSetProposed { changeset } => Some(changeset.clone()),
        _ => None,
    });
    assert_eq!(changeset.files[0].path, "from-phone.txt");
    desktop.send(Command::DecideChangeSet {
        changeset: changeset.id,
        decision: ChangeSetDecision::AcceptAll,
        comment: None,
    });
    wait(&desktop, |e| matches!(e, Event::ChangeSetDecided { changeset: c, .. } if c.id == changeset.id).then_some(()));
    assert!(workspace.path().join("from-phone.txt").exists());
}

#[test]
fn a_question_whose_turn_was_stopped_waits_nowhere() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![call("run_command", json!({"command": "touch never.txt"}))]),
        Turn::text("Stopped."),
    ]);
    let (mut client, session, _emulator) = chat(&runtime, data.path(), workspace.path(), script, "Touch it.");
    let approval = asked(&client);
    client.send(Command::StopTurn { session: session.id });
    wait(&client, |e| matches!(e, Event::TurnRunning { running: false, .. }).then_some(()));
    client.send(Command::SelectProject { project: approval.project });
    let pending = wait(&client, |e| match e {
        Event::ProjectOpened { snapshot } => Some(snapshot.pending_commands.clone()),
        _ => None,
    });
    assert!(pending.is_empty(), "{pending:?}");
    client.send(Command::DecideCommand { approval: approval.id, decision: CommandDecision::AllowOnce });
    assert!(common::wait_error(&client).contains("no command waits"));
    assert!(!workspace.path().join("never.txt").exists());
}
