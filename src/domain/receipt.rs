//! Receipts and usage: the evidence a finished piece of work leaves behind, and what it cost.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use super::change::CraftFinding;
use super::git::CommitOutcome;
use super::id::{ChangeSetId, DroneId, ReceiptId, SessionId, TaskId};

/// Tokens one request (or a sum of requests) used, as the provider reported them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens read from the prompt cache.
    pub cached_input_tokens: u64,
    /// Input tokens that were neither cached nor written to the cache.
    pub input_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    /// Cost in US dollars when the model's prices are known.
    pub cost_usd: Option<f64>,
}

impl Usage {
    pub fn total_input(&self) -> u64 {
        self.input_tokens + self.cached_input_tokens + self.cache_write_tokens
    }

    /// Share of input served from the cache, 0.0 to 1.0.
    pub fn cache_hit_ratio(&self) -> f64 {
        match self.total_input() {
            0 => 0.0,
            total => self.cached_input_tokens as f64 / total as f64,
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
    }
}

/// `12,345`: thousands grouped, for token counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One model request as the Usage tab lists it: whose it was, what it cost, how full the context was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestUsage {
    pub session: SessionId,
    pub model: String,
    pub at: u64,
    pub usage: Usage,
    /// The model's context window, when known.
    pub window: Option<u64>,
}

/// How a validation command ended; each class has its own next action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    Passed,
    /// The code is wrong: fix the code.
    ProductFailure,
    NoTestsCollected,
    MissingDependency,
    MissingExecutable,
    WrongWorkingDirectory,
    Timeout,
    BlockedByPolicy,
    Crashed,
}

impl OutcomeClass {
    /// In words, for people: `product failure`.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeClass::Passed => "passed",
            OutcomeClass::ProductFailure => "product failure",
            OutcomeClass::NoTestsCollected => "no tests collected",
            OutcomeClass::MissingDependency => "missing dependency",
            OutcomeClass::MissingExecutable => "missing executable",
            OutcomeClass::WrongWorkingDirectory => "wrong working directory",
            OutcomeClass::Timeout => "timed out",
            OutcomeClass::BlockedByPolicy => "blocked by policy",
            OutcomeClass::Crashed => "crashed",
        }
    }

    /// The class with the test counts a runner printed: `product failure, 2 of 41 tests failed`.
    pub fn with_counts(self, passed: Option<u32>, failed: Option<u32>) -> String {
        match (passed, failed) {
            (p, Some(f)) if f > 0 => format!("{}, {f} of {} tests failed", self.label(), p.unwrap_or(0) + f),
            (Some(p), _) if p > 0 => format!("{}, {p} test{}", self.label(), if p == 1 { "" } else { "s" }),
            _ => self.label().to_string(),
        }
    }
}

/// What a validation check is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Build,
    Test,
    Lint,
    Format,
}

impl CheckKind {
    pub const ALL: [CheckKind; 4] = [CheckKind::Build, CheckKind::Test, CheckKind::Lint, CheckKind::Format];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Build => "build",
            CheckKind::Test => "test",
            CheckKind::Lint => "lint",
            CheckKind::Format => "format",
        }
    }
}

/// One check: a command and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub kind: CheckKind,
    pub command: String,
    /// The file that named it (`Cargo.toml`, `specs/02-store.md`), or `settings` for the user's own.
    pub source: String,
}

/// One validation command and what it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    pub command: String,
    pub outcome: OutcomeClass,
    pub passed: Option<u32>,
    pub failed: Option<u32>,
    pub failing_tests: Vec<String>,
    pub duration_ms: u64,
}

/// What the receipt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ReceiptSubject {
    Task { task: TaskId },
    WorkerRun { session: SessionId },
    DroneRun { drone: DroneId, session: SessionId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed or no check counted against the work.
    Verified,
    Failed,
    /// Waiting on the user.
    Blocked,
    /// The work finished but nothing could check it.
    Unverified,
}

/// The evidence behind a claim of "done".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub subject: ReceiptSubject,
    /// What was asked, in full.
    pub asked: String,
    pub changesets: Vec<ChangeSetId>,
    pub files_changed: Vec<String>,
    pub commands: Vec<CommandRun>,
    pub craft_findings: Vec<CraftFinding>,
    pub usage: Usage,
    pub verdict: Verdict,
    /// Why, in one or two sentences.
    pub summary: String,
    pub created_at: u64,
    /// The commit of the work's accepted changes, or why there is none (absent before commits per
    /// task existed, and for work that does not commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitOutcome>,
}

impl Receipt {
    /// The receipt as lines of text, for a terminal: the verdict and why, then the evidence.
    pub fn render_text(&self) -> String {
        let verdict = format!("{:?}", self.verdict).to_lowercase();
        let mut out = format!("receipt: {verdict}: {}\n", self.summary);
        if !self.files_changed.is_empty() {
            out.push_str(&format!("  files: {}\n", self.files_changed.join(", ")));
        }
        for run in &self.commands {
            let outcome = run.outcome.with_counts(run.passed, run.failed);
            out.push_str(&format!("  ran `{}`: {outcome} ({} ms)\n", run.command, run.duration_ms));
        }
        for finding in &self.craft_findings {
            out.push_str(&format!("  finding {}:{}: {}\n", finding.path, finding.line.unwrap_or(0), finding.message));
        }
        if let Some(commit) = &self.commit {
            out.push_str(&format!("  {}\n", commit.line()));
        }
        let u = &self.usage;
        let cost = u.cost_usd.map(|c| format!(", ${c:.3}")).unwrap_or_default();
        out.push_str(&format!(
            "  tokens: {} in, {} out{cost}\n",
            thousands(u.total_input()),
            thousands(u.output_tokens)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_adds_up_and_reports_cache_hits() {
        let mut total = Usage { input_tokens: 100, cached_input_tokens: 300, ..Usage::default() };
        total += Usage {
            input_tokens: 50,
            cached_input_tokens: 550,
            output_tokens: 7,
            cost_usd: Some(0.5),
            ..Usage::default()
        };
        assert_eq!(total.total_input(), 1000);
        assert_eq!(total.output_tokens, 7);
        assert!((total.cache_hit_ratio() - 0.85).abs() < 1e-9);
        assert_eq!(total.cost_usd, Some(0.5));
        assert_eq!(Usage::default().cache_hit_ratio(), 0.0);
    }
}
