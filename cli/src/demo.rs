//! `palisade demo`: a tour on the example cluster (the README's main command).
//!
//! The example cluster (`examples/cluster/`) is embedded in the binary, so the demo runs from any
//! directory; `--examples DIR` reads another directory instead. The demo prints what it loaded,
//! the notes, the reachability matrix for a few ports, and explains flows that show tier
//! precedence, Pass, Log, end-of-tier, a Kubernetes default deny, host endpoint failsafes,
//! `defaultEndpointToHostAction` and the order tie-break.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palisade_cli::backend::{Backend, Evaluator};
use palisade_cli::cluster::Cluster;
use palisade_cli::examples::EXAMPLE_CLUSTER;
use palisade_cli::explain::write_table;
use palisade_cli::matrix::{PortSpec, compute, select_workloads};
use palisade_compiler::CompileOptions;
use palisade_compiler::flow::Flow;
use palisade_policy_model::LoadOptions;
use palisade_policy_model::model::policy_order;
use palisade_policy_model::values::TierAction;

use crate::common::{Failure, finish};

/// Arguments of `demo`.
#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Read the example cluster from this directory instead of the copy built into the binary.
    #[arg(long, value_name = "DIR")]
    examples: Option<PathBuf>,
}

/// The flows the demo explains: (what it shows, the flow).
const TOUR: [(&str, &str); 8] = [
    (
        "Tier precedence: the platform tier allows cat's DNS, but the security tier comes first \
         and denies all of cat's egress",
        "default/cat -> kube-system/coredns udp/53",
    ),
    (
        "Log and Pass: the security tier logs SSH to any endpoint and passes; the default tier \
         decides",
        "prod/frontend -> prod/database tcp/22",
    ),
    (
        "Order tie-break: allow-egress-same-namespace and deny-blue both have no order, so they \
         sort by name and the allow comes first",
        "default/client -> default/web tcp/80",
    ),
    (
        "End of tier: on another port only deny-blue matches the ingress, and nothing allows the \
         egress",
        "default/client -> default/web tcp/8080",
    ),
    (
        "Kubernetes default deny: monitoring's deny-all has no rules, so Prometheus's egress ends \
         in the tier's drop although alertmanager-mesh allows the ingress",
        "monitoring/prometheus -> monitoring/alertmanager tcp/9093",
    ),
    (
        "Host endpoint failsafe: SSH reaches the host from anywhere, although k8s-worker only \
         allows it from the management network",
        "203.0.113.7 -> hostendpoint/my-host-eth0 tcp/22",
    ),
    (
        "Host endpoint policy: k8s-worker selects the host endpoint and allows no other port",
        "203.0.113.7 -> hostendpoint/my-host-eth0 tcp/8080",
    ),
    (
        "defaultEndpointToHostAction: Prometheus scrapes its own node; the host endpoint's \
         policy is not consulted",
        "monitoring/prometheus -> hostendpoint/my-host-eth0 tcp/9100",
    ),
];

/// Runs `demo`.
pub(crate) fn run(args: &DemoArgs) -> Result<ExitCode, String> {
    finish(demo(args))
}

fn demo(args: &DemoArgs) -> Result<ExitCode, Failure> {
    let options = LoadOptions::strict();
    let (cluster, source) = match &args.examples {
        Some(dir) => {
            let cluster = Cluster::load(std::slice::from_ref(dir), &options);
            (cluster, dir.display().to_string())
        }
        None => (
            Cluster::load_texts(EXAMPLE_CLUSTER, &options),
            "the example cluster built into palisade (examples/cluster/)".to_owned(),
        ),
    };
    let cluster = cluster.map_err(|e| e.to_string())?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    tour(&mut out, &cluster, &source)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn tour(out: &mut dyn Write, cluster: &Cluster, source: &str) -> Result<(), Failure> {
    let model = cluster.model();
    writeln!(out, "Palisade demo: {source}")?;
    writeln!(out)?;

    // What was loaded.
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for p in model.policies() {
        *kinds.entry(p.id.kind.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let hosts = model.host_endpoints().count();
    writeln!(
        out,
        "Loaded {} resources: {} workloads, {hosts} host {}, policies: {}.",
        cluster.resource_count(),
        model.workloads().count(),
        if hosts == 1 { "endpoint" } else { "endpoints" },
        kinds.join(", ")
    )?;
    writeln!(
        out,
        "Tiers in evaluation order, each with its policies in order (order, then name):"
    )?;
    for tier in model.tiers() {
        let mut policies: Vec<_> = model.policies().filter(|p| p.tier == tier.name).collect();
        policies.sort_by(|a, b| policy_order(a, b));
        let order = tier
            .order
            .map_or_else(|| "none".to_owned(), |o| o.to_string());
        let default = match tier.default_action {
            TierAction::Pass => "Pass",
            _ => "Deny",
        };
        writeln!(
            out,
            "  {} (order {order}, default action {default}){}",
            tier.name,
            if policies.is_empty() {
                ": no policies"
            } else {
                ""
            }
        )?;
        for p in policies {
            let order = p.order.map_or_else(|| "-".to_owned(), |o| o.to_string());
            let staged = if p.staged { " (staged)" } else { "" };
            writeln!(out, "    {order:>6}  {}{staged}", p.id)?;
        }
    }
    writeln!(out)?;
    if !cluster.notes().is_empty() {
        writeln!(out, "Notes from loading:")?;
        for note in cluster.notes() {
            writeln!(out, "  {note}")?;
        }
        writeln!(out)?;
    }

    // The reachability matrix.
    let evaluator = Evaluator::new(model, Backend::Fast, &CompileOptions::new(), false)
        .map_err(|e| e.to_string())?;
    let (endpoints, _) = select_workloads(model, &[], None).map_err(|e| e.to_string())?;
    writeln!(
        out,
        "Reachability between the {} workloads (palisade matrix --port tcp/80 --port udp/53):",
        endpoints.len()
    )?;
    let ports: Vec<PortSpec> = ["tcp/80", "udp/53"]
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, String>>()?;
    let matrix = compute(&evaluator, &endpoints, &ports, false, |_| Ok(()))?;
    matrix.write_table(out)?;
    writeln!(out)?;

    // Flows, explained.
    writeln!(
        out,
        "Flows, explained (palisade eval --explain --flow ...):"
    )?;
    for (i, (caption, text)) in TOUR.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "{}. {caption}", i + 1)?;
        let flow = Flow::parse(text).map_err(|e| format!("demo flow `{text}`: {e}"))?;
        let outcome = evaluator
            .evaluate(&flow)
            .map_err(|e| format!("demo flow `{text}`: {e}"))?;
        write_table(out, model, &outcome, true)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Try: palisade eval -f examples/cluster --explain --flow 'default/client -> prod/database tcp/6379'"
    )?;
    Ok(())
}
