//! The other two edit formats: search/replace (the old text must match exactly once; a
//! whitespace-tolerant fallback may find it; a miss returns the nearest region so the model can
//! retry) and writing a whole file. Both carry the hash the agent read, and refuse a stale file.

use similar::TextDiff;

use crate::domain::{ContentHash, FileChange};

use super::{EditError, Files, file_change};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub path: String,
    pub old: String,
    pub new: String,
    pub replace_all: bool,
    /// The hash the agent read; the edit is refused if the file changed since.
    pub expected_hash: Option<ContentHash>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFile {
    pub path: String,
    pub content: String,
    pub expected_hash: Option<ContentHash>,
}

fn check_fresh(path: &str, text: &str, expected: &Option<ContentHash>) -> Result<(), EditError> {
    match expected {
        Some(hash) if *hash != ContentHash::of(text.as_bytes()) => Err(EditError::Stale { path: path.to_string() }),
        _ => Ok(()),
    }
}

/// Plans a search/replace edit.
pub fn plan_replace(edit: &Replace, files: &dyn Files) -> Result<FileChange, EditError> {
    let path = edit.path.as_str();
    let text = files.read_text(path)?.ok_or_else(|| EditError::NotFound { path: path.to_string() })?;
    check_fresh(path, &text, &edit.expected_hash)?;
    if edit.old.is_empty() {
        return Err(EditError::EmptyOld { path: path.to_string() });
    }
    // Match in the file's own line endings.
    let crlf = text.contains("\r\n");
    let convert = |s: &str| if crlf && !s.contains("\r\n") { s.replace('\n', "\r\n") } else { s.to_string() };
    let (old, new) = (convert(&edit.old), convert(&edit.new));
    let count = text.matches(old.as_str()).count();
    let after = match count {
        1 => text.replacen(old.as_str(), &new, 1),
        n if n > 1 && edit.replace_all => text.replace(old.as_str(), &new),
        n if n > 1 => {
            let lines =
                text.match_indices(old.as_str()).map(|(at, _)| (text[..at].matches('\n').count() + 1).to_string());
            return Err(EditError::Ambiguous {
                path: path.to_string(),
                count: n,
                lines: lines.collect::<Vec<_>>().join(", "),
            });
        }
        _ => replace_loosely(path, &text, &edit.old, &edit.new, crlf)?,
    };
    if after == text {
        return Err(EditError::NoChanges);
    }
    Ok(file_change(path, Some(text), Some(after)))
}

