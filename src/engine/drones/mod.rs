//! Drones: focused workers beside the main chat. This part reads what Drones a workspace has (the
//! built-in templates and the workspace's manifests); runs come with the runner.

pub mod manifest;
pub mod registry;

pub use manifest::{DroneManifest, ManifestBudget, ManifestError};
pub use registry::{DroneSource, LoadedDrone};
