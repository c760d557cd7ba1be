//! What a phone missed while its connection was down. The server keeps a surface of its own on the
//! engine (the tap) that hears every announcement, and keeps the last [`CAPACITY`] of them as the
//! phone would receive them (redacted and encoded once). A phone that reconnects to the same engine
//! start gets the ones after its last `seq`; one whose `seq` fell out of the buffer, or that knew
//! another start, begins afresh.
//!
//! Exactly once, in order: the engine numbers events under the same lock that delivers them, so
//! when a phone's new surface receives its Welcome (numbered W), every announcement numbered below
//! W is already queued for the tap. Draining the tap then yields the events between the phone's
//! last `seq` and W; everything after W reaches the new surface itself.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

use crate::engine::{EngineClient, Waker};
use crate::protocol::{Envelope, Event, encode};

use super::policy::redact_for_companion;

/// Announcements kept for reconnecting phones.
pub const CAPACITY: usize = 10_000;

struct Inner {
    tap: EngineClient,
    frames: VecDeque<(u64, Utf8Bytes)>,
    /// Every announcement numbered above this is in `frames` (or was redacted away).
    floor: u64,
}

pub struct Replay {
    inner: Mutex<Inner>,
    /// Woken when the tap hears something.
    pub heard: Arc<Notify>,
}

/// The phone's form of an event: redacted, then encoded; `None` for events phones never see.
pub fn frame(envelope: &Envelope<Event>) -> Option<Utf8Bytes> {
    let body = redact_for_companion(&envelope.body)?;
    let text = encode(&Envelope { v: envelope.v, seq: envelope.seq, body }).ok()?;
    Some(Utf8Bytes::from(text))
}

impl Replay {
    /// A tap on `engine`, and its hello (answered by the Welcome [`Replay::welcome`] waits for).
    pub fn new(engine: &EngineClient) -> Replay {
        let heard = Arc::new(Notify::new());
        let waker: Waker = {
            let heard = heard.clone();
            Arc::new(move || heard.notify_one())
        };
        let mut tap = engine.connect(waker);
        tap.send(crate::protocol::Command::Hello {
            surface: crate::protocol::Surface::Companion,
            client: "companion server".into(),
        });
        Replay { inner: Mutex::new(Inner { tap, frames: VecDeque::new(), floor: u64::MAX }), heard }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the tap's Welcome and returns the engine's epoch; the buffer starts after it.
    pub async fn welcome(&self) -> Option<u64> {
        loop {
            let notified = self.heard.notified();
            {
                let mut inner = self.lock();
                while let Some(envelope) = inner.tap.try_recv() {
                    if let Event::Welcome { epoch, .. } = envelope.body {
                        inner.floor = envelope.seq;
                        return Some(epoch);
                    }
                }
            }
            if tokio::time::timeout(std::time::Duration::from_secs(10), notified).await.is_err() {
                return None;
            }
        }
    }

    /// A new surface on the engine for one phone, woken by `waker`.
    pub fn connect(&self, waker: Waker) -> EngineClient {
        self.lock().tap.connect(waker)
    }

    /// Moves what the tap heard into the buffer, dropping the oldest past [`CAPACITY`].
    pub fn catch_up(&self) {
        let mut inner = self.lock();
        while let Some(envelope) = inner.tap.try_recv() {
            let Some(text) = frame(&envelope) else { continue };
            if inner.frames.len() == CAPACITY
                && let Some((dropped, _)) = inner.frames.pop_front()
            {
                inner.floor = dropped;
            }
            inner.frames.push_back((envelope.seq, text));
        }
    }

    /// The announcements numbered after `last_seq` and before `until`, in order, if the buffer
    /// still holds every one of them.
    pub fn since(&self, last_seq: u64, until: u64) -> Option<Vec<Utf8Bytes>> {
        self.catch_up();
        let inner = self.lock();
        if last_seq < inner.floor || last_seq >= until {
            return None;
        }
        let start = inner.frames.partition_point(|(seq, _)| *seq <= last_seq);
        Some(inner.frames.range(start..).take_while(|(seq, _)| *seq < until).map(|(_, text)| text.clone()).collect())
    }
}
