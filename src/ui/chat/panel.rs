//! The Chat tab: the model in use, the conversation (only visible rows drawn, finished messages laid
//! out once), what is queued, and the input with Send and Stop.

use egui::{Id, Key, KeyboardShortcut, Modifiers, RichText, ScrollArea, TextEdit, Ui};

use crate::domain::ChangeSetStatus;
use crate::protocol::{Command, ModelChoice};

use super::super::intents::{Intent, Intents};
use super::super::markdown::{copy_button_ui, markdown_ui};
use super::super::models::{model_choice_ui, provider_name};
use super::super::receipt::receipt_ui;
use super::super::theme;
use super::super::view::ViewModel;
use super::cards::{change_card_ui, tool_card_ui, work_order_ui};
use super::conversations::{Pick, conversations_ui};
use super::{ChatItem, ChatView, LiveReply};

/// A first guess at a row's height before it has been drawn.
const ROW_ESTIMATE: f32 = 48.0;

pub fn chat_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    if view.project.is_none() {
        ui.add_space(16.0);
        ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to chat about its code.").weak()));
        return;
    }
    if view.project.as_ref().is_some_and(|p| p.models.is_none()) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            model_choice_ui(ui, view, intents);
        });
    } else {
        model_picker_ui(ui, view, intents);
    }
    if view.conversations.shown {
        let open = view.chat.session;
        let picked = egui::Panel::left(Id::new("aura-conversation-list"))
            .resizable(true)
            .default_size(240.0)
            .size_range(160.0..=480.0)
            .show(ui, |ui| conversations_ui(ui, &mut view.conversations, open, intents))
            .inner;
        match picked {
            Some(Pick::Open(conversation)) => view.open_conversation(Some(&conversation), intents),
            Some(Pick::New) => view.open_conversation(None, intents),
            None => {}
        }
    }
    egui::Panel::bottom(Id::new("aura-chat-input"))
        .resizable(false)
        .show_separator_line(true)
        .show(ui, |ui| input_ui(ui, &mut view.chat, intents));
    if view.chat.items.is_empty() && view.chat.live.is_none() && view.chat.history_complete {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("Ask about the code, or describe a change to make.").weak());
            ui.label(RichText::new("Edits arrive in Review as diffs to accept or reject.").weak());
        });
        return;
    }
    conversation_ui(ui, &mut view.chat, intents);
}

fn describe(choice: &ModelChoice) -> String {
    format!("{} · {}", choice.model, choice.base_url.as_deref().unwrap_or(provider_name(choice.provider)))
}

/// The Worker's model, which the chat talks to, picked from the stored one and the local servers'.
fn model_picker_ui(ui: &mut Ui, view: &mut ViewModel, intents: &mut Intents) {
    let Some(open) = view.project.as_ref() else { return };
    let current = open.models.as_ref().map(|(_, worker)| worker.clone());
    let mut options: Vec<ModelChoice> = current.iter().cloned().collect();
    for server in view.local_servers.iter().flatten() {
        for model in server.models.iter().flatten() {
            let choice = server.choice(model);
            if !options.contains(&choice) {
                options.push(choice);
            }
        }
    }
    ui.horizontal(|ui| {
        let list = &mut view.conversations.shown;
        if ui.selectable_label(*list, "☰").on_hover_text("Show or hide the conversations").clicked() {
            *list = !*list;
        }
        let title = view.chat.session.and_then(|s| view.conversations.find(s)).map(|c| c.title.as_str());
        ui.add(egui::Label::new(RichText::new(title.unwrap_or("New chat")).strong()).truncate())
            .on_hover_text("Right-click a conversation in the list to rename or delete it");
        ui.separator();
        ui.label(RichText::new("Model").weak());
        let selected = current.as_ref().map(describe).unwrap_or_else(|| "none: choose one in Settings".into());
        let mut picked = None;
        egui::ComboBox::from_id_salt("aura-chat-model").selected_text(selected).width(320.0).show_ui(ui, |ui| {
            for option in &options {
                if ui.selectable_label(current.as_ref() == Some(option), describe(option)).clicked() {
                    picked = Some(option.clone());
                }
            }
        });
        if let Some(worker) = picked.filter(|p| current.as_ref() != Some(p)) {
            let planner = open.models.as_ref().map(|(p, _)| p.clone()).unwrap_or_else(|| worker.clone());
            intents.send(Command::SetModels { project: open.project.id, planner, worker });
        }
        if view.chat.running {
            ui.add(egui::Spinner::new());
            ui.label(RichText::new("working").weak());
        }
    });
    ui.separator();
}

