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
    /// `wps emulator -- CMD`: CMD was found but could not be run (as a shell says).
    pub const CANNOT_RUN: u8 = 126;
    /// `wps emulator -- CMD`: CMD was not found (as a shell says).
    pub const NOT_FOUND: u8 = 127;
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
    /// Something this machine could not provide, such as a port already in use: exit 6.
    #[error("{0}")]
    Unavailable(String),
    /// `wps emulator -- CMD` could not start CMD: 127 when it was not found, else 126.
    #[error("{message}")]
    NotRun { message: String, code: u8 },
}

/// A next step for the user, attached as context (`err.context(Hint(..))`) and printed on
/// its own `hint:` line under the error; it changes neither the message nor the exit code.
#[derive(Debug, Clone)]
pub struct Hint(pub String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exit code of a client error, by its kind.
pub fn kind_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Config => code::CONFIG,
        ErrorKind::Invalid => code::USAGE,
        ErrorKind::Auth => code::AUTH,
        ErrorKind::Rejected => code::REJECTED,
        ErrorKind::Unavailable => code::UNAVAILABLE,
    }
}

/// The exit code for an error: the first typed cause in the chain decides.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return match e {
                CliError::Usage(_) => code::USAGE,
                CliError::Config(_) => code::CONFIG,
                CliError::Unavailable(_) => code::UNAVAILABLE,
                CliError::NotRun { code, .. } => *code,
            };
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return kind_code(e.kind());
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

/// A hint for an error that did not bring its own: a refused connection to this machine is
/// most often an emulator that is not running.
fn hint_for(err: &anyhow::Error) -> Option<String> {
    let transport = err
        .chain()
        .find_map(|c| match c.downcast_ref::<ClientError>() {
            Some(ClientError::Transport { detail, .. }) => Some(detail.as_str()),
            _ => None,
        })?;
    let local = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| transport.contains(&format!("://{h}")));
    (local && transport.contains("refused")).then(|| {
        "nothing is listening there: is `wps emulator` running (it prints the connection string to use)?"
            .to_string()
    })
}

/// Prints an error as one line on stderr (`error: context: cause`) and returns its exit code.
/// A closed stdout is not an error: nothing is printed.
pub fn report(printer: &Printer, err: &anyhow::Error) -> u8 {
    let code = exit_code(err);
    if code == code::OK {
        return code;
    }
    let hint = err
        .downcast_ref::<Hint>()
        .map(|h| h.0.clone())
        .or_else(|| hint_for(err));
    let mut line = String::new();
    let mut first = true;
    for cause in err.chain() {
        let text = cause.to_string();
        if hint.as_deref() == Some(text.as_str()) {
            continue;
        }
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
    if let Some(hint) = hint {
        printer.hint(&hint);
    }
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
