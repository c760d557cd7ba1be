//! Serving connections: who may open one, and how long a request's head may take. Each TCP
//! connection (plain or after its TLS handshake) is admitted only under a cap per client address
//! and a cap over all, and keeps its place until it closes, WebSocket included. A request head must
//! arrive whole within the header timeout, so a client that trickles headers byte by byte
//! (slowloris) is dropped instead of holding its place forever. axum's own `serve` sets neither.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Connections open at once from every address together (pages, assets, pairing and WebSockets).
const MAX_OPEN: usize = 512;

/// How connections are admitted and how long a request head may take.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    pub per_address: usize,
    pub header_timeout: Duration,
}

/// The connections open per client address.
#[derive(Default)]
struct Open {
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

/// A place taken by one connection, given back when it closes.
struct Place {
    open: Arc<Open>,
    ip: IpAddr,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.by_address.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(self: &Arc<Self>, ip: IpAddr, per_address: usize) -> Option<Place> {
        let mut open = self.lock();
        let total: usize = open.values().sum();
        let mine = open.entry(ip).or_default();
        if *mine >= per_address || total >= MAX_OPEN {
            return None;
        }
        *mine += 1;
        Some(Place { open: self.clone(), ip })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection's stream with its place: the place goes back when the stream is dropped, which for
/// a WebSocket is when the socket closes, long after the HTTP exchange that upgraded it.
struct Admitted<T> {
    io: T,
    _place: Place,
}

impl<T: AsyncRead + Unpin> AsyncRead for Admitted<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Admitted<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `stop` resolves, then lets open requests finish.
pub async fn serve<L>(mut listener: L, router: Router, admission: Admission, stop: impl Future<Output = ()>)
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    let open = Arc::new(Open::default());
    let (stopping, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let Some(place) = open.admit(peer.ip(), admission.per_address) else {
            tracing::debug!("a Companion connection from {peer} was refused: too many open from there");
            continue;
        };
        let io = Admitted { io, _place: place };
        connections.spawn(connection(io, peer, router.clone(), admission.header_timeout, stopped.clone()));
    }
    let _ = stopping.send(true);
    while connections.join_next().await.is_some() {}
}

/// Resolves once the server stops (the guard `wait_for` returns would not be `Send`).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await.map(|_| ());
}

async fn connection<T>(
    io: T,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = router.map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).with_upgrades();
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("a Companion connection from {peer} ended: {e}");
            }
        }
        _ = stopping(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
