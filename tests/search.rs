//! Project-wide search on real files in a temp dir: the shared core (what the Search tab and the
//! agents' `search` tool run) and the engine's SearchWorkspace command streaming its answers.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use aura::domain::{FileHits, SearchOptions};
use aura::protocol::{Command, Event};
use aura::tools::Workspace;
use aura::tools::search::{MAX_FILE_BYTES, Query, SearchError, Summary, search};

fn tree() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, bytes: &[u8]| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write(".gitignore", b"target/\n*.log\n");
    write("src/lib.rs", b"pub fn open() {}\nfn opener() {}\n// OPEN question\n");
    write("src/store/mod.rs", b"pub struct Store;\nimpl Store {\n    fn open(path: &str) {}\n}\n");
    write("target/debug/junk.rs", b"fn open() {}\n");
    write("build.log", b"open open open\n");
    write(".hidden/secret.rs", b"fn open() {}\n");
    write("logo.png", &[0x89, b'P', b'N', b'G', 0, 0, 1, 2, b'o', b'p', b'e', b'n']);
    write("latin1.txt", b"caf\xe9 open au lait\n");
    let ws = Workspace::open(root).unwrap();
    (dir, ws)
}

fn options(regex: bool, case_sensitive: bool, whole_word: bool) -> SearchOptions {
    SearchOptions { regex, case_sensitive, whole_word }
}

/// Runs the core and collects what it handed over, by path.
fn run(ws: &Workspace, query: &Query) -> (BTreeMap<String, FileHits>, Summary) {
    let found = Mutex::new(BTreeMap::new());
    let summary = search(ws, query, &AtomicBool::new(false), |hits| {
        found.lock().unwrap().insert(hits.path.clone(), hits);
    })
    .unwrap();
    (found.into_inner().unwrap(), summary)
}

fn lines(found: &BTreeMap<String, FileHits>) -> Vec<(String, u64)> {
    found.values().flat_map(|f| f.matches.iter().map(|m| (f.path.clone(), m.line))).collect()
}

#[test]
fn ignored_hidden_and_binary_files_are_left_out_and_counted() {
    let (_dir, ws) = tree();
    let (found, summary) = run(&ws, &Query::new("open", options(false, true, false)));
    assert_eq!(
        lines(&found),
        [
            ("latin1.txt".to_string(), 1),
            ("src/lib.rs".to_string(), 1),
            ("src/lib.rs".to_string(), 2),
            ("src/store/mod.rs".to_string(), 3)
        ],
        "target/ and *.log are ignored, .hidden is hidden, logo.png is binary"
    );
    assert_eq!((summary.files, summary.matches, summary.binary, summary.truncated), (3, 4, 1, false));
    let hit = &found["src/store/mod.rs"].matches[0];
    assert_eq!(
        (hit.column, hit.text.as_str(), hit.ranges.as_slice()),
        (8, "    fn open(path: &str) {}", &[(7, 11)][..])
    );
}

#[test]
fn invalid_utf8_lines_are_found_and_shown_with_a_replacement_character() {
    let (_dir, ws) = tree();
    let (found, _) = run(&ws, &Query::new("open", options(false, true, false)));
    let hit = &found["latin1.txt"].matches[0];
    assert_eq!(hit.text, "caf\u{FFFD} open au lait");
    let (start, end) = hit.ranges[0];
    assert_eq!(&hit.text[start as usize..end as usize], "open", "the range follows the replaced byte");
}

#[test]
fn regex_case_and_whole_word_options_are_applied() {
    let (_dir, ws) = tree();
    let count = |pattern: &str, regex, case, word| run(&ws, &Query::new(pattern, options(regex, case, word))).1.matches;
    assert_eq!(count("open", false, false, false), 5, "any case also finds OPEN");
    assert_eq!(count("open", false, true, true), 3, "whole word leaves out `opener`");
    assert_eq!(count(r"fn \w+\(", true, true, false), 3);
    assert_eq!(count(r"fn \w+\(", false, true, false), 0, "without Regex the pattern is text");
    assert_eq!(count("()", false, true, false), 2, "a literal `()` is text, not an empty group matching every line");
    let (found, _) = run(&ws, &Query::new("o", options(false, true, false)));
    let ranges = &found["src/lib.rs"].matches[0].ranges;
    assert_eq!(ranges.as_slice(), [(7, 8)], "the one `o` of `pub fn open() {{}}`");
}

