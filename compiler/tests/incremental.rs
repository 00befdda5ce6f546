//! Incremental updates (issue item 5): the compiled state depends only on the current model,
//! never on the order of past changes, and every [`Delta`] is exactly the difference between
//! the snapshots before and after it.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::collections::{BTreeMap, BTreeSet};

use palisade_compiler::compiler::{Delta, ProgramChange, SetChange};
use palisade_compiler::ir::{IpSet, IpSetMembers};
use palisade_compiler::testing::generators::{GenModel, Step, model_pair, mutate, steps};
use palisade_compiler::{CompileError, Compiler, HttpMode, Snapshot};
use palisade_policy_model::model::{Item, Model, ResourceKey};
use proptest::prelude::*;

fn members_after(old: &IpSetMembers, added: &IpSetMembers, removed: &IpSetMembers) -> IpSetMembers {
    match (old, added, removed) {
        (IpSetMembers::Addrs(o), IpSetMembers::Addrs(a), IpSetMembers::Addrs(r)) => {
            let mut set: BTreeSet<_> = o.iter().copied().collect();
            for x in r {
                assert!(set.remove(x), "delta removes a member that was not there");
            }
            for x in a {
                assert!(set.insert(*x), "delta adds a member that was already there");
            }
            IpSetMembers::addrs(set)
        }
        (IpSetMembers::AddrPorts(o), IpSetMembers::AddrPorts(a), IpSetMembers::AddrPorts(r)) => {
            let mut set: BTreeSet<_> = o.iter().copied().collect();
            for x in r {
                assert!(set.remove(x), "delta removes a member that was not there");
            }
            for x in a {
                assert!(set.insert(*x), "delta adds a member that was already there");
            }
            IpSetMembers::addr_ports(set)
        }
        _ => panic!("member kinds differ"),
    }
}

/// Applies a delta to the snapshot it was computed from, checking that every change is a real
/// change.
fn apply_delta(snapshot: &mut Snapshot, delta: &Delta) {
    for (target, change) in &delta.programs {
        match change {
            ProgramChange::Added(p) => {
                assert!(
                    snapshot
                        .programs
                        .insert(target.clone(), p.clone())
                        .is_none()
                );
            }
            ProgramChange::Replaced(p) => {
                let old = snapshot.programs.insert(target.clone(), p.clone());
                assert!(
                    old.is_some_and(|o| o != *p),
                    "replaced with the same program"
                );
            }
            ProgramChange::Removed => {
                assert!(snapshot.programs.remove(target).is_some());
            }
        }
    }
    for (id, change) in &delta.sets {
        match change {
            SetChange::Added(s) => {
                assert!(snapshot.sets.insert_shared(s.clone()).is_none());
            }
            SetChange::Removed => {
                assert!(snapshot.sets.remove(id).is_some());
            }
            SetChange::Members { added, removed } => {
                assert!(!added.is_empty() || !removed.is_empty());
                let old = snapshot.sets.get(id).expect("changed set exists").clone();
                let members = members_after(old.members(), added, removed);
                snapshot
                    .sets
                    .insert(IpSet::new(id.clone(), old.source().clone(), members));
            }
        }
    }
}

fn errors(c: &Compiler) -> Vec<CompileError> {
    c.errors().cloned().collect()
}

