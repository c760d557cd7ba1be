//! The store against real LMDB files in temp dirs and real child processes: crashes, sharing,
//! refusals that change nothing, and growth.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aura::domain::{Message, Project, Record, Role, SessionId, SpecId, Task};
use aura::store::{SCHEMA_VERSION, Store, StoreError, StoreHandle, StoreOptions};

const CHILD_MODE: &str = "AURA_STORE_CHILD_MODE";
const CHILD_DIR: &str = "AURA_STORE_CHILD_DIR";
const CHILD_SESSION: &str = "AURA_STORE_CHILD_SESSION";

fn open(dir: &Path) -> Result<Store, StoreError> {
    Store::open(dir, &StoreOptions::default())
}

/// A 1 KiB user message whose text records who wrote it and its number.
fn message(session: SessionId, writer: &str, n: u64) -> Record {
    let text = format!("{writer}:{n}:{}", "x".repeat(1000));
    Record::Message(Message::text(session, Role::User, text))
}

fn text_of(record: &Record) -> String {
    match record {
        Record::Message(m) => m.plain_text(),
        other => panic!("expected a message, found {other:?}"),
    }
}

/// Starts this test binary again, running only [`child`] in the given mode.
fn spawn_child(mode: &str, dir: &Path, session: SessionId) -> Child {
    child_command(Command::new(std::env::current_exe().unwrap()), mode, dir, session).spawn().expect("spawn child")
}

fn child_command(mut command: Command, mode: &str, dir: &Path, session: SessionId) -> Command {
    command
        .args(["--ignored", "--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_MODE, mode)
        .env(CHILD_DIR, dir)
        .env(CHILD_SESSION, session.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// Not a test of its own: the process the crash and sharing tests start and kill.
#[test]
#[ignore = "run by other tests in a child process"]
fn child() {
    let (Ok(mode), Ok(dir), Ok(session)) =
        (std::env::var(CHILD_MODE), std::env::var(CHILD_DIR), std::env::var(CHILD_SESSION))
    else {
        return;
    };
    let session: SessionId = session.parse().unwrap();
    let store = match open(Path::new(&dir)) {
        Ok(store) => store,
        Err(e) => {
            println!("open-error {e}");
            return;
        }
    };
    let handle = StoreHandle::spawn(store).unwrap();
    let writer = format!("pid{}", std::process::id());
    let batch = match mode.as_str() {
        "single" | "shared" | "grow" => 1,
        "batch" => 100,
        "open" => {
            println!("opened");
            return;
        }
        other => panic!("unknown child mode {other}"),
    };
    let limit = match mode.as_str() {
        "shared" => 300,
        "grow" => 2000,
        _ => u64::MAX,
    };
    let mut n = 0;
    while n < limit {
        let records: Vec<Record> = (0..batch).map(|i| message(session, &writer, n + i)).collect();
        let seqs = handle.write_blocking(move |w| w.append(session, &records)).unwrap();
        n += batch;
        // Printed only after the commit returned: everything printed is durable.
        println!("committed {}", seqs.last().unwrap());
    }
}

/// Reads the child's "committed N" lines until `target`, then kills it with SIGKILL.
fn kill_after(mut child: Child, target: u64) -> u64 {
    let stdout = child.stdout.take().unwrap();
    let mut last = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            last = n.parse().unwrap();
            if last >= target {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructors, no flush, mid-transaction
    child.wait().unwrap();
    last
}

fn assert_log_intact(dir: &Path, session: SessionId, at_least: u64) -> u64 {
    let store = open(dir).expect("the store reopens after kill -9");
    let count = store.record_count(session).unwrap();
    assert!(count >= at_least, "{count} records survived, {at_least} were reported committed");
    let page = store.records_from(session, 1, usize::MAX).unwrap();
    assert!(page.skipped.is_empty(), "undecodable records after a crash: {:?}", page.skipped);
    assert_eq!(page.records.len() as u64, count, "the log is readable to its end");
    for (i, r) in page.records.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1, "sequence numbers have no gaps");
        let text = text_of(&r.record);
        assert_eq!(text.split(':').nth(1).unwrap(), i.to_string(), "record {} holds what was written", r.seq);
    }
    count
}

#[test]
fn kill_9_mid_write_keeps_every_committed_record() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionId::new();
    let reported = kill_after(spawn_child("single", dir.path(), session), 150);
    assert_log_intact(dir.path(), session, reported);
}

#[test]
fn kill_9_mid_batch_leaves_whole_batches_only() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionId::new();
    let reported = kill_after(spawn_child("batch", dir.path(), session), 1500);
    let count = assert_log_intact(dir.path(), session, reported);
    assert_eq!(count % 100, 0, "a batch of 100 commits whole or not at all; found {count}");
}

#[test]
fn two_processes_append_to_one_log_without_collisions() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionId::new();
    let children: Vec<Child> = (0..2).map(|_| spawn_child("shared", dir.path(), session)).collect();
    let mut writers = Vec::new();
    for child in children {
        writers.push(format!("pid{}", child.id()));
        let output = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success() && said.contains("committed"), "a writer did not write: {said}");
    }
    let store = open(dir.path()).unwrap();
    let page = store.records_from(session, 1, usize::MAX).unwrap();
    assert_eq!(page.records.len(), 600);
    assert!(page.records.iter().enumerate().all(|(i, r)| r.seq == i as u64 + 1));
    for writer in writers {
        let mine: Vec<u64> = page
            .records
            .iter()
            .map(|r| text_of(&r.record))
            .filter(|t| t.starts_with(&format!("{writer}:")))
            .map(|t| t.split(':').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(mine, (0..300).collect::<Vec<u64>>(), "{writer}'s records are all there, in its order");
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// Temp dirs are private (0700); let the unprivileged child reach what is inside.
fn allow_others_in(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn make_read_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o555)).unwrap();
}

