//! The dataplane side of the command line: which endpoint runs on which interface
//! ([`InterfaceBinding`]), the nftables text of `compile --emit nft`, the eBPF map dump of
//! `compile --emit ebpf-maps`, and `apply`/`remove` with either dataplane.
//!
//! # How an apply persists
//!
//! - **nft**: the ruleset is committed atomically as one `inet` table (`palisade`); it stays in
//!   the kernel after the command exits. What was applied (bindings and the compiled snapshot)
//!   is recorded in `/run/palisade/nft-<netns>.json` so that `remove --interface IF` can
//!   re-lower without that interface; `remove` without interfaces deletes the table.
//! - **ebpf**: the eBPF `Dataplane` attaches with bpf links that live as long as the process
//!   that holds them (nothing is pinned), so `apply --dataplane ebpf` stays in the foreground
//!   and enforces until it is stopped (Ctrl-C, SIGTERM, or `palisade remove --dataplane
//!   ebpf`); the kernel detaches everything when the process exits. Its pid is recorded in
//!   `/run/palisade/ebpf-<netns>.pid`.
//!
//! `<netns>` is the inode of the caller's network namespace, so applies in different
//! namespaces do not see each other.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use palisade_compiler::Snapshot;
use palisade_compiler::flow::Peer;
use palisade_compiler::ir::ProgramTarget;
use palisade_dataplane_ebpf::dump::{DumpOptions, MapsDump, dump};
use palisade_dataplane_ebpf::lower::LowerConfig;
use palisade_dataplane_ebpf::{ApplyReport as EbpfReport, Dataplane, DataplaneConfig};
use palisade_dataplane_nft::apply::Applier;
use palisade_dataplane_nft::lower::{Binding as NftBinding, LowerOptions, Lowered, lower};
use palisade_dataplane_nft::render::render_replace;
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::{EndpointKey, Model};
use serde::{Deserialize, Serialize};

use crate::backend::is_root;

/// Where the apply records live.
pub const STATE_DIR: &str = "/run/palisade";

/// The nftables table Palisade installs.
pub const NFT_TABLE: &str = "palisade";

/// Longest interface name Linux accepts (`IFNAMSIZ - 1`).
const MAX_IFNAME: usize = 15;

/// A dataplane that enforces on real interfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum DataplaneKind {
    /// nftables: one `inet` table, committed atomically; it stays in the kernel after the
    /// command exits.
    Nft,
    /// eBPF (TCX and XDP): the programs stay attached while `palisade apply` runs in the
    /// foreground.
    Ebpf,
}

impl fmt::Display for DataplaneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataplaneKind::Nft => "nft",
            DataplaneKind::Ebpf => "ebpf",
        })
    }
}

/// An endpoint enforced on an interface: `IF=NAMESPACE/POD` or `IF=hostendpoint/NAME` (`IF`
/// may be `*` for a host endpoint on every other interface, nft only).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InterfaceBinding {
    /// Interface name.
    pub interface: String,
    /// The endpoint whose policy the interface enforces.
    pub endpoint: EndpointKey,
}

impl FromStr for InterfaceBinding {
    type Err = String;

    fn from_str(text: &str) -> Result<InterfaceBinding, String> {
        let Some((interface, endpoint)) = text.split_once('=') else {
            return Err(format!(
                "`{text}`: expected IF=NAMESPACE/POD or IF=hostendpoint/NAME"
            ));
        };
        let interface = interface.trim();
        if interface != "*" {
            check_ifname(interface)?;
        }
        let endpoint = match Peer::parse(endpoint.trim()) {
            Ok(Peer::Endpoint(key)) => key,
            Ok(Peer::Ip(_)) => {
                return Err(format!(
                    "`{text}`: expected an endpoint (NAMESPACE/POD or hostendpoint/NAME) after \
                     `=`, not an address"
                ));
            }
            Err(e) => return Err(format!("`{text}`: {e}")),
        };
        Ok(InterfaceBinding {
            interface: interface.to_owned(),
            endpoint,
        })
    }
}

impl fmt::Display for InterfaceBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.interface, self.endpoint)
    }
}

fn check_ifname(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > MAX_IFNAME
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '=' || c.is_whitespace())
    {
        return Err(format!(
            "`{name}` is not an interface name (1 to {MAX_IFNAME} characters, no `/`, `=` or \
             spaces)"
        ));
    }
    Ok(())
}

