//! The desktop app: a menu bar, the dock of tabs, and a status bar, drawn from the view model.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::{Color32, Key, Modifiers, RichText, Ui};
use egui_dock::{DockArea, DockState, NodeIndex, Style};

use crate::engine::EngineClient;
use crate::protocol::{Appearance, ChangeSetDecision, Command, Surface};
use crate::store::StoreError;

use super::appearance;
use super::models::provider_name;
use super::palette::{self, Action, Palette};
use super::tabs::{Tab, Tabs};
use super::tasks_panel::loop_label;
use super::usage::describe;
use super::view::{Connection, ViewModel};

const TAB_KEYS: [Key; Tab::ALL.len()] =
    [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8];

/// How long one frame may spend applying engine events before it draws.
const EVENT_BUDGET: Duration = Duration::from_millis(4);

pub struct AuraApp {
    dock: DockState<Tab>,
    view: ViewModel,
    launching: Option<Receiver<Result<EngineClient, StoreError>>>,
    engine: Option<EngineClient>,
    /// A folder to open as soon as the engine is up (`aura --open DIR`).
    open_at_start: Option<PathBuf>,
    palette: Palette,
    /// The appearance last applied to the context.
    applied: Option<Appearance>,
}

/// The first layout: chat on the left; specs, tasks and review on the right; the rest below them.
pub fn default_layout() -> DockState<Tab> {
    let mut dock = DockState::new(vec![Tab::Chat, Tab::Drones]);
    let tree = dock.main_surface_mut();
    let [_, right] = tree.split_right(NodeIndex::root(), 0.55, vec![Tab::Specs, Tab::Tasks, Tab::Review]);
    tree.split_below(right, 0.6, vec![Tab::Memory, Tab::Usage, Tab::Settings]);
    dock
}

impl AuraApp {
    /// `launching` yields the engine once the store is open (see [`crate::engine::launch`]).
    pub fn new(launching: Receiver<Result<EngineClient, StoreError>>) -> Self {
        AuraApp {
            dock: default_layout(),
            view: ViewModel::default(),
            launching: Some(launching),
            engine: None,
            open_at_start: None,
            palette: Palette::default(),
            applied: None,
        }
    }

    /// Opens `folder` as a project once the engine is up.
    pub fn opening(mut self, folder: Option<PathBuf>) -> Self {
        self.open_at_start = folder;
        self
    }

    /// Sends a command to the engine (dropped, with a log line, before the engine is up).
    pub fn send(&mut self, command: Command) {
        match &mut self.engine {
            Some(engine) => {
                engine.send(command);
            }
            None => tracing::warn!("`{}` was not sent: the engine is not running", command.name()),
        }
    }

    pub fn view(&self) -> &ViewModel {
        &self.view
    }

    /// Applies an engine event as if it had arrived (for benchmarks that play a recorded session).
    pub fn apply(&mut self, event: crate::protocol::Event) {
        self.view.apply(event);
    }

    /// Brings a tab to the front, reopening it in the focused leaf if it was closed.
    pub fn show_tab(&mut self, tab: Tab) {
        match self.dock.find_tab(&tab) {
            Some(path) => {
                self.dock.set_focused_node_and_surface(path.node_path());
                let _ = self.dock.set_active_tab(path);
            }
            None => self.dock.push_to_focused_leaf(tab),
        }
    }

    pub fn open_tabs(&self) -> Vec<Tab> {
        self.dock.iter_all_tabs().map(|(_, tab)| *tab).collect()
    }

    /// Takes the engine once launched, then applies waiting events within the frame budget.
    fn drain_events(&mut self, ctx: &egui::Context) {
        if let Some(launching) = &self.launching
            && let Ok(result) = launching.try_recv()
        {
            self.launching = None;
            match result {
                Ok(mut engine) => {
                    self.view.discovering = true;
                    engine.send(Command::Hello { surface: Surface::Desktop, client: "desktop".into() });
                    engine.send(Command::ListProjects);
                    engine.send(Command::DiscoverLocalServers);
                    if let Some(root) = self.open_at_start.take() {
                        engine.send(Command::OpenProject { root });
                    }
                    self.engine = Some(engine);
                }
                Err(e) => self.view.connection = Connection::Failed(e.to_string()),
            }
        }
        let Some(engine) = &self.engine else { return };
        let started = Instant::now();
        while let Some(envelope) = engine.try_recv() {
            self.view.apply(envelope.body);
            if started.elapsed() > EVENT_BUDGET {
                // More are waiting: come back next frame rather than stall this one.
                ctx.request_repaint();
                break;
            }
        }
    }

    /// Ctrl+1 … Ctrl+8 bring the tabs forward, in the order of [`Tab::ALL`].
    fn shortcuts(&mut self, ui: &Ui) {
        let pressed = ui.input_mut(|input| {
            Tab::ALL.iter().zip(TAB_KEYS).find(|(_, key)| input.consume_key(Modifiers::COMMAND, *key)).map(|(t, _)| *t)
        });
        if let Some(tab) = pressed {
            self.show_tab(tab);
        }
        let (palette, focus_chat) =
            ui.input_mut(|i| (i.consume_shortcut(&palette::OPEN), i.consume_key(Modifiers::COMMAND, Key::L)));
        if palette {
            self.palette.toggle();
        }
        if focus_chat {
            self.run(Action::FocusChat, ui.ctx());
        }
    }

