//! The conversation turn loop against the provider emulator: tool calls run in the model's order
//! with results appended in that order, Stop gives the call in flight a failed result, budgets end
//! a turn, and a message sent mid-turn is delivered at the boundary. Real store, real workspace,
//! real HTTP on loopback.

mod common;

use common::{Reader, chat_session, launch, open_project, use_emulator, wait};

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aura::domain::{MessagePart, Record, Role as MessageRole, Session, SessionKind};
use aura::engine::prompt::{ProjectContext, Role, fixed_overhead_tokens};
use aura::engine::turn::{Agent, BudgetKind, CANCELLED, Conversation, TurnBudget, TurnOutcome, run_turn, stop_pair};
use aura::engine::{EngineClient, Journal};
use aura::llm::catalog::Catalog;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::llm::{ChatMessage, ProviderConfig, ProviderKind, RetryPolicy};
use aura::protocol::{Command, Event, LoopSettings};
use aura::store::{Store, StoreHandle, StoreOptions};
use aura::tools::Workspace;
use serde_json::json;

/// A project with a chat session talking to `emulator`.
fn chat_with(client: &mut EngineClient, workspace: &Path, emulator: &Emulator) -> Session {
    let project = open_project(client, workspace);
    use_emulator(client, project, emulator, LoopSettings::default());
    chat_session(client, project)
}

