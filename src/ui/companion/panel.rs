//! Drawing the Companion tab: the switch, the address and its QR code, the pairing code with its
//! countdown, the certificate's fingerprint in LAN mode, and the paired devices.

use std::time::Duration;

use egui::{RichText, Ui};

use crate::companion::{PairingCode, PairingState};
use crate::domain::now_millis;

use super::super::theme;
use super::super::time::{age, countdown};
use super::{CompanionSwitch, Server};

/// How wide the QR code is drawn.
const QR_SIDE: f32 = 220.0;

/// `engine_ready`: the switch can start a server only once the engine is up.
pub fn companion_ui(ui: &mut Ui, switch: &mut CompanionSwitch, engine_ready: bool) {
    ui.heading("Companion");
    ui.label(
        RichText::new("A page for your phone that pairs with this desktop: it follows the chat, approves changes and steers the dev loop.")
            .weak(),
    );
    ui.add_space(theme::SPACE_M);
    switch_ui(ui, switch, engine_ready);
    if let Some(problem) = &switch.problem {
        ui.colored_label(theme::of(ui).error, problem);
    }
    ui.add_space(theme::SPACE_M);
    match &switch.server {
        Server::Off => {
            ui.label("Off: nothing is listening. Turn it on to pair a phone.");
        }
        Server::Starting(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting…");
            });
        }
        Server::Stopping(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Stopping: closing the phones' connections…");
            });
        }
        Server::On(_) => running_ui(ui, switch),
    }
}

fn switch_ui(ui: &mut Ui, switch: &mut CompanionSwitch, engine_ready: bool) {
    let settled = matches!(switch.server, Server::Off | Server::On(_));
    let off = switch.is_off();
    ui.horizontal(|ui| {
        let mut on = !off;
        let toggle = ui.add_enabled(engine_ready && settled, egui::Checkbox::new(&mut on, "Companion on"));
        if toggle.changed() {
            if on {
                switch.ask_start();
            } else {
                switch.stop(ui.ctx());
            }
        }
        ui.add_enabled_ui(off, |ui| {
            ui.checkbox(&mut switch.lan, "Local network (TLS)").on_hover_text(
                "Listen on every interface over HTTPS with this desktop's own certificate. Off: this computer only.",
            );
            ui.label("Port");
            ui.add(egui::DragValue::new(&mut switch.port).speed(0.0));
        });
    });
}

fn running_ui(ui: &mut Ui, switch: &mut CompanionSwitch) {
    let Server::On(companion) = &switch.server else { return };
    let url = companion.url();
    let pairing = companion.pairing();
    let fingerprint = companion.fingerprint();
    let connections = companion.connections();
    let problem = companion.problem();
    ui.horizontal(|ui| {
        ui.label("Open");
        ui.monospace(&url);
        if ui.small_button("Copy").clicked() {
            ui.ctx().copy_text(url.clone());
        }
    });
    let phones = match connections {
        0 => "No phone connected.".to_string(),
        1 => "1 phone connected.".to_string(),
        n => format!("{n} phones connected."),
    };
    ui.label(RichText::new(phones).weak());
    if let Some(problem) = problem {
        ui.colored_label(theme::of(ui).error, problem);
    }
    ui.add_space(theme::SPACE_M);
    let code = switch.waiting_code(&pairing).cloned();
    // The QR code opens the page with the code filled in while one is waiting.
    let qr_text = code.as_ref().map_or(url, |code| code.url.clone());
    let mut new_code = false;
    ui.horizontal_top(|ui| {
        if let Some(qr) = switch.qr(&qr_text) {
            qr.ui(ui, QR_SIDE);
        }
        ui.add_space(theme::SPACE_L);
        ui.vertical(|ui| new_code = pairing_ui(ui, &pairing, code.as_ref(), fingerprint.as_deref()));
    });
    if new_code {
        switch.new_code();
    }
    ui.add_space(theme::SPACE_L);
    devices_ui(ui, switch);
}

/// The pairing code and how long it stays valid; true when a new code is asked for.
fn pairing_ui(ui: &mut Ui, pairing: &PairingState, code: Option<&PairingCode>, fingerprint: Option<&str>) -> bool {
    ui.strong("Pair a phone");
    match (pairing, code) {
        (PairingState::Waiting { .. }, Some(code)) => {
            ui.label("Scan the code, or open the address and enter:");
            ui.label(RichText::new(&code.code).monospace().size(theme::PAIRING_CODE_SIZE).strong());
            let left = code.expires_at_ms.saturating_sub(now_millis());
            ui.label(RichText::new(format!("valid for {}", countdown(left))).weak());
            // The countdown is drawn again when its second changes, while it is shown; nothing
            // repaints once it is gone.
            let tick = match left % 1000 {
                0 => 1000,
                rest => rest,
            };
            ui.ctx().request_repaint_after(Duration::from_millis(tick));
        }
        (PairingState::Idle | PairingState::Waiting { .. }, _) => {
            ui.label("Make a code to pair a phone; it is valid five minutes and works once.");
        }
        (PairingState::Expired, _) => {
            ui.label("The code expired.");
        }
        (PairingState::Voided, _) => {
            ui.colored_label(theme::of(ui).error, "Too many wrong attempts: the code was voided.");
        }
    }
    let asked = ui.button("New code").clicked();
    if let Some(fingerprint) = fingerprint {
        ui.add_space(theme::SPACE_M);
        ui.label("Check that the phone shows this certificate:");
        ui.label(RichText::new(fingerprint).monospace().small());
    }
    asked
}

fn devices_ui(ui: &mut Ui, switch: &mut CompanionSwitch) {
    ui.strong("Paired devices");
    if switch.devices.is_empty() {
        ui.label(RichText::new("None yet.").weak());
        return;
    }
    let now = now_millis();
    let mut revoke = None;
    egui::Grid::new("aura-companion-devices").num_columns(4).striped(true).spacing(theme::GRID_SPACING).show(
        ui,
        |ui| {
            for device in &switch.devices {
                ui.label(&device.name);
                ui.label(RichText::new(format!("paired {}", age(now, device.created_at_ms))).weak());
                ui.label(RichText::new(format!("last used {}", age(now, device.last_used_ms))).weak());
                if device.revoked {
                    ui.label(RichText::new("revoked").weak());
                } else if ui.button("Revoke").clicked() {
                    revoke = Some(device.id.clone());
                }
                ui.end_row();
            }
        },
    );
    if let (Some(id), Server::On(companion)) = (revoke, &switch.server)
        && let Err(e) = companion.revoke(&id)
    {
        switch.problem = Some(e.to_string());
    }
}
