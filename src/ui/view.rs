//! The view model: what the desktop draws, built only from engine events.

use std::path::PathBuf;

use crate::domain::{Check, Project};
use crate::protocol::{Event, LocalServerStatus};

/// Where the connection to the engine stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// The store is being opened.
    Starting,
    Ready {
        app_version: String,
        data_dir: PathBuf,
    },
    /// The store could not be opened; the message says what to do.
    Failed(String),
}

/// The project open in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectView {
    pub project: Project,
    pub detected_checks: Vec<Check>,
    /// The user's own checks as stored.
    pub check_overrides: Vec<Check>,
    /// The user's own checks as being edited in Settings.
    pub check_draft: Vec<Check>,
}

#[derive(Debug)]
pub struct ViewModel {
    pub connection: Connection,
    pub projects: Vec<Project>,
    /// Errors and warnings the user has not dismissed, newest last.
    pub notices: Vec<String>,
    /// The model servers found on this machine, once searched.
    pub local_servers: Option<Vec<LocalServerStatus>>,
    pub discovering: bool,
    pub project: Option<ProjectView>,
    /// The folder path typed in Settings to open a project.
    pub folder_input: String,
}

impl Default for ViewModel {
    fn default() -> Self {
        ViewModel {
            connection: Connection::Starting,
            projects: Vec::new(),
            notices: Vec::new(),
            local_servers: None,
            discovering: false,
            project: None,
            folder_input: String::new(),
        }
    }
}

impl ViewModel {
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Welcome { app_version, data_dir, .. } => {
                self.connection = Connection::Ready { app_version, data_dir }
            }
            Event::Error { message, .. } | Event::StoreWarning { message } => self.notices.push(message),
            Event::Projects { projects } => self.projects = projects,
            Event::ProjectOpened { snapshot } => {
                self.projects.retain(|p| p.id != snapshot.project.id);
                self.projects.insert(0, snapshot.project.clone());
                self.project = Some(ProjectView {
                    project: snapshot.project,
                    detected_checks: snapshot.detected_checks,
                    check_draft: snapshot.check_overrides.clone(),
                    check_overrides: snapshot.check_overrides,
                });
            }
            Event::ChecksChanged { project, overrides } => {
                if let Some(open) = self.project.as_mut().filter(|p| p.project.id == project) {
                    open.check_draft = overrides.clone();
                    open.check_overrides = overrides;
                }
            }
            Event::LocalServers { servers } => {
                self.local_servers = Some(servers);
                self.discovering = false;
            }
            // The panels that show the rest arrive with their features.
            _ => {}
        }
    }
}
