//! When and how long to wait before trying a request again.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Exponential backoff with full jitter, honouring `retry-after`. Retries happen only before a
/// response starts streaming: a reply that has begun is never sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// Statuses worth another try: rate limits, server errors, and overload (Anthropic's 529).
    pub fn is_retryable(status: StatusCode) -> bool {
        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
    }

    /// The wait before try number `attempt + 1`: the server's `retry-after` when it gives one
    /// (capped), else a random point below an exponentially growing ceiling.
    pub fn delay(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        if let Some(wait) = headers.and_then(retry_after) {
            return wait.min(self.max_delay);
        }
        let ceiling = self.base_delay.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(self.max_delay);
        let mut bytes = [0u8; 8];
        let fraction = match getrandom::fill(&mut bytes) {
            Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
            Err(_) => 0.5,
        };
        ceiling.mul_f64(fraction)
    }
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds. HTTP dates are rare from these APIs and
/// fall back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok().filter(|v| *v >= 0.0);
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_stays_under_its_ceiling_and_is_jittered() {
        let policy =
            RetryPolicy { max_attempts: 8, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        for attempt in 1..8 {
            let ceiling = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            let delays: Vec<Duration> = (0..50).map(|_| policy.delay(attempt, None)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "attempt {attempt}: {delays:?}");
            assert!(delays.windows(2).any(|w| w[0] != w[1]), "attempt {attempt} is not jittered");
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(policy.delay(1, Some(&headers)), Duration::from_secs(2));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(policy.delay(1, Some(&headers)), Duration::from_millis(250));
        let mut long = HeaderMap::new();
        long.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(policy.delay(1, Some(&long)), policy.max_delay);
    }

    #[test]
    fn which_statuses_are_retried() {
        for code in [429, 500, 502, 503, 504, 529] {
            assert!(RetryPolicy::is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 413, 422] {
            assert!(!RetryPolicy::is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
