//! The Chat and Review panels driven as a person would, against the real engine, a real store and
//! workspace in temp dirs, and the provider emulator on loopback: send a message, watch the reply
//! and tool cards, queue a second message, decide a change per hunk in Review, see what landed on
//! disk, and undo it from its checkpoint.

use aura::llm::ProviderKind;
use aura::llm::emulator::script::Turn;
use aura::llm::emulator::{Emulator, demo};
use aura::protocol::{Command, ModelChoice};
use aura::ui::{AuraApp, Tab};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

mod ui_harness;

use ui_harness::{harness_with_store, step_until, type_message, wait_until_closed, wait_until_ready};

#[test]
fn a_chat_message_streams_its_reply_and_its_change_is_decided_per_hunk_in_review() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir(workspace.path().join("src")).unwrap();
    std::fs::write(workspace.path().join("Cargo.toml"), demo::CARGO_TOML).unwrap();
    let lib = workspace.path().join("src/lib.rs");
    std::fs::write(&lib, demo::LIB_RS).unwrap();
    let mut script = demo::chat_script();
    // After the chat's own three turns (the demo's review Drone turns come later).
    script.turns.insert(3, Turn::text("Triple can wait until `double` is tested."));
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();

    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().send(Command::OpenProject { root: workspace.path().to_path_buf() });
    step_until(&mut harness, 1_500, "the project never opened", |app| app.view().project.is_some());
    ui_harness::use_emulator(&mut harness, &emulator);
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    harness.get_by_label("Ask about the code, or describe a change to make.");

    // Enter sends; the reply streams, the read is a card, and the edit waits in Review.
    type_message(&mut harness, "Add a double function");
    step_until(&mut harness, 1_500, "the change never reached Review", |app| !app.view().review.pending.is_empty());
    harness.run_steps(2);
    // The message, and the conversation it started named after it in the chat's head.
    assert_eq!(harness.get_all_by_label("Add a double function").count(), 2);
    harness.get_by_label("Let me read the library first.");
    harness.get_by_label_contains("▸ read src/lib.rs → ");
    harness.get_by_label_contains("Change: write src/lib.rs");
    assert!(harness.state().view().chat.running, "the turn waits for the review");

    // A message sent while the turn runs is queued, and shown as such.
    type_message(&mut harness, "Then add triple");
    step_until(&mut harness, 1_500, "the message was never queued", |app| !app.view().chat.queued.is_empty());
    harness.run_steps(2);
    harness.get_by_label("Queued, sent when this turn ends:");

    // A tool card expands to the tool's full output.
    harness.get_by_label_contains("▸ read src/lib.rs → ").click();
    harness.run_steps(2);
    harness.get_by_label_contains("pub fn add(a: i64, b: i64) -> i64");
    // Its Copy button puts the whole output on the clipboard.
    harness.get_by_label("Copy").click();
    harness.run_steps(1);
    let copied = harness.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(text) => Some(text.clone()),
        _ => None,
    });
    assert!(copied.as_deref().is_some_and(|t| t.contains("pub fn add(a: i64, b: i64) -> i64")), "{copied:?}");

    // Review: two hunks; reject the doc line, accept the function, with a comment back.
    harness.get_by_label("Open in Review").click();
    harness.run_steps(3);
    assert_eq!(harness.get_all_by_label("Accept").count(), 2, "one Accept per hunk");
    harness.get_all_by_label("Reject").next().unwrap().click();
    harness.run_steps(1);
    harness.get_all_by_label("Accept").nth(1).unwrap().click();
    harness.run_steps(1);
    harness.run_steps(1);
    harness.get_by_label("Apply decisions (1 accepted, 1 rejected)").click();
    step_until(&mut harness, 1_500, "the turn never finished", |app| !app.view().chat.running);
    harness.run_steps(2);

    let landed = std::fs::read_to_string(&lib).unwrap();
    assert!(landed.contains("pub fn double(a: i64) -> i64"), "the accepted hunk landed:\n{landed}");
    assert!(landed.starts_with("//! Small arithmetic helpers.\n"), "the rejected hunk did not:\n{landed}");
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    harness.get_by_label_contains("Change: write src/lib.rs");
    harness.get_by_label("partly applied");
    // The answer arrived as markdown: its code block and its list are their own pieces.
    harness.get_by_label("pub fn double(a: i64) -> i64 {\n    add(a, a)\n}");
    harness.get_by_label("• nothing else changed");
    // The queued message became the next turn.
    harness.get_by_label("Then add triple");
    harness.get_by_label("Triple can wait until double is tested.");

    // Usage counts every request of the conversation (read, edit, answer, the queued turn), and the
    // status bar shows the chat's tokens and cache rate.
    harness.state_mut().show_tab(Tab::Usage);
    harness.run_steps(2);
    harness.get_by_label_contains("4 requests · in ");
    harness.get_by_label_contains("Chat: in ");
    harness.get_by_label_contains("Loop: Idle");

    // The applied change is a checkpoint: undo puts the file back byte for byte.
    harness.state_mut().show_tab(Tab::Review);
    harness.run_steps(2);
    harness.get_by_label("Nothing waits for review.");
    harness.get_by_label("Undo").click();
    step_until(&mut harness, 1_500, "the undo never happened", |app| app.view().review.applied.is_empty());
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), demo::LIB_RS);
}

