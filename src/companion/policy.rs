//! What a phone may ask, and what it never hears. The phone steers conversations, Drones and the
//! dev loop, reads the workspace's files and may search them; it cannot open paths, change settings
//! or keys, edit files directly, or pair others. Keys, the desktop's setup (model servers, base URLs,
//! appearance, layout, data dir) and store internals never reach it.

use crate::protocol::{Command, Event, ProjectSnapshot};

/// Said to a phone that sends a command outside the allowlist.
pub const REFUSED: &str = "this action is not available from the Companion";

/// Whether a phone may send `command`.
pub fn allowed(command: &Command) -> bool {
    matches!(
        command,
        Command::Hello { .. }
            | Command::ListProjects
            | Command::SelectProject { .. }
            | Command::CreateSession { .. }
            | Command::LoadHistory { .. }
            | Command::SendMessage { .. }
            | Command::StopTurn { .. }
            | Command::DecideWorkOrder { .. }
            | Command::DecideCommand { .. }
            | Command::DecideChangeSet { .. }
            | Command::Loop { .. }
            | Command::RetryTask { .. }
            | Command::AnswerBlocked { .. }
            | Command::RunDrone { .. }
            | Command::StopDrone { .. }
            | Command::ListDrones { .. }
            // The workspace, read-only: a phone reads files but never saves one.
            | Command::ListFolder { .. }
            | Command::FindFiles { .. }
            | Command::ReadFile { .. }
            // A phone may look at the repository, never change it.
            | Command::GitStatus { .. }
            | Command::GitDiff { .. }
            // Reading the project's files through search is read-only, as the agents' own search is.
            | Command::SearchWorkspace { .. }
            | Command::CancelSearch { .. }
    )
}

/// The event as a phone may see it, or `None` when it is not for phones at all.
pub fn redact_for_companion(event: &Event) -> Option<Event> {
    match event {
        Event::ApiKeys { .. }
        | Event::ConnectionTested { .. }
        | Event::LocalServers { .. }
        | Event::AppearanceChanged { .. }
        | Event::StoreWarning { .. }
        | Event::ModelsChanged { .. }
        | Event::McpServers { .. }
        | Event::SpecText { .. } => None,
        Event::Welcome { protocol_version, app_version, epoch, .. } => Some(Event::Welcome {
            protocol_version: *protocol_version,
            app_version: app_version.clone(),
            data_dir: Default::default(),
            layout: None,
            epoch: *epoch,
        }),
        Event::ProjectOpened { snapshot } => Some(Event::ProjectOpened {
            snapshot: Box::new(ProjectSnapshot { models: None, ..snapshot.as_ref().clone() }),
        }),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ApiKeyStatus, KeySource};

    #[test]
    fn settings_commands_are_refused() {
        assert!(allowed(&Command::ListProjects));
        assert!(!allowed(&Command::SetApiKey { env: "OPENAI_API_KEY".into(), key: Some("sk".into()) }));
        assert!(!allowed(&Command::OpenProject { root: "/".into() }));
        assert!(!allowed(&Command::SaveLayout { layout: serde_json::Value::Null }));
        let project = crate::domain::ProjectId::new();
        assert!(allowed(&Command::ReadFile { project, path: "src/lib.rs".into() }));
        assert!(allowed(&Command::ListFolder { project, path: String::new() }));
        let save = Command::SaveFile { project, path: "src/lib.rs".into(), text: String::new(), expected_hash: None };
        assert!(!allowed(&save), "a phone never writes a file");
    }

    #[test]
    fn a_phone_reads_git_but_never_stages_commits_or_inits() {
        let project = crate::domain::ProjectId::new();
        assert!(allowed(&Command::GitStatus { project }));
        assert!(allowed(&Command::GitDiff { project, path: "a.txt".into(), staged: false }));
        assert!(!allowed(&Command::GitStage { project, paths: vec!["a.txt".into()] }));
        assert!(!allowed(&Command::GitUnstage { project, paths: vec!["a.txt".into()] }));
        assert!(!allowed(&Command::GitCommit { project, message: "m".into() }));
        assert!(!allowed(&Command::GitInit { project }));
    }

    #[test]
    fn a_phone_may_search_the_project() {
        let project = crate::domain::ProjectId::new();
        let options = crate::domain::SearchOptions::default();
        assert!(allowed(&Command::SearchWorkspace { project, search: 1, query: "fn".into(), options }));
        assert!(allowed(&Command::CancelSearch { search: 1 }));
    }

    #[test]
    fn keys_and_the_data_dir_never_pass() {
        let keys = Event::ApiKeys {
            keys: vec![ApiKeyStatus {
                provider: "OpenAI".into(),
                env: "OPENAI_API_KEY".into(),
                source: KeySource::Settings,
            }],
        };
        assert_eq!(redact_for_companion(&keys), None);
        let welcome = Event::Welcome {
            protocol_version: 1,
            app_version: "0.1.0".into(),
            data_dir: "/home/me/.local/share/aura".into(),
            layout: Some(serde_json::json!({"windows": []})),
            epoch: 9,
        };
        let Some(Event::Welcome { data_dir, layout, epoch, .. }) = redact_for_companion(&welcome) else {
            panic!("a welcome passes")
        };
        assert_eq!((data_dir.as_os_str().is_empty(), layout, epoch), (true, None, 9));
    }
}
