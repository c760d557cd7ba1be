//! The `apply_patch` envelope: `*** Begin Patch` … `*** End Patch` with Add, Delete, Update (and
//! Move) operations, `@@` chunks, context lines and `*** End of File`. Parsing only: nothing here
//! touches a file. The grammar and its leniencies follow the reference implementation's behaviour.

/// One file operation of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// The file's whole new content (every line ends with LF).
    Add {
        path: String,
        content: String,
    },
    Delete {
        path: String,
    },
    Update {
        path: String,
        move_to: Option<String>,
        chunks: Vec<Chunk>,
    },
}

impl Operation {
    pub fn path(&self) -> &str {
        match self {
            Operation::Add { path, .. } | Operation::Delete { path } | Operation::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an Update: the lines it expects (context and `-`), the lines it leaves
/// (context and `+`), an optional anchor line to find first, and whether it is pinned to the end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chunk {
    pub anchor: Option<String>,
    pub old: Vec<String>,
    pub new: Vec<String>,
    pub end_of_file: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub operations: Vec<Operation>,
}

/// Why a patch could not be read, with the line it failed on (1-based, counted in the patch).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the patch must start with `*** Begin Patch` and end with `*** End Patch`")]
    Envelope,
    #[error(
        "line {line}: `{text}` is not a file operation; expected `*** Add File: PATH`, `*** Delete File: PATH` or `*** Update File: PATH`"
    )]
    BadHeader { line: usize, text: String },
    #[error("line {line}: the update of {path} has no `@@` chunk")]
    EmptyUpdate { line: usize, path: String },
    #[error("line {line}: expected `@@` to start the next chunk of {path}, found `{text}`")]
    MissingChunkHeader { line: usize, path: String, text: String },
    #[error("line {line}: a chunk of {path} has no lines (each line starts with ' ', '-' or '+')")]
    EmptyChunk { line: usize, path: String },
    #[error("line {line}: `{text}` in {path}: a chunk line starts with ' ' (context), '-' (remove) or '+' (add)")]
    UnexpectedLine { line: usize, path: String, text: String },
}

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
const ADD: &str = "*** Add File: ";
const DELETE: &str = "*** Delete File: ";
const UPDATE: &str = "*** Update File: ";
const MOVE: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";

/// Reads a whole patch. Lines are numbered as in `text` for error messages.
pub fn parse(text: &str) -> Result<Patch, ParseError> {
    let lines: Vec<&str> = text.trim().lines().collect();
    let (body, offset) = envelope(&lines).ok_or(ParseError::Envelope)?;
    let first_line = text.len() - text.trim_start().len();
    let leading = text[..first_line].matches('\n').count();
    let mut parser = Parser { lines: body, at: 0, offset: offset + leading + 1 };
    let mut operations = Vec::new();
    while parser.at < parser.lines.len() {
        let raw = parser.lines[parser.at];
        let header = raw.trim();
        if header.is_empty() {
            parser.at += 1;
            continue;
        }
        operations.push(if let Some(path) = header.strip_prefix(ADD) {
            parser.at += 1;
            parser.add(path.trim())
        } else if let Some(path) = header.strip_prefix(DELETE) {
            parser.at += 1;
            Operation::Delete { path: path.trim().to_string() }
        } else if let Some(path) = header.strip_prefix(UPDATE) {
            parser.at += 1;
            parser.update(path.trim())?
        } else {
            return Err(ParseError::BadHeader { line: parser.line_number(), text: header.to_string() });
        });
    }
    Ok(Patch { operations })
}

/// The lines between the markers and the index of the first of them, accepting a heredoc wrapper.
fn envelope<'a>(lines: &[&'a str]) -> Option<(Vec<&'a str>, usize)> {
    let marked = |l: &[&str]| {
        l.len() >= 2 && l.first().is_some_and(|f| f.trim() == BEGIN) && l.last().is_some_and(|e| e.trim() == END)
    };
    if marked(lines) {
        return Some((lines[1..lines.len() - 1].to_vec(), 1));
    }
    let heredoc = lines.len() >= 4
        && matches!(lines[0], "<<EOF" | "<<'EOF'" | "<<\"EOF\"")
        && lines.last().is_some_and(|l| l.ends_with("EOF"));
    if heredoc && marked(&lines[1..lines.len() - 1]) {
        return Some((lines[2..lines.len() - 2].to_vec(), 2));
    }
    None
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    at: usize,
    /// Patch line number of `lines[0]`.
    offset: usize,
}

