//! Loading: documents, lists, JSON, directories, strict/lenient, unknown kinds, exact locations,
//! recovery after errors, defaulting.

mod common;

use std::path::{Path, PathBuf};

use common::load;
use palisade_policy_model::{
    LoadOptions, Location, ProblemKind, Resource, ResourceKind, load_paths, load_str,
};

fn kinds(loaded: &palisade_policy_model::Loaded) -> Vec<ResourceKind> {
    loaded.resources.iter().map(|r| r.value.kind()).collect()
}

fn at(line: u32, column: u32) -> Option<Location> {
    Some(Location { line, column })
}

#[test]
fn many_documents_with_their_indices_and_lines() {
    let text = "# comment\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: a\n...\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: a}\n";
    let loaded = load(text);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(
        kinds(&loaded),
        [
            ResourceKind::Namespace,
            ResourceKind::NetworkPolicy,
            ResourceKind::KubernetesNetworkPolicy
        ]
    );
    let docs: Vec<usize> = loaded.resources.iter().map(|r| r.document).collect();
    assert_eq!(docs, [0, 2, 3]);
    let lines: Vec<u32> = loaded.resources.iter().map(|r| r.location.line).collect();
    assert_eq!(lines, [2, 7, 14]);
}

#[test]
fn the_kind_is_chosen_by_api_version_and_kind() {
    let loaded = load(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec: {selector: all()}\n",
    );
    assert_eq!(kinds(&loaded), [ResourceKind::NetworkPolicy]);
    let loaded = load(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec: {podSelector: {}}\n",
    );
    assert_eq!(kinds(&loaded), [ResourceKind::KubernetesNetworkPolicy]);
}

#[test]
fn kubectl_lists_and_calicoctl_lists_are_unpacked() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: B}\n";
    let loaded = load(text);
    assert_eq!(kinds(&loaded), [ResourceKind::Namespace]);
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(
        loaded.problems[0].path.to_string(),
        "items[1].metadata.name"
    );
    assert_eq!(loaded.problems[0].location, at(9, 20));

    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyList\nitems:\n- metadata: {name: a}\n  spec: {selector: all()}\n- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: b}\n";
    let loaded = load(text);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(kinds(&loaded), [ResourceKind::GlobalNetworkPolicy; 2]);
    assert_eq!(loaded.resources[1].location.line, 6);
}

#[test]
fn json_files_load_with_locations() {
    let text = "{\n  \"apiVersion\": \"projectcalico.org/v3\",\n  \"kind\": \"GlobalNetworkPolicy\",\n  \"metadata\": {\"name\": \"p\"},\n  \"spec\": {\"ingress\": [{\"action\": \"Allow\", \"protocol\": \"TCP\", \"destination\": {\"ports\": [80, \"x y\"]}}]}\n}\n";
    let loaded = load(text);
    assert_eq!(loaded.problems.len(), 1);
    let problem = &loaded.problems[0];
    assert_eq!(
        problem.path.to_string(),
        "spec.ingress[0].destination.ports[1]"
    );
    assert_eq!(problem.location, at(5, 93));
}

#[test]
fn error_locations_are_exact() {
    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - action: Allow\n  - action: Allow\n  - action: Allow\n    protocol: TCP\n    source:\n      ports:\n      - 80\n      - 99999\n";
    let loaded = load(text);
    assert_eq!(loaded.problems.len(), 1);
    let problem = &loaded.problems[0];
    assert_eq!(problem.path.to_string(), "spec.ingress[2].source.ports[1]");
    assert_eq!(problem.location, at(14, 9));
    assert_eq!(problem.document, Some(0));
    assert!(
        problem
            .to_string()
            .starts_with("<input>:14:9: spec.ingress[2].source.ports[1]: "),
        "{problem}"
    );
}

#[test]
fn every_decode_error_of_a_document_is_reported() {
    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  order: high\n  ingress:\n  - action: allow\n  - action: Allow\n    protocol: TCPP\n    ipVersion: 5\n";
    let loaded = load(text);
    let paths: Vec<String> = loaded.problems.iter().map(|p| p.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "spec.order",
            "spec.ingress[0].action",
            "spec.ingress[1].protocol",
            "spec.ingress[1].ipVersion"
        ]
    );
    assert!(loaded.resources.is_empty());
}

