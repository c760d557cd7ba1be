//! Helpers the engine tests share: start the engine on a data dir, wait for an event, and a tool
//! host that runs the real read tools on a workspace.

#![allow(dead_code)] // each test binary uses the helpers it needs

pub mod phone;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aura::engine::turn::{ToolHost, ToolResult};
use aura::engine::{self, EngineClient};
use aura::llm::ToolCallRequest;
use aura::protocol::Event;
use aura::tools::Workspace;
use aura::tools::registry::{ToolInput, run_read};

pub fn launch(runtime: &tokio::runtime::Runtime, data: &Path) -> EngineClient {
    engine::launch(runtime.handle(), data.to_path_buf(), Arc::new(|| {}))
        .recv_timeout(Duration::from_secs(10))
        .expect("the engine launches")
        .expect("the store opens")
}

/// Waits up to 60 s for the first event `pick` accepts; an engine error fails the test.
pub fn wait<T>(client: &EngineClient, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(envelope) = client.recv_timeout(Duration::from_millis(100)) {
            if let Event::Error { message, .. } = &envelope.body {
                panic!("engine error: {message}");
            }
            if let Some(found) = pick(&envelope.body) {
                return found;
            }
        }
    }
    panic!("the event never came")
}

/// Runs the read tools on a real workspace.
pub struct Reader(pub Workspace);

impl ToolHost for Reader {
    async fn call(&mut self, call: &ToolCallRequest) -> ToolResult {
        match ToolInput::parse(&call.name, &call.arguments).and_then(|input| run_read(&self.0, &input)) {
            Ok(text) => ToolResult::ok(text),
            Err(why) => ToolResult::error(why),
        }
    }
}

/// Opens (registers) the workspace as a project.
pub fn open_project(client: &mut EngineClient, workspace: &Path) -> aura::domain::ProjectId {
    client.send(aura::protocol::Command::OpenProject { root: workspace.to_path_buf() });
    wait(client, |e| match e {
        Event::ProjectOpened { snapshot } => Some(snapshot.project.id),
        _ => None,
    })
}

/// Points both roles of `project` at `emulator` (OpenAI format) and sets its loop settings.
pub fn use_emulator(
    client: &mut EngineClient,
    project: aura::domain::ProjectId,
    emulator: &aura::llm::emulator::Emulator,
    settings: aura::protocol::LoopSettings,
) {
    use aura::llm::ProviderKind;
    use aura::protocol::{Command, ModelChoice};
    let model = ModelChoice {
        provider: ProviderKind::Openai,
        base_url: Some(emulator.base_url(ProviderKind::Openai)),
        model: "emu".into(),
        context_window: Some(100_000),
    };
    client.send(Command::SetModels { project, planner: model.clone(), worker: model });
    client.send(Command::SetLoopSettings { project, settings });
}

/// A new chat session in `project`.
pub fn chat_session(client: &mut EngineClient, project: aura::domain::ProjectId) -> aura::domain::Session {
    use aura::protocol::Command;
    client.send(Command::CreateSession { project, kind: aura::domain::SessionKind::Chat, title: "main".into() });
    wait(client, |e| match e {
        Event::SessionCreated { session } => Some(session.clone()),
        _ => None,
    })
}

/// Waits up to 60 s for an engine error; its message.
pub fn wait_error(client: &EngineClient) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(envelope) = client.recv_timeout(Duration::from_millis(100))
            && let Event::Error { message, .. } = envelope.body
        {
            return message;
        }
    }
    panic!("no error came")
}
