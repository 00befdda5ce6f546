//! Loading resources from files, directories and strings: YAML or JSON, many documents per
//! file, `kind: List` and calicoctl's `<Kind>List`, with every problem located.
//!
//! Each document is parsed once into a location-annotated tree, decoded into its typed
//! resource (chosen by `apiVersion` + `kind`), validated ([`mod@crate::validate`]) and defaulted
//! ([`crate::defaults`]). Loading never stops at the first problem: a broken document is
//! reported and the next one is read; inside a document, decoding is retried with the broken
//! fields skipped so that every decode error is reported, and validation reports every
//! violation. A document with any problem is left out of [`Loaded::resources`].
//!
//! Large inputs are split at document boundaries and read on several threads
//! ([`LoadOptions::threads`]); the result is the same as a sequential read, in input order.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::problem::{FieldPath, Location, PathSegment, Problem, ProblemKind};
use crate::resource::{Resource, ResourceKind, decode_kind};
use crate::yaml::de::{Ctx, DeError, UnknownField, from_node, node_id};
use crate::yaml::{Node, ParsedDocument, Value, lookup, parse_documents};

/// How to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Unknown fields are errors (for files people write). When false (lenient, for objects
    /// read from a cluster), unknown fields are ignored.
    pub strict: bool,
    /// Threads to use for large inputs; 0 means the machine's available parallelism.
    pub threads: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self::strict()
    }
}

impl LoadOptions {
    /// Strict mode, automatic thread count.
    pub fn strict() -> Self {
        Self {
            strict: true,
            threads: 0,
        }
    }

    /// Lenient mode (unknown fields ignored), automatic thread count.
    pub fn lenient() -> Self {
        Self {
            strict: false,
            threads: 0,
        }
    }

    fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

/// A value with the place it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// The file, or `None` for text without a name.
    pub file: Option<Arc<Path>>,
    /// 0-based index of the YAML document in the file.
    pub document: usize,
    /// Where the object starts.
    pub location: Location,
}

/// The result of loading: the resources that loaded cleanly and every problem found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// Resources, in input order (files in the given order, directories sorted).
    pub resources: Vec<Located<Resource>>,
    /// Problems, in input order.
    pub problems: Vec<Problem>,
}

impl Loaded {
    /// True when there is no problem.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Appends another result.
    pub fn extend(&mut self, other: Loaded) {
        self.resources.extend(other.resources);
        self.problems.extend(other.problems);
    }
}

/// Inputs below this size are never split across threads.
const SPLIT_THRESHOLD: usize = 256 * 1024;

/// Loads files and directories (recursively: files ending `.yaml`, `.yml` or `.json`, in
/// sorted path order). A path given explicitly is read whatever its extension.
pub fn load_paths(paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        collect_files(path, true, &mut files, &mut seen, &mut problems);
    }
    let mut texts: Vec<(Arc<Path>, FileText)> = Vec::new();
    for file in files {
        let name: Arc<Path> = Arc::from(file.as_path());
        let text = match fs::read(&file) {
            Ok(bytes) => decode_text(bytes, &file),
            Err(error) => Err(Box::new(file_problem(
                &file,
                ProblemKind::Io {
                    message: error.to_string(),
                },
            ))),
        };
        texts.push((name, text));
    }
    let mut units = Vec::new();
    let mut early: Vec<(usize, Problem)> = Vec::new();
    for (i, (name, text)) in texts.iter().enumerate() {
        match text {
            Ok(text) => split_units(
                text,
                Some(name.clone()),
                i,
                options.thread_count(),
                &mut units,
            ),
            Err(problem) => early.push((i, (**problem).clone())),
        }
    }
    let mut loaded = run_units(&units, options, texts.len());
    // File-level problems (unreadable, not UTF-8) go first, in file order.
    let mut file_problems: Vec<Problem> = problems;
    file_problems.extend(early.into_iter().map(|(_, p)| p));
    file_problems.extend(loaded.problems);
    loaded.problems = file_problems;
    loaded
}

/// Loads YAML or JSON text; `name` is used in locations.
pub fn load_str(text: &str, name: Option<&Path>, options: &LoadOptions) -> Loaded {
    let file: Option<Arc<Path>> = name.map(Arc::from);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut units = Vec::new();
    split_units(text, file, 0, options.thread_count(), &mut units);
    run_units(&units, options, 1)
}

