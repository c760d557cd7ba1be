//! The desktop's own costs, in a release build (`cargo bench --bench desktop`):
//!
//! - launch to first drawn frame, against an empty eframe window built with the same profile, in
//!   the same run (the ratio; goal ≤ 1.3), and to the first useful frame: the project used last
//!   reopened, the engine connected, its conversation's messages drawn;
//! - CPU while idle for 10 s with a project open (goal 0%);
//! - CPU per frame (mean and p95; goal p95 < 8 ms) while a reply streams at 50 tokens/s into a
//!   100,000-message conversation, and while a 20,000-line diff scrolls; with 8 Drones streaming at
//!   once, each in its tab; with 500 conversations in the list; and while 20,000 search results
//!   stream into the Search tab and then scroll;
//! - peak memory with that conversation and diff open;
//! - the Files tab on a 100,000-file tree on disk, through the real engine: time to the first
//!   drawn tree, CPU per frame while the whole tree (every folder open) scrolls, while a filter is
//!   typed (and how long its matches take), and while a build writes 100,000 more files.
//!
//! The first two start the real binaries under X (Xvfb is started when `DISPLAY` is unset and it is
//! installed). The frame figures drive the real app headless: egui's layout and tessellation on this
//! thread, measured in thread CPU time (what the GPU does afterwards is not counted).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aura::domain::{
    ChangeSet, DroneId, DroneRun, FileChange, FileChangeKind, FileHits, Isolation, LineHit, Message, Project, Record,
    Role, Session, SessionId, SessionKind,
};
use aura::edits::hunks;
use aura::protocol::{ConversationSummary, Event, LoopSettings, LoopState, ProjectSnapshot};
use aura::ui::{AuraApp, Tab};
use egui::{Event as Input, MouseWheelUnit, Pos2, RawInput, Rect, TouchPhase, vec2};

const SCREEN: [f32; 2] = [1600.0, 1000.0];
const FPS: f64 = 60.0;

fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The peak resident memory (`VmHWM`) of a process, from its `/proc/PID/status`, in MB.
fn peak_mb(status: &str) -> Option<f64> {
    let text = std::fs::read_to_string(status).ok()?;
    let kb = text
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<f64>()
        .ok()?;
    Some(kb / 1024.0)
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len().max(1) as f64;
    let p95 = samples.get(samples.len() * 95 / 100).map(|d| ms(*d)).unwrap_or(0.0);
    (mean, p95)
}

/// The app without an engine: events are played into it, frames are run by hand.
struct Headless {
    ctx: egui::Context,
    app: AuraApp,
    time: f64,
}

impl Headless {
    fn new() -> Headless {
        let (_, never) = std::sync::mpsc::channel();
        Headless { ctx: egui::Context::default(), app: AuraApp::new(never), time: 0.0 }
    }

    /// One frame at 60 fps: returns the CPU this thread spent laying out and tessellating it.
    fn frame(&mut self, events: Vec<Input>) -> Duration {
        self.time += 1.0 / FPS;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SCREEN.into())),
            time: Some(self.time),
            events,
            ..Default::default()
        };
        let started = thread_cpu();
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| app.ui_contents(ui));
        let primitives = self.ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        std::hint::black_box(primitives);
        let spent = thread_cpu() - started;
        output.textures_delta.clear();
        spent
    }

    /// `frames` frames with the pointer at `at` and one wheel step of `dy` points each.
    fn scroll(&mut self, at: Pos2, dy: f32, frames: usize) -> Vec<Duration> {
        (0..frames)
            .map(|_| {
                let wheel = Input::MouseWheel {
                    unit: MouseWheelUnit::Point,
                    delta: vec2(0.0, dy),
                    phase: TouchPhase::Move,
                    modifiers: Default::default(),
                };
                self.frame(vec![Input::PointerMoved(at), wheel])
            })
            .collect()
    }
}

/// A conversation of `n` messages: questions, and answers in markdown with a code block now and then.
fn conversation(session: &Session, n: usize) -> Vec<(u64, Record)> {
    (0..n)
        .map(|i| {
            let text = if i % 2 == 0 {
                format!("Question {i}: why does `parse_{i}` reject an empty line, and what should it do instead?")
            } else if i % 10 == 1 {
                format!(
                    "Answer {i}. The parser stops at the **first** empty line:\n\n```rust\nfn parse_{i}(line: &str) -> Option<u32> {{\n    line.trim().parse().ok()\n}}\n```\n\n- keep the error\n- add a test"
                )
            } else {
                format!("Answer {i}. It returns `None` because the trimmed text is empty; return an error that names the line instead, so the caller can report where the input went wrong.")
            };
            let role = if i % 2 == 0 { Role::User } else { Role::Assistant };
            (i as u64 + 1, Record::Message(Message::text(session.id, role, text)))
        })
        .collect()
}

