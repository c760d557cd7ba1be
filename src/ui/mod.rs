//! The desktop surface: an eframe window with dockable tabs. It talks to the engine only through
//! the protocol, never waits on disk or network, and draws nothing when nothing happens.

mod app;
mod appearance;
mod chat;
mod checks;
mod companion;
mod docks;
mod drones;
mod file_link;
mod files;
mod folder;
mod getting_started;
mod git;
mod highlight;
mod intents;
mod keys;
mod layout;
mod markdown;
mod mcp;
mod memory;
mod models;
mod palette;
mod path_entry;
mod receipt;
mod review;
mod rows;
mod search;
mod settings;
mod specs;
mod tab_viewer;
mod tabs;
mod tasks_panel;
mod theme;
mod time;
mod usage;
mod view;
mod viewer;
mod welcome;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::AuraApp;
pub use chat::{ChatItem, ChatView, OrderDraft};
pub use companion::CompanionSwitch;
pub use docks::default_layout;
pub use folder::FolderPicker;
pub use git::{GitView, mark_colour};
pub use layout::{Axis, Geometry, Layout, Pane, WindowLayout};
pub use memory::MemoryView;
pub use review::ReviewView;
pub use search::SearchView;
pub use specs::SpecsView;
pub use tabs::Tab;
pub use view::{Connection, ProjectView, ViewModel};

/// The main window's size on a first start (later starts restore the stored layout's).
pub const WINDOW_SIZE: [f32; 2] = [1280.0, 800.0];

/// Opens the desktop window and runs until it is closed.
pub fn run(data_dir: PathBuf, open: Option<PathBuf>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("aura-engine")
        .enable_all()
        .build()?;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Aura")
        .with_app_id("aura")
        .with_inner_size(WINDOW_SIZE)
        .with_min_inner_size([640.0, 400.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => tracing::warn!("the window icon could not be decoded: {e}"),
    }
    let options = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Glow, ..Default::default() };
    eframe::run_native(
        "Aura",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let waker: crate::engine::Waker = Arc::new(move || ctx.request_repaint());
            let (reply, launching) = std::sync::mpsc::channel();
            // The runtime lives as long as the app: it is moved into the window's lifetime here.
            let app = WithRuntime {
                app: AuraApp::new(launching).opening(open),
                runtime,
                engine: Some((data_dir, waker, reply)),
                useful: false,
            };
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "the window could not open ({e}). Aura needs a desktop session (X11 or Wayland) with OpenGL; \
             on Debian or Ubuntu install libgl1, libegl1 and libxkbcommon-x11-0"
        )
    })
}

/// With `AURA_FIRST_FRAME` set, prints `first frame` once the first frame is drawn, and `useful
/// frame` once a frame shows the project open with its conversation's messages: how the launch
/// benchmark times a start (`benches/desktop.rs`).
pub fn report_first_frame() {
    if std::env::var_os("AURA_FIRST_FRAME").is_some() {
        println!("first frame");
    }
}

fn report_useful_frame(app: &AuraApp) -> bool {
    let view = app.view();
    let useful = matches!(view.connection, view::Connection::Ready { .. })
        && view.project.is_some()
        && !view.chat.loading_history
        && !view.chat.items.is_empty();
    if useful && std::env::var_os("AURA_FIRST_FRAME").is_some() {
        println!("useful frame");
    }
    useful
}

/// Keeps the engine's runtime alive exactly as long as the window.
struct WithRuntime {
    app: AuraApp,
    runtime: tokio::runtime::Runtime,
    /// What starts the engine, until the first frame is drawn: opening the store then, rather than
    /// during the window's own start, leaves the CPU to the window (it says "Opening the store…").
    engine: Option<(PathBuf, crate::engine::Waker, std::sync::mpsc::Sender<EngineLaunch>)>,
    /// Whether a useful frame was drawn yet (see [`report_first_frame`]).
    useful: bool,
}

type EngineLaunch = Result<crate::engine::EngineClient, crate::store::StoreError>;

impl eframe::App for WithRuntime {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        eframe::App::ui(&mut self.app, ui, frame);
        if let Some((data_dir, waker, reply)) = self.engine.take() {
            report_first_frame();
            crate::engine::launch_into(self.runtime.handle(), data_dir, waker, reply);
        }
        if !self.useful {
            self.useful = report_useful_frame(&self.app);
        }
    }
}