/// Opens the store at `dir` as a user who cannot write there (root bypasses permissions, so a
/// root test run drops to `nobody` in a child process) and returns what the open said.
fn open_without_write_permission(dir: &Path) -> String {
    if is_root() {
        // The test binary may sit under a directory `nobody` cannot enter (a checkout in /root):
        // run a copy from a world-readable temp dir, removed afterwards.
        let bin = tempfile::tempdir().unwrap();
        allow_others_in(bin.path());
        let copy = bin.path().join("store-test-child");
        std::fs::copy(std::env::current_exe().unwrap(), &copy).unwrap();
        let mut setpriv = Command::new("setpriv");
        setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&copy);
        let output = child_command(setpriv, "open", dir, SessionId::new()).output().expect("run setpriv");
        String::from_utf8_lossy(&output.stdout).into_owned()
    } else {
        match open(dir) {
            Ok(_) => "opened".into(),
            Err(e) => format!("open-error {e}"),
        }
    }
}

#[test]
fn a_read_only_data_dir_gets_a_clear_error() {
    let parent = tempfile::tempdir().unwrap();
    make_read_only(parent.path());
    let data = parent.path().join("aura");
    let said = open_without_write_permission(&data);
    assert!(said.contains("open-error cannot write to the data directory"), "{said}");
    assert!(said.contains(&data.display().to_string()) && said.contains("--data-dir"), "{said}");
    assert!(!data.exists());
}

#[test]
fn a_read_only_existing_store_is_refused_and_unchanged() {
    let parent = tempfile::tempdir().unwrap();
    allow_others_in(parent.path());
    let data = parent.path().join("aura");
    {
        let handle = StoreHandle::spawn(open(&data).unwrap()).unwrap();
        let session = SessionId::new();
        handle.write_blocking(move |w| w.append(session, &[message(session, "me", 0)])).unwrap();
        handle.close();
    }
    let before = std::fs::read(data.join("data.mdb")).unwrap();
    make_read_only(&data);
    let said = open_without_write_permission(&data);
    assert!(said.contains("open-error cannot write to the data directory"), "{said}");
    assert_eq!(std::fs::read(data.join("data.mdb")).unwrap(), before);
}

#[test]
fn a_file_at_the_data_path_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aura");
    std::fs::write(&path, b"my notes").unwrap();
    let err = open(&path).err().expect("a file is not a store");
    assert!(matches!(err, StoreError::FileInTheWay { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert!(err.to_string().contains("nothing was changed"));
    assert_eq!(std::fs::read(&path).unwrap(), b"my notes");
}

#[test]
fn a_directory_of_other_files_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thesis.tex"), b"\\begin").unwrap();
    let err = open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("thesis.tex"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing was created");
}

#[test]
fn a_data_mdb_that_is_not_lmdb_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let junk = vec![0x42u8; 8192];
    std::fs::write(dir.path().join("data.mdb"), &junk).unwrap();
    let err = open(dir.path()).err().unwrap();
    assert!(err.to_string().contains("is not an Aura store (data.mdb is not an LMDB file)"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("data.mdb")).unwrap(), junk);
    assert!(!dir.path().join("lock.mdb").exists(), "LMDB was not even started");
}

/// Writes an LMDB environment by hand, as another program (or a future Aura) would.
fn write_foreign_env(dir: &Path, table: &str, key: &[u8], value: &[u8]) {
    use heed::types::Bytes;
    let env = unsafe { heed::EnvOpenOptions::new().max_dbs(4).open(dir).unwrap() };
    let wtxn = env.write_txn().unwrap();
    env.create_databases_and_commit(wtxn, |opener, wtxn| {
        let db = opener.create_database::<Bytes, Bytes>(wtxn, Some(table))?;
        db.put(wtxn, key, value)?;
        if table == "meta" {
            db.put(wtxn, b"magic", b"aura-store")?;
        }
        Ok::<_, heed::Error>(heed::CommitOrAbort::<(), ()>::Commit(()))
    })
    .unwrap();
    env.prepare_for_closing().wait();
}

#[test]
fn an_lmdb_env_of_another_program_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    write_foreign_env(dir.path(), "other", b"k", b"v");
    let before = std::fs::read(dir.path().join("data.mdb")).unwrap();
    let err = open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert_eq!(std::fs::read(dir.path().join("data.mdb")).unwrap(), before);
}

