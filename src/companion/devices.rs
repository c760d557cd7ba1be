//! Paired phones and their tokens. A token is 32 random bytes, given to its phone once (base64url)
//! and kept only as a SHA-256 hash in the settings table under `companion.device.<id>`, beside the
//! device's name, when it was paired and last used, and whether it was revoked. The list is held in
//! memory too, so checking a token never touches the disk.

use std::sync::Mutex;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::domain::now_millis;
use crate::store::{StoreError, StoreHandle, Table};

use super::{CompanionError, Device, sha256};

const KEY_PREFIX: &str = "companion.device.";
/// Uses closer together than this are not written down again.
const TOUCH_EVERY_MS: u64 = 60_000;
/// Device names are shown on the desktop; longer ones are cut.
const MAX_NAME_CHARS: usize = 64;

/// How a device is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    name: String,
    /// Hex SHA-256 of the token.
    token_sha256: String,
    created_at_ms: u64,
    last_used_ms: u64,
    revoked: bool,
}

struct Entry {
    id: String,
    stored: Stored,
    hash: [u8; 32],
}

impl Entry {
    fn device(&self) -> Device {
        Device {
            id: self.id.clone(),
            name: self.stored.name.clone(),
            created_at_ms: self.stored.created_at_ms,
            last_used_ms: self.stored.last_used_ms,
            revoked: self.stored.revoked,
        }
    }
}

pub struct Devices {
    store: StoreHandle,
    entries: Mutex<Vec<Entry>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> Result<[u8; N], CompanionError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| CompanionError::Randomness(e.to_string()))?;
    Ok(bytes)
}

impl Devices {
    /// The devices paired before; entries that cannot be read are skipped (and logged), so they
    /// can no longer connect.
    pub fn load(store: StoreHandle) -> Result<Devices, StoreError> {
        let decoded = store.reader().values_with_prefix::<Stored>(Table::Settings, KEY_PREFIX)?;
        let entries = decoded
            .items
            .into_iter()
            .filter_map(|(key, stored)| {
                let hash = decode_hex(&stored.token_sha256)?;
                Some(Entry { id: key[KEY_PREFIX.len()..].to_string(), stored, hash })
            })
            .collect();
        Ok(Devices { store, entries: Mutex::new(entries) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every device, revoked ones included, oldest first.
    pub fn list(&self) -> Vec<Device> {
        let mut devices: Vec<Device> = self.lock().iter().map(Entry::device).collect();
        devices.sort_by_key(|d| d.created_at_ms);
        devices
    }

    /// Pairs a new device: stores it, then returns it with its token (the only time the token
    /// exists outside the phone).
    pub async fn pair(&self, name: &str) -> Result<(Device, String), CompanionError> {
        let id = hex(&random::<8>()?);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?);
        let hash = sha256(token.as_bytes());
        let name = match name.trim() {
            "" => "phone".to_string(),
            name => name.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect(),
        };
        let now = now_millis();
        let stored = Stored { name, token_sha256: hex(&hash), created_at_ms: now, last_used_ms: now, revoked: false };
        save(&self.store, &id, &stored).await?;
        let entry = Entry { id, stored, hash };
        let device = entry.device();
        self.lock().push(entry);
        Ok((device, token))
    }

    /// The device `token` belongs to, unless it was revoked. Its last use is noted, and written
    /// down at most once a minute.
    pub fn authenticate(&self, token: &str) -> Option<Device> {
        let hash = sha256(token.as_bytes());
        let now = now_millis();
        let mut entries = self.lock();
        let entry = entries.iter_mut().find(|e| e.hash == hash && !e.stored.revoked)?;
        let stale = now.saturating_sub(entry.stored.last_used_ms) >= TOUCH_EVERY_MS;
        entry.stored.last_used_ms = now;
        if stale {
            let (store, id, stored) = (self.store.clone(), entry.id.clone(), entry.stored.clone());
            tokio::spawn(async move {
                if let Err(e) = save(&store, &id, &stored).await {
                    tracing::warn!("the last use of a Companion device could not be stored: {e}");
                }
            });
        }
        Some(entry.device())
    }

    pub fn is_revoked(&self, id: &str) -> bool {
        self.lock().iter().any(|e| e.id == id && e.stored.revoked)
    }

    /// Marks a device revoked at once (its token stops working now) and returns the write that
    /// keeps it so.
    pub fn revoke(&self, id: &str) -> Option<impl Future<Output = Result<(), StoreError>> + Send + 'static> {
        let mut entries = self.lock();
        let entry = entries.iter_mut().find(|e| e.id == id)?;
        entry.stored.revoked = true;
        let (store, id, stored) = (self.store.clone(), entry.id.clone(), entry.stored.clone());
        Some(async move { save(&store, &id, &stored).await })
    }
}

async fn save(store: &StoreHandle, id: &str, stored: &Stored) -> Result<(), StoreError> {
    let (key, stored) = (format!("{KEY_PREFIX}{id}"), stored.clone());
    store.write(move |w| w.put_value(Table::Settings, &key, &stored)).await
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