/// A 20,000-line Rust file with every fourth line changed: one change of ~35,000 diff rows.
fn big_change(session: &Session) -> ChangeSet {
    let before: String =
        (0..20_000).map(|i| format!("    let value_{i} = compute({i}) + offset; // step {i}\n")).collect();
    let after: String = before
        .lines()
        .enumerate()
        .map(|(i, l)| if i % 4 == 0 { format!("{}\n", l.replace("offset", "OFFSET * 2")) } else { format!("{l}\n") })
        .collect();
    let file = FileChange {
        path: "src/generated.rs".into(),
        kind: FileChangeKind::Modify,
        hunks: hunks(&before, &after),
        before: Some(before),
        after: Some(after),
        before_hash: None,
    };
    ChangeSet::new(Some(session.id), "regenerate the table", vec![file])
}

/// A project with nothing in it yet, and its requirements present.
fn empty_snapshot(project: &Project) -> ProjectSnapshot {
    ProjectSnapshot {
        project: project.clone(),
        specs: vec![],
        tasks: vec![],
        sessions: vec![],
        loop_state: LoopState::Idle,
        pending_changesets: vec![],
        detected_checks: vec![],
        check_overrides: vec![],
        receipts: vec![],
        models: None,
        loop_settings: LoopSettings::default(),
        applied_changes: vec![],
        usage: vec![],
        approval_policy: Default::default(),
        requirements: true,
        memory: vec![],
        drone_runs: vec![],
        pending_commands: vec![],
        sandbox_policy: Default::default(),
        sandbox_problem: None,
        conversations: vec![],
        current_conversation: None,
        running_turns: vec![],
    }
}

fn frames_bench() {
    let mut headless = Headless::new();
    let project = Project::new("bench", "/nonexistent/bench");
    let session = Session::new(Some(project.id), SessionKind::Chat, "Chat");
    let change = big_change(&session);
    let rows: u32 = change.files[0].hunks.iter().map(|h| h.old_lines + h.new_lines).sum();
    headless.app.apply(Event::ProjectOpened {
        snapshot: Box::new(ProjectSnapshot {
            sessions: vec![session.clone()],
            conversations: vec![ConversationSummary::fresh(&session)],
            pending_changesets: vec![change],
            ..empty_snapshot(&project)
        }),
    });
    headless.app.apply(Event::History {
        session: session.id,
        records: conversation(&session, 100_000),
        complete: true,
    });
    headless.app.apply(Event::TurnRunning { session: session.id, running: true });
    headless.app.show_tab(Tab::Review);
    // Settle: first layouts, font atlas, the highlighter's start.
    for _ in 0..30 {
        headless.frame(vec![]);
    }

    // A reply streams at 50 tokens/s (a token is a word here) for 6 s of frames.
    let words = "the parser now keeps the error and reports the line where the input went wrong ".split(' ');
    let mut words = words.cycle();
    let mut sent = 0usize;
    let mut streaming = Vec::new();
    for frame in 0..(6.0 * FPS) as usize {
        let due = ((frame as f64 + 1.0) / FPS * 50.0) as usize;
        while sent < due {
            let mut text = format!("{} ", words.next().unwrap_or("word"));
            if sent % 60 == 59 {
                text.push_str("\n\n```rust\nlet kept = parse(line)?;\n```\n\n");
            }
            headless.app.apply(Event::TextDelta { session: session.id, text });
            sent += 1;
        }
        streaming.push(headless.frame(vec![]));
    }
    let (mean, p95) = stats(streaming);
    println!(
        "streaming at 50 tokens/s into 100,000 messages: {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame ({sent} tokens)"
    );

    // Scroll the diff: the pointer over it, one wheel notch per frame, 600 frames.
    let (mean, p95) = stats(headless.scroll(Pos2::new(1250.0, 300.0), -120.0, 600));
    println!(
        "scrolling a diff of {rows} changed lines (20,000-line file): {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame"
    );
    println!(
        "peak memory with that conversation and diff open: {:.0} MB (no GL driver in this process)",
        peak_mb("/proc/self/status").unwrap_or(0.0)
    );
}