    /// Everything the window shows; also what the UI tests drive.
    pub fn ui_contents(&mut self, ui: &mut Ui) {
        self.drain_events(&ui.ctx().clone());
        if self.applied != Some(self.view.appearance) {
            appearance::apply(ui.ctx(), self.view.appearance);
            self.applied = Some(self.view.appearance);
        }
        self.shortcuts(ui);
        egui::Panel::top("aura-menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("aura-status").show(ui, |ui| status_ui(ui, &self.view));
        if let Connection::Failed(message) = &self.view.connection {
            egui::Panel::top("aura-store-error").show(ui, |ui| {
                ui.colored_label(
                    Color32::from_rgb(0xE0, 0x60, 0x50),
                    RichText::new(format!("The store could not be opened: {message}")).strong(),
                );
            });
        }
        let mut commands = Vec::new();
        let mut tabs = Tabs { view: &mut self.view, commands: &mut commands };
        DockArea::new(&mut self.dock).style(Style::from_egui(ui.style().as_ref())).show_inside(ui, &mut tabs);
        if let Some(tab) = self.view.tab_request.take() {
            self.show_tab(tab);
        }
        if let Some(action) = self.palette.palette_ui(&ui.ctx().clone(), &self.view) {
            self.run(action, &ui.ctx().clone());
        }
        commands.append(&mut self.view.outbox);
        if let Some(engine) = &mut self.engine {
            for command in commands {
                engine.send(command);
            }
        }
    }

    /// Does what the palette or a shortcut asked for.
    pub fn run(&mut self, action: Action, ctx: &egui::Context) {
        let project = self.view.project.as_ref().map(|p| p.project.id);
        let mut commands = Vec::new();
        match action {
            Action::Show(tab) => self.show_tab(tab),
            Action::FocusChat => {
                self.show_tab(Tab::Chat);
                ctx.memory_mut(|m| m.request_focus(egui::Id::new("aura-chat-text")));
            }
            Action::StopTurn => commands.extend(self.view.chat.session.map(|session| Command::StopTurn { session })),
            Action::Loop(control) => commands.extend(project.map(|project| Command::Loop { project, control })),
            Action::GenerateSpecs => commands.extend(project.map(|project| Command::GenerateSpecs { project })),
            Action::SyncTasks => commands.extend(project.map(|project| Command::SyncTasks { project })),
            Action::AcceptChange => self.view.review.decide(Some(ChangeSetDecision::AcceptAll), &mut commands),
            Action::RejectChange => self.view.review.decide(Some(ChangeSetDecision::RejectAll), &mut commands),
            Action::ToggleTheme | Action::FontLarger | Action::FontSmaller => {
                let now = self.view.appearance;
                self.view.appearance = match action {
                    Action::ToggleTheme => Appearance { dark: !now.dark, ..now },
                    Action::FontLarger => appearance::resized(now, 1.0),
                    _ => appearance::resized(now, -1.0),
                };
                commands.push(Command::SetAppearance { appearance: self.view.appearance });
            }
            Action::ResetLayout => self.dock = default_layout(),
        }
        for command in commands {
            self.send(command);
        }
    }

    fn menu_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("View", |ui| {
                let open = self.open_tabs();
                for tab in Tab::ALL {
                    let label =
                        if open.contains(&tab) { tab.title().to_string() } else { format!("{} (closed)", tab.title()) };
                    if ui.button(label).clicked() {
                        self.show_tab(tab);
                        ui.close();
                    }
                }
                ui.separator();
                if ui.button("Reset layout").clicked() {
                    self.dock = default_layout();
                    ui.close();
                }
            });
        });
    }
}

fn status_ui(ui: &mut Ui, view: &ViewModel) {
    ui.horizontal(|ui| {
        match &view.connection {
            Connection::Starting => ui.label("Opening the store…"),
            Connection::Ready { app_version, data_dir } => {
                ui.label(format!("Aura {app_version} · store ready at {}", data_dir.display()))
            }
            Connection::Failed(_) => ui.colored_label(Color32::from_rgb(0xE0, 0x60, 0x50), "Store unavailable"),
        };
        if let Some(open) = &view.project {
            ui.separator();
            ui.label(RichText::new(&open.project.name).strong());
            if let Some((_, worker)) = &open.models {
                ui.separator();
                ui.label(format!("{} · {}", provider_name(worker.provider), worker.model));
            }
            ui.separator();
            ui.label(format!("Loop: {}", loop_label(open.loop_state)));
            if let Some(session) = view.chat.session {
                let usage = view.usage.total_of(session);
                if usage.total_input() > 0 {
                    ui.separator();
                    ui.label(format!("Chat: {}", describe(&usage)));
                }
            }
        }
        if let Some(notice) = view.notices.last() {
            ui.separator();
            ui.add(egui::Label::new(RichText::new(notice).weak()).truncate());
        }
    });
}

impl eframe::App for AuraApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.ui_contents(ui);
    }
}
