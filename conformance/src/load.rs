//! Loading case files: YAML (`serde-saphyr`) → serde shapes ([`crate::raw`]) → checked
//! [`Case`]s, with every problem reported by file, line, case name and field.
//!
//! A file is read in two passes. The first reads `cases:` as a list of untyped YAML nodes with
//! their line numbers and picks up each case's `name`; the second decodes each node into the
//! typed shape and tracks the path of the field that failed. One bad case never hides the others:
//! the loader reports every problem of every file, then fails if there was any.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::case::{
    By, Case, CaseOptions, DecisionVerdict, Expectation, ExpectedDecision, ExpectedOrigin,
    FlowCase, FlowObject, FlowProtocol, FlowSpec, FlowVerdict, IpFamily, Outcome, PolicyKindName,
    PolicyRef, Topic,
};
use crate::problem::{LoadError, Problem, ProblemKind};
use crate::raw::{
    RawCase, RawDecision, RawExpect, RawFlow, RawFlowCase, RawFlowObject, RawKind, RawOptions,
    RawOutcome, RawProtocol,
};

/// A case together with where it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedCase {
    /// The file it came from.
    pub file: PathBuf,
    /// The line where the case starts, when known.
    pub line: Option<u64>,
    /// The case.
    pub case: Case,
}

impl LoadedCase {
    /// `file:line` for messages.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

/// A loaded, checked set of cases with unique names, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Corpus {
    cases: Vec<LoadedCase>,
}

impl Corpus {
    /// All cases, in file order (files sorted by path).
    pub fn cases(&self) -> &[LoadedCase] {
        &self.cases
    }

    /// Iterates over the cases.
    pub fn iter(&self) -> std::slice::Iter<'_, LoadedCase> {
        self.cases.iter()
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// True when there is no case.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// The case named `name`.
    pub fn get(&self, name: &str) -> Option<&LoadedCase> {
        self.cases.iter().find(|c| c.case.name == name)
    }

    /// The cases tagged with `topic`.
    pub fn with_topic(&self, topic: Topic) -> impl Iterator<Item = &LoadedCase> {
        self.cases.iter().filter(move |c| c.case.has_topic(topic))
    }
}

impl<'a> IntoIterator for &'a Corpus {
    type Item = &'a LoadedCase;
    type IntoIter = std::slice::Iter<'a, LoadedCase>;
    fn into_iter(self) -> Self::IntoIter {
        self.cases.iter()
    }
}

/// The directory of the shipped corpus (`conformance/cases`).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Loads the shipped corpus.
pub fn load_corpus() -> Result<Corpus, LoadError> {
    load_dir(corpus_dir())
}

/// Loads every `*.yaml` / `*.yml` file under `dir` (recursively, sorted by path). Fails with
/// every problem found, including duplicate names across files and a directory without case
/// files.
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Corpus, LoadError> {
    let dir = dir.as_ref();
    let mut problems = Vec::new();
    let mut files = Vec::new();
    collect_case_files(dir, &mut files, &mut problems);
    files.sort();
    if files.is_empty() && problems.is_empty() {
        problems.push(file_problem(dir, None, ProblemKind::NoCaseFiles));
    }
    let cases = read_files(&files, &mut problems);
    finish(cases, problems)
}

/// Loads the given case files (in the given order), checking names across all of them.
pub fn load_files<P: AsRef<Path>>(files: &[P]) -> Result<Corpus, LoadError> {
    let files: Vec<PathBuf> = files.iter().map(|f| f.as_ref().to_path_buf()).collect();
    let mut problems = Vec::new();
    let cases = read_files(&files, &mut problems);
    finish(cases, problems)
}

/// Parses the text of one case file; `file` is only used in reports.
pub fn parse_file(file: impl AsRef<Path>, text: &str) -> Result<Corpus, LoadError> {
    let mut problems = Vec::new();
    let cases = parse_text(file.as_ref(), text, &mut problems);
    finish(cases, problems)
}

fn finish(cases: Vec<LoadedCase>, mut problems: Vec<Problem>) -> Result<Corpus, LoadError> {
    check_unique_names(&cases, &mut problems);
    if problems.is_empty() {
        Ok(Corpus { cases })
    } else {
        Err(LoadError { problems })
    }
}

