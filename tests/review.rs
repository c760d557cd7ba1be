//! Review of ChangeSets against a real workspace and a real store: approval policies, per-hunk
//! decisions with a comment, checkpoints, undo and restore, hand edits, stale files, and restarts.

mod common;

use std::path::Path;

use aura::domain::ApprovalPolicy;
use aura::domain::{ChangeSet, ChangeSetStatus, HunkDecision, ProjectId};
use aura::edits::{self, patch};
use aura::engine::review::{Review, ReviewError};
use aura::protocol::ChangeSetDecision;
use aura::store::{Store, StoreHandle};
use aura::tools::Workspace;

struct Fixture {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    data: std::path::PathBuf,
    root: std::path::PathBuf,
    project: ProjectId,
}

fn fixture() -> Fixture {
    let (data, ws) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    std::fs::write(ws.path().join("a.txt"), &text).unwrap();
    std::fs::write(ws.path().join("b.txt"), "bee\n").unwrap();
    Fixture {
        data: data.path().join("store"),
        root: ws.path().to_path_buf(),
        _dirs: (data, ws),
        project: ProjectId::new(),
    }
}

fn open(f: &Fixture, policy: ApprovalPolicy) -> (StoreHandle, Review) {
    let store = StoreHandle::spawn(Store::open(&f.data, &Default::default()).unwrap()).unwrap();
    let review = Review::open(store.clone(), Workspace::open(&f.root).unwrap(), f.project, policy).unwrap();
    (store, review)
}

/// A ChangeSet planned from a patch: two hunks in a.txt, and b.txt changed.
fn changeset(root: &Path) -> ChangeSet {
    let text = "*** Begin Patch\n*** Update File: a.txt\n@@\n-line 2\n+LINE TWO\n@@\n-line 19\n+LINE NINETEEN\n*** Update File: b.txt\n@@\n-bee\n+BEE\n*** End Patch\n";
    let files = edits::plan_patch(&patch::parse(text).unwrap(), &Workspace::open(root).unwrap()).unwrap();
    ChangeSet::new(None, "shout some lines", files)
}

fn read(f: &Fixture, name: &str) -> String {
    std::fs::read_to_string(f.root.join(name)).unwrap()
}

#[tokio::test]
async fn ask_waits_then_applies_only_the_accepted_hunks() {
    let f = fixture();
    let (_store, mut review) = open(&f, ApprovalPolicy::Ask);
    let original = read(&f, "a.txt");
    let cs = changeset(&f.root);
    assert_eq!(cs.files[0].hunks.len(), 2);
    assert!(review.propose(cs.clone()).await.unwrap().is_none(), "it waits for the user");
    assert_eq!(read(&f, "a.txt"), original, "nothing written yet");

    let decision =
        ChangeSetDecision::Hunks { hunks: vec![(0, 0, HunkDecision::Accepted), (0, 1, HunkDecision::Rejected)] };
    let decided = review.decide(cs.id, decision, Some("keep line 19 as it is".into())).await.unwrap();
    assert_eq!(decided.changeset.status, ChangeSetStatus::PartlyApplied);
    assert_eq!(decided.changeset.comment.as_deref(), Some("keep line 19 as it is"));
    assert_eq!(decided.applied, ["a.txt"], "b.txt's only hunk was not accepted");
    assert_eq!(read(&f, "a.txt"), original.replace("line 2\n", "LINE TWO\n"));
    assert_eq!(read(&f, "b.txt"), "bee\n");
    assert!(matches!(review.decide(cs.id, ChangeSetDecision::AcceptAll, None).await, Err(ReviewError::NotPending(_))));
}

#[tokio::test]
async fn read_only_refuses_and_auto_approve_applies_at_once() {
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::ReadOnly);
    let err = review.propose(changeset(&f.root)).await.unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(read(&f, "b.txt"), "bee\n");
    drop(review);
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::AutoApprove);
    let decided = review.propose(changeset(&f.root)).await.unwrap().expect("applied at once");
    assert_eq!(decided.changeset.status, ChangeSetStatus::Applied);
    assert_eq!(read(&f, "b.txt"), "BEE\n");
}

#[tokio::test]
async fn undo_puts_files_back_but_never_over_a_hand_edit() {
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::AutoApprove);
    let original_a = read(&f, "a.txt");
    let cs = changeset(&f.root);
    review.propose(cs.clone()).await.unwrap();
    std::fs::write(f.root.join("b.txt"), "edited by hand\n").unwrap();
    let restored = review.undo(cs.id, &[]).await.unwrap();
    assert_eq!(restored.restored, ["a.txt"]);
    assert_eq!(restored.hand_edited, ["b.txt"]);
    assert_eq!(read(&f, "a.txt"), original_a);
    assert_eq!(read(&f, "b.txt"), "edited by hand\n", "the hand edit is kept");
}

