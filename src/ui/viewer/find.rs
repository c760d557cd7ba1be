//! Find in file: every match of the query in the text, in order, with the one gone to. Matching
//! is by case only when the query has a capital letter (as in Zed and VS Code's smart case).

use std::ops::Range;

use super::super::highlight::HighlightedText;

/// Matches past this many are not counted: a one-letter query in a large file says "10000+".
pub const MAX_MATCHES: usize = 10_000;

#[derive(Debug, Default)]
pub struct Find {
    pub query: String,
    /// Line (0-based) and byte range within the line, in order.
    pub matches: Vec<(usize, Range<usize>)>,
    /// The match gone to, an index into `matches`.
    pub current: Option<usize>,
    /// The text changed: the matches are found again before they are drawn.
    pub stale: bool,
    /// The query the matches are for.
    found_for: String,
}

impl Find {
    /// Finds the matches again when the query or the text changed since.
    pub fn refresh(&mut self, text: &HighlightedText) {
        if !self.stale && self.found_for == self.query {
            return;
        }
        self.stale = false;
        self.found_for = self.query.clone();
        self.matches.clear();
        self.current = None;
        if self.query.is_empty() {
            return;
        }
        let smart_case = self.query.chars().any(char::is_uppercase);
        let Ok(pattern) = regex::RegexBuilder::new(&regex::escape(&self.query)).case_insensitive(!smart_case).build()
        else {
            return;
        };
        for line in 0..text.line_count() {
            for found in pattern.find_iter(text.line(line)) {
                self.matches.push((line, found.range()));
                if self.matches.len() == MAX_MATCHES {
                    return;
                }
            }
        }
    }

    /// Goes to the next match (or the previous), wrapping around; its line, 1-based.
    pub fn step(&mut self, forward: bool) -> Option<u32> {
        let count = self.matches.len();
        if count == 0 {
            return None;
        }
        let next = match (self.current, forward) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(at), true) => (at + 1) % count,
            (Some(at), false) => (at + count - 1) % count,
        };
        self.current = Some(next);
        Some(self.matches[next].0 as u32 + 1)
    }

    /// The matches on one line, with whether each is the one gone to.
    pub fn on_line(&self, line: usize) -> impl Iterator<Item = (Range<usize>, bool)> + '_ {
        let start = self.matches.partition_point(|(l, _)| *l < line);
        self.matches[start..]
            .iter()
            .enumerate()
            .take_while(move |(_, (l, _))| *l == line)
            .map(move |(i, (_, range))| (range.clone(), self.current == Some(start + i)))
    }

    /// "3 of 17", "No matches", or nothing without a query.
    pub fn summary(&self) -> Option<String> {
        if self.query.is_empty() {
            return None;
        }
        let total = match self.matches.len() {
            0 => return Some("No matches".into()),
            MAX_MATCHES => format!("{MAX_MATCHES}+"),
            n => n.to_string(),
        };
        Some(match self.current {
            Some(at) => format!("{} of {total}", at + 1),
            None => format!("{total} found"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case_matching_steps_around_in_order() {
        let text = HighlightedText::new("Alpha beta\nalpha ALPHA\r\nnothing\n");
        let mut find = Find { query: "alpha".into(), ..Find::default() };
        find.refresh(&text);
        assert_eq!(find.matches, [(0, 0..5), (1, 0..5), (1, 6..11)]);
        assert_eq!(find.summary().as_deref(), Some("3 found"));
        assert_eq!(
            [find.step(true), find.step(true), find.step(true), find.step(true)],
            [Some(1), Some(2), Some(2), Some(1)]
        );
        assert_eq!(find.step(false), Some(2));
        assert_eq!(find.summary().as_deref(), Some("3 of 3"));
        let on_second: Vec<_> = find.on_line(1).collect();
        assert_eq!(on_second, [(0..5, false), (6..11, true)]);
        find.query = "ALPHA".into();
        find.refresh(&text);
        assert_eq!(find.matches, [(1, 6..11)], "a capital letter matches by case");
        find.query = "zzz".into();
        find.refresh(&text);
        assert_eq!((find.summary().as_deref(), find.step(true)), (Some("No matches"), None));
    }
}