#[test]
fn an_invalid_regex_is_a_clear_error() {
    let (_dir, ws) = tree();
    let err =
        search(&ws, &Query::new("fn (", options(true, true, false)), &AtomicBool::new(false), |_| {}).unwrap_err();
    assert!(matches!(err, SearchError::BadRegex { .. }));
    let message = err.to_string();
    assert!(message.starts_with("not a valid regular expression: "), "{message}");
    assert!(message.ends_with("turn off Regex to search the text as written"), "{message}");
    let (found, _) = run(&ws, &Query::new("fn (", options(false, true, false)));
    assert!(found.is_empty(), "as text, `fn (` is searched and simply not found");
}

#[test]
fn huge_files_are_skipped_and_named_and_large_ones_under_the_limit_searched() {
    let (_dir, ws) = tree();
    // 200 MB (sparse: the size alone decides) and 10 MB of real text with the match on its last line.
    std::fs::File::create(ws.root().join("huge.txt")).unwrap().set_len(200 << 20).unwrap();
    let mut big = "x".repeat(99) + "\n";
    big = big.repeat(100_000);
    big.push_str("needle at the end\n");
    std::fs::write(ws.root().join("big.txt"), &big).unwrap();
    assert!(big.len() as u64 <= MAX_FILE_BYTES);
    let (found, summary) = run(&ws, &Query::new("needle", options(false, true, false)));
    assert_eq!(lines(&found), [("big.txt".to_string(), 100_001)]);
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.skipped_named[0].path, "huge.txt");
    assert_eq!(summary.skipped_named[0].reason, "200 MB, over the 16 MB search limit");
}

#[test]
fn a_long_line_is_cut_around_its_match() {
    let (_dir, ws) = tree();
    let line = format!("{}needle{}\n", "a".repeat(100_000), "b".repeat(100_000));
    std::fs::write(ws.root().join("min.js"), line).unwrap();
    let (found, _) = run(&ws, &Query::new("needle", options(false, true, false)));
    let hit = &found["min.js"].matches[0];
    assert!(hit.text.len() < 400, "{} bytes shown", hit.text.len());
    assert_eq!(hit.column, 100_001);
    let (start, end) = hit.ranges[0];
    assert_eq!(&hit.text[start as usize..end as usize], "needle");
}

#[test]
fn the_match_cap_truncates_and_says_so() {
    let (_dir, ws) = tree();
    let text: String = (0..500).map(|i| format!("line {i} has a hit\n")).collect();
    std::fs::write(ws.root().join("many.txt"), text).unwrap();
    let query = Query { max_matches: 100, ..Query::new("hit", options(false, true, false)) };
    let (found, summary) = run(&ws, &query);
    assert!(summary.truncated);
    assert_eq!(summary.matches, 100);
    assert_eq!(found.values().map(|f| f.matches.len()).sum::<usize>(), 100);
}

#[test]
fn the_stop_flag_ends_the_walk_early() {
    let (_dir, ws) = tree();
    for i in 0..2_000 {
        std::fs::write(ws.root().join(format!("f{i}.txt")), "a hit\n").unwrap();
    }
    let stop = AtomicBool::new(false);
    let handed = Mutex::new(0usize);
    let summary = search(&ws, &Query::new("hit", options(false, true, false)), &stop, |_| {
        *handed.lock().unwrap() += 1;
        stop.store(true, Ordering::Relaxed);
    })
    .unwrap();
    assert!(summary.cancelled);
    let handed = handed.into_inner().unwrap();
    assert!(handed < 100, "{handed} files after the stop");
    let stopped = AtomicBool::new(true);
    let summary =
        search(&ws, &Query::new("hit", options(false, true, false)), &stopped, |_| panic!("searched")).unwrap();
    assert_eq!((summary.files, summary.cancelled), (0, true));
}

