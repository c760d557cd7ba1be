//! Project memory through the protocol and through an agent's tools: BM25 ranking, pinned entries
//! (and the workspace's AGENTS.md) in every agent's context, and entries the agent saves and finds
//! again.

mod common;

use common::{chat_session, launch, open_project, use_emulator, wait};

use aura::domain::MemoryEntry;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::protocol::{Command, Event, LoopSettings};
use serde_json::json;

#[test]
fn memory_is_ranked_pinned_into_context_and_used_by_agents() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("AGENTS.md"), "Prefer iterators over index loops.\n").unwrap();
    let mut client = launch(&runtime, &data.path().join("data"));
    let project = open_project(&mut client, workspace.path());
    let mut save = |text: &str, tags: &[&str]| -> MemoryEntry {
        client.send(Command::SaveMemory {
            project,
            text: text.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        });
        wait(&client, |e| match e {
            Event::MemoryChanged { entry, deleted: false } => Some(entry.clone()),
            _ => None,
        })
    };
    save("Release builds use thin LTO.", &["build"]);
    let style = save("Error messages say what to do next.", &["style"]);
    save("The store has one writer thread; LMDB readers stay short.", &["store", "lmdb"]);

    client.send(Command::SearchMemory { project, query: "lmdb writer".into(), limit: 2 });
    let found = wait(&client, |e| match e {
        Event::MemoryResults { entries, .. } => Some(entries.clone()),
        _ => None,
    });
    assert_eq!(found.len(), 1, "only entries that match: {found:?}");
    assert!(found[0].text.starts_with("The store has one writer"));

    client.send(Command::PinMemory { memory: style.id, pinned: true });
    wait(&client, |e| matches!(e, Event::MemoryChanged { entry, .. } if entry.pinned).then_some(()));

    // An agent sees the pinned entry in its context, saves a new one and finds it with search_memory.
    let script = Script::new(vec![
        Turn::steps(vec![call(
            "save_memory",
            json!({"text": "The parser lives in src/parse.rs.", "tags": ["parser"]}),
        )]),
        Turn::steps(vec![Step::Text { text: "Saved.".into() }, call("search_memory", json!({"query": "parser"}))]),
        Turn::text("Found it."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = chat_session(&mut client, project).id;
    client.send(Command::SendMessage { session, text: "Remember where the parser is.".into() });
    wait(&client, |e| match e {
        Event::Recorded { record: aura::domain::Record::Message(m), .. } if m.plain_text() == "Found it." => Some(()),
        _ => None,
    });
    let requests = emulator.requests();
    let system = requests[0].body["messages"][0]["content"].as_str().unwrap().to_string();
    assert!(
        system.contains("# Project memory (pinned)") && system.contains("Error messages say what to do next."),
        "{system}"
    );
    assert!(!system.contains("thin LTO"), "unpinned entries stay out of the context");
    assert!(system.contains("# Project rules (AGENTS.md)\n\nPrefer iterators over index loops."), "{system}");
    let last = requests[2].body["messages"].as_array().unwrap().last().unwrap()["content"].to_string();
    assert!(last.contains("The parser lives in src/parse.rs.") && last.contains("[parser]"), "{last}");
}
