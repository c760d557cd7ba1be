//! Git worktrees for Drones that write: each run works in its own worktree on its own branch, so
//! parallel writers never collide. The worktree starts from what the user sees, uncommitted and
//! untracked files included; what the Drone changed comes back as FileChanges against the main
//! workspace, for Review. Synchronous code around the `git` command: call it off the async threads.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::domain::FileChange;
use crate::edits::file_change;
use crate::git::GitError;
use crate::git::runner::{self, exec, failed, line, names, output};

/// Every run's branch is `aura/drone/<name>/<run>`.
const BRANCHES: &str = "refs/heads/aura/drone/";

/// Set on every command: Aura's private commits are never signed, and the user's hooks do not run on them.
const SETTINGS: [&str; 4] = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"];

const IDENTITY: [&str; 4] = ["-c", "user.name=Aura", "-c", "user.email=aura@localhost"];

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("{} is not in a git repository: run `git init` there, or run this Drone read-only", .0.display())]
    NotARepo(PathBuf),
    #[error("the repository has no commits yet; commit once, or run this Drone read-only")]
    NoCommits,
    #[error("`{0}` cannot name a Drone worktree: use only letters, digits, `-` and `_`")]
    BadName(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WorktreeError + '_ {
    move |source| WorktreeError::Io { path: path.to_path_buf(), source }
}

/// The branch of a run: `aura/drone/<name>/<run>`.
pub fn branch(name: &str, run: &str) -> String {
    format!("aura/drone/{name}/{run}")
}

/// A Drone run's worktree.
#[derive(Debug, Clone)]
pub struct Worktree {
    pub path: PathBuf,
    pub branch: String,
    /// The commit holding the workspace as the run found it.
    pub base: String,
    /// The main repository's toplevel.
    repo: PathBuf,
    /// The workspace root relative to the toplevel; usually empty.
    prefix: PathBuf,
}

/// What a run changed, ready for Review.
#[derive(Debug, Default)]
pub struct Derived {
    pub changes: Vec<FileChange>,
    /// Files the Drone and the user both changed in ways that collide: left as the user has them.
    pub conflicts: Vec<String>,
    /// Files that cannot be reviewed as text, each with why.
    pub skipped: Vec<String>,
}

/// A git command in `dir` through the one runner, with Aura's settings for its private commits.
fn git(dir: &Path) -> Command {
    let mut command = runner::git(dir);
    command.args(SETTINGS);
    command
}

/// A file's bytes; `None` when there is no such file.
fn read(path: &Path) -> Result<Option<Vec<u8>>, WorktreeError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The toplevel of the repository `root` is in, and `root` relative to it.
fn locate(root: &Path) -> Result<(PathBuf, PathBuf), WorktreeError> {
    match crate::git::locate(root) {
        Ok(repo) => Ok((repo.toplevel, PathBuf::from(repo.prefix))),
        Err(GitError::NotARepo(path)) => Err(WorktreeError::NotARepo(path)),
        Err(e) => Err(e.into()),
    }
}

/// The git toplevel of `root` when it is inside a work tree (`None` when it is not, or git is missing).
pub fn repo_of(root: &Path) -> Option<PathBuf> {
    locate(root).ok().map(|(toplevel, _)| toplevel)
}

fn check_name(part: &str) -> Result<(), WorktreeError> {
    match !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        true => Ok(()),
        false => Err(WorktreeError::BadName(part.to_string())),
    }
}

/// A commit on top of `head` holding the work tree as the user sees it: tracked files as they are
/// on disk and untracked files that are not ignored. Staged through a copy of the user's index, so
/// their index is untouched and only changed files are hashed again.
fn snapshot(repo: &Path, head: &str, index: &Path) -> Result<String, WorktreeError> {
    let user_index = repo.join(line(&exec(git(repo).args(["rev-parse", "--git-path", "index"]))?));
    if user_index.is_file() {
        fs::copy(&user_index, index).map_err(io_error(index))?;
    }
    exec(git(repo).env("GIT_INDEX_FILE", index).args(["add", "-A"]))?;
    let tree = line(&exec(git(repo).env("GIT_INDEX_FILE", index).arg("write-tree"))?);
    let message = "Aura: the workspace as the Drone found it";
    Ok(line(&exec(git(repo).args(IDENTITY).args(["commit-tree", &tree, "-p", head, "-m", message]))?))
}

