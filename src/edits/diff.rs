//! Hunks between two texts: each contiguous change is one hunk, to accept or reject on its own.

use similar::{DiffOp, TextDiff};

use crate::domain::Hunk;

pub fn hunks(before: &str, after: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(before, after);
    diff.grouped_ops(0)
        .into_iter()
        .filter_map(|group| {
            let first = group.first()?;
            let last = group.last()?;
            let (old_start, new_start) = (first.old_range().start, first.new_range().start);
            let (old_end, new_end) = (last.old_range().end, last.new_range().end);
            group.iter().any(|op| !matches!(op, DiffOp::Equal { .. })).then(|| Hunk {
                old_start: old_start as u32 + 1,
                old_lines: (old_end - old_start) as u32,
                new_start: new_start as u32 + 1,
                new_lines: (new_end - new_start) as u32,
                decision: Default::default(),
            })
        })
        .collect()
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
}
