//! The hands of every agent: the workspace jail, and (as they land) read, search, edit and shell
//! tools.

mod jail;
pub mod policy;
pub mod read;
pub mod registry;
pub mod sandbox;
pub mod search;
pub mod shell;

pub use jail::{JailError, MAX_EDIT_BYTES, Opened, Workspace};
