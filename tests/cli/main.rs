//! Integration tests: the built `wps` binary against the in-process emulator, with real
//! WebSocket clients that must receive what was sent.

mod abuse_http;
mod abuse_ws;
mod bad_input;
mod bulk;
mod client;
mod commands;
mod common;
mod config;
mod dashboard;
mod demo;
mod emulator_rest;
mod emulator_ws;
#[cfg(feature = "entra")]
mod entra;
mod event_handlers;
mod faults;
mod fidelity;
mod generate;
mod help;
mod hostile;
mod hostile_emulator;
mod listen;
mod mqtt;
mod newcomer;
mod protobuf;
mod readme;
mod run_app;
mod send;
mod shapes;
mod socketio;
mod socketio_fanout;
mod socketio_serverless;
mod tls;
mod token;
mod tunnel;
mod upgrade;
