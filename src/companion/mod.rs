//! The Companion: an embedded HTTP and WebSocket server for the phone page. Off until the desktop's
//! Companion tab or `aura companion` starts it; loopback only, unless LAN is chosen, and then only
//! over TLS. Each phone is one more surface on the engine (see `EngineClient::connect`), behind a
//! device token, an allowlist of commands and a redaction of what it hears.

use std::future::Future;
use std::net::IpAddr;
use std::path::Path;

use crate::engine::{EngineClient, Waker};
use crate::store::{StoreError, StoreHandle};

/// The port the Companion listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7420;

/// How the server listens.
#[derive(Debug, Clone)]
pub struct CompanionConfig {
    pub port: u16,
    /// Listen on the local network (all interfaces, TLS with a generated certificate).
    pub lan: bool,
    /// Listen here instead of 127.0.0.1 (or 0.0.0.0 with `lan`). Tests serve TLS on loopback with it.
    /// Plain HTTP is refused on anything but a loopback address.
    pub bind: Option<IpAddr>,
}

impl Default for CompanionConfig {
    fn default() -> Self {
        CompanionConfig { port: DEFAULT_PORT, lan: false, bind: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompanionError {
    #[error("port {0} is in use: pass --port")]
    PortInUse(u16),
    #[error("the Companion could not listen on {addr}: {why}")]
    Listen { addr: String, why: String },
    #[error("plain HTTP is only served on loopback; {0} needs LAN mode (TLS)")]
    PlainOffLoopback(IpAddr),
    #[error("the Companion's certificate could not be made or read in {path}: {why}")]
    Certificate { path: String, why: String },
    #[error("no paired device has the id {0}")]
    UnknownDevice(String),
    #[error("the engine did not answer the Companion's hello; restart Aura")]
    EngineSilent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A one-time pairing code, shown only on the desktop's screen or terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingCode {
    /// Six characters of Crockford base32.
    pub code: String,
    /// The page's address with the code in its fragment (`…/#code=7KQ2ZD`), for the QR code.
    pub url: String,
    pub expires_at_ms: u64,
}

/// Where pairing stands, for the desktop to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingState {
    /// No code was made, or the last one was used.
    Idle,
    Waiting(PairingCode),
    Expired,
    /// Too many wrong attempts: make a new code.
    Voided,
}

/// A paired phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub created_at_ms: u64,
    /// When it last connected or asked for anything.
    pub last_used_ms: u64,
    pub revoked: bool,
}

/// The running server. Dropping it stops it too, without waiting.
pub struct Companion {}

/// Starts the server on the current tokio runtime. `engine` is any surface of the running engine
/// (the server connects surfaces of its own from it); `waker` is called when devices or pairing
/// change, so a window can redraw. The work happens in the returned future, which owns what it
/// needs: spawn it from a UI thread, `block_on` it from a headless one.
pub fn start(
    engine: &EngineClient,
    store: StoreHandle,
    data_dir: &Path,
    config: CompanionConfig,
    waker: Waker,
) -> impl Future<Output = Result<Companion, CompanionError>> + Send + 'static {
    let _ = (engine, store, data_dir, config, waker);
    async { todo!("the server lands in the next commits") }
}

impl Companion {
    /// The page's address (`http://127.0.0.1:7420/`, or `https://<LAN address>:7420/`).
    pub fn url(&self) -> String {
        todo!()
    }

    /// SHA-256 of the TLS certificate as colon-separated hex (LAN mode only).
    pub fn fingerprint(&self) -> Option<String> {
        todo!()
    }

    /// Makes a new pairing code, valid five minutes; it replaces the one before.
    pub fn start_pairing(&self) -> PairingCode {
        todo!()
    }

    pub fn pairing(&self) -> PairingState {
        todo!()
    }

    /// Every paired device, revoked ones included, oldest first.
    pub fn devices(&self) -> Vec<Device> {
        todo!()
    }

    /// How many phones are connected now.
    pub fn connections(&self) -> usize {
        todo!()
    }

    /// Revokes a device at once: its token stops working and its open connections close.
    pub fn revoke(&self, id: &str) -> Result<(), CompanionError> {
        let _ = id;
        todo!()
    }

    /// A problem the desktop should show (a revocation that could not be stored).
    pub fn problem(&self) -> Option<String> {
        todo!()
    }

    /// Closes every connection and stops listening.
    pub async fn stop(self) {
        todo!()
    }
}
