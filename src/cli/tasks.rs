//! `aura specs` and `aura tasks`: the state of a workspace's specs and tasks, from its spec files
//! and, once the dev loop has run, the status the store keeps. Never creates a store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::{Project, Spec, Task};
use crate::engine::specs::{self, ParsedSpec};
use crate::store::{Store, StoreOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// The project folder (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct TaskRow {
    key: String,
    title: String,
    status: String,
    depends_on: Vec<String>,
    attempts: u32,
}

#[derive(Debug, Serialize)]
struct SpecRow {
    number: u32,
    title: String,
    path: String,
    tasks: usize,
    done: usize,
}

/// The store and the project at `root`, when both exist; never creates a store.
pub(super) fn stored_project(data_dir: &Path, root: &Path) -> anyhow::Result<Option<(Store, Project)>> {
    if !data_dir.join("data.mdb").exists() {
        return Ok(None);
    }
    let store = Store::open(data_dir, &StoreOptions::default())?;
    let project = store.list::<Project>()?.items.into_iter().find(|p| p.root == root);
    Ok(project.map(|p| (store, p)))
}

/// The stored tasks of the project at `root`, by key, when a store and the project exist.
fn stored_tasks(data_dir: &Path, root: &Path) -> anyhow::Result<HashMap<String, Task>> {
    let Some((store, project)) = stored_project(data_dir, root)? else {
        return Ok(HashMap::new());
    };
    let specs: Vec<Spec> = store.list::<Spec>()?.items.into_iter().filter(|s| s.project == project.id).collect();
    Ok(store
        .list::<Task>()?
        .items
        .into_iter()
        .filter(|t| specs.iter().any(|s| s.id == t.spec))
        .map(|t| (t.key.clone(), t))
        .collect())
}

fn load(args: &ListArgs, data_dir: &Path) -> anyhow::Result<(Vec<ParsedSpec>, Vec<TaskRow>)> {
    let root = std::fs::canonicalize(&args.workspace)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", args.workspace.display()))?;
    let parsed = specs::read_specs(&root).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the specs cannot be read; fix these lines:\n{}", lines.join("\n"))
    })?;
    let stored = stored_tasks(data_dir, &root)?;
    let rows = parsed
        .iter()
        .flat_map(|s| s.tasks.iter())
        .map(|t| {
            let stored = stored.get(&t.key);
            let status = match stored {
                Some(s) => s.status.to_string(),
                None if t.done => "done".to_string(),
                None => "pending".to_string(),
            };
            TaskRow {
                key: t.key.clone(),
                title: t.title.clone(),
                status,
                depends_on: t.depends_on.clone(),
                attempts: stored.map(|s| s.attempts).unwrap_or(0),
            }
        })
        .collect();
    Ok((parsed, rows))
}

pub fn list_tasks(args: ListArgs, data_dir: &Path) -> anyhow::Result<()> {
    let (_, rows) = load(&args, data_dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no tasks: the workspace has no spec files under specs/ (aura run writes them from requirements.md)");
    }
    for r in &rows {
        let deps = if r.depends_on.is_empty() { String::new() } else { format!("  after {}", r.depends_on.join(", ")) };
        println!("{:<6} {:<12} {}{deps}", r.key, r.status, r.title);
    }
    Ok(())
}

pub fn list_specs(args: ListArgs, data_dir: &Path) -> anyhow::Result<()> {
    let (parsed, rows) = load(&args, data_dir)?;
    let specs: Vec<SpecRow> = parsed
        .iter()
        .map(|s| {
            let prefix = format!("{:02}.", s.number);
            let mine: Vec<&TaskRow> = rows.iter().filter(|r| r.key.starts_with(&prefix)).collect();
            SpecRow {
                number: s.number,
                title: s.title.clone(),
                path: s.path.clone(),
                tasks: mine.len(),
                done: mine.iter().filter(|r| r.status == "done").count(),
            }
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&specs)?);
        return Ok(());
    }
    if specs.is_empty() {
        println!("no specs under specs/ (aura run writes them from requirements.md)");
    }
    for s in &specs {
        println!("{:02}  {:<40} {}/{} tasks done  {}", s.number, s.title, s.done, s.tasks, s.path);
    }
    Ok(())
}
