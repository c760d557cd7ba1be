//! The Usage tab: every model request of the project (input, cached, output tokens, cost, cache hit
//! rate), a plot of them over time, totals for the chat session and the project, and how full the
//! context window is.

use std::collections::HashMap;

use egui::{RichText, ScrollArea, Sense, Stroke, TextStyle, Ui, pos2, vec2};

use crate::domain::{RequestUsage, Session, SessionId, SessionKind, Usage, thousands};
use crate::protocol::Event;

use super::theme;

/// Requests the plot shows, newest last.
const PLOTTED: usize = 120;

#[derive(Debug, Default)]
pub struct UsageView {
    /// Oldest first.
    pub entries: Vec<RequestUsage>,
    pub sessions: HashMap<SessionId, Session>,
    /// Each session's requests added up, kept as they arrive: the status bar reads them every frame.
    totals: HashMap<SessionId, Usage>,
}

impl UsageView {
    pub fn open(entries: Vec<RequestUsage>, sessions: &[Session]) -> UsageView {
        let mut view = UsageView {
            entries: Vec::with_capacity(entries.len()),
            sessions: sessions.iter().map(|s| (s.id, s.clone())).collect(),
            totals: HashMap::new(),
        };
        entries.into_iter().for_each(|entry| view.count(entry));
        view
    }

    fn count(&mut self, entry: RequestUsage) {
        *self.totals.entry(entry.session).or_default() += entry.usage;
        self.entries.push(entry);
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::UsageRecorded { entry, .. } => self.count(entry.clone()),
            Event::SessionCreated { session } => {
                self.sessions.insert(session.id, session.clone());
            }
            Event::SessionRotated { to, .. } => {
                self.sessions.insert(to.id, to.clone());
            }
            _ => {}
        }
    }

    /// All requests of `session` and the sessions it continues after rotations.
    pub fn total_of(&self, session: SessionId) -> Usage {
        let mut total = Usage::default();
        let mut at = Some(session);
        // At most one step per known session, so a damaged chain cannot loop.
        for _ in 0..=self.sessions.len() {
            let Some(id) = at else { break };
            total += self.totals.get(&id).copied().unwrap_or_default();
            at = self.sessions.get(&id).and_then(|s| s.previous);
        }
        total
    }

    pub fn project_total(&self) -> Usage {
        self.totals.values().fold(Usage::default(), |mut total, usage| {
            total += *usage;
            total
        })
    }

    fn session_name(&self, id: SessionId) -> String {
        match self.sessions.get(&id) {
            Some(s) => match s.kind {
                SessionKind::Chat => "chat".into(),
                SessionKind::Planner { .. } => "planner".into(),
                SessionKind::Worker { .. } => "worker".into(),
                SessionKind::Drone { .. } => format!("drone {}", s.title),
                SessionKind::Specs => format!("specs: {}", s.title),
            },
            None => "session".into(),
        }
    }
}

/// Tokens, cost and cache hit rate in one line.
pub fn describe(usage: &Usage) -> String {
    let cost = usage.cost_usd.map(|c| format!(" · ${c:.4}")).unwrap_or_else(|| " · cost unknown".into());
    format!(
        "in {} · cached {} · out {}{cost} · {:.0}% cached",
        thousands(usage.total_input()),
        thousands(usage.cached_input_tokens),
        thousands(usage.output_tokens),
        usage.cache_hit_ratio() * 100.0
    )
}

pub fn no_project_ui(ui: &mut Ui) {
    ui.add_space(theme::SPACE_XL);
    ui.vertical_centered(|ui| ui.label(RichText::new("Open a project to see what its model requests cost.").weak()));
}

pub fn usage_ui(ui: &mut Ui, usage: &UsageView, chat: Option<SessionId>) {
    if usage.entries.is_empty() {
        ui.add_space(theme::SPACE_XL);
        ui.vertical_centered(|ui| ui.label(RichText::new("No model requests yet in this project.").weak()));
        return;
    }
    egui::Grid::new("aura-usage-totals").num_columns(2).spacing(theme::GRID_SPACING).show(ui, |ui| {
        ui.label(RichText::new("Project").strong());
        ui.label(format!("{} requests · {}", usage.entries.len(), describe(&usage.project_total())));
        ui.end_row();
        if let Some(chat) = chat {
            ui.label(RichText::new("Chat session").strong());
            ui.label(describe(&usage.total_of(chat)));
            ui.end_row();
        }
    });
    context_ui(ui, usage, chat);
    ui.add_space(theme::SPACE_M);
    plot_ui(ui, &usage.entries[usage.entries.len().saturating_sub(PLOTTED)..]);
    ui.add_space(theme::SPACE_M);
    requests_ui(ui, usage);
}