/// Loads raw bytes (which must be UTF-8); `name` is used in locations.
pub fn load_bytes(bytes: &[u8], name: Option<&Path>, options: &LoadOptions) -> Loaded {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(text, name, options),
        Err(error) => Loaded {
            resources: Vec::new(),
            problems: vec![Problem {
                file: name.map(Path::to_path_buf),
                location: None,
                document: None,
                path: FieldPath::root(),
                kind: ProblemKind::Syntax {
                    message: format!("the input is not UTF-8 text ({error})"),
                },
            }],
        },
    }
}

fn file_problem(file: &Path, kind: ProblemKind) -> Problem {
    Problem {
        file: Some(file.to_path_buf()),
        location: None,
        document: None,
        path: FieldPath::root(),
        kind,
    }
}

/// A file's text, or the problem that kept it from being read.
type FileText = Result<String, Box<Problem>>;

fn decode_text(bytes: Vec<u8>, file: &Path) -> FileText {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(error) => Err(Box::new(file_problem(
            file,
            ProblemKind::Syntax {
                message: format!("the file is not UTF-8 text ({})", error.utf8_error()),
            },
        ))),
    }
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn collect_files(
    path: &Path,
    explicit: bool,
    files: &mut Vec<PathBuf>,
    seen: &mut HashSet<PathBuf>,
    problems: &mut Vec<Problem>,
) {
    let metadata = match fs::metadata(path) {
        Ok(m) => m,
        Err(error) => {
            problems.push(file_problem(
                path,
                ProblemKind::Io {
                    message: error.to_string(),
                },
            ));
            return;
        }
    };
    if metadata.is_dir() {
        // Guard against symlink loops.
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !seen.insert(canonical) {
            return;
        }
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(error) => {
                problems.push(file_problem(
                    path,
                    ProblemKind::Io {
                        message: error.to_string(),
                    },
                ));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            collect_files(&child, false, files, seen, problems);
        }
    } else if explicit || is_manifest(path) {
        files.push(path.to_path_buf());
    }
}

/// A slice of one input, starting at a document boundary.
struct Unit<'t> {
    file: Option<Arc<Path>>,
    /// Index of the input (file) the slice belongs to.
    input: usize,
    text: &'t str,
    line_offset: u32,
}

/// Splits `text` into up to `threads` slices at `---` lines, if it is large.
fn split_units<'t>(
    text: &'t str,
    file: Option<Arc<Path>>,
    input: usize,
    threads: usize,
    units: &mut Vec<Unit<'t>>,
) {
    let pieces = if text.len() >= SPLIT_THRESHOLD {
        threads.max(1)
    } else {
        1
    };
    let mut start = 0usize;
    let mut line_offset = 0u32;
    for k in 1..pieces {
        let target = text.len() * k / pieces;
        let Some(boundary) = document_boundary_after(text, target.max(start + 1)) else {
            break;
        };
        let slice = &text[start..boundary];
        units.push(Unit {
            file: file.clone(),
            input,
            text: slice,
            line_offset,
        });
        let lines = slice.bytes().filter(|b| *b == b'\n').count();
        line_offset = line_offset.saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
        start = boundary;
    }
    units.push(Unit {
        file,
        input,
        text: &text[start..],
        line_offset,
    });
}

/// The byte offset of the first line at or after `from` that starts a document (`---` followed
/// by a blank, a line end, or the end of input), not preceded by a directive line.
fn document_boundary_after(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    // Move to the start of the next line.
    while at < bytes.len() && at > 0 && bytes[at - 1] != b'\n' {
        at += 1;
    }
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.starts_with(b"---")
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
        {
            let previous_is_directive = at >= 2 && {
                let before = &bytes[..at - 1];
                let line_start = before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
                bytes[line_start] == b'%'
            };
            if !previous_is_directive {
                return Some(at);
            }
        }
        match rest.iter().position(|b| *b == b'\n') {
            Some(p) => at += p + 1,
            None => return None,
        }
    }
    None
}

/// What one unit produced, with document indices local to the unit.
#[derive(Default)]
struct UnitOutput {
    resources: Vec<Located<Resource>>,
    problems: Vec<Problem>,
    documents: usize,
}