#[tokio::test]
async fn overwrite_is_the_users_choice() {
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::AutoApprove);
    let cs = changeset(&f.root);
    review.propose(cs.clone()).await.unwrap();
    std::fs::write(f.root.join("b.txt"), "edited by hand\n").unwrap();
    let restored = review.undo(cs.id, &["b.txt".to_string()]).await.unwrap();
    assert!(restored.hand_edited.is_empty());
    assert_eq!(read(&f, "b.txt"), "bee\n");
}

#[tokio::test]
async fn restore_goes_back_over_several_checkpoints_and_survives_a_restart() {
    let f = fixture();
    let original = (read(&f, "a.txt"), read(&f, "b.txt"));
    let first;
    {
        let (store, mut review) = open(&f, ApprovalPolicy::AutoApprove);
        first = changeset(&f.root);
        review.propose(first.clone()).await.unwrap();
        for n in 0..2 {
            let files = edits::plan_write(
                &edits::WriteFile { path: "b.txt".into(), content: format!("version {n}\n"), expected_hash: None },
                &Workspace::open(&f.root).unwrap(),
            )
            .unwrap();
            review.propose(ChangeSet::new(None, "rewrite b", vec![files])).await.unwrap();
        }
        assert_eq!(review.checkpoints().len(), 3);
        drop(review);
        store.close();
    }
    // A new process: the checkpoints come back from the project's log.
    let (_s, mut review) = open(&f, ApprovalPolicy::AutoApprove);
    assert_eq!(review.checkpoints().len(), 3);
    let restored = review.restore(first.id, &[]).await.unwrap();
    assert!(restored.hand_edited.is_empty());
    assert_eq!((read(&f, "a.txt"), read(&f, "b.txt")), original);
    assert!(review.checkpoints().is_empty());
}

#[tokio::test]
async fn a_pending_changeset_survives_a_restart() {
    let f = fixture();
    let cs = changeset(&f.root);
    {
        let (store, mut review) = open(&f, ApprovalPolicy::Ask);
        review.propose(cs.clone()).await.unwrap();
        drop(review);
        store.close();
    }
    let (_s, mut review) = open(&f, ApprovalPolicy::Ask);
    assert_eq!(review.pending().map(|c| c.id).collect::<Vec<_>>(), [cs.id]);
    review.decide(cs.id, ChangeSetDecision::RejectAll, Some("not now".into())).await.unwrap();
    assert_eq!(review.pending().count(), 0);
    assert_eq!(read(&f, "b.txt"), "bee\n");
}

#[tokio::test]
async fn a_file_changed_since_the_plan_is_refused_as_stale_and_nothing_is_written() {
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::Ask);
    let cs = changeset(&f.root);
    review.propose(cs.clone()).await.unwrap();
    std::fs::write(f.root.join("b.txt"), "someone else\n").unwrap();
    let before_a = read(&f, "a.txt");
    let err = review.decide(cs.id, ChangeSetDecision::AcceptAll, None).await.unwrap_err();
    assert!(err.to_string().contains("b.txt changed on disk since it was read"), "{err}");
    assert_eq!(read(&f, "a.txt"), before_a, "all or nothing: a.txt is untouched too");
    assert!(review.checkpoints().is_empty());
}

#[tokio::test]
async fn craft_findings_travel_with_the_changeset_and_stop_auto_approval() {
    let f = fixture();
    let (_s, mut review) = open(&f, ApprovalPolicy::AutoApprove);
    let stub = edits::plan_write(
        &edits::WriteFile { path: "src.py".into(), content: "def div(a, b):\n    pass\n".into(), expected_hash: None },
        &Workspace::open(&f.root).unwrap(),
    )
    .unwrap();
    let cs = ChangeSet::new(None, "add div", vec![stub]);
    assert!(review.propose(cs.clone()).await.unwrap().is_none(), "a finding makes it wait for the user");
    let pending: Vec<&ChangeSet> = review.pending().collect();
    assert_eq!(pending[0].findings.len(), 1);
    assert_eq!(pending[0].findings[0].rule, "stub");
    assert!(!f.root.join("src.py").exists());
    // The user may accept it anyway.
    let decided = review.decide(cs.id, ChangeSetDecision::AcceptAll, Some("fine for now".into())).await.unwrap();
    assert_eq!(decided.changeset.findings.len(), 1, "the decision keeps the findings on record");
    assert!(f.root.join("src.py").exists());
}

