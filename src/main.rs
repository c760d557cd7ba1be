use std::process::ExitCode;

use clap::Parser;

use aura::cli::{Args, CliCommand};

fn main() -> ExitCode {
    // The sandbox helper confines itself and execs the command: nothing else of Aura starts.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == aura::tools::sandbox::HELPER_ARG) {
        return ExitCode::from(aura::tools::sandbox::child::main(&args[2..]) as u8);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AURA_LOG").unwrap_or_else(|_| "aura=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let data_dir = aura::store::resolve_data_dir(args.data_dir);
    let result = match args.command {
        None => aura::ui::run(data_dir, args.open),
        Some(CliCommand::Doctor) => aura::cli::doctor(&data_dir),
        Some(CliCommand::Chat(chat)) => aura::cli::chat(chat, &data_dir),
        Some(CliCommand::Emulator(emulator)) => aura::cli::emulator(emulator),
        Some(CliCommand::ApplyPatch(patch)) => aura::cli::apply_patch(patch),
        Some(CliCommand::Validate(validate)) => aura::cli::validate(validate, &data_dir),
        Some(CliCommand::Run(run)) => return aura::cli::run(run, &data_dir),
        Some(CliCommand::Specs(list)) => aura::cli::list_specs(list, &data_dir),
        Some(CliCommand::Tasks(list)) => aura::cli::list_tasks(list, &data_dir),
        Some(CliCommand::Drone(command)) => return aura::cli::drone(command, &data_dir),
        Some(CliCommand::Mcp(command)) => return aura::cli::mcp(command, &data_dir),
        Some(CliCommand::Companion(companion)) => aura::cli::companion(companion, &data_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aura: {e:#}");
            ExitCode::FAILURE
        }
    }
}
