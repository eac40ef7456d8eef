//! Benchmark suite for `mmapio`.
//!
//! The workloads, shared fixtures and the regression-gate tool live here.
//! This crate is a placeholder until the bench-suite issue lands: it only
//! exists so the workspace layout is in place from the start.
