//! Provider benchmark: parse throughput of each stream format, the delay from a byte leaving a
//! loopback server to its event reaching a consumer, and the time-to-first-token overhead Aura adds
//! over a bare HTTP client. Run with `cargo bench --bench providers`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aura::llm::anthropic;
use aura::llm::emulator::Emulator;
use aura::llm::emulator::cache::CacheOutcome;
use aura::llm::emulator::script::{Script, Step, Turn};
use aura::llm::emulator::wire::{self, Format, Frame, Reply};
use aura::llm::http::Decode;
use aura::llm::{ChatRequest, ProviderConfig, ProviderKind, RetryPolicy, StreamEvent, ollama, openai};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

/// A long reply in a format's exact bytes: text, reasoning and tool calls.
fn body(format: Format) -> Vec<u8> {
    let mut steps = Vec::new();
    for i in 0..400 {
        steps
            .push(Step::Reasoning { text: format!("Step {i}: consider the store thread and the protocol envelope. ") });
        steps.push(Step::Text {
            text: format!("Paragraph {i} explains the change in plain words, with ✓ and ü. ").repeat(3),
        });
        if i % 20 == 0 {
            steps.push(Step::ToolCall {
                name: "read_file".into(),
                arguments: format!(r#"{{"path": "src/store/env.rs", "start": {i}, "end": {}}}"#, i + 40),
            });
        }
    }
    let turn = Turn::steps(steps);
    let reply = Reply {
        format,
        model: "bench",
        id: 1,
        turn: &turn,
        cache: CacheOutcome { total: 5000, read: 4096, written: 0 },
    };
    wire::frames(&reply)
        .into_iter()
        .filter_map(|f| match f {
            Frame::Data(text) => Some(text.into_bytes()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn throughput(name: &str, bytes: &[u8], mut decoder: impl FnMut() -> Box<dyn Decode>) {
    let mut events = Vec::new();
    let rounds = 20;
    let mut count = 0;
    let started = Instant::now();
    for _ in 0..rounds {
        let mut d = decoder();
        for chunk in bytes.chunks(16 * 1024) {
            d.feed(chunk, &mut events).expect("decodes");
            count += events.len();
            events.clear();
        }
        d.finish(&mut events).expect("ends cleanly");
    }
    let secs = started.elapsed().as_secs_f64();
    let mb = (bytes.len() * rounds) as f64 / 1_048_576.0;
    println!(
        "parse {name:<10} {:>7.1} MB/s  ({:.2} MB body, {} events per pass)",
        mb / secs,
        bytes.len() as f64 / 1_048_576.0,
        count / rounds
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A hand-written chunked HTTP server that writes one OpenAI event every 2 ms and notes when each
/// left; the consumer notes when each arrived as an event.
async fn byte_to_event_latency() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let log = Arc::clone(&sent);
    const EVENTS: usize = 500;
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 65536];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        for i in 0..=EVENTS {
            let event = if i < EVENTS {
                format!(
                    "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{i} \"}},\"finish_reason\":null}}]}}\n\n"
                )
            } else {
                "data: [DONE]\n\n".to_string()
            };
            let chunk = format!("{:x}\r\n{event}\r\n", event.len());
            socket.write_all(chunk.as_bytes()).await.unwrap();
            socket.flush().await.unwrap();
            log.lock().unwrap().push(Instant::now());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        socket.write_all(b"0\r\n\r\n").await.unwrap();
    });
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(format!("http://127.0.0.1:{port}/v1")),
        api_key: None,
    }
    .connect(RetryPolicy::default());
    let mut stream = provider.stream(ChatRequest::simple("bench", "go"));
    let mut arrived = Vec::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::TextDelta { .. } = event.unwrap() {
            arrived.push(Instant::now());
        }
    }
    let sent = sent.lock().unwrap();
    let mut delays: Vec<Duration> =
        arrived.iter().zip(sent.iter()).map(|(a, s)| a.saturating_duration_since(*s)).collect();
    delays.sort();
    println!(
        "byte on socket -> event at consumer: median {:.0} µs, p99 {:.0} µs, max {:.0} µs ({} events)",
        percentile(&delays, 0.5).as_secs_f64() * 1e6,
        percentile(&delays, 0.99).as_secs_f64() * 1e6,
        delays.last().unwrap().as_secs_f64() * 1e6,
        delays.len()
    );
}

/// Time to the first text: a bare reqwest client reading the raw body versus Aura's provider,
/// against the same emulator.
async fn ttft_overhead() {
    const RUNS: usize = 200;
    let turns = (0..RUNS * 2).map(|_| Turn::text("First token, then a few more words.")).collect();
    let emulator = Emulator::start(Script::new(turns)).await.unwrap();
    let base = emulator.base_url(ProviderKind::Openai);
    let client = reqwest::Client::new();
    let body = openai::body(&ChatRequest::simple("bench", "hi"));
    let provider = ProviderConfig { kind: ProviderKind::Openai, base_url: Some(base.clone()), api_key: None }
        .connect(RetryPolicy::default());
    let (mut bare, mut aura) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let started = Instant::now();
        let response = client.post(format!("{base}/chat/completions")).json(&body).send().await.unwrap();
        let mut bytes = response.bytes_stream();
        let mut seen = Vec::new();
        while let Some(chunk) = bytes.next().await {
            seen.extend_from_slice(&chunk.unwrap());
            if seen.windows(12).any(|w| w == b"\"content\":\"F") {
                break;
            }
        }
        bare.push(started.elapsed());
        drop(bytes);

        let started = Instant::now();
        let mut stream = provider.stream(ChatRequest::simple("bench", "hi"));
        while let Some(event) = stream.next().await {
            if let StreamEvent::TextDelta { .. } = event.unwrap() {
                break;
            }
        }
        aura.push(started.elapsed());
    }
    bare.sort();
    aura.sort();
    let (b, a) = (percentile(&bare, 0.5), percentile(&aura, 0.5));
    println!(
        "time to first token on loopback: bare client median {:.3} ms, Aura median {:.3} ms, overhead {:.3} ms (p90 {:.3} vs {:.3} ms, {RUNS} runs)",
        b.as_secs_f64() * 1e3,
        a.as_secs_f64() * 1e3,
        (a.as_secs_f64() - b.as_secs_f64()) * 1e3,
        percentile(&bare, 0.9).as_secs_f64() * 1e3,
        percentile(&aura, 0.9).as_secs_f64() * 1e3,
    );
}

fn main() {
    let anthropic_body = body(Format::Anthropic);
    throughput("anthropic", &anthropic_body, || Box::new(anthropic::decoder("bench")));
    let openai_body = body(Format::OpenAi { deepseek: false });
    throughput("openai", &openai_body, || Box::new(openai::decoder("bench")));
    let ollama_body = body(Format::Ollama);
    throughput("ollama", &ollama_body, || Box::new(ollama::Decoder::new("bench")));

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(byte_to_event_latency());
    runtime.block_on(ttft_overhead());
}