fn run_units(units: &[Unit<'_>], options: &LoadOptions, inputs: usize) -> Loaded {
    let threads = options.thread_count().min(units.len()).max(1);
    let outputs: Vec<UnitOutput> = if threads == 1 {
        units.iter().map(|u| process_unit(u, options)).collect()
    } else {
        let next = AtomicUsize::new(0);
        let mut slots: Vec<Option<UnitOutput>> = (0..units.len()).map(|_| None).collect();
        let results: Vec<Vec<(usize, UnitOutput)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(unit) = units.get(i) else { break };
                            done.push((i, process_unit(unit, options)));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, output) in results.into_iter().flatten() {
            slots[i] = Some(output);
        }
        // A unit whose thread panicked (it cannot: library code does not panic on input) is
        // processed again here so that no input is silently lost.
        slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| slot.unwrap_or_else(|| process_unit(&units[i], options)))
            .collect()
    };
    let mut loaded = Loaded::default();
    let mut document_base = vec![0usize; inputs.max(1)];
    for (unit, mut output) in units.iter().zip(outputs) {
        let base = document_base.get(unit.input).copied().unwrap_or(0);
        for resource in &mut output.resources {
            resource.document += base;
        }
        for problem in &mut output.problems {
            if let Some(d) = problem.document.as_mut() {
                *d += base;
            }
        }
        if let Some(b) = document_base.get_mut(unit.input) {
            *b += output.documents;
        }
        loaded.resources.extend(output.resources);
        loaded.problems.extend(output.problems);
    }
    loaded
}

fn process_unit(unit: &Unit<'_>, options: &LoadOptions) -> UnitOutput {
    let mut out = UnitOutput::default();
    let file_path: Option<PathBuf> = unit.file.as_deref().map(Path::to_path_buf);
    parse_documents(unit.text, unit.line_offset, |document| {
        let index = out.documents;
        out.documents += 1;
        let mut sink = DocumentSink {
            file: &unit.file,
            file_path: &file_path,
            document: index,
            out: &mut out,
        };
        match document {
            ParsedDocument::Syntax { message, location } => sink.problem(
                Some(location),
                FieldPath::root(),
                ProblemKind::Syntax {
                    message: format!("{message}; expected well-formed YAML or JSON"),
                },
            ),
            ParsedDocument::Tree { root: None, .. } => {}
            ParsedDocument::Tree {
                root: Some(root),
                errors,
            } => {
                let tree_failed = !errors.is_empty();
                for error in errors {
                    sink.problem(
                        Some(error.location),
                        FieldPath::from_segments(error.path),
                        ProblemKind::Syntax {
                            message: error.message,
                        },
                    );
                }
                sink.document(&root, tree_failed, options);
            }
        }
    });
    out
}

/// Records problems and resources of one document.
struct DocumentSink<'a> {
    file: &'a Option<Arc<Path>>,
    file_path: &'a Option<PathBuf>,
    document: usize,
    out: &'a mut UnitOutput,
}

/// Keys allowed at the root of every object besides its own fields.
const ROOT_EXTRA: &[&str] = &["apiVersion", "kind"];

/// The most decode rounds for one object (each round finds one more decode error).
const MAX_DECODE_ROUNDS: usize = 32;

