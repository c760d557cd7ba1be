//! A project's `requirements.md`: whether it is there, and a starter one written on request (never
//! over an existing file).

use std::io::ErrorKind;
use std::path::Path;

use crate::domain::ProjectId;
use crate::protocol::Event;

use super::{Engine, EngineResult};

pub(super) const FILE: &str = "requirements.md";

/// Whether `root` holds a `requirements.md`.
pub(super) async fn present(root: &Path) -> bool {
    tokio::fs::metadata(root.join(FILE)).await.is_ok_and(|m| m.is_file())
}

/// The starter file: the headings the Planner reads specs from, each with a line saying what goes there.
fn starter(name: &str) -> String {
    format!(
        "# {name}\n\
         \n\
         ## What it is\n\
         \n\
         One or two sentences: what this project does, and why it exists.\n\
         \n\
         ## Who uses it\n\
         \n\
         The people (or programs) that use it, and what they come to it for.\n\
         \n\
         ## Must have\n\
         \n\
         - The first thing it must do\n\
         - The next thing it must do\n\
         \n\
         ## Constraints\n\
         \n\
         Languages, platforms, libraries, limits on speed or size, and what is out of scope.\n"
    )
}

impl Engine {
    /// Writes the starter `requirements.md`, unless the project already has one, which is left as it is.
    pub(super) async fn write_requirements(&mut self, command: u64, id: ProjectId) -> EngineResult {
        let project = match self.project(id) {
            Ok(project) => project,
            Err(message) => {
                self.fail(command, message);
                return Ok(());
            }
        };
        let path = project.root.join(FILE);
        let written = async {
            use tokio::io::AsyncWriteExt;
            // `create_new` refuses an existing file in the same step that creates it: nothing is overwritten.
            let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
            file.write_all(starter(&project.name).as_bytes()).await?;
            file.flush().await
        }
        .await;
        match written {
            Ok(()) => self.emit(Event::RequirementsChanged { project: id, present: true }),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                self.fail(command, format!("{} already exists; it was left as it is", path.display()));
                self.emit(Event::RequirementsChanged { project: id, present: true });
            }
            Err(e) => self.fail(
                command,
                format!("{} could not be written ({e}); check that the folder is writable", path.display()),
            ),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_has_the_four_headings_under_the_project_s_name() {
        let text = starter("shop");
        assert!(text.starts_with("# shop\n"));
        for heading in ["## What it is", "## Who uses it", "## Must have", "## Constraints"] {
            assert!(text.contains(heading), "{heading}");
        }
    }
}
