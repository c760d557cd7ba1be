//! The project's conversations beside the chat: newest activity first, each with its last message,
//! tokens and cost; new, rename, delete, and search by text (answered by the engine, which reads
//! every conversation's records off the UI thread).

use egui::{Id, Key, RichText, ScrollArea, TextEdit, Ui};

use crate::domain::{ProjectId, SessionId, now_millis};
use crate::protocol::{Command, ConversationHit, ConversationSummary, Event};

use super::super::intents::Intents;
use super::super::time::age;

/// The longest name a first message gives its conversation.
const TITLE_CHARS: usize = 48;
/// Every row has the same height, so only the visible ones are drawn however many there are.
const ROW_HEIGHT: f32 = 62.0;

/// A new conversation's name: the first line of its first message.
pub fn title_from(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Chat");
    match line.char_indices().nth(TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// What the user picked in the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    Open(ConversationSummary),
    New,
}

#[derive(Debug, Default)]
pub struct ConversationsView {
    pub project: Option<ProjectId>,
    /// Newest activity first.
    pub list: Vec<ConversationSummary>,
    /// Whether the list is shown beside the chat.
    pub shown: bool,
    pub query: String,
    /// The engine's answer to `query`, once it came.
    pub hits: Option<Vec<ConversationHit>>,
    /// A conversation being renamed, with the name typed so far.
    pub renaming: Option<(SessionId, String)>,
    /// A conversation whose Delete waits for a second click.
    pub deleting: Option<SessionId>,
}

impl ConversationsView {
    /// The list starts shown once there is more than one conversation to pick from.
    pub fn open(project: ProjectId, list: Vec<ConversationSummary>) -> Self {
        ConversationsView { project: Some(project), shown: list.len() > 1, list, ..Self::default() }
    }

    /// The conversation to show first: the one open last, else the newest.
    pub fn first(&self, current: Option<SessionId>) -> Option<&ConversationSummary> {
        current.and_then(|id| self.find(id)).or_else(|| self.list.first())
    }

    /// The conversation one of whose sessions is `session`.
    pub fn find(&self, session: SessionId) -> Option<&ConversationSummary> {
        self.list.iter().find(|c| c.sessions.contains(&session))
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::ConversationChanged { project, conversation } if self.project == Some(*project) => {
                self.list.retain(|c| !conversation.sessions.iter().any(|s| c.sessions.contains(s)));
                let at = self.list.partition_point(|c| c.last_at > conversation.last_at);
                self.list.insert(at, conversation.clone());
            }
            Event::ConversationDeleted { project, session } if self.project == Some(*project) => {
                self.list.retain(|c| !c.sessions.contains(session));
                if let Some(hits) = &mut self.hits {
                    hits.retain(|h| h.session != *session);
                }
            }
            // An answer to a query typed over since is not this list's.
            Event::ConversationMatches { project, query, hits }
                if self.project == Some(*project) && query.trim() == self.query.trim() =>
            {
                self.hits = Some(hits.clone());
            }
            _ => {}
        }
    }

    fn search(&mut self, intents: &mut Intents) {
        self.hits = None;
        if let (Some(project), false) = (self.project, self.query.trim().is_empty()) {
            intents.send(Command::SearchConversations { project, query: self.query.clone() });
        }
    }
}

/// Tokens and cost in a few characters: `12.3k tokens · $0.0123`.
fn spent(c: &ConversationSummary) -> String {
    let tokens = match c.tokens {
        0..1_000 => format!("{} tokens", c.tokens),
        1_000..1_000_000 => format!("{:.1}k tokens", c.tokens as f64 / 1e3),
        _ => format!("{:.1}M tokens", c.tokens as f64 / 1e6),
    };
    match c.cost_usd {
        Some(cost) if cost > 0.0 => format!("{tokens} · ${cost:.4}"),
        Some(_) => format!("{tokens} · free"),
        None if c.tokens == 0 => tokens,
        None => format!("{tokens} · cost unknown"),
    }
}