#[test]
fn tool_calls_run_in_order_and_their_results_are_appended_in_order() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("a.txt"), "alpha\n").unwrap();
    std::fs::write(workspace.path().join("b.txt"), "beta\n").unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![
            Step::Text { text: "Reading both.".into() },
            call("read_file", json!({"path": "b.txt"})),
            call("read_file", json!({"path": "a.txt"})),
            call("read_file", json!({"path": "missing.txt"})),
        ]),
        Turn::text("b says beta, a says alpha."),
        Turn::text("Yes."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let session = chat_with(&mut client, workspace.path(), &emulator);
    client.send(Command::SendMessage { session: session.id, text: "What do the files say?".into() });
    let mut records = Vec::new();
    while records.len() < 6 {
        records.push(wait(&client, |e| match e {
            Event::Recorded { record: Record::Message(m), .. } => Some(m.clone()),
            _ => None,
        }));
    }
    let roles: Vec<MessageRole> = records.iter().map(|m| m.role).collect();
    use MessageRole::*;
    assert_eq!(roles, [User, Assistant, Tool, Tool, Tool, Assistant]);
    let results: Vec<(String, bool)> = records[2..5]
        .iter()
        .map(|m| match &m.parts[0] {
            MessagePart::ToolResult { content, is_error, .. } => (content.clone(), *is_error),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(results[0].0.contains("1\tbeta") && !results[0].1, "{results:?}");
    assert!(results[1].0.contains("1\talpha") && !results[1].1, "{results:?}");
    assert!(results[2].1 && results[2].0.contains("missing.txt"), "a failed call gets an error result: {results:?}");
    // The second request carries the three results in the order the calls were made.
    let second = emulator.requests()[1].body["messages"].clone();
    let tool_messages: Vec<String> =
        second.as_array().unwrap().iter().filter(|m| m["role"] == "tool").map(|m| m["content"].to_string()).collect();
    assert_eq!(tool_messages.len(), 3);
    assert!(tool_messages[0].contains("beta") && tool_messages[1].contains("alpha"), "{tool_messages:?}");

    // The next message starts a new turn from the transcript rebuilt out of the stored records.
    client.send(Command::SendMessage { session: session.id, text: "Sure?".into() });
    wait(&client, |e| match e {
        Event::Recorded { record: Record::Message(m), .. } if m.plain_text() == "Yes." => Some(()),
        _ => None,
    });
    let third = emulator.requests()[2].body["messages"].clone();
    let mut rebuilt = third.as_array().unwrap().clone();
    rebuilt.pop();
    assert_eq!(
        rebuilt,
        second.as_array().unwrap()[..]
            .iter()
            .cloned()
            .chain([json!({"role": "assistant", "content": "b says beta, a says alpha."})])
            .collect::<Vec<_>>()
    );
}

#[test]
fn stop_mid_tool_gives_the_call_a_cancelled_result_and_kills_the_command() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("Makefile"), "slow:\n\tsleep 30\n").unwrap();
    let script = Script::new(vec![Turn::steps(vec![
        call("run_command", json!({"command": "make slow"})),
        call("read_file", json!({"path": "never-read.txt"})),
    ])]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let session = chat_with(&mut client, workspace.path(), &emulator);
    client.send(Command::SendMessage { session: session.id, text: "Wait a while.".into() });
    wait(&client, |e| matches!(e, Event::ToolCallStarted { call, .. } if call.name == "run_command").then_some(()));
    let stopped_at = Instant::now();
    client.send(Command::StopTurn { session: session.id });
    let mut finished = Vec::new();
    while finished.len() < 2 {
        finished.push(wait(&client, |e| match e {
            Event::ToolCallFinished { is_error, summary, .. } => Some((*is_error, summary.clone())),
            _ => None,
        }));
    }
    assert!(stopped_at.elapsed() < Duration::from_secs(10), "the sleep was killed, not waited for");
    assert_eq!(
        finished,
        [(true, CANCELLED.to_string()), (true, CANCELLED.to_string())],
        "no call is left without a result"
    );
    assert_eq!(emulator.requests().len(), 1, "nothing more was asked after Stop");
}

#[test]
fn a_message_sent_mid_turn_is_queued_and_delivered_at_the_boundary() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![
        Turn::steps(vec![Step::Delay { ms: 1_000 }, Step::Text { text: "First answer.".into() }]),
        Turn::text("Second answer."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let session = chat_with(&mut client, workspace.path(), &emulator);
    client.send(Command::SendMessage { session: session.id, text: "one".into() });
    client.send(Command::SendMessage { session: session.id, text: "two".into() });
    let queued = wait(&client, |e| match e {
        Event::QueueChanged { queued, .. } => Some(queued.clone()),
        _ => None,
    });
    assert_eq!(queued, ["two"]);
    assert!(emulator.requests().len() <= 1, "the queued message did not interrupt the turn");
    wait(&client, |e| matches!(e, Event::QueueChanged { queued, .. } if queued.is_empty()).then_some(()));
    wait(&client, |e| match e {
        Event::Recorded { record: Record::Message(m), .. } if m.plain_text() == "Second answer." => Some(()),
        _ => None,
    });
    let second = emulator.requests()[1].body["messages"].clone();
    let contents: Vec<String> =
        second.as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(contents[contents.len() - 3..], ["one", "First answer.", "two"]);
}

#[test]
fn step_token_and_time_budgets_end_the_turn_with_every_call_answered() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("a.txt"), "alpha\n").unwrap();
    let store = StoreHandle::spawn(Store::open(data.path(), &StoreOptions::default()).unwrap()).unwrap();
    let (journal, _events) = Journal::detached(store);
    let reads = || Turn::steps(vec![call("list_files", json!({})), call("read_file", json!({"path": "a.txt"}))]);
    let cases = [
        (
            Script::new(vec![reads(), reads(), reads()]),
            TurnBudget { max_steps: 2, ..TurnBudget::default() },
            BudgetKind::Steps,
        ),
        (
            Script::new(vec![reads(), reads(), reads()]),
            TurnBudget { max_tokens: Some(1_500), ..TurnBudget::default() },
            BudgetKind::Tokens,
        ),
        (
            Script::new(vec![Turn::steps(vec![Step::Delay { ms: 10_000 }, Step::Text { text: "late".into() }])]),
            TurnBudget { max_duration: Some(Duration::from_millis(400)), ..TurnBudget::default() },
            BudgetKind::Time,
        ),
    ];
    for (script, budget, kind) in cases {
        let emulator = runtime.block_on(Emulator::start(script)).unwrap();
        let agent = Agent {
            provider: ProviderConfig {
                kind: ProviderKind::Openai,
                base_url: Some(emulator.base_url(ProviderKind::Openai)),
                api_key: None,
            }
            .connect(RetryPolicy::default()),
            model: "emu".into(),
            catalog: Arc::new(Catalog::with_user_entries(vec![])),
            window: None,
        };
        let session = Session::new(None, SessionKind::Worker { task: None }, "budget");
        let mut conversation = Conversation::new(session, Role::Worker, ProjectContext::default());
        conversation.push_user("Look around.");
        let (_switch, stop) = stop_pair();
        let started = Instant::now();
        let outcome = runtime.block_on(run_turn(
            &agent,
            &mut conversation,
            &mut Reader(Workspace::open(workspace.path()).unwrap()),
            &budget,
            &stop,
            &journal,
        ));
        assert_eq!(outcome, TurnOutcome::BudgetExhausted(kind));
        let calls: usize = conversation
            .transcript
            .iter()
            .map(|m| if let ChatMessage::Assistant { tool_calls, .. } = m { tool_calls.len() } else { 0 })
            .sum();
        let results = conversation.transcript.iter().filter(|m| matches!(m, ChatMessage::ToolResult { .. })).count();
        assert_eq!(calls, results, "{kind:?}: every call has a result");
        if kind == BudgetKind::Time {
            assert!(started.elapsed() < Duration::from_secs(3), "the time budget cut the slow reply");
        } else {
            assert!(calls >= 2, "{kind:?}: at least one step ran");
        }
    }
}

#[test]
fn the_worker_s_fixed_prompt_overhead_stays_under_4000_tokens() {
    let worker = fixed_overhead_tokens(Role::Worker);
    let planner = fixed_overhead_tokens(Role::Planner);
    println!("fixed overhead: worker {worker} tokens, planner {planner} tokens");
    assert!(worker < 4_000, "{worker}");
    assert!(planner < 4_000, "{planner}");
}