impl DocumentSink<'_> {
    fn problem(&mut self, location: Option<Location>, path: FieldPath, kind: ProblemKind) {
        self.out.problems.push(Problem {
            file: self.file_path.clone(),
            location,
            document: Some(self.document),
            path,
            kind,
        });
    }

    fn document(&mut self, root: &Node, tree_failed: bool, options: &LoadOptions) {
        if !matches!(root.value, Value::Map(_)) {
            if matches!(root.value, Value::Null) {
                return;
            }
            self.problem(
                Some(root.location),
                FieldPath::root(),
                ProblemKind::Decode {
                    message: format!(
                        "expected a Kubernetes object (a mapping with `apiVersion` and `kind`), found {}",
                        describe_short(&root.value)
                    ),
                },
            );
            return;
        }
        let api_version = root.get("apiVersion").and_then(Node::as_str);
        let kind = root.get("kind").and_then(Node::as_str);
        if let (Some(api_version), Some(kind)) = (api_version, kind)
            && let Some(items) = root.get("items")
            && (kind == "List" || (kind.ends_with("List") && kind.len() > 4))
        {
            let item_kind = if kind == "List" {
                None
            } else {
                Some((api_version, &kind[..kind.len() - 4]))
            };
            match &items.value {
                Value::Seq(elements) => {
                    for (i, item) in elements.iter().enumerate() {
                        let prefix =
                            vec![PathSegment::Key("items".to_owned()), PathSegment::Index(i)];
                        self.object(item, &prefix, item_kind, tree_failed, options);
                    }
                }
                Value::Null => {}
                other => self.problem(
                    Some(items.location),
                    FieldPath::root().key("items"),
                    ProblemKind::Decode {
                        message: format!(
                            "expected a list of objects in `items`, found {}",
                            describe_short(other)
                        ),
                    },
                ),
            }
            return;
        }
        self.object(root, &[], None, tree_failed, options);
    }

    fn object(
        &mut self,
        node: &Node,
        prefix: &[PathSegment],
        inherited: Option<(&str, &str)>,
        tree_failed: bool,
        options: &LoadOptions,
    ) {
        let at = |path: FieldPath| -> FieldPath {
            let mut segments = prefix.to_vec();
            segments.extend(path.segments().iter().cloned());
            FieldPath::from_segments(segments)
        };
        if !matches!(node.value, Value::Map(_)) {
            self.problem(
                Some(node.location),
                at(FieldPath::root()),
                ProblemKind::Decode {
                    message: format!(
                        "expected an object (a mapping with `apiVersion` and `kind`), found {}",
                        describe_short(&node.value)
                    ),
                },
            );
            return;
        }
        let api_version = node
            .get("apiVersion")
            .and_then(Node::as_str)
            .or(inherited.map(|(a, _)| a));
        let kind = node
            .get("kind")
            .and_then(Node::as_str)
            .or(inherited.map(|(_, k)| k));
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            let missing: Vec<&str> = [
                ("apiVersion", api_version.is_none()),
                ("kind", kind.is_none()),
            ]
            .into_iter()
            .filter(|(_, m)| *m)
            .map(|(f, _)| f)
            .collect();
            let hint = type_meta_hint(node, &missing);
            self.problem(
                Some(node.location),
                at(FieldPath::root()),
                ProblemKind::MissingTypeMeta {
                    missing: missing.join(" and "),
                    hint,
                },
            );
            return;
        };
        let Some(resource_kind) = ResourceKind::lookup(api_version, kind) else {
            let (field, hint) = ResourceKind::hint_for(api_version, kind);
            let located = node.get(field).map_or(node.location, |n| n.location);
            self.problem(
                Some(located),
                at(FieldPath::root().key(field)),
                ProblemKind::UnknownKind {
                    api_version: api_version.to_owned(),
                    kind: kind.to_owned(),
                    hint,
                },
            );
            return;
        };
        let (resource, errors, unknown) = decode_object(node, resource_kind, options.strict);
        let mut failed = tree_failed || !errors.is_empty() || !unknown.is_empty();
        for field in unknown {
            let hint = field
                .suggestion
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            self.problem(
                Some(field.location),
                at(field.path),
                ProblemKind::UnknownField {
                    field: field.field,
                    expected: field
                        .expected
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    hint,
                },
            );
        }
        for error in errors {
            let (location, path) = match error.site {
                Some(site) => (site.location, site.path),
                None => (node.location, FieldPath::root()),
            };
            self.problem(
                Some(location),
                at(path),
                ProblemKind::Decode {
                    message: error.message,
                },
            );
        }
        let Some(mut resource) = resource else { return };
        let violations = crate::validate::validate(&resource);
        failed |= !violations.is_empty();
        for violation in violations {
            let location = lookup(node, &violation.path).location;
            self.problem(
                Some(location),
                at(violation.path.clone()),
                ProblemKind::Invalid(violation),
            );
        }
        if failed {
            return;
        }
        crate::defaults::apply_defaults(&mut resource);
        self.out.resources.push(Located {
            value: resource,
            file: self.file.clone(),
            document: self.document,
            location: node.location,
        });
    }
}

/// A hint for a missing `apiVersion`/`kind`: a key that looks like a misspelling of it.
fn type_meta_hint(node: &Node, missing: &[&str]) -> String {
    let Value::Map(entries) = &node.value else {
        return String::new();
    };
    for wanted in missing {
        for (key, _) in entries {
            if key.text != *wanted && crate::suggest::closest(&key.text, [*wanted]).is_some() {
                return format!(
                    "; found `{}` at line {}, did you mean `{wanted}`?",
                    key.text, key.location.line
                );
            }
        }
    }
    String::new()
}

fn describe_short(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let first: String = s.chars().take(40).collect();
            if s.chars().count() > 40 {
                format!("the text {:?}…", first)
            } else {
                format!("the text {first:?}")
            }
        }
        other => other.describe(),
    }
}

