//! Validation: finding a project's own checks, running them, classifying each outcome (a product
//! failure is not a broken command), and comparing against the baseline taken before a task.

pub mod baseline;
pub mod craft;
pub mod detect;
mod linters;
pub mod outcome;
pub mod receipt;
pub mod runner;

pub use baseline::{Baseline, Comparison, compare};
pub use detect::{Check, CheckKind, detect};
pub use outcome::{Counts, classify, next_action};
pub use runner::{CheckResult, Plan, ValidationEvent, run_plan};
