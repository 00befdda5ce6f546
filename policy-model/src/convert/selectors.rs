//! Selector scoping, as Calico does it: on selector *text*, which is then re-parsed
//! (SEMANTICS §2.6, `updateprocessors/{networkpolicyprocessor,globalnetworkpolicyprocessor,
//! rules,selectors}.go`, Felix `rule_scanner.go:combineMatchesIfPossible`), and the translation
//! of Kubernetes label selectors into Calico selector text (§2.8, `conversion.go:k8sSelectorToCalico`).
//!
//! Calico concatenates the selector strings users wrote, so this module works on each
//! selector's source text ([`Selector::source`]), not its canonical form: the two differ in
//! structure only in corners such as `!(!has(a))`, and the converted selector must have exactly
//! the canonical form (and unique ID) Felix computes.

use palisade_selector::{ParseOptions, Selector};

use super::context::ConvertError;
use super::labels::{
    NAMESPACE_LABEL, NAMESPACE_LABEL_PREFIX, ORCHESTRATOR_KUBERNETES, ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL, SERVICE_ACCOUNT_LABEL_PREFIX,
};
use crate::calico::{EntityRule, ServiceAccountMatch};
use crate::kube::{LabelSelector, LabelSelectorOperator};

/// What `all()` becomes in a namespace selector: "any namespaced endpoint".
const HAS_NAMESPACE: &str = "has(projectcalico.org/namespace)";
/// What `global()` becomes in a rule's namespace selector: "any non-namespaced endpoint".
const NOT_HAS_NAMESPACE: &str = "!has(projectcalico.org/namespace)";
/// What `all()` becomes in a GlobalNetworkPolicy's service-account selector.
const HAS_SERVICE_ACCOUNT: &str = "has(projectcalico.org/serviceaccount)";

/// Parses text the conversion built. Generated text is longer and nests deeper than what users
/// write, so the length limit is lifted and the nesting limit raised to its ceiling.
pub(crate) fn parse_generated(text: &str) -> Result<Selector, ConvertError> {
    let options = ParseOptions::new()
        .max_len(usize::MAX)
        .max_depth(ParseOptions::MAX_DEPTH_CEILING);
    Selector::parse_with(text, &options).map_err(|source| ConvertError::Generated {
        text: text.to_owned(),
        source,
    })
}

/// The selector if it was written as a non-empty string (Calico tests `!= ""`).
fn given(selector: Option<&Selector>) -> Option<&Selector> {
    selector.filter(|s| !s.source().is_empty())
}

/// The text to splice into a larger selector. A selector of only spaces and tabs means `all()`;
/// splicing it verbatim (as Calico would) would give `(  )`, which does not parse.
fn splice_text(selector: &Selector) -> &str {
    if selector.source().trim_matches([' ', '\t']).is_empty() {
        "all()"
    } else {
        selector.source()
    }
}

/// `selector` with every label prefixed, printed (Calico `parseSelectorAttachPrefix`).
fn prefixed(selector: &Selector, prefix: &'static str) -> Result<String, ConvertError> {
    selector
        .with_label_prefix(prefix)
        .map(|s| s.source().to_owned())
        .map_err(|source| ConvertError::Prefix {
            selector: selector.source().to_owned(),
            prefix,
            source,
        })
}

/// Calico `prefixAndAppendSelector`: `(<current>) && <prefixed>`, or just the prefixed selector
/// when there is no current one.
fn prefix_and_append(
    current: String,
    append: &Selector,
    prefix: &'static str,
) -> Result<String, ConvertError> {
    let prefixed = prefixed(append, prefix)?;
    Ok(if current.is_empty() {
        prefixed
    } else {
        format!("({current}) && {prefixed}")
    })
}

/// `projectcalico.org/namespace == '<namespace>'`.
fn namespace_clause(namespace: &str) -> String {
    format!("{NAMESPACE_LABEL} == '{namespace}'")
}

