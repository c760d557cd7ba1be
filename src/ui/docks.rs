//! The docks: the main window's, and one per native window (an egui viewport, to place on another
//! monitor). A tab is in one dock at a time. It moves to a new window and back with "Move to new
//! window" and "Dock back"; closing a window docks its tabs back, so no tab is ever lost.

use egui::{Id, Key, Modifiers, Ui, ViewportBuilder, ViewportClass, ViewportCommand, ViewportId};
use egui_dock::{DockArea, DockState, NodeIndex, Style};

use super::layout::{Geometry, Layout, Pane, Restored, WindowLayout};
use super::tab_viewer::Tabs;
use super::tabs::Tab;

/// Ctrl+1 … Ctrl+9 bring the first nine of [`Tab::ALL`] forward.
const TAB_KEYS: [Key; 9] =
    [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9];

/// The size a new window opens at.
const NEW_WINDOW: [f32; 2] = [720.0, 520.0];
/// How far from the main window's corner a new window opens.
const NEW_WINDOW_OFFSET: f32 = 60.0;
/// The size of a window drawn inside the main one, and how far each next one is moved.
const EMBEDDED_WINDOW: [f32; 2] = [420.0, 280.0];
const EMBEDDED_CASCADE: f32 = 32.0;

/// The first layout: chat on the left; specs, tasks and review on the right; the rest below them.
pub fn default_layout() -> DockState<Tab> {
    let mut dock = DockState::new(vec![Tab::Chat, Tab::Drones, Tab::Files, Tab::Search]);
    let tree = dock.main_surface_mut();
    let [_, right] = tree.split_right(NodeIndex::root(), 0.55, vec![Tab::Specs, Tab::Tasks, Tab::Review, Tab::Git]);
    tree.split_below(right, 0.6, vec![Tab::Memory, Tab::Usage, Tab::Settings, Tab::Companion]);
    dock
}

/// The tab whose shortcut (Ctrl+1 … Ctrl+9, in the order of [`Tab::ALL`]) was pressed, if any.
pub fn pressed_tab(ui: &Ui) -> Option<Tab> {
    ui.input_mut(|input| {
        Tab::ALL.into_iter().zip(TAB_KEYS).find(|(_, key)| input.consume_key(Modifiers::COMMAND, *key)).map(|(t, _)| t)
    })
}

/// Draws one dock with the app's tab viewer.
fn dock_ui(ui: &mut Ui, dock: &mut DockState<Tab>, id: Id, tabs: &mut Tabs<'_>) {
    DockArea::new(dock).id(id).style(Style::from_egui(ui.style().as_ref())).show_inside(ui, tabs);
}

/// A native window holding a dock of its own.
struct NativeWindow {
    /// Names the window's viewport for as long as it is open.
    id: u64,
    dock: DockState<Tab>,
    /// Where the window opened. Kept as it was: egui moves a window whose builder changes.
    opened_at: Option<Geometry>,
    /// Where the window is now, as the system last reported it.
    geometry: Option<Geometry>,
}

impl NativeWindow {
    fn viewport(&self) -> ViewportId {
        ViewportId::from_hash_of(("aura-window", self.id))
    }

    fn dock_id(&self) -> Id {
        Id::new(("aura-window-dock", self.id))
    }

    fn tabs(&self) -> Vec<Tab> {
        self.dock.iter_all_tabs().map(|(_, tab)| tab.clone()).collect()
    }

    /// "Aura — Chat", naming the window's tabs.
    fn title(&self) -> String {
        let titles: Vec<&str> = self.dock.iter_all_tabs().map(|(_, tab)| tab.title()).collect();
        format!("Aura — {}", titles.join(", "))
    }

    fn builder(&self) -> ViewportBuilder {
        let builder = ViewportBuilder::default().with_title(self.title()).with_app_id("aura");
        match self.opened_at {
            Some(geometry) => builder.with_position(geometry.position()).with_inner_size(geometry.size()),
            None => builder.with_inner_size(NEW_WINDOW),
        }
    }
}

pub struct Docks {
    main: DockState<Tab>,
    /// The main window's place, as the system last reported it.
    main_geometry: Option<Geometry>,
    windows: Vec<NativeWindow>,
    next_window: u64,
    /// A window to bring to the front on the next frame.
    raise: Option<ViewportId>,
}

