//! The desktop's layout: stored as the desktop sends it, given back when a desktop says hello. The
//! engine never reads inside it; the desktop owns its format.

use crate::protocol::{Event, PROTOCOL_VERSION, Surface};
use crate::store::Table;

use super::{Engine, EngineResult};

/// The key of the desktop's layout in [`Table::Layout`].
const DESKTOP: &str = "desktop";

impl Engine {
    /// Answers a hello; a desktop also gets the layout it saved last.
    pub(super) fn welcome(&mut self, surface: Surface) {
        let layout = match surface {
            Surface::Desktop => match self.store.reader().get_value(Table::Layout, DESKTOP) {
                Ok(layout) => layout,
                Err(e) => {
                    self.emit(Event::StoreWarning {
                        message: format!("the saved layout could not be read ({e}); the default layout is used"),
                    });
                    None
                }
            },
            Surface::Companion | Surface::Cli => None,
        };
        self.answer(Event::Welcome {
            protocol_version: PROTOCOL_VERSION,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir.clone(),
            layout,
            epoch: self.epoch,
        });
        if surface == Surface::Desktop {
            self.announce_keys();
            match self.store.reader().get_value(Table::Settings, super::control::APPEARANCE_KEY) {
                Ok(Some(appearance)) => self.answer(Event::AppearanceChanged { appearance }),
                Ok(None) => {}
                Err(e) => self.emit(Event::StoreWarning { message: format!("the stored appearance was skipped: {e}") }),
            }
        }
    }

    pub(super) async fn save_layout(&mut self, layout: serde_json::Value) -> EngineResult {
        self.store.write(move |w| w.put_value(Table::Layout, DESKTOP, &layout)).await
    }
}
