//! The welcome and a project's first steps under egui_kittest, with a real engine over a real store
//! and real workspace folders: recent projects, Open Folder… with a stand-in for the system's
//! dialog, and the starter requirements.md, which never replaces the user's own.

mod ui_harness;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use aura::domain::Project;
use aura::store::{Store, StoreHandle};
use aura::ui::{AuraApp, FolderPicker};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_harness::{app_with_store, harness, step_until, wait_until_ready};

/// Answers the dialog with whatever the test sends, when it sends it (the dialog blocks until then).
struct StandInPicker {
    answers: Mutex<Receiver<Option<PathBuf>>>,
}

impl FolderPicker for StandInPicker {
    fn pick(&self) -> Option<PathBuf> {
        self.answers.lock().ok()?.recv().ok().flatten()
    }
}

fn stand_in_picker() -> (StandInPicker, Sender<Option<PathBuf>>) {
    let (send, answers) = channel();
    (StandInPicker { answers: Mutex::new(answers) }, send)
}

/// Registers projects as earlier runs left them, `opened_at` as given.
fn seed_projects(data: &Path, projects: &[(&str, &Path, u64)]) {
    let store = StoreHandle::spawn(Store::open(data, &Default::default()).unwrap()).unwrap();
    for (name, root, opened_at) in projects {
        let mut project = Project::new(*name, root.to_path_buf());
        project.opened_at = *opened_at;
        store.write_blocking(move |w| w.put(&project)).unwrap();
    }
    store.close();
}

/// Steps frames until a widget labelled `label` is drawn (the dialog answers off the UI thread).
fn step_until_shown(harness: &mut Harness<'_, AuraApp>, label: &str) {
    for _ in 0..300 {
        harness.run_steps(1);
        if harness.query_by_label(label).is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{label} was never shown");
}

fn opened_root(harness: &Harness<'_, AuraApp>) -> Option<PathBuf> {
    harness.state().view().project.as_ref().map(|p| p.project.root.clone())
}

fn open_through_the_picker(harness: &mut Harness<'_, AuraApp>, answer: &Sender<Option<PathBuf>>, folder: &Path) {
    harness.get_by_label("Open Folder…").click();
    harness.run_steps(2);
    answer.send(Some(folder.to_path_buf())).unwrap();
    step_until(harness, 300, "the folder never opened", |app| app.view().project.is_some());
    harness.run_steps(2);
}

#[test]
fn the_welcome_lists_recent_projects_newest_first_and_opens_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (older, newer) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    seed_projects(&data, &[("older-shop", older.path(), 1_000), ("newer-blog", newer.path(), 2_000)]);
    let mut harness = harness(app_with_store(&data, &runtime));
    wait_until_ready(&mut harness);
    step_until(&mut harness, 300, "the projects never arrived", |app| app.view().projects.len() == 2);
    harness.run_steps(2);

    harness.get_by_label("Aura");
    harness.get_by_label("Recent projects");
    let (newer_link, older_link) = (harness.get_by_label("newer-blog"), harness.get_by_label("older-shop"));
    assert!(newer_link.rect().min.y < older_link.rect().min.y, "newest first");
    harness.get_by_label(&newer.path().display().to_string());
    harness.get_by_label(&older.path().display().to_string());

    harness.get_by_label("older-shop").click();
    step_until(&mut harness, 300, "the project never opened", |app| app.view().project.is_some());
    harness.run_steps(2);
    assert_eq!(opened_root(&harness), Some(older.path().canonicalize().unwrap()));
    assert!(harness.query_by_label("Recent projects").is_none(), "the welcome steps aside for the project");
}

#[test]
fn open_folder_waits_for_the_dialog_without_blocking_then_opens_the_folder() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("requirements.md"), "# mine\n").unwrap();
    let (picker, answer) = stand_in_picker();
    let mut harness = harness(app_with_store(&dir.path().join("data"), &runtime).with_folder_picker(picker));
    wait_until_ready(&mut harness);
    harness.get_by_label("None yet: open a folder to start.");

    // Cancelled: nothing opens, and the button comes back.
    harness.get_by_label("Open Folder…").click();
    harness.run_steps(2);
    harness.get_by_label("Choosing a folder…");
    // As a person cancels: after a moment (a dialog answering at once never showed).
    std::thread::sleep(std::time::Duration::from_millis(500));
    answer.send(None).unwrap();
    step_until_shown(&mut harness, "Open Folder…");
    assert!(harness.query_by_label("Choosing a folder…").is_none());
    assert!(harness.state().view().project.is_none());

    // The UI keeps drawing while the dialog is open; the folder chosen opens.
    open_through_the_picker(&mut harness, &answer, workspace.path());
    assert_eq!(opened_root(&harness), Some(workspace.path().canonicalize().unwrap()));
    // It has requirements.md and no specs: the next step is to write them.
    harness.get_by_label("requirements.md is in place");
    assert!(harness.query_by_label("This folder has no requirements.md").is_none());
}

