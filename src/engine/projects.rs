//! Projects and sessions: opening a workspace folder, and reading back what it holds.

use std::path::PathBuf;

use crate::domain::{
    Project, ProjectId, ReceiptSubject, Record, Session, SessionId, SessionKind, Spec, Task, TaskId, now_millis,
};
use crate::protocol::{Event, LoopState, ProjectSnapshot};
use crate::store::Table;
use crate::validate::detect;

use super::{Engine, EngineResult};

/// The project's workspace, or what to do when its folder cannot be opened (deleted or moved while
/// Aura had it open, or unreadable).
pub fn open_workspace(project: &Project) -> Result<crate::tools::Workspace, String> {
    crate::tools::Workspace::open(&project.root).map_err(|e| {
        if project.root.exists() {
            format!("{}: {e}", project.root.display())
        } else {
            format!(
                "the project folder {} is gone (deleted or moved): open it where it is now with Open Folder…",
                project.root.display()
            )
        }
    })
}

impl Engine {
    pub(super) fn list_projects(&mut self) -> EngineResult {
        let listed = self.store.reader().list::<Project>()?;
        self.warn_skipped(listed.skipped);
        let mut projects = listed.items;
        projects.sort_by_key(|p| std::cmp::Reverse(p.opened_at));
        self.answer(Event::Projects { projects });
        Ok(())
    }

    /// Sends the snapshot of a project the engine knows (a Companion picks projects by id only).
    pub(super) async fn select_project(&mut self, command: u64, id: ProjectId) -> EngineResult {
        match self.project(id) {
            Ok(project) => {
                self.watch_files(&project);
                let snapshot = Box::new(self.snapshot(project).await?);
                self.answer(Event::ProjectOpened { snapshot });
            }
            Err(message) => self.fail(command, message),
        }
        Ok(())
    }

