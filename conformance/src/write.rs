//! Writes cases in the corpus format (what [`crate::parse_file`] and [`crate::load_dir`]
//! read), e.g. a shrunk failing generated case, so it can be reviewed and added to
//! `conformance/cases/`.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::case::{Case, EngineName, FlowSpec, HttpOption, Outcome, OutcomeField, yaml_scalar};

/// The directory failing generated cases go to, unless `PALISADE_CONFORMANCE_FAILURES` names
/// another: `target/conformance-failures/` under the workspace.
pub const FAILURES_VAR: &str = "PALISADE_CONFORMANCE_FAILURES";

/// Where failing generated cases are written (see [`FAILURES_VAR`]).
pub fn failures_dir() -> PathBuf {
    match std::env::var_os(FAILURES_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("conformance-failures"),
    }
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn write_outcome(out: &mut String, outcome: &Outcome, indent: &str) {
    let _ = writeln!(out, "{indent}verdict: {}", outcome.verdict);
    for side in OutcomeField::SIDES {
        match outcome.side(side) {
            Some(d) => {
                let _ = writeln!(out, "{indent}{side}: {d}");
            }
            None if matches!(side, OutcomeField::Egress | OutcomeField::Ingress) => {
                let _ = writeln!(out, "{indent}{side}: null");
            }
            None => {}
        }
    }
}

/// The text of a case file holding `cases`, with `comment` as a leading comment.
pub fn case_file_text(cases: &[Case], comment: &str) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("cases:\n");
    for case in cases {
        let _ = writeln!(out, "- name: {}", case.name);
        let topics: Vec<&str> = case.topics.iter().map(|t| t.as_str()).collect();
        let _ = writeln!(out, "  topics: [{}]", topics.join(", "));
        let _ = writeln!(out, "  semantics: {}", quoted(&case.semantics));
        if let Some(d) = &case.description {
            let _ = writeln!(out, "  description: {}", quoted(d));
        }
        let o = &case.options;
        if o.staged || o.http != HttpOption::Refuse || !o.dns.is_empty() {
            out.push_str("  options:\n");
            if o.staged {
                out.push_str("    staged: true\n");
            }
            if o.http == HttpOption::L4Only {
                out.push_str("    http: l4-only\n");
            }
            if !o.dns.is_empty() {
                let entries: Vec<String> = o
                    .dns
                    .iter()
                    .map(|(name, addrs)| {
                        let addrs: Vec<String> =
                            addrs.iter().map(|a| quoted(&a.to_string())).collect();
                        format!("{}: [{}]", quoted(name), addrs.join(", "))
                    })
                    .collect();
                let _ = writeln!(out, "    dns: {{{}}}", entries.join(", "));
            }
        }
        out.push_str("  resources: |\n");
        for line in case.resources.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
        out.push_str("  flows:\n");
        for flow in &case.flows {
            let text = match &flow.flow {
                FlowSpec::Text(t) => quoted(t),
                FlowSpec::Object(o) => o.to_string(),
            };
            let _ = writeln!(out, "  - flow: {text}");
            if let Some(d) = &flow.description {
                let _ = writeln!(out, "    description: {}", quoted(d));
            }
            out.push_str("    expect:\n");
            write_outcome(&mut out, &flow.expect.enforced, "      ");
            if let Some(p) = &flow.expect.pending {
                out.push_str("      pending:\n");
                write_outcome(&mut out, p, "        ");
            }
        }
        if !case.skip.is_empty() {
            out.push_str("  skip:\n");
            for (engine, reason) in &case.skip {
                let _ = writeln!(out, "    {}: {}", engine_key(*engine), quoted(reason));
            }
        }
    }
    out
}

fn engine_key(engine: EngineName) -> String {
    yaml_scalar(engine.as_str())
}

/// Writes `case` to `dir/<file_name>.yaml` (creating `dir`), returning the path.
pub fn write_case(dir: &Path, file_name: &str, case: &Case, comment: &str) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let path = dir.join(format!("{file_name}.yaml"));
    fs::write(&path, case_file_text(std::slice::from_ref(case), comment))?;
    Ok(path)
}
