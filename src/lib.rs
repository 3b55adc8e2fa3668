//! `wps`: a command-line tool, a Rust client library and a local emulator for Azure Web PubSub.
//!
//! - [`client`]: the data-plane REST client (access-key auth, retries, wire-exact requests).
//! - [`emulator`]: an in-memory Web PubSub service for development and tests.
//! - the command-line tool (`wps`) is the binary built on these two.
//!
//! # Sending from Rust
//!
//! A [`client::Client`] is built from a connection string (or an endpoint and key) and signs
//! each request itself, as the official SDKs do. This example runs against an in-process
//! [`emulator`]; against Azure, parse the connection string from the portal instead.
//!
//! ```
//! use wps::client::{Client, ClientOptions, ConnectionString, Payload, SendOptions};
//! use wps::emulator::{self, EmulatorConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = emulator::start(EmulatorConfig { port: 0, ..EmulatorConfig::default() }).await?;
//!
//! let connection = ConnectionString::parse(&service.connection_string())?;
//! let client = Client::new(connection, ClientOptions::default())?;
//! let hub = "chat";
//! client.send_to_all(hub, &Payload::text("hello"), &SendOptions::default()).await?;
//! client.send_to_group(hub, "g1", &Payload::json(r#"{"n":1}"#)?, &SendOptions::default()).await?;
//!
//! service.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Errors are a [`client::ClientError`]; its [`kind`](client::ClientError::kind) tells an
//! authentication failure from a rejected request or an unavailable service.

#![deny(rustdoc::broken_intra_doc_links)]

/// The Rust examples of docs/library.md compile (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryDocDoctests;

// The library is the data-plane client and the emulator; the command-line tool's modules
// (cli, settings, commands, output, config, error, term, env) belong to the binary (main.rs)
// and are no part of this crate's public surface.
#[warn(missing_docs)]
pub mod client;
pub mod emulator;
#[doc(hidden)]
pub mod files;
