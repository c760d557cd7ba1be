//! The dock's tabs: a small enum of ids (never content), so a layout serializes cleanly. A Drone's
//! tab is named by its manifest name, so it is not `Copy`.

use egui::{Id, Ui, WidgetText};
use egui_dock::{NodePath, TabViewer};
use serde::{Deserialize, Serialize};

use crate::protocol::Command;

use super::companion::{CompanionSwitch, companion_ui};
use super::settings::settings_ui;
use super::view::{Connection, ViewModel};

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
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Chat,
        Tab::Specs,
        Tab::Tasks,
        Tab::Review,
        Tab::Drones,
        Tab::Memory,
        Tab::Usage,
        Tab::Settings,
        Tab::Companion,
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
        }
    }
}

/// What a tab's menu or shortcut asks of the docks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TabRequest {
    Show(Tab),
    MoveToNewWindow(Tab),
    DockBack(Tab),
}

/// Draws each tab from the view model; what the user asks for is queued as commands, and as
/// requests to the docks.
pub struct Tabs<'a> {
    pub view: &'a mut ViewModel,
    pub commands: &'a mut Vec<Command>,
    /// Whether these tabs are in a native window rather than the main one.
    pub in_window: bool,
    pub requests: &'a mut Vec<TabRequest>,
    pub companion: &'a mut CompanionSwitch,
}

impl TabViewer for Tabs<'_> {
    type Tab = Tab;

    fn id(&mut self, tab: &mut Tab) -> Id {
        Id::new(("aura-tab", &*tab))
    }

    /// A Drone's tab is marked while one of its runs is running (with a glyph the default
    /// proportional fonts have).
    fn title(&mut self, tab: &mut Tab) -> WidgetText {
        match tab {
            Tab::Drone(name) if self.view.drones.runs.is_running(name) => format!("{name} ⏳").into(),
            tab => tab.title().into(),
        }
    }

    fn ui(&mut self, ui: &mut Ui, tab: &mut Tab) {
        match tab {
            Tab::Settings => settings_ui(ui, self.view, self.commands),
            Tab::Tasks => super::tasks_panel::tasks_ui(ui, self.view, self.commands),
            Tab::Chat => super::chat::chat_ui(ui, self.view, self.commands),
            Tab::Review => super::review::review_ui(ui, self.view, self.commands),
            Tab::Drones => super::drones::drones_ui(ui, self.view, self.commands),
            Tab::Drone(name) => super::drones::drone_tab_ui(ui, name, self.view, self.commands),
            Tab::Usage if self.view.project.is_none() => super::usage::no_project_ui(ui),
            Tab::Usage => super::usage::usage_ui(ui, &self.view.usage, self.view.chat.session),
            Tab::Specs => super::specs::specs_ui(ui, self.view, self.commands),
            Tab::Memory => super::memory::memory_ui(ui, self.view, self.commands),
            Tab::Companion => {
                let ready = matches!(self.view.connection, Connection::Ready { .. });
                companion_ui(ui, self.companion, ready)
            }
        }
    }

    fn context_menu(&mut self, ui: &mut Ui, tab: &mut Tab, _path: NodePath) {
        let (label, request) = if self.in_window {
            ("Dock back", TabRequest::DockBack(tab.clone()))
        } else {
            ("Move to new window", TabRequest::MoveToNewWindow(tab.clone()))
        };
        if ui.button(label).clicked() {
            self.requests.push(request);
            ui.close();
        }
    }

    /// Names the tab's button for assistive technology (and tests): "Chat tab".
    fn on_tab_button(&mut self, tab: &mut Tab, response: &egui::Response) {
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, format!("{} tab", tab.title())));
    }

    /// Tabs float in native windows ("Move to new window"), not in windows inside a dock.
    fn allowed_in_windows(&self, _tab: &mut Tab) -> bool {
        false
    }
}
