//! [`NftEngine`]: decides packets with the kernel's nftables, as a peer of the other engines.
//!
//! The engine lowers every program of a snapshot into the oracle table ([`lower_oracle`]) and
//! applies it in a private network namespace owned by a worker thread (see [`NetnsThread`]).
//! To decide a packet it builds the raw IP packet (`packet::wire::emit`), marks it with the program's slot, and sends it
//! from a raw socket: the packet traverses the output hook before `sendto()` returns, so the
//! answer is synchronous. `EPERM` means the program dropped it (Deny). Otherwise the oracle's
//! allow or no-verdict counter says which. The program's named counters, read and reset in one
//! netlink dump, say which rules fired: the deciding rule (the one final rule that fired) gives
//! the origin, fired Log and Pass rules the steps, so the engine reports the same decision as the
//! IR evaluator — and checks that the kernel's verdict agrees with the deciding rule's action.

mod packet;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_compiler::Snapshot;
use palisade_compiler::decision::{Decision, Step, Verdict};
use palisade_compiler::engine::{Engine, EngineError, HttpRequest};
use palisade_compiler::ir::{IrAction, Program, ProgramTarget};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::packet::wire::{EmitOptions, emit};

use crate::apply::Applier;
use crate::error::{ApplyError, LowerError};
use crate::ffi::{RawSocket, if_index};
use crate::lower::{
    LowerOptions, Lowered, ORACLE_ALLOW_COUNTER, ORACLE_NO_VERDICT_COUNTER, lower_oracle,
};
use crate::netns::NetnsThread;

const NAME: &str = "nft";

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineSetupError {
    /// The snapshot could not be lowered.
    #[error(transparent)]
    Lower(#[from] LowerError),
    /// The ruleset could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The namespace could not be created or configured.
    #[error("network namespace setup failed: {0}")]
    Namespace(String),
    /// The kernel refused a table; the previous one is still in force.
    #[error("the kernel refused the table: {0}")]
    Rejected(String),
}

/// What the worker thread keeps between calls.
struct Oracle {
    applier: Applier,
    /// Index of the interface packets leave through (scope of link-local destinations).
    ifindex: u32,
    v4: RawSocket,
    v6: RawSocket,
    table: String,
}

thread_local! {
    static ORACLE: RefCell<Option<Oracle>> = const { RefCell::new(None) };
}

fn with_oracle<R>(f: impl FnOnce(&mut Oracle) -> Result<R, String>) -> Result<R, String> {
    ORACLE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let oracle = slot.as_mut().ok_or("the oracle is not set up")?;
        f(oracle)
    })
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Configures the fresh namespace so that packets to any address leave through a veth pair
/// without neighbour resolution: loopback up, a veth pair, default routes via permanent
/// neighbours.
fn setup_namespace() -> Result<(), String> {
    let mac = "02:00:00:00:00:02";
    run("ip", &["link", "set", "lo", "up"])?;
    run(
        "ip",
        &[
            "link", "add", "pal0", "type", "veth", "peer", "name", "pal1",
        ],
    )?;
    run("ip", &["link", "set", "pal0", "up"])?;
    run("ip", &["link", "set", "pal1", "up"])?;
    run(
        "ip",
        &[
            "neigh",
            "add",
            "169.254.0.2",
            "lladdr",
            mac,
            "dev",
            "pal0",
            "nud",
            "permanent",
        ],
    )?;
    run(
        "ip",
        &[
            "route",
            "add",
            "default",
            "via",
            "169.254.0.2",
            "dev",
            "pal0",
            "onlink",
        ],
    )?;
    run(
        "ip",
        &[
            "-6",
            "neigh",
            "add",
            "fe80::2",
            "lladdr",
            mac,
            "dev",
            "pal0",
            "nud",
            "permanent",
        ],
    )?;
    // Usable IPv6 source addresses at once (no duplicate address detection), for the route
    // lookups of link-local and global destinations.
    run(
        "ip",
        &["-6", "addr", "add", "fe80::99/64", "dev", "pal0", "nodad"],
    )?;
    run(
        "ip",
        &["-6", "addr", "add", "fd99::99/128", "dev", "pal0", "nodad"],
    )?;
    // No on-link routes: every destination, link-local ones included, goes to the permanent
    // neighbour, so nothing waits for neighbour discovery.
    let _ = run("ip", &["-6", "route", "flush", "dev", "pal0"]);
    run(
        "ip",
        &[
            "-6", "route", "add", "default", "via", "fe80::2", "dev", "pal0", "onlink",
        ],
    )?;
    Ok(())
}

