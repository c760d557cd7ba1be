//! The Companion: an embedded HTTP and WebSocket server for the phone page. Off until the desktop's
//! Companion tab or `aura companion` starts it; loopback only, unless LAN is chosen, and then only
//! over TLS. Each phone is one more surface on the engine (see `EngineClient::connect`), behind a
//! device token, an allowlist of commands and a redaction of what it hears.

mod assets;
mod devices;
mod http;
pub mod pairing;
pub mod policy;
mod replay;
mod serve;
mod socket;
pub mod tls;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, header};
use axum::serve::ListenerExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::engine::{EngineClient, Waker};
use crate::store::{StoreError, StoreHandle};

use self::devices::Devices;
use self::pairing::Pairing;
use self::replay::Replay;
use self::socket::{Connections, REVOKED, STOPPING};

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
    /// How long a pairing code stays valid.
    pub code_lifetime: Duration,
    /// Connections open at once from one client address (a phone's browser opens a few).
    pub max_per_address: usize,
    /// How long a request's head may take to arrive whole.
    pub header_timeout: Duration,
}

impl Default for CompanionConfig {
    fn default() -> Self {
        CompanionConfig {
            port: DEFAULT_PORT,
            lan: false,
            bind: None,
            code_lifetime: Duration::from_secs(300),
            max_per_address: 32,
            header_timeout: Duration::from_secs(10),
        }
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
    #[error("the system gave no randomness: {0}")]
    Randomness(String),
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
    /// A code is waiting (only its hash is kept: the code itself was returned once by
    /// [`Companion::start_pairing`]).
    Waiting {
        expires_at_ms: u64,
    },
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

/// What the routes and connections share.
struct Server {
    devices: Devices,
    pairing: Mutex<Pairing>,
    replay: Replay,
    /// The origins of the page as this server serves it (`http://127.0.0.1:7420`…).
    origins: Vec<String>,
    url: String,
    connections: Connections,
    waker: Waker,
}

impl Server {
    fn pairing(&self) -> std::sync::MutexGuard<'_, Pairing> {
        self.pairing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a request comes from the page itself, not from a page of another site.
    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        origin.is_some_and(|origin| self.origins.iter().any(|ours| ours == origin))
    }
}

/// SHA-256, for pairing codes, device tokens and the certificate's fingerprint.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A host as it is written in a URL (IPv6 addresses in brackets).
fn url_host(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}

/// The running server. Dropping it stops it too, without waiting.
pub struct Companion {
    server: Arc<Server>,
    fingerprint: Option<String>,
    runtime: tokio::runtime::Handle,
    problem: Arc<Mutex<Option<String>>>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<()>>,
    recorder: JoinHandle<()>,
}

/// Starts the server on the current tokio runtime. `engine` is any surface of the running engine
/// (the server connects surfaces of its own from it, and keeps devices in its store); `data_dir`
/// holds the LAN certificate; `waker` is called when devices, pairing or connections change, so a
/// window can redraw. The work happens in the returned future, which owns what it needs: spawn it
/// from a UI thread, `block_on` it from a headless one.
pub fn start(
    engine: &EngineClient,
    data_dir: &Path,
    config: CompanionConfig,
    waker: Waker,
) -> impl Future<Output = Result<Companion, CompanionError>> + Send + 'static {
    let replay = Replay::new(engine);
    let store = engine.store().clone();
    let data_dir = data_dir.to_path_buf();
    async move { launch(replay, store, data_dir, config, waker).await }
}

