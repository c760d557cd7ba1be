//! Draws each tab from the view model; what the user asks for is pushed as intents.

use egui::{Id, Ui, WidgetText};
use egui_dock::tab_viewer::OnCloseResponse;
use egui_dock::{NodePath, TabViewer};

use super::companion::{CompanionSwitch, companion_ui};
use super::intents::{Intent, Intents};
use super::settings::settings_ui;
use super::tabs::Tab;
use super::view::{Connection, ViewModel};

/// The dock's tab viewer, for one frame: each tab drawn from the view model.
pub struct Tabs<'a> {
    pub view: &'a mut ViewModel,
    pub intents: &'a mut Intents,
    /// Whether these tabs are in a native window rather than the main one.
    pub in_window: bool,
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
            Tab::File(path) if self.view.viewer.get(path).is_some_and(|f| f.dirty()) => {
                format!("{} •", tab.title()).into()
            }
            tab => tab.title().into(),
        }
    }

    fn ui(&mut self, ui: &mut Ui, tab: &mut Tab) {
        match tab {
            Tab::Settings => settings_ui(ui, self.view, self.intents),
            Tab::Tasks => super::tasks_panel::tasks_ui(ui, self.view, self.intents),
            Tab::Chat => super::chat::chat_ui(ui, self.view, self.intents),
            Tab::Review => super::review::review_ui(ui, self.view, self.intents),
            Tab::Drones => super::drones::drones_ui(ui, self.view, self.intents),
            Tab::Drone(name) => super::drones::drone_tab_ui(ui, name, self.view, self.intents),
            Tab::Usage if self.view.project.is_none() => super::usage::no_project_ui(ui),
            Tab::Usage => super::usage::usage_ui(ui, &self.view.usage, self.view.chat.session),
            Tab::Specs => super::specs::specs_ui(ui, self.view, self.intents),
            Tab::Memory => super::memory::memory_ui(ui, self.view, self.intents),
            Tab::Files => super::files::files_ui(ui, self.view, self.intents),
            Tab::File(path) => super::viewer::viewer_ui(ui, path, self.view, self.intents),
            Tab::Git => super::git::git_ui(ui, self.view, self.intents),
            Tab::Search => super::search::search_ui(ui, self.view, self.intents),
            Tab::Companion => {
                let ready = matches!(self.view.connection, Connection::Ready { .. });
                companion_ui(ui, self.companion, ready)
            }
        }
    }

    /// A file tab with edits not saved stays open and says why.
    fn on_close(&mut self, tab: &mut Tab) -> OnCloseResponse {
        let Tab::File(path) = tab else { return OnCloseResponse::Close };
        match self.view.viewer.get_mut(path) {
            Some(file) if file.dirty() => {
                file.notice = Some(super::viewer::Notice::Unsaved);
                OnCloseResponse::Focus
            }
            _ => {
                self.view.viewer.close(path);
                OnCloseResponse::Close
            }
        }
    }

    fn context_menu(&mut self, ui: &mut Ui, tab: &mut Tab, _path: NodePath) {
        let (label, intent) = if self.in_window {
            ("Dock back", Intent::DockBack(tab.clone()))
        } else {
            ("Move to new window", Intent::MoveToNewWindow(tab.clone()))
        };
        if ui.button(label).clicked() {
            self.intents.push(intent);
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
