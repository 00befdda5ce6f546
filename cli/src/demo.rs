//! `palisade demo`: a tour on the bundled examples.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palisade_selector::{LabelSet, Selector};
use serde_json::Value;

/// Arguments of `demo`.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// The examples folder (default: `examples/` of the source tree).
    #[arg(long, value_name = "DIR")]
    examples: Option<PathBuf>,
}

/// Runs the demo: every example selector, its canonical form and ID, and the example endpoints it
/// selects.
pub(crate) fn run(args: &DemoArgs) -> Result<ExitCode, String> {
    let dir = args
        .examples
        .clone()
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")));
    let path = dir.join("selectors.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let endpoints = parse_endpoints(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
    let selectors = doc
        .get("selectors")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: expected a \"selectors\" array", path.display()))?;

    println!(
        "Palisade demo: the Calico selector language on {} example endpoints\n",
        endpoints.len()
    );
    for (name, labels) in &endpoints {
        let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("  {name:<14} {}", shown.join(", "));
    }
    println!();
    let mut failures = 0;
    for s in selectors {
        let Some(text) = s.as_str() else {
            return Err(format!("{}: selectors must be strings", path.display()));
        };
        if text.chars().any(char::is_control) {
            println!("selector   {text:?}");
        } else {
            println!("selector   {text}");
        }
        match Selector::parse(text) {
            Ok(sel) => {
                println!("canonical  {sel}");
                println!("id         {}", sel.unique_id());
                let matched: Vec<&str> = endpoints
                    .iter()
                    .filter(|(_, l)| sel.matches(l))
                    .map(|(n, _)| n.as_str())
                    .collect();
                println!(
                    "selects    {}",
                    if matched.is_empty() {
                        "(none)".to_owned()
                    } else {
                        matched.join(", ")
                    }
                );
            }
            Err(e) => {
                failures += 1;
                println!("{e}");
            }
        }
        println!();
    }
    println!(
        "{} selectors, {failures} rejected (rejections are part of the tour)",
        selectors.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_endpoints(doc: &Value) -> Result<Vec<(String, LabelSet)>, String> {
    let map: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_value(
        doc.get("endpoints")
            .cloned()
            .ok_or("expected an \"endpoints\" object")?,
    )
    .map_err(|e| format!("endpoints: {e}"))?;
    Ok(map
        .into_iter()
        .map(|(name, labels)| (name, labels.into_iter().collect()))
        .collect())
}
