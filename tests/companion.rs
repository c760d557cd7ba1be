//! The Companion server over real loopback HTTP and WebSockets: what is open, what needs a token,
//! pairing and its limits, and every kind of misbehaving client refused, while a paired phone keeps
//! hearing the engine. No frame a phone receives carries a key or a setting it should not see.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aura::companion::{self, Companion, CompanionConfig, CompanionError, PairingState};
use aura::domain::ProjectId;
use aura::engine::EngineClient;
use aura::llm::ProviderKind;
use aura::protocol::{Command, Event, LoopSettings, ModelChoice};
use common::phone::{self, Phone};
use serde_json::json;
use tempfile::TempDir;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    data: TempDir,
    _workspace: TempDir,
    desktop: EngineClient,
    project: ProjectId,
    server: Companion,
    url: String,
    /// The last loop setting announced, so each announcement is told from the one before.
    announced: u32,
}

fn start(
    runtime: &tokio::runtime::Runtime,
    desktop: &EngineClient,
    data: &TempDir,
    config: CompanionConfig,
) -> Companion {
    runtime
        .block_on(companion::start(desktop, data.path(), CompanionConfig { port: 0, ..config }, Arc::new(|| {})))
        .expect("the Companion starts")
}

fn fixture(config: CompanionConfig) -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut desktop = common::launch(&runtime, data.path());
    let project = common::open_project(&mut desktop, workspace.path());
    let server = start(&runtime, &desktop, &data, config);
    let url = server.url();
    Fixture { runtime, data, _workspace: workspace, desktop, project, server, url, announced: 10 }
}

impl Fixture {
    /// Pairs a new phone; its token.
    fn pair(&self) -> String {
        let code = self.server.start_pairing().unwrap().code;
        self.runtime.block_on(phone::pair(&self.url, &code))
    }

    fn phone(&self, token: &str) -> Phone {
        self.runtime.block_on(Phone::connect(&self.url, token, None))
    }

    /// The engine announces something new (from the desktop), and `witness` hears it.
    fn heard_by(&mut self, witness: &mut Phone) {
        self.announced += 1;
        let settings = LoopSettings { max_attempts: self.announced, ..LoopSettings::default() };
        self.desktop.send(Command::SetLoopSettings { project: self.project, settings });
        let n = self.announced;
        self.runtime
            .block_on(witness.until(|e| {
                e["body"]["event"] == "loop_settings_changed" && e["body"]["settings"]["max_attempts"] == n
            }));
    }

    fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.runtime.block_on(request.send()).expect("the server answers")
    }
}

