//! `aura companion`: the engine and the Companion server without a window. Opens the workspace,
//! prints the page's address, a pairing code with its QR code (and with `--lan` the certificate's
//! fingerprint), then serves phones until Ctrl+C. A line on stdin (Enter) makes a new pairing code,
//! replacing the one before, without a restart.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::companion::{self, CompanionConfig, PairingCode};
use crate::protocol::{Command, Event};

#[derive(Debug, clap::Args)]
pub struct CompanionArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// The port to listen on
    #[arg(long, default_value_t = companion::DEFAULT_PORT)]
    pub port: u16,
    /// Listen on the local network, over TLS with a certificate made for this machine (check its
    /// fingerprint on the phone)
    #[arg(long)]
    pub lan: bool,
    #[command(flatten)]
    pub model: super::ProjectModelArgs,
}

pub fn companion(args: CompanionArgs, data_dir: &Path) -> anyhow::Result<()> {
    let (runtime, mut client, snapshot) = super::run::open_workspace(data_dir, &args.workspace)?;
    let project = snapshot.project.id;
    if let Some(choice) = args.model.choice() {
        client.send(Command::SetModels { project, planner: choice.clone(), worker: choice });
    }
    let config = CompanionConfig { port: args.port, lan: args.lan, ..CompanionConfig::default() };
    let server = runtime.block_on(companion::start(&client, data_dir, config, Arc::new(|| {})))?;
    println!("companion: {}", server.url());
    if let Some(fingerprint) = server.fingerprint() {
        println!("fingerprint: SHA256 {fingerprint}");
    }
    show(&server.start_pairing()?);
    let asked = new_code_requests();
    let stop = Arc::new(AtomicBool::new(false));
    runtime.spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
            }
        }
    });
    let mut paired = server.devices().len();
    while !stop.load(Ordering::SeqCst) {
        // This surface's own events are not needed; draining them keeps its queue empty.
        while let Some(envelope) = client.try_recv() {
            if let Event::Error { command: None, message } = envelope.body {
                eprintln!("error: {message}");
            }
        }
        let devices = server.devices();
        for device in devices.iter().skip(paired) {
            println!("paired: {}", device.name);
        }
        paired = devices.len();
        if asked.try_recv().is_ok() {
            match server.start_pairing() {
                Ok(code) => show(&code),
                Err(e) => eprintln!("error: no new pairing code: {e}"),
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    runtime.block_on(server.stop());
    println!("companion stopped");
    Ok(())
}

fn show(code: &PairingCode) {
    println!("pairing code: {} (valid until {})", code.code, local_time(code.expires_at_ms / 1000));
    if let Ok(qr) = QrCode::new(code.url.as_bytes()) {
        // Light modules drawn dark: terminals are mostly dark, and scanners want dark on light.
        println!("{}\n", qr.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build());
    }
    println!("press Enter for a new pairing code");
}

/// One message per line read from stdin; none once stdin ends (or is /dev/null under a service).
fn new_code_requests() -> mpsc::Receiver<()> {
    let (ask, asked) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() || ask.send(()).is_err() {
                return;
            }
        }
    });
    asked
}

/// `HH:MM` in the machine's time zone.
fn local_time(unix_secs: u64) -> String {
    let time = unix_secs as libc::time_t;
    // SAFETY: an all-zero `tm` is valid; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals for the duration of the call.
    if unsafe { libc::localtime_r(&time, &mut tm) }.is_null() {
        return format!("{:02}:{:02} UTC", unix_secs / 3600 % 24, unix_secs / 60 % 60);
    }
    format!("{:02}:{:02}", tm.tm_hour, tm.tm_min)
}