/// Makes `<dir>/<run>`, a worktree of the repository `workspace_root` is in, on the new branch
/// `aura/drone/<name>/<run>`, holding what the user sees, uncommitted work included. `dir` is
/// `<data dir>/worktrees/<project>`.
pub fn create(workspace_root: &Path, dir: &Path, run: &str, name: &str) -> Result<Worktree, WorktreeError> {
    check_name(run)?;
    check_name(name)?;
    let (repo, prefix) = locate(workspace_root)?;
    let head = head_of(&repo)?;
    let dir = std::path::absolute(dir).map_err(io_error(dir))?;
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let index = dir.join(format!("{run}.index"));
    let base = snapshot(&repo, &head, &index);
    // Gone or not, a leftover index is deleted by the next `clean_stale`.
    let _ = fs::remove_file(&index);
    let base = base?;
    let (path, branch) = (dir.join(run), branch(name, run));
    exec(git(&repo).args(["worktree", "add", "-q", "-b", &branch]).arg(&path).arg(&base))?;
    let worktree = Worktree { path, branch, base, repo, prefix };
    // A workspace folder with nothing tracked in it is not checked out; the Drone still works there.
    let root = worktree.workspace_root();
    if let Err(e) = fs::create_dir_all(&root) {
        let _ = worktree.remove();
        return Err(io_error(&root)(e));
    }
    Ok(worktree)
}

fn head_of(repo: &Path) -> Result<String, WorktreeError> {
    match exec(git(repo).args(["rev-parse", "--verify", "-q", "HEAD^{commit}"])) {
        Ok(out) => Ok(line(&out)),
        Err(GitError::Git { .. }) => Err(WorktreeError::NoCommits),
        Err(e) => Err(e.into()),
    }
}

enum Verdict {
    Same,
    Change(FileChange),
    Conflict,
    Skip(String),
}

impl Worktree {
    /// The folder in the worktree that corresponds to the main workspace root.
    pub fn workspace_root(&self) -> PathBuf {
        self.path.join(&self.prefix)
    }