#[test]
fn the_page_is_open_and_every_other_route_needs_a_token() {
    let f = fixture(CompanionConfig::default());
    assert!(f.url.starts_with("http://127.0.0.1:"), "{}", f.url);
    for (path, kind) in [
        ("", "text/html"),
        ("assets/app.js", "text/javascript"),
        ("assets/style.css", "text/css"),
        ("manifest.webmanifest", "application/manifest+json"),
    ] {
        let response = f.get(path, None);
        assert_eq!(response.status(), 200, "/{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with(kind), "/{path}: {content_type}");
    }
    let page = f.runtime.block_on(f.get("", None).text()).unwrap();
    assert!(page.contains("/assets/app.js") && page.contains("/assets/style.css"));

    for path in ["api/devices/me", "api/anything", "assets/secret.txt", "nope"] {
        assert_eq!(f.get(path, None).status(), 401, "/{path} without a token");
        assert_eq!(f.get(path, Some("not-a-token")).status(), 401, "/{path} with a wrong token");
    }
    let token = f.pair();
    let me = f.get("api/devices/me", Some(&token));
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = f.runtime.block_on(me.json()).unwrap();
    assert_eq!(me["name"], "test phone");
    assert_eq!(f.get("nope", Some(&token)).status(), 404);
}

#[test]
fn a_code_pairs_once_from_the_page_origin_only() {
    let f = fixture(CompanionConfig::default());
    let code = f.server.start_pairing().unwrap();
    assert!(code.url.starts_with(&f.url) && code.url.ends_with(&format!("#code={}", code.code)));
    assert!(matches!(f.server.pairing(), PairingState::Waiting { .. }));
    let foreign = f.runtime.block_on(
        reqwest::Client::new()
            .post(format!("{}pair", f.url))
            .header("Origin", "http://evil.example")
            .json(&json!({ "code": code.code, "device_name": "evil" }))
            .send(),
    );
    assert_eq!(foreign.unwrap().status(), 403, "a foreign Origin may not pair");
    let token = f.runtime.block_on(phone::pair(&f.url, &code.code));
    assert_eq!(token.len(), 43, "32 random bytes in base64url");
    assert_eq!(f.server.pairing(), PairingState::Idle);
    assert_eq!(f.runtime.block_on(phone::pair_response(&f.url, &code.code)).status(), 410, "a code pairs once");
    let devices = f.server.devices();
    assert_eq!(devices.len(), 1);
    assert_eq!((devices[0].name.as_str(), devices[0].revoked), ("test phone", false));
}

#[test]
fn an_expired_code_is_refused() {
    let f = fixture(CompanionConfig { code_lifetime: Duration::from_millis(50), ..CompanionConfig::default() });
    let code = f.server.start_pairing().unwrap().code;
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(f.server.pairing(), PairingState::Expired);
    let response = f.runtime.block_on(phone::pair_response(&f.url, &code));
    assert_eq!(response.status(), 410);
    assert!(f.runtime.block_on(response.text()).unwrap().contains("expired"));
    assert!(f.server.devices().is_empty());
}

#[test]
fn a_thousand_guesses_are_rate_limited_void_the_code_and_never_pair() {
    let f = fixture(CompanionConfig::default());
    let real = f.server.start_pairing().unwrap().code;
    let guesses = (0u32..).map(|n| format!("{n:06}")).filter(|g| *g != real);
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    f.runtime.block_on(async {
        // A hundred addresses (all loopback) with ten guesses each.
        let mut guesses = guesses.take(1000);
        for host in 2..102u8 {
            let client =
                reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host))).build().unwrap();
            for guess in guesses.by_ref().take(10) {
                let response = client
                    .post(format!("{}pair", f.url))
                    .header("Origin", phone::origin(&f.url))
                    .json(&json!({ "code": guess, "device_name": "guesser" }))
                    .send()
                    .await
                    .unwrap();
                *counts.entry(response.status().as_u16()).or_default() += 1;
            }
        }
    });
    assert_eq!(counts.get(&200), None, "no guess paired: {counts:?}");
    assert_eq!(counts.get(&401), Some(&10), "ten wrong codes were checked, then the code was void: {counts:?}");
    assert_eq!(counts.get(&429), Some(&500), "each address was stopped after five failures: {counts:?}");
    assert_eq!(counts.get(&410), Some(&490), "the voided code was refused: {counts:?}");
    assert_eq!(f.server.pairing(), PairingState::Voided);
    let late = f.runtime.block_on(phone::pair_response(&f.url, &real));
    assert_eq!(late.status(), 410, "even the right code is refused once the code is void");
    assert!(f.server.devices().is_empty());
    f.server.start_pairing().unwrap();
    assert!(matches!(f.server.pairing(), PairingState::Waiting { .. }), "a new code can be made");
}

