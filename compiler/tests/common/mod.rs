//! Shared helpers for the integration tests: a harness that compiles a model and asks the
//! reference evaluator, the IR evaluator and the fast classifier, checking that they agree.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use std::net::IpAddr;
use std::sync::Arc;

use palisade_compiler::classifier::FastEngine;
use palisade_compiler::ir::Origin;
use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{
    CompileOptions, Compiler, Decision, Engine, HttpRequest, IrEngine, ReferenceEngine, Verdict,
};
use palisade_policy_model::model::{EndpointKey, Model, PolicyId, PolicyKind};

/// A compiled model with every engine.
pub struct Harness {
    pub compiler: Compiler,
    /// The fast classifier over the compiler's snapshot (it caches one classifier per program).
    pub fast: FastEngine,
}

impl Harness {
    pub fn new(model: Model) -> Harness {
        Harness::with(model, CompileOptions::new())
    }

    pub fn with(model: Model, options: CompileOptions) -> Harness {
        let compiler = Compiler::new(model, options);
        if let Err(e) = compiler.check() {
            panic!("compile errors: {e}");
        }
        let fast = FastEngine::new(Arc::new(compiler.snapshot().clone()));
        Harness { compiler, fast }
    }

    /// The decision of every engine (which must agree exactly).
    pub fn decide(
        &self,
        endpoint: &EndpointKey,
        hook: Hook,
        packet: PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Decision {
        let target = ProgramTarget {
            endpoint: endpoint.clone(),
            hook,
        };
        let reference = ReferenceEngine::new(self.compiler.model(), self.compiler.options());
        let ir = IrEngine::new(self.compiler.snapshot());
        let a = reference
            .decide(&target, &packet, http)
            .unwrap_or_else(|e| panic!("reference: {e}"));
        let b = ir
            .decide(&target, &packet, http)
            .unwrap_or_else(|e| panic!("ir: {e}"));
        assert_eq!(a, b, "reference and IR disagree for {target} on {packet}");
        let c = self
            .fast
            .decide(&target, &packet, http)
            .unwrap_or_else(|e| panic!("fast: {e}"));
        assert_eq!(
            a, c,
            "reference and fast classifier disagree for {target} on {packet}"
        );
        a
    }

    pub fn verdict(&self, endpoint: &EndpointKey, hook: Hook, packet: PacketRepr) -> Verdict {
        self.decide(endpoint, hook, packet, None).verdict
    }
}

pub fn wl(ns: &str, name: &str) -> EndpointKey {
    EndpointKey::Workload {
        namespace: ns.into(),
        name: name.into(),
    }
}

pub fn hep(name: &str) -> EndpointKey {
    EndpointKey::Host { name: name.into() }
}

pub fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn tcp(src: &str, dst: &str, dport: u16) -> PacketRepr {
    PacketRepr::tcp(addr(src), addr(dst), 40000, dport).unwrap()
}

pub fn udp(src: &str, dst: &str, dport: u16) -> PacketRepr {
    PacketRepr::udp(addr(src), addr(dst), 40000, dport).unwrap()
}

pub fn http(method: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: Some(method.to_owned()),
        path: Some(path.to_owned()),
    }
}

pub fn gnp_id(name: &str) -> PolicyId {
    PolicyId {
        kind: PolicyKind::GlobalNetworkPolicy,
        namespace: None,
        name: name.into(),
    }
}

pub fn rule_origin(tier: &str, policy: PolicyId, rule: u32) -> Origin {
    Origin::Rule {
        tier: tier.into(),
        policy,
        rule,
    }
}

pub fn end_of_tier(tier: &str) -> Origin {
    Origin::EndOfTier { tier: tier.into() }
}

pub fn profile_origin(profile: &str, rule: u32) -> Origin {
    Origin::Profile {
        profile: profile.into(),
        rule,
    }
}