/// The selector of a namespaced policy in `namespace` (`networkpolicyprocessor.go`):
/// `(<selector>) && projectcalico.org/namespace == '<ns>'`, then the `pcsa.`-prefixed service
/// account selector appended (without any `all()` rewriting).
pub(crate) fn namespaced_policy_selector(
    selector: Option<&Selector>,
    service_account_selector: Option<&Selector>,
    namespace: &str,
) -> Result<Selector, ConvertError> {
    let clause = namespace_clause(namespace);
    let mut text = match given(selector) {
        Some(s) => format!("({}) && {clause}", splice_text(s)),
        None => clause,
    };
    if let Some(sa) = given(service_account_selector) {
        text = prefix_and_append(text, sa, SERVICE_ACCOUNT_LABEL_PREFIX)?;
    }
    parse_generated(&text)
}

/// The selector of a global policy (`globalnetworkpolicyprocessor.go`): the selector as written;
/// with a namespace selector, `(<selector>) && <pcns.-prefixed>` and then *every* `all()` in the
/// whole text replaced by `has(projectcalico.org/namespace)`; likewise for the service-account
/// selector with `pcsa.` and `has(projectcalico.org/serviceaccount)`.
pub(crate) fn global_policy_selector(
    selector: Option<&Selector>,
    namespace_selector: Option<&Selector>,
    service_account_selector: Option<&Selector>,
) -> Result<Selector, ConvertError> {
    let mut text = given(selector).map(splice_text).unwrap_or("").to_owned();
    if let Some(ns) = given(namespace_selector) {
        text = prefix_and_append(text, ns, NAMESPACE_LABEL_PREFIX)?.replace("all()", HAS_NAMESPACE);
    }
    if let Some(sa) = given(service_account_selector) {
        text = prefix_and_append(text, sa, SERVICE_ACCOUNT_LABEL_PREFIX)?
            .replace("all()", HAS_SERVICE_ACCOUNT);
    }
    parse_generated(&text)
}

/// Calico `parseServiceAccounts`: the `pcsa.`-prefixed selector, AND-ed with
/// `projectcalico.org/serviceaccount in {names}` when names are given. `None` for `{}`.
fn service_accounts_text(sam: &ServiceAccountMatch) -> Result<Option<String>, ConvertError> {
    let selector = match given(sam.selector.as_ref()) {
        Some(s) => Some(prefixed(s, SERVICE_ACCOUNT_LABEL_PREFIX)?),
        None => None,
    };
    if sam.names.is_empty() {
        return Ok(selector);
    }
    let names = format!(
        "{SERVICE_ACCOUNT_LABEL} in {{ \"{}\" }}",
        sam.names.join("\", \"")
    );
    let names = parse_generated(&names)?.canonical().to_owned();
    Ok(Some(match selector {
        Some(s) => format!("({s}) && ({names})"),
        None => names,
    }))
}

/// The converted selectors of one side of a rule.
#[derive(Debug, Default, Clone)]
pub(crate) struct EntitySelectors {
    /// The positive selector, with namespace scoping and a present `notSelector` folded in.
    pub(crate) selector: Option<Selector>,
    /// The negated selector, only when there is no positive one.
    pub(crate) not_selector: Option<Selector>,
}

