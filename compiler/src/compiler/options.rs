//! [`CompileOptions`], [`Limits`] and [`HttpMode`].

use serde::{Deserialize, Serialize};

use super::dns::DnsCache;

/// What to do with a rule that has an `http` match (DECISIONS D9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpMode {
    /// The compiler refuses such a rule with an error naming it (the default: never silently
    /// widen a policy). The reference evaluator, in this mode, evaluates `http` against the
    /// request's method and path.
    #[default]
    Refuse,
    /// Compile (and, in the reference evaluator, evaluate) the rule without its `http` part:
    /// Calico's L3/L4 dataplane behaviour, chosen explicitly.
    L4Only,
}

/// Capacity limits of a backend. A compile that exceeds one reports an error naming what
/// exceeded it (and the rule that caused it); the snapshot itself stays exact. `None` means no
/// limit, which is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    rules_per_program: Option<usize>,
    members_per_set: Option<usize>,
    sets: Option<usize>,
}

impl Limits {
    /// No limits.
    pub fn new() -> Limits {
        Limits::default()
    }

    /// At most `n` rules in any program (final and end-of-tier rules included).
    pub fn rules_per_program(mut self, n: usize) -> Limits {
        self.rules_per_program = Some(n);
        self
    }

    /// At most `n` members in any IP set.
    pub fn members_per_set(mut self, n: usize) -> Limits {
        self.members_per_set = Some(n);
        self
    }

    /// At most `n` IP sets in a snapshot.
    pub fn sets(mut self, n: usize) -> Limits {
        self.sets = Some(n);
        self
    }

    /// The rules-per-program limit, if any.
    pub fn get_rules_per_program(&self) -> Option<usize> {
        self.rules_per_program
    }

    /// The members-per-set limit, if any.
    pub fn get_members_per_set(&self) -> Option<usize> {
        self.members_per_set
    }

    /// The total-sets limit, if any.
    pub fn get_sets(&self) -> Option<usize> {
        self.sets
    }
}

/// How to compile: `http` handling, the pending (staged-as-enforced) form, limits and the DNS
/// answers that `domains` rules resolve to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    pub(crate) http: HttpMode,
    pub(crate) pending: bool,
    pub(crate) limits: Limits,
    pub(crate) dns: DnsCache,
}

impl CompileOptions {
    /// The defaults: refuse `http` rules, enforced (not pending) form, no limits, empty DNS cache.
    pub fn new() -> CompileOptions {
        CompileOptions::default()
    }

    /// Sets the `http` handling.
    pub fn http(mut self, mode: HttpMode) -> CompileOptions {
        self.http = mode;
        self
    }

    /// Compiles the *pending* form: staged policies treated as enforced (DECISIONS D8), for
    /// `--staged` evaluations.
    pub fn pending(mut self, pending: bool) -> CompileOptions {
        self.pending = pending;
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> CompileOptions {
        self.limits = limits;
        self
    }

    /// Sets the DNS answers for `domains` rules.
    pub fn dns(mut self, dns: DnsCache) -> CompileOptions {
        self.dns = dns;
        self
    }

    /// The `http` handling.
    pub fn get_http(&self) -> HttpMode {
        self.http
    }

    /// True for the pending form.
    pub fn get_pending(&self) -> bool {
        self.pending
    }

    /// The limits.
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// The DNS cache.
    pub fn get_dns(&self) -> &DnsCache {
        &self.dns
    }
}
