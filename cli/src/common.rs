//! Argument groups shared by the subcommands (inputs, policy options, backend) and the plumbing
//! for output and errors.

use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_cli::backend::{Backend, Evaluator};
use palisade_cli::cluster::Cluster;
use palisade_cli::dns;
use palisade_compiler::{CompileOptions, DnsCache, HttpMode};
use palisade_policy_model::LoadOptions;
use palisade_policy_model::model::{EndpointKey, Model};

/// The resources to work on.
#[derive(Args, Debug)]
pub(crate) struct InputArgs {
    /// A file or directory of resources (repeatable): YAML or JSON, many documents per file,
    /// `kind: List`. Directories are read recursively (`.yaml`, `.yml`, `.json`, sorted).
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Ignore unknown fields (for objects dumped from a cluster). By default they are errors.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// Do not print warnings and notes about the input on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

impl InputArgs {
    /// Loads the cluster; prints its warnings and notes on stderr unless `--quiet`. Problems in
    /// the input and conversion errors are returned as the error message.
    pub(crate) fn load(&self) -> Result<Cluster, String> {
        let options = if self.lenient {
            LoadOptions::lenient()
        } else {
            LoadOptions::strict()
        };
        let cluster = Cluster::load(&self.files, &options).map_err(|e| e.to_string())?;
        if !self.quiet {
            print_notes(&cluster);
        }
        Ok(cluster)
    }
}

/// Prints the cluster's notes on stderr.
pub(crate) fn print_notes(cluster: &Cluster) {
    let mut err = io::stderr().lock();
    for note in cluster.notes() {
        // Nothing sensible can be done when stderr is gone.
        let _ = writeln!(err, "{note}");
    }
}

/// How rules with an `http` match are compiled (DECISIONS D9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum HttpArg {
    /// The `ir` and `fast` backends refuse such rules (an error naming the rule); the
    /// reference evaluator evaluates them against the flow's `method` and `path`.
    #[default]
    Refuse,
    /// Enforce only the L3/L4 part of such rules (Calico's dataplane behaviour).
    L4Only,
}

/// Options that change how policy is compiled and evaluated.
#[derive(Args, Debug)]
pub(crate) struct PolicyArgs {
    /// Rules with an `http` match: `refuse` them (ir/fast backends; the reference backend
    /// evaluates them) or enforce their L3/L4 part only (`l4-only`).
    #[arg(long, value_enum, default_value_t = HttpArg::Refuse)]
    pub(crate) http: HttpArg,
    /// A DNS answer for `domains` rules, NAME=IP (repeatable).
    #[arg(long, value_name = "NAME=IP", value_parser = parse_dns_pair)]
    pub(crate) dns: Vec<(String, IpAddr)>,
    /// A file of DNS answers for `domains` rules (repeatable): a JSON object mapping names to an
    /// address or a list of addresses, or hosts-file lines `IP NAME...`.
    #[arg(long, value_name = "FILE")]
    pub(crate) dns_file: Vec<PathBuf>,
}

fn parse_dns_pair(text: &str) -> Result<(String, IpAddr), String> {
    dns::parse_pair(text).map_err(|e| e.to_string())
}

impl PolicyArgs {
    /// The compile options (enforced form).
    pub(crate) fn options(&self) -> Result<CompileOptions, String> {
        let mut cache = DnsCache::new();
        for file in &self.dns_file {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read DNS file {name}: {e}"))?;
            dns::add_file(&mut cache, &name, &text).map_err(|e| e.to_string())?;
        }
        for (name, ip) in &self.dns {
            cache.insert(name, *ip);
        }
        let http = match self.http {
            HttpArg::Refuse => HttpMode::Refuse,
            HttpArg::L4Only => HttpMode::L4Only,
        };
        Ok(CompileOptions::new().http(http).dns(cache))
    }
}

/// The engine to evaluate with.
#[derive(Args, Debug)]
pub(crate) struct BackendArgs {
    /// The engine that decides: the reference evaluator (the oracle, over the model), the IR
    /// evaluator (compiled programs, rule by rule), the fast classifier (lookup tables), or the
    /// kernel itself: `nft` (nftables in a private network namespace) or `ebpf` (the eBPF
    /// datapath run with BPF_PROG_TEST_RUN). The kernel backends need root; without it they
    /// fail (exit 1), never fall back to another engine.
    #[arg(long, value_enum, default_value_t = Backend::Fast)]
    pub(crate) backend: Backend,
}

impl BackendArgs {
    /// Builds the evaluator.
    pub(crate) fn evaluator<'m>(
        &self,
        model: &'m Model,
        options: &CompileOptions,
        staged: bool,
    ) -> Result<Evaluator<'m>, String> {
        Evaluator::new(model, self.backend, options, staged).map_err(|e| e.to_string())
    }
}

/// Parses an endpoint argument: `ns/name` or `hostendpoint/NAME`.
pub(crate) fn parse_endpoint(text: &str) -> Result<EndpointKey, String> {
    match palisade_compiler::flow::Peer::parse(text) {
        Ok(palisade_compiler::flow::Peer::Endpoint(key)) => Ok(key),
        Ok(palisade_compiler::flow::Peer::Ip(_)) => Err(format!(
            "`{text}`: expected NAMESPACE/NAME or hostendpoint/NAME, not an address"
        )),
        Err(e) => Err(e),
    }
}

/// Why a command stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A message for stderr (exit 1).
    Message(String),
    /// The reader of our output went away (e.g. `| head`): stop quietly.
    BrokenPipe,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write the output: {e}"))
        }
    }
}

/// Turns a command's result into `main`'s: a closed output pipe ends the command quietly with
/// success (the reader asked for no more).
pub(crate) fn finish(result: Result<ExitCode, Failure>) -> Result<ExitCode, String> {
    match result {
        Ok(code) => Ok(code),
        Err(Failure::Message(m)) => Err(m),
        Err(Failure::BrokenPipe) => Ok(ExitCode::SUCCESS),
    }
}

/// True when stdout is a terminal.
pub(crate) fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}
