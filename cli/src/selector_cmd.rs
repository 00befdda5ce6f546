//! `palisade selector …`: parse, match and id.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use palisade_selector::{LabelSet, Selector};

/// Selector subcommands.
#[derive(Subcommand)]
pub(crate) enum SelectorCommand {
    /// Parse a selector and print Calico's canonical form.
    Parse(SelectorArg),
    /// Print whether a selector matches a set of labels (`true` or `false`).
    Match(MatchArgs),
    /// Print Calico's unique ID of a selector (`s:` + base64url(SHA-224)).
    Id(SelectorArg),
}

/// A selector argument.
#[derive(Args)]
pub(crate) struct SelectorArg {
    /// The selector, e.g. "app == 'web' && has(tier)". An empty string is all().
    selector: String,
}

/// Arguments of `selector match`.
#[derive(Args)]
pub(crate) struct MatchArgs {
    /// The selector.
    selector: String,
    /// Labels as a JSON object of strings, e.g. '{"app":"web"}'.
    #[arg(long, value_name = "JSON", value_parser = parse_labels_json)]
    labels: Option<BTreeMap<String, String>>,
    /// One label as KEY=VALUE (repeatable; applied after --labels, so it overrides).
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label_pair)]
    label: Vec<(String, String)>,
}

fn parse_labels_json(s: &str) -> Result<BTreeMap<String, String>, String> {
    serde_json::from_str(s).map_err(|e| format!("expected a JSON object of string values: {e}"))
}

fn parse_label_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

fn parse(selector: &str) -> Result<Selector, String> {
    Selector::parse(selector).map_err(|e| e.to_string())
}

/// Runs a selector subcommand.
pub(crate) fn run(cmd: SelectorCommand) -> Result<ExitCode, String> {
    match cmd {
        SelectorCommand::Parse(a) => println!("{}", parse(&a.selector)?),
        SelectorCommand::Id(a) => println!("{}", parse(&a.selector)?.unique_id()),
        SelectorCommand::Match(a) => {
            let sel = parse(&a.selector)?;
            let mut labels: LabelSet = a.labels.unwrap_or_default().into_iter().collect();
            for (k, v) in &a.label {
                labels.insert(k, v);
            }
            println!("{}", sel.matches(&labels));
        }
    }
    Ok(ExitCode::SUCCESS)
}
