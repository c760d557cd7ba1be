//! Conversations: a project's chats as the list shows them. A conversation is a chain of chat
//! sessions (a context rotation continues it in a new one). The project's current conversation is
//! kept in settings: it opens after a restart, and the dev loop's work orders and receipts are
//! written into it, so the chat reads the same after a restart as it did live.

use std::collections::{HashMap, HashSet};

use crate::domain::{
    Message, ProjectId, Record, RequestUsage, Role, Session, SessionId, SessionKind, Usage, now_millis,
};
use crate::protocol::{ConversationHit, ConversationSummary, Event};
use crate::store::{Store, StoreError, Table};

use super::{Engine, EngineResult};

/// How much of a last message the list shows.
const PREVIEW_CHARS: usize = 120;
/// How many records back a summary looks for the last message.
const PREVIEW_DEPTH: usize = 32;
/// Searches stop after this many conversations matched.
const MAX_HITS: usize = 200;
/// The longest name a conversation may have.
const MAX_TITLE_CHARS: usize = 200;

pub fn current_key(project: ProjectId) -> String {
    format!("conversation/{project}")
}

/// The newest session of the project's current conversation, if it still exists.
pub fn current(reader: &Store, project: ProjectId) -> Option<SessionId> {
    let id: SessionId = reader.get_value(Table::Settings, &current_key(project)).ok().flatten()?;
    reader.get::<Session>(id.to_bytes()).ok().flatten().map(|_| id)
}

/// Each conversation's sessions, newest first; conversations in no particular order.
fn chains(sessions: &[Session]) -> Vec<Vec<&Session>> {
    let chats: HashMap<SessionId, &Session> =
        sessions.iter().filter(|s| s.kind == SessionKind::Chat).map(|s| (s.id, s)).collect();
    let continued: HashSet<SessionId> = chats.values().filter_map(|s| s.previous).collect();
    chats
        .values()
        .filter(|s| !continued.contains(&s.id))
        .map(|newest| {
            let mut chain = vec![*newest];
            while let Some(previous) = chain.last().and_then(|s| s.previous).and_then(|id| chats.get(&id)) {
                if chain.iter().any(|s| s.id == previous.id) {
                    break;
                }
                chain.push(previous);
            }
            chain
        })
        .collect()
}

/// The chain a session belongs to, newest first (read from the store).
pub fn chain_of(reader: &Store, newest: SessionId) -> Result<Vec<Session>, StoreError> {
    let mut chain: Vec<Session> = Vec::new();
    let mut next = Some(newest);
    while let Some(id) = next {
        let Some(session) = reader.get::<Session>(id.to_bytes())? else { break };
        next = session.previous.filter(|p| !chain.iter().any(|s| s.id == *p));
        chain.push(session);
    }
    Ok(chain)
}