async fn launch(
    replay: Replay,
    store: StoreHandle,
    data_dir: PathBuf,
    config: CompanionConfig,
    waker: Waker,
) -> Result<Companion, CompanionError> {
    let ip = config.bind.unwrap_or(if config.lan { Ipv4Addr::UNSPECIFIED.into() } else { Ipv4Addr::LOCALHOST.into() });
    if !config.lan && !ip.is_loopback() {
        return Err(CompanionError::PlainOffLoopback(ip));
    }
    let identity = if config.lan { Some(tls::identity(&data_dir)?) } else { None };
    let listener = tokio::net::TcpListener::bind((ip, config.port)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => CompanionError::PortInUse(config.port),
        _ => CompanionError::Listen { addr: SocketAddr::new(ip, config.port).to_string(), why: e.to_string() },
    })?;
    let listen_error = |e: std::io::Error| CompanionError::Listen { addr: ip.to_string(), why: e.to_string() };
    let port = listener.local_addr().map_err(listen_error)?.port();
    replay.welcome().await.ok_or(CompanionError::EngineSilent)?;
    let devices = Devices::load(store)?;
    let (scheme, mut hosts) = match config.lan {
        true => ("https", tls::names()),
        false => ("http", vec!["127.0.0.1".to_string(), "localhost".to_string()]),
    };
    if !ip.is_unspecified() && !hosts.contains(&ip.to_string()) {
        hosts.push(ip.to_string());
    }
    // The address a phone should use: where the server listens, or this machine's LAN address.
    let shown = match (ip.is_unspecified(), tls::lan_addresses().first()) {
        (false, _) => ip.to_string(),
        (true, Some(lan)) => lan.to_string(),
        (true, None) => hosts.first().cloned().unwrap_or_else(|| "127.0.0.1".into()),
    };
    let server = Arc::new(Server {
        devices,
        pairing: Mutex::new(Pairing::new(config.code_lifetime)),
        replay,
        origins: hosts.iter().map(|h| format!("{scheme}://{}:{port}", url_host(h))).collect(),
        url: format!("{scheme}://{}:{port}/", url_host(&shown)),
        connections: Connections::default(),
        waker,
    });
    let recorder = tokio::spawn({
        let server = server.clone();
        async move {
            loop {
                server.replay.heard.notified().await;
                server.replay.catch_up();
            }
        }
    });
    let app = http::router(server.clone());
    let admission = serve::Admission { per_address: config.max_per_address, header_timeout: config.header_timeout };
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let fingerprint = identity.as_ref().map(tls::Identity::fingerprint);
    let serving = match identity {
        // Streamed events leave at once (no Nagle delay).
        None => tokio::spawn(serve::serve(
            listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            app,
            admission,
            shutdown,
        )),
        Some(identity) => {
            let acceptor = identity.acceptor().map_err(|why| CompanionError::Certificate {
                path: data_dir.join("companion").display().to_string(),
                why,
            })?;
            let listener = tls::TlsListener::new(listener, acceptor).map_err(listen_error)?;
            tokio::spawn(serve::serve(listener, app, admission, shutdown))
        }
    };
    Ok(Companion {
        server,
        fingerprint,
        runtime: tokio::runtime::Handle::current(),
        problem: Arc::default(),
        stop: Some(stop),
        serving: Some(serving),
        recorder,
    })
}

impl Companion {
    /// The page's address (`http://127.0.0.1:7420/`, or `https://<LAN address>:7420/`).
    pub fn url(&self) -> String {
        self.server.url.clone()
    }

    /// SHA-256 of the TLS certificate as colon-separated hex (LAN mode only).
    pub fn fingerprint(&self) -> Option<String> {
        self.fingerprint.clone()
    }

    /// Makes a new pairing code, valid for the configured time; it replaces the one before. Only its
    /// hash is kept: show the code now.
    pub fn start_pairing(&self) -> Result<PairingCode, CompanionError> {
        self.server.pairing().start(&self.server.url)
    }

    pub fn pairing(&self) -> PairingState {
        self.server.pairing().state()
    }

    /// Every paired device, revoked ones included, oldest first.
    pub fn devices(&self) -> Vec<Device> {
        self.server.devices.list()
    }

    /// How many phones are connected now.
    pub fn connections(&self) -> usize {
        self.server.connections.count()
    }

    /// Revokes a device at once: its token stops working and its open connections close. Storing
    /// the revocation finishes in the background; if it fails, [`Companion::problem`] says so.
    pub fn revoke(&self, id: &str) -> Result<(), CompanionError> {
        let saved = self.server.devices.revoke(id).ok_or_else(|| CompanionError::UnknownDevice(id.to_string()))?;
        self.server.connections.kick(Some(id), REVOKED);
        let (problem, waker) = (self.problem.clone(), self.server.waker.clone());
        self.runtime.spawn(async move {
            if let Err(e) = saved.await {
                tracing::error!("a Companion revocation could not be stored: {e}");
                *problem.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(format!("the revocation could not be stored ({e}); revoke the device again"));
            }
            waker();
        });
        (self.server.waker)();
        Ok(())
    }

    /// A problem the desktop should show (a revocation that could not be stored).
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Closes every connection (waiting a few seconds for their close frames to leave) and stops
    /// listening.
    pub async fn stop(mut self) {
        self.halt();
        if let Some(mut serving) = self.serving.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut serving).await.is_err()
        {
            serving.abort();
        }
        self.server.connections.ended(Duration::from_secs(5)).await;
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server.connections.kick(None, STOPPING);
        self.recorder.abort();
    }
}

impl Drop for Companion {
    fn drop(&mut self) {
        self.halt();
    }
}
