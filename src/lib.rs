//! Aura: a native desktop AI coding orchestration IDE.
//!
//! The shape (see `specs/`): surfaces (`ui`, `companion`, `cli`) talk to the engine only through `protocol`;
//! the engine owns the agent loop; `store` owns durable state; `domain` holds the pure types.

pub mod cli;
pub mod companion;
pub mod domain;
pub mod edits;
pub mod engine;
pub mod git;
pub mod llm;
pub mod mcp;
pub mod protocol;
pub mod store;
pub mod tools;
pub mod ui;
pub mod validate;
