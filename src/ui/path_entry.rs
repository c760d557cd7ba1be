//! A folder typed by path, for where no system dialog can open (no portal, a remote X session) or
//! for people who would rather type: `~` is the home folder, Tab completes to the folders that
//! match, and a path that is missing or a file says so before anything is sent.

use std::path::{Path, PathBuf};

use egui::{Id, Key, RichText, TextEdit, Ui};

/// How many matching folders are offered under the field.
const SUGGESTIONS: usize = 8;

#[derive(Debug, Default)]
pub struct PathEntry {
    pub text: String,
    /// Why the typed path cannot be opened, once Open was pressed.
    pub problem: Option<String>,
    /// The folders matching what is typed, for the text they were listed for.
    matches: Option<(String, Vec<String>)>,
}

/// `~/x` as the home folder's `x`.
fn expand(text: &str) -> PathBuf {
    match (text.strip_prefix('~'), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            PathBuf::from(home).join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(text),
    }
}

/// Why `path` is no project folder, if it is not one.
pub fn problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(format!("{} is a file: type the folder that holds the project", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("{} does not exist: check the path (Tab completes folder names)", path.display()))
        }
        Err(e) => Some(format!("{} cannot be read ({e})", path.display())),
    }
}

/// The folders whose path starts with `typed`: the children of its parent that match its last part.
fn complete(typed: &str) -> Vec<String> {
    let (parent, prefix) = match typed.rfind('/') {
        Some(at) => (&typed[..=at], &typed[at + 1..]),
        None => return Vec::new(),
    };
    let Ok(entries) = std::fs::read_dir(expand(parent)) else { return Vec::new() };
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.')))
        .map(|name| format!("{parent}{name}/"))
        .collect();
    found.sort();
    found.truncate(SUGGESTIONS);
    found
}

/// The longest start all of `options` share.
fn common_start(options: &[String]) -> Option<String> {
    let first = options.first()?;
    let mut len = first.len();
    for other in &options[1..] {
        len = len.min(first.bytes().zip(other.bytes()).take_while(|(a, b)| a == b).count());
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    Some(first[..len].to_string())
}

impl PathEntry {
    fn matches(&mut self) -> &[String] {
        if self.matches.as_ref().is_none_or(|(typed, _)| *typed != self.text) {
            self.matches = Some((self.text.clone(), complete(&self.text)));
        }
        self.matches.as_ref().map(|(_, m)| m.as_slice()).unwrap_or_default()
    }

    /// Tab: to the one match, or as far as all matches agree.
    pub fn complete(&mut self) {
        let matches = self.matches().to_vec();
        if let Some(start) = common_start(&matches).filter(|s| s.len() > self.text.len()) {
            self.text = start;
        }
    }

    /// The folder to open, or `None` with the reason kept to show.
    pub fn submit(&mut self) -> Option<PathBuf> {
        let path = expand(self.text.trim());
        self.problem = problem(&path);
        self.problem.is_none().then_some(path)
    }
}

/// The field, its matches and Open; returns the folder once a valid one is submitted.
pub fn path_entry_ui(ui: &mut Ui, entry: &mut PathEntry, id: &str) -> Option<PathBuf> {
    let mut open = None;
    let field_id = Id::new(("aura-path-entry", id));
    ui.horizontal(|ui| {
        let field = ui.add(
            TextEdit::singleline(&mut entry.text)
                .id(field_id)
                .hint_text("/path/to/project   (Tab completes)")
                // Tab completes here instead of moving to the next widget.
                .lock_focus(true)
                .desired_width(360.0),
        );
        let tab = ui.input(|i| i.key_pressed(Key::Tab) && i.modifiers.is_none());
        if tab && (field.has_focus() || field.lost_focus()) {
            entry.complete();
            // The cursor goes to the end of the completed path.
            if let Some(mut state) = TextEdit::load_state(ui.ctx(), field_id) {
                let end = egui::text::CCursor::new(entry.text.chars().count());
                state.cursor.set_char_range(Some(egui::text::CCursorRange::one(end)));
                state.store(ui.ctx(), field_id);
            }
            field.request_focus();
        }
        if field.changed() {
            entry.problem = None;
        }
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let button = ui.add_enabled(!entry.text.trim().is_empty(), egui::Button::new("Open"));
        if enter || button.clicked() {
            open = entry.submit();
        }
    });
    if let Some(problem) = &entry.problem {
        ui.label(RichText::new(problem).color(ui.visuals().error_fg_color));
    } else if ui.memory(|m| m.has_focus(field_id)) {
        let text = entry.text.clone();
        for suggestion in entry.matches().to_vec() {
            if suggestion != text && ui.link(RichText::new(&suggestion).weak()).clicked() {
                entry.text = suggestion;
                ui.memory_mut(|m| m.request_focus(field_id));
            }
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_folders_and_a_bad_path_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["project-alpha", "project-beta", "other", ".hidden"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("project-file"), "").unwrap();
        let root = dir.path().display().to_string();
        let mut entry = PathEntry { text: format!("{root}/pro"), ..PathEntry::default() };
        entry.complete();
        assert_eq!(entry.text, format!("{root}/project-"), "as far as both folders agree; files are no match");
        entry.text.push('b');
        entry.complete();
        assert_eq!(entry.text, format!("{root}/project-beta/"));
        assert_eq!(entry.submit(), Some(dir.path().join("project-beta/")));
        // Hidden folders only when asked for.
        assert_eq!(complete(&format!("{root}/")).len(), 3);
        assert_eq!(complete(&format!("{root}/.h")), [format!("{root}/.hidden/")]);

        entry.text = format!("{root}/project-file");
        assert_eq!(entry.submit(), None);
        assert!(entry.problem.as_ref().unwrap().contains("is a file"), "{:?}", entry.problem);
        entry.text = format!("{root}/nowhere");
        assert_eq!(entry.submit(), None);
        assert!(entry.problem.as_ref().unwrap().contains("does not exist"), "{:?}", entry.problem);
    }

    #[test]
    fn the_home_folder_is_a_tilde() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expand("~"), PathBuf::from(&home));
        assert_eq!(expand("~/src"), PathBuf::from(&home).join("src"));
        assert_eq!(expand("/a/~b"), PathBuf::from("/a/~b"));
    }
}