/// Why a dataplane operation failed. Nothing was changed unless the variant says otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataplaneError {
    /// Applying or removing needs root.
    #[error(
        "{operation} with the {dataplane} dataplane changes the kernel and needs root \
         (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF)"
    )]
    NotRoot {
        /// What was attempted.
        operation: &'static str,
        /// The dataplane.
        dataplane: DataplaneKind,
    },
    /// A binding names an endpoint the input does not define.
    #[error("--interface {binding}: the input defines no endpoint {endpoint}")]
    UnknownEndpoint {
        /// The binding.
        binding: String,
        /// The endpoint.
        endpoint: String,
    },
    /// Two bindings name the same interface.
    #[error("interface {interface} is bound twice (--interface {first} and --interface {second})")]
    DuplicateInterface {
        /// The interface.
        interface: String,
        /// The first binding.
        first: String,
        /// The second binding.
        second: String,
    },
    /// A bound interface does not exist in this network namespace.
    #[error("--interface {binding}: no interface {interface} in this network namespace")]
    NoSuchInterface {
        /// The binding.
        binding: String,
        /// The interface.
        interface: String,
    },
    /// The binding is not supported by this dataplane.
    #[error("--interface {binding}: {reason}")]
    Unsupported {
        /// The binding.
        binding: String,
        /// Why.
        reason: String,
    },
    /// Nothing to apply.
    #[error("no --interface given: apply needs at least one IF=ENDPOINT binding")]
    NoBindings,
    /// The nft lowering failed.
    #[error("nft: the policy cannot be lowered: {0}")]
    NftLower(#[from] palisade_dataplane_nft::LowerError),
    /// The nft kernel interface failed; batches are atomic, so nothing of it was applied.
    #[error("nft: the kernel refused the change (nothing was applied): {0}")]
    NftKernel(String),
    /// The eBPF dataplane failed.
    #[error("ebpf: {0}")]
    Ebpf(String),
    /// `remove --interface` for an interface that is not bound.
    #[error("{dataplane}: interface {interface} is not bound (bound: {bound})")]
    NotBound {
        /// The dataplane.
        dataplane: DataplaneKind,
        /// The interface.
        interface: String,
        /// The bound interfaces.
        bound: String,
    },
    /// `remove --interface` without a record of what was applied.
    #[error(
        "{dataplane}: there is no record of what `palisade apply` installed in this network \
         namespace ({path}); `palisade remove --dataplane {dataplane}` without --interface \
         removes everything"
    )]
    NoRecord {
        /// The dataplane.
        dataplane: DataplaneKind,
        /// The record's path.
        path: String,
    },
    /// eBPF enforcement is already held by a running `palisade apply`.
    #[error(
        "ebpf: `palisade apply` (pid {pid}) already enforces in this network namespace; stop it \
         first with `palisade remove --dataplane ebpf`"
    )]
    AlreadyApplied {
        /// The running process.
        pid: u32,
    },
    /// The eBPF dataplane cannot remove single interfaces from a running apply.
    #[error(
        "ebpf: the running `palisade apply` (pid {pid}) holds every interface; removing single \
         interfaces is not supported — stop it with `palisade remove --dataplane ebpf` and \
         apply again with the remaining interfaces"
    )]
    EbpfPartialRemove {
        /// The running process.
        pid: u32,
    },
    /// A state file could not be read or written.
    #[error("{path}: {message}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

