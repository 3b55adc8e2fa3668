//! Integration tests: the built `wps` binary against the in-process emulator, with real
//! WebSocket clients that must receive what was sent.

mod commands;
mod common;
mod config;
mod demo;
mod emulator_rest;
mod emulator_ws;
mod listen;
mod send;
mod shapes;
mod token;