/// A paste too large to edit as text (laying out megabytes every frame would freeze the window)
/// becomes an attachment of the message instead.
fn take_large_paste(ui: &mut Ui, chat: &mut ChatView) {
    ui.input_mut(|i| {
        i.events.retain(|event| match event {
            egui::Event::Paste(text) if text.len() > super::PASTE_INLINE_BYTES => {
                chat.pasted.get_or_insert_with(String::new).push_str(text);
                false
            }
            _ => true,
        })
    });
}

/// Bytes as people read them: `5.0 MB`, `312 KB`.
fn size(bytes: usize) -> String {
    match bytes {
        0..1_000_000 => format!("{} KB", bytes.div_ceil(1000)),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn input_ui(ui: &mut Ui, chat: &mut ChatView, intents: &mut Intents) {
    ui.add_space(4.0);
    if !chat.queued.is_empty() {
        ui.label(RichText::new("Queued, sent when this turn ends:").weak());
        for text in &chat.queued {
            ui.label(RichText::new(format!("  {}", text.lines().next().unwrap_or(""))).italics());
        }
    }
    let mut send = false;
    let input_id = Id::new("aura-chat-text");
    if ui.memory(|m| m.has_focus(input_id)) {
        take_large_paste(ui, chat);
    }
    if let Some(pasted) = &chat.pasted {
        let what =
            format!("📎 Pasted text: {}, {} lines, sent with the message", size(pasted.len()), pasted.lines().count());
        let remove = ui.horizontal(|ui| {
            ui.label(what);
            ui.small_button("Remove").clicked()
        });
        if remove.inner {
            chat.pasted = None;
        }
    }
    ui.horizontal(|ui| {
        let buttons = 70.0;
        let response = ui.add(
            TextEdit::multiline(&mut chat.input)
                .id(input_id)
                .desired_rows(2)
                .desired_width(ui.available_width() - buttons)
                .hint_text("Ask, or describe a change. Enter sends, Shift+Enter starts a new line.")
                .return_key(KeyboardShortcut::new(Modifiers::SHIFT, Key::Enter)),
        );
        send |= response.has_focus() && ui.input(|i| i.key_pressed(Key::Enter) && i.modifiers.is_none());
        ui.vertical(|ui| {
            send |= ui.button("Send").clicked();
            if chat.running
                && let Some(session) = chat.session
                && ui.button("Stop").clicked()
            {
                intents.send(Command::StopTurn { session });
            }
        });
    });
    if send {
        chat.send(intents);
    }
    ui.add_space(2.0);
}

/// Draws the conversation (the chat's, or a Drone run's).
pub(in crate::ui) fn conversation_ui(ui: &mut Ui, chat: &mut ChatView, intents: &mut Intents) {
    let earlier = usize::from(!chat.history_complete);
    let live = usize::from(chat.live.is_some() || chat.running);
    let count = earlier + chat.items.len() + live;
    let mut load_earlier = false;
    let ChatView { items, live: reply, rows, running, .. } = chat;
    let scroll = ScrollArea::vertical().id_salt("aura-chat-rows").stick_to_bottom(true).auto_shrink([false, false]);
    rows.rows_ui(ui, scroll, count, ROW_ESTIMATE, |ui, row| {
        if row < earlier {
            load_earlier |= ui.button("Load earlier messages").clicked();
            return;
        }
        let Some(item) = items.get_mut(row - earlier) else {
            live_ui(ui, reply, *running, items);
            return;
        };
        ui.add_space(2.0);
        match item {
            ChatItem::User(text) => {
                let block =
                    egui::Frame::new().fill(theme::of(ui).faint).corner_radius(6.0).inner_margin(6.0).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.label(RichText::new("You").weak().small());
                        match text.char_indices().nth(super::USER_SHOWN_CHARS) {
                            // A huge message shows its start; Copy gives all of it.
                            Some((cut, _)) => {
                                ui.add(egui::Label::new(&text[..cut]).selectable(true));
                                ui.label(RichText::new(format!("… {} in all", size(text.len()))).weak());
                                true
                            }
                            None => {
                                ui.add(egui::Label::new(text.as_str()).selectable(true));
                                false
                            }
                        }
                    });
                if block.inner {
                    copy_button_ui(ui, block.response.rect, text, "Copy the whole message");
                }
            }
            ChatItem::Assistant { text, rendered } => markdown_ui(ui, text, rendered),
            ChatItem::Reasoning(text) => {
                egui::CollapsingHeader::new(RichText::new("Thinking").weak())
                    .id_salt(("reasoning", row))
                    .show(ui, |ui| ui.label(RichText::new(text.as_str()).weak()));
            }
            ChatItem::Tool(card) => tool_card_ui(ui, card, intents),
            ChatItem::WorkOrder { order, draft } => work_order_ui(ui, order, draft, intents),
            ChatItem::Command { approval, decided } => {
                super::approval::command_approval_ui(ui, approval, *decided, intents)
            }
            ChatItem::Receipt(receipt) => {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    receipt_ui(ui, receipt, intents);
                });
            }
            ChatItem::Change { id, title, files, status } => {
                if change_card_ui(ui, *id, title, files, *status) {
                    intents.push(Intent::ShowChangeSet(*id));
                }
            }
            ChatItem::Note { text, error: true } => {
                ui.colored_label(theme::of(ui).error, text.as_str());
            }
            ChatItem::Note { text, error: false } => {
                ui.label(RichText::new(text.as_str()).weak().italics());
            }
        }
    });
    if load_earlier {
        chat.load_earlier(intents);
    }
}

