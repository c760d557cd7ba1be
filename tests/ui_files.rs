//! The Files tab and the file viewer driven as a person would, against the real engine, store and
//! workspace in temp dirs: the tree opens folders on a click and follows a file made on disk, a
//! file opens in its own tab, go to line and find in file move to the line, an edit is saved back
//! to disk, and a path named in memory opens the viewer at its line.

mod ui_harness;

use ui_harness::{harness_with_store as harness, open_in_app, step_until};

use aura::protocol::Command;
use aura::ui::{AuraApp, Tab};
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const LIB: &str = "src/lib.rs";

fn lib_text() -> String {
    (1..=300).map(|i| format!("pub fn line_{i}() {{}}\n")).collect()
}

fn viewer_line(app: &AuraApp, path: &str) -> Option<u32> {
    app.view().viewer.get(path).and_then(|f| f.current_line)
}

/// Types into the single-line field whose hint or value is `label`, then presses Enter.
fn type_in_field(harness: &mut Harness<'_, AuraApp>, hint: &str, text: &str) {
    harness.get_by(|n| n.role() == Role::TextInput && n.placeholder().is_some_and(|p| p == hint)).focus();
    harness.run_steps(1);
    harness.get_by(|n| n.role() == Role::TextInput && n.placeholder().is_some_and(|p| p == hint)).type_text(text);
    harness.run_steps(1);
    harness.key_press(Key::Enter);
    harness.run_steps(2);
}

/// A workspace holding `src/lib.rs` (300 lines) and a README, open in the app over a new store.
struct Opened {
    harness: Harness<'static, AuraApp>,
    workspace: tempfile::TempDir,
    _data: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn opened() -> Opened {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("src")).unwrap();
    std::fs::write(workspace.path().join(LIB), lib_text()).unwrap();
    std::fs::write(workspace.path().join("README.md"), "# Demo\n").unwrap();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_in_app(&mut harness, workspace.path());
    Opened { harness, workspace, _data: data, _runtime: runtime }
}

#[test]
fn the_tree_opens_a_file_that_is_gone_to_found_in_and_edited() {
    // Bound in this order so the engine's runtime goes last, as the store and workspace go before it.
    let Opened { _runtime, _data, workspace, mut harness } = opened();
    let root = workspace.path();
    harness.state_mut().show_tab(Tab::Files);
    step_until(&mut harness, 1_500, "the root was never listed", |app| app.view().files.folder("").is_some());
    harness.run_steps(2);

    // A folder opens on a click; a file opens in its own tab, beside Review.
    assert!(harness.query_by_label("lib.rs").is_none());
    harness.get_by_label("src").click();
    step_until(&mut harness, 1_500, "src was never listed", |app| app.view().files.folder("src").is_some());
    harness.run_steps(2);
    harness.get_by_label("lib.rs").click();
    harness.run_steps(1);
    assert!(harness.state().open_tabs().contains(&Tab::File(LIB.into())));
    step_until(&mut harness, 1_500, "the file was never read", |app| {
        app.view().viewer.get(LIB).is_some_and(|f| f.shown().is_some())
    });
    harness.run_steps(2);
    harness.get_by_label("pub fn line_1() {}");
    harness.get_by_label("300 lines");
    assert!(harness.query_by_label("pub fn line_250() {}").is_none(), "only the lines on screen are drawn");

    // Go to line 250: the line is on screen and marked.
    type_in_field(&mut harness, "Go to line (Ctrl+G)", "250");
    assert_eq!(viewer_line(harness.state(), LIB), Some(250));
    harness.run_steps(2);
    harness.get_by_label("pub fn line_250() {}");

    // Find "line_29": 11 matches (29, 290…299); Enter goes to the first, then the next. A capital
    // letter matches by case: "LINE_29" finds none.
    type_in_field(&mut harness, "Find (Ctrl+F)", "LINE_29");
    harness.get_by_label("No matches");
    harness.get_by(|n| n.role() == Role::TextInput && n.value().is_some_and(|v| v == "LINE_29")).focus();
    harness.run_steps(1);
    for _ in 0.."LINE_29".len() {
        harness.key_press(Key::Backspace);
    }
    harness.run_steps(1);
    type_in_field(&mut harness, "Find (Ctrl+F)", "line_29");
    harness.get_by_label("1 of 11");
    assert_eq!(viewer_line(harness.state(), LIB), Some(29));
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    harness.get_by_label("2 of 11");
    assert_eq!(viewer_line(harness.state(), LIB), Some(290));

    // Edit: type a line (the editor takes it at its end), Ctrl+S saves it to disk with a checkpoint.
    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    let editor_value = lib_text();
    harness.get_by(|n| n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| *v == editor_value)).focus();
    harness.run_steps(1);
    harness
        .get_by(|n| n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| *v == editor_value))
        .type_text("// edited by hand\n");
    harness.run_steps(2);
    assert!(harness.state().view().viewer.get(LIB).is_some_and(|f| f.dirty()));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    step_until(&mut harness, 1_500, "the edit was never saved", |app| {
        app.view().viewer.get(LIB).is_some_and(|f| !f.dirty() && !f.saving)
    });
    let on_disk = std::fs::read_to_string(root.join(LIB)).unwrap();
    assert_eq!(on_disk, format!("{}// edited by hand\n", lib_text()));
    step_until(&mut harness, 1_500, "the save never became a checkpoint", |app| {
        app.view().review.applied.iter().any(|a| a.files == [LIB.to_string()])
    });

    // A file made on disk joins the tree.
    std::fs::write(root.join("src/made_outside.rs"), "").unwrap();
    step_until(&mut harness, 1_500, "the tree never followed the disk", |app| {
        app.view().files.folder("src").is_some_and(|l| l.entries.iter().any(|e| e.name == "made_outside.rs"))
    });
}

