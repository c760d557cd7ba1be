//! Stable, sortable ids: 48 bits of milliseconds since the Unix epoch, then 80 random bits, written as
//! 26 Crockford base32 characters. Ids made later sort later, both as text and as big-endian bytes (the
//! store's keys), and ids made in the same millisecond by one process still sort in creation order.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_BITS: u32 = 80;
const RANDOM_MASK: u128 = (1u128 << RANDOM_BITS) - 1;

/// Why a piece of text is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id has 26 characters, {0:?} has {1}")]
    Length(String, usize),
    #[error("{0:?} is not an id: {1:?} is not a Crockford base32 character")]
    Character(String, char),
    #[error("{0:?} is not an id: it is larger than 128 bits")]
    Overflow(String),
}

/// The untyped 128-bit id under every typed one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RawId(u128);

static LAST: Mutex<u128> = Mutex::new(0);

impl RawId {
    /// A new id, later than every id this process made before.
    pub fn new() -> Self {
        let millis =
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0) & 0xFFFF_FFFF_FFFF;
        let mut bytes = [0u8; 16];
        // The OS random source failing is not recoverable in any useful way; fall back to the clock's
        // nanoseconds so ids stay unique within this process thanks to the monotonic step below.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            bytes = nanos.to_be_bytes();
        }
        let random = u128::from_be_bytes(bytes) & RANDOM_MASK;
        let candidate = ((millis as u128) << RANDOM_BITS) | random;
        let mut last = LAST.lock().unwrap_or_else(|poison| poison.into_inner());
        let value = if candidate > *last { candidate } else { *last + 1 };
        *last = value;
        RawId(value)
    }

    pub const fn from_u128(value: u128) -> Self {
        RawId(value)
    }

    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// Milliseconds since the Unix epoch at which this id was made.
    pub const fn millis(self) -> u64 {
        (self.0 >> RANDOM_BITS) as u64
    }

    /// Big-endian bytes: byte order equals creation order, which makes them good LMDB keys.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        RawId(u128::from_be_bytes(bytes))
    }
}

impl Default for RawId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RawId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 26];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (25 - i);
            *slot = ALPHABET[((self.0 >> shift) & 0x1F) as usize];
        }
        f.write_str(std::str::from_utf8(&out).unwrap_or("??????????????????????????"))
    }
}

impl fmt::Debug for RawId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for RawId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        let count = text.chars().count();
        if count != 26 {
            return Err(IdError::Length(text.to_string(), count));
        }
        let mut value: u128 = 0;
        for (i, c) in text.chars().enumerate() {
            let digit = decode_char(c).ok_or_else(|| IdError::Character(text.to_string(), c))?;
            // The first character carries only 3 bits (26 * 5 = 130 > 128).
            if i == 0 && digit > 7 {
                return Err(IdError::Overflow(text.to_string()));
            }
            value = (value << 5) | digit as u128;
        }
        Ok(RawId(value))
    }
}

/// Crockford decoding is case-insensitive and reads I and L as 1, O as 0.
fn decode_char(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET.iter().position(|&a| a as char == c).map(|p| p as u8)
}

impl serde::Serialize for RawId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RawId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Declares a typed id over [`RawId`], so a task id can never be passed where a session id is expected.
macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub RawId);

        impl $name {
            pub fn new() -> Self {
                Self(RawId::new())
            }
            pub const fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(RawId::from_bytes(bytes))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                text.parse().map(Self)
            }
        }
    )*};
}

typed_id!(
    /// A project: one workspace folder.
    ProjectId,
    /// A spec file generated from requirements.
    SpecId,
    /// A task extracted from a spec.
    TaskId,
    /// A conversation: the main chat, a Planner or Worker run, or a Drone's.
    SessionId,
    /// A message inside a session.
    MessageId,
    /// One tool call made by the model.
    ToolCallId,
    /// A reviewable set of workspace changes.
    ChangeSetId,
    /// The evidence a finished piece of work leaves behind.
    ReceiptId,
    /// One run of a Drone (a Drone itself is known by its manifest's name).
    DroneId,
    /// A Planner's work order for a Worker.
    WorkOrderId,
    /// A project memory entry.
    MemoryId,
    /// A command waiting for the user's approval.
    ApprovalId,
);

/// The key of an append-only record log: a session's conversation, or a project's own log
/// (checkpoints and review decisions).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct LogId(pub RawId);

impl LogId {
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_bytes()
    }
}

impl fmt::Display for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<SessionId> for LogId {
    fn from(id: SessionId) -> Self {
        LogId(id.0)
    }
}

impl From<ProjectId> for LogId {
    fn from(id: ProjectId) -> Self {
        LogId(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_bytes() {
        let id = RawId::new();
        let text = id.to_string();
        assert_eq!(text.len(), 26);
        assert_eq!(text.parse::<RawId>().unwrap(), id);
        assert_eq!(RawId::from_bytes(id.to_bytes()), id);
        assert_eq!(text.to_lowercase().parse::<RawId>().unwrap(), id);
    }

    #[test]
    fn ids_sort_in_creation_order_as_text_and_bytes() {
        let ids: Vec<RawId> = (0..2000).map(|_| RawId::new()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[0].to_string() < pair[1].to_string());
            assert!(pair[0].to_bytes() < pair[1].to_bytes());
        }
    }

    #[test]
    fn id_carries_its_creation_time() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let id = RawId::new();
        assert!(id.millis() >= before && id.millis() < before + 5_000);
    }

    #[test]
    fn bad_id_text_is_refused_with_the_reason() {
        assert!(matches!("abc".parse::<RawId>(), Err(IdError::Length(_, 3))));
        assert!(matches!("0000000000000000000000000U".parse::<RawId>(), Err(IdError::Character(_, 'U'))));
        assert!(matches!("Z0000000000000000000000000".parse::<RawId>(), Err(IdError::Overflow(_))));
    }

    #[test]
    fn typed_ids_serialize_as_plain_strings() {
        let id = TaskId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<TaskId>(&json).unwrap(), id);
    }
}
