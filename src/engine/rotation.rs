//! Keeping a long run inside the model's window. Context use is read from the provider's own token
//! counts. Inside one task, old tool results are shortened in two tiers (at 60% and 70% of the
//! window), each at most once per task; past the rotation threshold (80% by default), the session
//! is rotated at the next task boundary into a model-written summary. Both are compaction points:
//! the only places the transcript is ever rewritten. The task's goal and plan live in layer 2, so
//! neither loses them.

use crate::domain::{Record, Session, now_millis};
use crate::llm::ChatMessage;
use crate::protocol::{Event, LoopSettings};

use super::Journal;
use super::prompt::SUMMARY_PROMPT;
use super::turn::{Agent, Conversation, Stop, ToolHost, ToolResult, TurnBudget, TurnOutcome, run_turn};

/// Tool results newer than this many calls are never shortened.
const KEEP_RECENT: usize = 10;
/// Lines kept at each end of a result by tier 1.
const KEEP_LINES: usize = 20;
const TIER_1: f64 = 0.60;
const TIER_2: f64 = 0.70;

fn share(conversation: &Conversation, window: Option<u64>) -> Option<f64> {
    let window = window.filter(|w| *w > 0)?;
    Some(conversation.context_used()? as f64 / window as f64)
}

/// Shortens old tool results when the context passed a tier it has not passed yet in this task;
/// returns the tier applied.
pub fn compact_if_needed(conversation: &mut Conversation, window: Option<u64>) -> Option<u8> {
    let share = share(conversation, window)?;
    let tier = if share >= TIER_2 {
        2
    } else if share >= TIER_1 {
        1
    } else {
        return None;
    };
    if tier <= conversation.compaction_tier {
        return None;
    }
    let results: Vec<usize> = conversation
        .transcript
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, ChatMessage::ToolResult { .. }))
        .map(|(i, _)| i)
        .collect();
    let old = results.len().saturating_sub(KEEP_RECENT);
    for &i in &results[..old] {
        if let ChatMessage::ToolResult { name, content, .. } = &mut conversation.transcript[i] {
            *content = if tier == 1 { head_and_tail(content) } else { stub(name, content) };
        }
    }
    conversation.compaction_tier = tier;
    conversation.compactions += 1;
    // A new stable prefix starts here: layer 2 carries the task so nothing of it is lost.
    let context = conversation.context.clone();
    conversation.set_context(context);
    Some(tier)
}

fn head_and_tail(content: &str) -> String {
    let lines: Vec<&str> = content.lines().collect();
    if lines.len() <= KEEP_LINES * 2 {
        return content.to_string();
    }
    format!(
        "{}\n[{} lines cut to save context; run the tool again to see them]\n{}",
        lines[..KEEP_LINES].join("\n"),
        lines.len() - KEEP_LINES * 2,
        lines[lines.len() - KEEP_LINES..].join("\n")
    )
}

/// One line naming what a result was, such as `read_file src/lib.rs (lines 1-412 of 412, hash …): 413 lines`.
fn stub(name: &str, content: &str) -> String {
    let first: String = content.lines().next().unwrap_or("").chars().take(120).collect();
    format!("[{name} {first}: {} lines, shortened to save context]", content.lines().count())
}

/// Whether the session should rotate at this task boundary.
pub fn should_rotate(conversation: &Conversation, window: Option<u64>, settings: &LoopSettings) -> bool {
    settings.rotation_enabled && share(conversation, window).is_some_and(|s| s >= settings.rotation_threshold)
}

/// A host for the summary request: it offers no tools, so any call is refused.
struct NoTools;

impl ToolHost for NoTools {
    async fn call(&mut self, call: &crate::llm::ToolCallRequest) -> ToolResult {
        ToolResult::error(format!("`{}` is not available while writing the summary; answer with text", call.name))
    }
}

/// Why a session was not rotated: how the summary turn ended instead (the old session goes on).
#[derive(Debug, thiserror::Error)]
#[error("the summary was not written ({0:?})")]
pub struct NoSummary(pub TurnOutcome);

