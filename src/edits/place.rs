//! A file's place for writing: its folder, opened through the workspace's directory handle, and
//! its name in that folder. Every write, rename and removal an apply makes goes through the open
//! folder, never through a path again, so a symlink swapped into the path after the jail's checks
//! cannot redirect it.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

#[derive(Debug)]
pub struct Place {
    /// The deepest folder on the way that exists.
    dir: OwnedFd,
    /// Folders still to create beneath `dir`, outermost first.
    missing: Vec<OsString>,
    name: OsString,
    /// Workspace-relative, symlinks resolved: what the journal records.
    path: PathBuf,
}

const FILE_FLAGS: OFlags = OFlags::NOFOLLOW.union(OFlags::CLOEXEC).union(OFlags::NOCTTY);

impl Place {
    /// `dir` must have been opened beneath the workspace root; `path` is where `name` is in it.
    pub fn new(dir: OwnedFd, missing: Vec<OsString>, name: OsString, path: PathBuf) -> Place {
        Place { dir, missing, name, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folders [`Place::make_dirs`] will create, workspace-relative, outermost first.
    pub(crate) fn missing_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> =
            self.path.ancestors().skip(1).take(self.missing.len()).map(Path::to_path_buf).collect();
        dirs.reverse();
        dirs
    }

    /// The folder the file is in, once it exists: nothing is done in a folder further up.
    fn folder(&self) -> io::Result<&OwnedFd> {
        match self.missing.is_empty() {
            true => Ok(&self.dir),
            false => Err(io::Error::new(io::ErrorKind::NotFound, format!("{} has no folder yet", self.path.display()))),
        }
    }

    /// Creates the missing folders (one another apply made meanwhile is fine) and moves into the last.
    pub(crate) fn make_dirs(&mut self) -> io::Result<()> {
        for part in std::mem::take(&mut self.missing) {
            match rustix::fs::mkdirat(&self.dir, &part, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            self.dir =
                rustix::fs::openat(&self.dir, &part, OFlags::RDONLY | OFlags::DIRECTORY | FILE_FLAGS, Mode::empty())?;
        }
        Ok(())
    }

    /// Whether `name` (the file itself when `None`) exists in the folder, a symlink counting as itself.
    pub(crate) fn exists(&self, name: Option<&OsStr>) -> io::Result<bool> {
        if !self.missing.is_empty() {
            return Ok(false);
        }
        match rustix::fs::statat(self.folder()?, name.unwrap_or(&self.name), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `text` to the new file `temp` beside the target, with the target's permissions, synced.
    pub(crate) fn write_temp(&self, temp: &OsStr, text: &str) -> io::Result<()> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | FILE_FLAGS;
        let mut file = File::from(rustix::fs::openat(self.folder()?, temp, flags, Mode::from_raw_mode(0o666))?);
        file.write_all(text.as_bytes())?;
        if let Ok(target) = rustix::fs::statat(&self.dir, &self.name, AtFlags::SYMLINK_NOFOLLOW) {
            rustix::fs::fchmod(&file, Mode::from_raw_mode(target.st_mode) & Mode::from_raw_mode(0o7777))?;
        }
        file.sync_all()
    }

    /// Reads the file itself (not through a symlink), at most `limit` bytes.
    pub(crate) fn read(&self, limit: u64) -> io::Result<Vec<u8>> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | FILE_FLAGS;
        let file = File::from(rustix::fs::openat(self.folder()?, &self.name, flags, Mode::empty())?);
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Puts `temp` in place of the file, atomically.
    pub(crate) fn rename_from(&self, temp: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::renameat(self.folder()?, temp, self.folder()?, &self.name)?)
    }

    /// Removes `name` (the file itself when `None`); a symlink is removed, not its target.
    pub(crate) fn remove(&self, name: Option<&OsStr>) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(self.folder()?, name.unwrap_or(&self.name), AtFlags::empty())?)
    }

    /// Removes the place as a folder, if it is an empty one.
    pub(crate) fn remove_empty_dir(&self) {
        if let Ok(dir) = self.folder() {
            let _ = rustix::fs::unlinkat(dir, &self.name, AtFlags::REMOVEDIR);
        }
    }

    pub(crate) fn sync_dir(&self) -> io::Result<()> {
        Ok(rustix::fs::fsync(&self.dir)?)
    }

    /// Locks the folder against other applies (this process's included: each place has its own
    /// open folder); `wait: false` says `false` at once when another holds it.
    pub(crate) fn lock(&self, wait: bool) -> io::Result<bool> {
        let operation = if wait { FlockOperation::LockExclusive } else { FlockOperation::NonBlockingLockExclusive };
        match rustix::fs::flock(&self.dir, operation) {
            Ok(()) => Ok(true),
            Err(Errno::WOULDBLOCK) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