#[test]
fn misbehaving_clients_are_refused_alone() {
    let mut f = fixture(CompanionConfig::default());
    let token = f.pair();
    let mut witness = f.phone(&token);
    assert!(!witness.resumed);
    f.heard_by(&mut witness);
    let url = f.url.clone();
    let origin = phone::origin(&url);

    // No token, a wrong token.
    for hello in [phone::hello(None, None), phone::hello(Some("bm90LWEtdG9rZW4"), None)] {
        let code = f.runtime.block_on(async {
            let mut socket = phone::open(&url, Some(&origin)).await.unwrap();
            futures_util::SinkExt::send(&mut socket, hello.into()).await.unwrap();
            phone::close_code(&mut socket).await
        });
        assert_eq!(code, Some(4401));
        f.heard_by(&mut witness);
    }

    // A foreign Origin, and none at all: refused before the upgrade.
    for foreign in [Some("http://evil.example"), Some("http://127.0.0.1:1"), None] {
        match f.runtime.block_on(phone::open(&url, foreign)) {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("{foreign:?} was let in: {:?}", other.map(|_| ())),
        }
        f.heard_by(&mut witness);
    }

    // A first frame that is no hello, and no hello at all.
    let code = f.runtime.block_on(async {
        let mut socket = phone::open(&url, Some(&origin)).await.unwrap();
        let list = json!({"v": 1, "seq": 1, "body": {"command": "list_projects"}}).to_string();
        futures_util::SinkExt::send(&mut socket, list.into()).await.unwrap();
        phone::close_code(&mut socket).await
    });
    assert_eq!(code, Some(4400));
    let started = Instant::now();
    let code = f.runtime.block_on(async {
        let mut socket = phone::open(&url, Some(&origin)).await.unwrap();
        phone::close_code(&mut socket).await
    });
    assert_eq!(code, Some(4408));
    assert!(started.elapsed() >= Duration::from_secs(4), "the hello gets five seconds");
    f.heard_by(&mut witness);

    // A 1 MiB frame from a paired phone.
    let mut big = f.phone(&token);
    let code = f.runtime.block_on(async {
        let frame = json!({"v": 1, "seq": 2, "body": {"command": "send_message", "text": "x".repeat(1 << 20)}});
        // The server may close before the whole frame is written.
        let _ = futures_util::SinkExt::send(&mut big.socket, frame.to_string().into()).await;
        big.closed().await
    });
    assert_eq!(code, Some(1009));
    f.heard_by(&mut witness);

    // Malformed JSON: an error each time, then closed after the third in a row.
    let mut garbled = f.phone(&token);
    let code = f.runtime.block_on(async {
        for _ in 0..3 {
            garbled.send("{\"v\":1,").await;
        }
        garbled.closed().await
    });
    assert_eq!(code, Some(1007));
    let errors: Vec<&String> = garbled.frames.iter().filter(|f| f.contains("\"event\":\"error\"")).collect();
    assert_eq!(errors.len(), 2, "the first two were answered: {errors:?}");
    f.heard_by(&mut witness);

    // A command phones may not send: refused, and the connection stays.
    let mut curious = f.phone(&token);
    let refusal = f.runtime.block_on(async {
        let key = json!({"command": "set_api_key", "env": "OPENAI_API_KEY", "key": "sk-from-the-phone"});
        curious.command(7, key).await;
        curious.until(|e| e["body"]["event"] == "error").await
    });
    assert_eq!(refusal["body"]["message"], "this action is not available from the Companion");
    assert_eq!(refusal["body"]["command"], 7, "the error names the phone's own command");
    assert_eq!(refusal["seq"], 0, "a server's own error takes no place in the engine's order");
    f.heard_by(&mut curious);
    f.heard_by(&mut witness);

    // A phone's allowed command is answered to it alone, with its own number on errors.
    let answer = f.runtime.block_on(async {
        curious.command(8, json!({"command": "select_project", "project": aura::domain::ProjectId::new()})).await;
        curious.until(|e| e["body"]["event"] == "error").await
    });
    assert_eq!(answer["body"]["command"], 8);
    assert!(answer["seq"].as_u64().unwrap() > 0);
    assert!(!witness.frames.iter().any(|f| f.contains(&answer["body"]["message"].as_str().unwrap().to_string())));
}

/// Room for every connection these tests open from 127.0.0.1.
fn roomy() -> CompanionConfig {
    CompanionConfig { max_per_address: 400, ..CompanionConfig::default() }
}

