//! The workspace jail: every path a tool touches resolves inside the workspace root. `..` above the
//! root, absolute paths and symlinks leading outside are refused, and no git folder is written.
//! Those checks give the friendly refusals; the opens themselves go through the root's directory
//! handle with `openat2(RESOLVE_BENEATH)` (Linux 5.6 or later), so a path changed after the check,
//! a symlink swapped in, still cannot lead outside.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::edits::{self, EditError, Files, Place};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JailError {
    #[error("{path}: absolute paths are not allowed; use a path relative to the workspace root")]
    Absolute { path: String },
    #[error("{path}: the path leads outside the workspace")]
    Outside { path: String },
    #[error("{path}: a symlink inside it leads outside the workspace ({target})")]
    SymlinkOutside { path: String, target: String },
    #[error("{path}: tools never write inside a git folder (.git, or a folder that is a repository's git dir)")]
    GitDir { path: String },
    #[error("{path}: an empty path names no file")]
    Empty { path: String },
    #[error("{path}: a symlink on the way points to nothing; fix or remove the link")]
    BrokenLink { path: String },
    #[error("{path} is a {kind}, not a regular file; tools only read and edit regular files")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path}: the path changed while it was opened (a symlink appeared on the way); try again")]
    Changed { path: String },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
}

/// A workspace folder: its root resolved once, and held open.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    dir: Arc<OwnedFd>,
}

/// What opening a workspace file for reading found.
#[derive(Debug)]
pub enum Opened {
    File(File, Metadata),
    Missing,
    Directory,
}

/// Where a path really is, relative to the root: the part that exists with its symlinks resolved,
/// then the names that do not exist yet.
struct Real {
    existing: PathBuf,
    missing: Vec<OsString>,
}

impl Real {
    fn path(&self) -> PathBuf {
        self.missing.iter().fold(self.existing.clone(), |path, part| path.join(part))
    }
}

/// Whether a path's last component is followed when it is a symlink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Follow,
    Entry,
}

impl Workspace {
    /// Opens the workspace, and finishes or rolls back an apply a killed process left halfway.
    pub fn open(root: impl AsRef<Path>) -> io::Result<Workspace> {
        let root = std::fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", root.display())));
        }
        let dir = rustix::fs::open(&root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        let workspace = Workspace { root, dir: Arc::new(dir) };
        match edits::recover(&workspace) {
            Ok(edits::Recovery::Nothing) => {}
            Ok(done) => tracing::warn!(workspace = %workspace.root.display(), "{done}"),
            Err(e) => tracing::error!(workspace = %workspace.root.display(), "{e}"),
        }
        Ok(workspace)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a workspace-relative one, symlinks resolved, if it stays inside.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, JailError> {
        Ok(self.root.join(self.real(path, Last::Follow)?.path()))
    }

    fn real(&self, path: &str, last: Last) -> Result<Real, JailError> {
        let inside = lexical(path)?;
        let (parent, name) = match last {
            Last::Follow => (inside.as_path(), None),
            Last::Entry => (inside.parent().unwrap_or(Path::new("")), inside.file_name()),
        };
        // The deepest part that exists decides where symlinks lead.
        let mut existing = self.root.join(parent);
        let mut missing = Vec::new();
        while existing.symlink_metadata().is_err() {
            let Some(part) = existing.file_name() else { break };
            missing.push(part.to_os_string());
            existing.pop();
        }
        missing.reverse();
        missing.extend(name.map(|n| n.to_os_string()));
        let resolved =
            std::fs::canonicalize(&existing).map_err(|_| JailError::BrokenLink { path: path.to_string() })?;
        match resolved.strip_prefix(&self.root) {
            Ok(inside) => Ok(Real { existing: inside.to_path_buf(), missing }),
            Err(_) => Err(JailError::SymlinkOutside { path: path.to_string(), target: resolved.display().to_string() }),
        }
    }

    /// Refuses a path that is in a git folder: any component named `.git`, or inside a folder
    /// that is a git dir (a bare repository, say).
    fn check_not_git(&self, path: &str, real: &Path) -> Result<(), JailError> {
        let mut dir = self.root.clone();
        for part in real.components() {
            dir.push(part);
            if part.as_os_str() == ".git" || is_git_dir(&dir) {
                return Err(JailError::GitDir { path: path.to_string() });
            }
        }
        Ok(())
    }

    /// Opens `relative` for reading beneath the root's handle: the kernel refuses any step out of
    /// the workspace, whatever changed since the path was checked. Never waits on a FIFO.
    pub fn open_beneath(&self, relative: &Path) -> io::Result<File> {
        self.open_at(relative, OFlags::RDONLY | OFlags::NONBLOCK, ResolveFlags::empty()).map(File::from)
    }

    /// Opens the folder `relative` for writing in it; as [`Workspace::open_beneath`], and any
    /// symlink on the way is refused too, so the folder opened is the one the checks saw.
    pub fn open_dir_beneath(&self, relative: &Path) -> io::Result<OwnedFd> {
        self.open_at(relative, OFlags::RDONLY | OFlags::DIRECTORY, ResolveFlags::NO_SYMLINKS)
    }

    fn open_at(&self, relative: &Path, flags: OFlags, extra: ResolveFlags) -> io::Result<OwnedFd> {
        let relative = if relative.as_os_str().is_empty() { Path::new(".") } else { relative };
        let flags = flags | OFlags::CLOEXEC | OFlags::NOCTTY;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | extra;
        // EAGAIN: a rename elsewhere raced the lookup; the kernel asks to retry.
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(&*self.dir, relative, flags, Mode::empty(), resolve) {
                Err(Errno::AGAIN) if tries < 8 => tries += 1,
                result => return result.map_err(io::Error::from),
            }
        }
    }

