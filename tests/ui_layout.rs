//! Docks and native windows under egui_kittest, with a real engine over a real store in a temp dir:
//! tabs move to windows and back (a native window is an embedded window here), and the layout
//! comes back on the next start, or falls back to the default when what is stored is junk.

mod ui_harness;

use aura::protocol::Command;
use aura::ui::{AuraApp, Layout, Pane, Tab, WindowLayout, default_layout};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_harness::{app_with_store, harness, harness_with_store, step_until, wait_until_closed, wait_until_ready};

/// Opens a tab's context menu (right click on its button) and clicks `item`.
fn tab_menu(harness: &mut Harness<'_, AuraApp>, tab: Tab, item: &str) {
    harness.get_by_label(&format!("{} tab", tab.title())).click_secondary();
    harness.run_steps(2);
    harness.get_by_label(item).click();
    harness.run_steps(2);
}

/// View › `submenu` › `tab`. The submenu lists tab titles as the View menu does, so its entry is
/// the one furthest right.
fn view_submenu(harness: &mut Harness<'_, AuraApp>, submenu: &str, tab: Tab) {
    harness.get_by_label("View").click();
    harness.run_steps(2);
    // A submenu's button ends in an arrow.
    harness.get_by_label(&format!("{submenu} ⏵")).click();
    harness.run_steps(2);
    let entry = harness
        .get_all_by_label(tab.title())
        .max_by(|a, b| a.rect().min.x.total_cmp(&b.rect().min.x))
        .expect("the submenu lists the tab");
    entry.click();
    harness.run_steps(2);
}

fn window_tabs(layout: &Layout) -> Vec<Vec<Tab>> {
    layout.windows.iter().map(|w| w.pane.tabs()).collect()
}

fn default_stored_layout() -> Layout {
    Layout {
        main: WindowLayout { pane: Pane::of(&default_layout()), geometry: None },
        windows: Vec::new(),
        closed: Vec::new(),
    }
}

#[test]
fn a_tab_moves_to_its_own_window_and_docks_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);

    tab_menu(&mut harness, Tab::Review, "Move to new window");
    let layout = harness.state().layout();
    assert_eq!(window_tabs(&layout), [vec![Tab::Review]]);
    assert!(!layout.main.pane.tabs().contains(&Tab::Review));
    // The window is drawn (embedded here) with the tab in front.
    harness.get_by_label("Aura — Review");
    harness.get_by_label("Open a project to review its changes.");

    // Ctrl+4 finds the tab in its window and leaves it there.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num4);
    harness.run_steps(2);
    assert_eq!(window_tabs(&harness.state().layout()), [vec![Tab::Review]]);

    tab_menu(&mut harness, Tab::Review, "Dock back");
    let layout = harness.state().layout();
    assert!(layout.windows.is_empty(), "the emptied window closed");
    assert!(layout.main.pane.tabs().contains(&Tab::Review));
    assert!(harness.query_by_label("Aura — Review").is_none());
    assert_eq!(harness.state().open_tabs().len(), Tab::ALL.len());

    // The same through the View menu.
    view_submenu(&mut harness, "Move to new window", Tab::Memory);
    assert_eq!(window_tabs(&harness.state().layout()), [vec![Tab::Memory]]);
    view_submenu(&mut harness, "Dock back", Tab::Memory);
    assert!(harness.state().layout().windows.is_empty());
    assert!(harness.state().layout().main.pane.tabs().contains(&Tab::Memory));
}

#[test]
fn closing_a_window_docks_its_tabs_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    tab_menu(&mut harness, Tab::Usage, "Move to new window");
    tab_menu(&mut harness, Tab::Tasks, "Move to new window");
    assert_eq!(window_tabs(&harness.state().layout()), [vec![Tab::Usage], vec![Tab::Tasks]]);
    // Each new window opens a step up and to the right, over the one before.
    let close = harness.get_all_by_label("Close window").min_by(|a, b| a.rect().min.y.total_cmp(&b.rect().min.y));
    close.expect("a window has a close button").click();
    harness.run_steps(2);
    let layout = harness.state().layout();
    assert_eq!(window_tabs(&layout), [vec![Tab::Usage]]);
    assert!(layout.main.pane.tabs().contains(&Tab::Tasks), "never lost");
    assert_eq!(harness.state().open_tabs().len(), Tab::ALL.len());
}

