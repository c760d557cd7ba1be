//! The Memory tab: what the project has learned. A form to add an entry, a search over the entries
//! (BM25, in the engine), and the list, pinned first, each entry with who saved it, its tags, its
//! age, and Pin and Delete.

use egui::{Align, Id, Key, Layout, RichText, ScrollArea, TextEdit, Ui};

use crate::domain::{MemoryEntry, MemoryId, MemorySource, now_millis};
use crate::protocol::Command;

use super::super::file_link::links_in_ui;
use super::super::intents::Intents;
use super::super::theme;
use super::super::time::age;
use super::super::view::ViewModel;
use super::MemoryView;

pub fn memory_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let ViewModel { project, memory, .. } = view;
    if project.is_none() {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to see what it has learned.").weak()));
        return;
    }
    add_ui(ui, memory, intents);
    ui.add_space(theme::SPACE_S);
    search_ui(ui, memory, intents);
    ui.separator();
    list_ui(ui, memory, intents);
}

fn add_ui(ui: &mut Ui, memory: &mut MemoryView, intents: &mut Intents) {
    let mut add = false;
    ui.horizontal(|ui| {
        let tags_width = 180.0;
        let button = 50.0;
        let text = ui.add(
            TextEdit::singleline(&mut memory.new_text)
                .id(Id::new("aura-memory-text"))
                .desired_width(ui.available_width() - tags_width - button)
                .hint_text("Something every agent should know: a convention, a pitfall, a decision"),
        );
        let tags = ui.add(
            TextEdit::singleline(&mut memory.new_tags)
                .id(Id::new("aura-memory-tags"))
                .desired_width(tags_width - 2.0 * ui.spacing().item_spacing.x)
                .hint_text("tags, comma-separated"),
        );
        let entered = (text.lost_focus() || tags.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
        let typed = !memory.new_text.trim().is_empty();
        add = ui.add_enabled(typed, egui::Button::new("Add")).clicked() || (entered && typed);
    });
    if add {
        memory.add(intents);
    }
}

fn search_ui(ui: &mut Ui, memory: &mut MemoryView, intents: &mut Intents) {
    let (mut search, mut clear) = (false, false);
    ui.horizontal(|ui| {
        let query = ui.add(
            TextEdit::singleline(&mut memory.query)
                .id(Id::new("aura-memory-query"))
                .desired_width(240.0)
                .hint_text("Search memory"),
        );
        search = ui.button("Search").clicked() || (query.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)));
        if let Some(current) = &memory.search {
            clear = ui.button("Clear").clicked();
            let found = match &current.results {
                None => "Searching…".to_string(),
                Some(results) if results.len() == 1 => format!("1 entry matches “{}”", current.query),
                Some(results) => format!("{} entries match “{}”", results.len(), current.query),
            };
            ui.label(RichText::new(found).weak());
        }
    });
    if search {
        memory.search(intents);
    }
    if clear {
        memory.clear_search();
    }
}

enum Action {
    Pin(MemoryId, bool),
    Delete(MemoryId),
}

fn list_ui(ui: &mut Ui, memory: &MemoryView, intents: &mut Intents) {
    let mut action = None;
    ScrollArea::vertical().id_salt("aura-memory-list").auto_shrink([false, false]).show(ui, |ui| {
        if memory.shown().is_empty() && memory.search.is_none() {
            ui.label(
                RichText::new(
                    "Nothing remembered yet. Agents save what they learn here as they work; add what they should \
                     know above. Pinned entries go into every agent's context.",
                )
                .weak(),
            );
        }
        let now = now_millis();
        for entry in memory.shown() {
            entry_ui(ui, entry, now, &mut action);
            links_in_ui(ui, &entry.text, intents);
            ui.separator();
        }
    });
    match action {
        Some(Action::Pin(memory, pinned)) => intents.send(Command::PinMemory { memory, pinned }),
        Some(Action::Delete(memory)) => intents.send(Command::DeleteMemory { memory }),
        None => {}
    }
}

fn entry_ui(ui: &mut Ui, entry: &MemoryEntry, now: u64, action: &mut Option<Action>) {
    ui.add(egui::Label::new(entry.text.as_str()).selectable(true));
    ui.horizontal(|ui| {
        let mut meta = Vec::new();
        if entry.pinned {
            meta.push("pinned".to_string());
        }
        meta.push(source_name(entry.source).to_string());
        if !entry.tags.is_empty() {
            meta.push(entry.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" "));
        }
        meta.push(age(now, entry.at_ms));
        ui.label(RichText::new(meta.join(" · ")).weak().small());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.small_button("Delete").clicked() {
                *action = Some(Action::Delete(entry.id));
            }
            let (label, hint) = if entry.pinned {
                ("Unpin", "Stop putting it into every agent's context")
            } else {
                ("Pin", "Put it into every agent's context")
            };
            if ui.small_button(label).on_hover_text(hint).clicked() {
                *action = Some(Action::Pin(entry.id, !entry.pinned));
            }
        });
    });
}

fn source_name(source: MemorySource) -> &'static str {
    match source {
        MemorySource::Agent => "agent",
        MemorySource::User => "user",
        MemorySource::Auto => "automatic",
    }
}
