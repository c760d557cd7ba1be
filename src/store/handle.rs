//! The store thread: the only place LMDB write transactions exist. Callers send it a closure that
//! works through a [`Writer`]; the thread runs it in one transaction, grows the map and retries when
//! it fills, and sends the result back.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use heed::{MdbError, RwTxn};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::domain::{LogId, Record};

use super::env::Store;
use super::error::StoreError;
use super::records;
use super::tables::{Entity, Table};

enum Job {
    Write(Box<dyn FnOnce(&Store) + Send>),
    /// Finish what came before, then stop the thread.
    Stop,
}

/// The write side of one transaction. Every method encodes first, so a value that cannot be
/// encoded aborts the whole transaction and nothing partial lands.
pub struct Writer<'a> {
    store: &'a Store,
    txn: RwTxn<'a>,
}

impl Writer<'_> {
    fn lmdb(&self, e: heed::Error) -> StoreError {
        self.store.lmdb_error(e)
    }

    pub fn put<E: Entity>(&mut self, entity: &E) -> Result<(), StoreError> {
        let bytes = encode(entity, E::TABLE.name())?;
        self.store.db(E::TABLE).put(&mut self.txn, &entity.key(), &bytes).map_err(|e| self.lmdb(e))
    }

    pub fn delete<E: Entity>(&mut self, key: [u8; 16]) -> Result<bool, StoreError> {
        self.store.db(E::TABLE).delete(&mut self.txn, &key).map_err(|e| self.lmdb(e))
    }

    /// Stores a JSON value under a text key in a keyed table (settings, layout, memory, usage).
    pub fn put_value<T: Serialize>(&mut self, table: Table, key: &str, value: &T) -> Result<(), StoreError> {
        let bytes = encode(value, table.name())?;
        self.store.db(table).put(&mut self.txn, key.as_bytes(), &bytes).map_err(|e| self.lmdb(e))
    }

    /// Appends records to a session's log; returns their sequence numbers.
    pub fn append(&mut self, log: impl Into<LogId>, records: &[Record]) -> Result<Vec<u64>, StoreError> {
        let session = log.into();
        let encoded = records.iter().map(|r| encode(r, "record")).collect::<Result<Vec<_>, _>>()?;
        records::append(self.store.db(Table::Records), &mut self.txn, session, &encoded).map_err(|e| self.lmdb(e))
    }

    /// Deletes a whole log (a deleted conversation's session); returns how many records it held.
    pub fn delete_log(&mut self, log: impl Into<LogId>) -> Result<usize, StoreError> {
        records::delete_log(self.store.db(Table::Records), &mut self.txn, log.into()).map_err(|e| self.lmdb(e))
    }

    /// Removes a value stored under a text key; false when there was none.
    pub fn delete_value(&mut self, table: Table, key: &str) -> Result<bool, StoreError> {
        self.store.db(table).delete(&mut self.txn, key.as_bytes()).map_err(|e| self.lmdb(e))
    }

    /// Appends raw bytes as a record, bypassing encoding: only for tests of the decode-failure path.
    #[cfg(test)]
    pub(crate) fn append_raw(&mut self, log: impl Into<LogId>, bytes: Vec<u8>) -> Result<Vec<u64>, StoreError> {
        let session = log.into();
        records::append(self.store.db(Table::Records), &mut self.txn, session, &[bytes]).map_err(|e| self.lmdb(e))
    }
}

fn encode<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode { what, source })
}

impl Store {
    /// Runs `op` in one write transaction and commits it. When the map is full, the transaction is
    /// dropped, the map doubles, and `op` runs again from the start.
    fn write_with_growth<R>(
        &self,
        op: &mut dyn FnMut(&mut Writer<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        loop {
            let attempt = self.env.write_txn().map_err(|e| self.lmdb_error(e)).and_then(|txn| {
                let mut writer = Writer { store: self, txn };
                let value = op(&mut writer)?;
                writer.txn.commit().map_err(|e| self.lmdb_error(e))?;
                Ok(value)
            });
            match attempt {
                Err(StoreError::Lmdb { source: heed::Error::Mdb(MdbError::MapFull), .. }) => {
                    let grown = self.map_size().saturating_mul(2);
                    tracing::info!(bytes = grown, "store map full; growing it");
                    self.resize(grown)?;
                }
                Err(StoreError::Lmdb { source: heed::Error::Mdb(MdbError::MapResized), .. }) => self.resize(0)?,
                other => return other,
            }
        }
    }
}

/// A cheap, cloneable handle: reads through [`StoreHandle::reader`], writes through the store thread.
#[derive(Clone)]
pub struct StoreHandle {
    store: Arc<Store>,
    jobs: mpsc::Sender<Job>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl StoreHandle {
    /// Starts the store thread for `store`. It stops when the last handle is dropped, after
    /// finishing the writes already sent.
    pub fn spawn(store: Store) -> Result<StoreHandle, StoreError> {
        let store = Arc::new(store);
        let (jobs, queue) = mpsc::channel::<Job>();
        let owned = Arc::clone(&store);
        let thread = std::thread::Builder::new()
            .name("aura-store".into())
            .spawn(move || {
                for job in queue {
                    match job {
                        Job::Write(write) => write(&owned),
                        Job::Stop => break,
                    }
                }
            })
            .map_err(|e| StoreError::Lmdb { path: store.path().to_path_buf(), source: heed::Error::Io(e) })?;
        Ok(StoreHandle { store, jobs, thread: Arc::new(Mutex::new(Some(thread))) })
    }

    /// Finishes the writes already sent and stops the store thread. The environment closes when
    /// the last handle is gone; writes through other handles fail with [`StoreError::Closed`].
    pub fn close(self) {
        let _ = self.jobs.send(Job::Stop);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the store thread panicked while closing");
        }
    }

    /// The read side: short read transactions on the caller's thread.
    pub fn reader(&self) -> &Store {
        &self.store
    }

    fn submit<R: Send + 'static>(
        &self,
        mut op: impl FnMut(&mut Writer<'_>) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<R, StoreError>>, StoreError> {
        let (reply, receiver) = oneshot::channel();
        let job = Job::Write(Box::new(move |store: &Store| {
            let _ = reply.send(store.write_with_growth(&mut op));
        }));
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        Ok(receiver)
    }

    /// Runs `op` in one write transaction on the store thread and waits for the commit.
    pub async fn write<R: Send + 'static>(
        &self,
        op: impl FnMut(&mut Writer<'_>) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.submit(op)?.await.map_err(|_| StoreError::Closed)?
    }

    /// [`StoreHandle::write`] for threads outside the async runtime (CLI, tests, benchmarks).
    pub fn write_blocking<R: Send + 'static>(
        &self,
        op: impl FnMut(&mut Writer<'_>) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.submit(op)?.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Appends records to a session's log in one commit; returns their sequence numbers.
    pub async fn append(&self, log: impl Into<LogId>, records: Vec<Record>) -> Result<Vec<u64>, StoreError> {
        let session = log.into();
        self.write(move |w| w.append(session, &records)).await
    }

    pub async fn put<E: Entity + Clone + Sync>(&self, entity: E) -> Result<(), StoreError> {
        self.write(move |w| w.put(&entity)).await
    }
}