/// Eight Drones summoned at once, each streaming its reply at 50 tokens/s into its own run: their
/// tabs stacked in the dock (the newest in front, as summoning leaves them) beside the chat.
fn drones_frames_bench() {
    let mut headless = Headless::new();
    let project = Project::new("bench", "/nonexistent/bench");
    headless.app.apply(Event::ProjectOpened { snapshot: Box::new(empty_snapshot(&project)) });
    let runs: Vec<DroneRun> = (0..8)
        .map(|i| DroneRun {
            id: DroneId::new(),
            project: project.id,
            drone: format!("drone-{i}"),
            goal: format!("look into part {i}"),
            session: SessionId::new(),
            isolation: Isolation::Shared,
            trigger: None,
            started_at: aura::domain::now_millis(),
            receipt: None,
        })
        .collect();
    for run in &runs {
        headless.app.apply(Event::DroneRunStarted { run: run.clone() });
        headless.app.apply(Event::TurnRunning { session: run.session, running: true });
    }
    for _ in 0..30 {
        headless.frame(vec![]);
    }
    let open = headless.app.open_tabs();
    assert!(runs.iter().all(|r| open.contains(&Tab::Drone(r.drone.clone()))), "each Drone has its tab: {open:?}");
    let words = "the parser now keeps the error and reports the line where the input went wrong ".split(' ');
    let mut words = words.cycle();
    let mut sent = 0usize;
    let mut samples = Vec::new();
    for frame in 0..(6.0 * FPS) as usize {
        let due = ((frame as f64 + 1.0) / FPS * 50.0) as usize;
        while sent < due {
            for run in &runs {
                let mut text = format!("{} ", words.next().unwrap_or("word"));
                if sent % 60 == 59 {
                    text.push_str("\n\n```rust\nlet kept = parse(line)?;\n```\n\n");
                }
                headless.app.apply(Event::TextDelta { session: run.session, text });
            }
            sent += 1;
        }
        samples.push(headless.frame(vec![]));
    }
    let (mean, p95) = stats(samples);
    println!(
        "8 Drones streaming at 50 tokens/s each into their tabs: {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame ({} tokens)",
        sent * runs.len()
    );
}

/// 500 conversations in one project: the list beside the chat, scrolled a notch per frame.
fn conversations_bench() {
    let mut headless = Headless::new();
    let project = Project::new("bench", "/nonexistent/bench");
    let sessions: Vec<Session> = (0..500)
        .map(|i| Session::new(Some(project.id), SessionKind::Chat, format!("Conversation {i} about part {i}")))
        .collect();
    let conversations = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| ConversationSummary {
            last_message: format!("The last answer of conversation {i}, which is longer than the list is wide."),
            tokens: 1_000 * i as u64,
            cost_usd: Some(0.001 * i as f64),
            ..ConversationSummary::fresh(s)
        })
        .collect();
    let snapshot = Box::new(ProjectSnapshot { sessions: sessions.clone(), conversations, ..empty_snapshot(&project) });
    headless.app.apply(Event::ProjectOpened { snapshot });
    headless.app.apply(Event::History {
        session: sessions[0].id,
        records: conversation(&sessions[0], 40),
        complete: true,
    });
    headless.app.show_tab(Tab::Chat);
    for _ in 0..30 {
        headless.frame(vec![]);
    }
    assert!(headless.app.view().conversations.shown, "the list shows with more than one conversation");
    let (mean, p95) = stats(headless.scroll(Pos2::new(120.0, 400.0), -60.0, 600));
    println!("scrolling a list of 500 conversations: {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame");
}