#[test]
fn a_failed_send_says_why_in_the_chat() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().send(Command::OpenProject { root: workspace.path().to_path_buf() });
    step_until(&mut harness, 1_500, "the project never opened", |app| app.view().project.is_some());
    harness.state_mut().show_tab(Tab::Chat);
    harness.run_steps(2);
    // Shift+Enter starts a new line; Enter sends.
    harness.get_by_role(Role::MultilineTextInput).focus();
    harness.run_steps(1);
    harness.get_by_role(Role::MultilineTextInput).type_text("first line");
    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Enter);
    harness.get_by_role(Role::MultilineTextInput).type_text("second line");
    harness.run_steps(1);
    assert_eq!(harness.state().view().chat.input, "first line\nsecond line");
    // No model is chosen: the message is not lost silently, the chat says what to do.
    harness.key_press(egui::Key::Enter);
    harness.run_steps(1);
    assert!(harness.state().view().chat.input.is_empty(), "Enter sent the message");
    step_until(&mut harness, 1_500, "no error reached the chat", |app| {
        app.view().chat.items.iter().any(|i| matches!(i, aura::ui::ChatItem::Note { error: true, .. }))
    });
    harness.run_steps(2);
    // In the chat, where it was sent, and in the status bar.
    let why = "no model is chosen for this project: pick the Planner's and Worker's models in Settings";
    assert_eq!(harness.get_all_by_label_contains(why).count(), 2);
}

#[test]
fn the_palette_runs_actions_and_the_theme_is_kept_for_the_next_start() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut harness = harness_with_store(data.clone(), &runtime);
    wait_until_ready(&mut harness);
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);

    // Ctrl+Shift+P, a few letters, Enter: the Usage tab comes forward.
    let palette = egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT);
    harness.key_press_modifiers(palette, egui::Key::P);
    harness.run_steps(2);
    // The palette's field is the last one drawn (the welcome's typed path is the other).
    harness.get_all_by_role(Role::TextInput).last().unwrap().type_text("usage");
    harness.run_steps(2);
    harness.get_by_label("Show Usage");
    assert!(harness.query_by_label("Show Chat").is_none(), "the list is filtered");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    harness.get_by_label("Open a project to see what its model requests cost.");
    assert!(harness.query_by_label("Show Usage").is_none(), "the palette closed");

    // The theme switch from the palette applies at once and is stored.
    harness.key_press_modifiers(palette, egui::Key::P);
    harness.run_steps(2);
    harness.get_all_by_role(Role::TextInput).last().unwrap().type_text("theme");
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert_eq!(harness.ctx.theme(), egui::Theme::Light, "light theme applied");
    drop(harness);

    // The first engine lets go of the store once it has finished its commands; then it reopens.
    wait_until_closed(&data);
    let mut harness = harness_with_store(data, &runtime);
    wait_until_ready(&mut harness);
    step_until(&mut harness, 1_500, "the stored theme never came back", |app| !app.view().appearance.dark);
    harness.run_steps(2);
    assert_eq!(harness.ctx.theme(), egui::Theme::Light, "light theme after a restart");
}

