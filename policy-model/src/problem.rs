//! Problems found while loading and validating: where (file, line, column, field path) and what.

use std::fmt;
use std::path::PathBuf;

use crate::validate::Violation;

/// A position in a source file, 1-based line and column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number (in characters).
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of a [`FieldPath`]: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A mapping key, e.g. `spec`.
    Key(String),
    /// A sequence index, e.g. `[2]`.
    Index(usize),
}

/// A field path inside one object, printed like `spec.ingress[2].source.ports[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The empty path (the object itself).
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        Self(segments)
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// True for the empty path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Builds a path from segments.
    pub fn from_segments(segments: Vec<PathSegment>) -> Self {
        Self(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<document>");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if i == 0 => write!(f, "{key}")?,
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file could not be read.
    #[error("cannot read file: {message}")]
    Io {
        /// The operating system's message.
        message: String,
    },
    /// The text is not well-formed YAML/JSON.
    #[error("syntax error: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// A value has the wrong shape or cannot be parsed into its type.
    #[error("{message}")]
    Decode {
        /// What was found and what was expected.
        message: String,
    },
    /// A field that the kind does not have (strict mode only).
    #[error("unknown field `{field}`, expected {expected}{hint}")]
    UnknownField {
        /// The field as written.
        field: String,
        /// The fields that are allowed here.
        expected: String,
        /// A "did you mean" hint, or empty.
        hint: String,
    },
    /// The object has no `apiVersion` or `kind`, or they are not strings.
    #[error(
        "missing {missing}: expected every object to have string fields `apiVersion` and `kind`{hint}"
    )]
    MissingTypeMeta {
        /// Which of the two is missing (`apiVersion`, `kind`, or both).
        missing: String,
        /// A hint such as a misspelt key, or empty.
        hint: String,
    },
    /// A kind that Palisade does not know (it is reported, never dropped silently).
    #[error("unknown kind `{kind}` in apiVersion `{api_version}`{hint}")]
    UnknownKind {
        /// `apiVersion` as written.
        api_version: String,
        /// `kind` as written.
        kind: String,
        /// Hint naming the supported apiVersion, or empty.
        hint: String,
    },
    /// The document decoded but breaks a validation rule (SEMANTICS §4).
    #[error("{0}")]
    Invalid(Violation),
}

/// One problem with its location. It displays as `file:line:column: field.path: message`
/// (the path is left out for whole-document problems, the position when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file, or `None` for text loaded from memory without a name.
    pub file: Option<PathBuf>,
    /// Line and column, when known.
    pub location: Option<Location>,
    /// 0-based index of the YAML document in the file (`None` for file-level problems).
    pub document: Option<usize>,
    /// Field path inside the object (root for whole-document problems).
    pub path: FieldPath,
    /// What went wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}", file.display())?,
            None => f.write_str("<input>")?,
        }
        if let Some(location) = self.location {
            write!(f, ":{location}")?;
        }
        if !self.path.is_root() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for Problem {}
