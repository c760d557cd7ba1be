//! The command palette (Ctrl+Shift+P): every action of the window by name, filtered as you type;
//! Enter runs the highlighted one, arrows move, Escape closes. Actions the current state cannot take
//! (no project, nothing to review) are not offered.

use egui::{Id, Key, KeyboardShortcut, Modifiers, RichText, TextEdit};

use std::path::PathBuf;

use crate::domain::SessionId;
use crate::protocol::LoopControl;

use super::tabs::Tab;
use super::view::ViewModel;

pub const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::P);
/// Brings the Search tab forward with its query box focused.
pub const SEARCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::F);

/// What the window can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Show(Tab),
    /// Opens the named Drone's tab with its goal field focused.
    SummonDrone(String),
    FocusChat,
    /// The Files tab with its filter focused.
    FindFile,
    /// The Search tab, its query box focused.
    SearchProject,
    StopTurn,
    Loop(LoopControl),
    GenerateSpecs,
    SyncTasks,
    AcceptChange,
    RejectChange,
    OpenFolder,
    /// The window asking for a folder's path.
    TypeFolder,
    OpenProject(PathBuf),
    NewChat,
    ToggleConversations,
    OpenConversation(SessionId),
    MoveToNewWindow(Tab),
    DockBack(Tab),
    ToggleTheme,
    FontLarger,
    FontSmaller,
    ResetLayout,
}

/// Where the open tabs are: the window actions offered depend on it.
#[derive(Debug, Default)]
pub struct Placement {
    pub in_main: Vec<Tab>,
    pub in_windows: Vec<Tab>,
}

/// Every action the state allows now, with its name and shortcut.
pub fn actions(view: &ViewModel, placement: &Placement) -> Vec<(String, &'static str, Action)> {
    let mut out: Vec<(String, &'static str, Action)> = Vec::new();
    // The first nine tabs have shortcuts (docks::TAB_KEYS); every tab has its action.
    const TAB_KEYS: [&str; 9] =
        ["Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+5", "Ctrl+6", "Ctrl+7", "Ctrl+8", "Ctrl+9"];
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        out.push((format!("Show {}", tab.title()), TAB_KEYS.get(i).copied().unwrap_or(""), Action::Show(tab)));
    }
    if view.project.is_some() {
        out.push(("Focus the chat input".into(), "Ctrl+L", Action::FocusChat));
        out.push(("Go to a file by name".into(), "Ctrl+P", Action::FindFile));
        out.push(("Search the project".into(), "Ctrl+Shift+F", Action::SearchProject));
        if view.chat.running {
            out.push(("Stop the chat's turn".into(), "", Action::StopTurn));
        }
        out.push(("Start the dev loop".into(), "", Action::Loop(LoopControl::Start)));
        out.push(("Pause the dev loop".into(), "", Action::Loop(LoopControl::Pause)));
        out.push(("Resume the dev loop".into(), "", Action::Loop(LoopControl::Resume)));
        out.push(("Stop the dev loop".into(), "", Action::Loop(LoopControl::Stop)));
        out.push(("Generate specs from requirements.md".into(), "", Action::GenerateSpecs));
        out.push(("Read the spec files into tasks".into(), "", Action::SyncTasks));
        for (drone, _) in &view.drones.drones {
            out.push((format!("Summon Drone: {}", drone.name), "", Action::SummonDrone(drone.name.clone())));
        }
        if let Some(change) = view.review.current() {
            out.push((format!("Accept all of “{}”", change.title), "", Action::AcceptChange));
            out.push((format!("Reject all of “{}”", change.title), "", Action::RejectChange));
        }
        out.push(("New chat".into(), "", Action::NewChat));
        out.push(("Show or hide the conversations".into(), "", Action::ToggleConversations));
        for c in &view.conversations.list {
            out.push((format!("Open conversation: {}", c.title), "", Action::OpenConversation(c.session)));
        }
    }
    for tab in &placement.in_main {
        out.push((format!("Move {} to a new window", tab.title()), "", Action::MoveToNewWindow(tab.clone())));
    }
    for tab in &placement.in_windows {
        out.push((format!("Dock {} back into the main window", tab.title()), "", Action::DockBack(tab.clone())));
    }
    let open = view.project.as_ref().map(|p| p.project.id);
    for project in view.projects.iter().filter(|p| Some(p.id) != open) {
        out.push((format!("Open recent project: {}", project.name), "", Action::OpenProject(project.root.clone())));
    }
    out.push(("Open a folder…".into(), "", Action::OpenFolder));
    out.push(("Open a folder by typing its path".into(), "", Action::TypeFolder));
    out.push(("Switch between dark and light theme".into(), "", Action::ToggleTheme));
    out.push(("Larger text".into(), "", Action::FontLarger));
    out.push(("Smaller text".into(), "", Action::FontSmaller));
    out.push(("Reset the layout".into(), "", Action::ResetLayout));
    out
}

