//! The lowering, laid out as the datapath lays it out and walked as the datapath walks it,
//! decides exactly as the IR evaluator (verdict, origin and steps). No privileges needed.

mod common;

use common::generate::{packet_strategy, program_strategy, sets_strategy};
use palisade_compiler::ir::evaluate;
use palisade_dataplane_ebpf::lower::interp::Image;
use palisade_dataplane_ebpf::lower::{LowerConfig, lower};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn lowered_tables_decide_like_the_ir(
        sets in sets_strategy(),
        program in program_strategy(20),
        packets in prop::collection::vec(packet_strategy(), 24),
    ) {
        let lowered = lower(&program, &sets, &LowerConfig::default()).unwrap();
        let image = Image::new(&lowered).unwrap();
        for p in &packets {
            let want = evaluate(&program, p, &sets);
            let got = image.decide(&lowered, p).unwrap();
            prop_assert_eq!(&got, &want, "packet {}\n{}", p, program);
        }
    }
}
