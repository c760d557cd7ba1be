//! The commands agents run, under the same trust as their edits: the command policy says what runs
//! unasked, the kernel sandbox confines whatever runs, and the rest waits for the user (allow once,
//! allow for the session, deny) on the desktop or the phone. What a command wrote comes back as a
//! ChangeSet for Review (the caller proposes it).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::domain::{ApprovalId, CommandApproval, CommandDecision, ProjectId, SandboxPolicy, SessionId, now_millis};
use crate::protocol::Event;
use crate::store::{Store, Table};
use crate::tools::Workspace;
use crate::tools::policy::{CommandPolicy, Verdict, grant_prefix, is_opaque, parts};
use crate::tools::sandbox::{self, Sandbox};
use crate::tools::shell::{CommandOutput, CommandSpec, run_command};
use crate::validate::{CheckSetup, detect};

use super::Journal;
use super::decisions::Decisions;

/// The settings key of a project's sandbox policy.
pub fn policy_key(project: ProjectId) -> String {
    format!("sandbox_policy/{project}")
}

/// A project's sandbox policy, as stored (workspace-write when never set).
pub fn project_policy(store: &Store, project: ProjectId) -> SandboxPolicy {
    store.get_value(Table::Settings, &policy_key(project)).ok().flatten().unwrap_or_default()
}

/// The sandbox of commands run for a project, its scratch folders in the data dir.
pub fn sandbox_for(store: &Store, policy: SandboxPolicy) -> Sandbox {
    Sandbox { policy, scratch: store.path().join("sandbox"), home: None }
}

/// What the user allowed for a whole session.
#[derive(Default)]
struct Grants {
    /// Prefixes of simple commands (`touch`, `cargo build`).
    prefixes: HashSet<String>,
    /// Whole command lines allowed as they are (those the prefixes cannot see through).
    exact: HashSet<String>,
    network: bool,
}

impl Grants {
    fn add(&mut self, command: &str) {
        self.exact.insert(command.to_string());
        self.prefixes.extend(parts(command).map(grant_prefix));
    }

    /// Every simple command is allowed by the policy or granted, or the line was granted whole.
    fn cover(&self, policy: &CommandPolicy, command: &str) -> bool {
        self.exact.contains(command)
            || (!is_opaque(command)
                && parts(command)
                    .all(|part| self.prefixes.contains(&grant_prefix(part)) || policy.check(part) == Verdict::Allowed))
    }
}

/// Commands waiting for the user, and what was allowed per session; shared by the engine's agents.
#[derive(Clone, Default)]
pub struct Approvals {
    waiters: Decisions<ApprovalId, CommandDecision>,
    pending: Arc<Mutex<BTreeMap<ApprovalId, CommandApproval>>>,
    grants: Arc<Mutex<HashMap<SessionId, Grants>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Approvals {
    /// The commands of `project` waiting for an answer, oldest first.
    pub fn pending(&self, project: ProjectId) -> Vec<CommandApproval> {
        lock(&self.pending).values().filter(|a| a.project == project).cloned().collect()
    }

    /// Hands the user's answer to the waiting agent; false when nothing waits for it.
    pub fn decide(&self, id: ApprovalId, decision: CommandDecision) -> Option<CommandApproval> {
        let approval = lock(&self.pending).remove(&id)?;
        if decision == CommandDecision::AllowForSession {
            let mut grants = lock(&self.grants);
            let grant = grants.entry(approval.session).or_default();
            grant.add(&approval.command);
            grant.network |= approval.network;
        }
        self.waiters.deliver(&id, decision);
        Some(approval)
    }

    fn granted(&self, session: SessionId, policy: &CommandPolicy, command: &str, network: bool) -> bool {
        let grants = lock(&self.grants);
        grants.get(&session).is_some_and(|g| g.cover(policy, command) && (!network || g.network))
    }

    /// Asks the user and waits for the answer; a closed engine counts as a no.
    async fn ask(&self, journal: &Journal, approval: CommandApproval) -> CommandDecision {
        let id = approval.id;
        let answer = self.waiters.wait(id);
        lock(&self.pending).insert(id, approval.clone());
        let _asked = Asked { approvals: self, id };
        journal.emit(Event::CommandApprovalRequested { approval });
        answer.await.unwrap_or(CommandDecision::Deny)
    }
}

/// A question that waits: when its agent stops waiting (answered, or its turn stopped), it waits
/// nowhere any more, so no surface is shown a question nobody hears the answer to.
struct Asked<'a> {
    approvals: &'a Approvals,
    id: ApprovalId,
}

