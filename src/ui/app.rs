//! The desktop app: a menu bar, the docks of tabs (the main window's and the native windows'), and
//! a status bar, drawn from the view model. The layout is restored from the engine's welcome and
//! saved back through the protocol whenever it changes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers, RichText, Ui, ViewportCommand};

use crate::engine::EngineClient;
use crate::protocol::{Appearance, ChangeSetDecision, Command, Event, Surface};
use crate::store::StoreError;

use super::appearance;
use super::companion::CompanionSwitch;
use super::docks::{Docks, pressed_tab};
use super::folder::{Chosen, FolderChoice, FolderPicker, SystemFolderPicker};
use super::intents::{Intent, Intents};
use super::layout::{Layout, LayoutSaver, Restored, Saving};
use super::models::provider_name;
use super::palette::{self, Action, Palette};
use super::tab_viewer::Tabs;
use super::tabs::Tab;
use super::tasks_panel::loop_label;
use super::theme;
use super::usage::describe;
use super::view::{Connection, ViewModel};

/// How long one frame may spend applying engine events before it draws.
const EVENT_BUDGET: Duration = Duration::from_millis(4);

pub struct AuraApp {
    docks: Docks,
    saver: LayoutSaver,
    view: ViewModel,
    folder: FolderChoice,
    launching: Option<Receiver<Result<EngineClient, StoreError>>>,
    engine: Option<EngineClient>,
    /// A folder to open as soon as the engine is up (`aura --open DIR`).
    open_at_start: Option<PathBuf>,
    palette: Palette,
    /// The appearance last applied to the context.
    applied: Option<Appearance>,
    companion: CompanionSwitch,
    /// What the panels and the view model asked for this frame, handled after drawing.
    intents: Intents,
}

impl AuraApp {
    /// `launching` yields the engine once the store is open (see [`crate::engine::launch`]).
    pub fn new(launching: Receiver<Result<EngineClient, StoreError>>) -> Self {
        AuraApp {
            docks: Docks::default(),
            saver: LayoutSaver::default(),
            view: ViewModel::default(),
            folder: FolderChoice::new(Arc::new(SystemFolderPicker)),
            launching: Some(launching),
            engine: None,
            open_at_start: None,
            palette: Palette::default(),
            applied: None,
            companion: CompanionSwitch::default(),
            intents: Intents::default(),
        }
    }

    /// Opens `folder` as a project once the engine is up; without one, the project used last.
    pub fn opening(mut self, folder: Option<PathBuf>) -> Self {
        self.view.reopen_last = folder.is_none();
        self.open_at_start = folder;
        self
    }