#[test]
fn connections_are_capped_at_a_hundred_phones() {
    let mut f = fixture(roomy());
    let token = f.pair();
    let mut witness = f.phone(&token);
    let phones: Vec<Phone> = (1..100).map(|_| f.phone(&token)).collect();
    assert_eq!(f.server.connections(), 100);
    let mut late = f.runtime.block_on(async {
        let mut late = phone::open(&f.url, Some(&phone::origin(&f.url))).await.unwrap();
        futures_util::SinkExt::send(&mut late, phone::hello(Some(&token), None).into()).await.unwrap();
        late
    });
    assert_eq!(f.runtime.block_on(phone::close_code(&mut late)), Some(1013), "a 101st phone is told to try later");
    f.heard_by(&mut witness);
    drop(phones);
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.server.connections() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(f.server.connections(), 1);
    let mut again = f.phone(&token);
    f.heard_by(&mut again);
}

#[test]
fn upgrades_that_never_show_a_token_take_no_place() {
    let mut f = fixture(roomy());
    let origin = phone::origin(&f.url);
    let strangers = f.runtime.block_on(async {
        let mut strangers = Vec::new();
        for _ in 0..120 {
            strangers.push(phone::open(&f.url, Some(&origin)).await.expect("the upgrade itself is let in"));
        }
        strangers
    });
    assert_eq!(f.server.connections(), 0, "no place is taken before the token checks out");
    let token = f.pair();
    let mut phone = f.phone(&token);
    f.heard_by(&mut phone);
    assert_eq!(f.server.connections(), 1);
    drop(strangers);
}

/// A raw TCP connection to the server.
async fn tcp(url: &str) -> tokio::net::TcpStream {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    tokio::net::TcpStream::connect(address).await.unwrap()
}

