//! One phone's WebSocket. The first frame must be its hello, carrying the device token and, when
//! it reconnects, the last `seq` it applied and the engine start (`epoch`) it knew:
//!
//! `{"v":1,"seq":1,"body":{"command":"hello","surface":"companion","client":"…"},"token":"…","last_seq":N,"epoch":E}`
//!
//! Then the phone is one more surface on the engine: its commands pass the allowlist, and it hears
//! every announcement and the answers to its own commands, redacted. The Welcome it gets carries one
//! extra field, `resumed`: `true` when the events it missed were replayed just before it, `false`
//! when it must start afresh (list projects, select one, load history).
//!
//! A phone that misbehaves is closed alone: a bad token (4401), no hello in time (4408) or a first
//! frame that is not one (4400), a frame over 64 KiB (1009), three malformed frames in a row (1007),
//! falling so far behind that its queue fills (1013, it resumes on reconnect), or a hello that finds
//! every connection place taken (1013, try again later).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, watch};

use crate::engine::EngineClient;
use crate::protocol::{Command, Envelope, Event, Surface, decode, encode};

use super::{Server, policy, replay};

/// The largest frame a phone may send.
pub const MAX_FRAME: usize = 64 * 1024;
/// Open WebSockets at once, from every device together.
pub const MAX_CONNECTIONS: usize = 100;
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Malformed frames in a row that end a connection.
const MALFORMED_LIMIT: u32 = 3;
/// Frames waiting to be written to one phone; a phone this far behind is closed.
const QUEUE: usize = 4096;
/// How long the last frames may take to leave once a connection is over.
const WRITER_GRACE: Duration = Duration::from_secs(5);
/// Commands whose engine number is remembered, to name the phone's own number in errors.
const REMEMBERED_COMMANDS: usize = 256;

/// Why the server closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

pub const BAD_TOKEN: Close = Close { code: 4401, reason: "unknown or revoked device token: pair again" };
pub const REVOKED: Close = Close { code: 4401, reason: "this device was revoked on the desktop" };
const NOT_HELLO: Close = Close { code: 4400, reason: "the first message must be a companion hello" };
const NO_HELLO: Close = Close { code: 4408, reason: "no hello within 5 seconds" };
const TOO_BIG: Close = Close { code: 1009, reason: "frames may be at most 64 KiB" };
const MALFORMED: Close = Close { code: 1007, reason: "three malformed messages in a row" };
const FULL: Close = Close { code: 1013, reason: "too many Companion connections: try again later" };
const BEHIND: Close = Close { code: 1013, reason: "too far behind: reconnect to resume" };
pub const STOPPING: Close = Close { code: 1001, reason: "the Companion was stopped on the desktop" };

/// The extra fields of a phone's hello, beside its envelope.
#[derive(Deserialize)]
struct HelloExtras {
    token: String,
    #[serde(default)]
    last_seq: Option<u64>,
    #[serde(default)]
    epoch: Option<u64>,
}

/// The Welcome as a phone receives it.
#[derive(Serialize)]
struct WelcomeFrame<'a> {
    #[serde(flatten)]
    envelope: &'a Envelope<Event>,
    resumed: bool,
}

/// The open connections, so a revocation or a stop reaches them at once.
#[derive(Default)]
pub struct Connections {
    count: AtomicUsize,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Open>>,
    /// Told when the last connection ends.
    idle: Notify,
}

/// An open connection: whose it is, and how to close it from outside.
struct Open {
    device: String,
    kick: watch::Sender<Option<Close>>,
}

/// A place among [`MAX_CONNECTIONS`], given back when dropped.
pub struct Slot(Arc<Server>);

impl Drop for Slot {
    fn drop(&mut self) {
        if self.0.connections.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.connections.idle.notify_waiters();
        }
        (self.0.waker)();
    }
}

