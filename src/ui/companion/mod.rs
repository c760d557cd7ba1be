//! The Companion tab: the server for the phone page, which the desktop starts and stops on the
//! engine's runtime (the UI thread never waits for it), and what it shows to pair a phone.

mod panel;
mod qr;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use crate::companion::{self, Companion, CompanionConfig, CompanionError, Device, PairingCode, PairingState};
use crate::engine::EngineClient;

pub use panel::companion_ui;

/// Where the server stands.
enum Server {
    Off,
    Starting(Receiver<Result<Companion, CompanionError>>),
    On(Companion),
    Stopping(Receiver<()>),
}

/// The server and what the tab shows of it.
pub struct CompanionSwitch {
    server: Server,
    /// Where the server runs (set when it starts).
    runtime: Option<tokio::runtime::Handle>,
    /// Asked from the tab; started by the app, which holds the engine.
    start_asked: bool,
    pub port: u16,
    pub lan: bool,
    /// Why the last start failed.
    problem: Option<String>,
    /// Set by the server when its devices or pairing change, so they are read again.
    changed: Arc<AtomicBool>,
    devices: Vec<Device>,
    /// The newest pairing code: the server keeps only its hash, so the code is kept here to show.
    code: Option<PairingCode>,
    qr: Option<qr::Qr>,
}

impl Default for CompanionSwitch {
    fn default() -> Self {
        CompanionSwitch {
            server: Server::Off,
            runtime: None,
            start_asked: false,
            port: companion::DEFAULT_PORT,
            lan: false,
            problem: None,
            changed: Arc::default(),
            devices: Vec::new(),
            code: None,
            qr: None,
        }
    }
}

impl CompanionSwitch {
    /// The running server.
    pub fn server(&self) -> Option<&Companion> {
        match &self.server {
            Server::On(companion) => Some(companion),
            _ => None,
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self.server, Server::Off)
    }

    fn ask_start(&mut self) {
        self.start_asked = true;
    }

    /// Starts the server if the tab asked for it: the work runs on the engine's runtime, and its
    /// result is picked up by [`Self::poll`] on a later frame.
    pub fn start_if_asked(&mut self, engine: &EngineClient, ctx: &egui::Context) {
        if !std::mem::take(&mut self.start_asked) || !self.is_off() {
            return;
        }
        let context = engine.context();
        let changed = self.changed.clone();
        let repaint = ctx.clone();
        let waker: crate::engine::Waker = Arc::new(move || {
            changed.store(true, Ordering::Release);
            repaint.request_repaint();
        });
        let config = CompanionConfig { port: self.port, lan: self.lan, ..CompanionConfig::default() };
        let starting = companion::start(engine, &context.data_dir, config, waker.clone());
        let (reply, result) = channel();
        context.runtime.spawn(async move {
            let _ = reply.send(starting.await);
            waker();
        });
        self.runtime = Some(context.runtime.clone());
        self.problem = None;
        self.server = Server::Starting(result);
    }

    /// Stops the server; it closes every connection on the runtime, then the tab reads "off".
    fn stop(&mut self, ctx: &egui::Context) {
        let (Server::On(companion), Some(runtime)) = (std::mem::replace(&mut self.server, Server::Off), &self.runtime)
        else {
            return;
        };
        let (done, stopped) = channel();
        let ctx = ctx.clone();
        runtime.spawn(async move {
            companion.stop().await;
            let _ = done.send(());
            ctx.request_repaint();
        });
        self.server = Server::Stopping(stopped);
        self.devices.clear();
        self.code = None;
        self.qr = None;
    }

    /// Takes a finished start or stop, and reads the devices again after the server said they changed.
    pub fn poll(&mut self) {
        match &self.server {
            Server::Starting(result) => match result.try_recv() {
                Ok(Ok(companion)) => {
                    self.server = Server::On(companion);
                    self.changed.store(true, Ordering::Release);
                }
                Ok(Err(e)) => {
                    self.problem = Some(e.to_string());
                    self.server = Server::Off;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.problem = Some("the Companion stopped while starting; see the log".into());
                    self.server = Server::Off;
                }
            },
            Server::Stopping(stopped) => {
                if !matches!(stopped.try_recv(), Err(TryRecvError::Empty)) {
                    self.server = Server::Off;
                }
            }
            Server::Off | Server::On(_) => {}
        }
        if let Server::On(companion) = &self.server
            && self.changed.swap(false, Ordering::AcqRel)
        {
            self.devices = companion.devices();
        }
    }

    /// Makes a new pairing code, replacing the one before.
    fn new_code(&mut self) {
        let Server::On(companion) = &self.server else { return };
        match companion.start_pairing() {
            Ok(code) => self.code = Some(code),
            Err(e) => self.problem = Some(e.to_string()),
        }
    }

    /// The code to show while the server says one is waiting.
    fn waiting_code(&self, pairing: &PairingState) -> Option<&PairingCode> {
        match pairing {
            PairingState::Waiting { expires_at_ms } => self.code.as_ref().filter(|c| c.expires_at_ms == *expires_at_ms),
            _ => None,
        }
    }

    /// The QR code of `text`, made again only when the text changes.
    fn qr(&mut self, text: &str) -> Option<&qr::Qr> {
        if self.qr.as_ref().is_none_or(|qr| qr.text() != text) {
            self.qr = qr::Qr::of(text);
        }
        self.qr.as_ref()
    }
}
