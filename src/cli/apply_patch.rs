//! `aura apply-patch`: applies an `apply_patch` envelope in the current directory, all or nothing,
//! and prints what changed. The patch comes as the one argument, or on stdin.

use std::io::Read;

use crate::domain::FileChangeKind;
use crate::edits::{self, patch};
use crate::tools::Workspace;

#[derive(Debug, Clone, clap::Args)]
pub struct ApplyPatchArgs {
    /// The patch text (default: read from stdin)
    pub patch: Option<String>,
}

pub fn apply_patch(args: ApplyPatchArgs) -> anyhow::Result<()> {
    let text = match args.patch {
        Some(text) => text,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| anyhow::anyhow!("could not read the patch from stdin: {e}"))?;
            text
        }
    };
    if text.trim().is_empty() {
        anyhow::bail!("no patch given: pass it as the argument or on stdin");
    }
    let workspace = Workspace::open(".").map_err(|e| anyhow::anyhow!("the current directory cannot be used: {e}"))?;
    let parsed = patch::parse(&text)?;
    let changes = edits::plan_patch(&parsed, &workspace)?;
    edits::apply(&changes, &workspace)?;
    for change in &changes {
        match &change.kind {
            FileChangeKind::Add => println!("A {}", change.path),
            FileChangeKind::Modify => println!("M {}", change.path),
            FileChangeKind::Delete => println!("D {}", change.path),
            FileChangeKind::Move { from } => println!("R {from} -> {}", change.path),
        }
    }
    Ok(())
}
