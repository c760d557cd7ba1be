//! The dock's tabs: a small enum of ids (never content), so a layout serializes cleanly. A Drone's
//! tab is named by its manifest name, so it is not `Copy`. Every ui module may name a tab, so this
//! one names nothing of theirs.

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
    /// One Drone's runs and their conversations.
    Drone(String),
    /// Project-wide search of the files.
    Search,
}

impl Tab {
    pub const ALL: [Tab; 10] = [
        Tab::Chat,
        Tab::Specs,
        Tab::Tasks,
        Tab::Review,
        Tab::Drones,
        Tab::Memory,
        Tab::Usage,
        Tab::Settings,
        Tab::Companion,
        Tab::Search,
    ];

    /// The fixed tabs' names, or the Drone's.
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
            Tab::Drone(name) => name,
            Tab::Search => "Search",
        }
    }
}
