//! The shipped corpus: it loads, it is big enough, it covers every topic of issue 8 and every
//! applicable appendix scenario of SEMANTICS, and every case is consistent with its resources.

mod lint;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use palisade_conformance::{Corpus, Topic, load_corpus};

/// The corpus, loaded once per test binary.
fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| match load_corpus() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    })
}

#[test]
fn corpus_loads_with_unique_names() {
    let corpus = corpus();
    let mut names = BTreeSet::new();
    for c in corpus {
        assert!(
            names.insert(c.case.name.as_str()),
            "duplicate case name {} at {}",
            c.case.name,
            c.location()
        );
    }
}

#[test]
fn corpus_has_at_least_150_cases() {
    let n = corpus().len();
    assert!(n >= 150, "the corpus has {n} cases, fewer than 150");
}

/// Every topic of issue 8's list ("Cases cover every row of SEMANTICS ...").
const REQUIRED_TOPICS: &[Topic] = &[
    Topic::Tiers,
    Topic::Order,
    Topic::Pass,
    Topic::Log,
    Topic::EndOfTier,
    Topic::Profiles,
    Topic::Scoping,
    Topic::NamespaceSelector,
    Topic::ServiceAccounts,
    Topic::NamedPorts,
    Topic::Nets,
    Topic::Ports,
    Topic::Protocols,
    Topic::Icmp,
    Topic::IpVersion,
    Topic::Ipv6,
    Topic::HostEndpoints,
    Topic::Failsafes,
    Topic::ApplyOnForward,
    Topic::PreDnat,
    Topic::DoNotTrack,
    Topic::EndpointToHost,
    Topic::Staged,
    Topic::KubernetesNetworkPolicy,
    Topic::AdminNetworkPolicy,
    Topic::BaselineAdminNetworkPolicy,
    Topic::ClusterNetworkPolicy,
    Topic::Seeds,
];

#[test]
fn every_required_topic_has_cases() {
    let corpus = corpus();
    let missing: Vec<&str> = REQUIRED_TOPICS
        .iter()
        .filter(|t| corpus.with_topic(**t).next().is_none())
        .map(|t| t.as_str())
        .collect();
    assert!(missing.is_empty(), "topics without a case: {missing:?}");
}

/// The appendix scenarios of SEMANTICS that apply at L3/L4 with a loadable cluster. Not listed:
/// A26, S7 and S8 (a policy named by a tier but missing from the store), A27 (an invalid HTTP
/// request) and A28 (action-string parsing) cannot be written as resources and flows.
const REQUIRED_APPENDIX_ROWS: &[&str] = &[
    "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12", "A13", "A14", "A15",
    "A16", "A17", "A18", "A19", "A20", "A21", "A22", "A23", "A24", "A25", "S1", "S2", "S3", "S4",
    "S5", "S6", "B", "C", "D", "E", "F",
];

/// The appendix rows a case cites: words like `A20`, `S3`, or `appendix B`.
fn cited_rows(semantics: &str) -> BTreeSet<String> {
    let mut rows = BTreeSet::new();
    let words: Vec<&str> = semantics
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let bytes = w.as_bytes();
        if bytes.len() >= 2
            && matches!(bytes[0], b'A' | b'S')
            && bytes[1..].iter().all(u8::is_ascii_digit)
        {
            rows.insert((*w).to_owned());
        }
        if w.eq_ignore_ascii_case("appendix")
            && let Some(next) = words.get(i + 1)
            && next.len() == 1
        {
            rows.insert((*next).to_owned());
        }
    }
    rows
}

#[test]
fn every_applicable_appendix_scenario_is_cited() {
    let corpus = corpus();
    let cited: BTreeSet<String> = corpus
        .iter()
        .flat_map(|c| cited_rows(&c.case.semantics))
        .collect();
    let missing: Vec<&str> = REQUIRED_APPENDIX_ROWS
        .iter()
        .filter(|r| !cited.contains(**r))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "appendix rows no case cites: {missing:?}"
    );
}

#[test]
fn appendix_citations_are_read_as_rows() {
    let rows = cited_rows("§2.5 Pass; appendix A20, A21-A23; appendix B; S1");
    let expected: BTreeSet<String> = ["A20", "A21", "A23", "B", "S1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn every_case_is_consistent_with_its_resources() {
    let corpus = corpus();
    let mut report = Vec::new();
    for c in corpus {
        for p in lint::lint_case(&c.case) {
            report.push(format!("{} ({}): {p}", c.case.name, c.location()));
        }
    }
    assert!(
        report.is_empty(),
        "{} problem(s):\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn cases_cover_both_verdicts_per_topic() {
    // Each required topic has at least one allowed and one denied flow, so no topic is
    // exercised from one side only.
    let corpus = corpus();
    let mut one_sided = Vec::new();
    for topic in REQUIRED_TOPICS {
        let mut allow = false;
        let mut deny = false;
        for c in corpus.with_topic(*topic) {
            for f in &c.case.flows {
                match f.expect.enforced.verdict {
                    palisade_conformance::FlowVerdict::Allow => allow = true,
                    palisade_conformance::FlowVerdict::Deny => deny = true,
                }
            }
        }
        if !(allow && deny) {
            one_sided.push(topic.as_str());
        }
    }
    assert!(
        one_sided.is_empty(),
        "topics with only one verdict: {one_sided:?}"
    );
}

#[test]
fn lint_flags_cases_that_contradict_their_resources() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint/inconsistent.yaml");
    let cases = match palisade_conformance::load_files(&[path]) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert!(cases.len() > 10);
    for c in &cases {
        let problems = lint::lint_case(&c.case);
        if c.case.name == "lint/consistent" {
            assert!(problems.is_empty(), "{}: {problems:?}", c.case.name);
        } else {
            assert!(!problems.is_empty(), "{} was not flagged", c.case.name);
        }
    }
}