fn state_error(path: &Path, e: impl fmt::Display) -> DataplaneError {
    DataplaneError::State {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Checks `bindings` against the model: known endpoints, each interface once, no empty list.
pub fn check_bindings(model: &Model, bindings: &[InterfaceBinding]) -> Result<(), DataplaneError> {
    if bindings.is_empty() {
        return Err(DataplaneError::NoBindings);
    }
    for (i, b) in bindings.iter().enumerate() {
        let known = match &b.endpoint {
            EndpointKey::Workload { .. } => model.workload(&b.endpoint).is_some(),
            _ => model.host_endpoint(&b.endpoint).is_some(),
        };
        if !known {
            return Err(DataplaneError::UnknownEndpoint {
                binding: b.to_string(),
                endpoint: b.endpoint.to_string(),
            });
        }
        if let Some(first) = bindings[..i].iter().find(|o| o.interface == b.interface) {
            return Err(DataplaneError::DuplicateInterface {
                interface: b.interface.clone(),
                first: first.to_string(),
                second: b.to_string(),
            });
        }
    }
    Ok(())
}

/// Bindings for `compile --emit nft` without `--interface`: each endpoint on the interface the
/// input names for it (`interfaceName`), or on a placeholder (`palwN` for workloads, `palhN`
/// for host endpoints) when it names none. Returns the bindings and the placeholder ones.
pub fn default_bindings(
    model: &Model,
    endpoints: &[EndpointKey],
) -> (Vec<InterfaceBinding>, Vec<InterfaceBinding>) {
    let mut out = Vec::new();
    let mut placeholders = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let (mut w, mut h) = (0usize, 0usize);
    for key in endpoints {
        let known = match key {
            EndpointKey::Workload { .. } => model.workload(key).and_then(|e| e.interface.clone()),
            _ => model.host_endpoint(key).and_then(|e| e.interface.clone()),
        };
        let named = known
            .map(|s| s.to_string())
            .filter(|s| !used.contains(s) && (s == "*" || check_ifname(s).is_ok()));
        let (interface, placeholder) = match named {
            Some(name) => (name, false),
            None => {
                let name = if matches!(key, EndpointKey::Workload { .. }) {
                    w += 1;
                    format!("palw{}", w - 1)
                } else {
                    h += 1;
                    format!("palh{}", h - 1)
                };
                (name, true)
            }
        };
        used.insert(interface.clone());
        let b = InterfaceBinding {
            interface,
            endpoint: key.clone(),
        };
        if placeholder {
            placeholders.push(b.clone());
        }
        out.push(b);
    }
    (out, placeholders)
}

/// Every endpoint of the model: workloads, then host endpoints.
pub fn all_endpoints(model: &Model) -> Vec<EndpointKey> {
    model
        .workloads()
        .map(|w| w.key.clone())
        .chain(model.host_endpoints().map(|h| h.key.clone()))
        .collect()
}

fn nft_options(model: &Model, rule_counters: bool) -> LowerOptions {
    nft_options_with(model.felix().default_endpoint_to_host_action, rule_counters)
}

fn nft_options_with(endpoint_to_host: EndpointToHostAction, rule_counters: bool) -> LowerOptions {
    LowerOptions {
        table: NFT_TABLE.to_owned(),
        endpoint_to_host,
        rule_counters,
        ..LowerOptions::default()
    }
}

fn nft_bindings(bindings: &[InterfaceBinding]) -> Vec<NftBinding> {
    bindings
        .iter()
        .map(|b| NftBinding::new(b.interface.clone(), b.endpoint.clone()))
        .collect()
}

/// Lowers `snapshot` for `bindings` into the nft dataplane table (pure; no kernel access),
/// with a named counter per IR rule when `rule_counters` is set.
pub fn nft_lower(
    model: &Model,
    snapshot: &Snapshot,
    bindings: &[InterfaceBinding],
    rule_counters: bool,
) -> Result<Lowered, DataplaneError> {
    Ok(lower(
        snapshot,
        &nft_bindings(bindings),
        &nft_options(model, rule_counters),
    )?)
}

/// The `nft -f` script that replaces Palisade's table with the one for `bindings` (what
/// `apply --dataplane nft` commits over netlink, with the same `rule_counters`).
pub fn nft_text(
    model: &Model,
    snapshot: &Snapshot,
    bindings: &[InterfaceBinding],
    rule_counters: bool,
) -> Result<String, DataplaneError> {
    Ok(render_replace(
        &nft_lower(model, snapshot, bindings, rule_counters)?.ruleset,
    ))
}

/// The eBPF maps `snapshot`'s programs for `targets` (all when `None`) lower to.
pub fn ebpf_maps(snapshot: &Snapshot, targets: Option<&[ProgramTarget]>, words: bool) -> MapsDump {
    let restricted;
    let snapshot = match targets {
        None => snapshot,
        Some(targets) => {
            restricted = Snapshot {
                programs: snapshot
                    .programs
                    .iter()
                    .filter(|(t, _)| targets.contains(t))
                    .map(|(t, p)| (t.clone(), p.clone()))
                    .collect(),
                sets: snapshot.sets.clone(),
            };
            &restricted
        }
    };
    dump(snapshot, &LowerConfig::default(), DumpOptions { words })
}

/// The inode of the calling thread's network namespace (names the state files).
fn netns_id() -> Result<u64, DataplaneError> {
    use std::os::unix::fs::MetadataExt;
    let path = Path::new("/proc/thread-self/ns/net");
    fs::metadata(path)
        .map(|m| m.ino())
        .map_err(|e| state_error(path, e))
}

fn state_path(kind: DataplaneKind) -> Result<PathBuf, DataplaneError> {
    let id = netns_id()?;
    Ok(Path::new(STATE_DIR).join(match kind {
        DataplaneKind::Nft => format!("nft-{id}.json"),
        DataplaneKind::Ebpf => format!("ebpf-{id}.pid"),
    }))
}

fn write_state(path: &Path, contents: &str) -> Result<(), DataplaneError> {
    fs::create_dir_all(STATE_DIR).map_err(|e| state_error(Path::new(STATE_DIR), e))?;
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents).map_err(|e| state_error(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| state_error(path, e))
}

fn interface_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

fn require_root(operation: &'static str, dataplane: DataplaneKind) -> Result<(), DataplaneError> {
    if is_root() {
        Ok(())
    } else {
        Err(DataplaneError::NotRoot {
            operation,
            dataplane,
        })
    }
}

fn check_interfaces_exist(bindings: &[InterfaceBinding]) -> Result<(), DataplaneError> {
    for b in bindings {
        if b.interface != "*" && !interface_exists(&b.interface) {
            return Err(DataplaneError::NoSuchInterface {
                binding: b.to_string(),
                interface: b.interface.clone(),
            });
        }
    }
    Ok(())
}

/// What `apply --dataplane nft` recorded.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NftRecord {
    endpoint_to_host: EndpointToHostAction,
    /// Whether the table counts every rule (absent in records of older versions: no).
    #[serde(default)]
    rule_counters: bool,
    /// `IF=ENDPOINT` texts.
    bindings: Vec<String>,
    snapshot: Snapshot,
}

impl NftRecord {
    fn bindings(&self) -> Result<Vec<InterfaceBinding>, String> {
        self.bindings.iter().map(|b| b.parse()).collect()
    }
}

/// What an nft apply or remove did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NftOutcome {
    /// The interfaces now bound.
    pub bound: Vec<InterfaceBinding>,
    /// Chains in the table (0 when it was removed).
    pub chains: usize,
    /// True when the table was deleted.
    pub removed: bool,
}