impl Drop for Asked<'_> {
    fn drop(&mut self) {
        lock(&self.approvals.pending).remove(&self.id);
        self.approvals.waiters.forget(&self.id);
    }
}

/// How one agent's commands run.
#[derive(Clone)]
pub struct CommandGate {
    pub policy: CommandPolicy,
    pub sandbox: Sandbox,
    pub approvals: Approvals,
    pub project: ProjectId,
    pub session: SessionId,
}

/// What became of a command at the gate.
pub enum Gated {
    Ran(CommandOutput),
    Refused(String),
}

impl CommandGate {
    /// The gate of an agent of `project` whose commands may do at most `ceiling` (read-only for
    /// the Planner and read-only Drones); the project's own policy applies below it.
    pub fn new(
        store: &Store,
        approvals: Approvals,
        project: ProjectId,
        session: SessionId,
        ceiling: SandboxPolicy,
    ) -> CommandGate {
        let policy = project_policy(store, project).min(ceiling);
        CommandGate {
            policy: CommandPolicy::default(),
            sandbox: sandbox_for(store, policy),
            approvals,
            project,
            session,
        }
    }

    /// Why this command must ask, if it must: the policy's reason, no sandbox on this machine, or
    /// a wish for the network the sandbox does not give.
    fn must_ask(&self, support: &sandbox::Support, command: &str, network: bool) -> Result<Option<String>, String> {
        let policy = self.sandbox.policy;
        let mut reasons = Vec::new();
        match self.policy.check(command) {
            Verdict::Denied { reason } => return Err(reason),
            Verdict::NeedsApproval { reason } => reasons.push(reason),
            Verdict::Allowed => {}
        }
        if policy != SandboxPolicy::FullAccess
            && let Some(problem) = support.problem()
        {
            reasons.push(problem);
        }
        if network && !policy.network() {
            reasons.push("it asks for network access, which the sandbox does not give".into());
        }
        if reasons.is_empty() || self.approvals.granted(self.session, &self.policy, command, network) {
            return Ok(None);
        }
        Ok(Some(reasons.join("; ")))
    }

    /// Asks the user about `what` (a command line, or an MCP tool and its arguments); true when allowed.
    async fn ask(&self, journal: &Journal, what: &str, reason: String, network: bool) -> bool {
        let approval = CommandApproval {
            id: ApprovalId::new(),
            project: self.project,
            session: self.session,
            command: what.to_string(),
            reason,
            network,
            policy: self.sandbox.policy,
            asked_at: now_millis(),
        };
        self.approvals.ask(journal, approval).await != CommandDecision::Deny
    }

    /// Something other than a command that needs the user's yes (an MCP tool that may change
    /// things): allowed at once when the session was granted it, else asked.
    pub async fn approve(&self, journal: &Journal, what: &str, reason: String) -> bool {
        self.approvals.granted(self.session, &self.policy, what, false) || self.ask(journal, what, reason, false).await
    }

    /// Runs `spec` in the sandbox, after asking the user where it must.
    pub async fn run(&self, journal: &Journal, workspace: &Workspace, spec: CommandSpec, network: bool) -> Gated {
        let reason = match self.must_ask(sandbox::support(), &spec.command, network) {
            Err(reason) => return Gated::Refused(format!("blocked by policy: {reason}")),
            Ok(reason) => reason,
        };
        let mut sandbox = self.sandbox.clone();
        if let Some(reason) = reason
            && !self.ask(journal, &spec.command, reason, network).await
        {
            return Gated::Refused(
                "the user denied this command; nothing ran. Do without it, or explain why it is needed".into(),
            );
        }
        if network && sandbox.policy == SandboxPolicy::WorkspaceWrite {
            sandbox.policy = SandboxPolicy::WorkspaceWriteNetwork;
        }
        match run_command(workspace, &spec.sandboxed(Some(sandbox)), std::future::pending()).await {
            Ok(output) => Gated::Ran(output),
            Err(e) => Gated::Refused(format!("the command could not be started: {e}")),
        }
    }
}

/// The sandbox of checks Aura runs itself (validation, baselines): the project's policy, never
/// more than workspace-write (checks need no network), in the data dir of `store`.
pub fn check_sandbox(store: &Store, project: ProjectId) -> Sandbox {
    sandbox_for(store, project_policy(store, project).min(SandboxPolicy::WorkspaceWrite))
}

