//! Spec files as text for the Specs editor: reading one, and saving the user's edit back. Only
//! `specs/NAME.md` inside the project is read or written this way. A save is the files' own hand
//! edit ([`Engine::write_own`]: a checkpoint, refused when the file changed on disk since), followed
//! by reading the specs into tasks again.

use crate::domain::{ContentHash, ProjectId};
use crate::edits::{EditError, Files};
use crate::protocol::Event;
use crate::tools::Workspace;

use super::files::SaveError;
use super::{Engine, EngineResult};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecFileError {
    #[error(
        "`{path}` is not a spec file: only specs/NAME.md inside the project is read or saved here; pick a spec \
         from the outline"
    )]
    NotASpec { path: String },
    #[error("{path} is not on disk (deleted or renamed?); sync the tasks to read the specs again")]
    Missing { path: String },
    #[error(transparent)]
    Save(#[from] SaveError),
}

impl From<EditError> for SpecFileError {
    fn from(e: EditError) -> Self {
        SpecFileError::Save(e.into())
    }
}

/// Checks that `path` names a spec file: `specs/NAME.md`, one level deep, nothing hidden.
pub fn check_spec_path(path: &str) -> Result<(), SpecFileError> {
    let name = path.strip_prefix("specs/").unwrap_or_default();
    let stem = name.strip_suffix(".md").unwrap_or_default();
    if stem.is_empty() || stem.starts_with('.') || name.contains(['/', '\\']) {
        return Err(SpecFileError::NotASpec { path: path.to_string() });
    }
    Ok(())
}

impl Engine {
    fn spec_workspace(&self, project: ProjectId, path: &str) -> Result<Workspace, SpecFileError> {
        check_spec_path(path)?;
        Ok(self.workspace_of(project).map_err(SaveError::Unavailable)?)
    }

    fn spec_text(&self, project: ProjectId, path: &str) -> Result<String, SpecFileError> {
        let workspace = self.spec_workspace(project, path)?;
        workspace.read_text(path)?.ok_or_else(|| SpecFileError::Missing { path: path.to_string() })
    }

    pub(super) fn read_spec(&mut self, project: ProjectId, path: String) -> EngineResult {
        match self.spec_text(project, &path) {
            Ok(text) => self.answer(Event::SpecText { project, path, hash: ContentHash::of(text.as_bytes()), text }),
            Err(e) => self.answer(Event::SpecFailed { project, path, message: e.to_string(), stale: false }),
        }
        Ok(())
    }

    /// Writes the spec (when the text differs), then answers with the text on disk and the specs
    /// read into tasks again.
    pub(super) async fn save_spec(
        &mut self,
        command: u64,
        project: ProjectId,
        path: String,
        text: String,
        expected_hash: Option<ContentHash>,
    ) -> EngineResult {
        if let Err(e) = self.write_spec(project, &path, &text, expected_hash).await {
            let stale = matches!(e, SpecFileError::Save(SaveError::Stale { .. }));
            self.answer(Event::SpecFailed { project, path, message: e.to_string(), stale });
            return Ok(());
        }
        self.answer(Event::SpecText { project, path, hash: ContentHash::of(text.as_bytes()), text });
        self.sync_tasks(command, project).await
    }

    async fn write_spec(
        &mut self,
        project: ProjectId,
        path: &str,
        text: &str,
        expected_hash: Option<ContentHash>,
    ) -> Result<(), SpecFileError> {
        let workspace = self.spec_workspace(project, path)?;
        Ok(self.write_own(project, &workspace, path, text, expected_hash).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_specs_name_md_is_a_spec_path() {
        for good in ["specs/01-domain.md", "specs/notes.md", "specs/0.md"] {
            assert_eq!(check_spec_path(good), Ok(()), "{good}");
        }
        for bad in [
            "../x.md",
            "src/lib.rs",
            "/etc/x.md",
            "specs/../src/lib.rs",
            "specs/../x.md",
            "specs/sub/x.md",
            "specs/.md",
            "specs/.hidden.md",
            "specs/01-x.txt",
            "specs\\01-x.md",
            "specs/",
            "",
        ] {
            let err = check_spec_path(bad).unwrap_err();
            assert!(err.to_string().contains("only specs/NAME.md"), "{bad}: {err}");
        }
    }
}
