//! One file's diff as rows to draw: hunk headers (where the user decides), Craft findings beside
//! their hunk, three lines of context, and folds for the unchanged stretches between. Both texts
//! are highlighted on a background thread that hands lines over as it goes, so opening a
//! 20,000-line diff never stalls a frame: rows show plain until their colours arrive.

use std::ops::Range;

use egui::Color32;

use crate::domain::{CraftFinding, FileChange};

use super::super::highlight::HighlightedText;

/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;
/// The columns a tab takes when drawn (egui draws one as wide as four spaces).
const TAB_COLUMNS: usize = 4;

/// A row of the unified view. Line numbers are 0-based indexes into the old or new text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Hunk(usize),
    /// A Craft finding (index into the file's findings) under its hunk.
    Finding(usize),
    /// Unchanged lines not shown.
    Fold(usize),
    Same {
        old: usize,
        new: usize,
    },
    Removed(usize),
    Added(usize),
}

/// A row of the side-by-side view: rows that span both sides sit on the left.
pub type SplitRow = (Option<Row>, Option<Row>);

pub struct FileDiff {
    pub old: HighlightedText,
    pub new: HighlightedText,
    pub rows: Vec<Row>,
    pub split: Vec<SplitRow>,
    pub findings: Vec<CraftFinding>,
    /// The columns the longest line shown takes.
    pub widest: usize,
    /// The theme the colours were made for.
    pub dark: bool,
}

impl FileDiff {
    /// Lays the file's hunks out as rows and starts colouring both texts.
    pub fn new(
        change: &FileChange,
        findings: Vec<CraftFinding>,
        dark: bool,
        fallback: Color32,
        repaint: impl Fn() + Clone + Send + 'static,
    ) -> FileDiff {
        let old = HighlightedText::new(change.before.as_deref().unwrap_or(""));
        let new = HighlightedText::new(change.after.as_deref().unwrap_or(""));
        let rows = rows(change, &findings, old.line_count());
        let split = split(&rows);
        let widest = widest(&rows, &old, &new);
        old.highlight(&change.path, dark, fallback, repaint.clone());
        new.highlight(&change.path, dark, fallback, repaint);
        FileDiff { old, new, rows, split, findings, widest, dark }
    }
}

/// The columns the longest text line among `rows` takes, a tab counted as it is drawn.
fn widest(rows: &[Row], old: &HighlightedText, new: &HighlightedText) -> usize {
    let columns = |line: &str| line.chars().map(|c| if c == '\t' { TAB_COLUMNS } else { 1 }).sum::<usize>();
    rows.iter()
        .filter_map(|row| match *row {
            Row::Same { new: line, .. } | Row::Added(line) => Some(new.line(line)),
            Row::Removed(line) => Some(old.line(line)),
            _ => None,
        })
        .map(columns)
        .max()
        .unwrap_or(0)
}

/// The unified rows of a file change: for each hunk its header and findings, the context before
/// it, its removed then added lines; unchanged stretches longer than the context fold away.
fn rows(change: &FileChange, findings: &[CraftFinding], old_len: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    // Next old line not yet shown, and the matching new line.
    let (mut old_at, mut new_at) = (0usize, 0usize);
    let same = |rows: &mut Vec<Row>, old: Range<usize>, new_start: usize| {
        rows.extend(old.clone().map(|o| Row::Same { old: o, new: new_start + (o - old.start) }));
    };
    for (index, hunk) in change.hunks.iter().enumerate() {
        let old_start = (hunk.old_start as usize).saturating_sub(1).max(old_at);
        let gap = old_start - old_at;
        let trailing = if index == 0 { 0 } else { gap.min(CONTEXT) };
        let leading = gap.min(CONTEXT);
        if trailing + leading >= gap {
            same(&mut rows, old_at..old_start, new_at);
        } else {
            same(&mut rows, old_at..old_at + trailing, new_at);
            rows.push(Row::Fold(gap - trailing - leading));
        }
        rows.push(Row::Hunk(index));
        rows.extend(findings.iter().enumerate().filter(|(_, f)| f.hunk == Some(index)).map(|(i, _)| Row::Finding(i)));
        if trailing + leading < gap {
            same(&mut rows, old_start - leading..old_start, new_at + (old_start - leading - old_at));
        }
        let new_start = (hunk.new_start as usize).saturating_sub(1);
        rows.extend((old_start..old_start + hunk.old_lines as usize).map(Row::Removed));
        rows.extend((new_start..new_start + hunk.new_lines as usize).map(Row::Added));
        old_at = old_start + hunk.old_lines as usize;
        new_at = new_start + hunk.new_lines as usize;
    }
    if !change.hunks.is_empty() {
        let rest = old_len.saturating_sub(old_at);
        same(&mut rows, old_at..old_at + rest.min(CONTEXT), new_at);
        if rest > CONTEXT {
            rows.push(Row::Fold(rest - CONTEXT));
        }
    }
    // Findings not tied to a hunk come first, so none is hidden.
    let loose: Vec<Row> =
        findings.iter().enumerate().filter(|(_, f)| f.hunk.is_none()).map(|(i, _)| Row::Finding(i)).collect();
    rows.splice(0..0, loose);
    rows
}

