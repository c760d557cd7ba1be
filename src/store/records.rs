//! Record logs (a session's conversation, a project's checkpoints): append-only, keyed by the log's
//! id and a big-endian sequence number, so one log's records are contiguous and in order, and the
//! newest are found by a reverse prefix scan.

use heed::{PutFlags, RoTxn, RwTxn};

use crate::domain::{LogId, Record};

use super::env::{Db, Store};
use super::error::{DecodeWarning, StoreError};
use super::tables::Table;

const KEY_LEN: usize = 24;

fn record_key(session: LogId, seq: u64) -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    key[..16].copy_from_slice(&session.to_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn seq_of(key: &[u8]) -> Option<u64> {
    key.get(16..KEY_LEN).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes)
}

/// A record with its place in the log (sequence numbers start at 1).
#[derive(Debug, Clone, PartialEq)]
pub struct SeqRecord {
    pub seq: u64,
    pub record: Record,
}

/// Records read from one log, oldest first, with any that could not be decoded reported.
#[derive(Debug, Default)]
pub struct RecordPage {
    pub records: Vec<SeqRecord>,
    pub skipped: Vec<DecodeWarning>,
}

impl RecordPage {
    fn push(&mut self, session: LogId, key: &[u8], bytes: &[u8]) {
        let seq = seq_of(key).unwrap_or(0);
        match serde_json::from_slice(bytes) {
            Ok(record) => self.records.push(SeqRecord { seq, record }),
            Err(e) => self.skipped.push(
                DecodeWarning { table: Table::Records.name(), key: format!("{session}#{seq}"), error: e.to_string() }
                    .log(),
            ),
        }
    }
}

/// The last sequence number used in a session's log, 0 if it is empty.
fn last_seq(db: &Db, txn: &RoTxn<'_>, session: LogId) -> Result<u64, heed::Error> {
    let mut iter = db.rev_prefix_iter(txn, &session.to_bytes())?;
    Ok(match iter.next().transpose()? {
        Some((key, _)) => seq_of(key).unwrap_or(0),
        None => 0,
    })
}

/// Appends encoded records inside the caller's write transaction. The sequence is read in the same
/// transaction, so several processes appending to one log never collide; `NO_OVERWRITE` makes the
/// log append-only even against a bug.
pub(crate) fn append(
    db: &Db,
    wtxn: &mut RwTxn<'_>,
    session: LogId,
    encoded: &[Vec<u8>],
) -> Result<Vec<u64>, heed::Error> {
    let mut seq = last_seq(db, wtxn, session)?;
    let mut seqs = Vec::with_capacity(encoded.len());
    for bytes in encoded {
        seq += 1;
        db.put_with_flags(wtxn, PutFlags::NO_OVERWRITE, &record_key(session, seq), bytes)?;
        seqs.push(seq);
    }
    Ok(seqs)
}

/// Deletes every record of one log inside the caller's write transaction; returns how many.
pub(crate) fn delete_log(db: &Db, wtxn: &mut RwTxn<'_>, log: LogId) -> Result<usize, heed::Error> {
    let (start, end) = (record_key(log, 0), record_key(log, u64::MAX));
    let range = (std::ops::Bound::Included(&start[..]), std::ops::Bound::Included(&end[..]));
    db.delete_range(wtxn, &range)
}

impl Store {
    /// The newest `limit` records of a session, oldest first.
    pub fn tail(&self, log: impl Into<LogId>, limit: usize) -> Result<RecordPage, StoreError> {
        let session = log.into();
        let db = self.db(Table::Records);
        self.read(|rtxn| {
            let mut page = RecordPage::default();
            let iter = db.rev_prefix_iter(rtxn, &session.to_bytes()).map_err(|e| self.lmdb_error(e))?;
            for entry in iter.take(limit) {
                let (key, bytes) = entry.map_err(|e| self.lmdb_error(e))?;
                page.push(session, key, bytes);
            }
            page.records.reverse();
            Ok(page)
        })
    }

    /// Up to `limit` records of a session starting at sequence `from` (1 for the beginning).
    pub fn records_from(&self, log: impl Into<LogId>, from: u64, limit: usize) -> Result<RecordPage, StoreError> {
        let session = log.into();
        let db = self.db(Table::Records);
        let start = record_key(session, from.max(1));
        let end = record_key(session, u64::MAX);
        self.read(|rtxn| {
            let mut page = RecordPage::default();
            let range = (std::ops::Bound::Included(&start[..]), std::ops::Bound::Included(&end[..]));
            let iter = db.range(rtxn, &range).map_err(|e| self.lmdb_error(e))?;
            for entry in iter.take(limit) {
                let (key, bytes) = entry.map_err(|e| self.lmdb_error(e))?;
                page.push(session, key, bytes);
            }
            Ok(page)
        })
    }

    /// How many records a session's log holds (its last sequence number).
    pub fn record_count(&self, log: impl Into<LogId>) -> Result<u64, StoreError> {
        let session = log.into();
        let db = self.db(Table::Records);
        self.read(|rtxn| last_seq(db, rtxn, session).map_err(|e| self.lmdb_error(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{StoreHandle, StoreOptions};
    use super::*;
    use crate::domain::{Message, Role, SessionId};

    #[test]
    fn an_undecodable_record_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let handle = StoreHandle::spawn(Store::open(dir.path(), &StoreOptions::default()).unwrap()).unwrap();
        let session = SessionId::new();
        let good = Record::Message(Message::text(session, Role::User, "hello"));
        let (first, last) = (good.clone(), good.clone());
        handle
            .write_blocking(move |w| {
                w.append(session, std::slice::from_ref(&first))?;
                w.append_raw(session, br#"{"record":"from_a_future_version"}"#.to_vec())?;
                w.append(session, std::slice::from_ref(&last))
            })
            .unwrap();

        let page = handle.reader().tail(session, 10).unwrap();
        assert_eq!(page.records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(page.records[0].record, good);
        assert_eq!(page.skipped.len(), 1);
        let warning = page.skipped[0].to_string();
        assert!(warning.starts_with(&format!("skipped records entry {session}#2 that could not be read")), "{warning}");
        assert_eq!(handle.reader().records_from(session, 1, 10).unwrap().skipped.len(), 1);
    }

    #[test]
    fn logs_of_different_sessions_do_not_mix() {
        let dir = tempfile::tempdir().unwrap();
        let handle = StoreHandle::spawn(Store::open(dir.path(), &StoreOptions::default()).unwrap()).unwrap();
        let (a, b) = (SessionId::new(), SessionId::new());
        for i in 0..5 {
            let (ra, rb) = (
                Record::Message(Message::text(a, Role::User, format!("a{i}"))),
                Record::Message(Message::text(b, Role::User, format!("b{i}"))),
            );
            handle
                .write_blocking(move |w| {
                    w.append(a, std::slice::from_ref(&ra)).and_then(|_| w.append(b, std::slice::from_ref(&rb)))
                })
                .unwrap();
        }
        let reader = handle.reader();
        assert_eq!(reader.record_count(a).unwrap(), 5);
        let tail = reader.tail(b, 2).unwrap();
        assert_eq!(tail.records.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5]);
        let texts: Vec<String> = reader
            .records_from(a, 4, 10)
            .unwrap()
            .records
            .into_iter()
            .map(|r| match r.record {
                Record::Message(m) => m.plain_text(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["a3", "a4"]);
        assert_eq!(reader.record_count(SessionId::new()).unwrap(), 0);
    }
}