/// Decides packets with nftables in a private network namespace.
pub struct NftEngine {
    worker: NetnsThread,
    lowered: Lowered,
    snapshot: Arc<Snapshot>,
    opts: LowerOptions,
}

impl std::fmt::Debug for NftEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NftEngine")
            .field("table", &self.opts.table)
            .field("programs", &self.lowered.programs.len())
            .finish()
    }
}

impl NftEngine {
    /// Lowers every program of `snapshot` and loads them into a new private namespace. Needs
    /// root (namespaces, nftables, raw sockets) and the `ip` tool. Rules are counted whatever
    /// `opts.rule_counters` says: the counters are how the engine tells which rule decided.
    pub fn new(snapshot: &Snapshot, opts: &LowerOptions) -> Result<NftEngine, EngineSetupError> {
        let opts = LowerOptions {
            rule_counters: true,
            ..opts.clone()
        };
        NftEngine::start(snapshot, &opts)
    }

    /// Like [`NftEngine::new`], but lowered exactly as `opts` says. Without
    /// [`LowerOptions::rule_counters`] the engine cannot tell which rule decided, so
    /// [`Engine::decide`] refuses and only [`NftEngine::verdict`] answers: this is how the
    /// uncounted dataplane lowering is checked against the other engines.
    pub fn with_options(
        snapshot: &Snapshot,
        opts: &LowerOptions,
    ) -> Result<NftEngine, EngineSetupError> {
        NftEngine::start(snapshot, opts)
    }

    fn start(snapshot: &Snapshot, opts: &LowerOptions) -> Result<NftEngine, EngineSetupError> {
        let lowered = lower_oracle(snapshot, opts)?;
        let worker = NetnsThread::spawn("palisade-nft-engine")
            .map_err(|e| EngineSetupError::Namespace(e.to_string()))?;
        let ruleset = lowered.ruleset.clone();
        let table = opts.table.clone();
        worker
            .run(move || -> Result<(), String> {
                setup_namespace()?;
                let mut applier = Applier::open().map_err(|e| e.to_string())?;
                applier.apply(&ruleset).map_err(|e| e.to_string())?;
                let open = |v6| RawSocket::open(v6).map_err(|e| format!("raw socket: {e}"));
                let oracle = Oracle {
                    applier,
                    ifindex: if_index("pal0").map_err(|e| format!("pal0: {e}"))?,
                    v4: open(false)?,
                    v6: open(true)?,
                    table,
                };
                ORACLE.with(|c| *c.borrow_mut() = Some(oracle));
                Ok(())
            })
            .map_err(|e| EngineSetupError::Namespace(e.to_string()))?
            .map_err(EngineSetupError::Namespace)?;
        Ok(NftEngine {
            worker,
            lowered,
            snapshot: Arc::new(snapshot.clone()),
            opts: opts.clone(),
        })
    }

    /// Replaces the loaded snapshot, sending only the difference to the kernel.
    pub fn update(&mut self, snapshot: &Snapshot) -> Result<(), EngineSetupError> {
        let lowered = lower_oracle(snapshot, &self.opts)?;
        self.load(snapshot, lowered)
    }

