//! read_file, list_files, find_files and search on real trees.

use aura::domain::ContentHash;
use aura::tools::Workspace;
use aura::tools::read::{FileView, MAX_READ_BYTES, SearchQuery, find_files, list_files, read_file, search};

fn tree() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/store")).unwrap();
    std::fs::create_dir_all(root.join("target/debug")).unwrap();
    std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub mod store;\n// TODO: more\nfn main() {}\n").unwrap();
    std::fs::write(root.join("src/store/mod.rs"), "pub struct Store;\nimpl Store {\n    fn open() {}\n}\n").unwrap();
    std::fs::write(root.join("target/debug/junk.rs"), "fn open() {}\n").unwrap();
    std::fs::write(root.join("build.log"), "open open open\n").unwrap();
    std::fs::write(root.join("logo.png"), [0x89u8, b'P', b'N', b'G', 0, 0, 1, 2, b'o', b'p', b'e', b'n']).unwrap();
    let ws = Workspace::open(root).unwrap();
    (dir, ws)
}

#[test]
fn read_file_gives_lines_hash_and_count() {
    let (_dir, ws) = tree();
    let FileView::Text { hash, line_count, text, first_line, last_line, truncated, .. } =
        read_file(&ws, "src/store/mod.rs", None).unwrap()
    else {
        panic!("text expected")
    };
    let bytes = std::fs::read(ws.root().join("src/store/mod.rs")).unwrap();
    assert_eq!(hash, ContentHash::of(&bytes));
    assert_eq!((line_count, first_line, last_line, truncated), (4, 1, 4, false));
    assert_eq!(text, String::from_utf8(bytes).unwrap());
    let FileView::Text { text, first_line, last_line, truncated, .. } =
        read_file(&ws, "src/store/mod.rs", Some((2, 3))).unwrap()
    else {
        panic!()
    };
    assert_eq!((text.as_str(), first_line, last_line, truncated), ("impl Store {\n    fn open() {}\n", 2, 3, true));
}

#[test]
fn binary_huge_missing_and_outside_files_are_described_or_refused() {
    let (_dir, ws) = tree();
    let FileView::Described { reason, .. } = read_file(&ws, "logo.png", None).unwrap() else { panic!() };
    assert!(reason.starts_with("binary"), "{reason}");
    std::fs::write(ws.root().join("latin1.txt"), b"caf\xe9 au lait\n").unwrap();
    assert!(
        matches!(read_file(&ws, "latin1.txt", None).unwrap(), FileView::Described { .. }),
        "invalid UTF-8 is described"
    );

    // A 200 MB text file: described, not read into memory; a line range still works.
    let big = ws.root().join("big.txt");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..2_000_000 {
            f.write_all(line.as_bytes()).unwrap();
        }
    }
    let FileView::Described { size, reason, .. } = read_file(&ws, "big.txt", None).unwrap() else { panic!() };
    assert_eq!(size, 200_000_000);
    assert!(size > MAX_READ_BYTES && reason.contains("read a line range"), "{reason}");
    let FileView::Text { line_count, text, .. } = read_file(&ws, "big.txt", Some((1_999_999, 2_000_000))).unwrap()
    else {
        panic!()
    };
    assert_eq!((line_count, text.len()), (2_000_000, 200));

    let err = read_file(&ws, "nope.rs", None).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(read_file(&ws, "../etc/passwd", None).unwrap_err().to_string().contains("outside the workspace"));
    assert!(read_file(&ws, "src", None).unwrap_err().to_string().contains("is a directory"));
}

#[test]
fn listing_and_finding_honour_gitignore() {
    let (_dir, ws) = tree();
    let (all, truncated) = list_files(&ws, None, None).unwrap();
    assert!(!truncated);
    assert_eq!(all, ["logo.png", "src/", "src/lib.rs", "src/store/", "src/store/mod.rs"]);
    let (top, _) = list_files(&ws, None, Some(1)).unwrap();
    assert_eq!(top, ["logo.png", "src/"]);
    let (rust, _) = find_files(&ws, "**/*.rs").unwrap();
    assert_eq!(rust, ["src/lib.rs", "src/store/mod.rs"], "target/ is ignored");
}

#[test]
fn search_finds_regex_and_literal_with_context_and_a_cap() {
    let (_dir, ws) = tree();
    let query = |pattern: &str, literal: bool, context: usize, max_hits: usize| SearchQuery {
        pattern: pattern.into(),
        literal,
        case_insensitive: false,
        glob: None,
        context,
        max_hits,
    };
    let result = search(&ws, &query(r"fn \w+\(\)", false, 1, 100)).unwrap();
    let places: Vec<(&str, u64)> = result.hits.iter().map(|h| (h.path.as_str(), h.line)).collect();
    assert_eq!(places, [("src/lib.rs", 3), ("src/store/mod.rs", 3)], "ignored and binary files are skipped");
    assert_eq!(result.hits[1].before, ["impl Store {"]);
    assert_eq!(result.hits[1].after, ["}"]);
    let literal = search(&ws, &query("TODO: more", true, 0, 100)).unwrap();
    assert_eq!(literal.hits.len(), 1);
    let parens = search(&ws, &query("()", true, 0, 100)).unwrap();
    assert_eq!(parens.hits.len(), 2, "a literal `()` is text, not an empty regex group matching every line");
    let capped = search(&ws, &query("o", false, 0, 2)).unwrap();
    assert_eq!(capped.hits.len(), 2);
    assert!(capped.truncated);
    let err = search(&ws, &query("(", false, 0, 10)).unwrap_err();
    assert!(err.to_string().contains("is not a valid search pattern"), "{err}");
}