/// Whether the server closed `tcp` within `within` (reading whatever it sent first).
async fn closed_within(tcp: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[test]
fn request_headers_sent_byte_by_byte_are_cut_off() {
    let f = fixture(CompanionConfig { header_timeout: Duration::from_secs(1), ..CompanionConfig::default() });
    let started = Instant::now();
    let dropped = f.runtime.block_on(async {
        use tokio::io::AsyncWriteExt;
        let mut slow = tcp(&f.url).await;
        let head = [b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".as_slice(), &b"a".repeat(200)].concat();
        for byte in head {
            if slow.write_all(&[byte]).await.is_err() {
                return true; // the server closed it
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            if started.elapsed() > Duration::from_secs(3) {
                return closed_within(&mut slow, Duration::from_millis(100)).await;
            }
        }
        false
    });
    assert!(dropped, "a head trickling in for 3 s was still being read");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(f.get("", None).status(), 200, "a whole request still gets the page");
}

#[test]
fn connections_from_one_address_are_capped() {
    let f = fixture(CompanionConfig { max_per_address: 4, ..CompanionConfig::default() });
    f.runtime.block_on(async {
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(tcp(&f.url).await);
        }
        for quiet in &mut held {
            assert!(!closed_within(quiet, Duration::from_millis(200)).await, "the first four are kept");
        }
        let mut fifth = tcp(&f.url).await;
        assert!(closed_within(&mut fifth, Duration::from_secs(2)).await, "a fifth from the same address is closed");
        held.pop();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let page = reqwest::Client::new().get(&f.url).send().await.expect("a place came free");
        assert_eq!(page.status(), 200);
    });
}

#[test]
fn revoking_a_device_closes_its_connection_at_once() {
    let mut f = fixture(CompanionConfig::default());
    let (lost, kept) = (f.pair(), f.pair());
    let mut lost_phone = f.phone(&lost);
    let mut kept_phone = f.phone(&kept);
    f.heard_by(&mut lost_phone);
    let devices = f.server.devices();
    assert_eq!(devices.len(), 2);
    let started = Instant::now();
    f.server.revoke(&devices[0].id).unwrap();
    assert_eq!(f.runtime.block_on(lost_phone.closed()), Some(4401));
    assert!(started.elapsed() < Duration::from_secs(1), "closed at once, not at the next event");
    f.heard_by(&mut kept_phone);
    assert_eq!(f.get("api/devices/me", Some(&lost)).status(), 401);
    assert_eq!(f.get("api/devices/me", Some(&kept)).status(), 200);
    let code = f.runtime.block_on(async {
        let mut socket = phone::open(&f.url, Some(&phone::origin(&f.url))).await.unwrap();
        futures_util::SinkExt::send(&mut socket, phone::hello(Some(&lost), None).into()).await.unwrap();
        phone::close_code(&mut socket).await
    });
    assert_eq!(code, Some(4401));
    assert!(matches!(f.server.revoke("no-such-device"), Err(CompanionError::UnknownDevice(_))));

    // The revocation is stored: a restarted server still refuses the token.
    let Fixture { runtime, data, desktop, server, .. } = &mut f;
    runtime.block_on(std::mem::replace(server, start(runtime, desktop, data, CompanionConfig::default())).stop());
    let devices = server.devices();
    assert_eq!(devices.iter().map(|d| d.revoked).collect::<Vec<_>>(), [true, false]);
    f.url = f.server.url();
    assert_eq!(f.get("api/devices/me", Some(&lost)).status(), 401);
    assert_eq!(f.get("api/devices/me", Some(&kept)).status(), 200);
}

#[test]
fn no_frame_a_phone_receives_carries_a_key_or_a_setting() {
    let mut f = fixture(CompanionConfig::default());
    let token = f.pair();
    let mut phone = f.phone(&token);
    let secret = "sk-companion-test-5ecr3t";
    f.desktop.send(Command::SetApiKey { env: "OPENAI_API_KEY".into(), key: Some(secret.into()) });
    common::wait(&f.desktop, |e| matches!(e, Event::ApiKeys { .. }).then_some(()));
    let model = ModelChoice {
        provider: ProviderKind::Openai,
        base_url: Some("http://user:pa55@models.internal/v1".into()),
        model: "m".into(),
        context_window: None,
    };
    f.desktop.send(Command::SetModels { project: f.project, planner: model.clone(), worker: model });
    common::wait(&f.desktop, |e| matches!(e, Event::ModelsChanged { .. }).then_some(()));
    f.heard_by(&mut phone);
    let project = f.project;
    f.runtime.block_on(async {
        phone.command(2, json!({"command": "select_project", "project": project})).await;
        phone.until(|e| e["body"]["event"] == "project_opened").await;
        phone.command(3, json!({"command": "list_projects"})).await;
        phone.until(|e| e["body"]["event"] == "projects").await;
    });
    assert!(phone.frames.len() >= 4);
    for frame in &phone.frames {
        for never in [secret, "pa55", "models.internal", "api_keys", "models_changed", f.data.path().to_str().unwrap()]
        {
            assert!(!frame.contains(never), "a frame carries {never:?}: {frame}");
        }
    }
    let welcome: serde_json::Value = serde_json::from_str(&phone.frames[0]).unwrap();
    assert_eq!(welcome["body"]["data_dir"], "");
}

#[test]
fn a_busy_port_and_plain_http_off_loopback_are_refused() {
    let f = fixture(CompanionConfig::default());
    let port: u16 = f.url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let busy = f.runtime.block_on(companion::start(
        &f.desktop,
        f.data.path(),
        CompanionConfig { port, ..CompanionConfig::default() },
        Arc::new(|| {}),
    ));
    let Err(e) = busy else { panic!("two servers on one port") };
    assert_eq!(e.to_string(), format!("port {port} is in use: pass --port"));
    let open = f.runtime.block_on(companion::start(
        &f.desktop,
        f.data.path(),
        CompanionConfig { port: 0, bind: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))), ..CompanionConfig::default() },
        Arc::new(|| {}),
    ));
    assert!(matches!(open, Err(CompanionError::PlainOffLoopback(_))));
}

