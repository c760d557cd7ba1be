//! Spec files as text for the Specs editor: reading one, and saving the user's edit back. Only
//! `specs/NAME.md` inside the project is read or written this way. A save is an applied change with
//! a checkpoint (Review can undo it), is refused when the file changed on disk since the text it
//! started from, and is followed by reading the specs into tasks again.

use crate::domain::{ChangeSet, ContentHash, ProjectId};
use crate::edits::{self, EditError, Files, WriteFile};
use crate::protocol::Event;
use crate::tools::Workspace;

use super::review::ReviewError;
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
    #[error(
        "{path} changed on disk since you opened it: reload it to see the new text (your edits are dropped), \
         or overwrite it with yours"
    )]
    Stale { path: String },
    #[error(transparent)]
    Edit(EditError),
    #[error("{0}")]
    Unavailable(String),
}

impl From<EditError> for SpecFileError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Stale { path } => SpecFileError::Stale { path },
            other => SpecFileError::Edit(other),
        }
    }
}

impl From<ReviewError> for SpecFileError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Edit(edit) => edit.into(),
            other => SpecFileError::Unavailable(other.to_string()),
        }
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
        let project = self.project(project).map_err(SpecFileError::Unavailable)?;
        super::projects::open_workspace(&project).map_err(SpecFileError::Unavailable)
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
            let stale = matches!(e, SpecFileError::Stale { .. });
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
        if expected_hash.is_some() && workspace.read_text(path)?.is_none() {
            // It was read once, so it was deleted or renamed since.
            return Err(SpecFileError::Stale { path: path.to_string() });
        }
        let write = WriteFile { path: path.to_string(), content: text.to_string(), expected_hash };
        let change = match edits::plan_write(&write, &workspace) {
            Ok(change) => change,
            Err(EditError::NoChanges) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let project = self.project(project).map_err(SpecFileError::Unavailable)?;
        let review = self.review_of(&project).map_err(SpecFileError::Unavailable)?;
        let changeset = ChangeSet::new(None, format!("Edit {path}"), vec![change]);
        Ok(review.apply_own(changeset).await?)
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