#[test]
fn reset_layout_closes_the_windows_and_brings_their_tabs_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_with_store(dir.path().join("data"), &runtime);
    wait_until_ready(&mut harness);
    tab_menu(&mut harness, Tab::Chat, "Move to new window");
    tab_menu(&mut harness, Tab::Settings, "Move to new window");
    assert_eq!(harness.state().layout().windows.len(), 2);
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Reset layout").click();
    harness.run_steps(2);
    assert_eq!(harness.state().layout(), default_stored_layout());
    assert!(harness.query_by_label("Aura — Chat").is_none());
}

#[test]
fn the_layout_comes_back_on_the_next_start() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let before = {
        let mut harness = harness_with_store(data.clone(), &runtime);
        wait_until_ready(&mut harness);
        tab_menu(&mut harness, Tab::Review, "Move to new window");
        tab_menu(&mut harness, Tab::Drones, "Move to new window");
        // Tasks in front of its place, and Usage closed.
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
        harness.run_steps(1);
        tab_menu(&mut harness, Tab::Usage, "Close");
        let layout = harness.state().layout();
        assert_ne!(layout, default_stored_layout());
        assert_eq!(layout.closed, [Tab::Usage]);
        step_until(&mut harness, 300, "the layout was never saved", AuraApp::layout_saved);
        layout
        // The app is dropped here without any closing step, as a killed one would be.
    };
    wait_until_closed(&data);

    let mut harness = harness(app_with_store(&data, &runtime));
    wait_until_ready(&mut harness);
    harness.run_steps(2);
    assert_eq!(harness.state().layout(), before);
    assert_eq!(window_tabs(&before), [vec![Tab::Review], vec![Tab::Drones]]);
    harness.get_by_label("Aura — Review");
    harness.get_by_label("Aura — Drones");
    harness.get_by_label("Open a project to see its tasks and run the dev loop.");
    assert!(!harness.state().open_tabs().contains(&Tab::Usage), "a closed tab stays closed");
}

#[test]
fn a_stored_layout_that_is_junk_gives_the_default_layout_and_a_notice() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let mut harness = harness_with_store(data.clone(), &runtime);
        wait_until_ready(&mut harness);
        harness.state_mut().send(Command::SaveLayout { layout: serde_json::json!({"main": "junk", "windows": 7}) });
    }
    wait_until_closed(&data);

    let mut harness = harness(app_with_store(&data, &runtime));
    wait_until_ready(&mut harness);
    harness.run_steps(2);
    assert_eq!(harness.state().layout(), default_stored_layout());
    harness.get_by_label_contains("the saved layout could not be read");
    assert_eq!(harness.state().open_tabs().len(), Tab::ALL.len());
}

#[test]
fn a_drones_tab_moves_to_its_own_window_and_comes_back_there_on_the_next_start() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let review = Tab::Drone("review".into());
    {
        let mut harness = harness_with_store(data.clone(), &runtime);
        ui_harness::open_in_app(&mut harness, workspace.path());
        step_until(&mut harness, 1_500, "the Drones were never listed", |app| !app.view().drones.drones.is_empty());
        harness.state_mut().show_tab(review.clone());
        harness.run_steps(2);
        tab_menu(&mut harness, review.clone(), "Move to new window");
        assert_eq!(window_tabs(&harness.state().layout()), [vec![review.clone()]]);
        harness.get_by_label("Aura — review");
        harness.get_by_label("review of changes");
        step_until(&mut harness, 300, "the layout was never saved", AuraApp::layout_saved);
    }
    wait_until_closed(&data);

    let mut harness = harness(app_with_store(&data, &runtime));
    wait_until_ready(&mut harness);
    harness.run_steps(2);
    assert_eq!(window_tabs(&harness.state().layout()), [vec![review.clone()]]);
    harness.get_by_label("Aura — review");
    tab_menu(&mut harness, review.clone(), "Dock back");
    let layout = harness.state().layout();
    assert!(layout.windows.is_empty(), "the emptied window closed");
    assert!(layout.main.pane.tabs().contains(&review));
    harness.get_by_label("Open a project to summon its Drones.");
}