/// Side-by-side rows: context on both sides, each run of removed lines beside the added lines
/// that replace it.
fn split(rows: &[Row]) -> Vec<SplitRow> {
    let mut out = Vec::with_capacity(rows.len());
    let mut at = 0;
    while at < rows.len() {
        match rows[at] {
            Row::Removed(_) | Row::Added(_) => {
                let removed: Vec<Row> =
                    rows[at..].iter().take_while(|r| matches!(r, Row::Removed(_))).copied().collect();
                let added: Vec<Row> =
                    rows[at + removed.len()..].iter().take_while(|r| matches!(r, Row::Added(_))).copied().collect();
                for i in 0..removed.len().max(added.len()) {
                    out.push((removed.get(i).copied(), added.get(i).copied()));
                }
                at += removed.len() + added.len();
            }
            row @ Row::Same { .. } => {
                out.push((Some(row), Some(row)));
                at += 1;
            }
            spanning => {
                out.push((Some(spanning), None));
                at += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FileChangeKind;
    use crate::edits::hunks;

    fn change(before: &str, after: &str) -> FileChange {
        FileChange {
            path: "a.rs".into(),
            kind: FileChangeKind::Modify,
            before: Some(before.into()),
            after: Some(after.into()),
            before_hash: None,
            hunks: hunks(before, after),
        }
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn far_apart_changes_get_context_and_a_fold_between() {
        let before = numbered(30);
        let after = before.replace("line 5\n", "five\n").replace("line 25\n", "twenty-five\n");
        let c = change(&before, &after);
        let rows = rows(&c, &[], 30);
        // Line 1 folds away; lines 2-4 are the context before the first change.
        assert_eq!(rows[..3], [Row::Fold(1), Row::Hunk(0), Row::Same { old: 1, new: 1 }]);
        assert_eq!(rows[5..7], [Row::Removed(4), Row::Added(4)]);
        // Between the hunks: lines 6-24 unchanged (19), 3 shown after the first and 3 before the second.
        assert_eq!(rows[10], Row::Fold(19 - 6));
        assert_eq!(rows[11], Row::Hunk(1));
        // After the last hunk: 3 lines of context, then the rest folded (30 - 25 - 3 = 2).
        assert_eq!(rows.last(), Some(&Row::Fold(2)));
        // Every new line shown next to its old one lines up.
        for row in &rows {
            if let Row::Same { old, new } = row {
                assert_eq!(old, new, "no lines were added or removed overall");
            }
        }
    }

    #[test]
    fn findings_sit_under_their_hunk_and_loose_ones_lead() {
        let c = change("a\nb\n", "a\nc\n");
        let finding = |hunk| CraftFinding {
            path: "a.rs".into(),
            line: Some(2),
            hunk,
            rule: "stub".into(),
            message: "m".into(),
            fix: "f".into(),
        };
        let rows = rows(&c, &[finding(Some(0)), finding(None)], 2);
        assert_eq!(rows[..4], [Row::Finding(1), Row::Same { old: 0, new: 0 }, Row::Hunk(0), Row::Finding(0)]);
    }

    #[test]
    fn the_widest_line_counts_only_lines_shown_and_tabs_as_drawn() {
        let before = format!("{}\n{}", "x".repeat(200), numbered(10));
        let after = before.replace("line 9\n", "\tline nine\n");
        let c = change(&before, &after);
        let old = HighlightedText::new(&before);
        let new = HighlightedText::new(&after);
        // The 200-column first line is folded away; "\tline nine" is 4 + 9 columns.
        assert_eq!(widest(&rows(&c, &[], old.line_count()), &old, &new), 13);
    }

    #[test]
    fn side_by_side_pairs_removed_with_added() {
        let c = change("a\nb\nc\n", "a\nB\nB2\nc\n");
        let rows = rows(&c, &[], 3);
        let split = split(&rows);
        assert!(split.contains(&(Some(Row::Removed(1)), Some(Row::Added(1)))));
        assert!(split.contains(&(None, Some(Row::Added(2)))));
        assert!(split.contains(&(Some(Row::Hunk(0)), None)));
    }

    #[test]
    fn colours_arrive_from_the_background_thread() {
        let text = "fn main() {}\n".repeat(600);
        let c = change("", &text);
        let diff = FileDiff::new(&c, Vec::new(), true, Color32::WHITE, || {});
        for _ in 0..500 {
            if diff.new.colours(599).is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(diff.new.colours(599).is_some_and(|spans| spans.len() > 1), "the last line was never coloured");
        assert_eq!(diff.rows.iter().filter(|r| matches!(r, Row::Added(_))).count(), 600);
    }
}
