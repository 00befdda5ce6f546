//! The conversion seen through [`Model::from_resources`]: implicit profiles, label inheritance,
//! tiers named by policies, services derived from pods or taken from slices, and two sources of
//! one item resolving the same whatever the load order (DECISIONS D5).

mod convert_util;

use std::collections::BTreeMap;

use convert_util::resources;
use palisade_policy_model::convert::effective_labels;
use palisade_policy_model::model::{
    Change, EndpointKey, ItemKey, Model, PolicyId, PolicyKind, ProfileSource, ResourceKey,
    ServiceEndpoint, ServiceRef, Severity, WorkloadEndpoint,
};
use palisade_policy_model::values::{Protocol, TierAction};
use palisade_policy_model::{Resource, ResourceKind};

const SHOP: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}}
spec:
  serviceAccountName: database
  containers: [{name: pg, ports: [{name: pg, containerPort: 5432}]}]
status: {podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.6}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432, targetPort: pg}, {port: 9187, targetPort: 9187}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: team-a}
spec:
  tier: security
  namespaceSelector: \"team == 'a'\"
  ingress: [{action: Allow}]
";

fn key(ns: &str, name: &str) -> EndpointKey {
    EndpointKey::Workload {
        namespace: ns.into(),
        name: name.into(),
    }
}

fn workload<'m>(model: &'m Model, ns: &str, name: &str) -> &'m WorkloadEndpoint {
    model
        .workload(&key(ns, name))
        .unwrap_or_else(|| panic!("workload {ns}/{name}"))
}

#[test]
fn namespace_and_implicit_service_account_profiles() {
    let model = Model::from_resources(&resources(SHOP));
    let kns = model.profile("kns.shop").expect("kns.shop");
    assert_eq!(kns.source, ProfileSource::Namespace);
    // No ServiceAccount object was loaded: an implicit profile, with a note (DECISIONS D5).
    let ksa = model
        .profile("ksa.shop.database")
        .expect("ksa.shop.database");
    assert_eq!(ksa.source, ProfileSource::Implicit);
    assert_eq!(
        ksa.labels_to_apply
            .get("pcsa.projectcalico.org/name")
            .map(String::as_str),
        Some("database")
    );
    assert!(
        model
            .notes()
            .iter()
            .any(|n| n.severity == Severity::Info && &*n.source.name == "ksa.shop.database")
    );
}

#[test]
fn endpoints_inherit_namespace_labels_and_policies_select_them() {
    let model = Model::from_resources(&resources(SHOP));
    let policy = model
        .policy(&PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: "team-a".into(),
        })
        .expect("policy");
    let w = workload(&model, "shop", "web-0");
    let seen = effective_labels(&w.labels, &w.profiles, |n| model.profile(n));
    assert_eq!(seen.get("pcns.team").map(String::as_str), Some("a"));
    assert_eq!(seen.get("app").map(String::as_str), Some("web"));
    assert!(policy.selector.matches(&seen));
    // Its own labels alone do not carry the namespace's labels.
    assert!(!policy.selector.matches(&w.labels));
}

#[test]
fn a_tier_named_only_by_a_policy_exists_undeclared() {
    let model = Model::from_resources(&resources(SHOP));
    let tier = model.tier("security").expect("tier");
    assert!(!tier.declared);
    assert_eq!(tier.default_action, TierAction::Deny);
    let mut all = resources(SHOP);
    all.extend(resources(
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n\
         spec: {order: 100, defaultAction: Pass}\n",
    ));
    let model = Model::from_resources(&all);
    let tier = model.tier("security").expect("tier");
    assert!(tier.declared);
    assert_eq!(tier.default_action, TierAction::Pass);
}

#[test]
fn service_endpoints_are_derived_from_selected_pods() {
    let model = Model::from_resources(&resources(SHOP));
    let service = model
        .service(&ServiceRef {
            namespace: "shop".into(),
            name: "db".into(),
        })
        .expect("service");
    assert_eq!(
        service.endpoints,
        [ServiceEndpoint {
            ip: "10.0.0.5".parse().expect("ip"),
            ports: vec![(Protocol::Tcp, 5432), (Protocol::Tcp, 9187)],
        }]
    );
}

