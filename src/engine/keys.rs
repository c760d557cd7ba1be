//! API keys typed in Settings: kept in `keys.json` in the data dir, readable by the owner only, and
//! used before the environment's. Surfaces only ever hear whether a key is set and where from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::llm::discovery::CLOUD_PROVIDERS;
use crate::protocol::{ApiKeyStatus, Event, KeySource};

use super::Engine;

const FILE: &str = "keys.json";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} is not a provider key Aura knows; use one of ANTHROPIC_API_KEY, DEEPSEEK_API_KEY, OPENAI_API_KEY")]
    Unknown(String),
    #[error("the keys file {path} could not be read ({why}); fix or delete it, then save the key again")]
    Read { path: PathBuf, why: String },
    #[error("the key could not be saved in {path} ({why})")]
    Write { path: PathBuf, why: String },
}

/// The keys saved in Settings, by the environment variable they stand for.
pub fn load(data_dir: &Path) -> Result<BTreeMap<String, String>, KeyError> {
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| KeyError::Read { path, why: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(KeyError::Read { path, why: e.to_string() }),
    }
}

/// Saves (or with `None` removes) the key for `env`. The file is written whole to a temporary file
/// created owner-only, then renamed over the old one: a crash leaves one or the other, never half.
pub fn save(data_dir: &Path, env: &str, key: Option<&str>) -> Result<(), KeyError> {
    if !CLOUD_PROVIDERS.iter().any(|p| p.key_env == env) {
        return Err(KeyError::Unknown(env.to_string()));
    }
    let mut keys = load(data_dir)?;
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => keys.insert(env.to_string(), key.to_string()),
        None => keys.remove(env),
    };
    let path = data_dir.join(FILE);
    let temp = data_dir.join(format!("{FILE}.tmp"));
    let failed = |e: std::io::Error| KeyError::Write { path: path.clone(), why: e.to_string() };
    let text = serde_json::to_vec_pretty(&keys).map_err(|e| failed(std::io::Error::other(e)))?;
    let _ = std::fs::remove_file(&temp);
    let mut file = owner_only(&temp).map_err(failed)?;
    file.write_all(&text).and_then(|()| file.sync_all()).map_err(failed)?;
    std::fs::rename(&temp, &path).map_err(failed)
}

#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Where each cloud provider's key comes from; never the key.
pub fn statuses(saved: &BTreeMap<String, String>) -> Vec<ApiKeyStatus> {
    CLOUD_PROVIDERS
        .iter()
        .map(|p| ApiKeyStatus {
            provider: p.name.to_string(),
            env: p.key_env.to_string(),
            source: if saved.contains_key(p.key_env) {
                KeySource::Settings
            } else if p.configured() {
                KeySource::Environment
            } else {
                KeySource::Missing
            },
        })
        .collect()
}

impl Engine {
    /// Tells the surface which keys are set, and where from.
    pub(super) fn announce_keys(&mut self) {
        match load(&self.data_dir) {
            Ok(saved) => self.emit(Event::ApiKeys { keys: statuses(&saved) }),
            Err(e) => self.emit(Event::StoreWarning { message: e.to_string() }),
        }
    }

    pub(super) fn set_api_key(&mut self, command: u64, env: String, key: Option<String>) {
        match save(&self.data_dir, &env, key.as_deref()) {
            Ok(()) => self.announce_keys(),
            Err(e) => self.fail(command, e.to_string()),
        }
    }

    /// The key saved in Settings for `env`, if any (the environment's is read by the provider).
    pub(super) fn saved_key(&self, env: &str) -> Option<String> {
        load(&self.data_dir).ok()?.remove(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_saved_owner_only_and_removed_again() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), "DEEPSEEK_API_KEY", Some("  sk-test  ")).unwrap();
        assert_eq!(load(dir.path()).unwrap().get("DEEPSEEK_API_KEY").map(String::as_str), Some("sk-test"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let listed = statuses(&load(dir.path()).unwrap());
        assert!(listed.iter().any(|s| s.env == "DEEPSEEK_API_KEY" && s.source == KeySource::Settings));
        save(dir.path(), "DEEPSEEK_API_KEY", None).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        assert!(matches!(save(dir.path(), "PATH", Some("x")), Err(KeyError::Unknown(_))));
    }

    #[test]
    fn a_broken_keys_file_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        assert!(matches!(save(dir.path(), "OPENAI_API_KEY", Some("k")), Err(KeyError::Read { .. })));
        assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), "{not json");
    }
}