    /// What the Drone changed since `base` (committed or not, new files included, ignored files
    /// not), as changes to the main workspace's current files. A file the user also changed since
    /// is merged three ways; if the two collide it is listed in `conflicts` instead.
    pub fn changes(&self, main_root: &Path) -> Result<Derived, WorktreeError> {
        let here = self.workspace_root();
        // Workspace-relative path -> whether it is in base.
        let mut paths: BTreeMap<String, bool> = BTreeMap::new();
        let untracked = exec(git(&here).args(["ls-files", "--others", "--exclude-standard", "-z"]))?;
        paths.extend(names(&untracked).map(|path| (path, false)));
        let diff = exec(
            git(&here)
                .args(["diff", "--relative", "--name-status", "--no-renames", "--ignore-submodules", "-z"])
                .args([self.base.as_str(), "--"]),
        )?;
        let mut fields = names(&diff);
        while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
            paths.insert(path, status != "A");
        }
        let mut derived = Derived::default();
        for (path, in_base) in paths {
            match self.derive(main_root, &path, in_base) {
                Ok(Verdict::Same) => {}
                Ok(Verdict::Change(change)) => derived.changes.push(change),
                Ok(Verdict::Conflict) => derived.conflicts.push(path),
                Ok(Verdict::Skip(why)) => derived.skipped.push(format!("{path}: {why}")),
                Err(e) => derived.skipped.push(format!("{path}: {e}")),
            }
        }
        Ok(derived)
    }

    fn derive(&self, main_root: &Path, path: &str, in_base: bool) -> Result<Verdict, WorktreeError> {
        let here = self.workspace_root();
        // `--filters`: as checked out, so line endings compare equal to the files on disk.
        let spec = format!("{}:./{path}", self.base);
        let base = if in_base { Some(exec(git(&here).args(["cat-file", "--filters", &spec]))?) } else { None };
        let drone = read(&here.join(path))?;
        let main = read(&main_root.join(path))?;
        if drone == base || drone == main {
            return Ok(Verdict::Same);
        }
        fn text(bytes: &Option<Vec<u8>>) -> Result<Option<&str>, std::str::Utf8Error> {
            bytes.as_deref().map(std::str::from_utf8).transpose()
        }
        let (Ok(main), Ok(base), Ok(drone)) = (text(&main), text(&base), text(&drone)) else {
            return Ok(Verdict::Skip("not UTF-8 text, so it cannot be reviewed; it was left out".into()));
        };
        if main == base {
            return Ok(Verdict::Change(file_change(path, main.map(Into::into), drone.map(Into::into))));
        }
        // Both changed it; one deleting or both adding it cannot be merged line by line.
        let (Some(main), Some(base), Some(drone)) = (main, base, drone) else { return Ok(Verdict::Conflict) };
        Ok(match self.merge(main, base, drone)? {
            Some(merged) if merged == main => Verdict::Same,
            Some(merged) => Verdict::Change(file_change(path, Some(main.into()), Some(merged))),
            None => Verdict::Conflict,
        })
    }

    /// `git merge-file` on the three texts; `None` when they conflict.
    fn merge(&self, main: &str, base: &str, drone: &str) -> Result<Option<String>, WorktreeError> {
        let mut folder = self.path.clone().into_os_string();
        folder.push(".merge");
        let folder = PathBuf::from(folder);
        let merged = (|| {
            fs::create_dir_all(&folder).map_err(io_error(&folder))?;
            for (name, text) in [("main", main), ("base", base), ("drone", drone)] {
                fs::write(folder.join(name), text).map_err(io_error(&folder.join(name)))?;
            }
            let mut command = git(&folder);
            let out = output(command.args(["merge-file", "-p", "main", "base", "drone"]))?;
            // The exit code counts conflicts; above 127 is an error.
            match out.status.code() {
                Some(0) => Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned())),
                Some(1..=127) => Ok(None),
                _ => Err(failed(&command, &out).into()),
            }
        })();
        // Gone or not, a leftover folder is deleted by the next `clean_stale`.
        let _ = fs::remove_dir_all(&folder);
        merged
    }

    /// Removes the worktree and its branch, and deletes whatever is left of the folder. Doing it
    /// again is fine.
    pub fn remove(&self) -> Result<(), WorktreeError> {
        tear_down(&self.repo, &self.path, std::slice::from_ref(&self.branch))
    }
}

/// Removes the worktree at `path` from the repository `repo` is in and deletes `branches` there;
/// the folder is deleted even when git no longer knows it as a worktree.
fn tear_down(repo: &Path, path: &Path, branches: &[String]) -> Result<(), WorktreeError> {
    let exists = fs::symlink_metadata(path).is_ok();
    if !exists || exec(git(repo).args(["worktree", "remove", "--force"]).arg(path)).is_err() {
        if fs::symlink_metadata(path).is_ok() {
            fs::remove_dir_all(path).map_err(io_error(path))?;
        }
        // Git forgets a worktree whose folder is gone only when pruned. Pruning also forgets other
        // missing worktrees of the repository, so it is done only when needed.
        exec(git(repo).args(["worktree", "prune"]))?;
    }
    for branch in branches {
        let exists = exec(git(repo).args(["show-ref", "--verify", "--quiet", &format!("refs/heads/{branch}")]));
        if exists.is_ok() {
            exec(git(repo).args(["branch", "-D", "-q", branch]))?;
        }
    }
    Ok(())
}