/// The Python project's linter hangs (`.venv/bin/ruff` sleeps): the proposal it checks waits out
/// the Craft timeout, while a decision on another ChangeSet of the same project completes at once;
/// each proposal and decision is announced exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_linter_times_out_without_holding_up_other_decisions() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    use aura::engine::Journal;
    use aura::engine::shared_review::{Proposal, SharedReview};
    use aura::protocol::Event;

    let f = fixture();
    std::fs::write(f.root.join("ruff.toml"), "").unwrap();
    std::fs::create_dir_all(f.root.join(".venv/bin")).unwrap();
    let ruff = f.root.join(".venv/bin/ruff");
    std::fs::write(&ruff, "#!/bin/sh\ntouch ruff-started\nexec sleep 60\n").unwrap();
    std::fs::set_permissions(&ruff, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (store, review) = open(&f, ApprovalPolicy::Ask);
    let (journal, events) = Journal::detached(store);
    let shared = SharedReview::new(review, journal, Duration::from_secs(3));

    let other = changeset(&f.root);
    let Proposal::Waiting(_waiting) = shared.propose(other.clone(), false).await.unwrap() else {
        panic!("under Ask it waits")
    };
    let python = edits::plan_write(
        &edits::WriteFile { path: "calc.py".into(), content: "x = 1\n".into(), expected_hash: None },
        &Workspace::open(&f.root).unwrap(),
    )
    .unwrap();
    let python = ChangeSet::new(None, "add calc", vec![python]);
    let proposing = tokio::spawn({
        let (shared, python) = (shared.clone(), python.clone());
        async move { shared.propose(python, false).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f.root.join("ruff-started").exists() {
        assert!(Instant::now() < deadline, "ruff never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let decided = shared.decide(other.id, ChangeSetDecision::AcceptAll, None).await.unwrap();
    assert_eq!(decided.changeset.status, ChangeSetStatus::Applied);
    assert_eq!(read(&f, "b.txt"), "BEE\n");
    assert!(!proposing.is_finished(), "the decision did not wait for the hung linter");

    let Proposal::Waiting(waiting) = proposing.await.unwrap().unwrap() else { panic!("under Ask it waits") };
    assert_eq!(waiting.changeset.id, python.id);
    assert!(waiting.changeset.findings.is_empty(), "a timed-out linter leaves no verdict");

    let mut proposed = Vec::new();
    let mut decisions = Vec::new();
    while let Ok(envelope) = events.try_recv() {
        match envelope.body {
            Event::ChangeSetProposed { changeset } => proposed.push(changeset.id),
            Event::ChangeSetDecided { changeset, .. } => decisions.push(changeset.id),
            _ => {}
        }
    }
    assert_eq!(proposed, [other.id, python.id]);
    assert_eq!(decisions, [other.id]);
}

/// An agent's edit through the engine: it is announced once, after its Craft checks ran, with what
/// they found (rustfmt's verdict on unformatted Rust) already attached; the decision once too.
#[test]
fn an_agents_proposal_is_announced_once_with_its_craft_findings() {
    use std::time::{Duration, Instant};

    use aura::llm::emulator::Emulator;
    use aura::llm::emulator::demo::{call, text};
    use aura::llm::emulator::script::{Script, Turn};
    use aura::protocol::{Command, Event, LoopSettings};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let content = "fn main(){let x=1;}\n";
    let script = Script::new(vec![
        Turn::steps(vec![call("write_file", serde_json::json!({"path": "src/main.rs", "content": content}))]),
        text("Wrote src/main.rs."),
    ]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut client = common::launch(&runtime, &data.path().join("data"));
    let project = common::open_project(&mut client, workspace.path());
    common::use_emulator(&mut client, project, &emulator, LoopSettings::default());
    let session = common::chat_session(&mut client, project);
    client.send(Command::SendMessage { session: session.id, text: "write a main".into() });

    let (mut proposed, mut decided) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the turn never ended");
        let Some(envelope) = client.recv_timeout(Duration::from_millis(100)) else { continue };
        match envelope.body {
            Event::ChangeSetProposed { changeset } => {
                client.send(Command::DecideChangeSet {
                    changeset: changeset.id,
                    decision: ChangeSetDecision::AcceptAll,
                    comment: None,
                });
                proposed.push(changeset);
            }
            Event::ChangeSetDecided { changeset, .. } => decided.push(changeset),
            Event::TurnRunning { running: false, .. } => break,
            Event::Error { message, .. } => panic!("engine error: {message}"),
            _ => {}
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    while let Some(envelope) = client.try_recv() {
        if let Event::ChangeSetProposed { changeset } = envelope.body {
            proposed.push(changeset);
        }
    }
    assert_eq!(proposed.len(), 1, "{proposed:#?}");
    let rules: Vec<&str> = proposed[0].findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["formatter"], "the findings travel with the announcement");
    assert_eq!(decided.iter().map(|c| c.id).collect::<Vec<_>>(), [proposed[0].id]);
    assert_eq!(decided[0].status, ChangeSetStatus::Applied);
    assert_eq!(std::fs::read_to_string(workspace.path().join("src/main.rs")).unwrap(), content);
}
