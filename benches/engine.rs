//! The engine's own cost on a scripted 50-step Worker run against the provider emulator, with real
//! read tools on a real workspace: prompt-cache efficiency (cached ÷ all input tokens, against the
//! best possible: everything but the newly appended tokens cached), harness time per step
//! (excluding the model's and the tools' own time), and the fixed prompt overhead of each role; and,
//! with 500 conversations of 20 messages in one project, the time to open it (its snapshot lists them
//! all) and to search every message; and the time a commit per task adds to each verified task.
//! Run with `cargo bench --bench engine`.

use std::sync::Arc;
use std::time::Instant;

use aura::domain::{Session, SessionKind, Usage};
use aura::engine::Journal;
use aura::engine::prompt::{ProjectContext, Role, fixed_overhead_tokens};
use aura::engine::turn::{Agent, Conversation, TurnBudget, run_turn, stop_pair};
use aura::llm::catalog::Catalog;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::demo::call;
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::llm::{ProviderConfig, ProviderKind, RetryPolicy};
use aura::protocol::Event;
use aura::store::{Store, StoreHandle, StoreOptions};
use aura::tools::Workspace;
use serde_json::json;

#[path = "../tests/common/mod.rs"]
mod common;

use common::Reader;

const STEPS: usize = 50;

fn script() -> Script {
    let mut turns: Vec<Turn> = (0..STEPS - 1)
        .map(|i| {
            let step = match i % 3 {
                0 => call("read_file", json!({"path": format!("src/module_{i}.rs")})),
                1 => call("search", json!({"pattern": format!("fn item_{}", i - 1)})),
                _ => call("list_files", json!({"dir": "src"})),
            };
            Turn::steps(vec![Step::Text { text: format!("Step {i}: looking further.") }, step])
        })
        .collect();
    turns.push(Turn::text("Done reading."));
    Script::new(turns)
}

fn run(runtime: &tokio::runtime::Runtime, kind: ProviderKind, workspace: &Workspace, data: &std::path::Path) {
    let emulator = runtime.block_on(Emulator::start(script())).unwrap();
    let store = StoreHandle::spawn(Store::open(data, &StoreOptions::default()).unwrap()).unwrap();
    let (journal, events) = Journal::detached(store.clone());
    let agent = Agent {
        provider: ProviderConfig {
            kind,
            base_url: Some(emulator.base_url(kind)),
            api_key: Some("emulator-key".into()),
        }
        .connect(RetryPolicy::default()),
        model: "emu-sonnet-4-5".into(),
        catalog: Arc::new(Catalog::with_user_entries(vec![])),
        window: None,
    };
    let context = ProjectContext {
        agents_md: Some("Keep functions small. Run cargo test before finishing.".into()),
        ..ProjectContext::default()
    };
    let session = Session::new(None, SessionKind::Worker { task: None }, "bench");
    let mut conversation = Conversation::new(session, Role::Worker, context);
    conversation.push_user("Read the modules and report what they define.");
    let (_switch, stop) = stop_pair();
    let budget = TurnBudget { max_steps: STEPS as u32 + 5, ..TurnBudget::default() };
    let started = Instant::now();
    runtime.block_on(run_turn(&agent, &mut conversation, &mut Reader(workspace.clone()), &budget, &stop, &journal));
    let total = started.elapsed();
    let usages: Vec<Usage> = events
        .try_iter()
        .filter_map(|e| match e.body {
            Event::TurnFinished { usage, .. } => Some(usage),
            _ => None,
        })
        .collect();
    assert_eq!(usages.len(), STEPS, "one request per step");
    let all: u64 = usages.iter().map(|u| u.total_input()).sum();
    let cached: u64 = usages.iter().map(|u| u.cached_input_tokens).sum();
    let best: u64 = usages.windows(2).map(|w| w[0].total_input() + w[0].output_tokens).sum();
    let timing = conversation.timing;
    let harness = total.saturating_sub(timing.model + timing.tools);
    println!(
        "{kind:?}: {STEPS} steps, input {all} tokens, cached {cached} = {:.1}% (best possible {:.1}%; {:.1}% of best)",
        cached as f64 * 100.0 / all as f64,
        best as f64 * 100.0 / all as f64,
        cached as f64 * 100.0 / best as f64
    );
    println!(
        "    wall {:.1} ms = model {:.1} ms + tools {:.1} ms + harness {:.1} ms → harness {:.3} ms per step",
        total.as_secs_f64() * 1e3,
        timing.model.as_secs_f64() * 1e3,
        timing.tools.as_secs_f64() * 1e3,
        harness.as_secs_f64() * 1e3,
        harness.as_secs_f64() * 1e3 / timing.steps as f64
    );
    store.close();
}

