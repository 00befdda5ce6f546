//! Typed policy resources (work in progress).