#[test]
fn a_path_in_memory_opens_the_viewer_at_its_line() {
    let Opened { _runtime, _data, workspace: _workspace, mut harness } = opened();
    let project = harness.state().view().project.as_ref().unwrap().project.id;
    harness.state_mut().send(Command::SaveMemory {
        project,
        text: "The parser's entry point is in src/lib.rs:120.".into(),
        tags: vec![],
    });
    harness.state_mut().show_tab(Tab::Memory);
    step_until(&mut harness, 1_500, "the memory was never saved", |app| !app.view().memory.entries.is_empty());
    harness.run_steps(2);
    harness.get_by_label("src/lib.rs:120").click();
    step_until(&mut harness, 1_500, "the viewer never went to the line", |app| viewer_line(app, LIB) == Some(120));
    harness.run_steps(2);
    harness.get_by_label("pub fn line_120() {}");
}

#[test]
fn ctrl_p_a_few_letters_and_enter_open_the_best_match() {
    let Opened { _runtime, _data, workspace: _workspace, mut harness } = opened();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::P);
    harness.run_steps(2);
    assert!(harness.state().open_tabs().contains(&Tab::Files));
    let hint = "Filter files by name… (Enter opens the first)";
    let filter = harness.get_by(|n| n.role() == Role::TextInput && n.placeholder().is_some_and(|p| p == hint));
    assert!(filter.is_focused(), "Ctrl+P focuses the filter");
    filter.type_text("lib");
    step_until(&mut harness, 1_500, "the filter never answered", |app| {
        app.view().files.found.as_ref().is_some_and(|f| f.paths == [LIB.to_string()])
    });
    harness.run_steps(1);
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    assert!(harness.state().open_tabs().contains(&Tab::File(LIB.into())), "Enter opened the match");
}

#[test]
fn opening_another_project_closes_the_first_ones_file_tabs() {
    let Opened { _runtime, _data, workspace: _workspace, mut harness } = opened();
    let lib = Tab::File(LIB.into());
    harness.state_mut().show_tab(Tab::Memory);
    harness.run_steps(1);
    let project = harness.state().view().project.as_ref().unwrap().project.id;
    harness.state_mut().send(Command::SaveMemory { project, text: "See src/lib.rs:3.".into(), tags: vec![] });
    step_until(&mut harness, 1_500, "the memory was never saved", |app| !app.view().memory.entries.is_empty());
    harness.run_steps(2);
    harness.get_by_label("src/lib.rs:3").click();
    harness.run_steps(2);
    assert!(harness.state().open_tabs().contains(&lib));
    let other = tempfile::tempdir().unwrap();
    harness.state_mut().send(Command::OpenProject { root: other.path().to_path_buf() });
    step_until(&mut harness, 1_500, "the other project never opened", |app| {
        app.view().project.as_ref().is_some_and(|p| p.project.id != project)
    });
    harness.run_steps(2);
    assert!(!harness.state().open_tabs().contains(&lib), "the first project's file tab closed");
    assert!(harness.state().view().viewer.get(LIB).is_none());
}
