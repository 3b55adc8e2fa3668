//! Errors the tool itself raises, and the one table from errors to exit codes.

use crate::client::{ClientError, ErrorKind};
use crate::term::Printer;

/// Exit codes, as documented in docs/output.md and design.md.
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
/// most often an emulator that is not running; a certificate from an unknown authority, on
/// this machine, most often the emulator's (`--tls`) without its CA trusted.
fn hint_for(err: &anyhow::Error) -> Option<String> {
    let client = err.chain().find_map(|c| c.downcast_ref::<ClientError>())?;
    match client {
        ClientError::Refused { .. } => Some(NOTHING_LISTENING.to_string()),
        ClientError::Transport { detail, .. } => {
            let local = ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .any(|h| detail.contains(&format!("://{h}")));
            (local && detail.contains("refused")).then(|| NOTHING_LISTENING.to_string())
        }
        ClientError::Certificate {
            endpoint,
            unknown_issuer: true,
            ..
        } => {
            let ca = crate::emulator::existing_development_ca(
                &crate::emulator::TlsConfig::default_dir(),
            );
            let trusted = crate::env::process_env("SSL_CERT_FILE");
            Some(certificate_hint(
                endpoint,
                ca.as_deref(),
                trusted.as_deref(),
            ))
        }
        _ => None,
    }
}

const NOTHING_LISTENING: &str =
    "nothing is listening there: is `wps emulator` running (it prints the connection string to use)?";

/// What to trust for a certificate of `endpoint` signed by an unknown authority, given the
/// emulator's development CA on this machine (if any) and `SSL_CERT_FILE` (if set).
fn certificate_hint(
    endpoint: &str,
    ca: Option<&std::path::Path>,
    ssl_cert_file: Option<&str>,
) -> String {
    if !crate::client::is_loopback(endpoint) {
        return "wps trusts Mozilla's roots and the certificates in SSL_CERT_FILE; behind a \
            TLS-inspecting proxy, point SSL_CERT_FILE at the proxy's CA"
            .to_string();
    }
    let Some(ca) = ca else {
        return "point SSL_CERT_FILE at the PEM of the CA that signed the server's certificate \
            (`wps emulator ca` prints the one of `wps emulator --tls`)"
            .to_string();
    };
    let same = |file: &str| {
        let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        canonical(std::path::Path::new(file)).is_some_and(|f| Some(f) == canonical(ca))
    };
    match ssl_cert_file {
        None => format!(
            "`wps emulator --tls` signs with the development CA {ca}: run with SSL_CERT_FILE={ca}, \
            or add it to the system store once with `wps emulator ca --install` (which wps reads \
            with SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt)",
            ca = ca.display()
        ),
        Some(file) if same(file) => format!(
            "SSL_CERT_FILE is the emulator's development CA, which did not sign this certificate: \
            the server has its own (--tls-cert), or runs with another cache directory than {}",
            ca.parent().unwrap_or(ca).display()
        ),
        Some(file) => format!(
            "SSL_CERT_FILE ({file}) does not hold the emulator's development CA: run with \
            SSL_CERT_FILE={ca}, or add it to the system store with `wps emulator ca --install`",
            ca = ca.display()
        ),
    }
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

    #[test]
    fn certificate_hints_name_what_to_trust() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "x").unwrap();
        let shown = ca.display().to_string();
        let local = "https://127.0.0.1:8443";

        let hint = certificate_hint(local, Some(&ca), None);
        assert!(hint.contains(&format!("SSL_CERT_FILE={shown}")), "{hint}");
        assert!(hint.contains("wps emulator ca --install"), "{hint}");
        let hint = certificate_hint(local, Some(&ca), Some("/etc/ssl/certs/bundle.crt"));
        assert!(hint.contains(&format!("SSL_CERT_FILE={shown}")), "{hint}");
        assert!(hint.contains("/etc/ssl/certs/bundle.crt"), "{hint}");
        let hint = certificate_hint(local, Some(&ca), Some(&shown));
        assert!(hint.contains("did not sign"), "{hint}");
        let hint = certificate_hint("https://localhost:1", None, None);
        assert!(hint.contains("wps emulator ca"), "{hint}");
        // The development CA is for loopback names only: not offered for a remote host.
        let hint = certificate_hint("https://contoso.example", Some(&ca), None);
        assert!(
            !hint.contains(&shown) && hint.contains("SSL_CERT_FILE"),
            "{hint}"
        );
    }
}