fn read_files(files: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<LoadedCase> {
    let mut cases = Vec::new();
    for file in files {
        match fs::read_to_string(file) {
            Ok(text) => cases.extend(parse_text(file, &text, problems)),
            Err(e) => problems.push(file_problem(file, None, ProblemKind::Io(e.to_string()))),
        }
    }
    cases
}

fn collect_case_files(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(file_problem(dir, None, ProblemKind::Io(e.to_string())));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(e) => {
                problems.push(file_problem(dir, None, ProblemKind::Io(e.to_string())));
                continue;
            }
        };
        if path.is_dir() {
            collect_case_files(&path, files, problems);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

fn file_problem(file: &Path, line: Option<u64>, kind: ProblemKind) -> Problem {
    Problem {
        file: file.to_path_buf(),
        line,
        case: None,
        field: None,
        kind,
    }
}

/// The top level of a case file: `cases:` and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    cases: Vec<Spanned<serde_json::Value>>,
}

fn parse_text(file: &Path, text: &str, problems: &mut Vec<Problem>) -> Vec<LoadedCase> {
    let shape: FileShape = match serde_saphyr::from_str(text) {
        Ok(shape) => shape,
        Err(e) => {
            let line = e.location().map(|l| l.line()).filter(|&l| l > 0);
            let message = e.without_snippet().to_string();
            let kind = match decode_problem(&message) {
                ProblemKind::Decode(message) => ProblemKind::Syntax(message),
                field_problem => field_problem,
            };
            problems.push(file_problem(file, line, kind));
            return Vec::new();
        }
    };
    if shape.cases.is_empty() {
        problems.push(Problem {
            field: Some("cases".to_owned()),
            ..file_problem(file, None, ProblemKind::Empty)
        });
    }
    let mut out = Vec::new();
    for node in shape.cases {
        let line = Some(node.referenced.line()).filter(|&l| l > 0);
        let name = node
            .value
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_owned);
        let mut ctx = Ctx {
            file,
            line,
            case: name,
            problems,
        };
        let raw: RawCase = match serde_path_to_error::deserialize(node.value) {
            Ok(raw) => raw,
            Err(e) => {
                let path = e.path().to_string();
                let field = (path != ".").then_some(path);
                ctx.push(field, decode_problem(&e.into_inner().to_string()));
                continue;
            }
        };
        if let Some(case) = check_case(raw, &mut ctx) {
            out.push(LoadedCase {
                file: file.to_path_buf(),
                line,
                case,
            });
        }
    }
    out
}

/// Classifies serde's message: unknown and missing fields get their own kinds (serde words
/// them "unknown field `x`, expected ..." and "missing field `x`").
fn decode_problem(message: &str) -> ProblemKind {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned())
    };
    if let Some(name) = quoted("unknown field `") {
        ProblemKind::UnknownField(name)
    } else if let Some(name) = quoted("missing field `") {
        ProblemKind::MissingField(name)
    } else {
        ProblemKind::Decode(message.to_owned())
    }
}

fn check_unique_names(cases: &[LoadedCase], problems: &mut Vec<Problem>) {
    let mut first: HashMap<&str, &LoadedCase> = HashMap::new();
    for c in cases {
        if let Some(prev) = first.get(c.case.name.as_str()) {
            problems.push(Problem {
                file: c.file.clone(),
                line: c.line,
                case: Some(c.case.name.clone()),
                field: Some("name".to_owned()),
                kind: ProblemKind::DuplicateName {
                    first: prev.location(),
                },
            });
        } else {
            first.insert(&c.case.name, c);
        }
    }
}

/// Where problems of one case go.
struct Ctx<'a> {
    file: &'a Path,
    line: Option<u64>,
    case: Option<String>,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn push(&mut self, field: Option<String>, kind: ProblemKind) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: self.line,
            case: self.case.clone(),
            field,
            kind,
        });
    }

    fn at(&mut self, field: impl Into<String>, kind: ProblemKind) {
        self.push(Some(field.into()), kind);
    }
}