    /// Registers the folder the first time, refreshes when it was last opened, and sends the
    /// project's snapshot.
    pub(super) async fn open_project(&mut self, command: u64, root: PathBuf) -> EngineResult {
        let root = match std::fs::canonicalize(&root) {
            Ok(root) if root.is_dir() => root,
            Ok(root) => {
                self.fail(command, format!("{} is a file; open the folder that holds the project", root.display()));
                return Ok(());
            }
            Err(e) => {
                self.fail(command, format!("cannot open {}: {e}. Check the path and try again", root.display()));
                return Ok(());
            }
        };
        let listed = self.store.reader().list::<Project>()?;
        self.warn_skipped(listed.skipped);
        let mut project = match listed.items.into_iter().find(|p| p.root == root) {
            Some(project) => project,
            None => {
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| root.display().to_string());
                Project::new(name, root)
            }
        };
        project.opened_at = now_millis();
        self.store.put(project.clone()).await?;
        if let Err(message) = self.review_of(&project) {
            self.fail(command, message);
        }
        self.watch_files(&project);
        let snapshot = Box::new(self.snapshot(project.clone()).await?);
        self.answer(Event::ProjectOpened { snapshot });
        let loops = &self.loops;
        self.mcp.close_others(project.id, |id| loops.get(&id).is_some_and(|h| h.is_running()));
        // A task a crash left in progress goes back to ready (announced as changes to the snapshot),
        // unless a loop here is running it.
        if !self.loops.get(&project.id).is_some_and(|h| h.is_running())
            && let Err(e) = super::tasks::TaskBook::new(&self.journal, project.id).recover().await
        {
            self.fail(command, e.to_string());
        }
        Ok(())
    }

    async fn snapshot(&mut self, project: Project) -> Result<ProjectSnapshot, crate::store::StoreError> {
        let reader = self.store.reader();
        let specs = reader.list::<Spec>()?;
        let tasks = reader.list::<Task>()?;
        let sessions = reader.list::<Session>()?;
        let runs = reader.list::<crate::domain::DroneRun>()?;
        let mut skipped = specs.skipped;
        skipped.extend(tasks.skipped);
        skipped.extend(sessions.skipped);
        skipped.extend(runs.skipped);
        let mut drone_runs: Vec<_> = runs.items.into_iter().filter(|r| r.project == project.id).collect();
        drone_runs.sort_by_key(|r| r.started_at);
        self.warn_skipped(skipped);
        let specs: Vec<Spec> = specs.items.into_iter().filter(|s| s.project == project.id).collect();
        let tasks = tasks.items.into_iter().filter(|t| specs.iter().any(|s| s.id == t.spec)).collect();
        let mut sessions: Vec<Session> = sessions.items.into_iter().filter(|s| s.project == Some(project.id)).collect();
        self.retag_one_offs(&mut sessions).await?;
        // Opening the review here also readies undo for the checkpoints of earlier runs.
        let (pending_changesets, applied_changes) = match self.review_of(&project) {
            Ok(review) => review.overview().await,
            Err(message) => {
                self.emit(Event::StoreWarning {
                    message: format!("the review of {} is unavailable: {message}", project.root.display()),
                });
                (Vec::new(), Vec::new())
            }
        };
        let loop_state = match self.loops.get(&project.id) {
            Some(handle) if handle.is_running() => LoopState::Running,
            _ => LoopState::Idle,
        };
        let check_overrides =
            self.store.reader().get_value(Table::Settings, &detect::overrides_key(project.id))?.unwrap_or_default();
        let models = self.store.reader().get_value(Table::Settings, &super::control::models_key(project.id))?;
        let loop_settings =
            self.store.reader().get_value(Table::Settings, &super::control::loop_key(project.id))?.unwrap_or_default();
        let mut receipts: Vec<crate::domain::Receipt> = Vec::new();
        let mut usage = Vec::new();
        let log = self.store.reader().records_from(project.id, 1, usize::MAX)?;
        for record in log.records {
            match record.record {
                crate::domain::Record::Receipt(receipt) => {
                    receipts.retain(|r| r.subject != receipt.subject);
                    receipts.push(receipt);
                }
                crate::domain::Record::Usage(entry) => usage.push(entry),
                _ => {}
            }
        }
        let approval_policy = self
            .store
            .reader()
            .get_value(Table::Settings, &super::changes::policy_key(project.id))?
            .unwrap_or_default();
        let requirements = super::requirements::present(&project.root).await;
        let memory = super::memory::entries(self.store.reader(), project.id)?;
        let root = project.root.clone();
        let detected_checks = tokio::task::spawn_blocking(move || detect::detect(&root)).await.unwrap_or_default();
        let sandbox_policy = super::commands::project_policy(self.store.reader(), project.id);
        let sandbox_problem = (sandbox_policy != crate::domain::SandboxPolicy::FullAccess)
            .then(|| crate::tools::sandbox::support().problem())
            .flatten();
        let pending_commands = self.approvals.pending(project.id);
        let conversations = super::conversations::summaries(self.store.reader(), &sessions, &usage);
        let current_conversation = super::conversations::current(self.store.reader(), project.id)
            .filter(|id| conversations.iter().any(|c| c.session == *id));
        // A turn's state is kept under the conversation's first session.
        let running_turns = conversations
            .iter()
            .filter(|c| c.sessions.last().and_then(|root| self.chats.get(root)).is_some_and(|s| s.is_running()))
            .map(|c| c.session)
            .collect();
        Ok(ProjectSnapshot {
            project,
            specs,
            tasks,
            sessions,
            loop_state,
            pending_changesets,
            detected_checks,
            check_overrides,
            receipts,
            models,
            loop_settings,
            applied_changes,
            usage,
            approval_policy,
            requirements,
            memory,
            drone_runs,
            pending_commands,
            sandbox_policy,
            sandbox_problem,
            conversations,
            current_conversation,
            running_turns,
        })
    }

    pub(super) async fn create_session(
        &mut self,
        project: ProjectId,
        kind: SessionKind,
        title: String,
    ) -> EngineResult {
        let session = Session::new(Some(project), kind, title);
        self.store.put(session.clone()).await?;
        let id = session.id;
        self.emit(Event::SessionCreated { session });
        // A new chat is the one the user has open now.
        if kind == SessionKind::Chat && self.journal.set_current(project, id).await {
            self.announce_conversation(id);
        }
        Ok(())
    }

    /// Every record of the project's log about `task`, oldest first.
    pub(super) fn load_task_log(&mut self, project: ProjectId, task: TaskId) -> EngineResult {
        let page = self.store.reader().records_from(project, 1, usize::MAX)?;
        self.warn_skipped(page.skipped);
        let records = page
            .records
            .into_iter()
            .map(|r| r.record)
            .filter(|record| match record {
                Record::TaskTransition { task: t, .. } => *t == task,
                Record::WorkOrder(order) => order.task == Some(task),
                Record::Receipt(receipt) => receipt.subject == ReceiptSubject::Task { task },
                _ => false,
            })
            .collect();
        self.answer(Event::TaskLog { task, records });
        Ok(())
    }

    /// The newest `limit` records before sequence `before` (or the newest overall).
    pub(super) fn load_history(&mut self, session: SessionId, before: Option<u64>, limit: u32) -> EngineResult {
        let reader = self.store.reader();
        let page = match before {
            None => reader.tail(session, limit as usize)?,
            Some(before) => {
                let from = before.saturating_sub(limit as u64).max(1);
                let mut page = reader.records_from(session, from, before.saturating_sub(from) as usize)?;
                page.records.retain(|r| r.seq < before);
                page
            }
        };
        self.warn_skipped(page.skipped);
        let complete = page.records.first().is_none_or(|r| r.seq <= 1);
        let records = page.records.into_iter().map(|r| (r.seq, r.record)).collect();
        self.answer(Event::History { session, records, complete });
        Ok(())
    }
}
