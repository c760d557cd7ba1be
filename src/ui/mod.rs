//! The desktop surface: an eframe window with dockable tabs. It talks to the engine only through
//! the protocol, never waits on disk or network, and draws nothing when nothing happens.

mod app;
mod chat;
mod checks;
mod highlight;
mod markdown;
mod memory;
mod models;
mod receipt;
mod review;
mod rows;
mod settings;
mod specs;
mod tabs;
mod tasks_panel;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::{AuraApp, default_layout};
pub use chat::{ChatItem, ChatView};
pub use memory::MemoryView;
pub use review::ReviewView;
pub use specs::SpecsView;
pub use tabs::Tab;
pub use view::{Connection, ProjectView, ViewModel};

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
        .with_inner_size([1280.0, 800.0])
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
            let waker = Arc::new(move || ctx.request_repaint());
            let launching = crate::engine::launch(runtime.handle(), data_dir, waker);
            // The runtime lives as long as the app: it is moved into the window's lifetime here.
            let app = WithRuntime { app: AuraApp::new(launching).opening(open), _runtime: runtime };
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

/// Keeps the engine's runtime alive exactly as long as the window.
struct WithRuntime {
    app: AuraApp,
    _runtime: tokio::runtime::Runtime,
}

impl eframe::App for WithRuntime {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        eframe::App::ui(&mut self.app, ui, frame);
    }
}
