//! A phone for the Companion tests and benchmark: pairs over HTTP and speaks the protocol over a
//! real WebSocket on loopback, the way the page does.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `http://127.0.0.1:P` from the page's `http://127.0.0.1:P/`.
pub fn origin(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// Asks to pair from the page's origin; the raw answer.
pub async fn pair_response(url: &str, code: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}pair"))
        .header("Origin", origin(url))
        .json(&json!({ "code": code, "device_name": "test phone" }))
        .send()
        .await
        .expect("the server answers")
}

/// Pairs with `code` and returns the device's token.
pub async fn pair(url: &str, code: &str) -> String {
    let response = pair_response(url, code).await;
    assert_eq!(response.status(), 200, "pairing with the right code works");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().expect("a token").to_string()
}

/// Opens the WebSocket with `origin` (none when `None`).
pub async fn open(url: &str, origin: Option<&str>) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("{}ws", url.replacen("http", "ws", 1)).into_client_request()?;
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", origin.parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    Ok(socket)
}

/// A phone's hello: the envelope and, beside it, the token and what it last saw.
pub fn hello(token: Option<&str>, resume: Option<(u64, u64)>) -> String {
    let mut hello = json!({
        "v": 1,
        "seq": 1,
        "body": { "command": "hello", "surface": "companion", "client": "test phone" },
    });
    if let Some(token) = token {
        hello["token"] = json!(token);
    }
    if let Some((last_seq, epoch)) = resume {
        hello["last_seq"] = json!(last_seq);
        hello["epoch"] = json!(epoch);
    }
    hello.to_string()
}

/// What a phone read.
#[derive(Debug)]
pub enum Read {
    Frame(String),
    Closed(Option<u16>),
    Silent,
}

/// A connected phone.
pub struct Phone {
    pub socket: Socket,
    /// Every text frame received, in order.
    pub frames: Vec<String>,
    pub epoch: u64,
    /// The greatest engine `seq` received.
    pub last_seq: u64,
    /// Whether the Welcome said the missed events were replayed.
    pub resumed: bool,
}

impl Phone {
    /// Connects, says hello (resuming from `resume`), and reads up to its Welcome.
    pub async fn connect(url: &str, token: &str, resume: Option<(u64, u64)>) -> Phone {
        let socket = open(url, Some(&origin(url))).await.expect("the WebSocket opens");
        let mut phone =
            Phone { socket, frames: Vec::new(), epoch: 0, last_seq: resume.map_or(0, |r| r.0), resumed: false };
        phone.send(&hello(Some(token), resume)).await;
        let welcome = phone.until(|e| e["body"]["event"] == "welcome").await;
        phone.epoch = welcome["body"]["epoch"].as_u64().unwrap();
        phone.resumed = welcome["resumed"].as_bool().expect("the Welcome says whether it resumed");
        phone
    }

    pub async fn send(&mut self, text: &str) {
        self.socket.send(Message::Text(text.into())).await.expect("the frame is sent");
    }

    /// Sends a command as the page would.
    pub async fn command(&mut self, seq: u64, body: Value) {
        self.send(&json!({ "v": 1, "seq": seq, "body": body }).to_string()).await;
    }

    /// The next frame, a close (with its code), or nothing within `within`.
    pub async fn read(&mut self, within: Duration) -> Read {
        loop {
            match tokio::time::timeout(within, self.socket.next()).await {
                Err(_) => return Read::Silent,
                Ok(None) | Ok(Some(Err(_))) => return Read::Closed(None),
                Ok(Some(Ok(Message::Close(frame)))) => return Read::Closed(frame.map(|f| f.code.into())),
                Ok(Some(Ok(Message::Text(text)))) => {
                    let seq = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["seq"].as_u64()).unwrap_or(0);
                    self.last_seq = self.last_seq.max(seq);
                    self.frames.push(text.to_string());
                    return Read::Frame(text.to_string());
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Reads until a frame `pick` accepts (within 20 s) and returns it as JSON.
    pub async fn until(&mut self, mut pick: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read(left).await {
                Read::Frame(text) => {
                    let value: Value = serde_json::from_str(&text).expect("frames are JSON");
                    if pick(&value) {
                        return value;
                    }
                }
                other => panic!("the phone never got the frame it waited for: {other:?}"),
            }
        }
    }

    /// Reads until the server closes the connection (within 10 s); the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read(left).await {
                Read::Frame(_) => {}
                Read::Closed(code) => return code,
                Read::Silent => panic!("the server never closed the connection"),
            }
        }
    }
}

/// Reads from a bare socket until it closes; the close code (`None` for a dropped connection).
pub async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Err(_) => panic!("the server never closed the connection"),
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code.into()),
            Ok(Some(Ok(_))) => {}
        }
    }
}
