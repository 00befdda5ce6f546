//! Random programs (filled in later).
