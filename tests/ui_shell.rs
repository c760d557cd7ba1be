//! The desktop shell under egui_kittest (no GPU): every tab is there and draws without a project,
//! the View menu brings tabs forward, and the status bar shows the store the engine opened.

mod ui_harness;

use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_harness::{harness_with_store, open_in_app, step_until, wait_until_ready};

#[test]
fn every_tab_is_present_and_draws_without_a_project() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut harness = harness_with_store(data.clone(), &runtime);
    wait_until_ready(&mut harness);
    harness.get_by_label(&format!("Aura {} · store ready at {}", env!("CARGO_PKG_VERSION"), data.display()));

    let open = harness.state().open_tabs();
    assert_eq!(open.len(), Tab::ALL.len());
    // A Drone's tab is opened by summoning it, or by name, as here.
    for tab in Tab::ALL.into_iter().chain([Tab::Drone("review".into())]) {
        assert!(open.contains(&tab) || matches!(tab, Tab::Drone(_)), "{tab:?} is not in the dock");
        harness.state_mut().show_tab(tab.clone());
        harness.run_steps(2);
        // Each tab draws: Settings its servers, the Companion its switch, the others say what opening a
        // project brings.
        let shown = match tab {
            Tab::Settings => "Local model servers",
            Tab::Tasks => "Open a project to see its tasks and run the dev loop.",
            Tab::Chat => "Open a project to chat about its code.",
            Tab::Review => "Open a project to review its changes.",
            Tab::Usage => "Open a project to see what its model requests cost.",
            Tab::Specs => "Open a project to read and edit its specs.",
            Tab::Memory => "Open a project to see what it has learned.",
            Tab::Drones => "Open a project to see its Drones.",
            Tab::Companion => "Off: nothing is listening. Turn it on to pair a phone.",
            Tab::Search => "Open a project to search its files.",
            Tab::Drone(_) => "Open a project to summon its Drones.",
            Tab::Git => "Open a project to see its git status.",
            Tab::Files => "Open a project to see its files.",
            Tab::File(_) => "Open the project this file belongs to, to see it.",
        };
        harness.get_by_label(shown);
    }
}

#[test]
fn settings_lists_the_local_model_servers_the_engine_found() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().show_tab(Tab::Settings);
    // Discovery starts with the window; each port answers or times out within a second.
    step_until(&mut harness, 300, "discovery never answered", |app| app.view().local_servers.is_some());
    harness.run_steps(2);
    for (name, url) in [
        ("Ollama", "http://127.0.0.1:11434"),
        ("llama.cpp", "http://127.0.0.1:8080/v1"),
        ("LM Studio", "http://127.0.0.1:1234/v1"),
        ("vLLM", "http://127.0.0.1:8000/v1"),
    ] {
        harness.get_by_label(name);
        harness.get_by_label(url);
    }
    // Searching again sends the command; the answer is applied on a later frame.
    harness.get_by_label("Find local servers").click();
    harness.run_steps(1);
    assert!(harness.state().view().discovering);
    step_until(&mut harness, 300, "the second search never finished", |app| !app.view().discovering);
}

#[test]
fn the_view_menu_brings_a_tab_forward() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    // Review shares its leaf with Specs (in front at start), so its text is not drawn yet.
    assert!(harness.query_by_label("Open a project to review its changes.").is_none());
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Review").click();
    harness.run_steps(2);
    harness.get_by_label("Open a project to review its changes.");
}

#[test]
fn a_store_that_cannot_open_is_shown_not_crashed_on() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "x").unwrap();
    let mut harness = harness_with_store(file.clone(), &runtime);
    wait_until_ready(&mut harness);
    harness.run_steps(1);
    harness.get_by_label("Store unavailable");
    let banner = harness.get_by_label_contains("The store could not be opened:");
    assert!(format!("{banner:?}").contains("is a file, not an Aura data directory"));
    // The tabs still draw: the window is usable.
    harness.get_by_label("Open a project to chat about its code.");
}

#[test]
fn ctrl_and_a_number_brings_that_tab_forward() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    let tasks = "Open a project to see its tasks and run the dev loop.";
    assert!(harness.query_by_label(tasks).is_none());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
    harness.run_steps(2);
    harness.get_by_label(tasks);
    assert!(
        harness.query_by_label("Open a project to read and edit its specs.").is_none(),
        "Tasks replaced Specs in front"
    );
}

#[test]
fn settings_opens_a_project_and_saves_its_own_checks() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("Cargo.toml"), "[package]\nname = \"w\"\nversion = \"0.1.0\"\n").unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    harness.state_mut().show_tab(Tab::Settings);
    harness.run_steps(2);
    harness.get_by_label("Open a project to see and set its checks.");

    // Type the folder, open it: the detected checks appear.
    // Settings' folder field, after the welcome's.
    harness.get_all_by_role(egui::accesskit::Role::TextInput).last().unwrap().focus();
    harness.run_steps(1);
    harness
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .last()
        .unwrap()
        .type_text(workspace.path().to_str().unwrap());
    harness.run_steps(2);
    harness.get_all_by_label("Open").last().unwrap().click();
    step_until(&mut harness, 300, "the project never opened", |app| app.view().project.is_some());
    harness.run_steps(2);
    harness.get_by_label("cargo test");
    assert_eq!(harness.get_all_by_label("from Cargo.toml").count(), 4);

    // Add a check, type its command, save: the engine stores it and the view shows it as saved.
    harness.get_by_label("Add check").click();
    harness.run_steps(2);
    // The text inputs: the chat's model form (base URL, model: no model is chosen yet), the folder,
    // then the new check's command.
    harness.get_all_by_role(egui::accesskit::Role::TextInput).nth(3).unwrap().focus();
    harness.run_steps(1);
    harness.get_all_by_role(egui::accesskit::Role::TextInput).nth(3).unwrap().type_text("make quick");
    harness.run_steps(2);
    harness.get_by_label("Save checks").click();
    step_until(&mut harness, 300, "the checks were never saved", |app| {
        app.view().project.as_ref().is_some_and(|p| p.check_overrides.len() == 1)
    });
    let saved = &harness.state().view().project.as_ref().unwrap().check_overrides[0];
    assert_eq!((saved.command.as_str(), saved.source.as_str()), ("make quick", "settings"));
}

