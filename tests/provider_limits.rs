//! Providers against servers that misbehave, over real HTTP on 127.0.0.1: a redirect to another
//! host (the key must not follow), a stall before and after the headers, an HTML page where the
//! API should be, and events and replies past their size caps.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aura::llm::{ChatRequest, Limits, LlmError, ProviderConfig, ProviderKind, RetryPolicy, StreamEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "sk-secret-test-key";

/// What the server does with one request.
enum Act {
    Write(Vec<u8>),
    /// Keeps the connection open and says nothing more.
    Hang,
}

/// A loopback server answering each request by its head; it remembers every head it read.
struct Server {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

async fn server(host: &str, answer: impl Fn(&str) -> Vec<Act> + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{host}:{}", listener.local_addr().unwrap().port());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (seen, answer) = (heads.clone(), Arc::new(answer));
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                let Some(head) = read_request(&mut tcp).await else { return };
                seen.lock().unwrap().push(head.clone());
                for act in answer(&head) {
                    match act {
                        Act::Write(bytes) => {
                            if tcp.write_all(&bytes).await.is_err() {
                                return;
                            }
                        }
                        Act::Hang => tokio::time::sleep(Duration::from_secs(600)).await,
                    }
                }
            });
        }
    });
    Server { url, heads }
}

/// The request's head, lowercased, after reading its body too.
async fn read_request(tcp: &mut TcpStream) -> Option<String> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let n = tcp.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        bytes.extend_from_slice(&buf[..n]);
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    while bytes.len() < end + length {
        let n = tcp.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        bytes.extend_from_slice(&buf[..n]);
    }
    Some(head)
}

/// A response head, then the body as it comes, ended by closing the connection.
fn response(status: &str, content_type: &str, extra: &str) -> Act {
    Act::Write(format!("HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}connection: close\r\n\r\n").into())
}

fn sse_chunk(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

/// A whole OpenAI-compatible reply saying `text`.
fn openai_reply(text: &str) -> Vec<Act> {
    let body = format!("{}data: [DONE]\n\n", sse_chunk(text));
    vec![
        response("200 OK", "text/event-stream", &format!("content-length: {}\r\n", body.len())),
        Act::Write(body.into()),
    ]
}

fn provider(kind: ProviderKind, url: &str, limits: Option<Limits>) -> Arc<dyn aura::llm::Provider> {
    let base_url = match kind {
        ProviderKind::Openai => format!("{url}/v1"),
        _ => url.to_string(),
    };
    let retry =
        RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(20) };
    ProviderConfig { kind, base_url: Some(base_url), api_key: Some(KEY.into()) }.connect_with(retry, limits)
}

/// The reply's text and its error.
async fn run(provider: &dyn aura::llm::Provider) -> (String, Option<LlmError>) {
    let mut stream = provider.stream(ChatRequest::simple("m", "hi"));
    let (mut text, mut error) = (String::new(), None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamEvent::TextDelta { text: t }) => text.push_str(&t),
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    (text, error)
}

