//! Which Drones a workspace has: the built-in templates, then every `.aura/drones/*.toml`, where a
//! custom Drone named like a built-in replaces it. A bad manifest becomes an error entry beside the
//! Drones that loaded; it never stops the others.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::{DroneManifest, DroneSource};

use super::manifest::ManifestError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedDrone {
    pub manifest: DroneManifest,
    pub source: DroneSource,
}

/// The built-in templates, in the order the Drones tab lists them.
const BUILT_IN: [(&str, &str); 7] = [
    ("tests", include_str!("../../../assets/drones/tests.toml")),
    ("docs", include_str!("../../../assets/drones/docs.toml")),
    ("release-notes", include_str!("../../../assets/drones/release-notes.toml")),
    ("cleanup", include_str!("../../../assets/drones/cleanup.toml")),
    ("debug", include_str!("../../../assets/drones/debug.toml")),
    ("review", include_str!("../../../assets/drones/review.toml")),
    ("ui-polish", include_str!("../../../assets/drones/ui-polish.toml")),
];

/// Where a workspace keeps its own Drones.
pub const FOLDER: &str = ".aura/drones";

/// The built-ins and the workspace's Drones, with each manifest that could not be read; an
/// unreadable folder is an error of its own (`Err`).
pub fn load(workspace: &Path) -> Result<(Vec<LoadedDrone>, Vec<ManifestError>), std::io::Error> {
    let mut drones: Vec<LoadedDrone> = BUILT_IN
        .iter()
        .filter_map(|(name, text)| {
            let path = PathBuf::from(format!("assets/drones/{name}.toml"));
            DroneManifest::parse(&path, text)
                .ok()
                .map(|manifest| LoadedDrone { manifest, source: DroneSource::BuiltIn })
        })
        .collect();
    let mut errors = Vec::new();
    let folder = workspace.join(FOLDER);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    for file in files {
        let shown = Path::new(FOLDER).join(file.file_name().unwrap_or_default());
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| ManifestError {
                path: shown.clone(),
                line: 1,
                column: 1,
                message: format!("cannot be read: {e}"),
            })
            .and_then(|text| DroneManifest::parse(&shown, &text));
        match parsed {
            Ok(manifest) => {
                drones.retain(|d| d.manifest.name != manifest.name);
                let source = DroneSource::Workspace { path: shown.to_string_lossy().to_string() };
                drones.push(LoadedDrone { manifest, source });
            }
            Err(error) => errors.push(error),
        }
    }
    Ok((drones, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ToolPolicy;

    #[test]
    fn every_built_in_template_parses() {
        for (name, text) in BUILT_IN {
            let manifest = DroneManifest::parse(Path::new(&format!("{name}.toml")), text)
                .unwrap_or_else(|e| panic!("built-in {name}: {e}"));
            assert_eq!(manifest.name, name);
        }
    }

    #[test]
    fn a_bad_manifest_is_listed_and_the_others_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("migrations.toml"),
            "name = \"migrations\"\nrole = \"db\"\nmodle = \"x\"\ninstructions = \"i\"\n",
        )
        .unwrap();
        // A custom `review` that may write replaces the built-in one.
        std::fs::write(
            folder.join("review.toml"),
            "name = \"review\"\nrole = \"strict review\"\ninstructions = \"i\"\n",
        )
        .unwrap();
        let (drones, errors) = load(dir.path()).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            ".aura/drones/migrations.toml:3:1: unknown key \"modle\"; did you mean \"model\"?"
        );
        assert_eq!(drones.len(), BUILT_IN.len());
        let review = drones.iter().find(|d| d.manifest.name == "review").unwrap();
        assert_eq!(review.manifest.role, "strict review");
        assert_eq!(review.manifest.tool_policy, ToolPolicy::NormalReview);
        assert_eq!(review.source, DroneSource::Workspace { path: ".aura/drones/review.toml".into() });
    }
}