/// How `project`'s checks run with nobody at hand, as its settings say now: the user's own checks
/// (none when they cannot be read), the check sandbox, and `timeout` for each.
pub fn check_setup(store: &Store, project: ProjectId, timeout: std::time::Duration) -> CheckSetup {
    let overrides =
        store.get_value(Table::Settings, &detect::overrides_key(project)).ok().flatten().unwrap_or_default();
    CheckSetup { overrides, sandbox: check_sandbox(store, project), timeout }
}

/// Removes the scratch folders of commands that were running when an Aura process was killed
/// (each is named after its process; a live one's are left alone).
pub fn clean_scratch(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir.join("sandbox")) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl super::Engine {
    pub(super) fn decide_command(&mut self, id: ApprovalId, decision: CommandDecision) -> super::EngineResult {
        match self.approvals.decide(id, decision) {
            Some(approval) => self.emit(Event::CommandDecided { approval: id, project: approval.project, decision }),
            None => self.emit(Event::Error {
                command: None,
                message: format!("no command waits for approval {id}: it was answered already, or its agent stopped"),
            }),
        }
        Ok(())
    }

    pub(super) async fn set_sandbox_policy(
        &mut self,
        project: ProjectId,
        policy: SandboxPolicy,
    ) -> super::EngineResult {
        let key = policy_key(project);
        self.store.write(move |w| w.put_value(Table::Settings, &key, &policy)).await?;
        let problem = (policy != SandboxPolicy::FullAccess).then(|| sandbox::support().problem()).flatten();
        self.emit(Event::SandboxPolicyChanged { project, policy, problem });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> CommandGate {
        let sandbox = Sandbox { policy: SandboxPolicy::WorkspaceWrite, scratch: "/nonexistent".into(), home: None };
        CommandGate {
            policy: CommandPolicy::default(),
            sandbox,
            approvals: Approvals::default(),
            project: ProjectId::new(),
            session: SessionId::new(),
        }
    }

    #[test]
    fn without_landlock_every_command_asks_and_says_why() {
        let gate = gate();
        let able = sandbox::Support { landlock_abi: 7, overlay: true };
        let unable = sandbox::Support { landlock_abi: 0, overlay: false };
        assert_eq!(gate.must_ask(&able, "cargo test", false), Ok(None));
        let reason = gate.must_ask(&unable, "cargo test", false).unwrap().unwrap();
        assert!(reason.contains("no Landlock") && reason.contains("waits for your approval"), "{reason}");
        let no_overlay = sandbox::Support { landlock_abi: 7, overlay: false };
        assert!(gate.must_ask(&no_overlay, "ls", false).unwrap().unwrap().contains("cannot be captured"));
        assert!(gate.must_ask(&able, "git push", false).is_err(), "denied commands never ask");
        assert!(gate.must_ask(&able, "cargo build", true).unwrap().unwrap().contains("network access"));
    }

    #[test]
    fn a_session_grant_covers_the_same_programs_and_nothing_it_cannot_see_through() {
        let gate = gate();
        let able = sandbox::Support { landlock_abi: 7, overlay: true };
        let approval = CommandApproval {
            id: ApprovalId::new(),
            project: gate.project,
            session: gate.session,
            command: "touch a.txt && sed -i s/a/b/ a.txt".into(),
            reason: String::new(),
            network: false,
            policy: SandboxPolicy::WorkspaceWrite,
            asked_at: 0,
        };
        lock(&gate.approvals.pending).insert(approval.id, approval.clone());
        assert!(gate.approvals.decide(approval.id, CommandDecision::AllowForSession).is_some());
        assert_eq!(gate.must_ask(&able, "touch b.txt", false), Ok(None));
        assert_eq!(gate.must_ask(&able, "sed -i s/x/y/ b.txt && cargo test", false), Ok(None));
        assert!(gate.must_ask(&able, "touch c.txt && rm -rf src", false).unwrap().is_some(), "rm was never granted");
        assert!(gate.must_ask(&able, "touch $(whoami)", false).unwrap().is_some(), "substitution is not covered");
        assert!(gate.must_ask(&able, "touch b.txt", true).unwrap().is_some(), "the network was not granted");
        assert!(gate.approvals.decide(approval.id, CommandDecision::Deny).is_none(), "answered once");
    }
}