/// Commits the table for `bindings` (replacing any previous Palisade table atomically) in the
/// calling thread's network namespace, and records what was applied. Needs root; every bound
/// interface must exist. `rule_counters` gives every IR rule a named counter.
pub fn nft_apply(
    model: &Model,
    snapshot: &Snapshot,
    bindings: &[InterfaceBinding],
    rule_counters: bool,
) -> Result<NftOutcome, DataplaneError> {
    require_root("apply", DataplaneKind::Nft)?;
    check_bindings(model, bindings)?;
    check_interfaces_exist(bindings)?;
    let lowered = nft_lower(model, snapshot, bindings, rule_counters)?;
    let record = NftRecord {
        endpoint_to_host: model.felix().default_endpoint_to_host_action,
        rule_counters,
        bindings: bindings.iter().map(ToString::to_string).collect(),
        snapshot: snapshot_for(snapshot, bindings),
    };
    commit_nft(&lowered)?;
    let path = state_path(DataplaneKind::Nft)?;
    let text = serde_json::to_string(&record).map_err(|e| state_error(&path, e))?;
    write_state(&path, &text)?;
    Ok(NftOutcome {
        bound: bindings.to_vec(),
        chains: lowered.ruleset.chains.len(),
        removed: false,
    })
}

/// Only the bound endpoints' programs (what the table uses).
fn snapshot_for(snapshot: &Snapshot, bindings: &[InterfaceBinding]) -> Snapshot {
    Snapshot {
        programs: snapshot
            .programs
            .iter()
            .filter(|(t, _)| bindings.iter().any(|b| b.endpoint == t.endpoint))
            .map(|(t, p)| (t.clone(), p.clone()))
            .collect(),
        sets: snapshot.sets.clone(),
    }
}

fn commit_nft(lowered: &Lowered) -> Result<(), DataplaneError> {
    let mut applier = Applier::open().map_err(|e| DataplaneError::NftKernel(e.to_string()))?;
    applier
        .replace(&lowered.ruleset)
        .map_err(|e| DataplaneError::NftKernel(e.to_string()))?;
    Ok(())
}