/// The list, with its search box and New chat; returns what the user picked.
pub fn conversations_ui(
    ui: &mut Ui,
    view: &mut ConversationsView,
    open: Option<SessionId>,
    intents: &mut Intents,
) -> Option<Pick> {
    let mut pick = None;
    ui.horizontal(|ui| {
        ui.strong("Conversations");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("New chat").on_hover_text("Start a conversation of its own").clicked() {
                pick = Some(Pick::New);
            }
        });
    });
    let search = ui.add(
        TextEdit::singleline(&mut view.query)
            .id(Id::new("aura-conversation-search"))
            .hint_text("Search conversations")
            .desired_width(f32::INFINITY),
    );
    if search.changed() {
        view.search(intents);
    }
    ui.separator();
    if !view.query.trim().is_empty() {
        return hits_ui(ui, view).or(pick);
    }
    if view.list.is_empty() {
        ui.label(RichText::new("No conversations yet: the first message starts one.").weak());
        return pick;
    }
    let now = now_millis();
    let count = view.list.len();
    ScrollArea::vertical().id_salt("aura-conversations").auto_shrink([false, false]).show_rows(
        ui,
        ROW_HEIGHT,
        count,
        |ui, rows| {
            for index in rows {
                let conversation = view.list[index].clone();
                let current = open.is_some_and(|s| conversation.sessions.contains(&s));
                if let Some(picked) = row_ui(ui, view, &conversation, current, now, intents) {
                    pick = Some(picked);
                }
            }
        },
    );
    pick
}

fn row_ui(
    ui: &mut Ui,
    view: &mut ConversationsView,
    c: &ConversationSummary,
    current: bool,
    now: u64,
    intents: &mut Intents,
) -> Option<Pick> {
    if let Some((id, name)) = &mut view.renaming
        && *id == c.session
    {
        let edit = ui.add_sized(
            [ui.available_width(), ROW_HEIGHT - 8.0],
            TextEdit::singleline(name).id(Id::new(("aura-rename", c.session))),
        );
        edit.request_focus();
        if ui.input(|i| i.key_pressed(Key::Enter)) {
            intents.send(Command::RenameConversation { session: c.session, title: name.clone() });
            view.renaming = None;
        } else if ui.input(|i| i.key_pressed(Key::Escape)) || edit.lost_focus() {
            view.renaming = None;
        }
        return None;
    }
    let mut pick = None;
    let response = ui
        .allocate_ui([ui.available_width(), ROW_HEIGHT].into(), |ui| {
            ui.set_min_size([ui.available_width(), ROW_HEIGHT - 4.0].into());
            let frame = egui::Frame::new().inner_margin(4.0).corner_radius(4.0);
            let frame = if current { frame.fill(ui.visuals().selection.bg_fill.gamma_multiply(0.35)) } else { frame };
            frame
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.add(egui::Label::new(RichText::new(&c.title).strong()).truncate());
                    });
                    let last = if c.last_message.is_empty() { "no messages yet" } else { &c.last_message };
                    ui.add(egui::Label::new(RichText::new(last).weak()).truncate());
                    ui.label(RichText::new(format!("{} · {}", age(now, c.last_at), spent(c))).weak());
                })
                .response
        })
        .inner
        .interact(egui::Sense::click());
    if response.clicked() && !current {
        pick = Some(Pick::Open(c.clone()));
    }
    if view.deleting == Some(c.session) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Delete it and its messages?").color(ui.visuals().error_fg_color));
            if ui.button("Delete").clicked() {
                intents.send(Command::DeleteConversation { session: c.session });
                view.deleting = None;
            }
            if ui.button("Keep").clicked() {
                view.deleting = None;
            }
        });
    }
    response.context_menu(|ui| {
        if ui.button("Rename").clicked() {
            view.renaming = Some((c.session, c.title.clone()));
            ui.close();
        }
        if ui.button("Delete…").clicked() {
            view.deleting = Some(c.session);
            ui.close();
        }
    });
    pick
}

