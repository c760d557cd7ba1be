//! Provider failures, each worded for the user with what to do next.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("no API key for {provider}: set {key_env} in the environment (or enter a key in Settings)")]
    MissingKey { provider: String, key_env: &'static str },
    #[error("{provider} refused the API key (401: {detail}). Check {key_env}, or the key in Settings")]
    Unauthorized { provider: String, key_env: &'static str, detail: String },
    #[error(
        "{provider} has no model \"{model}\" (404: {detail}). Check the model name; `aura doctor` lists the models local servers have"
    )]
    ModelNotFound { provider: String, model: String, detail: String },
    #[error("could not connect to {url}: is {provider} running on {address}? {hint}")]
    Unreachable { provider: String, url: String, address: String, hint: String },
    #[error(
        "the prompt does not fit the model's context window ({detail}). Start a new session, or use a model with a larger window"
    )]
    ContextTooLong { detail: String },
    #[error(
        "{provider} kept rate-limiting after {attempts} tries ({detail}). Wait a minute and retry, or lower the request rate"
    )]
    RateLimited { provider: String, attempts: u32, detail: String },
    #[error(
        "{provider} answered {status} after {attempts} tries: {detail}. The service is having trouble; retry later"
    )]
    Unavailable { provider: String, status: u16, attempts: u32, detail: String },
    #[error("{provider} rejected the request ({status}): {detail}")]
    Rejected { provider: String, status: u16, detail: String },
    #[error(
        "the connection to {provider} closed in the middle of the reply; what arrived is kept, retry to get the rest"
    )]
    StreamCut { provider: String },
    #[error("{provider} sent an event that is not valid JSON ({detail}); retry, and report it if it happens again")]
    Malformed { provider: String, detail: String },
    #[error("{provider} reported an error in the middle of the reply ({kind}: {message}); retry")]
    StreamError { provider: String, kind: String, message: String },
    #[error("{provider} sent nothing for {} s {during}: timed out. Check the server, or retry", timeout.as_secs_f32())]
    Timeout { provider: String, timeout: Duration, during: &'static str },
    #[error("{provider} sent {what} larger than {} MiB, so Aura stopped reading. Check that the base URL is the model API's", limit >> 20)]
    TooLarge { provider: String, what: &'static str, limit: u64 },
    #[error(
        "the server answered with an HTML page, not {expected}: {page}. Check the base URL ({url}); a proxy or a login page may be in the way"
    )]
    HtmlPage { expected: &'static str, page: String, url: String },
    #[error(
        "{provider} redirected the request to {to}, another server; Aura does not follow it, so the API key stays with {from}. If that address is right, set it as the base URL"
    )]
    Redirected { provider: String, from: String, to: String },
    #[error("talking to {provider} failed: {detail}")]
    Transport { provider: String, detail: String },
}

impl LlmError {
    pub fn too_large(provider: &str, what: &'static str, limit: u64) -> LlmError {
        LlmError::TooLarge { provider: provider.to_string(), what, limit }
    }

    /// The provider's own explanation in an error body, whatever its shape:
    /// `{"error":{"message":..}}`, `{"error":".."}` or `{"message":..}`; else the raw text, trimmed.
    pub fn detail_from_body(body: &str) -> String {
        let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let message = parsed.as_ref().and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error").filter(|e| e.is_string()))
                .or_else(|| v.get("message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
        let text = message.unwrap_or_else(|| body.trim().to_string());
        let mut text: String = text.chars().take(400).collect();
        if text.is_empty() {
            text = "no details given".into();
        }
        text
    }

    /// Whether an error body says the prompt exceeded the context window (each server words it
    /// differently).
    pub fn is_context_overflow(detail: &str) -> bool {
        let d = detail.to_ascii_lowercase();
        d.contains("context_length_exceeded")
            || d.contains("prompt is too long")
            || d.contains("maximum context length")
            || (d.contains("context") && (d.contains("exceed") || d.contains("too long")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_come_from_every_error_body_shape() {
        assert_eq!(
            LlmError::detail_from_body(r#"{"type":"error","error":{"type":"x","message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(LlmError::detail_from_body(r#"{"error":"model 'q' not found"}"#), "model 'q' not found");
        assert_eq!(LlmError::detail_from_body("  upstream down \n"), "upstream down");
        assert_eq!(LlmError::detail_from_body(""), "no details given");
    }

    #[test]
    fn context_overflow_is_recognised_in_each_servers_words() {
        for text in [
            "prompt is too long: 210000 tokens > 200000 maximum",
            "This model's maximum context length is 8192 tokens",
            "the request exceeds the available context size, try increasing it",
            r#"{"code":"context_length_exceeded"}"#,
        ] {
            assert!(LlmError::is_context_overflow(text), "{text}");
        }
        assert!(!LlmError::is_context_overflow("invalid temperature"));
    }
}