    /// Open Folder… asks `picker` instead of the system's dialog.
    pub fn with_folder_picker(mut self, picker: impl FolderPicker + 'static) -> Self {
        self.folder = FolderChoice::new(Arc::new(picker));
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

    /// The view model, for tests that set up a state the way a panel would.
    pub fn view_mut(&mut self) -> &mut ViewModel {
        &mut self.view
    }

    /// The Companion tab's server.
    pub fn companion(&self) -> &CompanionSwitch {
        &self.companion
    }

    /// The Companion tab's server, for tests that choose its port the way the tab would.
    pub fn companion_mut(&mut self) -> &mut CompanionSwitch {
        &mut self.companion
    }

    /// Applies an engine event as if it had arrived (for benchmarks that play a recorded session);
    /// what it asks for is done after the next frame is drawn.
    pub fn apply(&mut self, event: Event) {
        self.view.apply(event, &mut self.intents);
    }

    /// Brings a tab to the front wherever it is, reopening it in the main window if it was closed.
    pub fn show_tab(&mut self, tab: Tab) {
        self.docks.show_tab(tab);
    }

    /// Every open tab, in any window.
    pub fn open_tabs(&self) -> Vec<Tab> {
        self.docks.open_tabs()
    }

    /// The layout as it would be saved now.
    pub fn layout(&self) -> Layout {
        self.docks.layout()
    }

    /// Whether the stored layout is the one on screen (false before it was restored).
    pub fn layout_saved(&self) -> bool {
        self.saver.is_saved(&self.docks.layout())
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
        let started = Instant::now();
        while let Some(envelope) = self.engine.as_ref().and_then(EngineClient::try_recv) {
            let mut event = envelope.body;
            if let Event::Welcome { layout, .. } = &mut event {
                let layout = layout.take();
                self.restore_layout(ctx, layout);
            }
            self.view.apply(event, &mut self.intents);
            if started.elapsed() > EVENT_BUDGET {
                // More are waiting: come back next frame rather than stall this one.
                ctx.request_repaint();
                break;
            }
        }
    }

    /// Shows the layout the engine gave back (once per run); one that cannot be read gives the
    /// default layout and a notice.
    fn restore_layout(&mut self, ctx: &egui::Context, stored: Option<serde_json::Value>) {
        if self.saver.is_started() {
            return;
        }
        match stored.map(Layout::from_value) {
            Some(Ok(layout)) => {
                self.docks.restore(Restored::from(layout));
                if let Some(geometry) = self.docks.main_geometry() {
                    ctx.send_viewport_cmd(ViewportCommand::OuterPosition(geometry.position()));
                    ctx.send_viewport_cmd(ViewportCommand::InnerSize(geometry.size()));
                }
            }
            Some(Err(e)) => {
                self.docks.reset();
                self.view.notices.push(e.to_string());
            }
            None => {}
        }
        self.saver.start(self.docks.layout());
    }

    /// Sends the layout when it changed and has waited long enough, or asks for a frame when it will have.
    fn save_layout(&mut self, ctx: &egui::Context) {
        match self.saver.poll(&self.docks.layout(), Instant::now()) {
            Saving::Idle => {}
            Saving::Wait(after) => ctx.request_repaint_after(after),
            Saving::Now(layout) => match serde_json::to_value(&layout) {
                Ok(layout) => self.send(Command::SaveLayout { layout }),
                Err(e) => tracing::error!("the layout could not be written as JSON: {e}"),
            },
        }
    }

    /// Everything the window shows; also what the UI tests drive.
    pub fn ui_contents(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.drain_events(&ctx);
        if self.applied != Some(self.view.appearance) {
            appearance::apply(&ctx, self.view.appearance);
            self.applied = Some(self.view.appearance);
        }
        match self.folder.chosen() {
            Some(Chosen::Folder(root)) => self.send(Command::OpenProject { root }),
            Some(Chosen::NoDialog) => {
                self.view.folder_prompt = Some(
                    "No system folder dialog could open here (it needs the desktop's file chooser portal \
                     or GTK): type the folder's path instead."
                        .into(),
                )
            }
            Some(Chosen::Cancelled) | None => {}
        }
        self.shortcuts(ui);
        if let Some(tab) = pressed_tab(ui) {
            self.intents.show(tab);
        }
        egui::Panel::top("aura-menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("aura-status").show(ui, |ui| status_ui(ui, &self.view));
        if let Connection::Failed(message) = &self.view.connection {
            egui::Panel::top("aura-store-error").show(ui, |ui| {
                ui.colored_label(
                    theme::of(ui).error,
                    RichText::new(format!("The store could not be opened: {message}")).strong(),
                );
            });
        }
        self.first_steps_ui(ui);
        folder_prompt_ui(&ctx, &mut self.view, &mut self.intents);
        self.companion.poll();
        let mut tabs =
            Tabs { view: &mut self.view, intents: &mut self.intents, in_window: false, companion: &mut self.companion };
        self.docks.main_ui(ui, &mut tabs);
        self.docks.windows_ui(ui, &mut tabs);
        if let Some(engine) = &self.engine {
            self.companion.start_if_asked(engine, &ctx);
        }
        let placement = palette::Placement { in_main: self.docks.main_tabs(), in_windows: self.docks.window_tabs() };
        if let Some(action) = self.palette.palette_ui(&ctx, &self.view, &placement) {
            self.run(action, &ctx);
        }
        self.handle_intents(&ctx);
        self.save_layout(&ctx);
    }

    /// Does what this frame asked for, in the order it was asked: the one place intents are
    /// handled, once every window has drawn.
    fn handle_intents(&mut self, ctx: &egui::Context) {
        for intent in self.intents.take() {
            match intent {
                Intent::Send(command) => self.send(command),
                Intent::ShowTab(tab) => self.docks.show_tab(tab),
                Intent::MoveToNewWindow(tab) => self.docks.move_to_new_window(tab),
                Intent::DockBack(tab) => self.docks.dock_back(tab),
                Intent::ShowChangeSet(changeset) => {
                    self.view.review.select(changeset);
                    self.docks.show_tab(Tab::Review);
                }
                Intent::OpenFile { path, line } => {
                    if let Some(read) = self.view.viewer.open(&path, line) {
                        self.send(read);
                    }
                    self.docks.show_file(Tab::File(path));
                }
                Intent::CloseFileTabs => {
                    self.docks.close_where(|tab| matches!(tab, Tab::File(_)));
                    // A tab drawn this frame, before it closed, may have asked for its file again.
                    self.view.viewer.close_all();
                }
                Intent::OpenFolder => self.folder.start(ctx),
                Intent::ResetLayout => self.docks.reset(),
            }
        }
    }

    /// Ctrl+Shift+P opens the palette; Ctrl+L focuses the chat, Ctrl+Shift+F the search, Ctrl+P the
    /// Files tab's filter (Ctrl+1…9 are the docks').
    fn shortcuts(&mut self, ui: &Ui) {
        let (palette, focus_chat, search, find_file) = ui.input_mut(|i| {
            (
                i.consume_shortcut(&palette::OPEN),
                i.consume_key(Modifiers::COMMAND, Key::L),
                i.consume_shortcut(&palette::SEARCH),
                i.consume_key(Modifiers::COMMAND, Key::P),
            )
        });
        if palette {
            self.palette.toggle();
        }
        if focus_chat {
            self.run(Action::FocusChat, ui.ctx());
        }
        if find_file && self.view.project.is_some() {
            self.run(Action::FindFile, ui.ctx());
        }
        if search {
            self.run(Action::SearchProject, ui.ctx());
        }
    }

    /// Queues what the palette or a shortcut asked for.
    pub fn run(&mut self, action: Action, ctx: &egui::Context) {
        let project = self.view.project.as_ref().map(|p| p.project.id);
        let intents = &mut self.intents;
        match action {
            Action::Show(tab) => intents.show(tab),
            Action::SummonDrone(drone) => {
                self.view.drones.focus_goal = Some(drone.clone());
                intents.show(Tab::Drone(drone));
            }
            Action::FocusChat => {
                intents.show(Tab::Chat);
                ctx.memory_mut(|m| m.request_focus(egui::Id::new("aura-chat-text")));
            }
            Action::FindFile => {
                self.view.files.focus_filter = true;
                intents.show(Tab::Files);
            }
            Action::SearchProject => {
                self.view.search.focus_query = true;
                intents.show(Tab::Search);
            }
            Action::StopTurn => intents.extend(self.view.chat.session.map(|session| Command::StopTurn { session })),
            Action::Loop(control) => intents.extend(project.map(|project| Command::Loop { project, control })),
            Action::GenerateSpecs => intents.extend(project.map(|project| Command::GenerateSpecs { project })),
            Action::SyncTasks => intents.extend(project.map(|project| Command::SyncTasks { project })),
            Action::AcceptChange => self.view.review.decide(Some(ChangeSetDecision::AcceptAll), intents),
            Action::RejectChange => self.view.review.decide(Some(ChangeSetDecision::RejectAll), intents),
            Action::ToggleTheme | Action::FontLarger | Action::FontSmaller => {
                let now = self.view.appearance;
                self.view.appearance = match action {
                    Action::ToggleTheme => Appearance { dark: !now.dark, ..now },
                    Action::FontLarger => appearance::resized(now, 1.0),
                    _ => appearance::resized(now, -1.0),
                };
                intents.send(Command::SetAppearance { appearance: self.view.appearance });
            }
            Action::OpenFolder => intents.push(Intent::OpenFolder),
            Action::TypeFolder => self.view.folder_prompt = Some("Type the folder's path.".into()),
            Action::OpenProject(root) => intents.send(Command::OpenProject { root }),
            Action::NewChat => {
                self.view.open_conversation(None, intents);
                intents.show(Tab::Chat);
            }
            Action::ToggleConversations => {
                self.view.conversations.shown = !self.view.conversations.shown;
                intents.show(Tab::Chat);
            }
            Action::OpenConversation(session) => {
                let conversation = self.view.conversations.find(session).cloned();
                self.view.open_conversation(conversation.as_ref(), intents);
                intents.show(Tab::Chat);
            }
            Action::MoveToNewWindow(tab) => intents.push(Intent::MoveToNewWindow(tab)),
            Action::DockBack(tab) => intents.push(Intent::DockBack(tab)),
            Action::ResetLayout => intents.push(Intent::ResetLayout),
        }
    }

    /// Above the dock: the welcome while no project is open, then the open project's first steps.
    fn first_steps_ui(&mut self, ui: &mut Ui) {
        let intents = &mut self.intents;
        if matches!(self.view.connection, Connection::Failed(_)) {
            return;
        }
        match &mut self.view.project {
            None => {
                let choosing = self.folder.is_choosing();
                let clicked = egui::Panel::top("aura-welcome")
                    .show(ui, |ui| {
                        let view = &mut self.view;
                        let entry = view.folder_prompt.is_none().then_some(&mut view.folder_entry);
                        super::welcome::welcome_ui(ui, &view.projects, entry, choosing, intents)
                    })
                    .inner;
                if clicked {
                    intents.push(Intent::OpenFolder);
                }
            }
            Some(project) if super::getting_started::wanted(project) => {
                egui::Panel::top("aura-getting-started")
                    .show(ui, |ui| super::getting_started::getting_started_ui(ui, project, intents));
            }
            Some(_) => {}
        }
    }

    fn menu_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                let choosing = self.folder.is_choosing();
                let label = if choosing { "Choosing a folder…" } else { "Open Folder…" };
                if ui.add_enabled(!choosing, egui::Button::new(label)).clicked() {
                    self.intents.push(Intent::OpenFolder);
                    ui.close();
                }
                ui.add_enabled_ui(!self.view.projects.is_empty(), |ui| {
                    ui.menu_button("Open Recent", |ui| {
                        for project in &self.view.projects {
                            let button = egui::Button::new(&project.name)
                                .right_text(RichText::new(project.root.display().to_string()).weak());
                            if ui.add(button).clicked() {
                                self.intents.send(Command::OpenProject { root: project.root.clone() });
                                ui.close();
                            }
                        }
                    });
                });
            });
            ui.menu_button("View", |ui| self.view_menu_ui(ui));
        });
    }

    fn view_menu_ui(&mut self, ui: &mut Ui) {
        let open = self.docks.open_tabs();
        for tab in Tab::ALL {
            let label = if open.contains(&tab) { tab.title().to_string() } else { format!("{} (closed)", tab.title()) };
            if ui.button(label).clicked() {
                self.intents.show(tab);
                ui.close();
            }
        }
        ui.separator();
        let in_main = self.docks.main_tabs();
        ui.add_enabled_ui(!in_main.is_empty(), |ui| {
            ui.menu_button("Move to new window", |ui| {
                for tab in in_main {
                    if ui.button(tab.title()).clicked() {
                        self.intents.push(Intent::MoveToNewWindow(tab));
                        ui.close();
                    }
                }
            });
        });
        let in_windows = self.docks.window_tabs();
        ui.add_enabled_ui(!in_windows.is_empty(), |ui| {
            ui.menu_button("Dock back", |ui| {
                for tab in in_windows {
                    if ui.button(tab.title()).clicked() {
                        self.intents.push(Intent::DockBack(tab));
                        ui.close();
                    }
                }
            });
        });
        ui.separator();
        if ui.button("Reset layout").clicked() {
            self.intents.push(Intent::ResetLayout);
            ui.close();
        }
    }
}

fn status_ui(ui: &mut Ui, view: &ViewModel) {
    ui.horizontal(|ui| {
        match &view.connection {
            Connection::Starting => ui.label("Opening the store…"),
            Connection::Ready { app_version, data_dir } => {
                ui.label(format!("Aura {app_version} · store ready at {}", data_dir.display()))
            }
            Connection::Failed(_) => ui.colored_label(theme::of(ui).error, "Store unavailable"),
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

/// Where no folder dialog could open: a window asking for the folder's path, saying why.
fn folder_prompt_ui(ctx: &egui::Context, view: &mut ViewModel, intents: &mut Intents) {
    let Some(why) = view.folder_prompt.clone() else { return };
    let mut shown = true;
    egui::Window::new("Open Folder").collapsible(false).resizable(false).open(&mut shown).show(ctx, |ui| {
        ui.label(why);
        if let Some(root) = super::path_entry::path_entry_ui(ui, &mut view.folder_entry, "prompt") {
            intents.send(Command::OpenProject { root });
            view.folder_prompt = None;
        }
    });
    if !shown {
        view.folder_prompt = None;
    }
}
