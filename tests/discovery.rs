//! Local model server discovery against real HTTP servers on loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use aura::llm::discovery::{LocalServer, ModelListing, Probe, probe_all};

/// Serves `body` with `status` to every request on a free loopback port, for `requests` requests.
fn serve(status: &str, body: &'static str, requests: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let status = status.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn finds_servers_and_their_models_and_tells_apart_the_rest() {
    let ollama = serve("200 OK", r#"{"models":[{"name":"qwen3:8b"},{"name":"llama3.2:3b"}]}"#, 1);
    let openai = serve("200 OK", r#"{"object":"list","data":[{"id":"qwen2.5-coder-7b"}]}"#, 1);
    let broken = serve("500 Internal Server Error", "{}", 1);
    let html = serve("200 OK", "<html>hi</html>", 1);
    let closed = free_port();
    let servers = [
        LocalServer { name: "Ollama", port: ollama, listing: ModelListing::OllamaTags },
        LocalServer { name: "llama.cpp", port: openai, listing: ModelListing::OpenAiModels },
        LocalServer { name: "LM Studio", port: broken, listing: ModelListing::OpenAiModels },
        LocalServer { name: "vLLM", port: html, listing: ModelListing::OpenAiModels },
        LocalServer { name: "closed", port: closed, listing: ModelListing::OpenAiModels },
    ];
    let found: Vec<Probe> = probe_all(&servers, Duration::from_secs(2)).await.into_iter().map(|(_, p)| p).collect();
    assert_eq!(found[0], Probe::Reachable { models: vec!["qwen3:8b".into(), "llama3.2:3b".into()] });
    assert_eq!(found[1], Probe::Reachable { models: vec!["qwen2.5-coder-7b".into()] });
    assert!(matches!(&found[2], Probe::Unexpected { detail } if detail.contains("500")), "{:?}", found[2]);
    assert!(matches!(&found[3], Probe::Unexpected { detail } if detail.contains("not valid JSON")), "{:?}", found[3]);
    assert_eq!(found[4], Probe::NotReachable);
}
