//! The commands that drive the dev loop and project memory: loop start, pause, resume and stop;
//! the loop's settings and models; task sync, retry and answers; memory entries.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::domain::{MemoryEntry, MemoryId, MemorySource, Project, ProjectId, TaskId, TaskStatus};
use crate::llm::catalog::{self, Catalog};
use crate::llm::{ProviderConfig, RetryPolicy};
use crate::protocol::{Appearance, Event, LoopControl, LoopSettings, LoopState, ModelChoice};
use crate::store::Table;

use super::devloop::{self, Controls, DevLoop, LoopConfig};
use super::tasks::TaskBook;
use super::turn::{Agent, StopSwitch, TurnBudget, stop_pair};
use super::{Engine, EngineResult, memory};

/// A running dev loop's controls.
pub struct LoopHandle {
    pause: watch::Sender<bool>,
    stop: StopSwitch,
    block: Arc<watch::Sender<devloop::BlockRequest>>,
    join: tokio::task::JoinHandle<()>,
}

impl LoopHandle {
    pub fn is_running(&self) -> bool {
        !self.join.is_finished()
    }
}

pub(super) fn models_key(project: ProjectId) -> String {
    format!("roles/{project}")
}

/// Where the desktop's appearance is kept (one for all projects).
pub(super) const APPEARANCE_KEY: &str = "appearance/desktop";

pub(super) fn loop_key(project: ProjectId) -> String {
    format!("loop/{project}")
}

impl Engine {
    pub(super) fn project(&self, id: ProjectId) -> Result<Project, String> {
        match self.store.reader().get::<Project>(id.to_bytes()) {
            Ok(Some(project)) => Ok(project),
            Ok(None) => Err(format!("no project {id}; open its folder first")),
            Err(e) => Err(e.to_string()),
        }
    }

    pub(super) async fn set_loop_settings(&mut self, project: ProjectId, settings: LoopSettings) -> EngineResult {
        let key = loop_key(project);
        self.store.write(move |w| w.put_value(Table::Settings, &key, &settings)).await?;
        self.emit(Event::LoopSettingsChanged { project, settings });
        Ok(())
    }

    pub(super) async fn set_appearance(&mut self, appearance: Appearance) -> EngineResult {
        self.store.write(move |w| w.put_value(Table::Settings, APPEARANCE_KEY, &appearance)).await?;
        self.emit(Event::AppearanceChanged { appearance });
        Ok(())
    }