/// Whether an item of this turn (since the user's last message) matches: only the current turn is
/// looked at, not the whole conversation.
fn this_turn_has(items: &[ChatItem], wanted: impl Fn(&ChatItem) -> bool) -> bool {
    items.iter().rev().take_while(|i| !matches!(i, ChatItem::User(_))).any(wanted)
}

/// The reply as it streams in: its reasoning so far (short), then its text as markdown.
fn live_ui(ui: &mut Ui, reply: &mut Option<LiveReply>, running: bool, items: &[ChatItem]) {
    match reply {
        Some(reply) => {
            if !reply.reasoning.is_empty() && reply.text.is_empty() {
                let tail: String =
                    reply.reasoning.chars().rev().take(240).collect::<Vec<_>>().into_iter().rev().collect();
                ui.label(RichText::new(format!("Thinking… {tail}")).weak().italics());
            }
            markdown_ui(ui, &reply.text, &mut reply.rendered);
        }
        None if running
            && this_turn_has(
                items,
                |i| matches!(i, ChatItem::Change { status, .. } if *status == ChangeSetStatus::Proposed),
            ) =>
        {
            ui.label(RichText::new("Waiting for your decision in Review…").weak());
        }
        None if running && this_turn_has(items, |i| matches!(i, ChatItem::Command { decided: None, .. })) => {
            ui.label(RichText::new("Waiting for your answer to the command above…").weak());
        }
        None if running => {
            ui.label(RichText::new("Waiting for the model…").weak());
        }
        None => {}
    }
}
