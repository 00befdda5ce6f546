//! `palisade compile`: what an endpoint's policy compiles to (a dry run; nothing is applied).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_cli::dataplane::{self, InterfaceBinding};
use palisade_cli::dump;
use palisade_compiler::compile;
use palisade_compiler::ir::Hook;
use palisade_policy_model::model::{Direction, EndpointKey, Model};

use crate::common::{Failure, InputArgs, PolicyArgs, finish, parse_endpoint};

/// What to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Emit {
    /// The IR program of each hook (first-match rules with their origins) and the IP sets it
    /// references.
    Ir,
    /// The fast classifier's tables: atoms per field, blocks, rules (summarised in text; the
    /// full tables with -o json).
    Classifier,
    /// The nftables script `palisade apply --dataplane nft` commits (accepted by `nft -c -f`):
    /// the `palisade` table for the `--interface` bindings, or else for the selected endpoints
    /// (every endpoint without --endpoint) on their `interfaceName`, or on placeholder
    /// interfaces `palwN`/`palhN` named in the script's header.
    Nft,
    /// The eBPF dataplane's maps: one slot per distinct program, its blocks, heap tables and
    /// interval maps (JSON with -o json), for the selected endpoints or the whole snapshot.
    EbpfMaps,
}

/// A direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DirectionArg {
    /// Into the endpoint.
    Ingress,
    /// Out of the endpoint.
    Egress,
}

/// A hook of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum HookArg {
    /// Traffic into a workload.
    WorkloadIngress,
    /// Traffic out of a workload.
    WorkloadEgress,
    /// Traffic to the host itself through a host endpoint.
    HostIngress,
    /// Traffic from the host itself through a host endpoint.
    HostEgress,
    /// Traffic forwarded in through a host endpoint (applyOnForward policies).
    HostForwardIngress,
    /// Traffic forwarded out through a host endpoint (applyOnForward policies).
    HostForwardEgress,
    /// Pre-DNAT policy on traffic arriving at a host endpoint.
    HostPreDnatIngress,
    /// Untracked (doNotTrack) policy on traffic arriving at a host endpoint.
    HostUntrackedIngress,
    /// Untracked (doNotTrack) policy on traffic leaving through a host endpoint.
    HostUntrackedEgress,
}

impl HookArg {
    fn hook(self) -> Hook {
        match self {
            HookArg::WorkloadIngress => Hook::WorkloadIngress,
            HookArg::WorkloadEgress => Hook::WorkloadEgress,
            HookArg::HostIngress => Hook::HostIngress,
            HookArg::HostEgress => Hook::HostEgress,
            HookArg::HostForwardIngress => Hook::HostForwardIngress,
            HookArg::HostForwardEgress => Hook::HostForwardEgress,
            HookArg::HostPreDnatIngress => Hook::HostPreDnatIngress,
            HookArg::HostUntrackedIngress => Hook::HostUntrackedIngress,
            HookArg::HostUntrackedEgress => Hook::HostUntrackedEgress,
        }
    }
}

/// Output formats of `compile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompileFormat {
    /// Readable text.
    Text,
    /// JSON (the IR and classifier types' own serialisation).
    Json,
}

/// Arguments of `compile`.
#[derive(Args, Debug)]
pub(crate) struct CompileArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The endpoint: NAMESPACE/POD or hostendpoint/NAME (repeatable). Required for `ir` and
    /// `classifier`; `nft` and `ebpf-maps` take every endpoint when none is given.
    #[arg(long, value_name = "ENDPOINT", value_parser = parse_endpoint)]
    endpoint: Vec<EndpointKey>,
    /// With `--emit nft`: enforce ENDPOINT on interface IF (repeatable), as `palisade apply`
    /// would: IF=NAMESPACE/POD or IF=hostendpoint/NAME (`*=hostendpoint/NAME` for every other
    /// interface).
    #[arg(long = "interface", value_name = "IF=ENDPOINT")]
    interfaces: Vec<InterfaceBinding>,
    /// With `--emit nft`: give every policy rule a named counter, as `palisade apply
    /// --rule-counters` would.
    #[arg(long)]
    rule_counters: bool,
    /// Only the hooks of this direction (default: every hook of the endpoint).
    #[arg(long, value_enum)]
    direction: Option<DirectionArg>,
    /// Only this hook.
    #[arg(long, value_enum)]
    hook: Option<HookArg>,
    /// What to emit.
    #[arg(long, value_enum, default_value_t = Emit::Ir)]
    emit: Emit,
    /// Output format (`nft` is always text).
    #[arg(short, long, value_enum, default_value_t = CompileFormat::Text)]
    output: CompileFormat,
    /// With `--emit ebpf-maps`: include every heap table's words.
    #[arg(long)]
    words: bool,
    /// Compile the pending form: staged policies treated as enforced.
    #[arg(long)]
    pending: bool,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Runs `compile`.
