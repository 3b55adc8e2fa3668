//! `wps`: a command-line tool, a Rust client library and a local emulator for Azure Web PubSub.
//!
//! - [`client`]: the data-plane REST client (access-key auth, retries, wire-exact requests).
//! - [`emulator`]: an in-memory Web PubSub service for development and tests.
//! - the rest (`cli`, `settings`, `commands`, `output`, `error`) is the command-line tool.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod emulator;
pub mod error;
pub mod output;
pub mod settings;