/// An open connection's entry; dropping it forgets the connection.
struct Registered {
    server: Arc<Server>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.server.connections.lock().remove(&self.id);
    }
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn reserve(server: &Arc<Server>) -> Option<Slot> {
        let count = &server.connections.count;
        count.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_CONNECTIONS).then_some(n + 1)).ok()?;
        (server.waker)();
        Some(Slot(server.clone()))
    }

    /// Waits until every connection has ended (their close frames sent), or `limit` passed.
    pub async fn ended(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            loop {
                let idle = self.idle.notified();
                if self.count() == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await;
    }

    fn register(server: &Arc<Server>, device: &str) -> (Registered, watch::Receiver<Option<Close>>) {
        let (kick, kicked) = watch::channel(None);
        let id = server.connections.next_id.fetch_add(1, Ordering::SeqCst);
        server.connections.lock().insert(id, Open { device: device.to_string(), kick });
        (Registered { server: server.clone(), id }, kicked)
    }

    /// Closes the connections of `device` (every one with `None`).
    pub fn kick(&self, device: Option<&str>, close: Close) {
        for open in self.lock().values() {
            if device.is_none_or(|d| d == open.device) {
                open.kick.send_replace(Some(close));
            }
        }
    }
}

/// `GET /ws`: checks the Origin, then upgrades. The connection takes one of the
/// [`MAX_CONNECTIONS`] places only once its hello's token checks out, so upgrades that never say
/// who they are cannot crowd out the phones (they are bounded by the cap per address and the
/// hello's timeout).
pub async fn upgrade(
    State(server): State<Arc<Server>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !server.origin_allowed(&headers) {
        return super::http::refuse(StatusCode::FORBIDDEN, "this page's origin may not use the Companion");
    }
    ws.max_frame_size(MAX_FRAME)
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| async move {
            serve(server, socket).await;
            tracing::debug!("a Companion connection from {peer} ended");
        })
        .into_response()
}

fn close_message(close: Close) -> Message {
    Message::Close(Some(CloseFrame { code: close.code, reason: Utf8Bytes::from_static(close.reason) }))
}

/// An error about the phone's own message. It is not one of the engine's events, so it carries
/// `seq` 0 and takes no place in their order.
fn error_frame(command: Option<u64>, message: impl Into<String>) -> Message {
    let error = Envelope::new(0, Event::Error { command, message: message.into() });
    Message::Text(encode(&error).unwrap_or_default().into())
}

/// Whether a read failed because the frame was too big.
fn too_big(error: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    matches!(error.into_inner().downcast_ref::<Error>(), Some(Error::Capacity(_)))
}

async fn serve(server: Arc<Server>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (queue, mut outgoing) = mpsc::channel::<Message>(QUEUE);
    // The writer: one phone's slow network delays no one else.
    let mut writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });
    // Taken once the token checks out, and kept until the close frame has left, so that waiting
    // for every connection to end (a stop) also waits for that frame.
    let mut slot = None;
    let close = match tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await {
        Err(_) => Some(NO_HELLO),
        Ok(None | Some(Ok(Message::Close(_)))) => None,
        Ok(Some(Err(e))) => too_big(e).then_some(TOO_BIG),
        Ok(Some(Ok(Message::Text(text)))) => match hello(&text) {
            Err(close) => Some(close),
            Ok((envelope, extras)) => match server.devices.authenticate(&extras.token) {
                None => Some(BAD_TOKEN),
                Some(device) => {
                    slot = Connections::reserve(&server);
                    match slot {
                        None => Some(FULL),
                        Some(_) => {
                            let mut phone = Phone::new(&server, queue.clone());
                            phone.run(&server, &device.id, envelope, extras, &mut stream).await
                        }
                    }
                }
            },
        },
        Ok(Some(Ok(_))) => Some(NOT_HELLO),
    };
    // A phone that stopped reading gets no close frame (its queue is full) and no more time.
    if let Some(close) = close {
        let _ = queue.try_send(close_message(close));
    }
    drop(queue);
    if tokio::time::timeout(WRITER_GRACE, &mut writer).await.is_err() {
        writer.abort();
    }
    drop(slot);
}

/// Reads the first frame as a companion hello.
fn hello(text: &str) -> Result<(Envelope<Command>, HelloExtras), Close> {
    let envelope = decode::<Command>(text).map_err(|_| NOT_HELLO)?;
    if !matches!(envelope.body, Command::Hello { surface: Surface::Companion, .. }) {
        return Err(NOT_HELLO);
    }
    let extras = serde_json::from_str::<HelloExtras>(text).map_err(|_| BAD_TOKEN)?;
    Ok((envelope, extras))
}

/// A phone's surface on the engine, and what it has been sent.
struct Phone {
    client: EngineClient,
    heard: Arc<Notify>,
    queue: mpsc::Sender<Message>,
    /// Engine numbers of forwarded commands with the phone's own, newest last.
    commands: VecDeque<(u64, u64)>,
    welcomed: bool,
}