#[test]
fn a_broken_document_does_not_stop_the_next_ones() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: [}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: 5}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok2}\n";
    let loaded = load(text);
    assert_eq!(loaded.resources.len(), 2);
    assert_eq!(loaded.problems.len(), 2);
    assert!(matches!(
        loaded.problems[0].kind,
        ProblemKind::Syntax { .. }
    ));
    assert_eq!(loaded.problems[0].document, Some(0));
    assert_eq!(loaded.problems[1].document, Some(2));
    assert_eq!(loaded.problems[1].location, at(11, 18));
    assert!(loaded.problems[1].to_string().contains("quote the value"));
}

#[test]
fn strict_mode_reports_unknown_fields_with_suggestions_and_lenient_ignores_them() {
    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingres:\n  - action: Allow\n  egress:\n  - action: Allow\n    destinaton: {}\n";
    let strict = load(text);
    assert_eq!(strict.problems.len(), 2);
    assert!(strict.resources.is_empty());
    let first = &strict.problems[0];
    assert_eq!(first.path.to_string(), "spec.ingres");
    assert_eq!(first.location, at(5, 3));
    match &first.kind {
        ProblemKind::UnknownField { field, hint, .. } => {
            assert_eq!(field, "ingres");
            assert!(hint.contains("`ingress`"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        strict.problems[1].path.to_string(),
        "spec.egress[0].destinaton"
    );

    let lenient = load_str(text, None, &LoadOptions::lenient());
    assert!(lenient.problems.is_empty());
    assert_eq!(lenient.resources.len(), 1);
}

#[test]
fn open_kubernetes_structs_accept_extra_fields_in_strict_mode() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: n, uid: x, resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', ownerReferences: [{kind: ReplicaSet}]}\nspec:\n  restartPolicy: Always\n  containers:\n  - name: c\n    image: nginx\n    resources: {limits: {cpu: 1}}\n    ports: [{containerPort: 80, name: http}]\nstatus: {phase: Running, podIP: 10.0.0.1, conditions: []}\n";
    let loaded = load(text);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    // ...but not in metadata.
    let loaded =
        load("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: n, lables: {a: b}}\n");
    assert_eq!(loaded.problems[0].path.to_string(), "metadata.lables");
}

#[test]
fn unknown_kinds_are_reported_with_hints() {
    let loaded =
        load("apiVersion: networking.k8s.io/v1n\nkind: NetworkPolicy\nmetadata: {name: a}\n");
    let problem = &loaded.problems[0];
    assert_eq!(problem.path.to_string(), "apiVersion");
    assert_eq!(problem.location, at(1, 13));
    match &problem.kind {
        ProblemKind::UnknownKind {
            api_version,
            kind,
            hint,
        } => {
            assert_eq!(api_version, "networking.k8s.io/v1n");
            assert_eq!(kind, "NetworkPolicy");
            assert!(
                hint.contains("did you mean apiVersion `networking.k8s.io/v1`"),
                "{hint}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let loaded = load("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\n");
    assert!(loaded.problems[0].to_string().contains("no longer serves"));
    assert!(
        loaded.problems[0]
            .to_string()
            .contains("networking.k8s.io/v1")
    );
    let loaded =
        load("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkpolicy\nmetadata: {name: a}\n");
    assert_eq!(loaded.problems[0].path.to_string(), "kind");
    assert!(
        loaded.problems[0]
            .to_string()
            .contains("did you mean kind `GlobalNetworkPolicy`")
    );
    let loaded = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n");
    assert!(matches!(
        loaded.problems[0].kind,
        ProblemKind::UnknownKind { .. }
    ));
}

#[test]
fn missing_type_meta_and_non_objects_are_reported() {
    let loaded = load("Kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n");
    assert!(matches!(
        loaded.problems[0].kind,
        ProblemKind::MissingTypeMeta { .. }
    ));
    assert!(
        loaded.problems[0]
            .to_string()
            .contains("did you mean `kind`")
    );
    let loaded = load("just some prose, not YAML for Kubernetes\n");
    assert_eq!(loaded.problems.len(), 1);
    assert!(matches!(
        loaded.problems[0].kind,
        ProblemKind::Decode { .. }
    ));
}

#[test]
fn duplicate_keys_are_errors() {
    let loaded =
        load("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nmetadata: {name: b}\n");
    assert!(loaded.resources.is_empty());
    assert_eq!(loaded.problems[0].location, at(4, 1));
    assert_eq!(loaded.problems[0].path.to_string(), "metadata");
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - &rule {action: Allow, protocol: TCP}\n  - <<: *rule\n    destination: {ports: [80]}\n";
    let loaded = load(text);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let Resource::GlobalNetworkPolicy(p) = &loaded.resources[0].value else {
        panic!()
    };
    assert_eq!(p.spec.ingress.len(), 2);
    assert_eq!(p.spec.ingress[1].protocol, p.spec.ingress[0].protocol);
}

#[test]
fn exponential_aliases_fail_cleanly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let loaded = load(&text);
    assert_eq!(loaded.problems.len(), 1);
    assert!(matches!(
        loaded.problems[0].kind,
        ProblemKind::Syntax { .. }
    ));
}

#[test]
fn null_fields_mean_absent() {
    let loaded = load(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  selector:\n  ingress: ~\n  order: null\n",
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[test]
fn defaults_are_applied_after_validation() {
    let loaded = load(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  egress: [{action: Allow}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k}\nspec: {egress: [{}]}\n",
    );
    assert!(loaded.problems.is_empty());
    let Resource::NetworkPolicy(np) = &loaded.resources[0].value else {
        panic!()
    };
    assert_eq!(np.spec.tier.as_deref(), Some("default"));
    assert_eq!(
        np.spec.types,
        [palisade_policy_model::values::PolicyType::Egress]
    );
    assert_eq!(np.metadata.namespace.as_deref(), Some("default"));
    let Resource::KubernetesNetworkPolicy(knp) = &loaded.resources[1].value else {
        panic!()
    };
    use palisade_policy_model::values::PolicyType::{Egress, Ingress};
    assert_eq!(knp.spec.policy_types, [Ingress, Egress]);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).expect("temp dir");
    dir
}

#[test]
fn directories_are_read_recursively_in_sorted_order() {
    let dir = temp_dir("dirs");
    let ns = |name: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n");
    std::fs::write(dir.join("b.yaml"), ns("b")).expect("write");
    std::fs::write(dir.join("a.yml"), ns("a")).expect("write");
    std::fs::write(
        dir.join("sub/c.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"c\"}}",
    )
    .expect("write");
    std::fs::write(dir.join("notes.txt"), "not a manifest").expect("write");
    std::fs::write(dir.join("bad.yaml"), [0xff, 0xfe, 0x00]).expect("write");
    let loaded = load_paths(
        &[dir.clone(), dir.join("missing.yaml")],
        &LoadOptions::strict(),
    );
    let names: Vec<&str> = loaded
        .resources
        .iter()
        .map(|r| r.value.metadata().name.as_str())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    let files: Vec<&Path> = loaded
        .resources
        .iter()
        .filter_map(|r| r.file.as_deref())
        .collect();
    assert_eq!(files[2], dir.join("sub/c.json"));
    assert_eq!(loaded.problems.len(), 2);
    assert!(
        loaded
            .problems
            .iter()
            .any(|p| p.file.as_deref() == Some(&dir.join("missing.yaml"))
                && matches!(p.kind, ProblemKind::Io { .. }))
    );
    assert!(
        loaded
            .problems
            .iter()
            .any(|p| p.file.as_deref() == Some(&dir.join("bad.yaml")))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn large_inputs_split_across_threads_give_the_same_result() {
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{i}\n  labels: {{a: b}}\n"
        ));
        if i == 3999 {
            text.push_str("  bad: field\n");
        }
    }
    assert!(text.len() > 256 * 1024);
    let one = load_str(
        &text,
        None,
        &LoadOptions {
            strict: true,
            threads: 1,
        },
    );
    let four = load_str(
        &text,
        None,
        &LoadOptions {
            strict: true,
            threads: 4,
        },
    );
    assert_eq!(one, four);
    assert_eq!(one.resources.len(), 3999);
    assert_eq!(one.problems[0].document, Some(3999));
    assert_eq!(one.problems[0].location, at(4000 * 6 + 1, 3));
}
