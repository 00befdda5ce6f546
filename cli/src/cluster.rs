//! Loading the resources a command works on (`-f PATH`, repeatable) into the normalised model.
//!
//! Problems in the input (syntax, unknown fields, invalid values) and conversion notes of
//! severity `Error` (part of a resource could not be converted) stop the command before anything
//! is evaluated; warnings and informational notes are returned for the caller to show.

use std::fmt;
use std::path::{Path, PathBuf};

use palisade_policy_model::model::{Model, Note, Severity};
use palisade_policy_model::{LoadOptions, Loaded, Problem, load_paths, load_str};

/// A loaded cluster: the model plus what loading it reported.
#[derive(Debug, Clone)]
pub struct Cluster {
    model: Model,
    resources: usize,
    notes: Vec<Note>,
}

/// Why a cluster could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The input has problems (each with file, line, column and field path).
    #[error("{}", ProblemList(.0))]
    Problems(Vec<Problem>),
    /// Some resources could not be converted into the policy model.
    #[error("{}", NoteList(.0))]
    Conversion(Vec<Note>),
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} {} in the input; nothing was evaluated",
            if n == 1 { "problem" } else { "problems" }
        )?;
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

struct NoteList<'a>(&'a [Note]);

impl fmt::Display for NoteList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} {} could not be converted into the policy model; nothing was evaluated",
            if n == 1 {
                "resource part"
            } else {
                "resource parts"
            }
        )?;
        for note in self.0 {
            write!(f, "\n  {note}")?;
        }
        Ok(())
    }
}

impl Cluster {
    /// Loads files and directories (recursively: `.yaml`, `.yml`, `.json`, sorted).
    pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Cluster, ClusterError> {
        Cluster::from_loaded(load_paths(paths, options))
    }

    /// Loads named texts (e.g. files embedded in the binary), in order.
    pub fn load_texts<'a>(
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
        options: &LoadOptions,
    ) -> Result<Cluster, ClusterError> {
        let mut loaded = Loaded::default();
        for (name, text) in texts {
            loaded.extend(load_str(text, Some(Path::new(name)), options));
        }
        Cluster::from_loaded(loaded)
    }

    /// Builds the model from a load result: problems and conversion errors are errors.
    pub fn from_loaded(loaded: Loaded) -> Result<Cluster, ClusterError> {
        if !loaded.problems.is_empty() {
            return Err(ClusterError::Problems(loaded.problems));
        }
        let model = Model::from_resources(loaded.resources.iter().map(|r| &r.value));
        let notes = model.notes();
        let errors: Vec<Note> = notes
            .iter()
            .filter(|n| n.severity == Severity::Error)
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(ClusterError::Conversion(errors));
        }
        Ok(Cluster {
            model,
            resources: loaded.resources.len(),
            notes,
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The number of resources loaded.
    pub fn resource_count(&self) -> usize {
        self.resources
    }

    /// Warnings and informational notes (errors never get this far), in model order.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(yaml: &str) -> Result<Cluster, ClusterError> {
        Cluster::load_texts([("test.yaml", yaml)], &LoadOptions::strict())
    }

    #[test]
    fn problems_stop_loading_and_keep_their_location() {
        let err = texts(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n\
             metadata: {name: a}\nspec:\n  selectr: all()\n",
        )
        .expect_err("unknown field");
        let ClusterError::Problems(problems) = &err else {
            panic!("expected problems, got {err:?}");
        };
        assert_eq!(problems.len(), 1);
        let text = err.to_string();
        assert!(text.starts_with("1 problem in the input"), "{text}");
        assert!(text.contains("test.yaml:5:3: spec.selectr"), "{text}");
    }

    #[test]
    fn a_clean_input_gives_a_model_and_its_notes() {
        let cluster = texts(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n\
             spec: {containers: []}\nstatus: {podIP: 10.0.0.1}\n",
        )
        .expect("loads");
        assert_eq!(cluster.resource_count(), 1);
        assert_eq!(cluster.model().workloads().count(), 1);
        // The namespace `x` was not loaded: an implicit profile is noted (DECISIONS D5).
        assert!(
            cluster
                .notes()
                .iter()
                .any(|n| n.message.contains("kns.x") || n.source.name.contains("kns.x")),
            "{:?}",
            cluster.notes()
        );
    }
}
