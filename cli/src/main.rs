//! `palisade`: check, evaluate, explain and compile Calico network policy.
//!
//! The subcommands are thin: argument parsing here, the work in the `palisade_cli` library.
//!
//! Exit codes: 0 success, 1 a problem in the input (with a message on stderr), 2 usage errors.

mod apply_cmd;
mod check_cmd;
mod common;
mod compile_cmd;
mod conform_cmd;
mod demo;
mod eval_cmd;
mod matrix_cmd;
mod select_cmd;
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
    /// Would these flows be allowed, and which rule decides? (--explain says why.)
    Eval(eval_cmd::EvalArgs),
    /// The pod-to-pod reachability table for some ports.
    Matrix(matrix_cmd::MatrixArgs),
    /// Dry run: what policy compiles to (IR program, classifier tables, nft script, eBPF maps).
    Compile(compile_cmd::CompileArgs),
    /// List the endpoints and network sets a selector matches, with their addresses.
    Select(select_cmd::SelectArgs),
    /// Enforce the policy on real interfaces with the nft or eBPF dataplane (root).
    Apply(apply_cmd::ApplyArgs),
    /// Take away everything `palisade apply` installed (root).
    Remove(apply_cmd::RemoveArgs),
    /// A tour on the example cluster built into palisade (the README's main command).
    Demo(demo::DemoArgs),
    /// Run the conformance corpus and generated cases on every engine; exit 1 on any
    /// disagreement.
    Conform(conform_cmd::ConformArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Selector(cmd) => selector_cmd::run(cmd),
        Command::Check(args) => check_cmd::run(&args),
        Command::Eval(args) => eval_cmd::run(&args),
        Command::Matrix(args) => matrix_cmd::run(&args),
        Command::Compile(args) => compile_cmd::run(&args),
        Command::Select(args) => select_cmd::run(&args),
        Command::Apply(args) => apply_cmd::run(&args),
        Command::Remove(args) => apply_cmd::run_remove(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Conform(args) => conform_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// `--help` is complete: every subcommand has an description and every argument a help text.
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some() || arg.get_long_help().is_some(),
                    "`{path}` argument `{id}` has no help text"
                );
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() == "help" {
                    continue;
                }
                let name = format!("{path} {}", sub.get_name());
                assert!(sub.get_about().is_some(), "`{name}` has no description");
                walk(sub, &name);
            }
        }
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        walk(&cmd, "palisade");
    }
}