/// The Search tab with 20,000 matching lines in 2,000 files: streamed in at 100 files a frame (what
/// the engine sends per file as found), then scrolled a notch per frame.
fn search_results_bench() {
    let mut headless = Headless::new();
    let project = Project::new("bench", "/nonexistent/bench");
    headless.app.apply(Event::ProjectOpened { snapshot: Box::new(empty_snapshot(&project)) });
    headless.app.show_tab(Tab::Search);
    headless.frame(vec![]);
    // Ctrl+Shift+F, the query, Enter: search 1 is sent (to no engine here) and its answers awaited.
    let key = |key: egui::Key, modifiers: egui::Modifiers| Input::Key {
        key,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers,
    };
    let ctrl_shift = egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT);
    headless.frame(vec![key(egui::Key::F, ctrl_shift)]);
    headless.frame(vec![]);
    headless.frame(vec![Input::Text("value".into())]);
    headless.frame(vec![key(egui::Key::Enter, egui::Modifiers::NONE)]);
    assert!(headless.app.view().search.searched(), "the search was sent");
    let file = |f: usize| FileHits {
        path: format!("src/module_{f:04}/part.rs"),
        matches: (0..10)
            .map(|i| LineHit {
                line: 10 * i + 1,
                column: 9,
                text: format!("    let value_{i} = compute(value_{f}, {i}); // the value of part {f}"),
                ranges: vec![(8, 13), (28, 33)],
                before: vec![],
                after: vec![],
            })
            .collect(),
    };
    let mut streaming = Vec::new();
    for frame in 0..20 {
        for f in frame * 100..(frame + 1) * 100 {
            headless.app.apply(Event::SearchHits { project: project.id, search: 1, hits: file(f) });
        }
        streaming.push(headless.frame(vec![]));
    }
    headless.app.apply(Event::SearchFinished {
        search: 1,
        files: 2_000,
        matches: 20_000,
        truncated: true,
        elapsed_ms: 80,
        error: None,
        binary_files: 0,
        skipped: vec![],
    });
    headless.frame(vec![]);
    assert_eq!(headless.app.view().search.matches, 20_000);
    let (mean, p95) = stats(streaming);
    println!(
        "20,000 search results streaming in (100 files a frame): {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame"
    );
    let (mean, p95) = stats(headless.scroll(Pos2::new(400.0, 500.0), -120.0, 600));
    println!("scrolling 20,000 search results in 2,000 files: {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame");
}

/// A data dir whose one project (`root`) has a conversation of 200 messages: what a restart reopens.
fn seeded_data_dir(data: &std::path::Path, root: &std::path::Path) {
    let store = aura::store::Store::open(data, &Default::default()).expect("a store");
    let handle = aura::store::StoreHandle::spawn(store).expect("the store thread");
    let project = Project::new("crate", root);
    let session = Session::new(Some(project.id), SessionKind::Chat, "About the parser");
    let records: Vec<Record> = conversation(&session, 200).into_iter().map(|(_, r)| r).collect();
    handle
        .write_blocking(move |w| {
            w.put(&project)?;
            w.put(&session)?;
            w.append(session.id, &records).map(|_| ())
        })
        .expect("seeded");
    handle.close();
}

/// Starts `binary` with `args`, returns the time until it prints `line` (`first frame`, `useful frame`).
fn launch(binary: &str, args: &[&str], until: &str) -> Option<Duration> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .env("AURA_FIRST_FRAME", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut line = String::new();
    let mut reader = BufReader::new(child.stdout.take()?);
    let found = loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break None,
            Ok(_) if line.trim() == until => break Some(started.elapsed()),
            Ok(_) => {}
        }
    };
    stop(child);
    found
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Starts Xvfb when there is no display; the guard stops it.
struct Display(Option<Child>);

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            stop(child);
        }
    }
}