fn hits_ui(ui: &mut Ui, view: &ConversationsView) -> Option<Pick> {
    let Some(hits) = &view.hits else {
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label(RichText::new("Searching every conversation…").weak());
        });
        return None;
    };
    if hits.is_empty() {
        ui.label(RichText::new(format!("No conversation holds “{}”.", view.query.trim())).weak());
        return None;
    }
    let mut pick = None;
    ScrollArea::vertical().id_salt("aura-conversation-hits").auto_shrink([false, false]).show(ui, |ui| {
        for hit in hits {
            let response = ui
                .vertical(|ui| {
                    ui.add(egui::Label::new(RichText::new(&hit.title).strong()).truncate());
                    ui.add(egui::Label::new(RichText::new(&hit.snippet).weak()).truncate());
                })
                .response
                .interact(egui::Sense::click());
            if response.clicked()
                && let Some(c) = view.find(hit.session)
            {
                pick = Some(Pick::Open(c.clone()));
            }
            ui.separator();
        }
    });
    pick
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(title: &str, last_at: u64) -> ConversationSummary {
        let session = SessionId::new();
        ConversationSummary {
            session,
            sessions: vec![session],
            title: title.into(),
            created_at: last_at,
            last_at,
            last_message: String::new(),
            tokens: 0,
            cost_usd: None,
        }
    }

    #[test]
    fn a_first_message_names_its_conversation() {
        assert_eq!(title_from("\n  Fix the parser  \nand more"), "Fix the parser");
        assert_eq!(title_from("   "), "Chat");
        let long = "x".repeat(100);
        assert_eq!(title_from(&long).chars().count(), TITLE_CHARS + 1);
    }

    #[test]
    fn a_changed_conversation_moves_to_its_place_and_a_rotation_replaces_its_old_line() {
        let project = ProjectId::new();
        let (old, newer) = (summary("old", 10), summary("newer", 20));
        let mut view = ConversationsView::open(project, vec![newer.clone(), old.clone()]);
        // The old conversation rotated into a new session and had a turn: one line, on top.
        let mut rotated = summary("old", 30);
        rotated.sessions = vec![rotated.session, old.session];
        view.apply(&Event::ConversationChanged { project, conversation: rotated.clone() });
        let titles: Vec<_> = view.list.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["old", "newer"]);
        assert_eq!(view.find(old.session).map(|c| c.session), Some(rotated.session));
        view.apply(&Event::ConversationDeleted { project, session: rotated.session });
        assert_eq!(view.list.len(), 1);
        // Another project's news is not this list's.
        view.apply(&Event::ConversationChanged { project: ProjectId::new(), conversation: summary("x", 40) });
        assert_eq!(view.list.len(), 1);
    }

    #[test]
    fn search_answers_for_an_older_query_are_dropped() {
        let project = ProjectId::new();
        let mut view = ConversationsView::open(project, vec![]);
        let mut intents = Intents::default();
        view.query = "pars".into();
        view.search(&mut intents);
        assert_eq!(intents.commands(), [Command::SearchConversations { project, query: "pars".into() }]);
        view.query = "parser".into();
        view.apply(&Event::ConversationMatches { project, query: "pars".into(), hits: vec![] });
        assert!(view.hits.is_none());
        view.apply(&Event::ConversationMatches { project, query: "parser".into(), hits: vec![] });
        assert_eq!(view.hits, Some(vec![]));
    }

    #[test]
    fn spending_reads_short() {
        let mut c = summary("c", 0);
        assert_eq!(spent(&c), "0 tokens");
        c.tokens = 12_345;
        c.cost_usd = Some(0.01234);
        assert_eq!(spent(&c), "12.3k tokens · $0.0123");
        c.cost_usd = None;
        assert_eq!(spent(&c), "12.3k tokens · cost unknown");
    }
}
