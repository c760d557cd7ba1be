use std::path::PathBuf;

/// The environment variable that overrides the data directory (the `--data-dir` flag wins over it).
pub const DATA_DIR_ENV: &str = "AURA_DATA_DIR";

/// `$XDG_DATA_HOME/aura` (or the platform's data dir), or `./aura-data` if the platform has none.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().map(|d| d.join("aura")).unwrap_or_else(|| PathBuf::from("aura-data"))
}

/// The data dir to use: the flag if given, else `AURA_DATA_DIR` if set and not empty, else the default.
pub fn resolve_data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(default_data_dir)
}