/// Asks the model for the summary and starts the next session from it. Returns the new
/// conversation, or why the summary could not be written (the old session then goes on).
pub async fn rotate(
    agent: &Agent,
    conversation: &mut Conversation,
    stop: &Stop,
    journal: &Journal,
) -> Result<Conversation, NoSummary> {
    conversation.push_user(SUMMARY_PROMPT);
    let budget = TurnBudget { max_steps: 2, ..TurnBudget::default() };
    let summary = match run_turn(agent, conversation, &mut NoTools, &budget, stop, journal).await {
        TurnOutcome::Answered { text } if !text.trim().is_empty() => text,
        other => return Err(NoSummary(other)),
    };
    let old = &conversation.session;
    let mut session = Session::new(old.project, old.kind, old.title.clone());
    session.model = old.model.clone();
    session.previous = Some(old.id);
    session.rotation = old.rotation + 1;
    journal.put_session(session.clone()).await;
    journal.record(old.id, Record::Compacted { tier: 0, at: now_millis() }).await;
    journal.emit(Event::SessionRotated { from: old.id, to: session.clone() });
    let mut context = conversation.context.clone();
    context.summary = Some(summary);
    // Rotation happens between tasks: the finished task's brief stays behind.
    context.task_brief = None;
    let mut next = Conversation::new(session, conversation.role, context);
    next.offer(conversation.offered().to_vec());
    next.compactions = conversation.compactions;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SessionKind, Usage};
    use crate::engine::prompt::{ProjectContext, Role};

    fn conversation_with_results(n: usize, lines: usize) -> Conversation {
        let context = ProjectContext { task_brief: Some("## Goal\nkeep me".into()), ..ProjectContext::default() };
        let mut c =
            Conversation::new(Session::new(None, SessionKind::Worker { task: None }, "w"), Role::Worker, context);
        c.push_user("## Goal\nkeep me");
        for i in 0..n {
            let body: Vec<String> = (0..lines).map(|l| format!("line {l}")).collect();
            c.transcript.push(ChatMessage::ToolResult {
                call_id: format!("c{i}"),
                name: "read_file".into(),
                content: format!("src/f{i}.rs (lines 1-{lines} of {lines}, hash h)\n{}", body.join("\n")),
                is_error: false,
            });
        }
        c
    }

    fn use_share(c: &mut Conversation, share: f64) {
        c.last_usage = Some(Usage { input_tokens: (share * 1000.0) as u64, ..Usage::default() });
    }

    #[test]
    fn tiers_shorten_old_results_once_each_and_keep_the_task() {
        let mut c = conversation_with_results(15, 100);
        use_share(&mut c, 0.5);
        assert_eq!(compact_if_needed(&mut c, Some(1000)), None);
        use_share(&mut c, 0.65);
        assert_eq!(compact_if_needed(&mut c, Some(1000)), Some(1));
        assert_eq!(compact_if_needed(&mut c, Some(1000)), None, "tier 1 runs once per task");
        let content = |c: &Conversation, i: usize| match &c.transcript[i] {
            ChatMessage::ToolResult { content, .. } => content.clone(),
            _ => unreachable!(),
        };
        assert!(content(&c, 1).contains("61 lines cut"), "{}", content(&c, 1));
        assert!(content(&c, 15).contains("line 50"), "the 10 newest results stay whole");
        use_share(&mut c, 0.75);
        assert_eq!(compact_if_needed(&mut c, Some(1000)), Some(2));
        assert!(content(&c, 1).starts_with("[read_file src/f0.rs (lines 1-100 of 100, hash h)"), "{}", content(&c, 1));
        assert_eq!(c.compactions, 2);
        assert!(c.system().contains("keep me"), "the goal is in layer 2 after compaction");
        assert!(matches!(&c.transcript[0], ChatMessage::User { text } if text.contains("keep me")));
    }

    #[test]
    fn rotation_follows_the_threshold_and_can_be_switched_off() {
        let mut c = conversation_with_results(1, 1);
        use_share(&mut c, 0.79);
        let on = LoopSettings::default();
        assert!(!should_rotate(&c, Some(1000), &on));
        use_share(&mut c, 0.81);
        assert!(should_rotate(&c, Some(1000), &on));
        assert!(!should_rotate(&c, Some(1000), &LoopSettings { rotation_enabled: false, ..on }));
        assert!(!should_rotate(&c, None, &on), "an unknown window never rotates");
    }
}
