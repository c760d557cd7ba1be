//! The one queue through which the desktop asks for what lies beyond a panel's own state: commands
//! for the engine, tabs to bring forward or move, the folder dialog, a change to show in Review.
//! Panels (`*_ui`) and the view models' `apply` push into it; the app drains it once per frame,
//! after every window has drawn, so nothing one panel asks for changes what another draws in the
//! same frame, and every request is handled (several Drones summoned at once each get their tab).

use crate::domain::ChangeSetId;
use crate::protocol::Command;

use super::tabs::Tab;

#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// A command for the engine.
    Send(Command),
    /// Brings a tab forward wherever it is, reopening it in the main window if it was closed.
    ShowTab(Tab),
    MoveToNewWindow(Tab),
    DockBack(Tab),
    /// Selects a ChangeSet in Review and brings Review forward.
    ShowChangeSet(ChangeSetId),
    /// Opens a workspace file in its viewer tab, at `line` (1-based) when given.
    OpenFile {
        path: String,
        line: Option<u32>,
    },
    /// Closes every file's viewer tab: another project was opened, and their paths were its files.
    CloseFileTabs,
    /// Opens the system's folder dialog (its answer opens the project).
    OpenFolder,
    ResetLayout,
}

/// What was asked this frame, oldest first.
#[derive(Debug, Default)]
pub struct Intents(Vec<Intent>);

impl Intents {
    pub fn push(&mut self, intent: Intent) {
        self.0.push(intent);
    }

    pub fn send(&mut self, command: Command) {
        self.push(Intent::Send(command));
    }

    pub fn show(&mut self, tab: Tab) {
        self.push(Intent::ShowTab(tab));
    }

    /// Everything asked so far, oldest first; the queue is left empty.
    pub fn take(&mut self) -> Vec<Intent> {
        std::mem::take(&mut self.0)
    }

    /// What was asked, for tests of the view models.
    #[cfg(test)]
    pub fn as_slice(&self) -> &[Intent] {
        &self.0
    }

    /// The commands asked for, in order, for tests of the view models.
    #[cfg(test)]
    pub fn commands(&self) -> Vec<Command> {
        self.0
            .iter()
            .filter_map(|intent| match intent {
                Intent::Send(command) => Some(command.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Commands join the queue as sends.
impl Extend<Command> for Intents {
    fn extend<I: IntoIterator<Item = Command>>(&mut self, commands: I) {
        self.0.extend(commands.into_iter().map(Intent::Send));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_are_taken_once_in_the_order_they_were_pushed() {
        let mut intents = Intents::default();
        intents.show(Tab::Drone("docs".into()));
        intents.send(Command::ListProjects);
        intents.show(Tab::Drone("tests".into()));
        assert_eq!(intents.commands(), [Command::ListProjects]);
        assert_eq!(
            intents.take(),
            [
                Intent::ShowTab(Tab::Drone("docs".into())),
                Intent::Send(Command::ListProjects),
                Intent::ShowTab(Tab::Drone("tests".into()))
            ]
        );
        assert!(intents.as_slice().is_empty(), "taken intents are gone");
    }
}
