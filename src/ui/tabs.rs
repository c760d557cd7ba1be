//! The dock's tabs: a small enum of ids (never content), so a layout serializes cleanly. A Drone's
//! tab is named by its manifest name and a file's by its path, so it is not `Copy`. Every ui module
//! may name a tab, so this one names nothing of theirs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tab {
    Chat,
    Specs,
    Tasks,
    Review,
    Drones,
    Memory,
    Usage,
    Settings,
    /// The server for the phone page, and pairing.
    Companion,
    /// The workspace's tree.
    Files,
    /// The workspace's repository: status, diffs, staging and commits.
    Git,
    /// One Drone's runs and their conversations.
    Drone(String),
    /// Project-wide search of the files.
    Search,
    /// One workspace file in the viewer, by its path relative to the root.
    File(String),
}

impl Tab {
    pub const ALL: [Tab; 12] = [
        Tab::Chat,
        Tab::Specs,
        Tab::Tasks,
        Tab::Review,
        Tab::Drones,
        Tab::Memory,
        Tab::Usage,
        Tab::Settings,
        Tab::Companion,
        Tab::Files,
        Tab::Git,
        Tab::Search,
    ];

    /// The fixed tabs' names, the Drone's, or the file's own name.
    pub fn title(&self) -> &str {
        match self {
            Tab::Chat => "Chat",
            Tab::Specs => "Specs",
            Tab::Tasks => "Tasks",
            Tab::Review => "Review",
            Tab::Drones => "Drones",
            Tab::Memory => "Memory",
            Tab::Usage => "Usage",
            Tab::Settings => "Settings",
            Tab::Companion => "Companion",
            Tab::Files => "Files",
            Tab::Git => "Git",
            Tab::Drone(name) => name,
            Tab::Search => "Search",
            Tab::File(path) => path.rsplit('/').next().unwrap_or(path),
        }
    }
}