    /// Loads an oracle table lowered (and possibly altered) by the caller for `snapshot`, in
    /// one batch. When the kernel refuses the batch, nothing changes: the previous table stays
    /// in force and the engine keeps deciding with it.
    pub fn load(&mut self, snapshot: &Snapshot, lowered: Lowered) -> Result<(), EngineSetupError> {
        let ruleset = lowered.ruleset.clone();
        self.worker
            .run(move || {
                with_oracle(|o| {
                    o.applier
                        .apply(&ruleset)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            })
            .map_err(|e| EngineSetupError::Namespace(e.to_string()))?
            .map_err(EngineSetupError::Rejected)?;
        self.lowered = lowered;
        self.snapshot = Arc::new(snapshot.clone());
        Ok(())
    }

    /// Sends `count` copies of `packet` through `target`'s program and returns how long the
    /// sends took, measured in the namespace thread; nothing is decided or read back (the
    /// counters are reset afterwards). This is the per-packet cost of the output path with the
    /// program, for benchmarks.
    pub fn time_packets(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        count: u64,
    ) -> Result<Duration, EngineError> {
        let Some(&mark) = self.lowered.oracle_marks.get(target) else {
            return Err(EngineError::UnknownTarget(target.to_string()));
        };
        let bytes =
            emit(packet, &EmitOptions::default()).map_err(|e| EngineError::Unsupported {
                engine: NAME.to_owned(),
                reason: format!("cannot build the packet: {e}"),
            })?;
        let dst = packet.dst();
        self.worker
            .run(move || {
                with_oracle(|o| {
                    let sock = if dst.is_ipv4() { &o.v4 } else { &o.v6 };
                    sock.set_mark(mark).map_err(|e| format!("SO_MARK: {e}"))?;
                    let start = Instant::now();
                    for _ in 0..count {
                        match sock.send(&bytes, dst, o.ifindex) {
                            Ok(()) => {}
                            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
                            Err(e) => return Err(format!("sendto {dst}: {e}")),
                        }
                    }
                    let elapsed = start.elapsed();
                    let table = o.table.clone();
                    o.applier
                        .kernel()
                        .take_counters(&table)
                        .map_err(|e| e.to_string())?;
                    Ok(elapsed)
                })
            })
            .map_err(|e| Self::failed(e.to_string()))?
            .map_err(Self::failed)
    }

    /// The kernel's verdict for `packet` through `target`'s program: dropped (Deny), or
    /// counted as allowed or as without a verdict by the oracle's outcome counters. Works with
    /// or without rule counters.
    pub fn verdict(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
    ) -> Result<Verdict, EngineError> {
        let Some(&mark) = self.lowered.oracle_marks.get(target) else {
            return Err(EngineError::UnknownTarget(target.to_string()));
        };
        let (bytes, dst) = Self::wire(packet)?;
        let outcome = self
            .worker
            .run(move || send_one(mark, bytes, dst))
            .map_err(|e| Self::failed(e.to_string()))?
            .map_err(Self::failed)?;
        kernel_verdict(&outcome).map_err(|m| Self::failed(format!("{target}, {packet}: {m}")))
    }

    /// The bytes of `packet` and where they go, or why the engine cannot send it.
    fn wire(packet: &PacketRepr) -> Result<(Vec<u8>, IpAddr), EngineError> {
        if let Some(reason) = packet::unsupported(packet) {
            return Err(EngineError::Unsupported {
                engine: NAME.to_owned(),
                reason,
            });
        }
        let bytes =
            emit(packet, &EmitOptions::default()).map_err(|e| EngineError::Unsupported {
                engine: NAME.to_owned(),
                reason: format!("cannot build the packet: {e}"),
            })?;
        Ok((bytes, packet.dst()))
    }

    /// The lowered oracle table.
    pub fn lowered(&self) -> &Lowered {
        &self.lowered
    }

    /// The network namespace worker (tests use it to inspect the kernel state).
    pub fn namespace(&self) -> &NetnsThread {
        &self.worker
    }

    fn failed(message: impl Into<String>) -> EngineError {
        EngineError::Failed {
            engine: NAME.to_owned(),
            message: message.into(),
        }
    }
}

/// What the kernel did with one packet.
struct Outcome {
    dropped: bool,
    counters: BTreeMap<String, u64>,
}

fn send_one(mark: u32, bytes: Vec<u8>, dst: IpAddr) -> Result<Outcome, String> {
    with_oracle(|o| {
        let sock = if dst.is_ipv4() { &o.v4 } else { &o.v6 };
        sock.set_mark(mark).map_err(|e| format!("SO_MARK: {e}"))?;
        let scope = match dst {
            IpAddr::V6(a) if (a.segments()[0] & 0xffc0) == 0xfe80 || a.is_multicast() => o.ifindex,
            _ => 0,
        };
        let dropped = match sock.send(&bytes, dst, scope) {
            Ok(()) => false,
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => true,
            Err(e) => return Err(format!("sendto {dst}: {e}")),
        };
        let table = o.table.clone();
        let counters = o
            .applier
            .kernel()
            .take_counters(&table)
            .map_err(|e| e.to_string())?;
        Ok(Outcome { dropped, counters })
    })
}

/// The verdict the kernel gave: dropped, or which outcome counter counted the packet.
fn kernel_verdict(outcome: &Outcome) -> Result<Verdict, String> {
    let fired = |name: &str| outcome.counters.get(name).copied().unwrap_or(0) > 0;
    if outcome.dropped {
        Ok(Verdict::Deny)
    } else if fired(ORACLE_ALLOW_COUNTER) {
        Ok(Verdict::Allow)
    } else if fired(ORACLE_NO_VERDICT_COUNTER) {
        Ok(Verdict::NoVerdict)
    } else {
        Err("the packet passed but no outcome counter counted it".into())
    }
}

fn decision_from(
    program: &Program,
    counters: &[String],
    outcome: &Outcome,
) -> Result<Decision, String> {
    let fired = |name: &str| outcome.counters.get(name).copied().unwrap_or(0) > 0;
    let mut steps = Vec::new();
    let mut deciding = Vec::new();
    for (i, rule) in program.rules().iter().enumerate() {
        let Some(name) = counters.get(i) else {
            continue;
        };
        if !fired(name) {
            continue;
        }
        match rule.action {
            IrAction::Log => steps.push(Step::Log(rule.origin.clone())),
            IrAction::Pass { .. } => steps.push(Step::Pass(rule.origin.clone())),
            IrAction::Allow | IrAction::Deny | IrAction::NoVerdict => deciding.push(i),
        }
    }
    let [i] = deciding.as_slice() else {
        return Err(format!(
            "expected exactly one deciding rule to count the packet, counters show {deciding:?}"
        ));
    };
    let rule = &program.rules()[*i];
    let kernel_verdict = kernel_verdict(outcome)?;
    let rule_verdict = match rule.action {
        IrAction::Allow => Verdict::Allow,
        IrAction::Deny => Verdict::Deny,
        _ => Verdict::NoVerdict,
    };
    if kernel_verdict != rule_verdict {
        return Err(format!(
            "the kernel's verdict ({kernel_verdict}) disagrees with the rule that counted the \
             packet (rule {i}, {rule_verdict})"
        ));
    }
    Ok(Decision {
        verdict: kernel_verdict,
        origin: rule.origin.clone(),
        steps,
    })
}

impl Engine for NftEngine {
    fn name(&self) -> &str {
        NAME
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        _http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        let (Some(mark), Some(info), Some(program)) = (
            self.lowered.oracle_marks.get(target),
            self.lowered.programs.get(target),
            self.snapshot.program(target),
        ) else {
            return Err(EngineError::UnknownTarget(target.to_string()));
        };
        if !self.opts.rule_counters {
            return Err(EngineError::Unsupported {
                engine: NAME.to_owned(),
                reason: "the engine was loaded without rule counters, so it cannot tell which \
                         rule decided; only NftEngine::verdict answers"
                    .to_owned(),
            });
        }
        let (bytes, dst) = Self::wire(packet)?;
        let mark = *mark;
        let outcome = self
            .worker
            .run(move || send_one(mark, bytes, dst))
            .map_err(|e| Self::failed(e.to_string()))?
            .map_err(Self::failed)?;
        decision_from(program, &info.counters, &outcome)
            .map_err(|m| Self::failed(format!("{target}, {packet}: {m}")))
    }
}