#[test]
fn lan_mode_serves_https_with_its_stored_certificate() {
    use std::os::unix::fs::PermissionsExt;
    let lan = CompanionConfig { lan: true, bind: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), ..CompanionConfig::default() };
    let mut f = fixture(lan.clone());
    assert!(f.url.starts_with("https://127.0.0.1:"), "{}", f.url);
    let fingerprint = f.server.fingerprint().expect("LAN mode has a fingerprint");
    assert_eq!(fingerprint.len(), 32 * 3 - 1);
    let folder = f.data.path().join("companion");
    for file in ["cert.pem", "key.pem"] {
        let mode = std::fs::metadata(folder.join(file)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is readable by its owner only");
    }
    let pem = std::fs::read(folder.join("cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .tls_info(true)
        .build()
        .unwrap();
    let response = f.runtime.block_on(client.get(&f.url).send()).expect("HTTPS with the stored certificate");
    assert_eq!(response.status(), 200);
    let served = response.extensions().get::<reqwest::tls::TlsInfo>().and_then(|i| i.peer_certificate()).unwrap();
    assert_eq!(companion::tls::fingerprint(served), fingerprint);
    let plain = f.url.replacen("https", "http", 1);
    assert!(f.runtime.block_on(reqwest::get(&plain)).is_err(), "no plain HTTP on the LAN port");

    // The pairing page's origin is the https one, and the certificate is reused after a restart.
    let code = f.server.start_pairing().unwrap().code;
    let paired = f.runtime.block_on(
        client
            .post(format!("{}pair", f.url))
            .header("Origin", phone::origin(&f.url))
            .json(&json!({ "code": code, "device_name": "lan phone" }))
            .send(),
    );
    assert_eq!(paired.unwrap().status(), 200);
    let Fixture { runtime, data, desktop, server, .. } = &mut f;
    runtime.block_on(std::mem::replace(server, start(runtime, desktop, data, lan)).stop());
    assert_eq!(server.fingerprint().as_deref(), Some(fingerprint.as_str()));
}

#[test]
fn aura_companion_serves_a_workspace_headless_until_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aura"))
        .args(["companion", "--port", "0", "--workspace"])
        .arg(workspace.path())
        .env("AURA_DATA_DIR", data.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let url = lines.next().unwrap().strip_prefix("companion: ").expect("the address comes first").to_string();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");
    let pairing = lines.next().unwrap();
    let code = pairing.strip_prefix("pairing code: ").expect("then the pairing code")[..6].to_string();
    assert!(pairing.contains("(valid until "), "{pairing}");
    let qr: Vec<String> = lines.by_ref().take_while(|l| !l.trim().is_empty()).collect();
    assert!(qr.len() > 10 && qr.iter().all(|l| l.chars().all(|c| " ▀▄█".contains(c))), "a QR code in blocks");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token = runtime.block_on(phone::pair(&url, &code));
    let mut phone = runtime.block_on(Phone::connect(&url, &token, None));
    let projects = runtime.block_on(async {
        phone.command(2, json!({"command": "list_projects"})).await;
        phone.until(|e| e["body"]["event"] == "projects").await
    });
    assert_eq!(projects["body"]["projects"][0]["root"], json!(workspace.path()));
    assert_eq!(lines.find(|l| l.starts_with("paired:")).as_deref(), Some("paired: test phone"));
    // SAFETY: signals a child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(runtime.block_on(phone.closed()), Some(1001), "the phone is told the server stopped");
    assert_eq!(lines.last().as_deref(), Some("companion stopped"));
    assert!(child.wait().unwrap().success());
}

/// A child `aura` killed if the test ends early.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn aura_companion_makes_a_new_pairing_code_when_enter_is_pressed() {
    use std::io::{BufRead, BufReader, Write};
    let (data, workspace) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_aura"))
            .args(["companion", "--port", "0", "--workspace"])
            .arg(workspace.path())
            .env("AURA_DATA_DIR", data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines().map_while(Result::ok);
    let url = lines.next().unwrap().strip_prefix("companion: ").expect("the address comes first").to_string();
    let mut next_code = || {
        let line = lines.find(|l| l.starts_with("pairing code: ")).expect("a pairing code");
        assert!(lines.any(|l| l == "press Enter for a new pairing code"), "the way to a new code is shown");
        line["pairing code: ".len()..][..6].to_string()
    };
    let first = next_code();
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    let second = next_code();
    assert_ne!(first, second, "Enter made a new code");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let old = runtime.block_on(phone::pair_response(&url, &first));
    assert_eq!(old.status(), 401, "the new code replaced the old one");
    runtime.block_on(phone::pair(&url, &second));
    // SAFETY: signals a child this test started.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) };
    assert!(child.0.wait().unwrap().success());
}
