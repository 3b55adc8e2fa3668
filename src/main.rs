use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wps::cli::Cli::parse();
    match wps::commands::run(cli) {
        Ok(code) => code.into(),
        Err(err) => wps::error::report(&err).into(),
    }
}
