//! The Search tab driven as a person would, against the real engine over real files in a temp dir:
//! Ctrl+Shift+F brings it forward with the query box focused, typing searches once typing pauses,
//! results come grouped by file under headers that fold, and a bad regex says what to do.

mod ui_harness;

use ui_harness::{harness_with_store as harness, open_in_app, step_until};

use aura::ui::{AuraApp, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const HINT: &str = "Search the project's files";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "mod util;\n\nfn helper() {}\n\npub fn run() { helper() }\n").unwrap();
    std::fs::write(root.join("src/util.rs"), "// no helpers here\npub fn other() {}\n").unwrap();
    std::fs::write(root.join("README.md"), "Nothing to find.\n").unwrap();
    dir
}

/// Whether the search for `query` with Regex `regex` has finished.
fn done(app: &AuraApp, query: &str, regex: bool) -> bool {
    let search = &app.view().search;
    search.finished.is_some() && search.sent().is_some_and(|(q, o)| q == query && o.regex == regex)
}

/// Replaces the query with `text`, as typed, and waits for the search it starts to finish.
fn search_for(harness: &mut Harness<'_, AuraApp>, text: &str, regex: bool) {
    // Emptied as select-all and delete would; the box shows its hint again on the next frame.
    harness.state_mut().view_mut().search.query.clear();
    harness.run_steps(1);
    harness.get_by(|node| node.placeholder() == Some(HINT)).focus();
    harness.run_steps(1);
    harness.get_by(|node| node.placeholder() == Some(HINT)).type_text(text);
    harness.run_steps(1);
    step_until(harness, 1_500, "the search never finished", |app| done(app, text, regex));
    harness.run_steps(2);
}

#[test]
fn typing_searches_and_results_come_grouped_by_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = workspace();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());

    // Ctrl+Shift+F: the tab comes forward, its query box focused.
    harness.key_press_modifiers(egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT), egui::Key::F);
    harness.run_steps(3);
    assert!(harness.state().open_tabs().contains(&Tab::Search));
    let focused = harness.ctx.memory(|m| m.focused());
    assert_eq!(focused, Some(egui::Id::new("aura-search-query")), "the query box has the focus");
    harness.get_by_label_contains("Type to search.");

    // Typing searches once it pauses: three lines in two files, each file under its header.
    search_for(&mut harness, "helper", false);
    harness.get_by_label_contains("3 matching lines in 2 files");
    harness.get_by_label("src/lib.rs (2)");
    harness.get_by_label("src/util.rs (1)");
    harness.get_by_label("src/lib.rs:3: fn helper() {}");
    harness.get_by_label("src/lib.rs:5: pub fn run() { helper() }");
    harness.get_by_label("src/util.rs:1: // no helpers here");

    // A header folds its file's lines away, and back.
    harness.get_by_label("src/lib.rs (2)").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("src/lib.rs:3: fn helper() {}").is_none());
    harness.get_by_label("src/util.rs:1: // no helpers here");
    harness.get_by_label("src/lib.rs (2)").click();
    harness.run_steps(2);
    harness.get_by_label("src/lib.rs:3: fn helper() {}");

    // Whole word leaves out `helpers`.
    harness.get_by_label("Whole word").click();
    harness.run_steps(1);
    step_until(&mut harness, 1_500, "the option was never searched", |app| {
        done(app, "helper", false) && app.view().search.sent().is_some_and(|(_, o)| o.whole_word)
    });
    harness.run_steps(2);
    assert!(harness.query_by_label("src/util.rs (1)").is_none());
    harness.get_by_label_contains("2 matching lines in 1 file");

    // A bad regular expression says what is wrong and what to do; the results are gone.
    harness.get_by_label("Regex").click();
    search_for(&mut harness, "help(er", true);
    harness.get_by_label_contains("not a valid regular expression");
    harness.get_by_label_contains("turn off Regex to search the text as written");
    assert!(harness.query_by_label("src/lib.rs (2)").is_none());
    harness.get_by_label("Regex").click();
    step_until(&mut harness, 1_500, "the text was never searched", |app| done(app, "help(er", false));
    harness.run_steps(2);
    harness.get_by_label_contains("0 matching lines in 0 files");
}

#[test]
fn a_result_opens_its_file_in_the_viewer_at_its_line() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = workspace();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());
    harness.state_mut().show_tab(Tab::Search);
    harness.run_steps(2);
    search_for(&mut harness, "pub fn run", false);
    harness.get_by_label("src/lib.rs:5: pub fn run() { helper() }").click();
    harness.run_steps(1);
    assert!(harness.state().open_tabs().contains(&Tab::File("src/lib.rs".into())));
    step_until(&mut harness, 1_500, "the viewer never went to line 5", |app| {
        app.view().viewer.get("src/lib.rs").is_some_and(|f| f.current_line == Some(5))
    });
    harness.run_steps(1);
    harness.get_by_label("pub fn run() { helper() }");
}