impl Default for Docks {
    fn default() -> Self {
        Docks { main: default_layout(), main_geometry: None, windows: Vec::new(), next_window: 1, raise: None }
    }
}

impl Docks {
    /// Replaces the docks with a restored layout.
    pub fn restore(&mut self, restored: Restored) {
        self.main = restored.main;
        self.main_geometry = restored.main_geometry;
        self.windows.clear();
        for (dock, geometry) in restored.windows {
            self.open_window(dock, geometry);
        }
    }

    /// The default layout, with every window closed (their tabs are in it).
    pub fn reset(&mut self) {
        self.main = default_layout();
        self.windows.clear();
    }

    pub fn layout(&self) -> Layout {
        let open = self.open_tabs();
        Layout {
            main: WindowLayout { pane: Pane::of(&self.main), geometry: self.main_geometry },
            windows: self
                .windows
                .iter()
                .map(|w| WindowLayout { pane: Pane::of(&w.dock), geometry: w.geometry })
                .collect(),
            closed: Tab::ALL.into_iter().filter(|tab| !open.contains(tab)).collect(),
        }
    }

    /// Every open tab, the main window's first.
    pub fn open_tabs(&self) -> Vec<Tab> {
        let mut tabs = self.main_tabs();
        tabs.extend(self.window_tabs());
        tabs
    }

    pub fn main_tabs(&self) -> Vec<Tab> {
        self.main.iter_all_tabs().map(|(_, tab)| tab.clone()).collect()
    }

    /// The tabs in native windows.
    pub fn window_tabs(&self) -> Vec<Tab> {
        self.windows.iter().flat_map(NativeWindow::tabs).collect()
    }

    pub fn main_geometry(&self) -> Option<Geometry> {
        self.main_geometry
    }

    /// Brings a tab to the front wherever it is (raising its window), or reopens it in the main
    /// window's focused place if it was closed.
    pub fn show_tab(&mut self, tab: Tab) {
        if let Some(window) = self.windows.iter_mut().find(|w| w.dock.find_tab(&tab).is_some()) {
            if let Some(path) = window.dock.find_tab(&tab) {
                window.dock.set_focused_node_and_surface(path.node_path());
                let _ = window.dock.set_active_tab(path);
            }
            self.raise = Some(window.viewport());
            return;
        }
        if self.main.find_tab(&tab).is_none() {
            self.main.push_to_focused_leaf(tab.clone());
        }
        self.focus_in_main(&tab);
    }

    /// Brings a file's tab forward; a file not open yet opens beside the open files, else beside
    /// Review, so the files read together stay together.
    pub fn show_file(&mut self, tab: Tab) {
        let open = self.open_tabs();
        if !open.contains(&tab) {
            let beside = open.iter().find(|t| matches!(t, Tab::File(_))).or(open.iter().find(|t| **t == Tab::Review));
            if let Some(path) = beside.and_then(|t| self.main.find_tab(t)) {
                self.main.set_focused_node_and_surface(path.node_path());
            }
        }
        self.show_tab(tab);
    }

    /// Closes the tabs `closing` picks, wherever they are; a window left empty goes away.
    pub fn close_where(&mut self, closing: impl Fn(&Tab) -> bool) {
        self.main.retain_tabs(|tab| !closing(tab));
        for window in &mut self.windows {
            window.dock.retain_tabs(|tab| !closing(tab));
        }
        self.windows.retain(|w| w.dock.iter_all_tabs().next().is_some());
    }

    /// Moves a tab of the main window into a window of its own.
    pub fn move_to_new_window(&mut self, tab: Tab) {
        let Some(path) = self.main.find_tab(&tab) else { return };
        if self.main.remove_tab(path).is_none() {
            return;
        }
        let opened_at = self.main_geometry.map(|main| Geometry {
            position: [main.position[0] + NEW_WINDOW_OFFSET, main.position[1] + NEW_WINDOW_OFFSET],
            size: NEW_WINDOW,
        });
        self.open_window(DockState::new(vec![tab]), opened_at);
    }