#[test]
fn the_model_form_tests_a_connection_and_the_approval_policy_is_kept() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let emulator =
        runtime.block_on(Emulator::start(aura::llm::emulator::script::Script::new(vec![Turn::text("OK")]))).unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().send(Command::OpenProject { root: workspace.path().to_path_buf() });
    step_until(&mut harness, 1_500, "the project never opened", |app| app.view().project.is_some());
    harness.run_steps(2);

    // The chat offers the model form while none is chosen: base URL, model, then Test connection.
    let type_into = |harness: &mut Harness<'_, AuraApp>, index: usize, text: &str| {
        harness.get_all_by_role(Role::TextInput).nth(index).unwrap().focus();
        harness.run_steps(1);
        harness.get_all_by_role(Role::TextInput).nth(index).unwrap().type_text(text);
        harness.run_steps(1);
    };
    type_into(&mut harness, 0, &emulator.base_url(ProviderKind::Openai));
    type_into(&mut harness, 1, "emu-coder");
    harness.get_by_label("Test connection").click();
    step_until(&mut harness, 1_500, "the test never answered", |app| {
        app.view().project.as_ref().is_some_and(|p| matches!(p.connection_test, Some(Some(_))))
    });
    harness.run_steps(2);
    harness.get_by_label_contains("✔ emu-coder answered in");

    // A server that is not there says so, in words.
    harness.get_all_by_role(Role::TextInput).next().unwrap().focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_all_by_role(Role::TextInput).next().unwrap().type_text("http://127.0.0.1:9/v1");
    harness.run_steps(1);
    harness.get_by_label("Test connection").click();
    harness.run_steps(1);
    step_until(&mut harness, 1_500, "the failed test never answered", |app| {
        app.view().project.as_ref().is_some_and(|p| matches!(p.connection_test, Some(Some((false, _)))))
    });
    harness.run_steps(2);
    let failure = harness.get_by_label_contains("✖ ");
    assert!(format!("{failure:?}").contains("127.0.0.1:9"), "the message names the server: {failure:?}");

    // Read-only, chosen in Settings, is stored and comes back with the project.
    harness.state_mut().show_tab(Tab::Settings);
    harness.run_steps(2);
    harness.get_by_label("Read-only").click();
    harness.run_steps(1);
    harness.state_mut().send(Command::OpenProject { root: workspace.path().to_path_buf() });
    // A fresh snapshot has no connection test: that is how the reopened project is recognised.
    step_until(&mut harness, 1_500, "the project was not reopened", |app| {
        app.view().project.as_ref().is_some_and(|p| p.connection_test.is_none())
    });
    let reopened = harness.state().view().project.as_ref().unwrap().approval_policy;
    assert_eq!(reopened, aura::domain::ApprovalPolicy::ReadOnly);
}

