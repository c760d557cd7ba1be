//! A real store's data.mdb cut short or overwritten: the store, `aura doctor` and the engine's start
//! (`aura companion` launches it) refuse it with what to do, exit non-zero, and never die of a signal
//! (LMDB maps the file: reading a page past the end of a truncated file is a SIGBUS).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aura::domain::{Message, Record, Role, SessionId};
use aura::store::{Store, StoreError, StoreHandle, StoreOptions};

/// A store with a few hundred KiB of conversation in it, closed.
fn real_store(dir: &Path) -> u64 {
    let handle = StoreHandle::spawn(Store::open(dir, &StoreOptions::default()).unwrap()).unwrap();
    let session = SessionId::new();
    let records: Vec<Record> = (0..300)
        .map(|n| Record::Message(Message::text(session, Role::User, format!("{n}:{}", "x".repeat(1000)))))
        .collect();
    handle.write_blocking(move |w| w.append(session, &records)).unwrap();
    handle.close();
    std::fs::metadata(dir.join("data.mdb")).unwrap().len()
}

fn truncate_to_half(dir: &Path) {
    let data = dir.join("data.mdb");
    let len = std::fs::metadata(&data).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&data).unwrap().set_len(len / 2).unwrap();
}

fn overwrite(dir: &Path, at: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    std::fs::OpenOptions::new().write(true).open(dir.join("data.mdb")).unwrap().write_all_at(bytes, at).unwrap();
}

fn aura(data: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(args)
        .env("AURA_DATA_DIR", data)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("aura {args:?} did not refuse the store; it kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The store, `aura doctor` and the engine's start all refuse, with the reason and what to do.
fn assert_refused(data: &Path, reason: &str) {
    let before = std::fs::read(data.join("data.mdb")).unwrap();
    match Store::open(data, &StoreOptions::default()) {
        Err(StoreError::Damaged { reason: why, .. }) => assert!(why.contains(reason), "{why}"),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a damaged store was opened"),
    }
    let workspace = tempfile::tempdir().unwrap();
    let engine = ["companion", "--port", "0", "--workspace", workspace.path().to_str().unwrap()];
    for args in [&["doctor"][..], &engine[..]] {
        let out = aura(data, args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.signal(), None, "aura {args:?} died of a signal: {text}");
        assert_eq!(out.status.code(), Some(1), "aura {args:?}: {text}");
        assert!(text.contains("is damaged"), "aura {args:?}: {text}");
        assert!(text.contains(reason), "aura {args:?}: {text}");
        assert!(text.contains("Restore data.mdb from a backup"), "aura {args:?}: {text}");
    }
    assert_eq!(std::fs::read(data.join("data.mdb")).unwrap(), before, "nothing was changed");
}

#[test]
fn a_data_mdb_cut_to_half_is_refused_without_a_crash() {
    let data = tempfile::tempdir().unwrap();
    let len = real_store(data.path());
    assert!(len > 200_000, "the store holds real pages: {len} bytes");
    truncate_to_half(data.path());
    assert_refused(data.path(), "the file was cut short");
}

#[test]
fn overwritten_meta_pages_are_refused_without_a_crash() {
    let data = tempfile::tempdir().unwrap();
    real_store(data.path());
    // The second meta page (at the page size, 4096 here) overwritten: the first still says LMDB.
    overwrite(data.path(), 4096 + 16, &[0xAB; 32]);
    assert_refused(data.path(), "its second meta page is overwritten");
    // The first meta page overwritten: the second still says this was an LMDB store.
    let first = tempfile::tempdir().unwrap();
    real_store(first.path());
    overwrite(first.path(), 0, &[0x42; 64]);
    assert_refused(first.path(), "its first meta page is overwritten");
}

#[test]
fn a_sound_store_still_opens_and_doctor_says_ok() {
    let data = tempfile::tempdir().unwrap();
    real_store(data.path());
    let out = aura(data.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Store:     ok"), "{text}");
}
