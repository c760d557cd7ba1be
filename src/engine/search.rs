//! Project-wide search for surfaces: the shared search core ([`crate::tools::search`], the one the
//! agents' `search` tool runs) on a blocking thread, each file's matches sent to the surface that
//! asked as soon as that file is searched. One search per surface at a time: a new one stops the
//! previous, so typing in the Search tab never piles up walks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::domain::{ProjectId, SearchOptions};
use crate::protocol::Event;
use crate::tools::Workspace;
use crate::tools::search::{self, Query, Summary};

use super::{ClientId, Engine, EngineResult, Reply};

/// What a stopped search says it was.
const STOPPED: &str = "stopped before the end: a newer search replaced it, or it was cancelled";

/// The search each surface has running: its id and its stop flag.
#[derive(Default)]
pub(super) struct Searches(HashMap<Option<ClientId>, (u64, Arc<AtomicBool>)>);

impl Searches {
    /// Registers `search` as `client`'s, stopping the one it had.
    fn start(&mut self, client: Option<ClientId>, search: u64) -> Arc<AtomicBool> {
        let stop = Arc::new(AtomicBool::new(false));
        if let Some((_, previous)) = self.0.insert(client, (search, stop.clone())) {
            previous.store(true, Ordering::Relaxed);
        }
        stop
    }

    fn cancel(&mut self, client: Option<ClientId>, search: u64) {
        if let Some((_, stop)) = self.0.get(&client).filter(|(id, _)| *id == search) {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

impl Engine {
    pub(super) fn search_workspace(
        &mut self,
        project: ProjectId,
        search: u64,
        query: String,
        options: SearchOptions,
    ) -> EngineResult {
        let stop = self.searches.start(self.origin, search);
        let reply = self.reply();
        let workspace = self.workspace_of(project);
        match workspace {
            Err(message) => reply.send(finished(search, Summary::default(), 0, Some(message))),
            // Nothing typed finds nothing (an empty pattern would match every line).
            Ok(_) if query.is_empty() => reply.send(finished(search, Summary::default(), 0, None)),
            Ok(workspace) => {
                let query = Query::new(query, options);
                tokio::task::spawn_blocking(move || run(&workspace, project, search, &query, &stop, &reply));
            }
        }
        Ok(())
    }

    pub(super) fn cancel_search(&mut self, search: u64) -> EngineResult {
        self.searches.cancel(self.origin, search);
        Ok(())
    }
}

/// Runs one search to its end, streaming, and says how it ended.
fn run(workspace: &Workspace, project: ProjectId, search: u64, query: &Query, stop: &AtomicBool, reply: &Reply) {
    let started = Instant::now();
    let result = search::search(workspace, query, stop, |hits| {
        if !stop.load(Ordering::Relaxed) {
            reply.send(Event::SearchHits { project, search, hits });
        }
    });
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let event = match result {
        Ok(summary) => {
            let error = summary.cancelled.then(|| STOPPED.to_string());
            finished(search, summary, elapsed_ms, error)
        }
        Err(e) => finished(search, Summary::default(), elapsed_ms, Some(e.to_string())),
    };
    reply.send(event);
}

fn finished(search: u64, summary: Summary, elapsed_ms: u64, error: Option<String>) -> Event {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Event::SearchFinished {
        search,
        files: count(summary.files),
        matches: count(summary.matches),
        truncated: summary.truncated,
        elapsed_ms,
        error,
        binary_files: count(summary.binary),
        skipped: summary.skipped_named,
    }
}
