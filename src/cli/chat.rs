//! `aura chat`: one message to a model, the reply streamed to stdout as it arrives, then a line with
//! the usage and cost. Keys come from the environment.

use std::io::Write;
use std::path::Path;

use crate::llm::catalog::{self, Catalog, ModelInfo};
use crate::llm::{ChatRequest, ProviderConfig, RetryPolicy, StreamEvent};

use super::ModelArgs;
use crate::store::{Store, StoreOptions, Table};

/// What `aura chat` needs besides the data dir.
#[derive(Debug, Clone, clap::Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A system prompt
    #[arg(long)]
    pub system: Option<String>,
    #[arg(long, default_value_t = 4096)]
    pub max_tokens: u32,
    /// The message to send
    pub message: String,
}

pub fn chat(args: ChatArgs, data_dir: &Path) -> anyhow::Result<()> {
    let catalog = Catalog::with_user_entries(user_catalog(data_dir));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let provider =
            ProviderConfig { kind: args.model.provider, base_url: args.model.base_url.clone(), api_key: None }
                .connect(RetryPolicy::default());
        let mut request = ChatRequest::simple(&args.model.model, &args.message);
        request.system = args.system.clone().unwrap_or_default();
        request.max_output_tokens = args.max_tokens;
        let mut stream = provider.stream(request);
        let mut stdout = std::io::stdout().lock();
        let mut stderr = std::io::stderr();
        let mut usage: Option<crate::domain::Usage> = None;
        let mut ended_with_newline = true;
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::TextDelta { text } => {
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                    ended_with_newline = text.ends_with('\n');
                }
                StreamEvent::ReasoningDelta { text } => {
                    stderr.write_all(text.as_bytes())?;
                }
                StreamEvent::Usage { usage: u } => usage = Some(u),
                _ => {}
            }
        }
        if !ended_with_newline {
            writeln!(stdout)?;
        }
        let Some(usage) = usage else {
            // Some servers (llama-cpp-python among them) ignore `include_usage`: say so, never print zeros.
            let cost = if provider.is_local() { "$0 (local)" } else { "unknown" };
            writeln!(stdout, "usage: not reported by {} · cost {cost}", provider.name())?;
            return Ok(());
        };
        let cost = if provider.is_local() {
            "$0 (local)".to_string()
        } else {
            match catalog.cost(&args.model.model, &usage) {
                Some(cost) => format!("${cost:.6}"),
                None => "unknown (add the model's prices to the catalog in Settings)".to_string(),
            }
        };
        writeln!(
            stdout,
            "usage: input {} · cached {} · cache write {} · output {} · cost {cost}",
            usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens, usage.output_tokens
        )?;
        Ok(())
    })
}

/// The user's own catalog entries, if a store exists; never creates one.
fn user_catalog(data_dir: &Path) -> Vec<ModelInfo> {
    if !data_dir.join("data.mdb").exists() {
        return Vec::new();
    }
    match Store::open(data_dir, &StoreOptions::default())
        .and_then(|s| s.get_value(Table::Settings, catalog::SETTINGS_KEY))
    {
        Ok(entries) => entries.unwrap_or_default(),
        Err(e) => {
            tracing::warn!("the model catalog's user entries could not be read: {e}");
            Vec::new()
        }
    }
}