/// Deletes what a run left in its project's folder: a worktree (with its branches) or anything else.
fn discard(path: &Path) -> Result<(), WorktreeError> {
    if !fs::symlink_metadata(path).map_err(io_error(path))?.is_dir() {
        return fs::remove_file(path).map_err(io_error(path));
    }
    let run_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Only a folder with a `.git` file is asked, so a folder that is not a worktree never reaches
    // a repository that happens to hold the data folder.
    if path.join(".git").is_file()
        && let Ok(common) = exec(git(path).args(["rev-parse", "--git-common-dir"]))
    {
        let common = path.join(line(&common));
        let refs = exec(git(&common).args(["for-each-ref", "--format=%(refname)", BRANCHES]))?;
        let branches: Vec<String> = String::from_utf8_lossy(&refs)
            .lines()
            .filter(|r| r.ends_with(&format!("/{run_name}")))
            .filter_map(|r| r.strip_prefix("refs/heads/").map(String::from))
            .collect();
        return tear_down(&common, path, &branches);
    }
    fs::remove_dir_all(path).map_err(io_error(path))
}

/// At engine start: deletes everything in `<root>/<project>/` not named after a `live` run
/// (worktrees with their branches, and any leftovers), and returns what it deleted. Nothing outside
/// `root` is touched.
pub fn clean_stale(root: &Path, live: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let entries = |dir: &Path| fs::read_dir(dir).into_iter().flatten().flatten().collect::<Vec<_>>();
    let mut removed = Vec::new();
    // `file_type` does not follow links, so a linked folder is never entered.
    for project in entries(root).into_iter().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
        for leftover in entries(&project.path()) {
            if leftover.file_name().to_str().is_some_and(live) {
                continue;
            }
            match discard(&leftover.path()) {
                Ok(()) => removed.push(leftover.path()),
                Err(e) => {
                    tracing::warn!("could not delete the stale Drone worktree {}: {e}", leftover.path().display())
                }
            }
        }
        // Deletes the project's folder only when nothing is left in it.
        let _ = fs::remove_dir(project.path());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FileChangeKind;

    fn git_ok(dir: &Path, args: &[&str]) -> String {
        line(&exec(git(dir).args(args)).unwrap())
    }

    /// Commits everything; the identity comes with the command, as in `create`, since the machine may
    /// have none.
    fn commit_all(dir: &Path) {
        git_ok(dir, &["add", "-A"]);
        exec(git(dir).args(IDENTITY).args(["commit", "-q", "-m", "test"])).unwrap();
    }

    /// A repository with `a.txt`, `b.txt`, `gone.txt` and a `.gitignore` of `*.log` committed, plus a
    /// place for worktrees.
    fn repo() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let main = temp.path().join("main");
        fs::create_dir(&main).unwrap();
        git_ok(&main, &["init", "-q"]);
        fs::write(main.join("a.txt"), "one\ntwo\nthree\nfour\nfive\nsix\nseven\n").unwrap();
        fs::write(main.join("b.txt"), "bee\n").unwrap();
        fs::write(main.join("gone.txt"), "deleted by the user\n").unwrap();
        fs::write(main.join(".gitignore"), "*.log\n").unwrap();
        commit_all(&main);
        let dir = temp.path().join("data/worktrees/project");
        (temp, main, dir)
    }

    fn change<'a>(derived: &'a Derived, path: &str) -> &'a FileChange {
        derived.changes.iter().find(|c| c.path == path).unwrap_or_else(|| panic!("no change to {path}: {derived:?}"))
    }

    #[test]
    fn the_worktree_sees_uncommitted_and_untracked_work_on_its_own_branch() {
        let (_temp, main, dir) = repo();
        fs::write(main.join("b.txt"), "bee, edited\n").unwrap();
        fs::write(main.join("new.txt"), "not committed\n").unwrap();
        fs::write(main.join("build.log"), "ignored\n").unwrap();
        fs::remove_file(main.join("gone.txt")).unwrap();
        let wt = create(&main, &dir, "RUN1", "tests").unwrap();
        assert_eq!(wt.path, dir.join("RUN1"));
        assert_eq!(fs::read_to_string(wt.path.join("b.txt")).unwrap(), "bee, edited\n");
        assert_eq!(fs::read_to_string(wt.path.join("new.txt")).unwrap(), "not committed\n");
        assert!(!wt.path.join("build.log").exists() && !wt.path.join("gone.txt").exists());
        assert_eq!(git_ok(&main, &["branch", "--list", "aura/drone/tests/RUN1"]), "+ aura/drone/tests/RUN1");
        assert_eq!(
            git_ok(&main, &["status", "--porcelain"]),
            " M b.txt\n D gone.txt\n?? new.txt",
            "the user's index is untouched"
        );
        assert!(wt.changes(&main).unwrap().changes.is_empty());
    }

    #[test]
    fn modified_added_and_deleted_files_come_back_against_main_but_ignored_ones_do_not() {
        let (_temp, main, dir) = repo();
        let wt = create(&main, &dir, "RUN1", "tests").unwrap();
        // Committed work counts as much as uncommitted work.
        fs::write(wt.path.join("d.txt"), "dee\n").unwrap();
        commit_all(&wt.path);
        fs::write(wt.path.join("a.txt"), "one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n").unwrap();
        fs::write(wt.path.join("c.txt"), "sea\n").unwrap();
        fs::remove_file(wt.path.join("b.txt")).unwrap();
        fs::write(wt.path.join("debug.log"), "noise\n").unwrap();
        let derived = wt.changes(&main).unwrap();
        let paths: Vec<&str> = derived.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "b.txt", "c.txt", "d.txt"]);
        let a = change(&derived, "a.txt");
        assert_eq!(a.kind, FileChangeKind::Modify);
        assert_eq!(a.before.as_deref(), Some("one\ntwo\nthree\nfour\nfive\nsix\nseven\n"));
        assert_eq!(a.after.as_deref(), Some("one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n"));
        assert_eq!(a.before_hash, Some(crate::domain::ContentHash::of(a.before.as_deref().unwrap().as_bytes())));
        assert_eq!(a.hunks.len(), 1);
        let b = change(&derived, "b.txt");
        assert_eq!((&b.kind, b.before.as_deref(), b.after.as_deref()), (&FileChangeKind::Delete, Some("bee\n"), None));
        let c = change(&derived, "c.txt");
        assert_eq!((&c.kind, c.before.as_deref(), c.after.as_deref()), (&FileChangeKind::Add, None, Some("sea\n")));
        assert!(derived.conflicts.is_empty() && derived.skipped.is_empty(), "{derived:?}");
    }

    #[test]
    fn a_workspace_below_the_toplevel_gets_paths_relative_to_it() {
        let (_temp, main, dir) = repo();
        fs::create_dir(main.join("sub")).unwrap();
        fs::write(main.join("sub/s.txt"), "s\n").unwrap();
        let workspace = main.join("sub");
        let wt = create(&workspace, &dir, "RUN1", "tests").unwrap();
        assert_eq!(wt.workspace_root(), wt.path.join("sub"));
        fs::write(wt.path.join("sub/s.txt"), "s2\n").unwrap();
        fs::write(wt.path.join("b.txt"), "outside the workspace\n").unwrap();
        let derived = wt.changes(&workspace).unwrap();
        assert_eq!(derived.changes.len(), 1, "{derived:?}");
        assert_eq!((derived.changes[0].path.as_str(), derived.changes[0].before.as_deref()), ("s.txt", Some("s\n")));
    }

    #[test]
    fn changes_on_both_sides_merge_unless_they_touch_the_same_lines() {
        let (_temp, main, dir) = repo();
        let wt = create(&main, &dir, "RUN1", "tests").unwrap();
        fs::write(wt.path.join("a.txt"), "one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n").unwrap();
        fs::write(wt.path.join("b.txt"), "drone's bee\n").unwrap();
        fs::write(main.join("a.txt"), "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\n").unwrap();
        fs::write(main.join("b.txt"), "user's bee\n").unwrap();
        let derived = wt.changes(&main).unwrap();
        let a = change(&derived, "a.txt");
        assert_eq!(a.before.as_deref(), Some("ONE\ntwo\nthree\nfour\nfive\nsix\nseven\n"));
        assert_eq!(a.after.as_deref(), Some("ONE\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n"));
        assert_eq!(derived.changes.len(), 1, "{derived:?}");
        assert_eq!(derived.conflicts, ["b.txt"]);
        assert_eq!(fs::read_to_string(main.join("b.txt")).unwrap(), "user's bee\n");
    }

    #[test]
    fn binary_files_are_skipped() {
        let (_temp, main, dir) = repo();
        let wt = create(&main, &dir, "RUN1", "tests").unwrap();
        fs::write(wt.path.join("image.bin"), [0xff, 0xfe, 0x00, 0x81]).unwrap();
        let derived = wt.changes(&main).unwrap();
        assert!(derived.changes.is_empty(), "{derived:?}");
        assert_eq!(derived.skipped.len(), 1);
        assert!(derived.skipped[0].starts_with("image.bin: not UTF-8"), "{derived:?}");
    }

    #[test]
    fn remove_leaves_no_folder_no_branch_and_no_worktree_and_can_be_repeated() {
        let (_temp, main, dir) = repo();
        let wt = create(&main, &dir, "RUN1", "tests").unwrap();
        fs::write(wt.path.join("a.txt"), "uncommitted work\n").unwrap();
        // A folder deleted by other means is still a worktree to git until it is pruned.
        let deleted = create(&main, &dir, "RUN2", "tests").unwrap();
        fs::remove_dir_all(&deleted.path).unwrap();
        wt.remove().unwrap();
        deleted.remove().unwrap();
        assert!(!wt.path.exists());
        assert_eq!(git_ok(&main, &["branch", "--list", "aura/*"]), "");
        assert_eq!(git_ok(&main, &["worktree", "list", "--porcelain"]).matches("worktree ").count(), 1);
        wt.remove().unwrap();
    }

    #[test]
    fn clean_stale_removes_dead_runs_and_strays_but_keeps_live_ones() {
        let (temp, main, dir) = repo();
        let (live, dead) =
            (create(&main, &dir, "LIVE", "tests").unwrap(), create(&main, &dir, "DEAD", "docs").unwrap());
        fs::create_dir_all(dir.join("STRAY/inner")).unwrap();
        let root = temp.path().join("data/worktrees");
        let mut removed = clean_stale(&root, &|run| run == "LIVE");
        removed.sort();
        assert_eq!(removed, [dir.join("DEAD"), dir.join("STRAY")]);
        assert!(live.path.join("a.txt").is_file() && !dead.path.exists());
        assert_eq!(git_ok(&main, &["branch", "--list", "aura/*"]), "+ aura/drone/tests/LIVE");
        assert_eq!(git_ok(&main, &["worktree", "list", "--porcelain"]).matches("worktree ").count(), 2);
        assert!(main.join("a.txt").is_file(), "the main tree is untouched");
    }

    #[test]
    fn folders_outside_git_and_repositories_without_commits_are_explained() {
        let temp = tempfile::tempdir().unwrap();
        let plain = temp.path().join("plain");
        fs::create_dir(&plain).unwrap();
        assert_eq!(repo_of(&plain), None);
        assert!(matches!(create(&plain, &temp.path().join("wt"), "RUN1", "tests"), Err(WorktreeError::NotARepo(_))));
        git_ok(&plain, &["init", "-q"]);
        assert_eq!(repo_of(&plain).map(|p| p.canonicalize().unwrap()), Some(plain.canonicalize().unwrap()));
        let err = create(&plain, &temp.path().join("wt"), "RUN1", "tests").unwrap_err();
        assert_eq!(err.to_string(), "the repository has no commits yet; commit once, or run this Drone read-only");
        assert!(matches!(create(&plain, &temp.path().join("wt"), "../x", "tests"), Err(WorktreeError::BadName(_))));
    }
}
