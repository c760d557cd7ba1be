//! Opening the environment safely, the schema check, map growth, and the read side.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvOpenOptions, MdbError, RoTxn, WithoutTls};

use super::data_file::{self, Verdict};
use super::error::StoreError;
use super::tables::{Decoded, Entity, Table};

/// The schema this build writes and understands. Bump it with a migration in [`Store::open`].
pub const SCHEMA_VERSION: u32 = 1;

const MAGIC_KEY: &[u8] = b"magic";
const MAGIC: &[u8] = b"aura-store";
const VERSION_KEY: &[u8] = b"schema_version";

pub(crate) type Db = Database<'static, Bytes, Bytes>;

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Initial map size in bytes; it doubles whenever it fills. Only address space is reserved.
    pub map_size: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { map_size: 1 << 30 }
    }
}

/// An open Aura store. Reads are methods here; writes go through a [`super::StoreHandle`].
pub struct Store {
    pub(crate) env: Env<WithoutTls>,
    pub(crate) dbs: [Db; Table::ALL.len()],
    path: PathBuf,
    /// Resizing the map needs no transaction open in this process: readers hold it shared,
    /// a resize holds it exclusively.
    pub(crate) resize_lock: RwLock<()>,
}

/// Why an existing environment is not opened.
enum Refusal {
    Foreign(&'static str),
    Newer(u32),
}

/// Counts and sizes for `aura doctor`.
#[derive(Debug, Clone)]
pub struct StoreStats {
    pub path: PathBuf,
    pub schema_version: u32,
    pub map_size: usize,
    pub used_bytes: u64,
    pub readers: u32,
    pub tables: Vec<TableStat>,
}

#[derive(Debug, Clone)]
pub struct TableStat {
    pub table: Table,
    pub entries: u64,
}

impl Store {
    /// Opens the store at `path`, creating it if the directory is new or empty. Refuses, without
    /// changing anything, a file in the way, a directory holding something else, or a newer schema.
    pub fn open(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        check_location(&path)?;
        std::fs::create_dir_all(&path).map_err(|e| io_error(&path, e))?;

        let mut env_options = EnvOpenOptions::new().read_txn_without_tls();
        env_options.map_size(options.map_size).max_dbs(Table::ALL.len() as u32 + 4);
        let env = unsafe { env_options.open(&path) }.map_err(|e| open_error(&path, e))?;
        let lmdb = |source| StoreError::Lmdb { path: path.clone(), source };

        // Everything is decided inside one write transaction: LMDB's writer lock makes processes
        // opening the same new store at once take turns, and refusing aborts, so nothing is written.
        let wtxn = env.write_txn().map_err(lmdb)?;
        let opened = env
            .create_databases_and_commit(wtxn, |opener, wtxn| {
                // A store already at this schema needs no write: opening it commits nothing.
                let mut current = false;
                match opener.open_database::<Bytes, Bytes>(wtxn, Some(Table::Meta.name()))? {
                    Some(meta) => {
                        if meta.get(wtxn, MAGIC_KEY)? != Some(MAGIC) {
                            return Ok(CommitOrAbort::Abort(Refusal::Foreign("its meta table has no Aura marker")));
                        }
                        let found = meta
                            .get(wtxn, VERSION_KEY)?
                            .and_then(|b| <[u8; 4]>::try_from(b).ok())
                            .map(u32::from_be_bytes)
                            .unwrap_or(0);
                        if found > SCHEMA_VERSION {
                            return Ok(CommitOrAbort::Abort(Refusal::Newer(found)));
                        }
                        current = found == SCHEMA_VERSION;
                    }
                    None => {
                        let main = opener.open_database::<Bytes, Bytes>(wtxn, None)?;
                        if main.map(|m| m.len(wtxn)).transpose()?.unwrap_or(0) > 0 {
                            return Ok(CommitOrAbort::Abort(Refusal::Foreign(
                                "an LMDB environment without Aura's tables",
                            )));
                        }
                    }
                }
                let mut dbs = Vec::with_capacity(Table::ALL.len());
                for table in Table::ALL {
                    dbs.push(opener.create_database::<Bytes, Bytes>(wtxn, Some(table.name()))?);
                }
                if !current {
                    let meta = &dbs[Table::Meta.index()];
                    meta.put(wtxn, MAGIC_KEY, MAGIC)?;
                    meta.put(wtxn, VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                }
                let dbs: [Database<'_, Bytes, Bytes>; Table::ALL.len()] =
                    dbs.try_into().map_err(|_| heed::Error::Mdb(MdbError::Problem))?;
                Ok::<_, heed::Error>(CommitOrAbort::Commit(dbs))
            })
            .map_err(lmdb)?;
        let dbs = match opened {
            CommitOrAbort::Commit(dbs) => dbs,
            CommitOrAbort::Abort(Refusal::Foreign(reason)) => {
                return Err(StoreError::NotAStore { path, reason: reason.into() });
            }
            CommitOrAbort::Abort(Refusal::Newer(found)) => {
                return Err(StoreError::NewerSchema { path, found, supported: SCHEMA_VERSION });
            }
        };
        tracing::debug!(path = %path.display(), "store opened");
        Ok(Store { env, dbs, path, resize_lock: RwLock::new(()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn db(&self, table: Table) -> &Db {
        &self.dbs[table.index()]
    }

    pub(crate) fn lmdb_error(&self, source: heed::Error) -> StoreError {
        StoreError::Lmdb { path: self.path.clone(), source }
    }

    /// Runs `f` in a short read transaction, adopting a map another process grew meanwhile.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&RoTxn<'_, WithoutTls>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut attempts = 0;
        let (guard, rtxn) = loop {
            let guard = self.resize_lock.read().unwrap_or_else(|p| p.into_inner());
            match self.env.read_txn() {
                Ok(rtxn) => break (guard, rtxn),
                Err(heed::Error::Mdb(MdbError::MapResized)) if attempts < 3 => {
                    attempts += 1;
                    drop(guard);
                    self.resize(0)?;
                }
                Err(e) => return Err(self.lmdb_error(e)),
            }
        };
        let result = f(&rtxn);
        drop(rtxn);
        drop(guard);
        result
    }

    /// Sets the map size (0 adopts the size another process set). Waits until no transaction of
    /// this process is open.
    pub(crate) fn resize(&self, new_size: usize) -> Result<(), StoreError> {
        let _exclusive = self.resize_lock.write().unwrap_or_else(|p| p.into_inner());
        unsafe { self.env.resize(new_size) }.map_err(|e| self.lmdb_error(e))
    }

    pub fn map_size(&self) -> usize {
        self.env.info().map_size
    }

    /// One entity by id.
    pub fn get<E: Entity>(&self, key: [u8; 16]) -> Result<Option<E>, StoreError> {
        self.read(|rtxn| {
            let Some(bytes) = self.db(E::TABLE).get(rtxn, &key).map_err(|e| self.lmdb_error(e))? else {
                return Ok(None);
            };
            let mut decoded = Decoded::default();
            decoded.push(E::TABLE, || crate::domain::RawId::from_bytes(key).to_string(), bytes);
            Ok(decoded.items.pop())
        })
    }

    /// Every entity of a type, in id (creation) order; undecodable ones are reported, not fatal.
    pub fn list<E: Entity>(&self) -> Result<Decoded<E>, StoreError> {
        self.read(|rtxn| {
            let mut decoded = Decoded::default();
            for entry in self.db(E::TABLE).iter(rtxn).map_err(|e| self.lmdb_error(e))? {
                let (key, bytes) = entry.map_err(|e| self.lmdb_error(e))?;
                decoded.push(E::TABLE, || key_text(key), bytes);
            }
            Ok(decoded)
        })
    }

    /// A JSON value stored under a text key in a keyed table (settings, layout, memory, usage).
    pub fn get_value<T: serde::de::DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>, StoreError> {
        self.read(|rtxn| {
            let Some(bytes) = self.db(table).get(rtxn, key.as_bytes()).map_err(|e| self.lmdb_error(e))? else {
                return Ok(None);
            };
            let mut decoded = Decoded::default();
            decoded.push(table, || key.to_string(), bytes);
            Ok(decoded.items.pop())
        })
    }

    /// Every JSON value whose text key starts with `prefix` in a keyed table, with its key, in key
    /// order; undecodable ones are reported, not fatal.
    pub fn values_with_prefix<T: serde::de::DeserializeOwned>(
        &self,
        table: Table,
        prefix: &str,
    ) -> Result<Decoded<(String, T)>, StoreError> {
        self.read(|rtxn| {
            let mut decoded = Decoded::default();
            for entry in self.db(table).prefix_iter(rtxn, prefix.as_bytes()).map_err(|e| self.lmdb_error(e))? {
                let (key, bytes) = entry.map_err(|e| self.lmdb_error(e))?;
                decoded.push_keyed(table, String::from_utf8_lossy(key).into_owned(), bytes);
            }
            Ok(decoded)
        })
    }

    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let info = self.env.info();
        let page_size = self.env.unnamed_database_stat().page_size as u64;
        let tables = self.read(|rtxn| {
            Table::ALL
                .iter()
                .map(|&table| {
                    let entries = self.db(table).len(rtxn).map_err(|e| self.lmdb_error(e))?;
                    Ok(TableStat { table, entries })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        Ok(StoreStats {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            map_size: info.map_size,
            used_bytes: (info.last_page_number as u64 + 1) * page_size,
            readers: info.number_of_readers,
            tables,
        })
    }
}

/// Readable form of a table key: an id when it is 16 bytes, else lossy text.
fn key_text(key: &[u8]) -> String {
    match <[u8; 16]>::try_from(key) {
        Ok(bytes) => crate::domain::RawId::from_bytes(bytes).to_string(),
        Err(_) => String::from_utf8_lossy(key).into_owned(),
    }
}

/// Refuses, before anything is created, a path that holds something other than an Aura store.
fn check_location(path: &Path) -> Result<(), StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path, e)),
    };
    if !meta.is_dir() {
        return Err(StoreError::FileInTheWay { path: path.to_path_buf() });
    }
    let data = path.join("data.mdb");
    if data.exists() {
        // Another process may be creating this store right now: LMDB writes the header moments after
        // the file appears. While its lock file is there, give it a little time before refusing.
        let mut result = check_lmdb_header(path, &data);
        for _ in 0..40 {
            if result.is_ok() || !path.join("lock.mdb").exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            result = check_lmdb_header(path, &data);
        }
        return result;
    }
    // LMDB's own files may appear meanwhile (another process creating the store), or only the lock
    // file may be left (a crash between the two): neither is someone else's file.
    let other = std::fs::read_dir(path)
        .map_err(|e| io_error(path, e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name != "lock.mdb" && name != "data.mdb");
    match other {
        None => Ok(()),
        Some(name) => Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!("the directory holds other files, such as {name:?}, and no data.mdb"),
        }),
    }
}

fn check_lmdb_header(dir: &Path, data: &Path) -> Result<(), StoreError> {
    match data_file::inspect(data).map_err(|e| io_error(dir, e))? {
        Verdict::Empty | Verdict::Sound => Ok(()),
        Verdict::Foreign(reason) => Err(StoreError::NotAStore { path: dir.to_path_buf(), reason: reason.into() }),
        Verdict::Damaged(reason) => Err(StoreError::Damaged { path: data.to_path_buf(), reason }),
    }
}

fn io_error(path: &Path, e: io::Error) -> StoreError {
    let read_only = matches!(e.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem)
        || e.raw_os_error() == Some(30); // EROFS where the kind is not mapped
    if read_only {
        StoreError::ReadOnly { path: path.to_path_buf(), reason: e.to_string() }
    } else {
        StoreError::Lmdb { path: path.to_path_buf(), source: heed::Error::Io(e) }
    }
}

fn open_error(path: &Path, e: heed::Error) -> StoreError {
    match e {
        heed::Error::Io(io) => io_error(path, io),
        heed::Error::EnvAlreadyOpened => StoreError::AlreadyOpen { path: path.to_path_buf() },
        heed::Error::Mdb(MdbError::Invalid | MdbError::VersionMismatch) => {
            StoreError::NotAStore { path: path.to_path_buf(), reason: "data.mdb is not a readable LMDB file".into() }
        }
        other => StoreError::Lmdb { path: path.to_path_buf(), source: other },
    }
}