    /// Opens a workspace file for reading: refused outside the jail and when not a regular file.
    pub fn open_file(&self, path: &str) -> Result<Opened, JailError> {
        let real = self.real(path, Last::Follow)?;
        if !real.missing.is_empty() {
            return Ok(Opened::Missing);
        }
        let file = match self.open_beneath(&real.existing) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Opened::Missing),
            Err(e) => return Err(refusal(path, e)),
        };
        let meta = file.metadata().map_err(|e| refusal(path, e))?;
        if meta.is_dir() {
            return Ok(Opened::Directory);
        }
        match kind_name(&meta.file_type()) {
            Some(kind) => Err(JailError::NotRegular { path: path.to_string(), kind }),
            None => Ok(Opened::File(file, meta)),
        }
    }

    /// Where `path` is written or removed: its folder opened beneath the root.
    fn place_of(&self, path: &str, last: Last) -> Result<Place, EditError> {
        let refuse = |e| refused(path, e);
        let real = self.real(path, last).map_err(refuse)?;
        let full = real.path();
        self.check_not_git(path, &full).map_err(refuse)?;
        let (folder, mut missing) = match real.missing.is_empty() {
            true => (real.existing.parent().map(Path::to_path_buf), Vec::new()),
            false => (Some(real.existing), real.missing),
        };
        let (Some(folder), Some(name)) = (folder, full.file_name()) else {
            return Err(EditError::IsDirectory { path: path.to_string() });
        };
        missing.pop(); // the file's own name
        let dir = self.open_dir_beneath(&folder).map_err(|e| refuse(refusal(path, e)))?;
        Ok(Place::new(dir, missing, name.to_os_string(), full))
    }
}

/// The path made relative and free of `.`/`..`, refused when it climbs above the root.
fn lexical(path: &str) -> Result<PathBuf, JailError> {
    let mut inside = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !inside.pop() {
                    return Err(JailError::Outside { path: path.to_string() });
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(JailError::Absolute { path: path.to_string() }),
        }
    }
    match inside.as_os_str().is_empty() {
        true => Err(JailError::Empty { path: path.to_string() }),
        false => Ok(inside),
    }
}

/// What git itself checks to call a folder a git dir.
fn is_git_dir(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// `None` for a regular file or folder.
fn kind_name(kind: &std::fs::FileType) -> Option<&'static str> {
    match () {
        _ if kind.is_fifo() => Some("FIFO (named pipe)"),
        _ if kind.is_socket() => Some("socket"),
        _ if kind.is_block_device() => Some("block device"),
        _ if kind.is_char_device() => Some("character device"),
        _ => None,
    }
}

/// The jail's reading of an error from a beneath-the-root open.
fn refusal(path: &str, e: io::Error) -> JailError {
    let path = path.to_string();
    match Errno::from_io_error(&e) {
        Some(Errno::XDEV) => JailError::SymlinkOutside { path, target: "a link changed after the check".into() },
        Some(Errno::LOOP) => JailError::Changed { path },
        Some(Errno::NXIO) => JailError::NotRegular { path, kind: "socket" },
        _ => JailError::Io { path, detail: e.to_string() },
    }
}

fn refused(path: &str, e: JailError) -> EditError {
    EditError::Refused { path: path.to_string(), reason: e.to_string() }
}