/// The fallback: the old text's lines, compared with surrounding whitespace ignored, must match
/// exactly one place; the new lines replace the file's lines there.
fn replace_loosely(path: &str, text: &str, old: &str, new: &str, crlf: bool) -> Result<String, EditError> {
    let newline = if crlf { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let wanted: Vec<&str> = old.lines().collect();
    if wanted.iter().all(|l| l.trim().is_empty()) {
        return Err(nearest(path, &lines, &wanted));
    }
    let wanted_trimmed: Vec<&str> = wanted.iter().map(|l| l.trim()).collect();
    let places: Vec<usize> = (0..=lines.len().saturating_sub(wanted.len()))
        .filter(|&at| {
            wanted.len() <= lines.len() - at && lines[at..].iter().zip(&wanted_trimmed).all(|(l, w)| l.trim() == *w)
        })
        .collect();
    match places.as_slice() {
        [at] => {
            let mut out: Vec<&str> = lines[..*at].to_vec();
            out.extend(new.lines());
            out.extend(&lines[at + wanted.len()..]);
            Ok(out.join(newline))
        }
        [] => Err(nearest(path, &lines, &wanted)),
        many => Err(EditError::Ambiguous {
            path: path.to_string(),
            count: many.len(),
            lines: many.iter().map(|l| (l + 1).to_string()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The region of the file most like the old text, for the model to copy from.
fn nearest(path: &str, lines: &[&str], wanted: &[&str]) -> EditError {
    let size = wanted.len().max(1).min(lines.len().max(1));
    let wanted_text = wanted.join("\n");
    let best = (0..=lines.len().saturating_sub(size))
        .map(|at| {
            let window = lines[at..(at + size).min(lines.len())].join("\n");
            (TextDiff::from_chars(&wanted_text, &window).ratio(), at)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, at)) => EditError::NoMatch {
            path: path.to_string(),
            start: at + 1,
            end: (at + size).min(lines.len()),
            nearest: lines[at..(at + size).min(lines.len())].join("\n"),
        },
        None => EditError::NoMatch { path: path.to_string(), start: 0, end: 0, nearest: String::new() },
    }
}

/// Plans writing a whole file (new or replaced).
pub fn plan_write(edit: &WriteFile, files: &dyn Files) -> Result<FileChange, EditError> {
    let before = files.read_text(&edit.path)?;
    if let Some(text) = &before {
        check_fresh(&edit.path, text, &edit.expected_hash)?;
        if *text == edit.content {
            return Err(EditError::NoChanges);
        }
    }
    files.place(&edit.path)?;
    Ok(file_change(&edit.path, before, Some(edit.content.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use rustix::fs::{Mode, OFlags};

    use crate::edits::Place;

    struct Memory(HashMap<String, String>);

    impl Files for Memory {
        fn read_text(&self, path: &str) -> Result<Option<String>, EditError> {
            Ok(self.0.get(path).cloned())
        }
        /// Planning only checks the place; the current folder stands in for one.
        fn place(&self, path: &str) -> Result<Place, EditError> {
            let dir = rustix::fs::open(".", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
                .map_err(|e| EditError::Io { path: path.into(), detail: e.to_string() })?;
            Ok(Place::new(dir, Vec::new(), path.into(), path.into()))
        }
        fn entry(&self, path: &str) -> Result<Place, EditError> {
            self.place(path)
        }
    }

    fn files(text: &str) -> Memory {
        Memory(HashMap::from([("a.rs".to_string(), text.to_string())]))
    }

    fn replace(old: &str, new: &str, all: bool) -> Replace {
        Replace { path: "a.rs".into(), old: old.into(), new: new.into(), replace_all: all, expected_hash: None }
    }

    #[test]
    fn exactly_one_match_is_replaced() {
        let change = plan_replace(&replace("b()", "c()", false), &files("a();\nb();\n")).unwrap();
        assert_eq!(change.after.as_deref(), Some("a();\nc();\n"));
        assert_eq!(change.hunks.len(), 1);
    }

    #[test]
    fn several_matches_need_replace_all_and_are_located() {
        let err = plan_replace(&replace("x", "y", false), &files("x\nz\nx\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.rs: the old text occurs 2 times (lines 1, 3); add surrounding lines to make it unique, or set replace_all"
        );
        let change = plan_replace(&replace("x", "y", true), &files("x\nz\nx\n")).unwrap();
        assert_eq!(change.after.as_deref(), Some("y\nz\ny\n"));
    }

    #[test]
    fn whitespace_differences_are_tolerated() {
        let text = "fn a() {\n    let x = 1;\n    let y = 2;\n}\n";
        let change =
            plan_replace(&replace("let x = 1;\n  let y = 2;", "    let x = 10;\n    let y = 20;", false), &files(text))
                .unwrap();
        assert_eq!(change.after.as_deref(), Some("fn a() {\n    let x = 10;\n    let y = 20;\n}\n"));
    }

    #[test]
    fn a_miss_shows_the_nearest_region() {
        let text = "fn one() {}\nfn two() {\n    call(1);\n}\nfn three() {}\n";
        let err = plan_replace(&replace("fn two() {\n    call(2);\n}", "x", false), &files(text)).unwrap_err();
        let EditError::NoMatch { start, end, nearest, .. } = &err else { panic!("{err}") };
        assert_eq!((*start, *end), (2, 4));
        assert_eq!(nearest, "fn two() {\n    call(1);\n}");
        assert!(err.to_string().contains("lines 2–4"), "{err}");
    }

    #[test]
    fn crlf_files_stay_crlf_and_stale_edits_are_refused() {
        let change = plan_replace(&replace("b\nc", "B\nC", false), &files("a\r\nb\r\nc\r\n")).unwrap();
        assert_eq!(change.after.as_deref(), Some("a\r\nB\r\nC\r\n"));
        let mut stale = replace("a", "b", false);
        stale.expected_hash = Some(ContentHash::of(b"what the agent read before"));
        assert_eq!(plan_replace(&stale, &files("a\n")).unwrap_err(), EditError::Stale { path: "a.rs".into() });
        let write =
            WriteFile { path: "a.rs".into(), content: "new".into(), expected_hash: Some(ContentHash::of(b"a\n")) };
        assert_eq!(plan_write(&write, &files("a\n")).unwrap().after.as_deref(), Some("new"));
        assert_eq!(plan_write(&write, &files("changed\n")).unwrap_err(), EditError::Stale { path: "a.rs".into() });
    }
}