/// Checks a decoded case; `None` when it has problems (all of them reported).
fn check_case(raw: RawCase, ctx: &mut Ctx<'_>) -> Option<Case> {
    let before = ctx.problems.len();
    if !valid_case_name(&raw.name) {
        ctx.at("name", ProblemKind::InvalidName(raw.name.clone()));
    }
    if raw.topics.is_empty() {
        ctx.at("topics", ProblemKind::Empty);
    }
    let mut seen = Vec::new();
    for (i, t) in raw.topics.iter().enumerate() {
        if seen.contains(t) {
            ctx.at(
                format!("topics[{i}]"),
                ProblemKind::DuplicateTopic(t.to_string()),
            );
        }
        seen.push(*t);
    }
    if raw.semantics.trim().is_empty() {
        ctx.at("semantics", ProblemKind::Empty);
    }
    if raw.resources.trim().is_empty() {
        ctx.at("resources", ProblemKind::Empty);
    }
    if raw
        .description
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        ctx.at("description", ProblemKind::Empty);
    }
    for (engine, reason) in &raw.skip {
        if reason.trim().is_empty() {
            ctx.at(format!("skip.{engine}"), ProblemKind::Empty);
        }
    }
    let options = check_options(raw.options, ctx);
    if raw.flows.is_empty() {
        ctx.at("flows", ProblemKind::Empty);
    }
    let flows: Vec<FlowCase> = raw
        .flows
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| check_flow_case(f, &format!("flows[{i}]"), options.staged, ctx))
        .collect();
    (ctx.problems.len() == before).then_some(Case {
        name: raw.name,
        topics: raw.topics,
        semantics: raw.semantics,
        description: raw.description,
        resources: raw.resources,
        options,
        flows,
        skip: raw.skip,
    })
}

/// `group/what`: at least two non-empty segments of `[a-z0-9._-]`.
fn valid_case_name(name: &str) -> bool {
    let segments: Vec<&str> = name.split('/').collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
                })
        })
}

fn check_options(raw: RawOptions, ctx: &mut Ctx<'_>) -> CaseOptions {
    for name in raw.dns.keys() {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            ctx.at(
                format!("options.dns.{name}"),
                ProblemKind::InvalidDns(format!(
                    "`{name}` is not a domain name (empty or contains whitespace)"
                )),
            );
        }
    }
    CaseOptions {
        staged: raw.staged,
        http: raw.http,
        dns: raw.dns.into_iter().collect::<BTreeMap<_, _>>(),
    }
}

fn check_flow_case(
    raw: RawFlowCase,
    path: &str,
    staged: bool,
    ctx: &mut Ctx<'_>,
) -> Option<FlowCase> {
    let before = ctx.problems.len();
    let flow = check_flow(raw.flow, &format!("{path}.flow"), ctx);
    if raw
        .description
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        ctx.at(format!("{path}.description"), ProblemKind::Empty);
    }
    let expect = check_expect(raw.expect, &format!("{path}.expect"), staged, ctx);
    match (flow, expect) {
        (Some(flow), Some(expect)) if ctx.problems.len() == before => Some(FlowCase {
            flow,
            description: raw.description,
            expect,
        }),
        _ => None,
    }
}

fn check_flow(raw: RawFlow, path: &str, ctx: &mut Ctx<'_>) -> Option<FlowSpec> {
    match raw {
        RawFlow::Text(text) => {
            if text.trim().is_empty() {
                ctx.at(path, ProblemKind::Empty);
                None
            } else if text.contains('\n') || text.contains('\r') {
                ctx.at(path, ProblemKind::MultiLineFlow);
                None
            } else if !text.contains("->") {
                ctx.at(
                    path,
                    ProblemKind::InvalidFlow(format!(
                        "`{text}` is not `SRC -> DST PROTO[/PORT] ...`: no `->`"
                    )),
                );
                None
            } else {
                Some(FlowSpec::Text(text.trim().to_owned()))
            }
        }
        RawFlow::Object(obj) => check_flow_object(obj, path, ctx).map(FlowSpec::Object),
    }
}

