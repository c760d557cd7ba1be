//! Agents and loops waiting for a person's decision (on a ChangeSet, on a work order). The waiter
//! is registered before the proposal is announced, so a decision made at once is never missed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub struct Decisions<K, V>(Arc<Mutex<HashMap<K, oneshot::Sender<V>>>>);

impl<K, V> Clone for Decisions<K, V> {
    fn clone(&self) -> Self {
        Decisions(Arc::clone(&self.0))
    }
}

impl<K, V> Default for Decisions<K, V> {
    fn default() -> Self {
        Decisions(Arc::default())
    }
}

impl<K: Eq + Hash, V> Decisions<K, V> {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, oneshot::Sender<V>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts waiting for the decision on `id`.
    pub fn wait(&self, id: K) -> oneshot::Receiver<V> {
        let (tx, rx) = oneshot::channel();
        self.map().insert(id, tx);
        rx
    }

    /// Stops waiting (the proposal was settled another way).
    pub fn forget(&self, id: &K) {
        self.map().remove(id);
    }

    /// Hands a decision to whoever waits for it; false when nobody does.
    pub fn deliver(&self, id: &K, decision: V) -> bool {
        match self.map().remove(id) {
            Some(tx) => tx.send(decision).is_ok(),
            None => false,
        }
    }
}
