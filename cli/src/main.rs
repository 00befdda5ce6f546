//! `palisade`: check, explain and compile Calico network policy.
//!
//! Exit codes: 0 success, 1 a problem in the input (with a message on stderr), 2 usage errors.

mod check_cmd;
mod demo;
mod selector_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Palisade: the Calico network-policy model, checked, explained and compiled.
#[derive(Parser)]
#[command(name = "palisade", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with Calico selectors: parse to canonical form, match against labels, compute IDs.
    #[command(subcommand)]
    Selector(selector_cmd::SelectorCommand),
    /// Load and validate resources; print every problem with its location (exit 1 if any).
    Check(check_cmd::CheckArgs),
    /// Run the demo on the bundled examples (the README's main command).
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Selector(cmd) => selector_cmd::run(cmd),
        Command::Check(args) => check_cmd::run(&args),
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
