//! The evaluation backends (`--backend`) and the [`Evaluator`] that owns one engine for the
//! enforced verdict and, for `--staged`, one for the pending verdict. Engines are built once per
//! command, never per flow.

use std::fmt;
use std::sync::Arc;

use palisade_compiler::classifier::FastEngine;
use palisade_compiler::flow::{Flow, FlowError, FlowResult, evaluate_flow};
use palisade_compiler::ir::ProgramTarget;
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{
    CompileError, CompileErrors, CompileOptions, Decision, Engine, EngineError, HttpRequest,
    IrEngine, ReferenceEngine, Snapshot, compile,
};
use palisade_dataplane_ebpf::EbpfEngine;
use palisade_dataplane_nft::engine::NftEngine;
use palisade_dataplane_nft::lower::LowerOptions;
use palisade_policy_model::model::Model;

/// Which engine decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Backend {
    /// The reference evaluator: walks the model's tiers, policies and rules directly (the
    /// oracle; evaluates `http` rules when a flow carries a method or path).
    Reference,
    /// The IR evaluator: walks each compiled program rule by rule.
    Ir,
    /// The fast classifier: per-field lookup tables, cost independent of the number of rules.
    #[default]
    Fast,
    /// The kernel's nftables: every program loaded into a private network namespace, each
    /// packet sent through its output hook (needs root).
    Nft,
    /// The kernel's eBPF datapath: every program published into the datapath's maps, each
    /// packet run with `BPF_PROG_TEST_RUN` (needs root).
    Ebpf,
}

impl Backend {
    /// `reference`, `ir`, `fast`, `nft` or `ebpf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Reference => "reference",
            Backend::Ir => "ir",
            Backend::Fast => "fast",
            Backend::Nft => "nft",
            Backend::Ebpf => "ebpf",
        }
    }

    /// True for the backends that decide with the kernel (and need root).
    pub fn is_kernel(self) -> bool {
        matches!(self, Backend::Nft | Backend::Ebpf)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the engines could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The model does not compile (e.g. an `http` rule without `--http l4-only`).
    #[error("{}", CompileErrorList { pending: *pending, errors })]
    Compile {
        /// True when compiling the pending (staged-as-enforced) form failed.
        pending: bool,
        /// Every error.
        errors: CompileErrors,
    },
    /// A kernel backend was asked for without the privileges it needs.
    #[error(
        "--backend {backend} decides with the kernel and needs root (CAP_SYS_ADMIN and \
         CAP_NET_ADMIN); run as root, or use --backend reference|ir|fast"
    )]
    NotRoot {
        /// The backend.
        backend: Backend,
    },
    /// A kernel backend could not be set up.
    #[error("--backend {backend}: cannot set up the kernel engine: {message}")]
    Kernel {
        /// The backend.
        backend: Backend,
        /// What failed.
        message: String,
    },
}

/// True when the process runs as root (effective uid 0; read from `/proc/self`, which the
/// process's effective uid owns).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

struct CompileErrorList<'a> {
    pending: bool,
    errors: &'a CompileErrors,
}

impl fmt::Display for CompileErrorList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.0.len();
        write!(
            f,
            "the policy does not compile{} ({n} {}); nothing was evaluated",
            if self.pending {
                " with staged policies enforced"
            } else {
                ""
            },
            if n == 1 { "error" } else { "errors" }
        )?;
        for e in &self.errors.0 {
            write!(f, "\n  {e}")?;
        }
        if self
            .errors
            .0
            .iter()
            .any(|e| matches!(e, CompileError::HttpRefused { .. }))
        {
            write!(
                f,
                "\n  hint: `--http l4-only` enforces such rules without their http part (Calico's \
                 L3/L4 dataplane behaviour); `--backend reference` evaluates http matches"
            )?;
        }
        Ok(())
    }
}

/// One built engine.
enum Built<'m> {
    Reference(ReferenceEngine<'m>),
    Ir(Arc<Snapshot>),
    Fast(FastEngine),
    Nft(NftEngine, Arc<Snapshot>),
    Ebpf(Box<EbpfEngine>, Arc<Snapshot>),
}