impl Parser<'_> {
    fn line_number(&self) -> usize {
        self.at + self.offset
    }

    fn add(&mut self, path: &str) -> Operation {
        let mut content = String::new();
        while let Some(line) = self.lines.get(self.at).and_then(|l| l.strip_prefix('+')) {
            content.push_str(line);
            content.push('\n');
            self.at += 1;
        }
        Operation::Add { path: path.to_string(), content }
    }

    fn skip_blank(&mut self) {
        while self.lines.get(self.at).is_some_and(|l| l.trim().is_empty()) {
            self.at += 1;
        }
    }

    fn update(&mut self, path: &str) -> Result<Operation, ParseError> {
        let move_to = self.lines.get(self.at).and_then(|l| l.strip_prefix(MOVE)).map(|p| p.trim().to_string());
        if move_to.is_some() {
            self.at += 1;
        }
        self.skip_blank();
        let mut chunks = Vec::new();
        while let Some(&raw) = self.lines.get(self.at) {
            let trimmed = raw.trim();
            if raw.starts_with("***") {
                break; // the next operation
            }
            let anchor = if trimmed == "@@" {
                self.at += 1;
                None
            } else if let Some(anchor) = raw.strip_prefix("@@ ") {
                self.at += 1;
                Some(anchor.to_string())
            } else if chunks.is_empty() {
                None // only the first chunk may leave out its header
            } else {
                return Err(ParseError::MissingChunkHeader {
                    line: self.line_number(),
                    path: path.to_string(),
                    text: raw.to_string(),
                });
            };
            chunks.push(self.chunk(path, anchor)?);
        }
        if chunks.is_empty() {
            return Err(ParseError::EmptyUpdate { line: self.line_number(), path: path.to_string() });
        }
        Ok(Operation::Update { path: path.to_string(), move_to, chunks })
    }

    fn chunk(&mut self, path: &str, anchor: Option<String>) -> Result<Chunk, ParseError> {
        let mut chunk = Chunk { anchor, ..Chunk::default() };
        let mut body_lines = 0;
        while let Some(&line) = self.lines.get(self.at) {
            if line == END_OF_FILE {
                if body_lines == 0 {
                    break;
                }
                chunk.end_of_file = true;
                self.at += 1;
                self.skip_blank();
                break;
            }
            match line.chars().next() {
                None => {
                    chunk.old.push(String::new());
                    chunk.new.push(String::new());
                }
                Some(' ') => {
                    chunk.old.push(line[1..].to_string());
                    chunk.new.push(line[1..].to_string());
                }
                Some('-') => chunk.old.push(line[1..].to_string()),
                Some('+') => chunk.new.push(line[1..].to_string()),
                Some(_) if body_lines == 0 => {
                    return Err(ParseError::UnexpectedLine {
                        line: self.line_number(),
                        path: path.to_string(),
                        text: line.to_string(),
                    });
                }
                Some(_) => break,
            }
            body_lines += 1;
            self.at += 1;
        }
        if body_lines == 0 {
            return Err(ParseError::EmptyChunk { line: self.line_number(), path: path.to_string() });
        }
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_operations_parse() {
        let patch = parse(
            "*** Begin Patch\n*** Add File: a.txt\n+one\n+two\n*** Delete File: b.txt\n*** Update File: c.txt\n*** Move to: d/c.txt\n@@ fn main\n ctx\n-old\n+new\n\n@@\n-x\n+y\n*** End of File\n*** End Patch\n",
        )
        .unwrap();
        assert_eq!(patch.operations.len(), 3);
        assert_eq!(patch.operations[0], Operation::Add { path: "a.txt".into(), content: "one\ntwo\n".into() });
        let Operation::Update { move_to, chunks, .. } = &patch.operations[2] else { panic!() };
        assert_eq!(move_to.as_deref(), Some("d/c.txt"));
        assert_eq!(chunks[0].anchor.as_deref(), Some("fn main"));
        assert_eq!(chunks[0].old, ["ctx", "old", ""]);
        assert_eq!(chunks[0].new, ["ctx", "new", ""]);
        assert!(chunks[1].end_of_file);
    }

    #[test]
    fn a_heredoc_wrapper_is_accepted() {
        let patch = parse("<<'EOF'\n*** Begin Patch\n*** Delete File: x\n*** End Patch\nEOF\n").unwrap();
        assert_eq!(patch.operations, [Operation::Delete { path: "x".into() }]);
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        assert_eq!(parse("hello").unwrap_err(), ParseError::Envelope);
        let err = parse("*** Begin Patch\n*** Frobnicate File: x\n*** End Patch").unwrap_err();
        assert!(matches!(err, ParseError::BadHeader { line: 2, .. }), "{err}");
        assert!(err.to_string().contains("*** Add File: PATH"));
        let err = parse("*** Begin Patch\n*** Update File: x\n*** End Patch").unwrap_err();
        assert!(matches!(err, ParseError::EmptyUpdate { .. }), "{err}");
        let err =
            parse("*** Begin Patch\n*** Update File: x\n@@\n-a\n+b\nnot a chunk line\n*** End Patch").unwrap_err();
        assert!(matches!(err, ParseError::MissingChunkHeader { line: 6, .. }), "{err}");
    }
}
