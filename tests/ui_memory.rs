//! The Memory tab driven as a person would, against the real engine and a real store in temp dirs:
//! add entries through the form, pin one (it moves first), search (the results stand in for the
//! list), delete, and check through a fresh snapshot that the store no longer has it.

mod ui_harness;

use ui_harness::{harness_with_store as harness, open_in_app, step_until};

use aura::protocol::Command;
use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const LTO: &str = "Release builds use thin LTO.";
const LMDB: &str = "The store has one writer thread; LMDB readers stay short.";

/// Types into the text field whose hint is `hint`.
fn type_into(harness: &mut Harness<'_, AuraApp>, hint: &str, text: &str) {
    harness.get_by(|node| node.placeholder() == Some(hint)).focus();
    harness.run_steps(1);
    harness.get_by(|node| node.placeholder() == Some(hint)).type_text(text);
    harness.run_steps(1);
}

fn add(harness: &mut Harness<'_, AuraApp>, text: &str, tags: &str) {
    let before = harness.state().view().memory.entries.len();
    type_into(harness, "Something every agent should know: a convention, a pitfall, a decision", text);
    type_into(harness, "tags, comma-separated", tags);
    harness.get_by_label("Add").click();
    step_until(harness, 1_500, "the entry was never saved", |app| app.view().memory.entries.len() == before + 1);
    harness.run_steps(2);
}

fn texts(app: &AuraApp) -> Vec<(String, bool)> {
    app.view().memory.entries.iter().map(|e| (e.text.clone(), e.pinned)).collect()
}

#[test]
fn entries_are_added_pinned_found_and_deleted_from_the_store() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());
    harness.state_mut().show_tab(Tab::Memory);
    harness.run_steps(2);
    harness.get_by_label_contains("Nothing remembered yet.");

    // Added through the form: listed newest first, with who saved it and its tags.
    add(&mut harness, LTO, "build");
    add(&mut harness, LMDB, "store, lmdb");
    assert_eq!(texts(harness.state()), [(LMDB.to_string(), false), (LTO.to_string(), false)]);
    harness.get_by_label(LTO);
    harness.get_by_label("user · #store #lmdb · just now");
    assert!(harness.query_by_label_contains("Nothing remembered yet.").is_none());

    // Pinning the older entry moves it first.
    harness.get_all_by_label("Pin").nth(1).unwrap().click();
    step_until(&mut harness, 1_500, "the pin never landed", |app| texts(app)[0] == (LTO.to_string(), true));
    harness.run_steps(2);
    harness.get_by_label("pinned · user · #build · just now");
    harness.get_by_label("Unpin");

    // A search (Enter in the box) finds the entry about LMDB; the other leaves the list meanwhile.
    type_into(&mut harness, "Search memory", "lmdb");
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 1_500, "the search never answered", |app| {
        app.view().memory.search.as_ref().is_some_and(|s| s.results.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label("1 entry matches “lmdb”");
    harness.get_by_label(LMDB);
    assert!(harness.query_by_label(LTO).is_none());

    // Delete removes it from the results and the list; Clear brings the list back.
    harness.get_by_label("Delete").click();
    step_until(&mut harness, 1_500, "the entry was never deleted", |app| app.view().memory.entries.len() == 1);
    harness.run_steps(2);
    assert!(harness.query_by_label(LMDB).is_none());
    harness.get_by_label("0 entries match “lmdb”");
    harness.get_by_label("Clear").click();
    harness.run_steps(2);
    harness.get_by_label(LTO);

    // The store no longer has it: opening the project again brings a fresh snapshot.
    let opened = harness.state().view().project.as_ref().unwrap().project.opened_at;
    harness.state_mut().send(Command::OpenProject { root: workspace.path().to_path_buf() });
    step_until(&mut harness, 1_500, "the project never reopened", |app| {
        app.view().project.as_ref().is_some_and(|p| p.project.opened_at != opened)
    });
    assert_eq!(texts(harness.state()), [(LTO.to_string(), true)]);
}
