//! What a server may make a request cost: how long it may stay silent, how much it may send, where
//! it may redirect to, and what it may answer instead of the API (a proxy's HTML page). Each limit
//! ends in an error that says what happened, never in a hang or unbounded memory.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::CONTENT_TYPE;
use reqwest::redirect;

use super::error::LlmError;

/// The most redirects followed within one server.
const MAX_REDIRECTS: usize = 5;
/// How much of an error body or an HTML page is read to explain it.
pub const EXPLAIN_BYTES: usize = 64 << 10;

/// Timeouts and sizes for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// To open a connection.
    pub connect: Duration,
    /// Silence allowed before the reply's headers, and between any two reads after them.
    pub stall: Duration,
    /// A whole streamed reply.
    pub body_bytes: u64,
}

impl Limits {
    /// A cloud API answers within seconds; a model on this machine may read a long prompt on a CPU
    /// for minutes before its first byte.
    pub fn for_server(local: bool) -> Limits {
        let stall = if local { Duration::from_secs(300) } else { Duration::from_secs(60) };
        Limits { connect: Duration::from_secs(15), stall, body_bytes: 256 << 20 }
    }

    /// The HTTP client for these limits: rustls, and redirects followed only within one origin.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.stall)
            .redirect(same_origin_only())
            .build()
            .unwrap_or_else(|e| {
                tracing::error!("the HTTP client could not be set up ({e}); using reqwest's defaults");
                reqwest::Client::default()
            })
    }
}

/// A key in a request's headers belongs to the server it was sent to: a redirect to another scheme,
/// host or port is not followed (the 3xx comes back, and [`redirected`] explains it). reqwest's own
/// policy would follow it, keeping `x-api-key`.
fn same_origin_only() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let same = attempt.previous().last().is_some_and(|from| from.origin() == attempt.url().origin());
        match (same, attempt.previous().len() > MAX_REDIRECTS) {
            (false, _) => attempt.stop(),
            (true, true) => attempt.error("too many redirects"),
            (true, false) => attempt.follow(),
        }
    })
}

/// The error for a redirect that was not followed.
pub fn redirected(provider: &str, from: String, response: &reqwest::Response) -> LlmError {
    let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
    let to = location
        .and_then(|l| response.url().join(l).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| location.unwrap_or("an address it did not give").to_string());
    LlmError::Redirected { provider: provider.to_string(), from, to }
}

/// Up to `cap` bytes of a body, and whether there was more.
pub async fn read_capped(response: reqwest::Response, cap: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = response.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = cap - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, false))
}

/// A proxy's error page or a captive portal answers 200 with HTML: say so, instead of reporting
/// the page as malformed JSON. `expected` names what should have come ("an event stream").
pub async fn refuse_html(response: reqwest::Response, expected: &'static str) -> Result<reqwest::Response, LlmError> {
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.trim_start().to_ascii_lowercase().starts_with("text/html") {
        return Ok(response);
    }
    let url = response.url().to_string();
    let (page, _) = read_capped(response, EXPLAIN_BYTES).await.unwrap_or_default();
    Err(LlmError::HtmlPage { expected, page: page_summary(&String::from_utf8_lossy(&page)), url })
}

/// An HTML page's title, else how it begins.
fn page_summary(html: &str) -> String {
    // ASCII lowercasing keeps every byte where it was, so its positions index `html` too.
    let lower = html.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|start| {
        let open = start + lower[start..].find('>')? + 1;
        let close = open + lower[open..].find("</title")?;
        Some(html[open..close].split_whitespace().collect::<Vec<_>>().join(" "))
    });
    match title.filter(|t| !t.is_empty()) {
        Some(title) => format!("\"{}\"", title.chars().take(120).collect::<String>()),
        None => format!("it begins {:?}", html.trim().chars().take(80).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_named_by_its_title_or_its_first_words() {
        assert_eq!(page_summary("<html><head><TITLE>\n502 Bad   Gateway</TITLE>"), "\"502 Bad Gateway\"");
        assert_eq!(page_summary("  <p>Sign in</p>"), "it begins \"<p>Sign in</p>\"");
    }
}
