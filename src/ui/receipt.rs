//! A receipt as the Tasks tab and the chat show it: the verdict and why, each command with its
//! outcome class and counts, the files, Craft findings, and what it cost.

use egui::{Color32, RichText, Ui};

use crate::domain::{CommitOutcome, DroneRun, Isolation, OutcomeClass, Receipt, Verdict};

use super::file_link::file_link_ui;
use super::intents::Intents;
use super::theme::{self, Theme};

pub fn verdict_label(theme: &Theme, verdict: Verdict) -> (&'static str, Color32) {
    match verdict {
        Verdict::Verified => ("Verified", theme.ok),
        Verdict::Failed => ("Failed", theme.error),
        Verdict::Blocked => ("Blocked", theme.warning),
        Verdict::Unverified => ("Not verified", theme.weak),
    }
}

/// How a Drone run ended: a read-only run that finished reported, which its receipt calls
/// unverified only because it changed nothing to check.
pub fn run_verdict_label(theme: &Theme, run: &DroneRun, receipt: &Receipt) -> (&'static str, Color32) {
    match (&run.isolation, receipt.verdict) {
        (Isolation::Shared, Verdict::Unverified) => ("Reported", theme.ok),
        (_, verdict) => verdict_label(theme, verdict),
    }
}

pub fn receipt_ui(ui: &mut Ui, receipt: &Receipt, intents: &mut Intents) {
    let (verdict, color) = verdict_label(theme::of(ui), receipt.verdict);
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(color, RichText::new(format!("Receipt: {verdict}")).strong());
        ui.label(&receipt.summary);
    });
    for run in &receipt.commands {
        let mark = if run.outcome == OutcomeClass::Passed { "✔" } else { "✖" };
        ui.label(
            RichText::new(format!(
                "{mark} {}  → {}  {} ms",
                run.command,
                run.outcome.with_counts(run.passed, run.failed),
                run.duration_ms
            ))
            .monospace(),
        );
    }
    if !receipt.files_changed.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Files changed:");
            for path in &receipt.files_changed {
                file_link_ui(ui, path, None, intents);
            }
        });
    }
    for finding in &receipt.craft_findings {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Craft:").weak());
            file_link_ui(ui, &finding.path, finding.line, intents);
            ui.label(RichText::new(&finding.message).weak());
        });
    }
    if let Some(commit) = &receipt.commit {
        commit_ui(ui, commit);
    }
    let usage = &receipt.usage;
    ui.label(
        RichText::new(format!(
            "Tokens: input {} · cached {} · output {}{}",
            usage.input_tokens + usage.cache_write_tokens,
            usage.cached_input_tokens,
            usage.output_tokens,
            usage.cost_usd.map(|c| format!(" · ${c:.3}")).unwrap_or_default()
        ))
        .weak(),
    );
}

/// The work's commit: its hash, or why there is none (a refusal in the warning colour).
fn commit_ui(ui: &mut Ui, commit: &CommitOutcome) {
    let theme = theme::of(ui);
    let colour = match commit {
        CommitOutcome::Committed { .. } => theme.ok,
        CommitOutcome::Skipped { .. } => theme.weak,
        CommitOutcome::Refused { .. } => theme.warning,
    };
    let mut line = commit.line();
    if let Some(first) = line.get(..1) {
        line = first.to_uppercase() + &line[1..];
    }
    ui.colored_label(colour, line);
}
