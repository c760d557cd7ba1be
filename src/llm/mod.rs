//! Model providers. For now: which providers are configured, and which local model servers answer.

pub mod discovery;