#[test]
fn endpoint_slices_replace_derived_endpoints() {
    let mut all = resources(SHOP);
    all.extend(resources(
        "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: shop, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
endpoints: [{addresses: [10.9.9.9]}, {addresses: [10.9.9.8], conditions: {ready: false}}]
ports: [{port: 6432}]
",
    ));
    let model = Model::from_resources(&all);
    let service = model
        .service(&ServiceRef {
            namespace: "shop".into(),
            name: "db".into(),
        })
        .expect("service");
    assert_eq!(
        service.endpoints,
        [ServiceEndpoint {
            ip: "10.9.9.9".parse().expect("ip"),
            ports: vec![(Protocol::Tcp, 6432)],
        }]
    );
}

const POD_AND_WEP: &str = "apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {from: pod}}
status: {podIP: 10.0.0.6}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-web--0-eth0, namespace: shop, labels: {from: wep}}
spec: {orchestrator: k8s, pod: web-0, node: node1, ipNetworks: [10.0.0.7/32], profiles: [kns.shop]}
";

#[test]
fn two_sources_of_one_endpoint_resolve_independently_of_order() {
    let forward = resources(POD_AND_WEP);
    let backward: Vec<Resource> = forward.iter().rev().cloned().collect();
    let a = Model::from_resources(&forward);
    let b = Model::from_resources(&backward);
    let wa = workload(&a, "shop", "web-0");
    let wb = workload(&b, "shop", "web-0");
    assert_eq!(wa, wb);
    assert_eq!(a.workloads().count(), 1);
    // The shadowed source is reported in both.
    for model in [&a, &b] {
        assert_eq!(
            model
                .notes()
                .iter()
                .filter(|n| n.severity == Severity::Warning)
                .count(),
            1
        );
    }
}

#[test]
fn deleting_a_source_removes_its_items_and_implicit_profiles() {
    let mut model = Model::from_resources(&resources(SHOP));
    let touched = model.apply(&Change::Delete(ResourceKey {
        kind: ResourceKind::Pod,
        namespace: Some("shop".into()),
        name: "db-0".into(),
    }));
    assert!(touched.contains(&ItemKey::Endpoint(key("shop", "db-0"))));
    assert!(model.workload(&key("shop", "db-0")).is_none());
    assert!(model.profile("ksa.shop.database").is_none());
    let service = model
        .service(&ServiceRef {
            namespace: "shop".into(),
            name: "db".into(),
        })
        .expect("service");
    assert!(service.endpoints.is_empty());
}

#[test]
fn staged_deletions_and_host_network_pods_are_absent() {
    let model = Model::from_resources(&resources(
        "apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: gone}
spec: {stagedAction: Delete}
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: pending}
spec: {ingress: [{action: Deny}]}
---
apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: kube-system}
spec: {hostNetwork: true}
",
    ));
    let policies: Vec<(&str, bool)> = model.policies().map(|p| (&*p.id.name, p.staged)).collect();
    assert_eq!(policies, [("pending", true)]);
    assert_eq!(model.workloads().count(), 0);
    let notes: BTreeMap<String, Severity> = model
        .notes()
        .into_iter()
        .map(|n| (n.source.name.to_string(), n.severity))
        .collect();
    assert_eq!(notes.get("gone"), Some(&Severity::Info));
    assert_eq!(notes.get("node-agent"), Some(&Severity::Info));
}

#[test]
fn kubernetes_policy_in_the_model() {
    let mut all = resources(SHOP);
    all.extend(resources(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: pg}]}]
",
    ));
    let model = Model::from_resources(&all);
    let policy = model
        .policy(&PolicyId {
            kind: PolicyKind::KubernetesNetworkPolicy,
            namespace: Some("shop".into()),
            name: "db".into(),
        })
        .expect("policy");
    let db = workload(&model, "shop", "db-0");
    let web = workload(&model, "shop", "web-0");
    let seen =
        |w: &WorkloadEndpoint| effective_labels(&w.labels, &w.profiles, |n| model.profile(n));
    assert!(policy.selector.matches(&seen(db)));
    assert!(!policy.selector.matches(&seen(web)));
    let source = policy.ingress[0].source.selector.as_ref().expect("peer");
    assert!(source.matches(&seen(web)));
    assert!(!source.matches(&seen(db)));
    assert_eq!(model.tier("default").map(|t| t.declared), Some(true));
}
