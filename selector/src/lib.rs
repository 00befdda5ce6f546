//! The Calico selector language, exactly as Calico implements it.
//!
//! A selector picks endpoints by their labels: `app == "web" && tier in {"fe", "be"}`. This crate
//! parses selectors ([`Selector::parse`]) into a typed AST with byte spans ([`Expr`]), evaluates
//! them against any [`Labels`] source without allocating, prints Calico's canonical form
//! (`Display`), computes Calico's unique ID ([`Selector::unique_id`]), and derives the label
//! restrictions an index needs ([`Selector::label_restrictions`]).
//!
//! The behaviour is Calico's (`libcalico-go/lib/selector`), including its corners: only space
//! and tab are whitespace; keywords are recognised only in their positions (`contains contains
//! "contains"` is valid); a run of `!` is collapsed by parity at parse time, yet `!(!has(a))`
//! keeps both negations and prints `!!has(a)`; a missing label makes `!=` and `not in` true.
//!
//! ```
//! use palisade_selector::{LabelSet, Selector};
//!
//! let sel: Selector = "app == 'web' && tier in {'fe','be'} && !has(quarantine)".parse()?;
//! assert_eq!(sel.to_string(), r#"(app == "web" && tier in {"be", "fe"} && !has(quarantine))"#);
//! let labels: LabelSet = [("app", "web"), ("tier", "fe")].into_iter().collect();
//! assert!(sel.matches(&labels));
//! # Ok::<(), palisade_selector::ParseError>(())
//! ```
//!
//! Hostile input is bounded ([`ParseOptions`]): by default 64 KiB of text, and nesting of at most
//! 256 (parentheses in the text, and `!` / `&&` / `||` nodes inside one another). The parser does
//! not recurse; the walks of the tree that do (printing, evaluation, analyses) are bounded by the
//! nesting limit. The canonical form of every accepted selector is accepted with the same limits.
//!
//! Evaluation is fastest against a [`LabelSet`]: every parsed [`Label`] carries a hash of its
//! name, and a label set is a small hash table by that hash.
//!
//! Errors own their input and point at the offending byte:
//!
//! ```
//! let err = palisade_selector::Selector::parse("a == 'b'\n").unwrap_err();
//! assert_eq!(err.span().start, 8);
//! assert!(err.to_string().contains("line break"));
//! ```

mod ast;
mod bytes;
mod canonical;
mod caret;
mod error;
mod eval;
pub mod global_placement;
mod key_hash;
mod labels;
mod parser;
mod plan;
mod restrictions;
mod selector;
mod span;
pub mod token;

pub use ast::{AstError, CompareOp, Expr, ExprKind, Label, Operands, SetOp, Value, ValueSet};
pub use error::{ErrorKind, ParseError};
pub use labels::{Chain, LabelSet, Labels};
pub use parser::ParseOptions;
pub use restrictions::{LabelRestriction, LabelRestrictions};
pub use selector::Selector;
pub use span::Span;

/// The longest label Calico accepts, in bytes (`MaxLabelLength`).
pub const MAX_LABEL_LEN: usize = 512;
