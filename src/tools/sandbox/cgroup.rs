//! A pids cgroup per command: `pids.max` stops a fork bomb where `RLIMIT_NPROC` cannot (it is not
//! enforced for root), and its process list finds every process the command started, also those
//! that left its process group, so all of them are killed when it ends.

use std::path::{Path, PathBuf};

pub struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    /// A fresh cgroup limited to `max` processes, where this machine lets Aura make one: cgroup v1's
    /// pids hierarchy, or a child of Aura's own cgroup v2 with the pids controller. `None` otherwise.
    pub fn create(max: u64) -> Option<Cgroup> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("aura-{}-{n}", std::process::id());
        static PARENT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
        // Where cgroups can be made does not change while Aura runs: looked up once, not per command.
        let dir = PARENT.get_or_init(parent).as_ref()?.join(name);
        std::fs::create_dir(&dir).ok()?;
        let cgroup = Cgroup { dir };
        if std::fs::write(cgroup.dir.join("pids.max"), max.to_string()).is_err() {
            cgroup.remove();
            return None;
        }
        Some(cgroup)
    }

    pub fn procs(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    pub fn kill_all(&self) {
        // A fork bomb can add processes while we kill: go round until the list is empty.
        for _ in 0..50 {
            let Ok(list) = std::fs::read_to_string(self.procs()) else { return };
            let pids: Vec<i32> = list.lines().filter_map(|l| l.trim().parse().ok()).collect();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // SAFETY: kill(2) touches no memory.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    pub fn remove(self) {
        self.kill_all();
        for _ in 0..100 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        tracing::warn!("the command's cgroup {} could not be removed", self.dir.display());
    }
}

/// Where Aura may make cgroups with a pids limit.
fn parent() -> Option<PathBuf> {
    let v1 = Path::new("/sys/fs/cgroup/pids");
    if writable(v1) {
        return Some(v1.to_path_buf());
    }
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/').to_string();
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].iter().map(|root| Path::new(root).join(&path)).find(|dir| {
        writable(dir)
            && std::fs::read_to_string(dir.join("cgroup.subtree_control"))
                .is_ok_and(|c| c.split_whitespace().any(|w| w == "pids"))
    })
}

fn writable(dir: &Path) -> bool {
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: access(2) reads the NUL-terminated path only.
    dir.is_dir() && unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0
}
