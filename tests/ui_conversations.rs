//! The chat's conversations, driven as a person would: the real app over a real store, the engine
//! on a runtime of its own, the provider emulator on loopback. A restart reopens the project and
//! the conversation used last; the list switches, renames and deletes; a 5 MB paste is attached,
//! not typed.

mod ui_harness;

use aura::llm::emulator::Emulator;
use aura::llm::emulator::script::{Script, Turn};
use aura::ui::{ChatItem, Tab};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use ui_harness::{
    app_with_store, harness, open_in_app, step_until, type_message, use_emulator, wait_until_closed, wait_until_ready,
};

fn user_texts(app: &aura::ui::AuraApp) -> Vec<String> {
    app.view()
        .chat
        .items
        .iter()
        .filter_map(|i| match i {
            ChatItem::User(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_restart_reopens_the_last_project_and_conversation_and_the_list_switches_renames_and_deletes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![Turn::text("Parsing is step one."), Turn::text("Lexing comes first.")]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut harness = harness(app_with_store(&data, &runtime));
    open_in_app(&mut harness, workspace.path());
    use_emulator(&mut harness, &emulator);
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    type_message(&mut harness, "About the parser");
    step_until(&mut harness, 1_500, "no reply", |app| !app.view().chat.running && app.view().chat.items.len() >= 2);
    // A second conversation from New chat in the palette.
    harness.state_mut().view_mut().conversations.shown = true;
    harness.run_steps(1);
    harness.get_by_label("New chat").click();
    harness.run_steps(2);
    type_message(&mut harness, "About the lexer");
    step_until(&mut harness, 1_500, "no second conversation", |app| app.view().conversations.list.len() == 2);
    step_until(&mut harness, 1_500, "no second reply", |app| !app.view().chat.running);
    harness.run_steps(2);

    // The list: the other conversation opens on a click, with what it said.
    harness.get_by_label("About the parser").click();
    step_until(&mut harness, 1_500, "the first conversation never opened", |app| {
        user_texts(app) == ["About the parser"]
    });
    // Right-click, Rename, type, Enter: the engine renames it.
    harness.get_by_label("About the lexer").click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Rename").click();
    harness.run_steps(2);
    harness.get_all_by_role(Role::TextInput).last().unwrap().type_text(" (notes)");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 1_500, "never renamed", |app| {
        app.view().conversations.list.iter().any(|c| c.title == "About the lexer (notes)")
    });

    // kill -9 is the store's test; here the app closes and starts again without --open.
    drop(harness);
    wait_until_closed(&data);
    let mut harness = ui_harness::harness(app_with_store(&data, &runtime).opening(None));
    wait_until_ready(&mut harness);
    step_until(&mut harness, 1_500, "the last project never reopened", |app| app.view().project.is_some());
    step_until(&mut harness, 1_500, "the last conversation never reopened", |app| {
        user_texts(app) == ["About the parser"]
    });
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    // The reply, and the list's line for its conversation.
    assert_eq!(harness.get_all_by_label("Parsing is step one.").count(), 2);

    // Delete the open one, confirming: the other opens.
    // Its name is in the chat's head, the list, and the message: the list's is the second.
    assert_eq!(harness.get_all_by_label("About the parser").count(), 3);
    harness.get_all_by_label("About the parser").nth(1).unwrap().click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Delete…").click();
    harness.run_steps(2);
    harness.get_by_label("Delete").click();
    step_until(&mut harness, 1_500, "never deleted", |app| app.view().conversations.list.len() == 1);
    step_until(&mut harness, 1_500, "the other never opened", |app| user_texts(app) == ["About the lexer"]);
}

#[test]
fn a_5_mb_paste_is_attached_to_the_message_not_typed_and_the_message_keeps_it_all() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = Script::new(vec![Turn::text("That is a long log.")]);
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let mut harness = harness(app_with_store(&dir.path().join("data"), &runtime));
    open_in_app(&mut harness, workspace.path());
    use_emulator(&mut harness, &emulator);
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);

    let log: String = (0..120_000).map(|i| format!("line {i:06} of the build log, nothing to see\n")).collect();
    let mb = format!("{:.1} MB", log.len() as f64 / 1e6);
    assert_eq!(mb, "5.4 MB");
    harness.get_by_role(Role::MultilineTextInput).focus();
    harness.run_steps(1);
    harness.event(egui::Event::Paste(log.clone()));
    harness.run_steps(1);
    assert!(harness.state().view().chat.input.is_empty(), "the input stays light");
    harness.get_by_label_contains("Pasted text: 5.4 MB, 120000 lines");
    harness.get_by_role(Role::MultilineTextInput).type_text("Why did it fail?");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 1_500, "the message never arrived", |app| !user_texts(app).is_empty());
    let sent = &user_texts(harness.state())[0];
    assert_eq!(sent.len(), "Why did it fail?\n\n".len() + log.len(), "nothing of the paste is lost");
    harness.run_steps(2);
    // The chat shows its start, says how much there is, and offers all of it to copy.
    harness.get_by_label_contains("5.4 MB in all");
    harness.get_by_label("Copy");
    assert!(harness.query_by_label_contains("Pasted text:").is_none(), "the attachment went with it");
}