/// The selectors of a rule's source or destination (`rules.go`, SEMANTICS §2.6 "Rule selectors"
/// steps 1–4), then Felix's folding of `notSelector` into a present positive selector as
/// `(<pos>) && (!(<neg>))` (DECISIONS D4). `namespace` is the namespace of a namespaced policy,
/// `None` for global policies and profiles.
pub(crate) fn entity_selectors(
    entity: &EntityRule,
    namespace: Option<&str>,
) -> Result<EntitySelectors, ConvertError> {
    // Step 1: the namespace part.
    let namespace_selector = given(entity.namespace_selector.as_ref());
    let ns_text = match namespace_selector {
        Some(ns) => Some(
            prefixed(ns, NAMESPACE_LABEL_PREFIX)?
                .replace("all()", HAS_NAMESPACE)
                .replace("global()", NOT_HAS_NAMESPACE),
        ),
        None => namespace.map(namespace_clause),
    };
    // Step 2: service accounts and the selector.
    let service_accounts = match &entity.service_accounts {
        Some(sam) => service_accounts_text(sam)?,
        None => None,
    };
    let selector = given(entity.selector.as_ref()).map(splice_text);
    let selector = match (service_accounts, selector) {
        (Some(sa), Some(sel)) => Some(format!("({sa}) && ({sel})")),
        (Some(sa), None) => Some(sa),
        (None, sel) => sel.map(str::to_owned),
    };
    // Step 4: the negative part, unchanged.
    let not_selector = given(entity.not_selector.as_ref()).map(splice_text);
    // Step 3: scoping.
    let positive = match ns_text {
        Some(ns)
            if selector.is_some() || not_selector.is_some() || namespace_selector.is_some() =>
        {
            Some(match selector {
                Some(sel) => format!("({ns}) && ({sel})"),
                None => ns,
            })
        }
        _ => selector,
    };
    // Felix's combineMatchesIfPossible.
    Ok(match (positive, not_selector) {
        (Some(pos), Some(neg)) => EntitySelectors {
            selector: Some(parse_generated(&format!("({pos}) && (!({neg}))"))?),
            not_selector: None,
        },
        (Some(pos), None) => EntitySelectors {
            selector: Some(parse_generated(&pos)?),
            not_selector: None,
        },
        (None, Some(neg)) => EntitySelectors {
            selector: None,
            not_selector: Some(parse_generated(neg)?),
        },
        (None, None) => EntitySelectors::default(),
    })
}

/// Which kind of Kubernetes label selector is being translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KubeSelectorKind {
    /// A pod selector: always starts with the orchestrator clause.
    Pod,
    /// A namespace selector: `{}` means every namespace (`all()`), absent means none (`""`).
    Namespace,
}

/// Calico `k8sSelectorToCalico`: the Calico selector text for a Kubernetes label selector.
///
/// Pod selectors start with `projectcalico.org/orchestrator == 'k8s'`; then `k == 'v'` for each
/// `matchLabels` key in sorted order, then each `matchExpressions` entry in order
/// (`k in { 'a', 'b' }`, `k not in { … }`, `has(k)`, `! has(k)`), joined with ` && `. An
/// absent namespace selector gives `""`; an empty one `all()`.
pub(crate) fn kube_selector_text(
    selector: Option<&LabelSelector>,
    kind: KubeSelectorKind,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if kind == KubeSelectorKind::Pod {
        parts.push(format!(
            "{ORCHESTRATOR_LABEL} == '{ORCHESTRATOR_KUBERNETES}'"
        ));
    }
    let Some(selector) = selector else {
        return parts.join(" && ");
    };
    if kind == KubeSelectorKind::Namespace && selector.is_empty() {
        return "all()".to_owned();
    }
    for (key, value) in &selector.match_labels {
        parts.push(format!("{key} == '{value}'"));
    }
    for requirement in &selector.match_expressions {
        let key = &requirement.key;
        let values = requirement.values.join("', '");
        parts.push(match requirement.operator {
            LabelSelectorOperator::In => format!("{key} in {{ '{values}' }}"),
            LabelSelectorOperator::NotIn => format!("{key} not in {{ '{values}' }}"),
            LabelSelectorOperator::Exists => format!("has({key})"),
            LabelSelectorOperator::DoesNotExist => format!("! has({key})"),
        });
    }
    parts.join(" && ")
}

/// [`kube_selector_text`] parsed; `None` when the text is empty (absent namespace selector).
pub(crate) fn kube_selector(
    selector: Option<&LabelSelector>,
    kind: KubeSelectorKind,
) -> Result<Option<Selector>, ConvertError> {
    let text = kube_selector_text(selector, kind);
    if text.is_empty() {
        return Ok(None);
    }
    parse_generated(&text).map(Some)
}
