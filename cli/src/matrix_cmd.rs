//! `palisade matrix`: the pod-to-pod reachability table.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_cli::matrix::{PortSpec, compute, select_workloads};
use palisade_cli::report::FlowJson;
use palisade_selector::Selector;

use crate::common::{BackendArgs, Failure, InputArgs, PolicyArgs, finish};

/// Output formats of `matrix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MatrixFormat {
    /// Truth tables like the Kubernetes network-policy e2e tests: `.` allowed, `X` denied.
    Table,
    /// One JSON object: the endpoints and, per port, `allowed[source][destination]`.
    Json,
    /// One `eval` JSON object per cell, with both decisions.
    Jsonl,
}

/// Arguments of `matrix`.
#[derive(Args, Debug)]
#[command(after_long_help = MATRIX_HELP)]
pub(crate) struct MatrixArgs {
    #[command(flatten)]
    input: InputArgs,
    /// A port to probe (repeatable): tcp/80, udp/53, sctp/9, udplite/7, icmp/8, icmpv6/128/0.
    #[arg(long, value_name = "PROTO/PORT", default_value = "tcp/80", value_parser = parse_port)]
    port: Vec<PortSpec>,
    /// Only workloads in this namespace (repeatable).
    #[arg(long, value_name = "NAMESPACE")]
    namespace: Vec<String>,
    /// Only workloads whose effective labels match this selector, e.g. "app == 'web'".
    #[arg(long, value_name = "SELECTOR")]
    selector: Option<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = MatrixFormat::Table)]
    output: MatrixFormat,
    /// Show the pending verdicts (staged policies treated as enforced) instead of the enforced
    /// ones.
    #[arg(long)]
    pending: bool,
    #[command(flatten)]
    policy: PolicyArgs,
}

const MATRIX_HELP: &str = "\
Every selected workload (a pod or WorkloadEndpoint with an address) is a row (source) and a
column (destination). A cell is the verdict of the flow from the row's workload to the column's
on the port: allowed only if the source's egress and the destination's ingress both allow it.
The diagonal (a workload to itself) is evaluated like any other flow; in a real cluster a pod's
traffic to its own address never leaves the pod.

Exit codes: 0 every cell evaluated, 1 a problem in the input or a cell that could not be
evaluated (marked ?), 2 usage.";

fn parse_port(text: &str) -> Result<PortSpec, String> {
    text.parse()
}

/// Runs `matrix`.
pub(crate) fn run(args: &MatrixArgs) -> Result<ExitCode, String> {
    finish(matrix(args))
}

fn matrix(args: &MatrixArgs) -> Result<ExitCode, Failure> {
    let selector = match &args.selector {
        Some(text) => Some(Selector::parse(text).map_err(|e| format!("--selector: {e}"))?),
        None => None,
    };
    let cluster = args.input.load()?;
    let model = cluster.model();
    let (endpoints, skipped) =
        select_workloads(model, &args.namespace, selector.as_ref()).map_err(|e| e.to_string())?;
    if !args.input.quiet {
        for key in &skipped {
            eprintln!("warning: {key} has no address; it is left out of the matrix");
        }
    }
    let options = args.policy.options()?;
    let evaluator = args.backend.evaluator(model, &options, args.pending)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let jsonl = args.output == MatrixFormat::Jsonl;
    let matrix = compute(
        &evaluator,
        &endpoints,
        &args.port,
        args.pending,
        |outcome| {
            if jsonl && let Ok(outcome) = outcome {
                serde_json::to_writer(
                    &mut out,
                    &FlowJson {
                        outcome,
                        explain: false,
                    },
                )
                .map_err(io::Error::from)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        },
    )?;
    match args.output {
        MatrixFormat::Table => matrix.write_table(&mut out)?,
        MatrixFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &matrix.to_json()).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        MatrixFormat::Jsonl => {}
    }
    out.flush()?;
    let errors = matrix.errors();
    for (port, src, dst, message) in &errors {
        eprintln!("error: {src} -> {dst} {port}: {message}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
