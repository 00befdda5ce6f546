//! Differential test in the kernel: random programs and packets through the real datapath
//! (`BPF_PROG_TEST_RUN`) must give the IR evaluator's decision — verdict, deciding origin and
//! Log/Pass steps. Needs root.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::generate::{packet_strategy, program_strategy, sets_strategy};
use common::kernel::{Netns, root_or_skip, serial};
use palisade_compiler::ir::{Hook, ProgramTarget, evaluate};
use palisade_compiler::{Engine, EngineError, Snapshot};
use palisade_dataplane_ebpf::engine::EbpfEngine;
use palisade_policy_model::model::EndpointKey;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

#[test]
fn datapath_decides_like_the_ir_evaluator() {
    if !root_or_skip("datapath_decides_like_the_ir_evaluator") {
        return;
    }
    let _serial = serial();
    let ns = Netns::new("diff");
    let _in = ns.enter();

    let mut runner = TestRunner::deterministic();
    let programs = 120;
    let packets_per_program = 20;
    let sets = sets_strategy().new_tree(&mut runner).unwrap().current();
    let mut snapshot = Snapshot {
        programs: BTreeMap::new(),
        sets,
    };
    for i in 0..programs {
        let program = program_strategy(24)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let target = ProgramTarget {
            endpoint: EndpointKey::Host {
                name: format!("ep{i}").into(),
            },
            hook: Hook::HostUntrackedIngress,
        };
        snapshot.programs.insert(target, Arc::new(program));
    }
    let engine = EbpfEngine::new(&snapshot).unwrap();
    let mut cases = 0;
    for (target, program) in &snapshot.programs {
        let all: Vec<_> = (0..packets_per_program)
            .map(|_| packet_strategy().new_tree(&mut runner).unwrap().current())
            .collect();
        // Packets the wire cannot carry (an IPv6 packet whose protocol is an extension header
        // number) are refused, not guessed at.
        let (packets, unsendable): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|p| palisade_dataplane_ebpf::frame::emit(p).is_ok());
        for p in &unsendable {
            assert!(
                matches!(
                    engine.decide(target, p, None),
                    Err(EngineError::Unsupported { .. })
                ),
                "{p} should be refused"
            );
        }
        let got = engine.decide_all(target, &packets).unwrap();
        for (p, got) in packets.iter().zip(got) {
            let want = evaluate(program, p, &snapshot.sets);
            assert_eq!(got, want, "packet {p}\n{program}");
            cases += 1;
        }
    }
    assert!(cases >= 2000, "only {cases} cases");
}