/// 500 conversations of 20 messages each: the time from asking for the project to its snapshot (with
/// every conversation's line), and from a search to its answer; medians of 5.
fn conversations(runtime: &tokio::runtime::Runtime, root: &std::path::Path) {
    use aura::domain::{Message, Project, Record, Role as Speaker};
    use aura::protocol::Command;
    let data = tempfile::tempdir().unwrap();
    let project = Project::new("bench", root.canonicalize().unwrap());
    let handle = StoreHandle::spawn(Store::open(data.path(), &StoreOptions::default()).unwrap()).unwrap();
    for i in 0..500 {
        let session = Session::new(Some(project.id), SessionKind::Chat, format!("Conversation {i}"));
        let records: Vec<Record> = (0..20)
            .map(|j| {
                let who = if j % 2 == 0 { Speaker::User } else { Speaker::Assistant };
                Record::Message(Message::text(session.id, who, format!("message {j} of {i}: the parser and the lexer")))
            })
            .collect();
        let project = project.clone();
        handle
            .write_blocking(move |w| {
                w.put(&project)?;
                w.put(&session)?;
                w.append(session.id, &records).map(|_| ())
            })
            .unwrap();
    }
    handle.close();
    let mut client =
        aura::engine::launch(runtime.handle(), data.path().to_path_buf(), Arc::new(|| {})).recv().unwrap().unwrap();
    let mut timed = |command: Command, done: &dyn Fn(&Event) -> bool| {
        let started = Instant::now();
        client.send(command);
        while !client.recv_timeout(std::time::Duration::from_secs(60)).is_some_and(|e| done(&e.body)) {}
        started.elapsed().as_secs_f64() * 1000.0
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let opened: Vec<f64> = (0..5)
        .map(|_| {
            timed(
                Command::SelectProject { project: project.id },
                &|e| matches!(e, Event::ProjectOpened { snapshot } if snapshot.conversations.len() == 500),
            )
        })
        .collect();
    let searched: Vec<f64> = (0..5)
        .map(|i| {
            let query = format!("message 19 of {}", 100 + i);
            timed(
                Command::SearchConversations { project: project.id, query },
                &|e| matches!(e, Event::ConversationMatches { hits, .. } if hits.len() == 1),
            )
        })
        .collect();
    println!(
        "500 conversations of 20 messages: the project's snapshot in {:.1} ms, a search of every message in {:.1} ms (medians of 5)",
        median(opened),
        median(searched)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    for i in 0..STEPS {
        let body: String =
            (0..40).map(|j| format!("pub fn item_{i}_{j}(x: u32) -> u32 {{\n    x + {j}\n}}\n")).collect();
        std::fs::write(dir.path().join(format!("src/module_{i}.rs")), body).unwrap();
    }
    let workspace = Workspace::open(dir.path()).unwrap();
    println!(
        "fixed prompt overhead: worker {} tokens, planner {} tokens",
        fixed_overhead_tokens(Role::Worker),
        fixed_overhead_tokens(Role::Planner)
    );
    for (i, kind) in [ProviderKind::Anthropic, ProviderKind::Openai].into_iter().enumerate() {
        let data = tempfile::tempdir().unwrap();
        run(&runtime, kind, &workspace, &data.path().join(format!("store-{i}")));
    }
    conversations(&runtime, dir.path());
    commit_per_task();
}

/// Runs git in `dir` for the benchmark's setup.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Commit per task: what it adds to a verified task is the commit of its accepted changes (status,
/// a scratch index from HEAD, the patch applied, `git commit`, the user's index entries settled);
/// without it the task does nothing instead. Measured in a repository of 2,000 files with the
/// user's own staged and unstaged edits beside the task's, a task changing one file and adding one.
fn commit_per_task() {
    use aura::git::{CommitRequest, commit_changes};
    const FILES: usize = 2_000;
    const RUNS: usize = 21;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    for (key, value) in [("user.name", "Bench"), ("user.email", "bench@localhost"), ("commit.gpgsign", "false")] {
        git(root, &["config", key, value]);
    }
    let text = |i: usize, n: usize| (0..40).map(|j| format!("line {j} of file {i} ({n})\n")).collect::<String>();
    for i in 0..FILES {
        std::fs::create_dir_all(root.join(format!("src/m{}", i % 20))).unwrap();
        std::fs::write(root.join(format!("src/m{}/f{i}.rs", i % 20)), text(i, 0)).unwrap();
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "start"]);
    for i in 0..5 {
        std::fs::write(root.join(format!("src/m{}/f{i}.rs", i % 20)), text(i, 1)).unwrap();
    }
    git(root, &["add", "src/m0/f0.rs"]);
    let mut samples = Vec::new();
    for run in 0..RUNS {
        let i = 100 + run;
        let path = format!("src/m{}/f{i}.rs", i % 20);
        let (before, after) = (text(i, 0), text(i, 0).replacen("line 20", "line twenty", 1));
        std::fs::write(root.join(&path), &after).unwrap();
        let added = format!("src/new_{run}.rs");
        std::fs::write(root.join(&added), "pub fn new() {}\n").unwrap();
        let changes = [
            aura::edits::file_change(&path, Some(before), Some(after)),
            aura::edits::file_change(&added, None, Some("pub fn new() {}\n".into())),
        ];
        let message = format!("Task 01.{run}: bench\n\nAura-Receipt: R{run}\n");
        let started = Instant::now();
        let committed =
            commit_changes(root, &CommitRequest { changes: &changes, extras: &[], message: &message }).unwrap();
        samples.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(committed.is_some());
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "commit per task: {:.1} ms added per verified task (median of {RUNS}; {FILES}-file repository, the user's \
         own edits beside it; no commit adds 0)",
        samples[RUNS / 2]
    );
}
