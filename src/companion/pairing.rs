//! One-time pairing codes: six characters of Crockford base32, valid a few minutes, kept only as a
//! SHA-256 hash. Wrong guesses are limited per client address, and a code that drew too many is
//! voided, so guessing 30 bits is hopeless.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{CompanionError, PairingCode, PairingState, sha256};

/// Crockford's base32: no I, L, O or U, so a code reads aloud without confusion.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LEN: usize = 6;
/// Failed attempts one address may make per [`WINDOW`].
pub const FAILURES_PER_WINDOW: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Failed attempts, from anywhere, after which the code is void.
pub const FAILURES_TO_VOID: u32 = 10;
/// Addresses remembered at once; past that, new ones wait for old ones to age out.
const TRACKED_ADDRESSES: usize = 4096;

/// Why a pairing attempt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("too many wrong codes from this address: wait a minute")]
    RateLimited { retry_after_secs: u64 },
    #[error("that code is not the one shown on the desktop")]
    Wrong,
    #[error("no pairing code is waiting: make one on the desktop")]
    NoCode,
    #[error("the code expired: make a new one on the desktop")]
    Expired,
    #[error("the code was voided after too many wrong attempts: make a new one on the desktop")]
    Voided,
}

struct Live {
    hash: [u8; 32],
    expires: Instant,
    expires_at_ms: u64,
    failures: u32,
}

enum Code {
    Idle,
    Live(Live),
    Voided,
}

/// The current code and the record of failed attempts.
pub struct Pairing {
    code: Code,
    lifetime: Duration,
    failures: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Pairing {
    pub fn new(lifetime: Duration) -> Self {
        Pairing { code: Code::Idle, lifetime, failures: HashMap::new() }
    }

    /// A new code, replacing the one before; `page` is the page's address for the QR code.
    pub fn start(&mut self, page: &str) -> Result<PairingCode, CompanionError> {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).map_err(|e| CompanionError::Randomness(e.to_string()))?;
        // 30 random bits, five per character: every code is equally likely.
        let bits = u32::from_le_bytes(bytes);
        let code: String = (0..CODE_LEN).map(|i| ALPHABET[(bits >> (5 * i) & 31) as usize] as char).collect();
        let expires_at_ms = crate::domain::now_millis() + self.lifetime.as_millis() as u64;
        self.code = Code::Live(Live {
            hash: sha256(code.as_bytes()),
            expires: Instant::now() + self.lifetime,
            expires_at_ms,
            failures: 0,
        });
        Ok(PairingCode { url: format!("{page}#code={code}"), code, expires_at_ms })
    }

    pub fn state(&self) -> PairingState {
        match &self.code {
            Code::Idle => PairingState::Idle,
            Code::Voided => PairingState::Voided,
            Code::Live(live) if live.expires <= Instant::now() => PairingState::Expired,
            Code::Live(live) => PairingState::Waiting { expires_at_ms: live.expires_at_ms },
        }
    }

    /// Checks a phone's attempt from `from`. The right code is used up; a wrong one counts against
    /// the address and the code.
    pub fn attempt(&mut self, from: IpAddr, typed: &str) -> Result<(), Refusal> {
        let now = Instant::now();
        self.failures.retain(|_, times| {
            while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                times.pop_front();
            }
            !times.is_empty()
        });
        let recent = self.failures.get(&from).map_or(0, VecDeque::len);
        if recent >= FAILURES_PER_WINDOW || (recent == 0 && self.failures.len() >= TRACKED_ADDRESSES) {
            let oldest = self.failures.get(&from).and_then(|t| t.front().copied()).unwrap_or(now);
            let wait = WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
            return Err(Refusal::RateLimited { retry_after_secs: wait });
        }
        let result = match &mut self.code {
            Code::Idle => Err(Refusal::NoCode),
            Code::Voided => Err(Refusal::Voided),
            Code::Live(live) if live.expires <= now => Err(Refusal::Expired),
            Code::Live(live) if live.hash == sha256(normalize(typed).as_bytes()) => Ok(()),
            Code::Live(live) => {
                live.failures += 1;
                Err(Refusal::Wrong)
            }
        };
        match &result {
            Ok(()) => self.code = Code::Idle,
            Err(_) => {
                self.failures.entry(from).or_default().push_back(now);
                if matches!(&self.code, Code::Live(live) if live.failures >= FAILURES_TO_VOID) {
                    self.code = Code::Voided;
                }
            }
        }
        result
    }
}

/// What the phone typed, as the code was written: upper case, no spaces or dashes, and the letters
/// Crockford reads as digits (I and L as 1, O as 0).
fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn other(n: u8) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, n))
    }

    #[test]
    fn a_code_is_six_crockford_characters_used_once() {
        let mut pairing = Pairing::new(Duration::from_secs(300));
        let code = pairing.start("http://127.0.0.1:7420/").unwrap();
        assert_eq!(code.code.len(), CODE_LEN);
        assert!(code.code.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(code.url.ends_with(&format!("/#code={}", code.code)));
        assert!(matches!(pairing.state(), PairingState::Waiting { .. }));
        assert_eq!(pairing.attempt(HOME, &code.code.to_lowercase()), Ok(()));
        assert_eq!(pairing.attempt(HOME, &code.code), Err(Refusal::NoCode));
    }

    #[test]
    fn a_new_code_replaces_the_old_one() {
        let mut pairing = Pairing::new(Duration::from_secs(300));
        let first = pairing.start("/").unwrap();
        let second = pairing.start("/").unwrap();
        if first.code != second.code {
            assert_eq!(pairing.attempt(HOME, &first.code), Err(Refusal::Wrong));
        }
        assert_eq!(pairing.attempt(HOME, &second.code), Ok(()));
    }

    #[test]
    fn confusable_letters_read_as_digits() {
        assert_eq!(normalize("o1-il 2z"), "01112Z");
    }

    #[test]
    fn an_expired_code_is_refused() {
        let mut pairing = Pairing::new(Duration::ZERO);
        let code = pairing.start("/").unwrap();
        assert_eq!(pairing.state(), PairingState::Expired);
        assert_eq!(pairing.attempt(HOME, &code.code), Err(Refusal::Expired));
    }

    #[test]
    fn guesses_are_limited_per_address_and_void_the_code() {
        let mut pairing = Pairing::new(Duration::from_secs(300));
        let code = pairing.start("/").unwrap();
        let wrong = if code.code == "000000" { "000001" } else { "000000" };
        for _ in 0..FAILURES_PER_WINDOW {
            assert_eq!(pairing.attempt(HOME, wrong), Err(Refusal::Wrong));
        }
        assert!(matches!(pairing.attempt(HOME, &code.code), Err(Refusal::RateLimited { .. })));
        for _ in 0..FAILURES_PER_WINDOW {
            assert_eq!(pairing.attempt(other(2), wrong), Err(Refusal::Wrong));
        }
        assert_eq!(pairing.state(), PairingState::Voided);
        assert_eq!(pairing.attempt(other(3), &code.code), Err(Refusal::Voided));
    }
}
