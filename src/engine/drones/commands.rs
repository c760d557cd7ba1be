//! The Drones commands: list a project's Drones (with manifest errors), and save a manifest made or
//! edited in the desktop as the user's own change (applied, checkpointed, undoable in Review).

use std::path::Path;

use crate::domain::{ChangeSet, DroneManifest, ProjectId};
use crate::edits::{self, EditError, WriteFile};
use crate::protocol::Event;

use super::super::{Engine, EngineResult};
use super::registry::{self, FOLDER};

impl Engine {
    pub(in crate::engine) fn list_drones(&mut self, command: u64, project: ProjectId) -> EngineResult {
        let root = match self.project(project) {
            Ok(project) => project.root,
            Err(message) => {
                self.fail(command, message);
                return Ok(());
            }
        };
        match registry::load(&root) {
            Ok((drones, errors)) => self.answer(Event::DroneList {
                project,
                drones: drones.into_iter().map(|d| (d.manifest, d.source)).collect(),
                errors: errors.iter().map(ToString::to_string).collect(),
            }),
            Err(e) => self.fail(command, format!("the Drones of {} could not be read ({e})", root.display())),
        }
        Ok(())
    }

    pub(in crate::engine) async fn save_drone_manifest(
        &mut self,
        command: u64,
        project: ProjectId,
        manifest: DroneManifest,
    ) -> EngineResult {
        if let Err(message) = self.write_manifest(project, &manifest).await {
            self.fail(command, message);
            return Ok(());
        }
        self.list_drones(command, project)
    }

    async fn write_manifest(&mut self, project: ProjectId, manifest: &DroneManifest) -> Result<(), String> {
        let path = format!("{FOLDER}/{}.toml", manifest.name);
        let text = manifest.render();
        // What is written must read back: a bad name or value is refused before any file is touched.
        DroneManifest::parse(Path::new(&path), &text).map_err(|e| e.to_string())?;
        let project = self.project(project)?;
        let workspace = crate::engine::projects::open_workspace(&project)?;
        let write = WriteFile { path: path.clone(), content: text, expected_hash: None };
        let change = match edits::plan_write(&write, &workspace) {
            Ok(change) => change,
            Err(EditError::NoChanges) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let review = self.review_of(&project)?;
        let changeset = ChangeSet::new(None, format!("Save the {} Drone", manifest.name), vec![change]);
        review.apply_own(changeset).await.map_err(|e| e.to_string())
    }
}