#[test]
fn a_newer_schema_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    write_foreign_env(dir.path(), "meta", b"schema_version", &(SCHEMA_VERSION + 1).to_be_bytes());
    let before = std::fs::read(dir.path().join("data.mdb")).unwrap();
    let err = open(dir.path()).err().unwrap();
    let StoreError::NewerSchema { found, supported, .. } = err else { panic!("got {err}") };
    assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
    assert_eq!(std::fs::read(dir.path().join("data.mdb")).unwrap(), before);
}

#[test]
fn the_map_grows_when_it_fills() {
    let dir = tempfile::tempdir().unwrap();
    let small = StoreOptions { map_size: 256 * 1024 };
    let store = Store::open(dir.path(), &small).unwrap();
    let handle = StoreHandle::spawn(store).unwrap();
    let session = SessionId::new();
    for batch in 0..40u64 {
        let records: Vec<Record> = (0..50).map(|i| message(session, "grower", batch * 50 + i)).collect();
        handle.write_blocking(move |w| w.append(session, &records)).unwrap();
    }
    let store = handle.reader();
    assert!(store.map_size() >= 2 * 1024 * 1024, "map is {} bytes", store.map_size());
    assert_eq!(store.record_count(session).unwrap(), 2000);
    let tail = store.tail(session, 200).unwrap();
    assert_eq!(tail.records.first().unwrap().seq, 1801);
    assert_eq!(tail.records.last().unwrap().seq, 2000);
}

#[test]
fn entities_round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new("demo", PathBuf::from("/tmp/demo"));
    let task = Task::new(SpecId::new(), 1, "01.1", "Ids");
    {
        let handle = StoreHandle::spawn(open(dir.path()).unwrap()).unwrap();
        let (p, t) = (project.clone(), task.clone());
        handle
            .write_blocking(move |w| {
                w.put(&p)?;
                w.put(&t)
            })
            .unwrap();
        handle.close();
    }
    let store = open(dir.path()).unwrap();
    assert_eq!(store.get::<Project>(project.id.to_bytes()).unwrap(), Some(project.clone()));
    assert_eq!(store.list::<Task>().unwrap().items, vec![task]);
    let stats = store.stats().unwrap();
    assert_eq!(stats.schema_version, SCHEMA_VERSION);
    let projects = stats.tables.iter().find(|t| t.table.name() == "projects").unwrap();
    assert_eq!(projects.entries, 1);
}

#[test]
fn opening_twice_in_one_process_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path()).unwrap();
    let err = open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err}");
}

#[test]
fn a_store_interrupted_at_its_very_first_open_still_opens() {
    // LMDB's own files as a crash during the first start can leave them: only the lock file, or an
    // empty data file.
    let only_lock = tempfile::tempdir().unwrap();
    std::fs::write(only_lock.path().join("lock.mdb"), b"").unwrap();
    open(only_lock.path()).expect("a lone lock.mdb is LMDB's, not someone else's");
    let empty_data = tempfile::tempdir().unwrap();
    std::fs::write(empty_data.path().join("data.mdb"), b"").unwrap();
    let store = open(empty_data.path()).expect("an empty data.mdb is initialised");
    assert_eq!(store.stats().unwrap().schema_version, SCHEMA_VERSION);
}

#[test]
fn a_map_grown_by_another_process_is_adopted_for_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionId::new();
    // This process maps 256 KiB; the child maps the default and writes about 2 MiB.
    let handle = StoreHandle::spawn(Store::open(dir.path(), &StoreOptions { map_size: 256 * 1024 }).unwrap()).unwrap();
    let child = spawn_child("grow", dir.path(), session).wait_with_output().unwrap();
    assert!(child.status.success());
    assert_eq!(handle.reader().record_count(session).unwrap(), 2000, "reads see the grown map");
    assert!(handle.reader().map_size() > 256 * 1024);
    let more = message(session, "parent", 2000);
    let seqs = handle.write_blocking(move |w| w.append(session, std::slice::from_ref(&more))).unwrap();
    assert_eq!(seqs, [2001], "writes see it too");
}

#[test]
fn processes_creating_one_new_store_at_once_all_open_it() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("new-store");
        let children: Vec<Child> = (0..6).map(|_| spawn_child("open", &data, SessionId::new())).collect();
        for child in children {
            let said = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
            assert!(said.contains("opened"), "a process could not open the store being created: {said}");
        }
        assert_eq!(open(&data).unwrap().stats().unwrap().schema_version, SCHEMA_VERSION);
    }
}
