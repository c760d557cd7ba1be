//! The named databases and the entities kept in them, keyed by their id's bytes, valued as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{DroneRun, MemoryEntry, Project, Session, Spec, Task};

use super::error::DecodeWarning;

/// One named LMDB database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Magic marker and schema version.
    Meta,
    Projects,
    Specs,
    Tasks,
    Sessions,
    Drones,
    /// Conversation logs: session id (16 bytes) + big-endian sequence (8 bytes).
    Records,
    Memory,
    Usage,
    Settings,
    Layout,
}

impl Table {
    pub const ALL: [Table; 11] = [
        Table::Meta,
        Table::Projects,
        Table::Specs,
        Table::Tasks,
        Table::Sessions,
        Table::Drones,
        Table::Records,
        Table::Memory,
        Table::Usage,
        Table::Settings,
        Table::Layout,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Projects => "projects",
            Table::Specs => "specs",
            Table::Tasks => "tasks",
            Table::Sessions => "sessions",
            Table::Drones => "drones",
            Table::Records => "records",
            Table::Memory => "memory",
            Table::Usage => "usage",
            Table::Settings => "settings",
            Table::Layout => "layout",
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// A domain type stored one per key in its own table.
pub trait Entity: Serialize + DeserializeOwned + Send + 'static {
    const TABLE: Table;
    fn key(&self) -> [u8; 16];
}

macro_rules! entity {
    ($($ty:ty => $table:ident),* $(,)?) => {$(
        impl Entity for $ty {
            const TABLE: Table = Table::$table;
            fn key(&self) -> [u8; 16] {
                self.id.to_bytes()
            }
        }
    )*};
}

entity!(Project => Projects, Spec => Specs, Task => Tasks, Session => Sessions, DroneRun => Drones, MemoryEntry => Memory);

/// Values read from a table, with the entries that could not be decoded reported beside them.
#[derive(Debug)]
pub struct Decoded<T> {
    pub items: Vec<T>,
    pub skipped: Vec<DecodeWarning>,
}

impl<T> Default for Decoded<T> {
    fn default() -> Self {
        Decoded { items: Vec::new(), skipped: Vec::new() }
    }
}

impl<T: DeserializeOwned> Decoded<T> {
    /// Decodes one value into `items`, or records why not in `skipped`.
    pub(crate) fn push(&mut self, table: Table, key: impl FnOnce() -> String, bytes: &[u8]) {
        match serde_json::from_slice(bytes) {
            Ok(item) => self.items.push(item),
            Err(e) => self.skipped.push(DecodeWarning { table: table.name(), key: key(), error: e.to_string() }.log()),
        }
    }
}

impl<T: DeserializeOwned> Decoded<(String, T)> {
    /// Decodes one value into `items` beside its key, or records why not in `skipped`.
    pub(crate) fn push_keyed(&mut self, table: Table, key: String, bytes: &[u8]) {
        match serde_json::from_slice(bytes) {
            Ok(item) => self.items.push((key, item)),
            Err(e) => self.skipped.push(DecodeWarning { table: table.name(), key, error: e.to_string() }.log()),
        }
    }
}
