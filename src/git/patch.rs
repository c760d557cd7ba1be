//! Accepted FileChanges as one patch in git's format, for `git apply --cached`: applied to HEAD's
//! files in an index of Aura's own, it commits exactly those changes.

use std::fmt::Write;

use similar::TextDiff;

use crate::domain::{FileChange, FileChangeKind};

/// The patch of `changes`; each path gets `prefix` (the workspace's place in the repository).
pub fn patch(changes: &[FileChange], prefix: &str) -> String {
    let mut out = String::new();
    for change in changes {
        let new = format!("{prefix}{}", change.path);
        let old = match &change.kind {
            FileChangeKind::Move { from } => format!("{prefix}{from}"),
            _ => new.clone(),
        };
        let _ = writeln!(out, "diff --git {} {}", quote("a/", &old), quote("b/", &new));
        let (before, after) = (change.before.as_deref(), change.after.as_deref());
        match (before, after) {
            (None, _) => out.push_str("new file mode 100644\n"),
            (Some(_), None) => out.push_str("deleted file mode 100644\n"),
            _ if old != new => {
                let _ = write!(out, "rename from {}\nrename to {}\n", quote("", &old), quote("", &new));
            }
            _ => {}
        }
        let a = before.map_or_else(|| "/dev/null".to_string(), |_| quote("a/", &old));
        let b = after.map_or_else(|| "/dev/null".to_string(), |_| quote("b/", &new));
        let diff = TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""));
        let _ = write!(out, "{}", diff.unified_diff().context_radius(3).header(&a, &b));
    }
    out
}

/// `prefix` + `path`, in C quotes when git would quote it (quotes, backslashes, control characters).
fn quote(prefix: &str, path: &str) -> String {
    if !path.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return format!("{prefix}{path}");
    }
    let mut out = String::from("\"");
    for c in format!("{prefix}{path}").chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits::file_change;

    #[test]
    fn new_deleted_and_changed_files_get_their_headers() {
        let changes = [
            file_change("a.txt", Some("one\n".into()), Some("two\n".into())),
            file_change("new.txt", None, Some("fresh\n".into())),
            file_change("gone.txt", Some("old\n".into()), None),
        ];
        let text = patch(&changes, "sub/");
        assert!(text.starts_with("diff --git a/sub/a.txt b/sub/a.txt\n--- a/sub/a.txt\n+++ b/sub/a.txt\n@@"), "{text}");
        assert!(text.contains("new file mode 100644\n--- /dev/null\n+++ b/sub/new.txt\n"), "{text}");
        assert!(text.contains("deleted file mode 100644\n--- a/sub/gone.txt\n+++ /dev/null\n"), "{text}");
        assert_eq!(quote("a/", "odd\"name"), "\"a/odd\\\"name\"");
    }
}