fn check_flow_object(raw: RawFlowObject, path: &str, ctx: &mut Ctx<'_>) -> Option<FlowObject> {
    let before = ctx.problems.len();
    let bad = |ctx: &mut Ctx<'_>, field: &str, msg: String| {
        ctx.at(format!("{path}.{field}"), ProblemKind::InvalidFlow(msg));
    };
    for (field, value) in [("src", &raw.src), ("dst", &raw.dst)] {
        if value.is_empty() || value.chars().any(char::is_whitespace) {
            bad(
                ctx,
                field,
                format!("`{value}` is not `ns/name`, `hostendpoint/NAME` or an IP literal"),
            );
        }
    }
    let protocol = match &raw.protocol {
        RawProtocol::Name(name) => FlowProtocol::from_name(name).or_else(|| {
            bad(
                ctx,
                "protocol",
                format!(
                    "unknown protocol `{name}`: expected TCP, UDP, SCTP, UDPLite, ICMP, ICMPv6 or a number"
                ),
            );
            None
        }),
        RawProtocol::Number(n) => match u8::try_from(*n) {
            Ok(n) if n > 0 => Some(FlowProtocol::from_number(n)),
            _ => {
                bad(
                    ctx,
                    "protocol",
                    format!("protocol number {n} is out of range 1-255"),
                );
                None
            }
        },
    };
    let ip_version = match raw.ip_version {
        None => None,
        Some(4) => Some(IpFamily::V4),
        Some(6) => Some(IpFamily::V6),
        Some(v) => {
            bad(ctx, "ipVersion", format!("ipVersion {v}: expected 4 or 6"));
            None
        }
    };
    for (field, value) in [("dstPort", raw.dst_port), ("srcPort", raw.src_port)] {
        if value == Some(0) {
            bad(ctx, field, "ports are 1-65535".to_owned());
        }
    }
    if let Some(protocol) = protocol {
        if !raw.fragment {
            if protocol.has_ports() && raw.dst_port.is_none() {
                bad(
                    ctx,
                    "dstPort",
                    format!("{protocol} needs a destination port (or `fragment: true`)"),
                );
            }
            if protocol.is_icmp() && raw.icmp_type.is_none() {
                bad(
                    ctx,
                    "icmpType",
                    format!("{protocol} needs an ICMP type (or `fragment: true`)"),
                );
            }
        }
        if !protocol.has_ports() {
            for (field, value) in [("dstPort", raw.dst_port), ("srcPort", raw.src_port)] {
                if value.is_some() {
                    bad(ctx, field, format!("protocol {protocol} has no ports"));
                }
            }
        }
        if !protocol.is_icmp() {
            for (field, value) in [("icmpType", raw.icmp_type), ("icmpCode", raw.icmp_code)] {
                if value.is_some() {
                    bad(
                        ctx,
                        field,
                        format!("protocol {protocol} has no ICMP type or code"),
                    );
                }
            }
        }
        match (protocol, ip_version) {
            (FlowProtocol::Icmp, Some(IpFamily::V6)) => {
                bad(ctx, "ipVersion", "ICMP is IPv4 only; use ICMPv6".to_owned());
            }
            (FlowProtocol::IcmpV6, Some(IpFamily::V4)) => {
                bad(ctx, "ipVersion", "ICMPv6 is IPv6 only; use ICMP".to_owned());
            }
            _ => {}
        }
    }
    if raw.icmp_code.is_some() && raw.icmp_type.is_none() {
        bad(
            ctx,
            "icmpCode",
            "an ICMP code needs an ICMP type".to_owned(),
        );
    }
    for (i, via) in raw.via.iter().enumerate() {
        let ok = via
            .strip_prefix("hostendpoint/")
            .is_some_and(|n| !n.is_empty() && !n.chars().any(char::is_whitespace));
        if !ok {
            bad(
                ctx,
                &format!("via[{i}]"),
                format!("`{via}` is not `hostendpoint/NAME`"),
            );
        }
    }
    for (field, value) in [("method", &raw.method), ("path", &raw.path)] {
        if value.as_deref().is_some_and(str::is_empty) {
            ctx.at(format!("{path}.{field}"), ProblemKind::Empty);
        }
    }
    if let Some(p) = raw
        .path
        .as_deref()
        .filter(|p| !p.is_empty() && !p.starts_with('/'))
    {
        bad(
            ctx,
            "path",
            format!("HTTP path `{p}` does not start with `/`"),
        );
    }
    let protocol = protocol?;
    (ctx.problems.len() == before).then_some(FlowObject {
        src: raw.src,
        dst: raw.dst,
        protocol,
        dst_port: raw.dst_port,
        src_port: raw.src_port,
        icmp_type: raw.icmp_type,
        icmp_code: raw.icmp_code,
        ip_version,
        via: raw.via,
        fragment: raw.fragment,
        method: raw.method,
        path: raw.path,
    })
}