/// Decodes `node` as `kind`, retrying with broken nodes skipped to find every decode error.
/// Returns the resource (only when decoding had no error), the errors, and unknown fields.
fn decode_object(
    node: &Node,
    kind: ResourceKind,
    strict: bool,
) -> (Option<Resource>, Vec<DeError>, Vec<UnknownField>) {
    let mut poisoned: HashSet<usize> = HashSet::new();
    let mut errors: Vec<DeError> = Vec::new();
    let mut unknown: Vec<UnknownField> = Vec::new();
    for _ in 0..MAX_DECODE_ROUNDS {
        let ctx = Ctx {
            strict,
            open_structs: crate::kube::OPEN_STRUCTS,
            root_extra: ROOT_EXTRA,
            unknown: Default::default(),
            poisoned: &poisoned,
        };
        let result: Result<Resource, DeError> = decode_kind(
            kind,
            crate::yaml::de::NodeDe {
                node,
                ctx: &ctx,
                path: &crate::yaml::de::PathLink::Root,
            },
        );
        for field in ctx.unknown.into_inner() {
            if !unknown.iter().any(|u| u.path == field.path) {
                unknown.push(field);
            }
        }
        match result {
            Ok(resource) => {
                return (errors.is_empty().then_some(resource), errors, unknown);
            }
            Err(error) => {
                let site_node = error.site.as_ref().map_or(node_id(node), |s| s.node);
                let site_path = error
                    .site
                    .as_ref()
                    .map(|s| s.path.clone())
                    .unwrap_or_default();
                // A "missing field" caused by a field skipped in an earlier round, or written
                // with a typo already reported as unknown, is not a new problem.
                let suppressed = error.missing_field.is_some_and(|field| {
                    let container = lookup(node, &site_path);
                    let skipped = container
                        .get(field)
                        .is_some_and(|child| poisoned.contains(&node_id(child)));
                    let misspelt = unknown
                        .iter()
                        .any(|u| u.suggestion == Some(field) && parent_of(&u.path) == site_path);
                    skipped || misspelt
                });
                if !suppressed {
                    errors.push(error);
                }
                if site_node == node_id(node) || !poisoned.insert(site_node) {
                    break;
                }
            }
        }
    }
    (None, errors, unknown)
}

fn parent_of(path: &FieldPath) -> FieldPath {
    let segments = path.segments();
    FieldPath::from_segments(segments[..segments.len().saturating_sub(1)].to_vec())
}

/// Decodes one typed value from YAML/JSON text without the kind dispatch (for tests and tools
/// that read a single known type). Strict about unknown fields.
pub fn decode_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Box<Problem>> {
    let mut first: Option<Result<T, Box<Problem>>> = None;
    parse_documents(text, 0, |document| {
        if first.is_some() {
            return;
        }
        first = Some(match document {
            ParsedDocument::Syntax { message, location } => Err(Box::new(Problem {
                file: None,
                location: Some(location),
                document: Some(0),
                path: FieldPath::root(),
                kind: ProblemKind::Syntax { message },
            })),
            ParsedDocument::Tree { root: None, .. } => Err(Box::new(Problem {
                file: None,
                location: None,
                document: Some(0),
                path: FieldPath::root(),
                kind: ProblemKind::Decode {
                    message: "empty document".to_owned(),
                },
            })),
            ParsedDocument::Tree {
                root: Some(root), ..
            } => {
                let poisoned = HashSet::new();
                let ctx = Ctx {
                    strict: true,
                    open_structs: crate::kube::OPEN_STRUCTS,
                    root_extra: &[],
                    unknown: Default::default(),
                    poisoned: &poisoned,
                };
                let result = from_node::<T>(&root, &ctx);
                let unknown = ctx.unknown.into_inner();
                match (result, unknown.into_iter().next()) {
                    (_, Some(field)) => Err(Box::new(Problem {
                        file: None,
                        location: Some(field.location),
                        document: Some(0),
                        path: field.path,
                        kind: ProblemKind::UnknownField {
                            field: field.field,
                            expected: field.expected.join(", "),
                            hint: String::new(),
                        },
                    })),
                    (Ok(value), None) => Ok(value),
                    (Err(error), None) => {
                        let (location, path) = error
                            .site
                            .map_or((root.location, FieldPath::root()), |s| (s.location, s.path));
                        Err(Box::new(Problem {
                            file: None,
                            location: Some(location),
                            document: Some(0),
                            path,
                            kind: ProblemKind::Decode {
                                message: error.message,
                            },
                        }))
                    }
                }
            }
        });
    });
    first.unwrap_or_else(|| {
        Err(Box::new(Problem {
            file: None,
            location: None,
            document: None,
            path: FieldPath::root(),
            kind: ProblemKind::Decode {
                message: "no document in the input".to_owned(),
            },
        }))
    })
}