    /// Moves a tab from its window into the main window's focused place; a window left empty closes.
    pub fn dock_back(&mut self, tab: Tab) {
        let Some(window) = self.windows.iter_mut().find(|w| w.dock.find_tab(&tab).is_some()) else { return };
        if let Some(path) = window.dock.find_tab(&tab) {
            window.dock.remove_tab(path);
        }
        self.windows.retain(|w| w.dock.iter_all_tabs().next().is_some());
        self.main.push_to_focused_leaf(tab.clone());
        self.focus_in_main(&tab);
    }

    /// Docks every tab of a window back; the window closes.
    fn dock_back_window(&mut self, id: u64) {
        let Some(index) = self.windows.iter().position(|w| w.id == id) else { return };
        let window = self.windows.remove(index);
        for tab in window.tabs() {
            self.main.push_to_focused_leaf(tab);
        }
    }

    fn focus_in_main(&mut self, tab: &Tab) {
        if let Some(path) = self.main.find_tab(tab) {
            self.main.set_focused_node_and_surface(path.node_path());
            let _ = self.main.set_active_tab(path);
        }
    }

    fn open_window(&mut self, dock: DockState<Tab>, opened_at: Option<Geometry>) {
        let id = self.next_window;
        self.next_window += 1;
        self.windows.push(NativeWindow { id, dock, opened_at, geometry: opened_at });
    }

    /// The main window's dock; also notes where the main window is.
    pub fn main_ui(&mut self, ui: &mut Ui, tabs: &mut Tabs<'_>) {
        let (outer, inner) = ui.input(|i| (i.viewport().outer_rect, i.viewport().inner_rect));
        if let Some(geometry) = Geometry::of(outer, inner) {
            self.main_geometry = Some(geometry);
        }
        dock_ui(ui, &mut self.main, Id::new("aura-main-dock"), tabs);
    }

    /// Each native window with its dock. A window whose close was asked for docks its tabs back,
    /// and one whose tabs were all closed goes away.
    pub fn windows_ui(&mut self, ui: &mut Ui, tabs: &mut Tabs<'_>) {
        let ctx = ui.ctx().clone();
        if ctx.cumulative_frame_nr() == 0 && !self.windows.is_empty() {
            // The main window is shown once its first frame is painted; windows opened before
            // that would end up beneath it. They open on the next frame.
            ctx.request_repaint();
            return;
        }
        if let Some(viewport) = self.raise.take() {
            ctx.send_viewport_cmd_to(viewport, ViewportCommand::Focus);
        }
        let mut closing = Vec::new();
        tabs.in_window = true;
        for (index, window) in self.windows.iter_mut().enumerate() {
            let closed = if ctx.embed_viewports() {
                embedded_window_ui(&ctx, window, index, tabs)
            } else {
                native_window_ui(&ctx, window, tabs)
            };
            if closed {
                closing.push(window.id);
            }
        }
        for id in closing {
            self.dock_back_window(id);
        }
        self.windows.retain(|w| w.dock.iter_all_tabs().next().is_some());
    }
}

/// A window of the system; returns whether the user asked to close it.
fn native_window_ui(ctx: &egui::Context, window: &mut NativeWindow, tabs: &mut Tabs<'_>) -> bool {
    let dock_id = window.dock_id();
    ctx.show_viewport_immediate(window.viewport(), window.builder(), |ui, class| {
        if class == ViewportClass::EmbeddedWindow {
            // Only when the system turned the window down; it then shares the main window's input.
            dock_ui(ui, &mut window.dock, dock_id, tabs);
            return false;
        }
        let (close, outer, inner) = ui.input(|i| {
            let info = i.viewport();
            (info.close_requested(), info.outer_rect, info.inner_rect)
        });
        if let Some(geometry) = Geometry::of(outer, inner) {
            window.geometry = Some(geometry);
        }
        if let Some(tab) = pressed_tab(ui) {
            tabs.intents.show(tab);
        }
        egui::CentralPanel::default().show(ui, |ui| dock_ui(ui, &mut window.dock, dock_id, tabs));
        close
    })
}