fn check_expect(
    raw: RawExpect,
    path: &str,
    staged: bool,
    ctx: &mut Ctx<'_>,
) -> Option<Expectation> {
    let before = ctx.problems.len();
    let enforced = check_outcome(
        RawOutcome {
            verdict: raw.verdict,
            egress: raw.egress,
            ingress: raw.ingress,
            forward_in: raw.forward_in,
            forward_out: raw.forward_out,
        },
        path,
        ctx,
    );
    let pending = match (staged, raw.pending) {
        (true, Some(p)) => check_outcome(p, &format!("{path}.pending"), ctx),
        (true, None) => {
            ctx.at(
                format!("{path}.pending"),
                ProblemKind::Pending(
                    "missing: `options.staged` is set, so every flow states its pending decisions",
                ),
            );
            None
        }
        (false, Some(_)) => {
            ctx.at(
                format!("{path}.pending"),
                ProblemKind::Pending("`expect.pending` needs `options.staged: true`"),
            );
            None
        }
        (false, None) => None,
    };
    let enforced = enforced?;
    (ctx.problems.len() == before).then_some(Expectation { enforced, pending })
}

fn check_outcome(raw: RawOutcome, path: &str, ctx: &mut Ctx<'_>) -> Option<Outcome> {
    let before = ctx.problems.len();
    let side = |ctx: &mut Ctx<'_>, name: &'static str, d: Option<RawDecision>| {
        d.and_then(|d| check_decision(d, &format!("{path}.{name}"), ctx))
    };
    let required = |ctx: &mut Ctx<'_>, name: &'static str, d: Option<Option<RawDecision>>| match d {
        None => {
            ctx.at(format!("{path}.{name}"), ProblemKind::MissingSide(name));
            None
        }
        Some(d) => side(ctx, name, d),
    };
    let egress = required(ctx, "egress", raw.egress);
    let ingress = required(ctx, "ingress", raw.ingress);
    let forward_in = side(ctx, "forwardIn", raw.forward_in);
    let forward_out = side(ctx, "forwardOut", raw.forward_out);
    if ctx.problems.len() != before {
        return None;
    }
    let outcome = Outcome {
        verdict: raw.verdict,
        egress,
        ingress,
        forward_in,
        forward_out,
    };
    let mut any = false;
    let mut all_allow = true;
    for (_, d) in outcome.decisions() {
        any = true;
        all_allow &= d.verdict == DecisionVerdict::Allow;
    }
    if !any {
        ctx.at(path, ProblemKind::NoDecision);
        return None;
    }
    let implied = if all_allow {
        FlowVerdict::Allow
    } else {
        FlowVerdict::Deny
    };
    if implied != outcome.verdict {
        ctx.at(
            format!("{path}.verdict"),
            ProblemKind::OverallVerdict {
                given: verdict_word(outcome.verdict),
                implied: verdict_word(implied),
            },
        );
        return None;
    }
    Some(outcome)
}

fn verdict_word(v: FlowVerdict) -> &'static str {
    match v {
        FlowVerdict::Allow => "allow",
        FlowVerdict::Deny => "deny",
    }
}

/// Which optional fields each `by` takes (DECISIONS D7). `namespace` is handled with `kind`.
struct FieldRule {
    tier: bool,
    policy: bool,
    kind: bool,
    rule: bool,
}

fn field_rule(by: By) -> FieldRule {
    let (tier, policy, kind, rule) = match by {
        By::Rule => (true, true, true, true),
        By::EndOfTier => (true, false, false, false),
        By::Profile => (false, true, true, true),
        By::NoMatch | By::Default => (false, false, false, false),
        By::Failsafe => (false, false, false, true),
    };
    FieldRule {
        tier,
        policy,
        kind,
        rule,
    }
}