/// Removes what `apply --dataplane nft` installed: the whole table, or (with `interfaces`) only
/// those interfaces' bindings, re-lowering the recorded snapshot without them (the table is
/// deleted when none remains). Removing when nothing is installed succeeds with nothing bound.
pub fn nft_remove(interfaces: &[String]) -> Result<NftOutcome, DataplaneError> {
    require_root("remove", DataplaneKind::Nft)?;
    let path = state_path(DataplaneKind::Nft)?;
    let record: Option<NftRecord> = match fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).map_err(|e| state_error(&path, e))?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(state_error(&path, e)),
    };
    let remaining = if interfaces.is_empty() {
        Vec::new()
    } else {
        let Some(record) = &record else {
            return Err(DataplaneError::NoRecord {
                dataplane: DataplaneKind::Nft,
                path: path.display().to_string(),
            });
        };
        let bound = record.bindings().map_err(|e| state_error(&path, e))?;
        for i in interfaces {
            if !bound.iter().any(|b| &b.interface == i) {
                return Err(DataplaneError::NotBound {
                    dataplane: DataplaneKind::Nft,
                    interface: i.clone(),
                    bound: bound
                        .iter()
                        .map(|b| b.interface.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        bound
            .into_iter()
            .filter(|b| !interfaces.contains(&b.interface))
            .collect()
    };
    if let (Some(record), false) = (&record, remaining.is_empty()) {
        let lowered = lower(
            &record.snapshot,
            &nft_bindings(&remaining),
            &nft_options_with(record.endpoint_to_host, record.rule_counters),
        )?;
        commit_nft(&lowered)?;
        let record = NftRecord {
            endpoint_to_host: record.endpoint_to_host,
            rule_counters: record.rule_counters,
            bindings: remaining.iter().map(ToString::to_string).collect(),
            snapshot: snapshot_for(&record.snapshot, &remaining),
        };
        let text = serde_json::to_string(&record).map_err(|e| state_error(&path, e))?;
        write_state(&path, &text)?;
        return Ok(NftOutcome {
            bound: remaining,
            chains: lowered.ruleset.chains.len(),
            removed: false,
        });
    }
    let mut applier = Applier::open().map_err(|e| DataplaneError::NftKernel(e.to_string()))?;
    let exists = applier
        .kernel()
        .table_exists(NFT_TABLE)
        .map_err(|e| DataplaneError::NftKernel(e.to_string()))?;
    if exists {
        applier
            .remove(NFT_TABLE)
            .map_err(|e| DataplaneError::NftKernel(e.to_string()))?;
    }
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(state_error(&path, e)),
    }
    Ok(NftOutcome {
        bound: Vec::new(),
        chains: 0,
        removed: exists,
    })
}

/// A running eBPF apply: the dataplane (attached while it lives) and its pid record, removed
/// when dropped.
#[derive(Debug)]
pub struct EbpfApplied {
    dataplane: Dataplane,
    record: PathBuf,
    report: EbpfReport,
}

impl EbpfApplied {
    /// What the apply did.
    pub fn report(&self) -> &EbpfReport {
        &self.report
    }

    /// The bound interfaces.
    pub fn bindings(&self) -> Vec<InterfaceBinding> {
        self.dataplane
            .bindings()
            .into_iter()
            .map(|b| InterfaceBinding {
                interface: b.interface,
                endpoint: b.endpoint,
            })
            .collect()
    }
}

impl Drop for EbpfApplied {
    fn drop(&mut self) {
        let _ = self.dataplane.remove_all();
        let _ = fs::remove_file(&self.record);
    }
}

/// The pid of a live `palisade apply --dataplane ebpf` recorded at `path`, if any.
fn live_apply(path: &Path) -> Result<Option<u32>, DataplaneError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(state_error(path, e)),
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        return Ok(None);
    };
    let alive = pid != std::process::id()
        && fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "palisade")
        && running(pid);
    Ok(alive.then_some(pid))
}

/// False when `pid` is gone or a zombie (exited, not yet reaped by its parent).
fn running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X')
    })
}

