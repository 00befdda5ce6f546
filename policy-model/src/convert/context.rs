//! The conversion context: the source resource, the notes collected while converting it, and the
//! errors that make part of a resource unconvertible.

use palisade_selector::ParseError;

use crate::model::{Note, ResourceKey, Severity};

/// Why part of a resource could not be converted. Reported as the message of an error
/// [`Note`]; never returned to callers of [`convert`](super::convert).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ConvertError {
    /// Prefixing a selector's labels (`pcns.`/`pcsa.`) made a label invalid (longer than 512
    /// bytes, SEMANTICS §1.1).
    #[error("selector `{selector}` cannot be prefixed with `{prefix}`: {source}")]
    Prefix {
        /// The selector as written.
        selector: String,
        /// The prefix.
        prefix: &'static str,
        /// The parse error of the prefixed text.
        source: ParseError,
    },
    /// A selector built by the conversion (Calico builds them as text and re-parses them) does
    /// not parse, e.g. because a name or label value contains a quote.
    #[error("the converted selector `{text}` does not parse: {source}")]
    Generated {
        /// The built text.
        text: String,
        /// The parse error.
        source: ParseError,
    },
    /// A Kubernetes NetworkPolicy port entry that Calico's `PortFromString` rejects.
    #[error("invalid port `{text}`: {reason}")]
    Port {
        /// The port as Calico spells it (`port` or `port:endPort`).
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A one-of object (admin subject, peer, port, protocol) without exactly one known key.
    #[error("{what} must set exactly one of {keys}, found {found}")]
    OneOf {
        /// What the object is (e.g. `peer`).
        what: &'static str,
        /// The keys it may set.
        keys: &'static str,
        /// How many it sets.
        found: usize,
    },
    /// Any other structural problem of an admin policy rule.
    #[error("{0}")]
    Invalid(String),
}

/// The resource being converted and the notes collected so far.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The source resource.
    pub(crate) source: ResourceKey,
    /// Notes collected so far.
    pub(crate) notes: Vec<Note>,
}

impl Ctx {
    /// A context for the resource with key `source`.
    pub(crate) fn new(source: ResourceKey) -> Ctx {
        Ctx {
            source,
            notes: Vec::new(),
        }
    }

    /// The namespace of the resource (`default` for namespaced kinds without one), or `""` for
    /// cluster-scoped kinds.
    pub(crate) fn namespace(&self) -> &str {
        self.source.namespace.as_deref().unwrap_or("")
    }

    /// The resource's name.
    pub(crate) fn name(&self) -> &str {
        &self.source.name
    }

    fn note(&mut self, severity: Severity, path: Option<&str>, message: String) {
        self.notes.push(Note {
            source: self.source.clone(),
            severity,
            path: path.map(str::to_owned),
            message,
        });
    }

    /// Records an error: part of the resource was dropped or replaced.
    pub(crate) fn error(&mut self, path: Option<&str>, message: impl Into<String>) {
        self.note(Severity::Error, path, message.into());
    }

    /// Records a warning: handled as Calico would, but probably unintended.
    pub(crate) fn warn(&mut self, path: Option<&str>, message: impl Into<String>) {
        self.note(Severity::Warning, path, message.into());
    }

    /// Records information.
    pub(crate) fn info(&mut self, path: Option<&str>, message: impl Into<String>) {
        self.note(Severity::Info, path, message.into());
    }
}