#[test]
fn a_symlink_out_of_the_workspace_is_not_followed() {
    let (_dir, ws) = tree();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.rs"), "fn open() {}\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.root().join("link")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.rs"), ws.root().join("file_link.rs")).unwrap();
    let (found, _) = run(&ws, &Query::new("open", options(false, true, false)));
    assert!(found.keys().all(|path| !path.contains("link")), "{:?}", found.keys());
}

/// Sends a search and gathers its answers until it finishes: the files' hits, and the finish.
fn search_in_engine(
    client: &mut aura::engine::EngineClient,
    project: aura::domain::ProjectId,
    search: u64,
    query: &str,
    options: SearchOptions,
) -> (Vec<FileHits>, Event) {
    client.send(Command::SearchWorkspace { project, search, query: query.into(), options });
    let mut files = Vec::new();
    let finished = common::wait(client, |event| match event {
        Event::SearchHits { search: s, hits, .. } if *s == search => {
            files.push(hits.clone());
            None
        }
        Event::SearchFinished { search: s, .. } if *s == search => Some(event.clone()),
        _ => None,
    });
    (files, finished)
}

#[test]
fn the_engine_streams_hits_per_file_then_finishes_and_a_new_search_stops_the_old() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (_dir, ws) = tree();
    let mut client = common::launch(&runtime, data.path());
    let project = common::open_project(&mut client, ws.root());

    let (files, finished) = search_in_engine(&mut client, project, 1, "open", options(false, true, false));
    let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["latin1.txt", "src/lib.rs", "src/store/mod.rs"]);
    let Event::SearchFinished { files, matches, truncated, error, binary_files, .. } = finished else { unreachable!() };
    assert_eq!((files, matches, truncated, error, binary_files), (3, 4, false, None, 1));

    let (files, finished) = search_in_engine(&mut client, project, 2, "fn (", options(true, true, false));
    assert!(files.is_empty());
    let Event::SearchFinished { error: Some(error), .. } = finished else { panic!("{finished:?}") };
    assert!(error.contains("not a valid regular expression") && error.contains("turn off Regex"), "{error}");

    // Two searches back to back: the first ends (stopped, or done if it was quicker), the second answers.
    for i in 0..3_000 {
        std::fs::write(ws.root().join(format!("n{i}.txt")), "needle\n").unwrap();
    }
    let literal = options(false, true, false);
    client.send(Command::SearchWorkspace { project, search: 3, query: "needle".into(), options: literal });
    client.send(Command::SearchWorkspace { project, search: 4, query: "impl Store".into(), options: literal });
    let mut ends: BTreeMap<u64, Event> = BTreeMap::new();
    common::wait(&client, |event| {
        if let Event::SearchFinished { search, .. } = event {
            assert!(ends.insert(*search, event.clone()).is_none(), "one finish per search");
        }
        (ends.len() == 2).then_some(())
    });
    let Event::SearchFinished { files: 1, matches: 1, error: None, .. } = &ends[&4] else { panic!("{:?}", ends[&4]) };
    match &ends[&3] {
        Event::SearchFinished { error: None, files: 3_000, .. } => {}
        Event::SearchFinished { error: Some(error), .. } => assert!(error.starts_with("stopped before the end")),
        other => panic!("{other:?}"),
    }

    // An empty query finds nothing at once; cancelling a finished search is harmless.
    let (files, finished) = search_in_engine(&mut client, project, 5, "", SearchOptions::default());
    assert!(files.is_empty());
    assert!(matches!(finished, Event::SearchFinished { files: 0, matches: 0, error: None, .. }));
    client.send(Command::CancelSearch { search: 5 });
}
