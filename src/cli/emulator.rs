//! `aura emulator`: the provider emulator as a standalone server, for demos and manual tests.

use std::path::PathBuf;

use crate::llm::ProviderKind;
use crate::llm::emulator::Emulator;
use crate::llm::emulator::script::{Script, Turn};

#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A JSON script of turns to play (default: one greeting)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["demo", "chat_demo"])]
    pub script: Option<PathBuf>,
    /// Play the scripted demo run (a small Rust library built through `aura run`)
    #[arg(long, conflicts_with = "chat_demo")]
    pub demo: bool,
    /// Play the chat demo (a read, then one edit with two hunks to review, then an answer)
    #[arg(long)]
    pub chat_demo: bool,
    /// Milliseconds between streamed chunks, to stream like a real model (default: the script's)
    #[arg(long, value_name = "MS")]
    pub chunk_delay: Option<u64>,
}

pub fn emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    let mut script = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the script {}: {e}", path.display()))?;
            serde_json::from_str::<Script>(&text)
                .map_err(|e| anyhow::anyhow!("the script {} is not a valid emulator script: {e}", path.display()))?
        }
        None if args.demo => crate::llm::emulator::demo::script(),
        None if args.chat_demo => crate::llm::emulator::demo::chat_script(),
        None => Script::new(vec![Turn::text("Hello from the Aura provider emulator.")]),
    };
    if let Some(ms) = args.chunk_delay {
        script.chunk_delay_ms = ms;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let emulator = Emulator::bind(script, args.port).await?;
        println!("provider emulator listening on {}", emulator.addr());
        for (kind, name) in
            [(ProviderKind::Anthropic, "anthropic"), (ProviderKind::Openai, "openai"), (ProviderKind::Ollama, "ollama")]
        {
            println!("  --provider {name:<9} --base-url {}", emulator.base_url(kind));
        }
        tokio::signal::ctrl_c().await?;
        Ok(())
    })
}