#[test]
fn where_no_dialog_can_open_the_folder_is_typed_with_tab_completion() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let workspace = parent.path().join("my-project");
    std::fs::create_dir(&workspace).unwrap();
    std::fs::write(parent.path().join("my-notes.txt"), "").unwrap();
    let (picker, answer) = stand_in_picker();
    let mut harness = harness(app_with_store(&dir.path().join("data"), &runtime).with_folder_picker(picker));
    wait_until_ready(&mut harness);

    // The dialog answers at once without a folder: it never showed, and the app says so.
    harness.get_by_label("Open Folder…").click();
    harness.run_steps(1);
    answer.send(None).unwrap();
    for _ in 0..100 {
        harness.run_steps(1);
        if harness.query_by_label_contains("No system folder dialog could open here").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.get_by_label_contains("type the folder's path instead");
    // The window's field is the last one drawn (the welcome's own comes first).
    last_field(&harness).focus();
    harness.run_steps(1);
    last_field(&harness).type_text(&format!("{}/nowhere", parent.path().display()));
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    harness.get_by_label_contains("does not exist: check the path");

    // Tab completes `my-` to the one folder (the file is no match), and Enter opens it.
    harness.state_mut().view_mut().folder_entry.text = format!("{}/my-", parent.path().display());
    harness.run_steps(1);
    last_field(&harness).focus();
    harness.run_steps(1);
    harness.key_press(egui::Key::Tab);
    harness.run_steps(1);
    assert_eq!(harness.state().view().folder_entry.text, format!("{}/my-project/", parent.path().display()));
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, 300, "the typed folder never opened", |app| app.view().project.is_some());
    assert_eq!(opened_root(&harness), Some(workspace.canonicalize().unwrap()));
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("No system folder dialog").is_none(), "the window closed");
}

fn last_field<'h>(harness: &'h Harness<'_, AuraApp>) -> egui_kittest::Node<'h> {
    harness.get_all_by_role(egui::accesskit::Role::TextInput).last().unwrap()
}

/// A fresh folder (no requirements.md) opened through the stand-in picker; fields drop in order,
/// the app before the store's runtime.
struct Opened {
    harness: Harness<'static, AuraApp>,
    workspace: tempfile::TempDir,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn open_a_fresh_folder() -> Opened {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let (picker, answer) = stand_in_picker();
    let mut harness = harness(app_with_store(&dir.path().join("data"), &runtime).with_folder_picker(picker));
    wait_until_ready(&mut harness);
    open_through_the_picker(&mut harness, &answer, workspace.path());
    Opened { harness, workspace, _dir: dir, _runtime: runtime }
}

#[test]
fn a_folder_without_requirements_md_is_offered_a_starter_which_is_written() {
    // Named, not `..`: the store and its runtime must live as long as the app.
    let Opened { mut harness, workspace, _dir, _runtime } = open_a_fresh_folder();

    harness.get_by_label("This folder has no requirements.md");
    harness.get_by_label("Write requirements.md").click();
    step_until(&mut harness, 300, "requirements.md was never written", |app| {
        app.view().project.as_ref().is_some_and(|p| p.requirements)
    });
    harness.run_steps(2);
    let written = std::fs::read_to_string(workspace.path().join("requirements.md")).unwrap();
    for heading in ["## What it is", "## Who uses it", "## Must have", "## Constraints"] {
        assert!(written.contains(heading), "{heading} in {written}");
    }
    assert!(harness.query_by_label("This folder has no requirements.md").is_none(), "the offer went away");
    // Next: the specs, once a model is chosen.
    harness.get_by_label("requirements.md is in place");
    harness.get_by_label("Choose the model in Settings first.");
    harness.get_by_label("Not now").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("requirements.md is in place").is_none());
}

#[test]
fn a_requirements_md_written_meanwhile_is_never_overwritten() {
    // Named, not `..`: the store and its runtime must live as long as the app.
    let Opened { mut harness, workspace, _dir, _runtime } = open_a_fresh_folder();
    harness.get_by_label("This folder has no requirements.md");

    // The user writes their own before taking the offer.
    std::fs::write(workspace.path().join("requirements.md"), "# mine\n").unwrap();
    harness.get_by_label("Write requirements.md").click();
    step_until(&mut harness, 300, "the engine never answered", |app| {
        app.view().project.as_ref().is_some_and(|p| p.requirements)
    });
    harness.run_steps(2);
    assert_eq!(std::fs::read_to_string(workspace.path().join("requirements.md")).unwrap(), "# mine\n");
    harness.get_by_label_contains("already exists; it was left as it is");
    assert!(harness.query_by_label("This folder has no requirements.md").is_none());
}