#[tokio::test]
async fn a_key_never_follows_a_redirect_to_another_host() {
    // `localhost` and 127.0.0.1 are different hosts to a browser and to reqwest alike.
    let elsewhere = server("localhost", |_| openai_reply("stolen")).await;
    let target = elsewhere.url.clone();
    let first = server("127.0.0.1", move |head| {
        let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
        vec![head_only(&format!("307 Temporary Redirect\r\nlocation: {target}{path}"))]
    })
    .await;

    // The control: a client with reqwest's own policy does carry x-api-key there.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let _ = plain.post(format!("{}/v1/messages", first.url)).header("x-api-key", KEY).body("{}").send().await;
    assert!(elsewhere.heads.lock().unwrap().iter().any(|h| h.contains(KEY)), "the test's redirect works");
    elsewhere.heads.lock().unwrap().clear();
    first.heads.lock().unwrap().clear();

    for kind in [ProviderKind::Anthropic, ProviderKind::Openai] {
        let (_, error) = run(&*provider(kind, &first.url, None)).await;
        match error {
            Some(error @ LlmError::Redirected { .. }) => {
                let text = error.to_string();
                assert!(text.contains(&elsewhere.url), "{kind:?}: {text}");
                assert!(text.contains("Aura does not follow it, so the API key stays with 127.0.0.1"), "{text}");
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
    assert_eq!(first.heads.lock().unwrap().iter().filter(|h| h.contains(KEY)).count(), 2, "one request each");
    assert!(elsewhere.heads.lock().unwrap().is_empty(), "nothing reached the other host");
}

fn head_only(status: &str) -> Act {
    Act::Write(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into())
}

#[tokio::test]
async fn a_redirect_within_the_same_server_is_followed_with_the_key() {
    let moved = server("127.0.0.1", |head| match head.starts_with("post /v1/") {
        true => vec![head_only("308 Permanent Redirect\r\nlocation: /v2/chat/completions")],
        false => openai_reply("moved here"),
    })
    .await;
    let (text, error) = run(&*provider(ProviderKind::Openai, &moved.url, None)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text, "moved here");
    let heads = moved.heads.lock().unwrap();
    assert!(heads[1].starts_with("post /v2/chat/completions") && heads[1].contains(KEY), "{heads:?}");
}

fn quick() -> Option<Limits> {
    Some(Limits { connect: Duration::from_secs(2), stall: Duration::from_secs(1), body_bytes: 1 << 20 })
}

#[tokio::test]
async fn a_stall_before_or_after_the_headers_times_out_saying_so() {
    assert!(Limits::for_server(false).stall <= Duration::from_secs(60), "a cloud API gets at most a minute");
    let before = server("127.0.0.1", |_| vec![Act::Hang]).await;
    let after = server("127.0.0.1", |_| {
        vec![response("200 OK", "text/event-stream", ""), Act::Write(sse_chunk("partial").into()), Act::Hang]
    })
    .await;
    for (server, during, kept) in [
        (&before, "before its reply began", ""),
        (&after, "in the middle of the reply (what arrived is kept)", "partial"),
    ] {
        let started = Instant::now();
        let (text, error) = run(&*provider(ProviderKind::Openai, &server.url, quick())).await;
        let elapsed = started.elapsed();
        let error = error.expect("a stall is an error").to_string();
        assert!(error.contains("timed out") && error.contains(during), "{error}");
        assert!(error.contains("sent nothing for 1 s"), "{error}");
        assert_eq!(text, kept);
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        assert_eq!(server.heads.lock().unwrap().len(), 1, "a request the server may be working on is not sent again");
    }
}

#[tokio::test]
async fn an_html_page_is_reported_as_one() {
    let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let proxy =
        server("127.0.0.1", move |_| vec![response("200 OK", "text/html; charset=utf-8", ""), Act::Write(page.into())])
            .await;
    for (kind, expected) in [
        (ProviderKind::Anthropic, "an event stream"),
        (ProviderKind::Openai, "an event stream"),
        (ProviderKind::Ollama, "JSON"),
    ] {
        let (_, error) = run(&*provider(kind, &proxy.url, None)).await;
        let error = error.expect("an HTML page is an error").to_string();
        let said =
            format!("the server answered with an HTML page, not {expected}: \"502 Bad Gateway\". Check the base URL");
        assert!(error.contains(&said), "{kind:?}: {error}");
    }
}

#[tokio::test]
async fn an_event_over_the_cap_and_a_reply_over_its_cap_end_with_a_clear_error() {
    let huge = "x".repeat(5 << 20);
    let one_event = server("127.0.0.1", move |head| match head.starts_with("post /api/show") {
        true => vec![response("200 OK", "application/json", ""), Act::Write(b"{}".to_vec())],
        false => vec![response("200 OK", "text/event-stream", ""), Act::Write(format!("data: {huge}").into())],
    })
    .await;
    for kind in [ProviderKind::Anthropic, ProviderKind::Openai, ProviderKind::Ollama] {
        let (_, error) = run(&*provider(kind, &one_event.url, None)).await;
        let error = error.expect("an oversized event is an error").to_string();
        assert!(error.contains("larger than 4 MiB, so Aura stopped reading"), "{kind:?}: {error}");
    }
    // 2 MiB of small, valid events against a 1 MiB cap for the whole reply.
    let flood = sse_chunk("y").repeat((2 << 20) / sse_chunk("y").len());
    let endless = server("127.0.0.1", move |_| {
        vec![response("200 OK", "text/event-stream", ""), Act::Write(flood.clone().into())]
    })
    .await;
    let (text, error) = run(&*provider(ProviderKind::Openai, &endless.url, quick())).await;
    let error = error.expect("an oversized reply is an error").to_string();
    assert!(error.contains("sent a reply larger than 1 MiB"), "{error}");
    assert!(!text.is_empty() && text.len() < 1 << 20, "what came before the cap was delivered: {}", text.len());
}
