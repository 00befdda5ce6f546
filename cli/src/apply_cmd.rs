//! `palisade apply` and `palisade remove`: enforce policy on real interfaces with a kernel
//! dataplane, and take it away again.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use palisade_cli::dataplane::{self, DataplaneKind, EbpfRemoved, InterfaceBinding};
use palisade_compiler::compile;

use crate::common::{InputArgs, PolicyArgs};

/// Arguments of `apply`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Persistence:
  nft   the `palisade` inet table is committed atomically (replacing any previous one) and stays
        in the kernel after the command exits; what was applied is recorded under /run/palisade
        for `palisade remove --interface`.
  ebpf  the programs are attached with bpf links that live as long as this process: apply stays
        in the foreground and enforces until it is stopped (Ctrl-C, SIGTERM, or `palisade remove
        --dataplane ebpf` from another shell); the kernel detaches everything when it exits.

Both act in the caller's network namespace (use `ip netns exec NS palisade apply ...` for
another) and need root. Every interface must exist; on any error nothing is applied.")]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The dataplane that enforces.
    #[arg(long, value_enum)]
    dataplane: DataplaneKind,
    /// Enforce ENDPOINT's policy on interface IF (repeatable): IF=NAMESPACE/POD for a workload's
    /// host-side interface (e.g. its veth), IF=hostendpoint/NAME for a host interface
    /// (`*=hostendpoint/NAME`: every other interface, nft only).
    #[arg(long = "interface", value_name = "IF=ENDPOINT", required = true)]
    interfaces: Vec<InterfaceBinding>,
    /// nft only: give every policy rule a named counter (`nft list counters table inet
    /// palisade`). Off by default: counted rules need a chain each, and adding an address to an
    /// IP set then costs the kernel a validation of the whole table.
    #[arg(long)]
    rule_counters: bool,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Runs `apply`.
pub(crate) fn run(args: &ApplyArgs) -> Result<ExitCode, String> {
    let cluster = args.input.load()?;
    let model = cluster.model();
    let options = args.policy.options()?;
    if args.rule_counters && args.dataplane != DataplaneKind::Nft {
        return Err("--rule-counters is only for --dataplane nft".into());
    }
    dataplane::check_bindings(model, &args.interfaces).map_err(|e| e.to_string())?;
    let snapshot = compile(model, &options).map_err(|errors| {
        format!("the policy does not compile; nothing was applied:\n  {errors}")
    })?;
    match args.dataplane {
        DataplaneKind::Nft => {
            let outcome =
                dataplane::nft_apply(model, &snapshot, &args.interfaces, args.rule_counters)
                    .map_err(|e| e.to_string())?;
            let mut out = io::stdout().lock();
            for b in &outcome.bound {
                let _ = writeln!(out, "nft: {} enforces {}", b.interface, b.endpoint);
            }
            let _ = writeln!(
                out,
                "nft: table inet {} committed ({} chains); it stays until `palisade remove --dataplane nft`",
                dataplane::NFT_TABLE,
                outcome.chains
            );
            Ok(ExitCode::SUCCESS)
        }
        DataplaneKind::Ebpf => {
            let applied = dataplane::ebpf_apply(model, &snapshot, &args.interfaces)
                .map_err(|e| e.to_string())?;
            {
                let mut out = io::stdout().lock();
                for b in applied.bindings() {
                    let _ = writeln!(out, "ebpf: {} enforces {}", b.interface, b.endpoint);
                }
                let report = applied.report();
                let _ = writeln!(
                    out,
                    "ebpf: {} programs published, {} attachments; enforcing until this process \
                     stops (Ctrl-C, SIGTERM or `palisade remove --dataplane ebpf`)",
                    report.programs_published,
                    report.attached.len()
                );
                let _ = out.flush();
            }
            // The bpf links live as long as this process; a signal ends it and the kernel
            // detaches them.
            loop {
                std::thread::park();
            }
        }
    }
}

/// Arguments of `remove`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
nft: deletes the `palisade` table, or with --interface re-commits it without those interfaces.
ebpf: stops the `palisade apply --dataplane ebpf` running in this network namespace; the kernel
detaches its programs (a running apply is stopped as a whole: --interface is refused).
Removing when nothing is applied succeeds. Needs root.")]
pub(crate) struct RemoveArgs {
    /// The dataplane to remove Palisade's enforcement from.
    #[arg(long, value_enum)]
    dataplane: DataplaneKind,
    /// Remove only this interface's binding (repeatable; nft). Default: everything.
    #[arg(long = "interface", value_name = "IF")]
    interfaces: Vec<String>,
}

/// Runs `remove`.
pub(crate) fn run_remove(args: &RemoveArgs) -> Result<ExitCode, String> {
    let mut out = io::stdout().lock();
    match args.dataplane {
        DataplaneKind::Nft => {
            let outcome = dataplane::nft_remove(&args.interfaces).map_err(|e| e.to_string())?;
            if outcome.bound.is_empty() {
                let _ = writeln!(
                    out,
                    "nft: {}",
                    if outcome.removed {
                        "table inet palisade deleted"
                    } else {
                        "nothing was installed"
                    }
                );
            } else {
                for b in &outcome.bound {
                    let _ = writeln!(out, "nft: {} still enforces {}", b.interface, b.endpoint);
                }
            }
        }
        DataplaneKind::Ebpf => {
            match dataplane::ebpf_remove(&args.interfaces).map_err(|e| e.to_string())? {
                EbpfRemoved::Stopped(pid) => {
                    let _ = writeln!(
                        out,
                        "ebpf: stopped palisade apply (pid {pid}); programs detached"
                    );
                }
                EbpfRemoved::NothingApplied => {
                    let _ = writeln!(out, "ebpf: nothing was applied");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
