//! Conversations through the protocol, over a real store in a temp dir and the provider emulator on
//! loopback: several chats per project, listed, renamed, searched and deleted; the one open last
//! reopens after a restart; a chat past its rotation threshold continues from a summary; the spec
//! writer's sessions of older versions leave the list.

mod common;

use common::{launch, open_project, use_emulator, wait};

use aura::domain::{ProjectId, Record, Role, Session, SessionKind};
use aura::engine::EngineClient;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{Script, Turn};
use aura::protocol::{Command, ConversationSummary, Event, LoopSettings, ModelChoice, ProjectSnapshot};

fn chat(client: &mut EngineClient, project: ProjectId, title: &str) -> Session {
    client.send(Command::CreateSession { project, kind: SessionKind::Chat, title: title.into() });
    wait(client, |e| match e {
        Event::SessionCreated { session } if session.title == title => Some(session.clone()),
        _ => None,
    })
}

/// Sends a message and waits for its turn to end; returns the conversation's line said last.
fn say(client: &mut EngineClient, session: &Session, text: &str) -> ConversationSummary {
    client.send(Command::SendMessage { session: session.id, text: text.into() });
    let mut line = None;
    wait(client, |e| match e {
        Event::ConversationChanged { conversation, .. } if conversation.sessions.contains(&session.id) => {
            line = Some(conversation.clone());
            None
        }
        Event::TurnRunning { session: s, running: false } if *s == session.id => line.clone(),
        _ => None,
    })
}

fn snapshot(client: &mut EngineClient, project: ProjectId) -> ProjectSnapshot {
    client.send(Command::SelectProject { project });
    wait(client, |e| match e {
        Event::ProjectOpened { snapshot } => Some(snapshot.as_ref().clone()),
        _ => None,
    })
}

fn history(client: &mut EngineClient, session: &Session) -> Vec<Record> {
    client.send(Command::LoadHistory { session: session.id, before: None, limit: 100 });
    wait(client, |e| match e {
        Event::History { session: s, records, .. } if *s == session.id => {
            Some(records.iter().map(|(_, r)| r.clone()).collect())
        }
        _ => None,
    })
}

fn search(client: &mut EngineClient, project: ProjectId, query: &str) -> Vec<String> {
    client.send(Command::SearchConversations { project, query: query.into() });
    wait(client, |e| match e {
        Event::ConversationMatches { query: q, hits, .. } if q == query => {
            Some(hits.iter().map(|h| format!("{}: {}", h.title, h.snippet)).collect())
        }
        _ => None,
    })
}

#[test]
fn chats_are_listed_renamed_searched_and_deleted_and_the_one_open_last_reopens_after_a_restart() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::text("The parser reads tokens into a tree."),
        Turn::text("The lexer splits the text into tokens."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    use_emulator(&mut client, project, &emulator, LoopSettings::default());

    let parser = chat(&mut client, project, "Parser");
    let line = say(&mut client, &parser, "How does the parser work?");
    assert_eq!(line.last_message, "The parser reads tokens into a tree.");
    assert!(line.tokens > 0, "{line:?}");
    let lexer = chat(&mut client, project, "Lexer");
    say(&mut client, &lexer, "And the lexer?");

    // Newest activity first; the one written in last is open.
    let listed = snapshot(&mut client, project);
    let titles: Vec<_> = listed.conversations.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Lexer", "Parser"]);
    assert_eq!(listed.current_conversation, Some(lexer.id));
    assert_eq!(listed.conversations[0].last_message, "The lexer splits the text into tokens.");

    // Search reads every message, in any case; the list answers for the query asked.
    assert_eq!(search(&mut client, project, "PARSER"), ["Parser: How does the parser work?"]);
    assert_eq!(search(&mut client, project, "tokens").len(), 2);
    assert!(search(&mut client, project, "nowhere said").is_empty());

    // Rename one, open it, delete the other.
    client.send(Command::OpenConversation { project, session: parser.id });
    client.send(Command::RenameConversation { session: parser.id, title: "  Parser   notes ".into() });
    let renamed = wait(&client, |e| match e {
        Event::ConversationChanged { conversation, .. } if conversation.session == parser.id => {
            Some(conversation.title.clone())
        }
        _ => None,
    });
    assert_eq!(renamed, "Parser notes");
    client.send(Command::DeleteConversation { session: lexer.id });
    wait(&client, |e| matches!(e, Event::ConversationDeleted { session, .. } if *session == lexer.id).then_some(()));
    assert!(history(&mut client, &lexer).is_empty(), "a deleted conversation's records are gone");
    client.send(Command::RenameConversation { session: parser.id, title: "   ".into() });
    let refused = common::wait_error(&client);
    assert!(refused.contains("needs a name"), "{refused}");

    // A restart opens the conversation open last, with what it said.
    drop(client);
    drop(runtime);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let reopened = snapshot(&mut client, project);
    assert_eq!(reopened.current_conversation, Some(parser.id));
    let titles: Vec<_> = reopened.conversations.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Parser notes"]);
    let said: Vec<String> = history(&mut client, &parser)
        .into_iter()
        .filter_map(|r| match r {
            Record::Message(m) => Some(m.plain_text()),
            _ => None,
        })
        .collect();
    assert_eq!(said, ["How does the parser work?", "The parser reads tokens into a tree."]);
}