#[test]
fn a_key_saved_in_settings_is_used_and_never_shown_again() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let script = aura::llm::emulator::script::Script::new(vec![Turn::text("OK")]).with_key("sk-secret-123");
    let emulator = runtime.block_on(Emulator::start(script)).unwrap();
    let data = dir.path().join("data");
    let mut harness = harness_with_store(data.clone(), &runtime);
    ui_harness::open_in_app(&mut harness, workspace.path());
    step_until(&mut harness, 1_500, "the keys were never listed", |app| app.view().api_keys.len() == 3);
    let choice = ModelChoice {
        provider: ProviderKind::Openai,
        base_url: Some(emulator.base_url(ProviderKind::Openai)),
        model: "emu-coder".into(),
        context_window: None,
    };
    let tested = |harness: &mut Harness<'_, AuraApp>| {
        harness.state_mut().send(Command::TestConnection { choice: choice.clone() });
        if let Some(p) = harness.state_mut().view_mut().project.as_mut() {
            p.connection_test = Some(None);
        }
        step_until(harness, 1_500, "the test never answered", |app| {
            app.view().project.as_ref().is_some_and(|p| matches!(p.connection_test, Some(Some(_))))
        });
        harness.state().view().project.as_ref().unwrap().connection_test.clone().unwrap().unwrap()
    };
    // Without a key the server refuses, and the message says which key to set.
    let (ok, message) = tested(&mut harness);
    assert!(!ok && message.contains("OPENAI_API_KEY"), "{message}");

    // Typed in Settings (masked), saved: the next request carries it.
    harness.state_mut().show_tab(Tab::Settings);
    harness.run_steps(2);
    harness.get_all_by_role(Role::PasswordInput).nth(2).unwrap().focus();
    harness.run_steps(1);
    harness.get_all_by_role(Role::PasswordInput).nth(2).unwrap().type_text("sk-secret-123");
    harness.run_steps(1);
    harness.get_all_by_label("Save").nth(2).unwrap().click();
    step_until(&mut harness, 1_500, "the key was never saved", |app| {
        app.view().api_keys.iter().any(|k| k.env == "OPENAI_API_KEY" && k.source == aura::protocol::KeySource::Settings)
    });
    let (ok, message) = tested(&mut harness);
    assert!(ok, "{message}");
    // The view holds no trace of it, and the file is the owner's alone.
    assert!(!format!("{:?}", harness.state().view()).contains("sk-secret-123"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("keys.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Without autopilot a person drives the loop: the specs and each edit are accepted in Review, and
/// each Planner work order is approved from its card, in the chat or in Tasks.
#[test]
fn without_autopilot_the_user_accepts_changes_and_approves_work_orders_from_their_cards() {
    use aura::domain::TaskStatus;
    use aura::protocol::LoopState;
    use aura::ui::ChatItem;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("requirements.md"), demo::REQUIREMENTS).unwrap();
    let emulator = runtime.block_on(Emulator::start(demo::script())).unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    ui_harness::open_in_app(&mut harness, workspace.path());
    ui_harness::use_emulator(&mut harness, &emulator);
    harness.state_mut().show_tab(Tab::Tasks);
    harness.run_steps(2);
    harness.get_by_label("Start").click();

    let (mut accepted, mut approved) = (0, 0);
    for _ in 0..6_000 {
        harness.run_steps(1);
        let view = harness.state().view();
        let finished = view.project.as_ref().is_some_and(|p| p.loop_state == LoopState::Finished);
        let order_waiting =
            view.chat.items.iter().any(|i| matches!(i, ChatItem::WorkOrder { draft: aura::ui::OrderDraft::Open, .. }));
        let change_waiting = !view.review.pending.is_empty();
        if finished {
            break;
        }
        if order_waiting {
            // One card in two places: the chat's and Tasks'; approved from each in turn.
            harness.state_mut().show_tab(Tab::Chat);
            harness.state_mut().show_tab(Tab::Tasks);
            harness.run_steps(2);
            assert_eq!(harness.get_all_by_label("Approve").count(), 2, "the order waits in the chat and in Tasks");
            harness.get_all_by_label("Approve").nth(approved % 2).unwrap().click();
            harness.run_steps(2);
            assert_eq!(harness.query_all_by_label("Approve").count(), 0, "one decision, shown in both places");
            approved += 1;
        } else if change_waiting {
            harness.state_mut().show_tab(Tab::Review);
            harness.run_steps(2);
            // The decision just sent may have landed meanwhile, taking the change with it.
            if let Some(button) = harness.query_by_label("Accept all") {
                button.click();
                harness.run_steps(1);
                accepted += 1;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let view = harness.state().view();
    let open = view.project.as_ref().unwrap();
    assert_eq!(open.loop_state, LoopState::Finished, "{:?}", open.loop_reason);
    assert!(open.tasks.iter().all(|t| t.status == TaskStatus::Done));
    assert_eq!(approved, 3, "one work order per task, each approved from its card");
    assert!(accepted >= 4, "the specs and each task's edit were accepted in Review ({accepted})");
    assert!(std::fs::read_to_string(workspace.path().join("src/lib.rs")).unwrap().contains("pub fn sub"));
}

#[test]
fn the_drones_tab_lists_drones_and_errors_and_saves_a_new_drone_as_a_manifest() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let folder = workspace.path().join(".aura/drones");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("broken.toml"),
        "name = \"broken\"\nrole = \"x\"\nrol = \"typo\"\ninstructions = \"i\"\n",
    )
    .unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    ui_harness::open_in_app(&mut harness, workspace.path());
    step_until(&mut harness, 1_500, "the Drones were never listed", |app| !app.view().drones.drones.is_empty());
    harness.state_mut().show_tab(Tab::Drones);
    harness.run_steps(2);
    harness.get_by_label("review\nreview of changes");
    harness.get_by_label(".aura/drones/broken.toml:3:1: unknown key \"rol\"; did you mean \"role\"?");

    // A new Drone from the form: name, role, instructions, then Save.
    harness.get_by_label("New Drone").click();
    harness.run_steps(2);
    let type_into = |harness: &mut Harness<'_, AuraApp>, role: Role, index: usize, text: &str| {
        harness.get_all_by_role(role).nth(index).unwrap().focus();
        harness.run_steps(1);
        harness.get_all_by_role(role).nth(index).unwrap().type_text(text);
        harness.run_steps(1);
    };
    // Drones shares the left pane with Chat and is in front, so its inputs come first: name, role,
    // model; its instructions are the one multi-line input on screen.
    type_into(&mut harness, Role::TextInput, 0, "api-docs");
    type_into(&mut harness, Role::TextInput, 1, "documentation");
    type_into(&mut harness, Role::MultilineTextInput, 0, "Keep docs/api.md in step with src/api/.");
    harness.get_by_label("Save Drone").click();
    step_until(&mut harness, 1_500, "the Drone was never saved", |app| {
        app.view().drones.drones.iter().any(|(d, _)| d.name == "api-docs")
    });
    let text = std::fs::read_to_string(folder.join("api-docs.toml")).unwrap();
    assert!(
        text.starts_with("name = \"api-docs\"\nrole = \"documentation\"\ninstructions = \"\"\"\nKeep docs/api.md"),
        "{text}"
    );
    let parsed = aura::domain::DroneManifest::parse(std::path::Path::new("api-docs.toml"), &text).unwrap();
    assert_eq!(parsed.tool_policy, aura::domain::ToolPolicy::NormalReview);
    // The saved Drone is shown, and the broken manifest is still reported beside it.
    harness.run_steps(2);
    harness.get_by_label("api-docs");
    assert_eq!(harness.state().view().drones.errors.len(), 1);
}

/// At the window's first size, in the default layout, a side-by-side diff of long lines keeps each
/// line whole: both columns are as wide as the longest line, side by side, and the diff scrolls
/// sideways instead of cutting them.
#[test]
fn a_side_by_side_diff_of_long_lines_stays_whole_at_the_default_window_size() {
    use aura::domain::{ChangeSet, FileChange, FileChangeKind};
    use aura::protocol::Event;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let app = ui_harness::app_with_store(&dir.path().join("data"), &runtime);
    let mut harness = Harness::builder()
        .with_size(aura::ui::WINDOW_SIZE)
        .build_ui_state(|ui, app: &mut AuraApp| app.ui_contents(ui), app);
    ui_harness::open_in_app(&mut harness, workspace.path());
    let line = |tense: &str| {
        format!("    tracing::info!(\"{tense}: {{read}} of {{total}} files, {{skipped}} skipped, in {{elapsed:?}}\");")
    };
    let (old_line, new_line) = (line("read"), line("were read"));
    let before = format!("fn report() {{\n{old_line}\n}}\n");
    let after = format!("fn report() {{\n{new_line}\n}}\n");
    let file = FileChange {
        path: "src/report.rs".into(),
        kind: FileChangeKind::Modify,
        hunks: aura::edits::hunks(&before, &after),
        before: Some(before),
        after: Some(after),
        before_hash: None,
    };
    harness.state_mut().apply(Event::ChangeSetProposed { changeset: ChangeSet::new(None, "log it", vec![file]) });
    harness.state_mut().show_tab(Tab::Review);
    harness.run_steps(2);
    harness.get_by_label("Side by side").click();
    harness.run_steps(3);

    let mono = harness.ctx.global_style().text_styles[&egui::TextStyle::Monospace].clone();
    // The row holds its gutter (the line number and the sign) and then the text.
    let drawn = format!("    2 + {new_line}");
    let text_width = harness.ctx.fonts_mut(|f| f.layout_no_wrap(drawn, mono, egui::Color32::WHITE).size().x);
    let old = harness.get_by_label(&old_line).rect();
    let new = harness.get_by_label(&new_line).rect();
    assert!(old.width() >= text_width && new.width() >= text_width, "{old:?} and {new:?} cut a {text_width} px line");
    assert_eq!(old.top(), new.top(), "the two versions share a row");
    assert!(old.right() <= new.left(), "the new version stands right of the old: {old:?} {new:?}");
    // Where the pane is too narrow for both, the new version is reached by scrolling sideways.
    harness.get_by_label(&new_line).scroll_to_me();
    harness.run_steps(3);
    let shown = harness.get_by_label(&new_line).rect();
    assert!(shown.left() < aura::ui::WINDOW_SIZE[0] && shown.top() == new.top(), "scrolled sideways to {shown:?}");
}