    /// Asks `choice` for one short reply, off the engine's loop; a wrong key, a missing server or an
    /// unknown model comes back in the provider's own words.
    pub(super) fn test_connection(&self, choice: ModelChoice) {
        let catalog = Arc::new(Catalog::default());
        let agent = self.agent(&choice, &catalog);
        let reply = self.reply();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let mut request = crate::llm::ChatRequest::simple(&choice.model, "Reply with the word OK.");
            request.max_output_tokens = 16;
            let answered = tokio::time::timeout(Duration::from_secs(30), async {
                let mut stream = agent.provider.stream(request);
                while let Some(event) = stream.next().await {
                    event.map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            })
            .await
            .unwrap_or_else(|_| Err("no answer within 30 s: is the server overloaded, or the URL wrong?".into()));
            let (ok, message) = match answered {
                Ok(()) => (true, format!("{} answered in {} ms", choice.model, started.elapsed().as_millis())),
                Err(why) => (false, why),
            };
            reply.send(Event::ConnectionTested { choice, ok, message });
        });
    }

    pub(super) async fn set_models(
        &mut self,
        project: ProjectId,
        planner: ModelChoice,
        worker: ModelChoice,
    ) -> EngineResult {
        let key = models_key(project);
        let stored = (planner.clone(), worker.clone());
        self.store.write(move |w| w.put_value(Table::Settings, &key, &stored)).await?;
        self.emit(Event::ModelsChanged { project, planner, worker });
        Ok(())
    }

    fn agent(&self, choice: &ModelChoice, catalog: &Arc<Catalog>) -> Agent {
        let mut config = ProviderConfig { kind: choice.provider, base_url: choice.base_url.clone(), api_key: None };
        config.api_key = self.saved_key(config.key_env());
        let provider = config.connect(RetryPolicy::default());
        let window = choice.context_window.or_else(|| catalog.lookup(&choice.model).map(|m| m.context_window as u64));
        Agent { provider, model: choice.model.clone(), catalog: Arc::clone(catalog), window }
    }

    pub(super) fn loop_config(&self, project: ProjectId) -> Result<LoopConfig, String> {
        let reader = self.store.reader();
        let (planner, worker): (ModelChoice, ModelChoice) = reader
            .get_value(Table::Settings, &models_key(project))
            .map_err(|e| e.to_string())?
            .ok_or("no model is chosen for this project: pick the Planner's and Worker's models in Settings")?;
        let settings: LoopSettings =
            reader.get_value(Table::Settings, &loop_key(project)).map_err(|e| e.to_string())?.unwrap_or_default();
        let user =
            reader.get_value(Table::Settings, catalog::SETTINGS_KEY).map_err(|e| e.to_string())?.unwrap_or_default();
        let catalog = Arc::new(Catalog::with_user_entries(user));
        Ok(LoopConfig {
            planner: self.agent(&planner, &catalog),
            worker: self.agent(&worker, &catalog),
            worker_choice: worker,
            settings,
            budget: TurnBudget::default(),
            repair_rounds: 2,
            approvals: self.approvals.clone(),
            mcp: self.mcp.hub(reader, &self.project(project)?).0,
        })
    }

    /// The agent for a Drone's `provider/model` (`ollama/qwen2.5-coder:7b`): the provider's own
    /// defaults, or the Worker's server and key when it is the Worker's provider. A name without a
    /// known provider is a model on the Worker's server.
    pub(super) fn drone_agent(&self, config: &LoopConfig, model: Option<&str>) -> Agent {
        let Some(model) = model else { return config.worker.clone() };
        let worker = config.worker_choice.clone();
        let provider = model.split_once('/').and_then(|(p, m)| {
            <crate::llm::ProviderKind as clap::ValueEnum>::from_str(p, true).ok().map(|kind| (kind, m))
        });
        let choice = match provider {
            Some((kind, name)) if kind == worker.provider => ModelChoice { model: name.into(), ..worker },
            Some((kind, name)) => {
                ModelChoice { provider: kind, base_url: None, model: name.into(), context_window: None }
            }
            None => ModelChoice { model: model.into(), ..worker },
        };
        self.agent(&choice, &config.worker.catalog)
    }

    pub(super) async fn control_loop(&mut self, command: u64, id: ProjectId, control: LoopControl) -> EngineResult {
        let running = self.loops.get(&id).filter(|h| h.is_running());
        match (control, running) {
            (LoopControl::Start, Some(_)) => self.fail(command, "the dev loop is already running"),
            (LoopControl::Start, None) => {
                if let Err(message) = self.start_loop(id, false).await {
                    self.fail(command, message);
                }
            }
            (LoopControl::Pause, Some(handle)) => {
                handle.pause.send_replace(true);
                self.emit(Event::LoopChanged { project: id, state: LoopState::Pausing, task: None, reason: None });
            }
            (LoopControl::Resume, Some(handle)) => {
                handle.pause.send_replace(false);
            }
            (LoopControl::Stop, Some(handle)) => handle.stop.press(),
            (_, None) => self.fail(command, "the dev loop is not running; start it first"),
        }
        Ok(())
    }

    /// The project's shared review state, opened on first use.
    pub(super) fn review_of(&mut self, project: &Project) -> Result<super::shared_review::SharedReview, String> {
        if let Some(review) = self.reviews.get(&project.id) {
            return Ok(review.clone());
        }
        let review = self.open_review(project)?;
        self.reviews.insert(project.id, review.clone());
        Ok(review)
    }

    /// Starts the dev loop of a project, or with `specs_only` just the spec writer (specs are
    /// generated while no loop runs, and can be stopped like the loop).
    async fn start_loop(&mut self, id: ProjectId, specs_only: bool) -> Result<(), String> {
        let project = self.project(id)?;
        let config = self.loop_config(id)?;
        let review = self.review_of(&project)?;
        if config.settings.autopilot {
            review.set_policy(crate::domain::ApprovalPolicy::AutoApprove).await;
        }
        let workspace = crate::engine::projects::open_workspace(&project)?;
        let (pause, paused) = watch::channel(false);
        let (stop, stopped) = stop_pair();
        let block = Arc::new(watch::channel(None).0);
        let devloop = DevLoop::new(
            project,
            workspace,
            self.journal.clone(),
            review,
            self.orders.clone(),
            config,
            Controls { paused, stop: stopped, block: block.clone() },
        );
        let join = tokio::spawn(async move {
            if specs_only {
                devloop.generate_specs().await;
            } else {
                devloop.run().await;
            }
        });
        self.loops.insert(id, LoopHandle { pause, stop, block, join });
        Ok(())
    }

    pub(super) async fn generate_specs(&mut self, command: u64, id: ProjectId) -> EngineResult {
        if self.loops.get(&id).is_some_and(|h| h.is_running()) {
            self.fail(command, "the dev loop is running; stop it before regenerating the specs");
        } else if let Err(message) = self.start_loop(id, true).await {
            self.fail(command, message);
        }
        Ok(())
    }

    /// Asks the loop running `task` to stop it at the next safe point and mark it blocked.
    pub(super) fn block_task(&mut self, command: u64, task: TaskId, reason: String) -> EngineResult {
        let in_progress = self
            .store
            .reader()
            .get::<crate::domain::Task>(task.to_bytes())?
            .filter(|t| t.status == TaskStatus::InProgress);
        let project = in_progress
            .and_then(|t| self.store.reader().get::<crate::domain::Spec>(t.spec.to_bytes()).ok().flatten())
            .map(|s| s.project);
        match project.and_then(|p| self.loops.get(&p)).filter(|h| h.is_running()) {
            Some(handle) => {
                handle.block.send_replace(Some((task, reason)));
            }
            None => self.fail(
                command,
                format!("task {task} is not in progress in a running loop; only such a task can be blocked"),
            ),
        }
        Ok(())
    }

    pub(super) async fn sync_tasks(&mut self, command: u64, id: ProjectId) -> EngineResult {
        let project = match self.project(id) {
            Ok(p) => p,
            Err(message) => {
                self.fail(command, message);
                return Ok(());
            }
        };
        if let Err(problems) = TaskBook::new(&self.journal, id).sync(&project.root).await {
            let problems = problems.iter().map(ToString::to_string).collect();
            self.emit(Event::TaskListInvalid { project: id, problems });
        }
        Ok(())
    }

    /// Sends a failed or blocked task back to ready; an answer to a blocked task's question joins
    /// its description, which the next Planner reads.
    pub(super) async fn retry_task(&mut self, command: u64, id: TaskId, answer: Option<String>) -> EngineResult {
        let Some(mut task) = self.store.reader().get::<crate::domain::Task>(id.to_bytes())? else {
            self.fail(command, format!("no task {id}"));
            return Ok(());
        };
        if !matches!(task.status, TaskStatus::Failed | TaskStatus::Blocked) {
            self.fail(
                command,
                format!("task {} is {}; only failed or blocked tasks can be retried", task.key, task.status),
            );
            return Ok(());
        }
        let Some(spec) = self.store.reader().get::<crate::domain::Spec>(task.spec.to_bytes())? else {
            self.fail(command, format!("the spec of task {} is gone", task.key));
            return Ok(());
        };
        let project = match self.project(spec.project) {
            Ok(p) => p,
            Err(message) => {
                self.fail(command, message);
                return Ok(());
            }
        };
        if let Some(answer) = answer {
            task.description.push_str(&format!("\nThe user answered: {answer}"));
            self.store.put(task.clone()).await?;
        }
        if let Err(e) = TaskBook::new(&self.journal, project.id).transition(&mut task, TaskStatus::Ready, None).await {
            self.fail(command, e.to_string());
        }
        Ok(())
    }

    pub(super) async fn set_checks(
        &mut self,
        project: ProjectId,
        mut checks: Vec<crate::domain::Check>,
    ) -> EngineResult {
        checks.retain(|c| !c.command.trim().is_empty());
        for check in &mut checks {
            check.command = check.command.trim().to_string();
            check.source = "settings".into();
        }
        let key = crate::validate::detect::overrides_key(project);
        let stored = checks.clone();
        self.store.write(move |w| w.put_value(Table::Settings, &key, &stored)).await?;
        self.emit(Event::ChecksChanged { project, overrides: checks });
        Ok(())
    }

    pub(super) async fn save_memory(&mut self, project: ProjectId, text: String, tags: Vec<String>) -> EngineResult {
        let entry = MemoryEntry::new(project, text, tags, MemorySource::User);
        self.store.put(entry.clone()).await?;
        self.emit(Event::MemoryChanged { entry, deleted: false });
        Ok(())
    }

    /// Pins or unpins an entry (`Some`), or deletes it (`None`).
    pub(super) async fn change_memory(&mut self, command: u64, id: MemoryId, pinned: Option<bool>) -> EngineResult {
        let Some(mut entry) = self.store.reader().get::<MemoryEntry>(id.to_bytes())? else {
            self.fail(command, format!("no memory entry {id}"));
            return Ok(());
        };
        match pinned {
            Some(pinned) => {
                entry.pinned = pinned;
                self.store.put(entry.clone()).await?;
            }
            None => {
                self.store.write(move |w| w.delete::<MemoryEntry>(id.to_bytes()).map(|_| ())).await?;
            }
        }
        self.emit(Event::MemoryChanged { entry, deleted: pinned.is_none() });
        Ok(())
    }

    pub(super) fn search_memory(&mut self, project: ProjectId, query: String, limit: u32) -> EngineResult {
        let entries = memory::entries(self.store.reader(), project)?;
        let entries = memory::search(&entries, &query, limit as usize);
        self.answer(Event::MemoryResults { project, query, entries });
        Ok(())
    }
}
