//! The Companion tab under egui_kittest, against the real server on loopback: turning it on shows
//! the address, a QR code and a pairing code; a phone pairing over HTTP with that code is listed;
//! Revoke ends its token at once; turning it off stops listening. On the local network it serves
//! HTTPS and shows the certificate's fingerprint.

mod ui_harness;

use std::time::Duration;

use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_harness::{harness_with_store, step_until, wait_until_ready};

/// Steps frames until a widget labelled `label` is drawn.
fn step_until_shown(harness: &mut Harness<'_, AuraApp>, label: &str) {
    for _ in 0..500 {
        harness.run_steps(1);
        if harness.query_by_label(label).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{label:?} was never shown");
}

/// The text of the one label that reads as a pairing code (six Crockford base32 characters).
fn shown_code(harness: &Harness<'_, AuraApp>) -> String {
    let is_code = |text: &str| {
        text.len() == 6 && text.chars().all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c)))
    };
    let node = harness
        .get_by(move |node| node.role() == egui::accesskit::Role::Label && node.value().is_some_and(|v| is_code(&v)));
    node.value().expect("the code label has text")
}

#[test]
fn a_phone_pairs_with_the_shown_code_is_listed_and_revoked() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().show_tab(Tab::Companion);
    // Any free port, so parallel runs never collide.
    harness.state_mut().companion_mut().port = 0;
    harness.run_steps(2);
    harness.get_by_label("Off: nothing is listening. Turn it on to pair a phone.");

    harness.get_by_label("Companion on").click();
    step_until(&mut harness, 500, "the server never started", |app| app.companion().server().is_some());
    let url = harness.state().companion().server().unwrap().url();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");
    harness.run_steps(2);
    harness.get_by_label(&url);
    harness.get_by_label(&format!("QR code of {url}"));
    harness.get_by_label("No phone connected.");

    harness.get_by_label("New code").click();
    step_until_shown(&mut harness, "valid for 5:00");
    let code = shown_code(&harness);
    // While a code waits, the QR code carries it, so a scan fills it in on the phone.
    harness.get_by_label(&format!("QR code of {url}#code={code}"));

    let origin = url.trim_end_matches('/').to_string();
    let client = reqwest::Client::new();
    let paired: serde_json::Value = runtime.block_on(async {
        let response = client
            .post(format!("{url}pair"))
            .header("Origin", &origin)
            .json(&serde_json::json!({ "code": code, "device_name": "Test phone" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "pairing with the shown code");
        response.json().await.unwrap()
    });
    let token = paired["token"].as_str().expect("a token").to_string();
    let me = |token: &str| {
        runtime.block_on(async {
            let response = client.get(format!("{url}api/devices/me")).bearer_auth(token).send().await.unwrap();
            response.status().as_u16()
        })
    };
    assert_eq!(me(&token), 200, "the new token works");

    step_until_shown(&mut harness, "Test phone");
    harness.get_by_label("last used just now");
    harness.get_by_label("Make a code to pair a phone; it is valid five minutes and works once.");

    harness.get_by_label("Revoke").click();
    step_until_shown(&mut harness, "revoked");
    assert_eq!(me(&token), 401, "a revoked token is refused at once");

    harness.get_by_label("Companion on").click();
    step_until(&mut harness, 500, "the server never stopped", |app| app.companion().is_off());
    harness.run_steps(2);
    harness.get_by_label("Off: nothing is listening. Turn it on to pair a phone.");
    let refused = runtime.block_on(async { client.get(&url).send().await.is_err() });
    assert!(refused, "nothing listens once it is off");
}

#[test]
fn on_the_local_network_it_serves_https_and_shows_the_certificate_to_check() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().show_tab(Tab::Companion);
    harness.state_mut().companion_mut().port = 0;
    harness.run_steps(2);
    harness.get_by_label("Local network (TLS)").click();
    harness.get_by_label("Companion on").click();
    step_until(&mut harness, 500, "the server never started", |app| app.companion().server().is_some());
    let server = harness.state().companion().server().unwrap();
    let (url, fingerprint) = (server.url(), server.fingerprint().expect("a LAN server has a certificate"));
    assert!(url.starts_with("https://"), "{url}");
    harness.run_steps(2);
    harness.get_by_label(&url);
    harness.get_by_label("Check that the phone shows this certificate:");
    harness.get_by_label(&fingerprint);
}