/// Files larger than this are not edited as text (an edit holds the whole file in memory, twice).
pub const MAX_EDIT_BYTES: u64 = 16 << 20;

impl Files for Workspace {
    fn read_text(&self, path: &str) -> Result<Option<String>, EditError> {
        let (mut file, meta) = match self.open_file(path).map_err(|e| refused(path, e))? {
            Opened::Missing => return Ok(None),
            Opened::Directory => return Err(EditError::IsDirectory { path: path.to_string() }),
            Opened::File(file, meta) => (file, meta),
        };
        if meta.len() > MAX_EDIT_BYTES {
            return Err(EditError::TooLarge { path: path.to_string(), size: meta.len(), limit: MAX_EDIT_BYTES });
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| EditError::Io { path: path.to_string(), detail: e.to_string() })?;
        String::from_utf8(bytes).map(Some).map_err(|_| EditError::NotText { path: path.to_string() })
    }

    fn place(&self, path: &str) -> Result<Place, EditError> {
        self.place_of(path, Last::Follow)
    }

    fn entry(&self, path: &str) -> Result<Place, EditError> {
        self.place_of(path, Last::Entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn paths_stay_inside_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        symlink(outside.path(), dir.path().join("escape")).unwrap();
        symlink(dir.path().join("src"), dir.path().join("alias")).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert!(ws.resolve("src/../src/main.rs").unwrap().ends_with("src/main.rs"));
        assert!(
            ws.resolve("alias/new.rs").unwrap().ends_with("src/new.rs"),
            "an absolute symlink that stays inside is fine"
        );
        assert!(matches!(ws.resolve("../x"), Err(JailError::Outside { .. })));
        assert!(matches!(ws.resolve("src/../../x"), Err(JailError::Outside { .. })));
        assert!(matches!(ws.resolve("/etc/passwd"), Err(JailError::Absolute { .. })));
        assert!(matches!(ws.resolve("escape/secret"), Err(JailError::SymlinkOutside { .. })));
        assert!(matches!(ws.resolve(""), Err(JailError::Empty { .. })));
        assert!(ws.place(".git/config").unwrap_err().to_string().contains("git folder"));
        assert!(ws.resolve(".git/config").is_ok(), "reading .git is allowed");
    }

    /// The checks passed on a real folder; the folder is then swapped for a symlink to outside and
    /// the lower-level opens are called with the now-symlinked path, as a racing swap would leave it.
    #[test]
    fn a_symlink_swapped_in_after_the_check_leads_nowhere() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "key").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/secret"), "inside").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert!(matches!(ws.open_file("sub/secret"), Ok(Opened::File(..))));
        std::fs::remove_dir_all(dir.path().join("sub")).unwrap();
        symlink(outside.path(), dir.path().join("sub")).unwrap();
        let read = ws.open_beneath(Path::new("sub/secret")).unwrap_err();
        assert_eq!(Errno::from_io_error(&read), Some(Errno::XDEV), "{read}");
        assert!(matches!(refusal("sub/secret", read), JailError::SymlinkOutside { .. }));
        let write = ws.open_dir_beneath(Path::new("sub")).unwrap_err();
        assert!(matches!(refusal("sub", write), JailError::SymlinkOutside { .. } | JailError::Changed { .. }));
        // A relative link that stays inside is followed by reads, never by writes.
        std::fs::remove_file(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        symlink("real", dir.path().join("sub")).unwrap();
        assert!(ws.open_beneath(Path::new("sub")).is_ok());
        let write = ws.open_dir_beneath(Path::new("sub")).unwrap_err();
        assert!(matches!(refusal("sub", write), JailError::Changed { .. }));
        assert_eq!(std::fs::read_to_string(outside.path().join("secret")).unwrap(), "key");
    }

    /// A place holds its folder open: swapping the folder's path for a symlink to outside between
    /// planning and writing moves nothing outside.
    #[test]
    fn a_place_keeps_writing_where_it_was_checked() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let place = ws.place("sub/new.txt").unwrap();
        std::fs::rename(dir.path().join("sub"), dir.path().join("moved")).unwrap();
        symlink(outside.path(), dir.path().join("sub")).unwrap();
        let temp = std::ffi::OsString::from(".aura-x.tmp");
        place.write_temp(&temp, "text").unwrap();
        place.rename_from(&temp).unwrap();
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing written outside");
        assert_eq!(std::fs::read_to_string(dir.path().join("moved/new.txt")).unwrap(), "text");
        assert!(ws.place("sub/other.txt").is_err(), "a new place sees the link and refuses it");
    }
}