/// Loads the eBPF datapath and attaches it to `bindings`' interfaces. The enforcement lasts as
/// long as the returned value (and the process) lives. Needs root; every interface must exist;
/// on error everything attached so far is detached again.
pub fn ebpf_apply(
    model: &Model,
    snapshot: &Snapshot,
    bindings: &[InterfaceBinding],
) -> Result<EbpfApplied, DataplaneError> {
    require_root("apply", DataplaneKind::Ebpf)?;
    check_bindings(model, bindings)?;
    if let Some(b) = bindings.iter().find(|b| b.interface == "*") {
        return Err(DataplaneError::Unsupported {
            binding: b.to_string(),
            reason: "the ebpf dataplane attaches to named interfaces; `*` is nft only".into(),
        });
    }
    check_interfaces_exist(bindings)?;
    let record = state_path(DataplaneKind::Ebpf)?;
    if let Some(pid) = live_apply(&record)? {
        return Err(DataplaneError::AlreadyApplied { pid });
    }
    let mut dataplane = Dataplane::new(DataplaneConfig::default())
        .map_err(|e| DataplaneError::Ebpf(e.to_string()))?;
    let ebpf_bindings: Vec<palisade_dataplane_ebpf::Binding> = bindings
        .iter()
        .map(|b| palisade_dataplane_ebpf::Binding {
            interface: b.interface.clone(),
            endpoint: b.endpoint.clone(),
        })
        .collect();
    // On error, dropping the dataplane detaches whatever was attached: nothing half-applied.
    let report = dataplane
        .apply(snapshot, &ebpf_bindings)
        .map_err(|e| DataplaneError::Ebpf(e.to_string()))?;
    write_state(&record, &format!("{}\n", std::process::id()))?;
    Ok(EbpfApplied {
        dataplane,
        record,
        report,
    })
}

/// What an eBPF remove did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EbpfRemoved {
    /// The running apply (this pid) was stopped; the kernel detached its programs.
    Stopped(u32),
    /// No apply was running in this namespace.
    NothingApplied,
}

/// Stops the `palisade apply --dataplane ebpf` running in this network namespace (SIGTERM, then
/// waits up to five seconds for it to exit). `interfaces` must be empty: a running apply is
/// stopped as a whole.
pub fn ebpf_remove(interfaces: &[String]) -> Result<EbpfRemoved, DataplaneError> {
    require_root("remove", DataplaneKind::Ebpf)?;
    let record = state_path(DataplaneKind::Ebpf)?;
    let Some(pid) = live_apply(&record)? else {
        if !interfaces.is_empty() {
            return Err(DataplaneError::NoRecord {
                dataplane: DataplaneKind::Ebpf,
                path: record.display().to_string(),
            });
        }
        match fs::remove_file(&record) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(state_error(&record, e)),
        }
        return Ok(EbpfRemoved::NothingApplied);
    };
    if !interfaces.is_empty() {
        return Err(DataplaneError::EbpfPartialRemove { pid });
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .map_err(|e| DataplaneError::Ebpf(format!("cannot run kill: {e}")))?;
    if !status.success() {
        return Err(DataplaneError::Ebpf(format!(
            "kill -TERM {pid} failed ({status})"
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pid) {
        if Instant::now() > deadline {
            return Err(DataplaneError::Ebpf(format!(
                "`palisade apply` (pid {pid}) did not exit within 5 s of SIGTERM"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = fs::remove_file(&record);
    Ok(EbpfRemoved::Stopped(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_parse_workloads_and_host_endpoints() {
        let b: InterfaceBinding = "veth1=prod/web".parse().unwrap();
        assert_eq!(b.interface, "veth1");
        assert_eq!(
            b.endpoint,
            EndpointKey::Workload {
                namespace: "prod".into(),
                name: "web".into()
            }
        );
        let h: InterfaceBinding = "eth0=hostendpoint/node1-eth0".parse().unwrap();
        assert!(matches!(h.endpoint, EndpointKey::Host { .. }));
        assert_eq!(h.to_string().parse::<InterfaceBinding>().unwrap(), h);
        assert_eq!(b.to_string().parse::<InterfaceBinding>().unwrap(), b);
    }

    #[test]
    fn bad_bindings_are_refused() {
        assert!("veth1".parse::<InterfaceBinding>().is_err());
        assert!("veth1=10.0.0.1".parse::<InterfaceBinding>().is_err());
        assert!(
            "averyveryverylongname=a/b"
                .parse::<InterfaceBinding>()
                .is_err()
        );
        assert!("=a/b".parse::<InterfaceBinding>().is_err());
    }
}
