//! `palisade eval`: would these flows be allowed, and which rule decides?

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palisade_cli::eval::{EvalConfig, OutputFormat, run_eval};
use palisade_cli::flows::{FlowLines, from_args};

use crate::common::{BackendArgs, Failure, InputArgs, PolicyArgs, finish, stdout_is_terminal};

/// Arguments of `eval`.
#[derive(Args, Debug)]
#[command(after_long_help = EVAL_HELP)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    input: InputArgs,
    // The help is an attribute: its `[...]` would be read as links in a doc comment.
    #[arg(
        help = "A flow in the text form (repeatable), e.g. 'default/client -> prod/db tcp/6379': \
                SRC -> DST PROTO[/PORT] [sport N] [ipv4|ipv6] [fragment] \
                [via hostendpoint/NAME]... [method M] [path P]. SRC and DST are NAMESPACE/POD, \
                hostendpoint/NAME or an IP address.",
        long,
        value_name = "FLOW",
        required_unless_present = "flows",
        conflicts_with = "flows"
    )]
    flow: Vec<String>,
    /// A file of flows, one per line (`-` for stdin): JSON objects such as
    /// {"src": "x/a", "dst": "10.0.1.2", "protocol": "TCP", "dstPort": 80}, or the text form.
    /// Blank lines and lines starting with `#` are skipped.
    #[arg(long, value_name = "FILE")]
    flows: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(short, long, value_enum)]
    output: Option<OutputFormat>,
    /// Show the steps taken before each decision (Log rules, Pass) and, in a table, a sentence
    /// saying why.
    #[arg(long)]
    explain: bool,
    /// Also report the pending verdict: staged policies treated as enforced.
    #[arg(long)]
    staged: bool,
    #[command(flatten)]
    policy: PolicyArgs,
}

const EVAL_HELP: &str = "\
Output (json, jsonl): one object per flow, in input order:
  {\"src\", \"dst\", \"protocol\", \"dstPort\", ..., \"verdict\": \"allow\"|\"deny\",
   \"egress\": DECISION|null, \"ingress\": DECISION|null}
where egress is the source endpoint's decision (null when the source is outside the cluster),
ingress the destination's, and DECISION is {\"verdict\", \"by\": \"rule\"|\"end-of-tier\"|
\"profile\"|\"no-match\"|\"failsafe\"|\"default\", \"tier\", \"policy\", \"kind\", \"namespace\", \"rule\"}
(fields that do not apply are left out). `via` flows add forwardIn/forwardOut; --staged adds
\"pending\": {\"verdict\", \"egress\", \"ingress\"}; --explain adds each decision's \"steps\".
A flow that cannot be read or evaluated gives {\"line\": N, \"error\": \"...\"} in its place and a
message on stderr; the other flows are still answered, and the exit code is 1.

Exit codes: 0 every flow answered, 1 a problem in the input or a flow, 2 usage.";

/// Runs `eval`.
pub(crate) fn run(args: &EvalArgs) -> Result<ExitCode, String> {
    finish(evaluate(args))
}

fn evaluate(args: &EvalArgs) -> Result<ExitCode, Failure> {
    let cluster = args.input.load()?;
    let options = args.policy.options()?;
    let evaluator = args
        .backend
        .evaluator(cluster.model(), &options, args.staged)?;
    let terminal = stdout_is_terminal();
    let format = args
        .output
        .unwrap_or_else(|| OutputFormat::default_for(terminal));
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let mut config = EvalConfig {
        format,
        explain: args.explain,
        flush_each: terminal,
        source: "--flow".to_owned(),
    };
    let summary = match &args.flows {
        None => run_eval(
            &evaluator,
            from_args(&args.flow),
            &mut out,
            &mut err,
            &config,
        )?,
        Some(path) if path.as_os_str() == "-" => {
            config.source = "stdin line".to_owned();
            let stdin = io::stdin();
            let lines = FlowLines::new(stdin.lock());
            run_eval(&evaluator, lines, &mut out, &mut err, &config)?
        }
        Some(path) => {
            let file = File::open(path)
                .map_err(|e| format!("cannot read flows from {}: {e}", path.display()))?;
            config.source = format!("{} line", path.display());
            let lines: FlowLines<BufReader<File>> =
                FlowLines::new(BufReader::with_capacity(64 * 1024, file));
            run_eval(&evaluator, lines, &mut out, &mut err, &config)?
        }
    };
    out.flush()?;
    Ok(if summary.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