#[test]
fn a_chat_past_its_threshold_continues_from_a_summary_in_a_new_session() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::text("First answer."),
        Turn::text("SUMMARY: the user asked about the parser; it reads tokens."),
        Turn::text("Second answer."),
        Turn::text("SUMMARY: two questions about the parser."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    // A tiny window and threshold: the first turn's real token count is past it.
    let model = ModelChoice {
        provider: aura::llm::ProviderKind::Openai,
        base_url: Some(emulator.base_url(aura::llm::ProviderKind::Openai)),
        model: "emu".into(),
        context_window: Some(1_000),
    };
    client.send(Command::SetModels { project, planner: model.clone(), worker: model });
    client.send(Command::SetLoopSettings {
        project,
        settings: LoopSettings { rotation_threshold: 0.01, ..LoopSettings::default() },
    });
    let first = chat(&mut client, project, "Parser");
    client.send(Command::SendMessage { session: first.id, text: "How does the parser work?".into() });
    let next = wait(&client, |e| match e {
        Event::SessionRotated { from, to } if *from == first.id => Some(to.clone()),
        _ => None,
    });
    assert_eq!((next.previous, next.rotation, next.kind), (Some(first.id), 1, SessionKind::Chat));
    let line = wait(&client, |e| match e {
        Event::ConversationChanged { conversation, .. } if conversation.session == next.id => {
            Some(conversation.clone())
        }
        _ => None,
    });
    assert_eq!(line.sessions, [next.id, first.id]);
    assert_eq!(line.last_message, "First answer.", "the list shows the last message, even from the older session");
    let opening = history(&mut client, &next);
    let Some(Record::Message(summary)) = opening.first() else { panic!("{opening:?}") };
    assert_eq!(summary.role, Role::System);
    assert!(summary.plain_text().contains("SUMMARY: the user asked about the parser"), "{summary:?}");

    // The next message goes to the new session, and the model hears the summary, not the old turns.
    say(&mut client, &next, "And then?");
    let requests = emulator.requests();
    let third = requests[2].body["messages"].to_string();
    assert!(third.contains("SUMMARY: the user asked about the parser"), "{third}");
    assert!(!third.contains("How does the parser work?"), "{third}");
    // One conversation in the list, whatever the rotations.
    assert_eq!(snapshot(&mut client, project).conversations.len(), 1);
}

#[test]
fn the_spec_writers_sessions_of_older_versions_are_not_chats() {
    use aura::domain::{Message, Project};
    use aura::store::{Store, StoreHandle};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    // A store as older versions left it: the spec writer's turn in a chat session named "Specs" whose
    // first record is the model's; and the user's own chat, also named "Specs".
    let project = Project::new("w", workspace.path().canonicalize().unwrap());
    let legacy = Session::new(Some(project.id), SessionKind::Chat, "Specs");
    let mine = Session::new(Some(project.id), SessionKind::Chat, "Specs");
    let store = StoreHandle::spawn(Store::open(data.path().join("data"), &Default::default()).unwrap()).unwrap();
    let (l, m) = (legacy.clone(), mine.clone());
    store
        .write_blocking(move |w| {
            w.put(&project)?;
            w.put(&l)?;
            w.put(&m)?;
            w.append(l.id, &[Record::Message(Message::text(l.id, Role::Assistant, "I wrote specs/01-core.md."))])?;
            w.append(m.id, &[Record::Message(Message::text(m.id, Role::User, "What are specs for?"))]).map(|_| ())
        })
        .unwrap();
    store.close();

    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    let listed = snapshot(&mut client, project);
    let listed_ids: Vec<_> = listed.conversations.iter().map(|c| c.session).collect();
    assert_eq!(listed_ids, [mine.id], "the user's own chat named Specs stays");
    let kinds: Vec<_> = listed.sessions.iter().map(|s| (s.id, s.kind)).collect();
    assert!(kinds.contains(&(legacy.id, SessionKind::Specs)), "{kinds:?}");
    assert!(kinds.contains(&(mine.id, SessionKind::Chat)), "{kinds:?}");
}

#[test]
fn a_message_that_cannot_start_a_turn_stays_with_its_reason() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    let mine = chat(&mut client, project, "Questions");
    client.send(Command::SendMessage { session: mine.id, text: "What are specs for?".into() });
    common::wait_error(&client);
    // No model is set: the message and why it got no answer are in the conversation for good.
    drop(client);
    drop(runtime);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let kept = history(&mut client, &mine);
    assert!(
        matches!(&kept[..], [Record::Message(_), Record::Note { error: true, text, .. }] if text.contains("model"))
    );
}

#[test]
fn a_project_folder_deleted_while_open_says_so_and_the_message_is_kept() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let workspace = parent.path().join("shop");
    std::fs::create_dir(&workspace).unwrap();
    let emulator = runtime.block_on(Emulator::start(Script::new(vec![Turn::text("never asked")]))).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, &workspace);
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = chat(&mut client, project, "Shop");
    std::fs::remove_dir_all(&workspace).unwrap();
    client.send(Command::SendMessage { session: session.id, text: "Add a cart".into() });
    let message = common::wait_error(&client);
    assert!(message.contains("is gone (deleted or moved)") && message.contains("Open Folder"), "{message}");
    let kept = history(&mut client, &session);
    assert!(
        matches!(&kept[..], [Record::Message(m), Record::Note { error: true, .. }] if m.plain_text() == "Add a cart"),
        "{kept:?}"
    );
    assert!(emulator.requests().is_empty(), "no model request for a project that is gone");
}