impl Phone {
    fn new(server: &Server, queue: mpsc::Sender<Message>) -> Phone {
        let heard = Arc::new(Notify::new());
        let client = server.replay.connect({
            let heard = heard.clone();
            Arc::new(move || heard.notify_one())
        });
        Phone { client, heard, queue, commands: VecDeque::new(), welcomed: false }
    }

    /// Serves the phone until it leaves or must be closed (the reason returned).
    async fn run(
        &mut self,
        server: &Arc<Server>,
        device: &str,
        hello: Envelope<Command>,
        extras: HelloExtras,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
    ) -> Option<Close> {
        let (_registered, mut kicked) = Connections::register(server, device);
        let heard = self.heard.clone();
        // Revoked between the token check and the registration: the kick missed it.
        if server.devices.is_revoked(device) {
            return Some(REVOKED);
        }
        self.forward(hello);
        let mut malformed = 0;
        loop {
            tokio::select! {
                _ = kicked.changed() => return *kicked.borrow(),
                () = heard.notified() => {
                    if let Err(close) = self.drain(server, &extras) {
                        return Some(close);
                    }
                }
                frame = stream.next() => match frame {
                    None | Some(Ok(Message::Close(_))) => return None,
                    Some(Err(e)) => return too_big(e).then_some(TOO_BIG),
                    Some(Ok(Message::Text(text))) => match decode::<Command>(&text) {
                        Ok(envelope) => {
                            malformed = 0;
                            if policy::allowed(&envelope.body) {
                                self.forward(envelope);
                            } else {
                                if let Err(close) = self.send(error_frame(Some(envelope.seq), policy::REFUSED)) {
                                    return Some(close);
                                }
                            }
                        }
                        Err(e) => {
                            malformed += 1;
                            if malformed >= MALFORMED_LIMIT {
                                return Some(MALFORMED);
                            }
                            if let Err(close) = self.send(error_frame(None, e.to_string())) {
                                return Some(close);
                            }
                        }
                    },
                    Some(Ok(Message::Binary(_))) => {
                        malformed += 1;
                        if malformed >= MALFORMED_LIMIT {
                            return Some(MALFORMED);
                        }
                        if let Err(close) = self.send(error_frame(None, "messages are JSON text, not binary")) {
                            return Some(close);
                        }
                    }
                    Some(Ok(_)) => {}
                }
            }
        }
    }

    /// Sends a phone's command to the engine, remembering its number.
    fn forward(&mut self, envelope: Envelope<Command>) {
        let ours = self.client.send(envelope.body);
        if self.commands.len() == REMEMBERED_COMMANDS {
            self.commands.pop_front();
        }
        self.commands.push_back((ours, envelope.seq));
    }

    /// Queues a frame for the writer; a full queue means the phone fell behind.
    fn send(&self, message: Message) -> Result<(), Close> {
        self.queue.try_send(message).map_err(|_| BEHIND)
    }

    /// Passes on what the engine said. Until the phone's Welcome comes, announcements are left to
    /// the replay (or the fresh start); at the Welcome, the missed ones are sent first.
    fn drain(&mut self, server: &Server, extras: &HelloExtras) -> Result<(), Close> {
        while let Some(mut envelope) = self.client.try_recv() {
            if let Event::Welcome { epoch, .. } = &envelope.body
                && !self.welcomed
            {
                self.welcomed = true;
                let missed = match (extras.epoch, extras.last_seq) {
                    (Some(known), Some(last)) if known == *epoch => server.replay.since(last, envelope.seq),
                    _ => None,
                };
                let resumed = missed.is_some();
                for text in missed.into_iter().flatten() {
                    self.send(Message::Text(text))?;
                }
                let Some(body) = policy::redact_for_companion(&envelope.body) else { continue };
                envelope.body = body;
                let text = serde_json::to_string(&WelcomeFrame { envelope: &envelope, resumed }).map_err(|_| BEHIND)?;
                self.send(Message::Text(text.into()))?;
                continue;
            }
            if !self.welcomed {
                continue;
            }
            if let Event::Error { command, .. } = &mut envelope.body
                && let Some(ours) = *command
            {
                *command = self.commands.iter().find(|(engine, _)| *engine == ours).map(|(_, phone)| *phone);
            }
            if let Some(text) = replay::frame(&envelope) {
                self.send(Message::Text(text))?;
            }
        }
        Ok(())
    }
}
