//! Planning a patch: run its operations in order against an in-memory view of the workspace, so a
//! later operation sees what an earlier one did, and turn the end state into file changes. Nothing
//! is written; any error means no change at all.

use std::collections::BTreeMap;

use crate::domain::{ContentHash, FileChange, FileChangeKind};

use super::patch::{Chunk, Operation, Patch};
use super::seek::seek;
use super::{EditError, Files, hunks};

/// Where files stand while a patch is planned: `None` is deleted.
struct Overlay<'a> {
    files: &'a dyn Files,
    original: BTreeMap<String, Option<String>>,
    current: BTreeMap<String, Option<String>>,
    /// Move destinations and their sources.
    moves: BTreeMap<String, String>,
}

impl Overlay<'_> {
    fn read(&mut self, path: &str) -> Result<Option<String>, EditError> {
        if let Some(state) = self.current.get(path) {
            return Ok(state.clone());
        }
        let text = self.files.read_text(path)?;
        self.original.insert(path.to_string(), text.clone());
        self.current.insert(path.to_string(), text.clone());
        Ok(text)
    }

    fn set(&mut self, path: &str, text: Option<String>) -> Result<(), EditError> {
        self.read(path)?;
        match text {
            Some(_) => self.files.place(path)?,
            None => self.files.entry(path)?,
        };
        self.current.insert(path.to_string(), text);
        Ok(())
    }
}

/// The file changes a patch makes, computed without writing anything.
pub fn plan_patch(patch: &Patch, files: &dyn Files) -> Result<Vec<FileChange>, EditError> {
    let mut overlay = Overlay { files, original: BTreeMap::new(), current: BTreeMap::new(), moves: BTreeMap::new() };
    for operation in &patch.operations {
        match operation {
            Operation::Add { path, content } => overlay.set(path, Some(content.clone()))?,
            Operation::Delete { path } => {
                if overlay.read(path)?.is_none() {
                    return Err(EditError::NotFound { path: path.clone() });
                }
                overlay.set(path, None)?;
            }
            Operation::Update { path, move_to, chunks } => {
                let text = overlay.read(path)?.ok_or_else(|| EditError::NotFound { path: path.clone() })?;
                let updated = apply_chunks(path, &text, chunks)?;
                match move_to {
                    Some(destination) if destination != path => {
                        overlay.set(destination, Some(updated))?;
                        overlay.set(path, None)?;
                        overlay.moves.insert(destination.clone(), path.clone());
                    }
                    _ => overlay.set(path, Some(updated))?,
                }
            }
        }
    }
    let changes = changes(&overlay);
    if changes.is_empty() {
        return Err(EditError::NoChanges);
    }
    Ok(changes)
}

fn changes(overlay: &Overlay) -> Vec<FileChange> {
    let mut out = Vec::new();
    let moved_away: Vec<&String> = overlay
        .moves
        .iter()
        .filter(|(dest, src)| {
            overlay.current.get(*dest).is_some_and(Option::is_some) && overlay.current[*src].is_none()
        })
        .map(|(_, src)| src)
        .collect();
    for (path, after) in &overlay.current {
        let before = overlay.original.get(path).cloned().flatten();
        if moved_away.contains(&path) {
            continue; // shown as the move at its destination
        }
        let (kind, before) = match (overlay.moves.get(path), &before, after) {
            (Some(src), _, Some(_)) if moved_away.contains(&src) => {
                (FileChangeKind::Move { from: src.clone() }, overlay.original.get(src).cloned().flatten())
            }
            (_, None, Some(_)) => (FileChangeKind::Add, None),
            (_, Some(_), None) => (FileChangeKind::Delete, before),
            (_, Some(_), Some(_)) => (FileChangeKind::Modify, before),
            (_, None, None) => continue,
        };
        if matches!(kind, FileChangeKind::Modify) && before.as_ref() == after.as_ref() {
            continue;
        }
        let hunks = hunks(before.as_deref().unwrap_or(""), after.as_deref().unwrap_or(""));
        let before_hash = before.as_ref().map(|b| ContentHash::of(b.as_bytes()));
        out.push(FileChange { path: path.clone(), kind, before, after: after.clone(), before_hash, hunks });
    }
    out
}

/// Applies an Update's chunks to a file's text. Line endings (LF or CRLF) and a missing final
/// newline are kept as they were; the lines written are the patch's own.
pub fn apply_chunks(path: &str, text: &str, chunks: &[Chunk]) -> Result<String, EditError> {
    let crlf = text.contains("\r\n");
    let final_newline = text.is_empty() || text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        body.split('\n').map(|l| if crlf { l.strip_suffix('\r').unwrap_or(l) } else { l }.to_string()).collect()
    };
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut cursor = 0;
    for (number, chunk) in chunks.iter().enumerate() {
        if let Some(anchor) = &chunk.anchor {
            let at = seek(&lines, std::slice::from_ref(anchor), cursor, false)
                .ok_or_else(|| EditError::AnchorNotFound { path: path.to_string(), anchor: anchor.clone() })?;
            cursor = at + 1;
        }
        if chunk.old.is_empty() {
            // A pure insertion goes at the end, before a final blank line if there is one.
            let at = if lines.last().is_some_and(String::is_empty) { lines.len() - 1 } else { lines.len() };
            replacements.push((at, 0, chunk.new.clone()));
            continue;
        }
        let mut old = chunk.old.as_slice();
        let mut new = chunk.new.as_slice();
        let mut found = seek(&lines, old, cursor, chunk.end_of_file);
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = seek(&lines, old, cursor, chunk.end_of_file);
        }
        let at = found.ok_or_else(|| EditError::ContextNotFound {
            path: path.to_string(),
            chunk: number + 1,
            expected: chunk.old.join("\n"),
        })?;
        replacements.push((at, old.len(), new.to_vec()));
        cursor = at + old.len();
    }
    replacements.sort_by_key(|(at, _, _)| std::cmp::Reverse(*at));
    for (at, len, new) in replacements {
        lines.splice(at..at + len, new);
    }
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut out = lines.join(newline);
    if final_newline && !lines.is_empty() {
        out.push_str(newline);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(old: &[&str], new: &[&str]) -> Chunk {
        Chunk {
            anchor: None,
            old: old.iter().map(|s| s.to_string()).collect(),
            new: new.iter().map(|s| s.to_string()).collect(),
            end_of_file: false,
        }
    }

    #[test]
    fn crlf_and_a_missing_final_newline_are_kept() {
        let out = apply_chunks("f", "a\r\nb\r\nc", &[chunk(&["b"], &["B", "B2"])]).unwrap();
        assert_eq!(out, "a\r\nB\r\nB2\r\nc");
        let out = apply_chunks("f", "a\nb\n", &[chunk(&["a"], &["A"])]).unwrap();
        assert_eq!(out, "A\nb\n");
    }

    #[test]
    fn chunks_apply_in_order_and_a_miss_shows_the_expected_lines() {
        let text = "fn a() {}\nfn b() {}\nfn a() {}\n";
        let mut second = chunk(&["fn a() {}"], &["fn a2() {}"]);
        second.anchor = Some("fn b() {}".into());
        let out = apply_chunks("f", text, &[second]).unwrap();
        assert_eq!(out, "fn a() {}\nfn b() {}\nfn a2() {}\n", "the anchor moves the search past the first match");
        let err = apply_chunks("f.rs", text, &[chunk(&["fn c() {}"], &[])]).unwrap_err();
        assert!(
            err.to_string().contains("chunk 1 expects these lines") && err.to_string().contains("fn c() {}"),
            "{err}"
        );
    }
}
