//! A deliberately broken engine — the IR evaluator with a test-only mutation that treats Pass
//! as Allow — is caught: by the corpus, with a readable report that names the case, its file,
//! the flow, the expected decisions and each engine's verdict and deciding origin; and by the
//! differential run, which shrinks the failing generated case and writes it as a case file
//! that loads and fails the same way.

use std::path::PathBuf;

use palisade_compiler::ir::{Origin, ProgramTarget};
use palisade_compiler::packet::PacketRepr;
use palisade_compiler::{Decision, Engine, EngineError, HttpRequest, IrEngine, Step, Verdict};
use palisade_conformance::differential::{GeneratedConfig, run_generated};
use palisade_conformance::engines::{IrAdapter, ReferenceAdapter};
use palisade_conformance::report::{EngineResult, FailureKind};
use palisade_conformance::{
    Availability, Cluster, EngineAdapter, EngineName, FlowEngine, FlowEvaluator, Mode,
    OutcomeField, RunConfig, Runner, load_corpus, load_files,
};

const BROKEN: &str = "broken-pass-as-allow";

/// The mutation: the first Pass step becomes the decision, as an Allow.
struct PassAsAllow<E>(E);

impl<E: Engine> Engine for PassAsAllow<E> {
    fn name(&self) -> &str {
        BROKEN
    }

    fn decide(
        &self,
        target: &ProgramTarget,
        packet: &PacketRepr,
        http: Option<&HttpRequest>,
    ) -> Result<Decision, EngineError> {
        let decision = self.0.decide(target, packet, http)?;
        let pass = decision
            .steps
            .iter()
            .position(|s| matches!(s, Step::Pass(_)));
        Ok(match pass {
            Some(i) => {
                let Step::Pass(origin) = &decision.steps[i] else {
                    unreachable!("position found a Pass step")
                };
                let origin: Origin = origin.clone();
                Decision {
                    verdict: Verdict::Allow,
                    origin,
                    steps: decision.steps[..i].to_vec(),
                }
            }
            None => decision,
        })
    }
}

/// The IR evaluator with the mutation.
struct Broken;

impl EngineAdapter for Broken {
    fn name(&self) -> &str {
        BROKEN
    }

    fn skip_key(&self) -> EngineName {
        EngineName::Ir
    }

    fn availability(&self) -> Availability {
        Availability::Available
    }

    fn load<'a>(
        &'a self,
        cluster: &'a Cluster,
        mode: Mode,
    ) -> Result<Box<dyn FlowEngine + 'a>, String> {
        let snapshot = cluster.snapshot(mode)?;
        Ok(Box::new(FlowEvaluator::new(
            cluster.model(),
            PassAsAllow(IrEngine::new(snapshot)),
        )))
    }
}

fn runner() -> Runner {
    let adapters: Vec<Box<dyn EngineAdapter>> = vec![
        Box::new(ReferenceAdapter),
        Box::new(IrAdapter),
        Box::new(Broken),
    ];
    Runner::new(adapters, RunConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_corpus_catches_pass_treated_as_allow_with_a_readable_report() {
    let corpus = load_corpus().unwrap_or_else(|e| panic!("{e}"));
    let report = runner().run_corpus(&corpus);
    assert!(!report.passed(), "the broken engine was not caught");

    // Every failure is a flow failure of the broken engine alone; the other engines agree.
    let flows: Vec<_> = report.flow_failures().collect();
    assert_eq!(flows.len(), report.failures.len(), "{report}");
    for (failure, flow) in &flows {
        let failing: Vec<&str> = flow.failing_engines().map(|e| e.engine.as_str()).collect();
        assert_eq!(failing, vec![BROKEN], "{failure}");
        for engine in ["reference", "ir"] {
            let r = flow.engine(engine).expect("every engine ran");
            assert!(r.passed(), "{engine} should agree: {failure}");
        }
        let broken = flow.engine(BROKEN).expect("the broken engine ran");
        let EngineResult::Decided(got) = &broken.result else {
            panic!("the broken engine decided: {failure}")
        };
        // It says allow where a Pass was taken, so at least one side differs.
        assert!(
            broken.differs.iter().any(|d| *d != OutcomeField::Verdict),
            "{failure}"
        );
        assert_eq!(flow.expected.differences(got), broken.differs);
        assert!(
            failure.location.contains("conformance/cases/"),
            "{}",
            failure.location
        );
    }
    // The Pass cases are among those caught.
    assert!(
        flows.iter().any(|(f, _)| f.case.starts_with("pass/")),
        "no pass/ case failed"
    );
    let tally = report.tally(BROKEN).expect("tallied");
    assert_eq!(tally.failed, flows.len());
    assert_eq!(report.tally("ir").expect("tallied").failed, 0);

    // The report reads: heading, table, then each failure with case, file, flow, expected
    // decisions and every engine's answer, the differing fields marked.
    let text = report.to_string();
    let (f0, flow0) = flows[0];
    assert!(text.starts_with("conformance (corpus): "), "{text}");
    assert!(text.contains(&format!(
        "FAILURE 1/{}: case `{}` ({})",
        flows.len(),
        f0.case,
        f0.location
    )));
    assert!(text.contains(&format!(
        "flows[{}] ({}): {}",
        flow0.index, flow0.mode, flow0.flow
    )));
    assert!(text.contains("    expected\n        verdict     "));
    assert!(text.contains("    reference: agrees\n    ir: agrees\n"));
    assert!(text.contains(&format!("    {BROKEN}: DIFFERS in ")));
    assert!(text.contains("   <-- differs"));
    assert!(text.contains("by: rule, tier: "));
    let table = report.summary_table();
    let row = table
        .lines()
        .find(|l| l.starts_with(BROKEN))
        .expect("a row");
    assert!(row.ends_with("FAILED"), "{table}");
    eprintln!("{}", flows[0].0);
}

#[test]
fn the_differential_run_shrinks_and_writes_the_failing_case() {
    let dir = std::env::temp_dir().join(format!(
        "palisade-conformance-broken-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = GeneratedConfig::new(4000, 11);
    config.failures_dir = dir.clone();
    config.expansions = false;
    config.max_shrink_iters = 256;
    let run = run_generated(&runner(), &config);
    assert!(!run.passed(), "the broken engine was not caught");
    let path: PathBuf = run.written.clone().expect("the shrunk case was written");
    assert!(path.starts_with(&dir));
    for failure in &run.report.failures {
        assert_eq!(failure.location, path.display().to_string());
        match &failure.kind {
            FailureKind::Flow(flow) => {
                let failing: Vec<&str> =
                    flow.failing_engines().map(|e| e.engine.as_str()).collect();
                assert_eq!(failing, vec![BROKEN], "{failure}");
            }
            other => panic!("unexpected failure: {other:?}"),
        }
    }
    // The written case loads with the strict loader, is small, and fails the same way.
    let written = load_files(&[&path]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written.len(), 1);
    let case = &written.cases()[0].case;
    assert!(
        case.flows.len() <= 3,
        "not shrunk: {} flows",
        case.flows.len()
    );
    assert!(
        case.resources.lines().count() <= 12,
        "not shrunk:\n{}",
        case.resources
    );
    let again = runner().run_corpus(&written);
    assert!(!again.passed());
    assert_eq!(again.tally("reference").expect("tallied").failed, 0);
    assert_eq!(again.tally("ir").expect("tallied").failed, 0);
    assert!(again.tally(BROKEN).expect("tallied").failed > 0);
    if std::env::var_os("KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
