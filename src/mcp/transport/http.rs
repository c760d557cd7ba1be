//! A streamable HTTP server, reached with the reqwest client the rest of Aura uses (rmcp 3.11 is on
//! the same reqwest 0.13, so there is one HTTP stack). Header values may hold `${VAR}`s.

use std::collections::{BTreeMap, HashMap};

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

use super::stdio::MAX_LINE_BYTES;
use crate::mcp::config::{expand, expand_all};

/// The transport for `url`, its headers resolved from the environment now.
pub fn transport(
    url: &str,
    headers: &BTreeMap<String, String>,
) -> Result<StreamableHttpClientTransport<reqwest::Client>, String> {
    let url = expand(url, |v| std::env::var(v).ok()).map_err(|e| e.to_string())?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("\"{url}\" is not an http:// or https:// URL"));
    }
    let mut custom = HashMap::new();
    for (name, value) in expand_all(headers).map_err(|e| e.to_string())? {
        let header =
            HeaderName::try_from(name.as_str()).map_err(|_| format!("\"{name}\" is not a valid HTTP header name"))?;
        let value =
            HeaderValue::try_from(value).map_err(|_| format!("the value of header \"{name}\" is not valid in HTTP"))?;
        custom.insert(header, value);
    }
    // Secrets in headers belong to this host only: no redirects to another.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("the HTTP client could not be built: {e}"))?;
    let config = StreamableHttpClientTransportConfig::with_uri(url)
        .custom_headers(custom)
        .max_sse_event_size(MAX_LINE_BYTES)
        .max_json_response_size(MAX_LINE_BYTES);
    Ok(StreamableHttpClientTransport::with_client(client, config))
}
