//! A project's Drone runs as the engine reports them, and the conversations of the runs on show: a
//! running run's from its start, and the run each Drone's tab shows, read from history when it ran
//! before. Other conversations are dropped, so memory follows what is on screen.

use std::collections::{HashMap, HashSet};

use crate::domain::{DroneId, DroneRun, ProjectId, Receipt, SessionId};
use crate::protocol::Event;

use super::super::chat::ChatView;
use super::super::intents::Intents;

#[derive(Debug, Default)]
pub struct DroneRuns {
    project: Option<ProjectId>,
    /// Oldest first.
    runs: Vec<DroneRun>,
    chats: HashMap<SessionId, ChatView>,
    /// The run a Drone's tab shows, when it is not the newest.
    selected: HashMap<String, DroneId>,
}

impl DroneRuns {
    /// The runs of a freshly opened project (oldest first).
    pub fn open(project: ProjectId, runs: Vec<DroneRun>) -> DroneRuns {
        DroneRuns { project: Some(project), runs, ..DroneRuns::default() }
    }

    pub fn apply(&mut self, event: &Event, intents: &mut Intents) {
        match event {
            Event::DroneRunStarted { run } if Some(run.project) == self.project => {
                if let Some(project) = self.project {
                    self.chats.insert(run.session, ChatView::of_run(project, run.session, true, intents));
                }
                self.runs.retain(|r| r.id != run.id);
                self.runs.push(run.clone());
            }
            Event::DroneRunFinished { run } if Some(run.project) == self.project => {
                match self.runs.iter_mut().find(|r| r.id == run.id) {
                    Some(known) => *known = run.clone(),
                    None => self.runs.push(run.clone()),
                }
                if let Some(chat) = self.chats.get_mut(&run.session) {
                    chat.running = false;
                    chat.live = None;
                }
                self.forget_hidden();
            }
            _ => {
                for chat in self.chats.values_mut() {
                    chat.apply(event, intents);
                }
            }
        }
    }

    /// A Drone's runs, newest first.
    pub fn of<'a>(&'a self, drone: &str) -> impl Iterator<Item = &'a DroneRun> {
        self.runs.iter().rev().filter(move |r| r.drone == drone)
    }

    pub fn is_running(&self, drone: &str) -> bool {
        self.of(drone).any(|r| r.receipt.is_none())
    }

    /// The run a Drone's tab shows: the one picked, else the newest.
    pub fn shown(&self, drone: &str) -> Option<&DroneRun> {
        let picked = self.selected.get(drone);
        picked.and_then(|id| self.runs.iter().find(|r| r.id == *id)).or_else(|| self.of(drone).next())
    }

    /// Shows `run` in its Drone's tab (`None`: the newest, and each newer one as it starts).
    pub fn select(&mut self, drone: &str, run: Option<DroneId>) {
        match run {
            Some(run) => self.selected.insert(drone.to_string(), run),
            None => self.selected.remove(drone),
        };
        self.forget_hidden();
    }

    /// The conversation of a run on show, asking for its history the first time.
    pub fn chat_mut(&mut self, run: &DroneRun, intents: &mut Intents) -> &mut ChatView {
        self.chats.entry(run.session).or_insert_with(|| ChatView::of_run(run.project, run.session, false, intents))
    }

    /// Finished runs with their receipts, newest first.
    pub fn receipts(&self) -> impl Iterator<Item = (&DroneRun, &Receipt)> {
        self.runs.iter().rev().filter_map(|r| r.receipt.as_ref().map(|receipt| (r, receipt)))
    }

    /// Drops the conversations of finished runs no tab shows.
    fn forget_hidden(&mut self) {
        let drones: HashSet<&str> = self.runs.iter().map(|r| r.drone.as_str()).collect();
        let mut kept: HashSet<SessionId> =
            drones.into_iter().filter_map(|d| self.shown(d)).map(|r| r.session).collect();
        kept.extend(self.runs.iter().filter(|r| r.receipt.is_none()).map(|r| r.session));
        self.chats.retain(|session, _| kept.contains(session));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Isolation, Message, ReceiptId, ReceiptSubject, Record, Role, Trigger, Usage, Verdict};
    use crate::protocol::Command;

    fn run(project: ProjectId, drone: &str, trigger: Option<Trigger>) -> DroneRun {
        DroneRun {
            id: DroneId::new(),
            project,
            drone: drone.into(),
            goal: "look it over".into(),
            session: SessionId::new(),
            isolation: Isolation::Shared,
            trigger,
            started_at: 1_000,
            receipt: None,
        }
    }

    fn receipt(run: &DroneRun) -> Receipt {
        Receipt {
            id: ReceiptId::new(),
            subject: ReceiptSubject::DroneRun { drone: run.id, session: run.session },
            asked: run.goal.clone(),
            changesets: Vec::new(),
            files_changed: Vec::new(),
            commands: Vec::new(),
            craft_findings: Vec::new(),
            usage: Usage::default(),
            verdict: Verdict::Unverified,
            summary: "Nothing to fix.".into(),
            created_at: 2_000,
            commit: None,
        }
    }

    #[test]
    fn a_started_run_streams_and_a_finished_one_no_longer_shown_is_forgotten() {
        let project = ProjectId::new();
        let mut intents = Intents::default();
        let mut runs = DroneRuns::open(project, Vec::new());
        let first = run(project, "review", None);
        runs.apply(&Event::DroneRunStarted { run: first.clone() }, &mut intents);
        assert!(intents.as_slice().is_empty(), "a run streamed from its start needs no history");
        assert!(runs.is_running("review"));
        runs.apply(&Event::TextDelta { session: first.session, text: "Looks fine.".into() }, &mut intents);
        assert_eq!(runs.chat_mut(&first, &mut intents).live.as_ref().unwrap().text, "Looks fine.");

        let second = run(project, "review", Some(Trigger::AfterTaskFinished));
        runs.apply(&Event::DroneRunStarted { run: second.clone() }, &mut intents);
        assert_eq!(runs.shown("review").unwrap().id, second.id, "the newest is shown");
        let finished = DroneRun { receipt: Some(receipt(&first)), ..first.clone() };
        runs.apply(&Event::DroneRunFinished { run: finished }, &mut intents);
        assert!(!runs.chats.contains_key(&first.session), "finished and not shown: dropped");
        assert!(runs.is_running("review"), "the second still runs");
        assert_eq!(runs.receipts().count(), 1);
        assert_eq!(runs.of("review").map(|r| r.id).collect::<Vec<_>>(), [second.id, first.id]);

        // Picking the finished run again reads its conversation from history.
        runs.select("review", Some(first.id));
        let shown = runs.shown("review").unwrap().clone();
        runs.chat_mut(&shown, &mut intents);
        assert_eq!(intents.commands(), [Command::LoadHistory { session: first.session, before: None, limit: 400 }]);
        let said = Record::Message(Message::text(first.session, Role::Assistant, "Looks fine."));
        runs.apply(&Event::History { session: first.session, records: vec![(1, said)], complete: true }, &mut intents);
        assert_eq!(runs.chat_mut(&shown, &mut intents).items.len(), 1);
    }

    #[test]
    fn another_projects_runs_are_not_listed() {
        let mut runs = DroneRuns::open(ProjectId::new(), Vec::new());
        runs.apply(&Event::DroneRunStarted { run: run(ProjectId::new(), "docs", None) }, &mut Intents::default());
        assert_eq!(runs.of("docs").count(), 0);
    }
}
