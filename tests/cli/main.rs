//! Integration tests: the built `wps` binary against the in-process emulator, with real
//! WebSocket clients that must receive what was sent.

mod abuse_ws;
mod bad_input;
mod bulk;
mod commands;
mod common;
mod config;
mod demo;
mod emulator_rest;
mod emulator_ws;
#[cfg(feature = "entra")]
mod entra;
mod event_handlers;
mod faults;
mod generate;
mod help;
mod hostile;
mod listen;
mod readme;
mod send;
mod shapes;
mod token;
