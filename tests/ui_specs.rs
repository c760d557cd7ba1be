//! The Specs tab driven as a person would, against the real engine and a real store and workspace
//! in temp dirs: the outline of a spec (headings, tasks with their status), the rendered text, the
//! editor saving back to the file and the outline following, a save refused when the file changed
//! on disk behind the editor, and task-list problems shown with file and line and fixed in place.

mod ui_harness;

use ui_harness::{harness_with_store as harness, open_in_app, step_until};

use aura::ui::{AuraApp, Tab};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const SPEC: &str = "# 01 — Parser\n\nReads the input into a tree.\n\n## Purpose\n\nTurn text into tokens.\n\n\
                    ## Design\n\n### Tokens\n\nWords and numbers.\n\n## Tasks\n\n- [ ] 01.1 Tokenizer\n\
                    - [ ] 01.2 Syntax tree (depends_on: 01.1)\n";

/// Opens `workspace` as the project and brings the Specs tab forward.
fn open_specs(harness: &mut Harness<'_, AuraApp>, workspace: &std::path::Path) {
    open_in_app(harness, workspace);
    harness.state_mut().show_tab(Tab::Specs);
    harness.run_steps(2);
}

/// The spec editor (the chat's input is a multi-line text field too).
fn editor<'a>(harness: &'a Harness<'_, AuraApp>) -> egui_kittest::Node<'a> {
    harness.get_by(|node| {
        node.role() == Role::MultilineTextInput && node.value().is_some_and(|text| text.starts_with("# 01"))
    })
}

/// Puts the cursor in the editor and types `text` where it is.
fn type_in_editor(harness: &mut Harness<'_, AuraApp>, text: &str) {
    editor(harness).focus();
    harness.run_steps(1);
    editor(harness).type_text(text);
    harness.run_steps(2);
}

fn task_keys(app: &AuraApp) -> Vec<String> {
    app.view().project.as_ref().map(|p| p.tasks.iter().map(|t| t.key.clone()).collect()).unwrap_or_default()
}

#[test]
fn the_outline_shows_a_spec_its_text_renders_and_the_editor_saves_it_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let file = workspace.path().join("specs/01-parser.md");
    std::fs::create_dir(workspace.path().join("specs")).unwrap();
    std::fs::write(&file, SPEC).unwrap();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_specs(&mut harness, workspace.path());

    // Opening a project with spec files but no tasks yet reads them; the outline shows the spec, its
    // headings (the title is the spec's own line), and its tasks under their heading.
    step_until(&mut harness, 1_500, "the spec was never read", |app| {
        app.view().specs.docs.contains_key("specs/01-parser.md")
    });
    harness.run_steps(2);
    harness.get_by_label("Choose a spec in the outline to read it.");
    for heading in ["Purpose", "Design", "Tokens", "Tasks", "01.1 Tokenizer", "01.2 Syntax tree"] {
        harness.get_by_label(heading);
    }
    assert!(harness.query_by_label("Turn text into tokens.").is_none(), "nothing is shown before a click");

    // A click on the spec shows it rendered; a click on a task selects it (the Tasks tab shows it too).
    harness.get_by_label("01 Parser").click();
    harness.run_steps(2);
    harness.get_by_label("Turn text into tokens.");
    harness.get_by_label("• [ ] 01.2 Syntax tree (depends_on: 01.1)");
    harness.get_by_label("01.2 Syntax tree").click();
    harness.run_steps(2);
    let selected = harness.state().view().project.as_ref().and_then(|p| p.selected_task.and_then(|t| p.task(t)));
    assert_eq!(selected.map(|t| t.key.as_str()), Some("01.2"));

    // Edit, type a new task line, Save: the file has it, and the outline gains the task.
    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Turn text into tokens.").is_none(), "the editor replaced the rendered text");
    type_in_editor(&mut harness, "- [ ] 01.3 Pretty printer (depends_on: 01.2)\n");
    harness.get_by_label("Unsaved changes");
    harness.get_by_label("Save").click();
    step_until(&mut harness, 1_500, "the new task never reached the outline", |app| task_keys(app).len() == 3);
    harness.run_steps(2);
    let saved = format!("{SPEC}- [ ] 01.3 Pretty printer (depends_on: 01.2)\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), saved);
    harness.get_by_label("01.3 Pretty printer");
    assert!(harness.query_by_label("Unsaved changes").is_none());

    // Someone changes the file behind the editor's back: the next save is refused, the disk kept.
    type_in_editor(&mut harness, "- [ ] 01.4 Docs\n");
    let theirs = format!("{SPEC}\nEdited in another editor.\n");
    std::fs::write(&file, &theirs).unwrap();
    harness.get_by_label("Save").click();
    step_until(&mut harness, 1_500, "the save was never refused", |app| {
        app.view().specs.drafts.get("specs/01-parser.md").is_some_and(|d| d.failure.is_some())
    });
    harness.run_steps(2);
    harness.get_by_label_contains("specs/01-parser.md changed on disk since you opened it: reload it");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs, "the newer file was not overwritten");
    assert_eq!(task_keys(harness.state()).len(), 3);

    // Reload drops the typed line and shows the file as it is now.
    harness.get_by_label("Reload").click();
    step_until(&mut harness, 1_500, "the reload never came", |app| {
        app.view().specs.drafts.get("specs/01-parser.md").is_some_and(|d| d.text == theirs)
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("changed on disk since you opened it").is_none());
}

#[test]
fn task_list_problems_show_with_file_and_line_and_are_fixed_in_the_editor() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let file = workspace.path().join("specs/01-parser.md");
    std::fs::create_dir(workspace.path().join("specs")).unwrap();
    std::fs::write(&file, SPEC.replace("- [ ] 01.2 Syntax", "- [ ] 1.2 Syntax")).unwrap();
    let mut harness = harness(data.path().join("data"), &runtime);
    open_specs(&mut harness, workspace.path());

    step_until(&mut harness, 1_500, "the problem never showed", |app| !app.view().specs.problems.is_empty());
    step_until(&mut harness, 1_500, "the file was never read", |app| {
        app.view().specs.docs.contains_key("specs/01-parser.md")
    });
    harness.run_steps(2);
    harness.get_by_label("The task list cannot be read; fix these lines:");
    harness
        .get_by_label_contains("specs/01-parser.md:18: `- [ ] 1.2 Syntax tree (depends_on: 01.1)` is not a task line");
    assert!(task_keys(harness.state()).is_empty());

    // Fix opens the file in the editor; the whole text is replaced and saved, and the tasks are read.
    harness.get_by_label("Fix").click();
    harness.run_steps(2);
    editor(&harness).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    editor(&harness).type_text(SPEC);
    harness.run_steps(1);
    harness.get_by_label("Save").click();
    step_until(&mut harness, 1_500, "the tasks were never read", |app| task_keys(app) == ["01.1", "01.2"]);
    harness.run_steps(2);
    assert!(harness.state().view().specs.problems.is_empty());
    assert!(harness.query_by_label("The task list cannot be read; fix these lines:").is_none());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SPEC);
    harness.get_by_label("01 Parser");
}