/// How full the context of the newest request was, for the chat and for the newest other session.
fn context_ui(ui: &mut Ui, usage: &UsageView, chat: Option<SessionId>) {
    let newest = |pick: &dyn Fn(&RequestUsage) -> bool| usage.entries.iter().rev().find(|e| pick(e));
    let rows = [
        ("Chat context", chat.and_then(|c| newest(&|e| e.session == c))),
        ("Newest loop context", newest(&|e| Some(e.session) != chat)),
    ];
    for (label, entry) in rows {
        let Some(entry) = entry else { continue };
        let used = entry.usage.total_input() + entry.usage.output_tokens;
        ui.horizontal(|ui| {
            ui.label(RichText::new(label).weak());
            match entry.window {
                Some(window) if window > 0 => {
                    let share = used as f32 / window as f32;
                    ui.add(egui::ProgressBar::new(share.min(1.0)).desired_width(220.0).text(format!(
                        "{} of {} ({:.0}%)",
                        thousands(used),
                        thousands(window),
                        share * 100.0
                    )));
                }
                _ => {
                    ui.label(format!("{} tokens (window unknown)", thousands(used)));
                }
            }
        });
    }
}

/// Stacked bars per request: cached input, uncached input, output; the legend says which is which.
fn plot_ui(ui: &mut Ui, entries: &[RequestUsage]) {
    let theme = theme::of(ui);
    let [cached, uncached, output] = theme.series;
    ui.horizontal(|ui| {
        for (colour, name) in [(cached, "cached input"), (uncached, "uncached input"), (output, "output")] {
            ui.colored_label(colour, "■");
            ui.label(RichText::new(name).small());
        }
    });
    let height = 110.0;
    let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_stroke(rect, 2.0, Stroke::new(1.0, theme.border), egui::StrokeKind::Inside);
    let max = entries.iter().map(|e| e.usage.total_input() + e.usage.output_tokens).max().unwrap_or(1).max(1) as f32;
    let slot = rect.width() / PLOTTED as f32;
    let bar = (slot - 1.0).max(1.0);
    let scale = (height - 4.0) / max;
    for (i, entry) in entries.iter().enumerate() {
        let x = rect.left() + i as f32 * slot;
        let mut y = rect.bottom() - 2.0;
        let u = &entry.usage;
        for (tokens, colour) in [
            (u.cached_input_tokens, cached),
            (u.input_tokens + u.cache_write_tokens, uncached),
            (u.output_tokens, output),
        ] {
            let h = tokens as f32 * scale;
            painter.rect_filled(egui::Rect::from_min_max(pos2(x, y - h), pos2(x + bar, y)), 0.0, colour);
            y -= h;
        }
    }
    painter.text(
        rect.right_top() + vec2(-4.0, 2.0),
        egui::Align2::RIGHT_TOP,
        format!("{} tokens", thousands(max as u64)),
        TextStyle::Small.resolve(ui.style()),
        theme.weak,
    );
    if let Some(pointer) = response.hover_pos() {
        let index = ((pointer.x - rect.left()) / slot) as usize;
        if let Some(entry) = entries.get(index) {
            response.on_hover_text(format!("{}: {}", entry.model, describe(&entry.usage)));
        }
    }
}

/// Every request, newest first; only visible rows are drawn.
fn requests_ui(ui: &mut Ui, usage: &UsageView) {
    let row_h = ui.text_style_height(&TextStyle::Body);
    let count = usage.entries.len();
    ScrollArea::vertical().id_salt("aura-usage-rows").auto_shrink([false, false]).show_rows(
        ui,
        row_h,
        count,
        |ui, range| {
            for i in range {
                let entry = &usage.entries[count - 1 - i];
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("{:<8}", usage.session_name(entry.session))).monospace().weak());
                    ui.label(RichText::new(&entry.model).monospace());
                    ui.label(describe(&entry.usage));
                });
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProjectId;

    fn entry(session: SessionId, cached: u64, input: u64) -> RequestUsage {
        RequestUsage {
            session,
            model: "m".into(),
            at: 0,
            usage: Usage { cached_input_tokens: cached, input_tokens: input, output_tokens: 10, ..Usage::default() },
            window: Some(1000),
        }
    }

    #[test]
    fn totals_follow_a_session_across_its_rotations() {
        let first = Session::new(Some(ProjectId::new()), SessionKind::Chat, "Chat");
        let mut second = Session::new(first.project, SessionKind::Chat, "Chat");
        second.previous = Some(first.id);
        let other = Session::new(first.project, SessionKind::Worker { task: None }, "w");
        let mut view = UsageView::open(vec![entry(first.id, 300, 100)], &[first.clone(), other.clone()]);
        view.apply(&Event::SessionRotated { from: first.id, to: second.clone() });
        for e in [entry(second.id, 700, 100), entry(other.id, 0, 50)] {
            view.apply(&Event::UsageRecorded { project: first.project.unwrap(), entry: e });
        }
        let chat = view.total_of(second.id);
        assert_eq!((chat.cached_input_tokens, chat.input_tokens, chat.output_tokens), (1000, 200, 20));
        assert_eq!(view.project_total().input_tokens, 250);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert!(describe(&chat).ends_with("83% cached"), "{}", describe(&chat));
    }
}
