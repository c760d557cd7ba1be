//! Tool names the providers accept: `^[A-Za-z0-9_-]{1,64}$` (OpenAI and Anthropic alike).

use std::collections::HashSet;

pub const MAX_NAME_LEN: usize = 64;

fn clean(part: &str) -> String {
    part.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `server__tool`, cleaned, cut to 64 characters and made unique among `taken` (which it joins)
/// with a `_2`, `_3` suffix; the same tools in the same order get the same names.
pub fn qualify(server: &str, tool: &str, taken: &mut HashSet<String>) -> String {
    let base = format!("{}__{}", clean(server), clean(tool));
    let mut name: String = base.chars().take(MAX_NAME_LEN).collect();
    let mut n = 2;
    while taken.contains(&name) {
        let suffix = format!("_{n}");
        name = base.chars().take(MAX_NAME_LEN - suffix.len()).collect::<String>() + &suffix;
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_clean_short_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(qualify("everything", "get-sum", &mut taken), "everything__get-sum");
        assert_eq!(qualify("my.server", "read file", &mut taken), "my_server__read_file");
        assert_eq!(qualify("my_server", "read.file", &mut taken), "my_server__read_file_2");
        let long = qualify(&"s".repeat(40), &"t".repeat(40), &mut taken);
        assert_eq!(long.len(), MAX_NAME_LEN);
        let again = qualify(&"s".repeat(40), &"t".repeat(41), &mut taken);
        assert!(again.len() <= MAX_NAME_LEN && again.ends_with("_2") && again != long);
    }
}