impl<'m> Built<'m> {
    fn new(
        model: &'m Model,
        backend: Backend,
        options: &CompileOptions,
    ) -> Result<Built<'m>, BackendError> {
        let compiled = |options: &CompileOptions| {
            compile(model, options)
                .map(Arc::new)
                .map_err(|errors| BackendError::Compile {
                    pending: options.get_pending(),
                    errors,
                })
        };
        Ok(match backend {
            Backend::Reference => Built::Reference(ReferenceEngine::new(model, options)),
            Backend::Ir => Built::Ir(compiled(options)?),
            Backend::Fast => Built::Fast(FastEngine::new(compiled(options)?)),
            Backend::Nft => {
                let snapshot = compiled(options)?;
                let opts = LowerOptions {
                    endpoint_to_host: model.felix().default_endpoint_to_host_action,
                    ..LowerOptions::default()
                };
                let engine =
                    NftEngine::new(&snapshot, &opts).map_err(|e| BackendError::Kernel {
                        backend,
                        message: e.to_string(),
                    })?;
                Built::Nft(engine, snapshot)
            }
            Backend::Ebpf => {
                let snapshot = compiled(options)?;
                let engine = EbpfEngine::new(&snapshot).map_err(|e| BackendError::Kernel {
                    backend,
                    message: e.to_string(),
                })?;
                Built::Ebpf(Box::new(engine), snapshot)
            }
        })
    }

    fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            Built::Reference(_) => None,
            Built::Ir(s) => Some(s),
            Built::Fast(e) => Some(e.snapshot()),
            Built::Nft(_, s) | Built::Ebpf(_, s) => Some(s),
        }
    }
}

impl Engine for Built<'_> {
    fn name(&self) -> &str {
        match self {
            Built::Reference(e) => e.name(),
            Built::Ir(_) => "ir",
            Built::Fast(e) => e.name(),
            Built::Nft(e, _) => e.name(),
            Built::Ebpf(e, _) => e.name(),
        }
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        match self {
            Built::Reference(e) => e.decide(target, packet, http),
            Built::Ir(s) => IrEngine::new(s).decide(target, packet, http),
            Built::Fast(e) => e.decide(target, packet, http),
            Built::Nft(e, _) => e.decide(target, packet, http),
            Built::Ebpf(e, _) => e.decide(target, packet, http),
        }
    }
}

/// What a flow got: the enforced result and, with `--staged`, the pending one (staged policies
/// treated as enforced; DECISIONS D8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The enforced verdict and decisions.
    pub result: FlowResult,
    /// The pending verdict and decisions, when asked for.
    pub pending: Option<FlowResult>,
}

/// Evaluates flows against one model with engines built once.
pub struct Evaluator<'m> {
    model: &'m Model,
    backend: Backend,
    enforced: Built<'m>,
    pending: Option<Built<'m>>,
}

impl fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evaluator")
            .field("backend", &self.backend)
            .field("staged", &self.pending.is_some())
            .finish_non_exhaustive()
    }
}

impl<'m> Evaluator<'m> {
    /// Builds the engine for `backend` (compiling the model for `ir` and `fast`) with `options`
    /// (`http` mode, DNS answers; the pending flag is ignored), plus a second engine for the
    /// pending verdict when `staged` is true. The kernel backends (`nft`, `ebpf`) need root:
    /// without it this is [`BackendError::NotRoot`], never a fallback to another engine.
    pub fn new(
        model: &'m Model,
        backend: Backend,
        options: &CompileOptions,
        staged: bool,
    ) -> Result<Evaluator<'m>, BackendError> {
        if backend.is_kernel() && !is_root() {
            return Err(BackendError::NotRoot { backend });
        }
        let enforced = Built::new(model, backend, &options.clone().pending(false))?;
        let pending = if staged {
            Some(Built::new(model, backend, &options.clone().pending(true))?)
        } else {
            None
        };
        Ok(Evaluator {
            model,
            backend,
            enforced,
            pending,
        })
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The enforced engine.
    pub fn engine(&self) -> &dyn Engine {
        &self.enforced
    }

    /// The compiled snapshot of the enforced engine (`None` for the reference backend).
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.enforced.snapshot()
    }

    /// Evaluates one flow (DECISIONS D6): the enforced result and, with `--staged`, the pending
    /// one.
    pub fn evaluate(&self, flow: &Flow) -> Result<Outcome, FlowError> {
        let result = evaluate_flow(&self.enforced, self.model, flow)?;
        let pending = match &self.pending {
            Some(engine) => Some(evaluate_flow(engine, self.model, flow)?),
            None => None,
        };
        Ok(Outcome { result, pending })
    }
}
