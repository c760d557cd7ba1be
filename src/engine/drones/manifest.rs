//! A Drone's manifest: `.aura/drones/NAME.toml`, readable and diffable so a team shares Drones
//! through git. Parsing names the file, line and column of any problem and suggests the key meant;
//! rendering writes the same layout back.

use std::path::{Path, PathBuf};

use crate::domain::{DroneManifest, ToolPolicy, Trigger};

/// What is wrong with a manifest, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ManifestError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

const KEYS: [&str; 9] =
    ["name", "role", "instructions", "model", "tool_policy", "sandbox", "mcp_servers", "triggers", "budget"];
const BUDGET_KEYS: [&str; 3] = ["max_tokens", "max_steps", "max_seconds"];

/// 1-based line and column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The known key closest to `unknown` by edit distance, if it is close enough to be a typo.
fn suggestion(unknown: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut previous = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let current = row[j + 1];
                row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(current + 1);
                previous = current;
            }
        }
        row[b.len()]
    }
    KEYS.iter()
        .chain(BUDGET_KEYS.iter())
        .map(|k| (distance(unknown, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Turns serde's wording into ours: `unknown key "modle"; did you mean "model"?`.
fn explain(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    if let Some(rest) = first.strip_prefix("unknown field `")
        && let Some((key, _)) = rest.split_once('`')
    {
        return match suggestion(key) {
            Some(known) => format!("unknown key \"{key}\"; did you mean \"{known}\"?"),
            None => format!("unknown key \"{key}\"; a manifest has {}", KEYS.join(", ")),
        };
    }
    first.replace("missing field", "missing key").replace('`', "\"")
}

impl DroneManifest {
    /// Reads a manifest; `path` is only for the messages (and the name, which must match the file).
    pub fn parse(path: &Path, text: &str) -> Result<DroneManifest, ManifestError> {
        let error = |line, column, message| ManifestError { path: path.to_path_buf(), line, column, message };
        let manifest: DroneManifest = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| position(text, s.start)).unwrap_or((1, 1));
            error(line, column, explain(e.message()))
        })?;
        let name_at = |text: &str| text.find("name").map(|o| position(text, o)).unwrap_or((1, 1));
        if manifest.name.is_empty()
            || !manifest.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            let (line, column) = name_at(text);
            return Err(error(
                line,
                column,
                format!("name \"{}\" must be lowercase letters, digits and -", manifest.name),
            ));
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if stem != manifest.name && path.extension().is_some() {
            let (line, column) = name_at(text);
            return Err(error(
                line,
                column,
                format!("name \"{}\" must match the file name ({stem}.toml)", manifest.name),
            ));
        }
        Ok(manifest)
    }

    /// The manifest as a file, in the documented layout.
    pub fn render(&self) -> String {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = format!("name = {}\nrole = {}\n", quote(&self.name), quote(&self.role));
        out.push_str(&format!(
            "instructions = \"\"\"\n{}\n\"\"\"\n",
            self.instructions.trim_end().replace("\"\"\"", "\\\"\\\"\\\"")
        ));
        if let Some(model) = &self.model {
            out.push_str(&format!("model = {}\n", quote(model)));
        }
        let policy = match self.tool_policy {
            ToolPolicy::ReadOnly => "read_only",
            ToolPolicy::AskBeforeWrites => "ask_before_writes",
            ToolPolicy::NormalReview => "normal_review",
        };
        out.push_str(&format!("tool_policy = \"{policy}\"\n"));
        if let Some(sandbox) = self.sandbox {
            out.push_str(&format!("sandbox = \"{sandbox}\"\n"));
        }
        if let Some(servers) = &self.mcp_servers {
            let names: Vec<String> = servers.iter().map(|s| quote(s)).collect();
            out.push_str(&format!("mcp_servers = [{}]\n", names.join(", ")));
        }
        if !self.triggers.is_empty() {
            let names: Vec<&str> = self
                .triggers
                .iter()
                .map(|t| match t {
                    Trigger::AfterTaskFinished => "\"after_task_finished\"",
                    Trigger::AfterChangeSetApplied => "\"after_change_set_applied\"",
                })
                .collect();
            out.push_str(&format!("triggers = [{}]\n", names.join(", ")));
        }
        let b = self.budget;
        out.push_str(&format!(
            "\n[budget]\nmax_tokens = {}\nmax_steps = {}\nmax_seconds = {}\n",
            b.max_tokens, b.max_steps, b.max_seconds
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name = \"api-docs\"\nrole = \"documentation\"\ninstructions = \"\"\"\nKeep docs/api.md in step with src/api/.\n\"\"\"\nmodel = \"ollama/qwen2.5-coder:7b\"\ntool_policy = \"ask_before_writes\"\ntriggers = [\"after_task_finished\"]\n\n[budget]\nmax_tokens = 1000\nmax_steps = 5\nmax_seconds = 60\n";

    #[test]
    fn a_manifest_reads_and_renders_back_the_same() {
        let manifest = DroneManifest::parse(Path::new(".aura/drones/api-docs.toml"), GOOD).unwrap();
        assert_eq!(manifest.tool_policy, ToolPolicy::AskBeforeWrites);
        assert_eq!(manifest.sandbox, None);
        let boxed = DroneManifest { sandbox: Some(crate::domain::SandboxPolicy::ReadOnly), ..manifest.clone() };
        let again = DroneManifest::parse(Path::new(".aura/drones/api-docs.toml"), &boxed.render()).unwrap();
        assert_eq!(again.sandbox, Some(crate::domain::SandboxPolicy::ReadOnly), "{}", boxed.render());
        assert_eq!(manifest.triggers, [Trigger::AfterTaskFinished]);
        assert_eq!(manifest.budget.max_steps, 5);
        assert_eq!(manifest.render(), GOOD);
        let again = DroneManifest::parse(Path::new("api-docs.toml"), &manifest.render()).unwrap();
        assert_eq!(again, manifest);
    }

    #[test]
    fn a_typo_is_named_with_its_line_and_the_key_meant() {
        let text = GOOD.replace("model =", "modle =");
        let error = DroneManifest::parse(Path::new(".aura/drones/api-docs.toml"), &text).unwrap_err();
        assert_eq!((error.line, error.column), (6, 1));
        assert_eq!(error.message, "unknown key \"modle\"; did you mean \"model\"?");
        assert_eq!(error.to_string(), ".aura/drones/api-docs.toml:6:1: unknown key \"modle\"; did you mean \"model\"?");
    }

    #[test]
    fn missing_keys_bad_values_and_names_are_explained() {
        let path = Path::new("x.toml");
        let missing = DroneManifest::parse(path, "name = \"x\"\nrole = \"r\"\n").unwrap_err();
        assert!(missing.message.contains("missing key \"instructions\""), "{}", missing.message);
        let policy =
            DroneManifest::parse(path, "name = \"x\"\nrole = \"r\"\ninstructions = \"i\"\ntool_policy = \"yolo\"\n")
                .unwrap_err();
        assert_eq!(policy.line, 4);
        let named = DroneManifest::parse(Path::new("y.toml"), "name = \"x\"\nrole = \"r\"\ninstructions = \"i\"\n")
            .unwrap_err();
        assert!(named.message.contains("must match the file name (y.toml)"), "{}", named.message);
        let broken = DroneManifest::parse(path, "name = \"x\nrole = 1").unwrap_err();
        assert_eq!(broken.line, 1);
    }
}