/// Sets in the snapshot are exactly those its programs refer to.
fn check_sets_referenced(snapshot: &Snapshot) {
    let referenced: BTreeSet<String> = snapshot
        .programs
        .values()
        .flat_map(|p| {
            p.rules()
                .iter()
                .flat_map(|r| r.matches.set_ids().map(|i| i.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let present: BTreeSet<String> = snapshot.sets.iter().map(|s| s.id().to_string()).collect();
    assert_eq!(referenced, present);
}

fn run(a: &GenModel, b: &GenModel, steps: &[Step], http: HttpMode) -> Result<(), TestCaseError> {
    let keys: Vec<ResourceKey> = a
        .sources
        .keys()
        .chain(b.sources.keys())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let options = a.options(http, false);
    let mut compiler = Compiler::new(Model::new(), options.clone());
    let mut before = compiler.snapshot().clone();
    let mut errors_before: BTreeSet<String> = BTreeSet::new();
    let mut current: BTreeMap<ResourceKey, Vec<Item>> = BTreeMap::new();
    for step in steps {
        let (i, source): (usize, Option<&BTreeMap<ResourceKey, Vec<Item>>>) = match *step {
            Step::First(i) => (i, Some(&a.sources)),
            Step::Second(i) => (i, Some(&b.sources)),
            Step::Delete(i) | Step::Mutate(i, _) => (i, None),
        };
        let key = keys[i % keys.len()].clone();
        let items = match *step {
            Step::Mutate(_, choice) => current.get(&key).map(|items| {
                items
                    .iter()
                    .map(|it| mutate(it, choice))
                    .collect::<Vec<_>>()
            }),
            _ => source.and_then(|s| s.get(&key)).cloned(),
        };
        match &items {
            Some(items) => {
                current.insert(key.clone(), items.clone());
            }
            None => {
                current.remove(&key);
            }
        }
        let delta = compiler.edit(|m| match items {
            Some(items) => m.insert_items(key.clone(), items),
            None => m.delete(&key),
        });
        apply_delta(&mut before, &delta);
        prop_assert_eq!(
            &before,
            compiler.snapshot(),
            "delta of {:?} is not exact",
            step
        );
        let mut errs = errors_before.clone();
        for e in &delta.errors_cleared {
            prop_assert!(
                errs.remove(&e.to_string()),
                "cleared an error that was not there"
            );
        }
        for e in &delta.errors_added {
            prop_assert!(errs.insert(e.to_string()), "added an error that was there");
        }
        let now: BTreeSet<String> = compiler.errors().map(ToString::to_string).collect();
        prop_assert_eq!(&errs, &now);
        errors_before = now;
        check_sets_referenced(compiler.snapshot());
    }
    let full = Compiler::new(compiler.model().clone(), options);
    prop_assert_eq!(full.snapshot(), compiler.snapshot());
    prop_assert_eq!(errors(&full), errors(&compiler));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn random_update_sequences_match_a_full_compile(
        (a, b) in model_pair(),
        steps in steps(60),
        refuse_http in any::<bool>(),
    ) {
        let http = if refuse_http { HttpMode::Refuse } else { HttpMode::L4Only };
        run(&a, &b, &steps, http)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Building a model source by source, in any order, ends where compiling it at once does.
    #[test]
    fn insertion_order_does_not_matter((a, _b) in model_pair(), seed in any::<u64>()) {
        let mut keys: Vec<&ResourceKey> = a.sources.keys().collect();
        // A deterministic shuffle from the seed.
        let mut state = seed;
        for i in (1..keys.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            keys.swap(i, (state >> 33) as usize % (i + 1));
        }
        let options = a.options(HttpMode::L4Only, false);
        let mut compiler = Compiler::new(Model::new(), options.clone());
        for key in keys {
            let items = a.sources[key].clone();
            compiler.edit(|m| m.insert_items(key.clone(), items));
        }
        let full = Compiler::new(a.model(), options);
        prop_assert_eq!(full.snapshot(), compiler.snapshot());
    }
}

// ----- targeted changes ------------------------------------------------------------------------

use palisade_compiler::compiler::DnsCache;
use palisade_compiler::testing::build::*;
use palisade_policy_model::model::ItemKey;
use palisade_policy_model::values::{Protocol, TierAction};

/// A base model touching most kinds of item.
fn base() -> ModelBuilder {
    ModelBuilder::new()
        .tier(tier("t1", Some(1.0), TierAction::Deny))
        .tier(tier("t2", Some(2.0), TierAction::Pass))
        .profile(namespace("a", &[("team", "red")]))
        .policy(gnp("first", "t1", Some(1.0), "app == 'web'").ingress(vec![
            allow().tcp().src_selector("pcns.team == 'red'"),
            pass(),
        ]))
        .policy(
            gnp("second", "t2", Some(1.0), "has(app)")
                .ingress(vec![
                    deny()
                        .src_selector("app == 'db'")
                        .dst_named_ports(&["http"]),
                ])
                .egress(vec![allow().dst(|e| {
                    e.domains = vec!["api.example.com".into()];
                })]),
        )
        .workload(pod("a", "web", &[("app", "web")], &["10.0.0.1"]))
        .workload(pod("a", "db", &[("app", "db")], &["10.0.0.2"]))
        .host(host_endpoint(
            "h",
            "n1",
            &[("host-endpoint", "true")],
            &["192.168.0.1"],
        ))
}

/// Applies `edit` to a compiler of `initial`; the delta must be exact and the result must equal a
/// full compile of the edited model. Returns the delta.
fn check_edit(initial: Model, edit: impl FnOnce(&mut Model) -> BTreeSet<ItemKey>) -> Delta {
    let options = palisade_compiler::CompileOptions::new()
        .dns(DnsCache::new().with("api.example.com", ["192.0.2.1".parse().unwrap()]));
    let mut compiler = Compiler::new(initial, options.clone());
    let mut before = compiler.snapshot().clone();
    let delta = compiler.edit(edit);
    apply_delta(&mut before, &delta);
    assert_eq!(&before, compiler.snapshot(), "delta is not exact");
    let full = Compiler::new(compiler.model().clone(), options);
    assert_eq!(
        full.snapshot(),
        compiler.snapshot(),
        "incremental differs from full"
    );
    check_sets_referenced(compiler.snapshot());
    delta
}

fn replace(item: Item) -> impl FnOnce(&mut Model) -> BTreeSet<ItemKey> {
    move |m| m.insert_items(source_key(&item), vec![item])
}

#[test]
fn reordering_tiers_reorders_programs() {
    let delta = check_edit(
        base().build(),
        replace(Item::Tier(tier("t1", Some(3.0), TierAction::Deny))),
    );
    assert!(!delta.programs.is_empty());
}

#[test]
fn a_tier_default_change_changes_end_of_tier_rules() {
    let delta = check_edit(
        base().build(),
        replace(Item::Tier(tier("t2", Some(2.0), TierAction::Deny))),
    );
    assert!(!delta.programs.is_empty());
}

#[test]
fn a_pod_label_change_moves_its_address_between_sets() {
    let delta = check_edit(
        base().build(),
        replace(Item::Workload(pod(
            "a",
            "db",
            &[("app", "api")],
            &["10.0.0.2"],
        ))),
    );
    assert!(!delta.sets.is_empty(), "the app == 'db' set lost a member");
}

#[test]
fn a_namespace_label_change_reaches_pcns_selectors() {
    let delta = check_edit(
        base().build(),
        replace(Item::Profile(namespace("a", &[("team", "blue")]))),
    );
    assert!(!delta.sets.is_empty());
}

#[test]
fn a_rules_only_policy_change_rebuilds_programs_in_place() {
    let delta = check_edit(
        base().build(),
        replace(Item::Policy(
            gnp("first", "t1", Some(1.0), "app == 'web'").ingress(vec![deny()]),
        )),
    );
    assert_eq!(
        delta.programs.len(),
        1,
        "only a/web's ingress program changes"
    );
}

#[test]
fn a_policy_selector_change_moves_endpoints() {
    check_edit(
        base().build(),
        replace(Item::Policy(
            gnp("first", "t1", Some(1.0), "app == 'db'").ingress(vec![
                allow().tcp().src_selector("pcns.team == 'red'"),
                pass(),
            ]),
        )),
    );
}

#[test]
fn named_ports_follow_endpoint_ports() {
    let mut w = pod("a", "web", &[("app", "web")], &["10.0.0.1"]);
    w.ports = vec![named_port("http", Protocol::Tcp, 8080)];
    let delta = check_edit(base().build(), replace(Item::Workload(w)));
    assert!(!delta.sets.is_empty());
}

#[test]
fn failsafe_changes_rebuild_host_programs() {
    let f = felix(
        vec![palisade_policy_model::model::Failsafe {
            protocol: Protocol::Tcp,
            port: 2222,
            net: Some(net("10.0.0.0/8")),
        }],
        Vec::new(),
        palisade_policy_model::calico::EndpointToHostAction::Drop,
    );
    let delta = check_edit(base().build(), replace(Item::Felix(f)));
    assert!(delta.programs.keys().all(|t| !t.hook.is_workload()));
    assert!(!delta.programs.is_empty());
}

#[test]
fn deleting_everything_leaves_an_empty_snapshot() {
    let model = base().build();
    let keys: Vec<ResourceKey> = model.resource_keys().cloned().collect();
    let mut compiler = Compiler::new(model, palisade_compiler::CompileOptions::new());
    for key in keys {
        compiler.edit(|m| m.delete(&key));
    }
    assert!(compiler.snapshot().programs.is_empty());
    assert!(compiler.snapshot().sets.is_empty());
    assert_eq!(
        compiler.stats().selectors,
        0,
        "every selector was unregistered"
    );
}

#[test]
fn dns_answers_update_domain_sets() {
    let options = palisade_compiler::CompileOptions::new();
    let mut compiler = Compiler::new(base().build(), options);
    let mut before = compiler.snapshot().clone();
    let delta =
        compiler.set_dns(DnsCache::new().with("api.example.com", ["192.0.2.7".parse().unwrap()]));
    assert_eq!(delta.sets.len(), 1);
    apply_delta(&mut before, &delta);
    assert_eq!(&before, compiler.snapshot());
}

#[test]
fn an_unchanged_upsert_changes_nothing() {
    let delta = check_edit(
        base().build(),
        replace(Item::Workload(pod(
            "a",
            "web",
            &[("app", "web")],
            &["10.0.0.1"],
        ))),
    );
    assert!(delta.is_empty());
}
