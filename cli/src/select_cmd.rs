//! `palisade select`: which endpoints and network sets a selector matches.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_cli::select::select;
use palisade_selector::Selector;

use crate::common::{Failure, InputArgs, finish};

/// Output formats of `select`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SelectFormat {
    /// One line per match: kind, name, addresses.
    Table,
    /// A JSON array of {"kind", "name", "addresses", "labels"}.
    Json,
}

/// Arguments of `select`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
The selector is matched as Calico's label index matches it: against each entity's own labels,
then the labels its profiles apply (namespace labels as pcns.*, service account labels as
pcsa.*), with Calico's own labels (projectcalico.org/namespace, projectcalico.org/orchestrator,
projectcalico.org/serviceaccount). It is not scoped to a namespace: a policy's selector is, so
`palisade select` shows what the raw selector matches.

Exit codes: 0 the selector is valid (even when nothing matches), 1 a problem in the input or an
invalid selector, 2 usage.")]
pub(crate) struct SelectArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The selector, e.g. "app == 'web' && has(projectcalico.org/namespace)".
    selector: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = SelectFormat::Table)]
    output: SelectFormat,
    /// Also print each match's effective labels (table output).
    #[arg(long)]
    labels: bool,
}

/// Runs `select`.
pub(crate) fn run(args: &SelectArgs) -> Result<ExitCode, String> {
    finish(select_endpoints(args))
}

fn select_endpoints(args: &SelectArgs) -> Result<ExitCode, Failure> {
    let selector = Selector::parse(&args.selector).map_err(|e| e.to_string())?;
    let cluster = args.input.load()?;
    let matches = select(cluster.model(), &selector);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.output {
        SelectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &matches).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        SelectFormat::Table => {
            let kind_width = matches
                .iter()
                .map(|m| m.kind.as_str().len())
                .max()
                .unwrap_or(0);
            let name_width = matches.iter().map(|m| m.name.len()).max().unwrap_or(0);
            for m in &matches {
                let addresses = if m.addresses.is_empty() {
                    "(no address)".to_owned()
                } else {
                    m.addresses.join(", ")
                };
                writeln!(
                    out,
                    "{:<kind_width$}  {:<name_width$}  {addresses}",
                    m.kind.as_str(),
                    m.name
                )?;
                if args.labels {
                    for (k, v) in &m.labels {
                        writeln!(out, "    {k}={v}")?;
                    }
                }
            }
            writeln!(
                out,
                "{} {} {selector}",
                matches.len(),
                if matches.len() == 1 {
                    "match for"
                } else {
                    "matches for"
                }
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
