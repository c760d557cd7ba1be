//! Drones: focused workers beside the main chat: what Drones a workspace has (the built-in
//! templates and the workspace's manifests), and their runs, each isolated by what it may write.

mod commands;
mod commit;
pub mod manifest;
pub mod registry;
pub mod runner;
pub mod worktree;

pub use manifest::ManifestError;
pub use registry::LoadedDrone;
