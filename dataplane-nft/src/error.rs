//! Errors of the nftables dataplane. Each carries what went wrong and where.

use std::io;

/// A ruleset that breaks an invariant of the model ([`crate::ruleset::Ruleset::validate`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A name nftables (or the text form) cannot carry.
    #[error("invalid {what} name `{name}`")]
    BadName {
        /// What is named (`table`, `chain`, `set`, `counter`).
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A set whose definition or elements are inconsistent.
    #[error("set `{set}`: {reason}")]
    BadSet {
        /// The set.
        set: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule that refers to something missing or has an invalid part.
    #[error("chain `{chain}`, rule {index}: {reason}")]
    BadRule {
        /// The chain.
        chain: String,
        /// Index of the rule in the chain.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Why a snapshot could not be lowered into a ruleset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LowerError {
    /// A binding names an interface nftables cannot match.
    #[error("interface name `{name}` is invalid (1 to 15 printable characters, no quotes)")]
    BadInterface {
        /// The name.
        name: String,
    },
    /// Two bindings for one interface.
    #[error("interface `{name}` is bound twice")]
    DuplicateInterface {
        /// The name.
        name: String,
    },
    /// More than one binding of host endpoints to all interfaces (`*`).
    #[error("only one host endpoint may be bound to all interfaces (`*`)")]
    DuplicateWildcard,
    /// A workload bound to `*`.
    #[error("workload endpoint {endpoint} cannot be bound to all interfaces (`*`)")]
    WildcardWorkload {
        /// The endpoint.
        endpoint: String,
    },
    /// A binding whose endpoint has none of the programs its kind needs.
    #[error("no program for {endpoint} {hook} in the snapshot")]
    MissingProgram {
        /// The endpoint.
        endpoint: String,
        /// The hook.
        hook: String,
    },
    /// A program refers to a set the snapshot does not have.
    #[error("program for {target} refers to IP set `{set}`, which the snapshot does not contain")]
    MissingSet {
        /// The program's target.
        target: String,
        /// The set.
        set: String,
    },
    /// A set is used with the wrong kind of members.
    #[error("IP set `{set}` holds {found} but is used for {wanted}")]
    SetKindMismatch {
        /// The set.
        set: String,
        /// What it holds.
        found: &'static str,
        /// What the rule needs.
        wanted: &'static str,
    },
    /// More Pass targets in one program than the mark field can number.
    #[error("program for {target} has {count} pass targets; the mark layout numbers at most {max}")]
    TooManyPassTargets {
        /// The program's target.
        target: String,
        /// Pass targets in the program.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The fast classifier could not be built for a program.
    #[error("program for {target}: the classifier could not be built: {message}")]
    Classifier {
        /// The program's target.
        target: String,
        /// The classifier's error.
        message: String,
    },
    /// The options are inconsistent.
    #[error("invalid options: {0}")]
    BadOptions(String),
    /// The lowered ruleset broke a model invariant (a bug in the lowering).
    #[error("lowering produced an invalid ruleset: {0}")]
    Model(#[from] ModelError),
}

/// An error reported by the kernel or the netlink socket.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetlinkError {
    /// A socket call failed.
    #[error("netlink {call} failed: {source}")]
    Io {
        /// The call (`socket`, `sendmsg`, `recv`, ...).
        call: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The kernel rejected a message of a batch; the whole batch was discarded.
    #[error("the kernel rejected the batch at message {index} ({what}): {source}")]
    Rejected {
        /// Index of the message in the batch (0 = first message after the batch begin).
        index: usize,
        /// What the message did, e.g. `add rule to chain p_1_4`.
        what: String,
        /// The error the kernel returned.
        #[source]
        source: io::Error,
    },
    /// The ruleset generation changed since the last commit (someone else changed nftables);
    /// the kernel refused the conditional batch and applied nothing.
    #[error("the nftables generation changed since the last commit (expected {expected})")]
    GenerationChanged {
        /// The generation the batch was built against.
        expected: u32,
    },
    /// A reply that does not parse.
    #[error("malformed netlink reply: {0}")]
    Malformed(String),
    /// libnftnl could not build or parse an object.
    #[error("libnftnl could not {0}")]
    Libnftnl(String),
}

/// Why applying a ruleset failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The ruleset is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Netlink failed; nothing of this update was applied (batches are atomic).
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
}
