//! The LMDB store: one heed environment in the user's data dir, a named database per entity, an
//! append-only record log per conversation, and one thread that owns every write.
//!
//! Reads run on any thread in short read transactions ([`Store`]); writes go through a
//! [`StoreHandle`] to the store thread, one LMDB transaction per request. No transaction ever lives
//! across an `.await`.

mod data_file;
mod env;
mod error;
mod handle;
mod location;
mod records;
mod tables;

pub use env::{SCHEMA_VERSION, Store, StoreOptions, StoreStats, TableStat};
pub use error::{DecodeWarning, StoreError};
pub use handle::{StoreHandle, Writer};
pub use location::{DATA_DIR_ENV, default_data_dir, resolve_data_dir};
pub use records::{RecordPage, SeqRecord};
pub use tables::{Decoded, Entity, Table};
