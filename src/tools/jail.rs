//! The workspace jail: every path a tool touches resolves inside the workspace root. `..` above the
//! root, absolute paths and symlinks leading outside are refused, and `.git/` is never written.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::edits::{EditError, Files};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JailError {
    #[error("{path}: absolute paths are not allowed; use a path relative to the workspace root")]
    Absolute { path: String },
    #[error("{path}: the path leads outside the workspace")]
    Outside { path: String },
    #[error("{path}: a symlink inside it leads outside the workspace ({target})")]
    SymlinkOutside { path: String, target: String },
    #[error("{path}: tools never write inside .git/")]
    GitDir { path: String },
    #[error("{path}: an empty path names no file")]
    Empty { path: String },
}

/// A workspace folder, with its root resolved once.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    pub fn open(root: impl AsRef<Path>) -> io::Result<Workspace> {
        let root = std::fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", root.display())));
        }
        Ok(Workspace { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a workspace-relative one, if it stays inside the workspace, symlinks
    /// followed.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, JailError> {
        let refuse = |make: fn(String) -> JailError| make(path.to_string());
        let given = Path::new(path);
        let mut inside = PathBuf::new();
        for component in given.components() {
            match component {
                Component::Normal(part) => inside.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !inside.pop() {
                        return Err(refuse(|path| JailError::Outside { path }));
                    }
                }
                Component::RootDir | Component::Prefix(_) => return Err(refuse(|path| JailError::Absolute { path })),
            }
        }
        if inside.as_os_str().is_empty() {
            return Err(refuse(|path| JailError::Empty { path }));
        }
        let full = self.root.join(&inside);
        // The deepest part that exists decides where symlinks lead.
        let mut existing = full.as_path();
        while !existing.exists() && existing.symlink_metadata().is_err() {
            match existing.parent() {
                Some(parent) => existing = parent,
                None => break,
            }
        }
        let real = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
        if !real.starts_with(&self.root) {
            return Err(JailError::SymlinkOutside { path: path.to_string(), target: real.display().to_string() });
        }
        Ok(full)
    }

    /// [`Workspace::resolve`], refusing anything under `.git/`.
    pub fn resolve_for_write(&self, path: &str) -> Result<PathBuf, JailError> {
        let full = self.resolve(path)?;
        let relative = full.strip_prefix(&self.root).unwrap_or(&full);
        if relative.components().next().is_some_and(|c| c.as_os_str() == ".git") {
            return Err(JailError::GitDir { path: path.to_string() });
        }
        Ok(full)
    }
}

fn refused(path: &str, e: JailError) -> EditError {
    EditError::Refused { path: path.to_string(), reason: e.to_string() }
}

/// Files larger than this are not edited as text (an edit holds the whole file in memory, twice).
pub const MAX_EDIT_BYTES: u64 = 16 << 20;

impl Files for Workspace {
    fn read_text(&self, path: &str) -> Result<Option<String>, EditError> {
        let full = self.resolve(path).map_err(|e| refused(path, e))?;
        if let Ok(meta) = std::fs::metadata(&full)
            && meta.is_file()
            && meta.len() > MAX_EDIT_BYTES
        {
            return Err(EditError::TooLarge { path: path.to_string(), size: meta.len(), limit: MAX_EDIT_BYTES });
        }
        match std::fs::read(&full) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| EditError::NotText { path: path.to_string() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(_) if full.is_dir() => Err(EditError::IsDirectory { path: path.to_string() }),
            Err(e) => Err(EditError::Io { path: path.to_string(), detail: e.to_string() }),
        }
    }

    fn writable(&self, path: &str) -> Result<PathBuf, EditError> {
        self.resolve_for_write(path).map_err(|e| refused(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("src"), dir.path().join("alias")).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert!(ws.resolve("src/../src/main.rs").unwrap().ends_with("src/main.rs"));
        assert!(ws.resolve("alias/new.rs").is_ok(), "a symlink that stays inside is fine");
        assert!(matches!(ws.resolve("../x"), Err(JailError::Outside { .. })));
        assert!(matches!(ws.resolve("src/../../x"), Err(JailError::Outside { .. })));
        assert!(matches!(ws.resolve("/etc/passwd"), Err(JailError::Absolute { .. })));
        assert!(matches!(ws.resolve("escape/secret"), Err(JailError::SymlinkOutside { .. })));
        assert!(matches!(ws.resolve(""), Err(JailError::Empty { .. })));
        assert!(matches!(ws.resolve_for_write(".git/config"), Err(JailError::GitDir { .. })));
        assert!(ws.resolve(".git/config").is_ok(), "reading .git is allowed");
    }
}
