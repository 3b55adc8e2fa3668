//! Errors the tool itself raises, and the one table from errors to exit codes.

use crate::client::{ClientError, ErrorKind};
use crate::term::Printer;

/// Exit codes, as documented in README and design.md.
pub mod code {
    pub const OK: u8 = 0;
    /// `check` / `exists`: the answer is no.
    pub const NO: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const AUTH: u8 = 4;
    pub const REJECTED: u8 = 5;
    pub const UNAVAILABLE: u8 = 6;
    pub const PARTIAL: u8 = 7;
    /// A bulk run stopped by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
    /// A bulk run stopped by SIGTERM (128 + SIGTERM), reported like Ctrl-C.
    pub const TERMINATED: u8 = 143;
}

/// Errors raised by the CLI layer (not the client).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad flags or input: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Missing or invalid configuration: exit 3.
    #[error("{0}")]
    Config(String),
}

/// The exit code for an error: the first typed cause in the chain decides.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return match e {
                CliError::Usage(_) => code::USAGE,
                CliError::Config(_) => code::CONFIG,
            };
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return match e.kind() {
                ErrorKind::Config => code::CONFIG,
                ErrorKind::Invalid => code::USAGE,
                ErrorKind::Auth => code::AUTH,
                ErrorKind::Rejected => code::REJECTED,
                ErrorKind::Unavailable => code::UNAVAILABLE,
            };
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>() {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return code::OK;
            }
        }
    }
    // Anything untyped comes from reading local input (files, stdin).
    code::USAGE
}

/// Prints an error as one line on stderr (`error: context: cause`) and returns its exit code.
/// A closed stdout is not an error: nothing is printed.
pub fn report(printer: &Printer, err: &anyhow::Error) -> u8 {
    let code = exit_code(err);
    if code == code::OK {
        return code;
    }
    let mut line = String::new();
    let mut first = true;
    for cause in err.chain() {
        let text = cause.to_string();
        if !first {
            // reqwest and io errors repeat their source's text; skip what is already said.
            if line.contains(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(&text);
        first = false;
    }
    printer.error(&line);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_table() {
        let e = anyhow::Error::new(ClientError::Status {
            status: 401,
            code: None,
            message: None,
            attempts: 1,
        });
        assert_eq!(exit_code(&e), code::AUTH);
        let e = anyhow::Error::new(ClientError::Status {
            status: 404,
            code: None,
            message: None,
            attempts: 1,
        })
        .context("sending");
        assert_eq!(exit_code(&e), code::REJECTED);
        let e = anyhow::Error::new(ClientError::Status {
            status: 503,
            code: None,
            message: None,
            attempts: 4,
        });
        assert_eq!(exit_code(&e), code::UNAVAILABLE);
        let e = anyhow::Error::new(CliError::Config("x".into()));
        assert_eq!(exit_code(&e), code::CONFIG);
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(exit_code(&e), code::OK);
    }
}
