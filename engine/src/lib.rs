//! # sluice: the host engine
//!
//! Runs TOML-declared import pipelines whose every stage is a WebAssembly component plugin,
//! and writes what they produce to a SQLite store. This crate is the only one in sluice that
//! does IO: it reads input files, owns the store, loads and sandboxes plugins, and offers the
//! `sluice` command line.
//!
//! What it must not do: let a plugin reach the store, the filesystem, the network or the
//! clock; let a plugin fault or bad input end the process; commit part of an import.

pub mod cli;
pub mod config;
pub mod pipeline;
pub mod plugin;
pub mod store;
pub mod watch;
