//! The helper mode of the `aura` binary (`aura __sandbox SPEC COMMAND...`): confines itself as the
//! spec says, then execs the command, which inherits every restriction and cannot lift any.
//!
//! Order matters: join the pids cgroup while still in the first user namespace; build the overlay
//! in a new user and mount namespace; then Landlock (which also forbids further mounts); then the
//! seccomp filter; then exec.

use std::ffi::{CString, OsString};
use std::os::unix::process::CommandExt;
use std::path::Path;

use landlock::{
    ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};

use super::{SETUP_FAILED, SETUP_PREFIX, Spec};

/// The newest Landlock ABI this code was written and tested against.
const ABI_TESTED: ABI = ABI::V7;

/// Runs the helper; returns only when the command could not be started (the exit code).
pub fn main(args: &[OsString]) -> i32 {
    let fail = |what: &str, why: String| {
        eprintln!("{SETUP_PREFIX}{what}: {why}");
        SETUP_FAILED
    };
    let (Some(spec), Some(program)) = (args.first(), args.get(1)) else {
        return fail("usage", "aura __sandbox SPEC-JSON PROGRAM [ARGS...]".into());
    };
    let spec: Spec = match serde_json::from_str(&spec.to_string_lossy()) {
        Ok(spec) => spec,
        Err(e) => return fail("the sandbox spec is not valid", e.to_string()),
    };
    if let Err(why) = confine(&spec) {
        return fail("the command could not be confined", why);
    }
    let error = std::process::Command::new(program).args(&args[2..]).exec();
    fail(&format!("{} could not be started", program.to_string_lossy()), error.to_string())
}

fn confine(spec: &Spec) -> Result<(), String> {
    if let Some(procs) = &spec.cgroup_procs {
        // Every process the command starts stays in this cgroup, whose pids.max bounds them.
        std::fs::write(procs, "0").map_err(|e| format!("joining {}: {e}", procs.display()))?;
    }
    limit_processes(spec.max_processes);
    if let Some((upper, work)) = &spec.overlay {
        overlay(spec, upper, work)?;
    }
    std::env::set_current_dir(&spec.workspace).map_err(|e| format!("entering {}: {e}", spec.workspace.display()))?;
    landlock(spec)?;
    if !spec.policy.network() {
        deny_network()?;
    }
    Ok(())
}

/// `RLIMIT_NPROC` (counted per user, and not enforced for root, where the cgroup does the work),
/// and no core dumps.
fn limit_processes(max: u64) {
    let running = std::fs::read_dir("/proc").map(|d| d.count() as u64).unwrap_or(0);
    let nproc = libc::rlimit { rlim_cur: running + max, rlim_max: running + max };
    let core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: setrlimit reads the struct we pass; failing leaves the limit as it was.
    unsafe {
        libc::setrlimit(libc::RLIMIT_NPROC, &nproc);
        libc::setrlimit(libc::RLIMIT_CORE, &core);
    }
}

fn check(result: libc::c_int, what: &str) -> Result<(), String> {
    if result == 0 { Ok(()) } else { Err(format!("{what}: {}", std::io::Error::last_os_error())) }
}

fn cstring(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| format!("{} holds a NUL byte", path.display()))
}

/// Mounts the workspace as an overlay whose upper folder catches every write, with the generated
/// folders bound straight through, in a user and mount namespace of the command's own.
fn overlay(spec: &Spec, upper: &Path, work: &Path) -> Result<(), String> {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // SAFETY: unshare takes flags only; the helper is single-threaded at this point.
    check(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) }, "a user and mount namespace")?;
    let write = |file: &str, text: String| std::fs::write(file, text).map_err(|e| format!("{file}: {e}"));
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    let root = CString::new("/").unwrap_or_default();
    // SAFETY: plain mount(2) calls on NUL-terminated strings that outlive them.
    check(
        unsafe {
            libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        },
        "making mounts private",
    )?;
    // Opened before the overlay hides them, bound back over it afterwards.
    let through: Vec<(std::fs::File, CString)> = spec
        .passthrough
        .iter()
        .filter_map(|dir| {
            let file =
                std::fs::OpenOptions::new().read(true).custom_flags(libc::O_PATH | libc::O_DIRECTORY).open(dir).ok()?;
            Some((file, cstring(dir).ok()?))
        })
        .collect();
    let workspace = cstring(&spec.workspace)?;
    let options =
        format!("lowerdir={},upperdir={},workdir={},userxattr", escape(&spec.workspace), escape(upper), escape(work));
    let options = CString::new(options).map_err(|_| "an overlay path holds a NUL byte".to_string())?;
    let overlay = CString::new("overlay").unwrap_or_default();
    // SAFETY: as above.
    check(
        unsafe { libc::mount(overlay.as_ptr(), workspace.as_ptr(), overlay.as_ptr(), 0, options.as_ptr().cast()) },
        "mounting the workspace overlay",
    )?;
    for (file, target) in &through {
        use std::os::fd::AsRawFd;
        let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).unwrap_or_default();
        // SAFETY: as above.
        check(
            unsafe { libc::mount(source.as_ptr(), target.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) },
            "binding a generated folder through",
        )?;
    }
    Ok(())
}

use std::os::unix::fs::OpenOptionsExt;

/// overlayfs splits its options at commas and reads `\` as an escape.
fn escape(path: &Path) -> String {
    path.display().to_string().replace('\\', "\\\\").replace(',', "\\,").replace(':', "\\:")
}

fn landlock(spec: &Spec) -> Result<(), String> {
    let abi = ABI_TESTED;
    let all = AccessFs::from_all(abi);
    let read = AccessFs::from_read(abi);
    let err = |e: landlock::RulesetError| e.to_string();
    let mut ruleset = Ruleset::default().handle_access(all).map_err(err)?;
    if super::landlock_abi() >= 6 {
        ruleset = ruleset.scope(Scope::from_all(abi)).map_err(err)?;
    }
    let workspace_access = if spec.policy.writes() { all } else { read };
    let status = ruleset
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(&spec.read, read))
        .map_err(err)?
        .add_rules(path_beneath_rules([&spec.workspace], workspace_access))
        .map_err(err)?
        .add_rules(path_beneath_rules([&spec.tmp], all))
        .map_err(err)?
        .add_rules(path_beneath_rules(&spec.write, all))
        .map_err(err)?
        .add_rules(path_beneath_rules(["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"], all))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err("the kernel did not enforce the Landlock rules".into());
    }
    Ok(())
}

/// A seccomp filter: sockets of any family but `AF_UNIX` fail with EPERM, and io_uring (which could
/// open sockets past the filter) is refused.
fn deny_network() -> Result<(), String> {
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    };
    let err = |e: seccompiler::BackendError| e.to_string();
    let not_unix =
        SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, libc::AF_UNIX as u64).map_err(err)?;
    let rules = [
        (libc::SYS_socket, vec![SeccompRule::new(vec![not_unix]).map_err(err)?]),
        (libc::SYS_io_uring_setup, vec![]),
        (libc::SYS_io_uring_enter, vec![]),
        (libc::SYS_io_uring_register, vec![]),
    ]
    .into_iter()
    .collect();
    let arch = std::env::consts::ARCH.try_into().map_err(|e: seccompiler::BackendError| e.to_string())?;
    let filter =
        SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch).map_err(err)?;
    let program: BpfProgram = filter.try_into().map_err(err)?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