fn check_decision(raw: RawDecision, path: &str, ctx: &mut Ctx<'_>) -> Option<ExpectedDecision> {
    let before = ctx.problems.len();
    let by = raw.by;
    let by_word = by.as_str();
    let wants = field_rule(by);
    let field = |ctx: &mut Ctx<'_>, name: &'static str, given: bool, wanted: bool| {
        if given && !wanted {
            ctx.at(
                format!("{path}.{name}"),
                ProblemKind::ExtraDecisionField {
                    by: by_word,
                    field: name,
                },
            );
        } else if !given && wanted {
            ctx.at(
                format!("{path}.{name}"),
                ProblemKind::MissingDecisionField {
                    by: by_word,
                    field: name,
                },
            );
        }
    };
    field(ctx, "tier", raw.tier.is_some(), wants.tier);
    field(ctx, "policy", raw.policy.is_some(), wants.policy);
    field(ctx, "kind", raw.kind.is_some(), wants.kind);
    field(ctx, "rule", raw.rule.is_some(), wants.rule);
    // `namespace` exactly for rules of namespaced kinds.
    let policy_kind = raw.kind.and_then(policy_kind_of);
    let wants_namespace = by == By::Rule && policy_kind.is_some_and(PolicyKindName::is_namespaced);
    if raw.kind.is_some() && wants.kind {
        let fits = match by {
            By::Rule => policy_kind.is_some(),
            By::Profile => raw.kind == Some(RawKind::Profile),
            _ => true,
        };
        if !fits {
            ctx.at(
                format!("{path}.kind"),
                ProblemKind::KindForBy {
                    by: by_word,
                    kind: raw.kind.map(|k| format!("{k:?}")).unwrap_or_default(),
                },
            );
        }
    }
    if by != By::Rule || policy_kind.is_some() {
        field(ctx, "namespace", raw.namespace.is_some(), wants_namespace);
    }
    for (name, value) in [
        ("tier", &raw.tier),
        ("policy", &raw.policy),
        ("namespace", &raw.namespace),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            ctx.at(format!("{path}.{name}"), ProblemKind::Empty);
        }
    }
    let verdict_ok = match (by, raw.verdict) {
        (_, DecisionVerdict::NoVerdict) => {
            ctx.at(format!("{path}.verdict"), ProblemKind::NoVerdictAtFlowLevel);
            true
        }
        (By::EndOfTier | By::NoMatch, v) => v == DecisionVerdict::Deny,
        (By::Failsafe, v) => v == DecisionVerdict::Allow,
        (By::Rule | By::Profile | By::Default, _) => true,
    };
    if !verdict_ok {
        ctx.at(
            format!("{path}.verdict"),
            ProblemKind::VerdictForBy {
                by: by_word,
                verdict: raw.verdict.as_str(),
            },
        );
    }
    if ctx.problems.len() != before {
        return None;
    }
    let origin = match by {
        By::Rule => ExpectedOrigin::Rule {
            tier: raw.tier?,
            policy: PolicyRef {
                kind: policy_kind?,
                namespace: raw.namespace,
                name: raw.policy?,
            },
            rule: raw.rule?,
        },
        By::EndOfTier => ExpectedOrigin::EndOfTier { tier: raw.tier? },
        By::Profile => ExpectedOrigin::Profile {
            profile: raw.policy?,
            rule: raw.rule?,
        },
        By::NoMatch => ExpectedOrigin::NoMatch,
        By::Failsafe => ExpectedOrigin::Failsafe { rule: raw.rule? },
        By::Default => ExpectedOrigin::Default,
    };
    Some(ExpectedDecision {
        verdict: raw.verdict,
        origin,
    })
}

fn policy_kind_of(kind: RawKind) -> Option<PolicyKindName> {
    Some(match kind {
        RawKind::NetworkPolicy => PolicyKindName::NetworkPolicy,
        RawKind::GlobalNetworkPolicy => PolicyKindName::GlobalNetworkPolicy,
        RawKind::StagedNetworkPolicy => PolicyKindName::StagedNetworkPolicy,
        RawKind::StagedGlobalNetworkPolicy => PolicyKindName::StagedGlobalNetworkPolicy,
        RawKind::StagedKubernetesNetworkPolicy => PolicyKindName::StagedKubernetesNetworkPolicy,
        RawKind::KubernetesNetworkPolicy => PolicyKindName::KubernetesNetworkPolicy,
        RawKind::AdminNetworkPolicy => PolicyKindName::AdminNetworkPolicy,
        RawKind::BaselineAdminNetworkPolicy => PolicyKindName::BaselineAdminNetworkPolicy,
        RawKind::ClusterNetworkPolicy => PolicyKindName::ClusterNetworkPolicy,
        RawKind::Profile => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_are_classified() {
        assert_eq!(
            decode_problem("unknown field `bogus`, expected one of `a`, `b`"),
            ProblemKind::UnknownField("bogus".to_owned())
        );
        assert_eq!(
            decode_problem("missing field `flows`"),
            ProblemKind::MissingField("flows".to_owned())
        );
        assert_eq!(
            decode_problem("invalid type: string \"x\", expected u32"),
            ProblemKind::Decode("invalid type: string \"x\", expected u32".to_owned())
        );
    }

    #[test]
    fn case_names_need_two_lower_case_segments() {
        assert!(valid_case_name("tiers/pass-continues"));
        assert!(valid_case_name("a/b/c.d_e"));
        assert!(!valid_case_name("tiers"));
        assert!(!valid_case_name("tiers/"));
        assert!(!valid_case_name("Tiers/x"));
        assert!(!valid_case_name("tiers/a b"));
    }
}