/// Whether every word of the query appears in the name (any order, any case).
fn matches(name: &str, query: &str) -> bool {
    let name = name.to_lowercase();
    query.to_lowercase().split_whitespace().all(|word| name.contains(word))
}

#[derive(Debug, Default)]
pub struct Palette {
    pub open: bool,
    query: String,
    selected: usize,
}

impl Palette {
    pub fn toggle(&mut self) {
        self.open = !self.open;
        self.query.clear();
        self.selected = 0;
    }

    /// Draws the palette when open; returns the action chosen.
    pub fn palette_ui(&mut self, ctx: &egui::Context, view: &ViewModel, placement: &Placement) -> Option<Action> {
        if !self.open {
            return None;
        }
        let offered: Vec<(String, &'static str, Action)> =
            actions(view, placement).into_iter().filter(|(name, _, _)| matches(name, &self.query)).collect();
        let (down, up, enter, escape) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::Enter),
                i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if down {
            self.selected = (self.selected + 1).min(offered.len().saturating_sub(1));
        }
        if up {
            self.selected = self.selected.saturating_sub(1);
        }
        let mut chosen = enter.then(|| offered.get(self.selected).map(|o| o.2.clone())).flatten();
        let modal = egui::Modal::new(Id::new("aura-palette")).show(ctx, |ui| {
            ui.set_width(460.0);
            let edit = ui.add(
                TextEdit::singleline(&mut self.query)
                    .id(Id::new("aura-palette-query"))
                    .hint_text("Type a command")
                    .desired_width(f32::INFINITY),
            );
            edit.request_focus();
            if edit.changed() {
                self.selected = 0;
            }
            ui.separator();
            if offered.is_empty() {
                ui.label(RichText::new("No command matches.").weak());
            }
            egui::ScrollArea::vertical().max_height(360.0).min_scrolled_height(360.0).show(ui, |ui| {
                for (index, (name, keys, action)) in offered.iter().enumerate() {
                    ui.horizontal(|ui| {
                        if ui.selectable_label(index == self.selected, name.as_str()).clicked() {
                            chosen = Some(action.clone());
                        }
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            ui.label(RichText::new(*keys).weak().small());
                        });
                    });
                }
            });
        });
        if chosen.is_some() || escape || modal.should_close() {
            self.open = false;
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_match_in_any_order() {
        assert!(matches("Start the dev loop", "loop start"));
        assert!(matches("Show Review", "REV"));
        assert!(!matches("Show Review", "review chat"));
    }

    #[test]
    fn project_actions_need_a_project() {
        let view = ViewModel::default();
        let names: Vec<String> = actions(&view, &Placement::default()).into_iter().map(|a| a.0).collect();
        assert!(names.contains(&"Show Chat".to_string()));
        assert!(!names.iter().any(|n| n.contains("dev loop")), "{names:?}");
    }

    #[test]
    fn window_actions_follow_where_the_tabs_are() {
        let view = ViewModel::default();
        let placement = Placement { in_main: vec![Tab::Chat], in_windows: vec![Tab::Review] };
        let names: Vec<String> = actions(&view, &placement).into_iter().map(|a| a.0).collect();
        assert!(names.contains(&"Move Chat to a new window".to_string()), "{names:?}");
        assert!(names.contains(&"Dock Review back into the main window".to_string()), "{names:?}");
        assert!(!names.contains(&"Move Review to a new window".to_string()), "{names:?}");
    }
}
