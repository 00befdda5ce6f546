//! The dataplane's bookkeeping on real interfaces: attach and detach per binding, shared slots,
//! incremental updates that write only what changed. Needs root and `ip`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::kernel::{Netns, ip_in, root_or_skip, serial};
use palisade_compiler::Snapshot;
use palisade_compiler::ir::{
    Hook, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match, Origin,
    PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_dataplane_ebpf::dataplane::{Binding, Dataplane, DataplaneConfig};
use palisade_dataplane_ebpf::sys::AttachPoint;
use palisade_policy_model::model::EndpointKey;
use palisade_policy_model::values::PortRange;
use smallvec::smallvec;

fn set(name: &str, nets: &[&str]) -> IpSet {
    IpSet::new(
        IpSetId::derive("s", name),
        IpSetSource::Nets,
        IpSetMembers::addrs(nets.iter().map(|n| n.parse().expect("test setup"))),
    )
}

fn from_set(name: &str, port: u16, hook: Hook) -> Arc<Program> {
    Arc::new(
        Program::new(
            hook,
            vec![
                IrRule {
                    matches: Match {
                        protocol: Some(6),
                        src: SideMatch {
                            sets: smallvec![IpSetId::derive("s", name)],
                            ..SideMatch::default()
                        },
                        dst: SideMatch {
                            ports: Some(PortMatch {
                                ranges: smallvec![PortRange::single(port).expect("test setup")],
                                named: smallvec![],
                            }),
                            ..SideMatch::default()
                        },
                        ..Match::any()
                    },
                    action: IrAction::Allow,
                    origin: Origin::Default,
                },
                IrRule {
                    matches: Match::any(),
                    action: IrAction::Deny,
                    origin: Origin::NoMatch,
                },
            ],
        )
        .expect("test setup"),
    )
}

fn workload(name: &str) -> EndpointKey {
    EndpointKey::Workload {
        namespace: "ns".into(),
        name: name.into(),
    }
}

#[test]
fn updates_touch_only_what_changed_and_remove_detaches_everything() {
    if !root_or_skip("updates_touch_only_what_changed_and_remove_detaches_everything") {
        return;
    }
    let _s = serial();
    let ns = Netns::new("dp");
    for (a, b) in [("wa", "wa-peer"), ("wb", "wb-peer"), ("wc", "wc-peer")] {
        ip_in(
            &ns.name,
            &["link", "add", a, "type", "veth", "peer", "name", b],
        );
        ip_in(&ns.name, &["link", "set", a, "up"]);
    }
    let _in = ns.enter();

    let mut sets = IpSets::new();
    sets.insert(set("clients", &["10.1.0.0/16", "10.2.3.0/24"]));
    sets.insert(set("admins", &["192.168.0.0/24"]));
    let allow_all = Arc::new(
        Program::new(
            Hook::WorkloadEgress,
            vec![IrRule {
                matches: Match::any(),
                action: IrAction::Allow,
                origin: Origin::Default,
            }],
        )
        .unwrap(),
    );
    let mut programs = BTreeMap::new();
    let t = |name: &str, hook| ProgramTarget {
        endpoint: workload(name),
        hook,
    };
    // a and c have the same ingress program (one slot); b's refers to another set.
    programs.insert(
        t("a", Hook::WorkloadIngress),
        from_set("clients", 80, Hook::WorkloadIngress),
    );
    programs.insert(
        t("c", Hook::WorkloadIngress),
        from_set("clients", 80, Hook::WorkloadIngress),
    );
    programs.insert(
        t("b", Hook::WorkloadIngress),
        from_set("admins", 22, Hook::WorkloadIngress),
    );
    for n in ["a", "b", "c"] {
        programs.insert(t(n, Hook::WorkloadEgress), Arc::clone(&allow_all));
    }
    let snapshot = Snapshot { programs, sets };
    let bindings: Vec<Binding> = [("wa", "a"), ("wb", "b"), ("wc", "c")]
        .iter()
        .map(|(i, e)| Binding {
            interface: (*i).into(),
            endpoint: workload(e),
        })
        .collect();

    let mut dp = Dataplane::new(DataplaneConfig::default()).unwrap();
    let r = dp.apply(&snapshot, &bindings).unwrap();
    assert_eq!(
        r.attached.len(),
        6,
        "TC ingress and egress on three interfaces"
    );
    assert_eq!(r.programs_published, 3, "three distinct programs");
    assert_eq!(dp.bindings().len(), 3);

    // Applying the same snapshot again changes nothing.
    let r = dp.apply(&snapshot, &bindings).unwrap();
    assert_eq!(
        (r.programs_published, r.words_written, r.attached.len()),
        (0, 0, 0)
    );

    // One member of "clients" changes: only the program that refers to it is republished, and
    // only its address tables and projections are written.
    let ab = Arc::clone(dp.lowered(&t("a", Hook::WorkloadIngress)).unwrap());
    let before_b = Arc::clone(dp.lowered(&t("b", Hook::WorkloadIngress)).unwrap());
    let r = dp
        .update_sets([set("clients", &["10.1.0.0/16", "10.2.4.0/24"])])
        .unwrap();
    assert_eq!(r.programs_published, 1, "{r:?}");
    assert_eq!(r.programs_unchanged, 2, "{r:?}");
    assert!(r.tables_written > 0 && r.tables_reused > 0, "{r:?}");
    assert!(
        r.words_written < ab.words() as u64,
        "{r:?}: rewrote the whole program"
    );
    assert!(Arc::ptr_eq(
        &before_b,
        dp.lowered(&t("b", Hook::WorkloadIngress)).unwrap()
    ));
    assert!(!Arc::ptr_eq(
        &ab,
        dp.lowered(&t("a", Hook::WorkloadIngress)).unwrap()
    ));

    // Unbinding one interface detaches it; its slot stays while another interface uses it.
    let r = dp.apply(&snapshot, &bindings[1..]).unwrap();
    assert_eq!(
        r.detached,
        vec![
            ("wa".to_owned(), AttachPoint::TcIngress),
            ("wa".to_owned(), AttachPoint::TcEgress)
        ]
    );
    assert!(dp.lowered(&t("c", Hook::WorkloadIngress)).is_some());

    let r = dp.remove_all().unwrap();
    assert_eq!(r.detached.len(), 4);
    assert!(dp.bindings().is_empty());
    assert!(dp.datapath().attachments().is_empty());
    assert_eq!(
        dp.datapath().heap_usage().0,
        0,
        "every slot was retracted and its tables freed"
    );
}