fn display() -> Option<Display> {
    if std::env::var_os("DISPLAY").is_some() {
        return Some(Display(None));
    }
    let number = format!(":{}", 500 + std::process::id() % 400);
    let child = Command::new("Xvfb")
        .args([number.as_str(), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(800));
    // SAFETY: set before any thread of ours reads the environment for a display.
    unsafe { std::env::set_var("DISPLAY", &number) };
    Some(Display(Some(child)))
}

fn window_bench() {
    let Some(_display) = display() else {
        println!("launch and idle: skipped (no DISPLAY and no Xvfb; install xvfb)");
        return;
    };
    let work = tempfile::tempdir().expect("a temp dir");
    let runtime_dir = work.path().join("run");
    std::fs::create_dir(&runtime_dir).ok();
    // SAFETY: as above, before the children start.
    unsafe { std::env::set_var("XDG_RUNTIME_DIR", &runtime_dir) };
    let data = work.path().join("data");
    let crate_dir = work.path().join("crate");
    std::fs::create_dir_all(crate_dir.join("src")).ok();
    std::fs::write(crate_dir.join("Cargo.toml"), aura::llm::emulator::demo::CARGO_TOML).ok();
    std::fs::write(crate_dir.join("src/lib.rs"), aura::llm::emulator::demo::LIB_RS).ok();
    let (aura, empty) = (env!("CARGO_BIN_EXE_aura"), env!("CARGO_BIN_EXE_empty-window"));
    let data_arg = data.to_string_lossy().to_string();
    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..7 {
        baseline.extend(launch(empty, &[], "first frame"));
        ours.extend(launch(aura, &["--data-dir", &data_arg], "first frame"));
    }
    if ours.is_empty() || baseline.is_empty() {
        println!("launch: skipped (a window did not start; is there an OpenGL driver? install libgl1-mesa-dri)");
        return;
    }
    ours.sort();
    baseline.sort();
    let (ours, baseline) = (ours[ours.len() / 2], baseline[baseline.len() / 2]);
    println!(
        "launch to first frame: Aura {:.0} ms, empty eframe window {:.0} ms (medians of 7): ratio {:.2}",
        ours.as_secs_f64() * 1000.0,
        baseline.as_secs_f64() * 1000.0,
        ours.as_secs_f64() / baseline.as_secs_f64()
    );

    // A restart with a project and its conversation: the project used last reopens by itself.
    let seeded = work.path().join("seeded");
    seeded_data_dir(&seeded, &crate_dir);
    let seeded_arg = seeded.to_string_lossy().to_string();
    let mut useful: Vec<Duration> =
        (0..7).filter_map(|_| launch(aura, &["--data-dir", &seeded_arg], "useful frame")).collect();
    useful.sort();
    if let Some(median) = useful.get(useful.len() / 2) {
        println!(
            "launch to first useful frame (last project reopened, 200-message conversation drawn): {:.0} ms, \
             against the empty window's first frame {:.0} ms: ratio {:.2}",
            median.as_secs_f64() * 1000.0,
            baseline.as_secs_f64() * 1000.0,
            median.as_secs_f64() / baseline.as_secs_f64()
        );
    } else {
        println!("launch to first useful frame: never reached (see AURA_FIRST_FRAME in src/ui/mod.rs)");
    }

    let crate_arg = crate_dir.to_string_lossy().to_string();
    let Ok(child) = Command::new(aura)
        .args(["--data-dir", &data_arg, "--open", &crate_arg])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return;
    };
    std::thread::sleep(Duration::from_secs(4));
    let hz = 100.0; // USER_HZ on Linux
    let before = cpu_ticks(child.id());
    std::thread::sleep(Duration::from_secs(10));
    let after = cpu_ticks(child.id());
    let resident = peak_mb(&format!("/proc/{}/status", child.id()));
    stop(child);
    if let Some(mb) = resident {
        println!("the real window with a project open, peak memory: {mb:.0} MB (GL driver included)");
    }
    if let (Some(before), Some(after)) = (before, after) {
        let percent = (after - before) as f64 / hz / 10.0 * 100.0;
        println!("idle for 10 s with a project open: {percent:.1}% of one core ({} ticks)", after - before);
    }
}

/// A tree of `folders` × `files` empty files, plus a `target/` the ignore file hides.
fn big_tree(root: &std::path::Path, folders: usize, files: usize) {
    std::fs::write(root.join(".gitignore"), "target/\n").expect("a file");
    for f in 0..folders {
        let dir = root.join(format!("module_{f:03}"));
        std::fs::create_dir_all(&dir).expect("a folder");
        for i in 0..files {
            std::fs::File::create(dir.join(format!("part_{i:04}.rs"))).expect("a file");
        }
    }
    std::fs::create_dir_all(root.join("target/debug")).expect("a folder");
}