/// The newest message a person would recognise (theirs or the model's), with its time.
fn last_message(reader: &Store, chain: &[&Session]) -> Option<(String, u64)> {
    for session in chain {
        let page = reader.tail(session.id, PREVIEW_DEPTH).ok()?;
        // A rotated session ends with the summary the model wrote for its successor: not a message
        // of the conversation's own.
        let mut summary_next = false;
        let found = page.records.into_iter().rev().find_map(|r| match r.record {
            Record::Compacted { tier: 0, .. } => {
                summary_next = true;
                None
            }
            Record::Message(m) if matches!(m.role, Role::User | Role::Assistant) => {
                let text = m.plain_text();
                let summary = std::mem::take(&mut summary_next) && m.role == Role::Assistant;
                (!summary && !text.trim().is_empty()).then(|| (preview(&text), m.created_at))
            }
            _ => None,
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

fn preview(text: &str) -> String {
    // Only the start is shown: a pasted megabyte is not joined up whole.
    let start = text.char_indices().nth(PREVIEW_CHARS * 4).map_or(text, |(cut, _)| &text[..cut]);
    let line = start.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn summary(reader: &Store, chain: &[&Session], usage: &[RequestUsage]) -> ConversationSummary {
    let ids: HashSet<SessionId> = chain.iter().map(|s| s.id).collect();
    let mut spent = Usage::default();
    let mut priced = true;
    for entry in usage.iter().filter(|u| ids.contains(&u.session)) {
        spent.input_tokens += entry.usage.total_input();
        spent.output_tokens += entry.usage.output_tokens;
        match entry.usage.cost_usd {
            Some(cost) => *spent.cost_usd.get_or_insert(0.0) += cost,
            None => priced = false,
        }
    }
    let newest = chain[0];
    let first = chain[chain.len() - 1];
    let (last_message, last_at) = last_message(reader, chain).unwrap_or_else(|| (String::new(), newest.created_at));
    ConversationSummary {
        session: newest.id,
        sessions: chain.iter().map(|s| s.id).collect(),
        title: newest.title.clone(),
        created_at: first.created_at,
        last_at,
        last_message,
        tokens: spent.input_tokens + spent.output_tokens,
        cost_usd: spent.cost_usd.filter(|_| priced),
    }
}

/// Every conversation among `sessions`, newest activity first.
pub fn summaries(reader: &Store, sessions: &[Session], usage: &[RequestUsage]) -> Vec<ConversationSummary> {
    let mut list: Vec<_> = chains(sessions).iter().map(|chain| summary(reader, chain, usage)).collect();
    list.sort_by_key(|c| std::cmp::Reverse(c.last_at));
    list
}

/// The summary of the conversation whose newest session is `newest`, read afresh.
pub fn summary_of(reader: &Store, newest: SessionId) -> Result<Option<(ProjectId, ConversationSummary)>, StoreError> {
    let chain = chain_of(reader, newest)?;
    let Some(project) = chain.first().and_then(|s| s.project) else { return Ok(None) };
    let usage: Vec<RequestUsage> = reader
        .records_from(project, 1, usize::MAX)?
        .records
        .into_iter()
        .filter_map(|r| match r.record {
            Record::Usage(entry) => Some(entry),
            _ => None,
        })
        .collect();
    let refs: Vec<&Session> = chain.iter().collect();
    Ok(Some((project, summary(reader, &refs, &usage))))
}

/// The first line of a conversation holding `needle` (already lowercased), around the match.
fn find_in(reader: &Store, chain: &[&Session], needle: &str) -> Option<String> {
    for session in chain.iter().rev() {
        let page = reader.records_from(session.id, 1, usize::MAX).ok()?;
        for record in page.records {
            let Record::Message(message) = record.record else { continue };
            let text = message.plain_text();
            if let Some(line) = text.lines().find(|l| l.to_lowercase().contains(needle)) {
                return Some(preview(line));
            }
        }
    }
    None
}

/// Conversations whose messages hold `query`, newest activity first.
pub fn search(reader: &Store, sessions: &[Session], query: &str) -> Vec<ConversationHit> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    let mut chains = chains(sessions);
    chains.sort_by_key(|c| std::cmp::Reverse(c[0].created_at));
    chains
        .iter()
        .filter_map(|chain| {
            let title_hit = chain[0].title.to_lowercase().contains(&needle);
            let snippet = find_in(reader, chain, &needle).or_else(|| title_hit.then(String::new))?;
            Some(ConversationHit { session: chain[0].id, title: chain[0].title.clone(), snippet })
        })
        .take(MAX_HITS)
        .collect()
}

/// Sessions Aura made before one-off turns had their own kind: the spec writer's and the task
/// repairer's, by their names and their first record being the model's (a chat always begins
/// with the person's message; those turns did not record what they were asked).
fn legacy_one_off(reader: &Store, session: &Session) -> bool {
    session.kind == SessionKind::Chat
        && session.rotation == 0
        && ["Specs", "Task list repair"].contains(&session.title.as_str())
        && reader.records_from(session.id, 1, 1).ok().is_some_and(|page| {
            page.records.first().is_some_and(|r| !matches!(&r.record, Record::Message(m) if m.role == Role::User))
        })
}

impl Engine {
    /// Gives the one-off sessions of older versions their own kind, so they leave the chat list.
    pub(super) async fn retag_one_offs(&mut self, sessions: &mut [Session]) -> Result<(), StoreError> {
        for session in sessions.iter_mut() {
            if legacy_one_off(self.store.reader(), session) {
                session.kind = SessionKind::Specs;
                self.store.put(session.clone()).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn open_conversation(
        &mut self,
        command: u64,
        project: ProjectId,
        session: SessionId,
    ) -> EngineResult {
        match self.store.reader().get::<Session>(session.to_bytes())? {
            Some(s) if s.kind == SessionKind::Chat && s.project == Some(project) => {
                let key = current_key(project);
                self.store.write(move |w| w.put_value(Table::Settings, &key, &session)).await?;
            }
            _ => self.fail(command, format!("no conversation {session} in this project")),
        }
        Ok(())
    }

    pub(super) async fn rename_conversation(
        &mut self,
        command: u64,
        session: SessionId,
        title: String,
    ) -> EngineResult {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            self.fail(command, "a conversation needs a name; type one and press Enter");
            return Ok(());
        }
        let title: String = title.chars().take(MAX_TITLE_CHARS).collect();
        let mut chain = chain_of(self.store.reader(), session)?;
        if chain.is_empty() {
            self.fail(command, format!("no conversation {session}"));
            return Ok(());
        }
        for s in &mut chain {
            s.title = title.clone();
        }
        self.store
            .write(move |w| {
                for s in &chain {
                    w.put(s)?;
                }
                Ok(())
            })
            .await?;
        self.announce_conversation(session);
        Ok(())
    }

    pub(super) async fn delete_conversation(&mut self, command: u64, session: SessionId) -> EngineResult {
        let chain = chain_of(self.store.reader(), session)?;
        let Some(project) = chain.first().filter(|s| s.kind == SessionKind::Chat).and_then(|s| s.project) else {
            self.fail(command, format!("no conversation {session}"));
            return Ok(());
        };
        if chain.iter().any(|s| self.chats.get(&s.id).is_some_and(|state| state.is_running())) {
            self.fail(command, "this conversation has a turn running: stop it, then delete the conversation");
            return Ok(());
        }
        let ids: Vec<SessionId> = chain.iter().map(|s| s.id).collect();
        let was_current = current(self.store.reader(), project).is_some_and(|c| ids.contains(&c));
        let key = current_key(project);
        self.store
            .write(move |w| {
                for id in &ids {
                    w.delete_log(*id)?;
                    w.delete::<Session>(id.to_bytes())?;
                }
                if was_current {
                    w.delete_value(Table::Settings, &key)?;
                }
                Ok(())
            })
            .await?;
        for s in &chain {
            self.chats.remove(&s.id);
        }
        self.emit(Event::ConversationDeleted { project, session });
        Ok(())
    }

    pub(super) async fn search_conversations(&mut self, project: ProjectId, query: String) -> EngineResult {
        let sessions: Vec<Session> =
            self.store.reader().list::<Session>()?.items.into_iter().filter(|s| s.project == Some(project)).collect();
        let store = self.store.clone();
        let q = query.clone();
        let hits = tokio::task::spawn_blocking(move || search(store.reader(), &sessions, &q)).await.unwrap_or_default();
        self.answer(Event::ConversationMatches { project, query, hits });
        Ok(())
    }

    /// Tells every surface the conversation's line changed.
    pub(super) fn announce_conversation(&mut self, session: SessionId) {
        announce(&self.journal, self.store.reader(), session);
    }
}

/// Sends the fresh summary of `session`'s conversation through `journal` (after a turn, a rename).
pub fn announce(journal: &super::Journal, reader: &Store, session: SessionId) {
    match summary_of(reader, session) {
        Ok(Some((project, conversation))) => journal.emit(Event::ConversationChanged { project, conversation }),
        Ok(None) => {}
        Err(e) => tracing::warn!("the conversation {session} could not be summarised: {e}"),
    }
}

/// The conversation the dev loop's cards go to: the current one, or a new chat when there is none.
pub async fn current_or_new(journal: &super::Journal, reader: &Store, project: ProjectId) -> Option<SessionId> {
    if let Some(id) = current(reader, project) {
        return Some(id);
    }
    let session = Session::new(Some(project), SessionKind::Chat, "Chat");
    let id = session.id;
    journal.put_session(session).await;
    journal.set_current(project, id).await.then_some(id)
}

/// An error that answered a message, as the conversation keeps it.
pub fn error_note(text: impl Into<String>) -> Record {
    Record::Note { text: text.into(), error: true, at: now_millis() }
}

/// Aura's line telling the model and the user where a rotated conversation picks up.
pub fn summary_message(session: SessionId, summary: &str) -> Message {
    Message::text(session, Role::System, format!("The conversation so far, summarised:\n\n{summary}"))
}
