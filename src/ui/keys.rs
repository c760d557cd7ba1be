//! The provider keys section of Settings: where each cloud provider's key comes from, and a
//! masked field to save one. What was typed is sent once and cleared; the view never keeps a key.

use std::collections::HashMap;

use egui::{RichText, TextEdit, Ui};

use crate::protocol::{ApiKeyStatus, Command, KeySource};

use super::intents::Intents;
use super::theme;

/// What was typed for each key (by environment variable), until it is saved.
pub type KeyDrafts = HashMap<String, String>;

pub fn keys_ui(ui: &mut Ui, keys: &[ApiKeyStatus], drafts: &mut KeyDrafts, intents: &mut Intents) {
    ui.strong("Provider keys");
    if keys.is_empty() {
        ui.label(RichText::new("Not known yet.").weak());
        return;
    }
    egui::Grid::new("aura-keys").num_columns(4).spacing(theme::GRID_SPACING).show(ui, |ui| {
        for status in keys {
            ui.label(&status.provider);
            let theme = theme::of(ui);
            let (text, color) = match status.source {
                KeySource::Settings => ("saved here".to_string(), theme.ok),
                KeySource::Environment => (format!("from {}", status.env), theme.ok),
                KeySource::Missing => ("not set".to_string(), theme.weak),
            };
            ui.colored_label(color, text);
            let draft = drafts.entry(status.env.clone()).or_default();
            ui.add(TextEdit::singleline(draft).password(true).hint_text(status.env.as_str()).desired_width(220.0));
            ui.horizontal(|ui| {
                if ui.add_enabled(!draft.trim().is_empty(), egui::Button::new("Save")).clicked() {
                    intents.send(Command::SetApiKey { env: status.env.clone(), key: Some(std::mem::take(draft)) });
                }
                if status.source == KeySource::Settings && ui.button("Remove").clicked() {
                    intents.send(Command::SetApiKey { env: status.env.clone(), key: None });
                }
            });
            ui.end_row();
        }
    });
    ui.label(
        RichText::new("Saved keys are kept in the data dir, readable by you only, and used before the environment's.")
            .weak(),
    );
}
