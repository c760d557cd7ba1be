//! The project's Drones as the Drones tab and each Drone's own tab show them: the Drones (built-in
//! and its own `.aura/drones/NAME.toml`), the manifests that could not be read, the draft being made
//! or edited, the goals being typed, and the runs. Built only from engine events; what the user does
//! becomes intents.

mod panel;
mod runs;
mod tab;

use std::collections::HashMap;

use crate::domain::{DroneManifest, DroneSource, ProjectId};
use crate::protocol::{Command, Event};

use super::intents::Intents;

pub use panel::drones_ui;
pub use runs::DroneRuns;
pub use tab::drone_tab_ui;

#[derive(Debug, Default)]
pub struct DronesView {
    project: Option<ProjectId>,
    pub drones: Vec<(DroneManifest, DroneSource)>,
    pub errors: Vec<String>,
    pub selected: Option<String>,
    /// The Drone being made or edited.
    pub draft: Option<DroneManifest>,
    pub runs: DroneRuns,
    /// What each Drone is to be asked next, as typed in its tab or here.
    goals: HashMap<String, String>,
    /// A Drone whose tab's goal field takes the keyboard when the tab is next drawn.
    pub focus_goal: Option<String>,
}

impl DronesView {
    pub fn open(project: ProjectId, runs: Vec<crate::domain::DroneRun>, intents: &mut Intents) -> DronesView {
        intents.send(Command::ListDrones { project });
        DronesView { project: Some(project), runs: DroneRuns::open(project, runs), ..DronesView::default() }
    }

    pub fn manifest(&self, name: &str) -> Option<&DroneManifest> {
        self.drones.iter().map(|(d, _)| d).find(|d| d.name == name)
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        self.runs.apply(event, intents);
        if let Event::DroneList { project, drones, errors } = event
            && self.project == Some(*project)
        {
            self.drones = drones.clone();
            self.errors = errors.clone();
            // A saved draft is listed now as the workspace's own: the form closes on it.
            if let Some(draft) = &self.draft
                && self.drones.iter().any(|(d, source)| d.name == draft.name.trim() && *source != DroneSource::BuiltIn)
            {
                self.selected = Some(draft.name.trim().to_string());
                self.draft = None;
            }
        }
    }
}
