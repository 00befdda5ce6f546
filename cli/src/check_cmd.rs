//! `palisade check -f PATH…`: load, validate and report every problem.
//!
//! Problems are printed on **stdout**, one per line, as `file:line:column: field.path: message`
//! (the path is left out for whole-document problems), followed by a summary line. The exit code
//! is 0 when there is no problem and 1 otherwise; usage errors exit with 2 (clap).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palisade_policy_model::{LoadOptions, load_paths};

/// Arguments of `check`.
#[derive(Args)]
pub(crate) struct CheckArgs {
    /// A file or directory to read (repeatable). Directories are read recursively (`.yaml`,
    /// `.yml`, `.json`, in sorted order).
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    files: Vec<PathBuf>,
    /// Ignore unknown fields (for objects dumped from a cluster). By default they are errors.
    #[arg(long)]
    lenient: bool,
}

/// Runs `check`.
pub(crate) fn run(args: &CheckArgs) -> Result<ExitCode, String> {
    let options = if args.lenient {
        LoadOptions::lenient()
    } else {
        LoadOptions::strict()
    };
    let loaded = load_paths(&args.files, &options);
    for problem in &loaded.problems {
        println!("{problem}");
    }
    let resources = loaded.resources.len();
    let noun = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if loaded.problems.is_empty() {
        println!("ok: {} valid", noun(resources, "resource", "resources"));
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} found; {} valid",
            noun(loaded.problems.len(), "problem", "problems"),
            noun(resources, "resource", "resources")
        );
        Ok(ExitCode::from(1))
    }
}