#[test]
fn the_tasks_tab_runs_the_loop_and_shows_each_task_s_receipt() {
    use aura::llm::ProviderKind;
    use aura::llm::emulator::{Emulator, demo};
    use aura::protocol::LoopState;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("requirements.md"), demo::REQUIREMENTS).unwrap();
    let emulator = runtime.block_on(Emulator::start(demo::script())).unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());

    // Choose the model in Settings, as a person would: base URL and model name, then autopilot.
    harness.state_mut().show_tab(Tab::Settings);
    harness.run_steps(2);
    // Settings and the chat both offer the model form while none is chosen.
    assert_eq!(harness.get_all_by_label("In use: none chosen yet: the dev loop and the chat need one").count(), 2);
    let type_into = |harness: &mut Harness<'_, AuraApp>, index: usize, text: &str| {
        harness.get_all_by_role(egui::accesskit::Role::TextInput).nth(index).unwrap().focus();
        harness.run_steps(1);
        harness.get_all_by_role(egui::accesskit::Role::TextInput).nth(index).unwrap().type_text(text);
        harness.run_steps(1);
    };
    // The chat's form comes first (two inputs), then Settings': folder, base URL, model.
    type_into(&mut harness, 3, &emulator.base_url(ProviderKind::Openai));
    type_into(&mut harness, 4, "emu-coder");
    harness.get_all_by_label("Use for Planner and Worker").nth(1).unwrap().click();
    step_until(&mut harness, 300, "the model was never saved", |app| {
        app.view().project.as_ref().is_some_and(|p| p.models.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label("In use: OpenAI-compatible · emu-coder");
    harness.get_by_label("Autopilot (approve work orders and clean changes without asking)").click();
    step_until(&mut harness, 300, "autopilot was never set", |app| {
        app.view().project.as_ref().is_some_and(|p| p.loop_settings.autopilot)
    });
    harness.state_mut().show_tab(Tab::Tasks);
    harness.run_steps(2);
    harness.get_by_label("No tasks yet: start the loop to write specs from requirements.md and read their tasks.");

    harness.get_by_label("Start").click();
    step_until(&mut harness, 3_000, "the loop never finished", |app| {
        app.view().project.as_ref().is_some_and(|p| matches!(p.loop_state, LoopState::Finished | LoopState::Blocked))
    });
    harness.run_steps(2);
    harness.get_by_label("Finished: every task is done");
    harness.get_by_label("3 of 3 tasks done");
    harness.get_by_label("02 Operations");
    assert_eq!(harness.get_all_by_label("after 01.1").count(), 2);
    // The chat shows the receipts as cards too; the task's own appears in Tasks once it is selected.
    let receipts = |harness: &Harness<'_, AuraApp>| harness.get_all_by_label("Receipt: Verified").count();
    let in_chat = receipts(&harness);
    harness.get_by_label("01.1").click();
    harness.run_steps(2);
    assert_eq!(receipts(&harness), in_chat + 1);
    // Its files are links to the viewer.
    assert!(harness.get_all_by_label("Files changed:").count() >= 1);
    harness.get_all_by_label("src/lib.rs").next().expect("the file's link").click();
    harness.run_steps(2);
    assert!(harness.state().open_tabs().contains(&Tab::File("src/lib.rs".into())), "the link opened the file");
    // The file opened beside Review, in front of Tasks: Tasks comes back.
    harness.state_mut().show_tab(Tab::Tasks);
    harness.run_steps(2);
    // The receipt says why the task was not committed: this workspace is no git repository.
    assert!(harness.get_all_by_label_contains("Not committed: the workspace is not a git repository").count() >= 1);

    // The task's log, read from the project's log when opened: its moves, its work order, its receipt.
    harness.get_by_label("Log").click();
    step_until(&mut harness, 300, "the log never came", |app| {
        app.view().project.as_ref().is_some_and(|p| p.task_log.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label_contains("ready → in_progress");
    harness.get_by_label_contains("work order approved: Create the mathlib crate with add");
    harness.get_by_label_contains("receipt: Verified.");
    harness.get_by_label_contains("in_progress → done");
    assert!(harness.get_all_by_label_contains("cargo test  → passed, 1 test").count() >= 1);

    // The spec writer's turn is no chat: Specs shows it, under the outline, read from its records.
    assert!(harness.state().view().conversations.list.iter().all(|c| c.title != "Specs"));
    harness.state_mut().show_tab(Tab::Specs);
    harness.run_steps(2);
    harness.get_by_label("How the specs were written");
    harness.get_by_label_contains("Specs · ").click();
    step_until(&mut harness, 300, "the spec writer's session never showed", |app| {
        app.view().specs.reading.as_ref().is_some_and(|c| !c.items.is_empty())
    });
    harness.run_steps(2);
    harness.get_by_label_contains("Write the specs for these requirements.");
}
