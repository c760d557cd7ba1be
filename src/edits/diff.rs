//! Hunks between two texts: each contiguous change is one hunk, to accept or reject on its own.

use std::ops::Range;

use similar::{DiffOp, TextDiff};

use crate::domain::{ContentHash, FileChange, FileChangeKind, Hunk, HunkDecision};

/// Line ranges (old, new) of each contiguous change, in order: the one grouping both functions share.
fn changed_ranges(diff: &TextDiff<'_, '_, str>) -> Vec<(Range<usize>, Range<usize>)> {
    diff.grouped_ops(0)
        .into_iter()
        .filter_map(|group| {
            let (first, last) = (group.first()?, group.last()?);
            group
                .iter()
                .any(|op| !matches!(op, DiffOp::Equal { .. }))
                .then(|| (first.old_range().start..last.old_range().end, first.new_range().start..last.new_range().end))
        })
        .collect()
}

pub fn hunks(before: &str, after: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(before, after);
    changed_ranges(&diff)
        .into_iter()
        .map(|(old, new)| Hunk {
            old_start: old.start as u32 + 1,
            old_lines: old.len() as u32,
            new_start: new.start as u32 + 1,
            new_lines: new.len() as u32,
            decision: Default::default(),
        })
        .collect()
}

/// The change of `path` from `before` to `after`, where `None` means the file does not exist.
pub fn file_change(path: &str, before: Option<String>, after: Option<String>) -> FileChange {
    let kind = match (&before, &after) {
        (None, _) => FileChangeKind::Add,
        (Some(_), None) => FileChangeKind::Delete,
        (Some(_), Some(_)) => FileChangeKind::Modify,
    };
    FileChange {
        path: path.to_string(),
        kind,
        hunks: hunks(before.as_deref().unwrap_or(""), after.as_deref().unwrap_or("")),
        before_hash: before.as_ref().map(|b| ContentHash::of(b.as_bytes())),
        before,
        after,
    }
}

/// The text with only the accepted hunks of `before → after` applied; rejected and undecided
/// hunks keep the old lines.
pub fn accepted_text(before: &str, after: &str, decisions: &[Hunk]) -> String {
    let diff = TextDiff::from_lines(before, after);
    let old: Vec<&str> = diff.iter_old_slices().collect();
    let new: Vec<&str> = diff.iter_new_slices().collect();
    let mut out = String::with_capacity(after.len().max(before.len()));
    let mut at = 0;
    for ((old_range, new_range), hunk) in changed_ranges(&diff).into_iter().zip(decisions) {
        out.extend(old[at..old_range.start].iter().copied());
        if hunk.decision == HunkDecision::Accepted {
            out.extend(new[new_range].iter().copied());
        } else {
            out.extend(old[old_range.clone()].iter().copied());
        }
        at = old_range.end;
    }
    out.extend(old[at..].iter().copied());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_contiguous_change_is_a_hunk() {
        let before = "a\nb\nc\nd\ne\nf\n";
        let after = "a\nB\nc\nd\ne\nF\ng\n";
        let hunks = hunks(before, after);
        assert_eq!(hunks.len(), 2);
        assert_eq!((hunks[0].old_start, hunks[0].old_lines, hunks[0].new_start, hunks[0].new_lines), (2, 1, 2, 1));
        assert_eq!((hunks[1].old_start, hunks[1].old_lines, hunks[1].new_start, hunks[1].new_lines), (6, 1, 6, 2));
    }

    #[test]
    fn only_accepted_hunks_are_applied() {
        let (before, after) = ("a\nb\nc\nd\ne\nf\n", "a\nB\nc\nd\ne\nF\ng\n");
        let mut decided = hunks(before, after);
        decided[1].decision = HunkDecision::Accepted;
        assert_eq!(accepted_text(before, after, &decided), "a\nb\nc\nd\ne\nF\ng\n");
        decided[0].decision = HunkDecision::Accepted;
        assert_eq!(accepted_text(before, after, &decided), after);
        decided[1].decision = HunkDecision::Rejected;
        assert_eq!(accepted_text(before, after, &decided), "a\nB\nc\nd\ne\nf\n");
        decided[0].decision = HunkDecision::Pending;
        assert_eq!(accepted_text(before, after, &decided), before);
    }
}