/// Where there are no native windows (some platforms, and tests), a window inside the main one.
/// egui's own embedding ignores the position and has no close button: here it opens at the bottom
/// left, where it covers the least, and closing it docks its tabs back as closing a system window does.
fn embedded_window_ui(ctx: &egui::Context, window: &mut NativeWindow, index: usize, tabs: &mut Tabs<'_>) -> bool {
    let content = ctx.content_rect();
    let cascade = EMBEDDED_CASCADE * index as f32;
    let position = egui::pos2(content.left() + 24.0 + cascade, content.bottom() - EMBEDDED_WINDOW[1] - 48.0 - cascade);
    let mut open = true;
    egui::Window::new(window.title())
        .id(Id::new(window.viewport()))
        .default_pos(position)
        .default_size(EMBEDDED_WINDOW)
        .collapsible(false)
        .open(&mut open)
        .show(ctx, |ui| {
            let dock_id = window.dock_id();
            dock_ui(ui, &mut window.dock, dock_id, tabs)
        });
    !open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::layout::Restored;

    fn in_windows(docks: &Docks) -> Vec<Vec<Tab>> {
        docks.windows.iter().map(NativeWindow::tabs).collect()
    }

    #[test]
    fn a_tab_moves_to_a_window_and_docks_back_into_the_focused_place() {
        let mut docks = Docks::default();
        docks.move_to_new_window(Tab::Review);
        assert_eq!(in_windows(&docks), [vec![Tab::Review]]);
        assert!(!docks.main_tabs().contains(&Tab::Review));
        assert_eq!(docks.windows[0].title(), "Aura — Review");
        // Only a tab of the main window moves to a new window.
        docks.move_to_new_window(Tab::Review);
        assert_eq!(docks.windows.len(), 1);

        docks.show_tab(Tab::Usage);
        docks.dock_back(Tab::Review);
        assert!(docks.windows.is_empty());
        let path = docks.main.find_tab(&Tab::Review).unwrap();
        assert_eq!(docks.main.find_tab(&Tab::Usage).unwrap().node_path(), path.node_path(), "beside the focused tab");
        assert_eq!(docks.main.focused_leaf(), Some(path.node_path()));
    }

    #[test]
    fn show_tab_finds_a_tab_in_a_window_and_reopens_a_closed_one_in_the_main_window() {
        let mut docks = Docks::default();
        docks.move_to_new_window(Tab::Chat);
        docks.show_tab(Tab::Chat);
        assert_eq!(in_windows(&docks), [vec![Tab::Chat]], "it stays in its window");
        assert_eq!(docks.raise, Some(docks.windows[0].viewport()));

        let path = docks.main.find_tab(&Tab::Memory).unwrap();
        docks.main.remove_tab(path);
        assert!(!docks.open_tabs().contains(&Tab::Memory));
        assert_eq!(docks.layout().closed, [Tab::Memory]);
        docks.show_tab(Tab::Memory);
        assert!(docks.main_tabs().contains(&Tab::Memory));
    }

    #[test]
    fn closing_a_window_or_resetting_brings_every_tab_back() {
        let mut docks = Docks::default();
        for tab in Tab::ALL {
            docks.move_to_new_window(tab);
        }
        assert!(docks.main_tabs().is_empty(), "the main window may be emptied");
        let first = docks.windows[0].id;
        docks.dock_back_window(first);
        assert_eq!(docks.main_tabs(), [Tab::Chat]);
        docks.reset();
        assert!(docks.windows.is_empty());
        assert_eq!(docks.main_tabs().len(), Tab::ALL.len());
    }

    #[test]
    fn the_layout_of_the_docks_restores_to_the_same_docks() {
        let mut docks = Docks::default();
        let drone = Tab::Drone("docs".into());
        docks.show_tab(drone.clone());
        docks.move_to_new_window(Tab::Review);
        docks.move_to_new_window(drone.clone());
        assert_eq!(docks.windows[1].title(), "Aura — docs");
        let layout = docks.layout();
        let mut again = Docks::default();
        again.restore(Restored::from(layout.clone()));
        assert_eq!(again.layout(), layout);
        assert_eq!(in_windows(&again), [vec![Tab::Review], vec![drone.clone()]]);
        // Docked back and closed, a Drone's tab stays closed: only the fixed tabs come back.
        again.dock_back(drone.clone());
        let path = again.main.find_tab(&drone).unwrap();
        again.main.remove_tab(path);
        let mut third = Docks::default();
        third.restore(Restored::from(again.layout()));
        assert!(!third.open_tabs().contains(&drone));
        assert_eq!(third.open_tabs().len(), Tab::ALL.len());
    }
}
