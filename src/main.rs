//! `wps`, the command-line tool: parse, run, map the error to an exit code.
//!
//! Layers, top to bottom; a module imports only from the ones below it:
//!
//!   main.rs      parse, build the Printer, run, map the error to an exit code
//!   commands     one file (or folder) per command; `bulk` runs one operation over many targets
//!   settings     flags + environment + profile -> Settings, and the Printer
//!   cli          clap types only
//!   output       tables and JSON documents of results
//!   config       the profile file
//!   error        exit codes and error reports
//!   client, emulator, files    the library (`wps`): the binary uses it as any program would
//!   term, env    leaves: output format, colour, Printer; the environment reader

use std::process::ExitCode;

use wps::{client, emulator, files};

mod cli;
mod commands;
mod config;
mod env;
mod error;
mod output;
mod settings;
mod term;

fn main() -> ExitCode {
    let cli = cli::parse();
    let printer = settings::printer(&cli.global, &env::process_env);
    match commands::run(cli, &printer) {
        Ok(code) => code.into(),
        Err(err) => error::report(&printer, &err).into(),
    }
}
