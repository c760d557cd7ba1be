//! Validation: finding a project's own checks, choosing and running them, classifying each outcome
//! (a product failure is not a broken command), comparing against the baseline taken before a
//! task, and the receipt that judges the work.

pub mod baseline;
pub mod checks;
pub mod craft;
pub mod detect;
mod linters;
pub mod outcome;
pub mod receipt;
pub mod runner;

pub use baseline::{Baseline, Comparison, compare};
pub use checks::CheckSetup;
pub use detect::{Check, CheckKind, detect};
pub use outcome::{Counts, classify, next_action};
pub use runner::{CheckResult, Plan, ValidationEvent, run_plan};