/// Runs frames (real time passing, so the engine's answers arrive) until `done`; the frames' CPU.
fn frames_until(headless: &mut Headless, limit: Duration, done: impl Fn(&AuraApp) -> bool) -> Option<Vec<Duration>> {
    let started = Instant::now();
    let mut frames = Vec::new();
    while started.elapsed() < limit {
        frames.push(headless.frame(vec![]));
        if done(&headless.app) {
            return Some(frames);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

fn files_bench() {
    const FOLDERS: usize = 100;
    const FILES: usize = 1000;
    let work = tempfile::tempdir().expect("a temp dir");
    let root = work.path().join("tree");
    std::fs::create_dir(&root).expect("a folder");
    big_tree(&root, FOLDERS, FILES);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let launching = aura::engine::launch(runtime.handle(), work.path().join("data"), std::sync::Arc::new(|| {}));
    let mut headless = Headless { ctx: egui::Context::default(), app: AuraApp::new(launching), time: 0.0 };
    headless.app.show_tab(Tab::Files);
    frames_until(&mut headless, Duration::from_secs(30), |app| {
        matches!(app.view().connection, aura::ui::Connection::Ready { .. })
    })
    .expect("the engine started");
    let opened = Instant::now();
    headless.app.send(aura::protocol::Command::OpenProject { root: root.clone() });
    let first = frames_until(&mut headless, Duration::from_secs(30), |app| app.view().files.folder("").is_some())
        .expect("the root was listed");
    let first_draw = opened.elapsed();
    // One more frame draws the rows the answer brought.
    let drawn = headless.frame(vec![]);
    println!(
        "Files tab, {} files in {FOLDERS} folders: first tree drawn {:.0} ms after the project was opened \
         ({} frames; that frame {:.2} ms CPU)",
        FOLDERS * FILES,
        first_draw.as_secs_f64() * 1000.0,
        first.len(),
        drawn.as_secs_f64() * 1000.0
    );
    let project = headless.app.view().project.as_ref().expect("open").project.id;
    for f in 0..FOLDERS {
        let path = format!("module_{f:03}");
        headless.app.view_mut().files.expanded.insert(path.clone());
        headless.app.send(aura::protocol::Command::ListFolder { project, path });
    }
    frames_until(&mut headless, Duration::from_secs(60), |app| {
        (0..FOLDERS).all(|f| app.view().files.folder(&format!("module_{f:03}")).is_some())
    })
    .expect("every folder was listed");
    for _ in 0..10 {
        headless.frame(vec![]);
    }
    let (mean, p95) = stats(headless.scroll(Pos2::new(300.0, 500.0), -400.0, 600));
    println!(
        "scrolling the whole tree open ({} rows): {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame",
        FOLDERS * FILES + FOLDERS
    );

    // The filter typed a key at a time, a key every 100 ms; each answer drawn as it comes.
    let mut typing = Vec::new();
    let mut answers = Vec::new();
    for query in ["part_0042", "module_07 part_01"] {
        headless.app.view_mut().files.filter.clear();
        let mut typed = Instant::now();
        for key in query.chars() {
            headless.app.view_mut().files.filter.push(key);
            headless.app.view_mut().files.filter_changed();
            typed = Instant::now();
            while typed.elapsed() < Duration::from_millis(100) {
                typing.push(headless.frame(vec![]));
                std::thread::sleep(Duration::from_millis(4));
            }
        }
        let answered = frames_until(&mut headless, Duration::from_secs(30), |app| {
            app.view().files.found.as_ref().is_some_and(|f| f.query == query)
        });
        answers.push((query, answered.map(|_| typed.elapsed())));
    }
    let (mean, p95) = stats(typing);
    println!("typing a filter over {} files: {mean:.2} ms mean, {p95:.2} ms p95 CPU per frame", FOLDERS * FILES);
    print_answers(answers);

    // A build adds 100,000 files at once beside the open tree: the window keeps drawing, and the
    // tree is read again once the flood settles.
    headless.app.view_mut().files.filter.clear();
    headless.app.view_mut().files.filter_changed();
    let writer = {
        let root = root.join("generated");
        std::thread::spawn(move || big_tree(&root, FOLDERS, FILES))
    };
    std::fs::create_dir_all(root.join("generated")).expect("a folder");
    let flooded = Instant::now();
    let during = frames_until(&mut headless, Duration::from_secs(120), |app| {
        writer.is_finished()
            && app.view().files.folder("").is_some_and(|l| l.entries.iter().any(|e| e.name == "generated"))
    });
    let _ = writer.join();
    if let Some(during) = during {
        let (mean, p95) = stats(during);
        println!(
            "a build writing 100,000 files under the open tree: frames {mean:.2} ms mean, {p95:.2} ms p95 CPU \
             while it wrote ({:.1} s, the new folder in the tree by its end)",
            flooded.elapsed().as_secs_f64()
        );
    }
}

fn print_answers(answers: Vec<(&str, Option<Duration>)>) {
    for (query, answered) in answers {
        if let Some(answered) = answered {
            println!(
                "  the last key of “{query}” to its matches drawn: {:.0} ms (the filter waits 120 ms for a pause)",
                answered.as_secs_f64() * 1000.0
            );
        }
    }
}

fn main() {
    files_bench();
    frames_bench();
    drones_frames_bench();
    conversations_bench();
    search_results_bench();
    window_bench();
}
