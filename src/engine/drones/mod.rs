//! Drones: focused workers beside the main chat. This part reads what Drones a workspace has (the
//! built-in templates and the workspace's manifests); runs come with the runner.

mod commands;
pub mod manifest;
pub mod registry;

pub use manifest::ManifestError;
pub use registry::LoadedDrone;
