//! The view model: what the desktop draws, built only from engine events.

use std::path::PathBuf;

use crate::domain::Project;
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

#[derive(Debug)]
pub struct ViewModel {
    pub connection: Connection,
    pub projects: Vec<Project>,
    /// Errors and warnings the user has not dismissed, newest last.
    pub notices: Vec<String>,
    /// The model servers found on this machine, once searched.
    pub local_servers: Option<Vec<LocalServerStatus>>,
    pub discovering: bool,
}

impl Default for ViewModel {
    fn default() -> Self {
        ViewModel {
            connection: Connection::Starting,
            projects: Vec::new(),
            notices: Vec::new(),
            local_servers: None,
            discovering: false,
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
                self.projects.insert(0, snapshot.project);
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
