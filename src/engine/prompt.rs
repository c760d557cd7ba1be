//! Prompts laid out for the cache: (1) the role's system prompt and tool schemas, frozen for a
//! session; (2) the project context (AGENTS.md, pinned memory, a rotation summary, and after a
//! compaction the current task's brief), which changes only at rotation and compaction points;
//! (3) the append-only transcript; (4) the new message. Task briefs are appended to the transcript
//! as user messages, so starting a task never invalidates the cached prefix.

use std::path::Path;

use crate::domain::ToolSpec;
use crate::tools::registry::{self, EDIT_TOOLS, READ_TOOLS};

/// What an agent is asked to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Planner,
    Worker,
    SpecWriter,
    TaskRepair,
    /// The main chat of a project: reads, edits through review, runs commands.
    Chat,
    /// A Drone: with `writes`, it edits and runs commands; without, it only reads and remembers.
    Drone {
        writes: bool,
    },
}

impl Role {
    fn prompt(self) -> &'static str {
        match self {
            Role::Planner => include_str!("../../assets/prompts/planner.md"),
            Role::Worker | Role::Chat => include_str!("../../assets/prompts/worker.md"),
            Role::SpecWriter => include_str!("../../assets/prompts/specgen.md"),
            Role::TaskRepair => include_str!("../../assets/prompts/taskgen.md"),
            Role::Drone { .. } => include_str!("../../assets/prompts/drone.md"),
        }
    }

    /// The tools the role is given, in a fixed order (the order is part of the cached prefix).
    pub fn tool_names(self) -> Vec<&'static str> {
        let mut names: Vec<&str> = READ_TOOLS.to_vec();
        match self {
            Role::Planner => names.extend(["search_memory", "submit_work_order"]),
            Role::Worker => {
                names.extend(EDIT_TOOLS);
                names.extend(["save_memory", "search_memory", "ask_user"]);
            }
            Role::Chat => {
                names.extend(EDIT_TOOLS);
                names.extend(["save_memory", "search_memory"]);
            }
            Role::SpecWriter | Role::TaskRepair => names.extend(["replace", "write_file"]),
            Role::Drone { writes } => {
                if writes {
                    names.extend(EDIT_TOOLS);
                }
                names.extend(["save_memory", "search_memory"]);
            }
        }
        names
    }

    pub fn tools(self) -> Vec<ToolSpec> {
        registry::specs(&self.tool_names())
    }
}

/// The summary prompt, sent as the last user message of a session being rotated.
pub const SUMMARY_PROMPT: &str = include_str!("../../assets/prompts/summary.md");

/// Layer 2: what the project tells every agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectContext {
    /// A Drone's role and instructions, from its manifest: fixed for its session, so they lead.
    pub instructions: Option<String>,
    /// The workspace's `AGENTS.md`, the rules its people wrote for agents.
    pub agents_md: Option<String>,
    pub pinned_memory: Vec<String>,
    /// The summary the previous session left at rotation.
    pub summary: Option<String>,
    /// The current task's goal and plan, put here when a compaction or rotation builds a new prefix.
    pub task_brief: Option<String>,
}

/// Largest AGENTS.md taken into the context; the rest is cut with a note.
const MAX_AGENTS_MD: usize = 16 * 1024;

impl ProjectContext {
    /// Reads AGENTS.md from the workspace root, if there is one.
    pub fn load_agents_md(root: &Path) -> Option<String> {
        let text = std::fs::read_to_string(root.join("AGENTS.md")).ok()?;
        if text.len() <= MAX_AGENTS_MD {
            return Some(text);
        }
        let mut end = MAX_AGENTS_MD;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Some(format!("{}\n[AGENTS.md continues; read the file for the rest]", &text[..end]))
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(instructions) = &self.instructions {
            out.push_str(&format!("\n\n# Your role\n\n{}", instructions.trim_end()));
        }
        if let Some(rules) = &self.agents_md {
            out.push_str(&format!("\n\n# Project rules (AGENTS.md)\n\n{}", rules.trim_end()));
        }
        if !self.pinned_memory.is_empty() {
            out.push_str("\n\n# Project memory (pinned)\n");
            for entry in &self.pinned_memory {
                out.push_str(&format!("\n- {}", entry.trim()));
            }
        }
        if let Some(summary) = &self.summary {
            out.push_str(&format!("\n\n# Where the previous session left off\n\n{}", summary.trim_end()));
        }
        if let Some(brief) = &self.task_brief {
            out.push_str(&format!("\n\n# The current task\n\n{}", brief.trim_end()));
        }
        out
    }
}

/// Layers 1 and 2 as one system text.
pub fn system(role: Role, context: &ProjectContext) -> String {
    format!("{}{}", role.prompt().trim_end(), context.render())
}

/// Tokens the role costs before any project context or message: its prompt and tool schemas,
/// estimated at 4 bytes a token (the rule the emulator also uses).
pub fn fixed_overhead_tokens(role: Role) -> u64 {
    let schemas = serde_json::to_string(&role.tools()).map(|s| s.len()).unwrap_or(0);
    (role.prompt().len() + schemas).div_ceil(4) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_and_planner_stay_under_the_fixed_overhead_budget() {
        for role in [
            Role::Worker,
            Role::Planner,
            Role::SpecWriter,
            Role::TaskRepair,
            Role::Chat,
            Role::Drone { writes: true },
            Role::Drone { writes: false },
        ] {
            let tokens = fixed_overhead_tokens(role);
            assert!(tokens < 4_000, "{role:?} costs {tokens} tokens before any context");
            assert!(tokens > 300, "{role:?} has its prompt and tools ({tokens})");
        }
    }

    #[test]
    fn context_layers_come_after_the_role_prompt_in_a_fixed_order() {
        let context = ProjectContext {
            instructions: Some("Keep the docs in step.".into()),
            agents_md: Some("Use tabs.".into()),
            pinned_memory: vec!["warning: flaky test x".into()],
            summary: Some("## Decisions\nnone".into()),
            task_brief: Some("## Goal\nAdd".into()),
        };
        let text = system(Role::Worker, &context);
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("You are the Worker") < at("Keep the docs in step."));
        assert!(at("Keep the docs in step.") < at("Use tabs."));
        assert!(at("Use tabs.") < at("flaky test x"));
        assert!(at("flaky test x") < at("## Decisions"));
        assert!(at("## Decisions") < at("## Goal"));
        assert_eq!(system(Role::Worker, &ProjectContext::default()), Role::Worker.prompt().trim_end());
    }
}