pub(crate) fn run(args: &CompileArgs) -> Result<ExitCode, String> {
    finish(compile_endpoint(args))
}

fn usage(message: &str) -> ! {
    clap::Error::raw(clap::error::ErrorKind::MissingRequiredArgument, message).exit()
}

fn compile_endpoint(args: &CompileArgs) -> Result<ExitCode, Failure> {
    if args.endpoint.is_empty() && matches!(args.emit, Emit::Ir | Emit::Classifier) {
        usage("--emit ir and --emit classifier need --endpoint ENDPOINT\n");
    }
    if !args.interfaces.is_empty() && args.emit != Emit::Nft {
        usage("--interface is only for --emit nft\n");
    }
    if args.rule_counters && args.emit != Emit::Nft {
        usage("--rule-counters is only for --emit nft\n");
    }
    let cluster = args.input.load()?;
    let model = cluster.model();
    let direction = args.direction.map(|d| match d {
        DirectionArg::Ingress => Direction::Ingress,
        DirectionArg::Egress => Direction::Egress,
    });
    let mut targets = Vec::new();
    for endpoint in &args.endpoint {
        let found = dump::targets(model, endpoint, direction, args.hook.map(HookArg::hook))
            .map_err(|e| e.to_string())?;
        if found.is_empty() {
            return Err(Failure::Message(format!(
                "{endpoint} has no hook in that direction"
            )));
        }
        targets.extend(found);
    }
    let options = args.policy.options()?.pending(args.pending);
    let snapshot = compile(model, &options)
        .map_err(|errors| format!("the policy does not compile:\n  {errors}"))?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let dumped = match (args.emit, args.output) {
        (Emit::Ir, CompileFormat::Text) => dump::write_ir_text(&mut out, &snapshot, &targets),
        (Emit::Classifier, CompileFormat::Text) => {
            dump::write_classifier_text(&mut out, &snapshot, &targets)
        }
        (Emit::Ir, CompileFormat::Json) => dump::ir_json(&snapshot, &targets)
            .and_then(|v| write_json(&mut out, &v).map_err(dump::DumpError::from)),
        (Emit::Classifier, CompileFormat::Json) => dump::classifier_json(&snapshot, &targets)
            .and_then(|v| write_json(&mut out, &v).map_err(dump::DumpError::from)),
        (Emit::Nft, _) => {
            let text = nft_script(args, model, &snapshot)?;
            out.write_all(text.as_bytes())
                .map_err(dump::DumpError::from)
        }
        (Emit::EbpfMaps, format) => {
            let only = (!args.endpoint.is_empty()).then_some(targets.as_slice());
            let maps = dataplane::ebpf_maps(&snapshot, only, args.words);
            match format {
                CompileFormat::Text => write!(out, "{maps}").map_err(dump::DumpError::from),
                CompileFormat::Json => serde_json::to_value(&maps)
                    .map_err(|e| dump::DumpError::from(io::Error::other(e)))
                    .and_then(|v| write_json(&mut out, &v).map_err(dump::DumpError::from)),
            }
        }
    };
    match dumped {
        Ok(()) => {}
        Err(dump::DumpError::Io {
            kind: io::ErrorKind::BrokenPipe,
            ..
        }) => return Err(Failure::BrokenPipe),
        Err(e) => return Err(Failure::Message(e.to_string())),
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The nft script: a header naming the bindings, then the table.
fn nft_script(
    args: &CompileArgs,
    model: &Model,
    snapshot: &palisade_compiler::Snapshot,
) -> Result<String, Failure> {
    let (bindings, placeholders) = if args.interfaces.is_empty() {
        let endpoints = if args.endpoint.is_empty() {
            dataplane::all_endpoints(model)
        } else {
            args.endpoint.clone()
        };
        dataplane::default_bindings(model, &endpoints)
    } else {
        (args.interfaces.clone(), Vec::new())
    };
    dataplane::check_bindings(model, &bindings).map_err(|e| e.to_string())?;
    let mut text = String::from(
        "# palisade compile --emit nft: the table `palisade apply --dataplane nft` commits\n",
    );
    for b in &bindings {
        let note = if placeholders.contains(b) {
            " (placeholder: the input names no interface for it)"
        } else {
            ""
        };
        text.push_str(&format!(
            "# {} enforces {}{note}\n",
            b.interface, b.endpoint
        ));
    }
    text.push_str(
        &dataplane::nft_text(model, snapshot, &bindings, args.rule_counters)
            .map_err(|e| e.to_string())?,
    );
    Ok(text)
}

fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
