//! `aura doctor`: what a user checks first when something does not work.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::llm::discovery::{self, CLOUD_PROVIDERS, LOCAL_SERVERS, Probe};
use crate::store::{SCHEMA_VERSION, Store, StoreOptions};

/// Prints the report; the result is an error (exit code 1) when the store cannot be used.
pub fn doctor(data_dir: &Path) -> anyhow::Result<()> {
    let mut out = String::new();
    let _ = writeln!(out, "Aura {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "Data dir:  {}", data_dir.display());
    let store_result = store_report(data_dir, &mut out);
    let _ = writeln!(out, "Providers:");
    for provider in CLOUD_PROVIDERS {
        let state = if provider.configured() { "key set" } else { "no key" };
        let _ = writeln!(out, "  {:<10} {state} ({})", provider.name, provider.key_env);
    }
    let _ = writeln!(out, "Local model servers (127.0.0.1):");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let probes = runtime.block_on(discovery::probe_all(&LOCAL_SERVERS, Duration::from_millis(800)));
    let any_available = CLOUD_PROVIDERS.iter().any(|p| p.configured())
        || probes.iter().any(|(_, probe)| matches!(probe, Probe::Reachable { .. }));
    for (server, probe) in probes {
        let state = match probe {
            Probe::Reachable { models } if models.is_empty() => "reachable, no models yet".to_string(),
            Probe::Reachable { models } => format!("reachable, {} model(s): {}", models.len(), models.join(", ")),
            Probe::Unexpected { detail } => format!("something answers, but not as {}: {detail}", server.name),
            Probe::NotReachable => "not running".to_string(),
        };
        let _ = writeln!(out, "  {:<10} :{:<5} {state}", server.name, server.port);
    }
    if !any_available {
        let _ = writeln!(
            out,
            "No model provider is available: set one of the keys above, or start a local server (for example `ollama serve`)."
        );
    }
    print!("{out}");
    store_result
}

fn store_report(data_dir: &Path, out: &mut String) -> anyhow::Result<()> {
    let absent = match std::fs::read_dir(data_dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    };
    if absent {
        let _ = writeln!(out, "Store:     not created yet (Aura creates it on first start)");
        return Ok(());
    }
    match Store::open(data_dir, &StoreOptions::default()).and_then(|store| store.stats()) {
        Ok(stats) => {
            let _ = writeln!(
                out,
                "Store:     ok, schema version {} (this Aura reads up to {SCHEMA_VERSION})",
                stats.schema_version
            );
            let _ = writeln!(
                out,
                "           {} used of a {} map, {} reader(s)",
                human_bytes(stats.used_bytes),
                human_bytes(stats.map_size as u64),
                stats.readers
            );
            let counts: Vec<String> = stats
                .tables
                .iter()
                .filter(|t| t.table != crate::store::Table::Meta)
                .map(|t| format!("{} {}", t.table.name(), t.entries))
                .collect();
            let _ = writeln!(out, "           {}", counts.join(" · "));
            Ok(())
        }
        Err(e) => {
            let _ = writeln!(out, "Store:     error: {e}");
            Err(e.into())
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}
