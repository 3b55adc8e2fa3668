//! `wps emulator -- CMD [ARGS...]`: a fresh emulator for the life of one command.
//!
//! The emulator is accepting connections before CMD starts; CMD's environment names it
//! (`WebPubSubConnectionString`, the name Microsoft's samples and Functions bindings read, and
//! `WPS_CONNECTION_STRING`) and, over the development TLS, the CA to trust. CMD inherits
//! stdin, stdout and stderr (the terminal's stderr even under `--log`), so wps writes nothing
//! to stdout. Ctrl-C and SIGTERM reach CMD (a terminal's Ctrl-C reaches it on its own too,
//! as it is in wps's process group); the emulator stops when CMD has exited, never before, so
//! a CMD that cleans up on a signal can still talk to it.

use std::ffi::OsString;

use anyhow::Result;

use super::ExitStatus;
use crate::emulator::Emulator;
use crate::error::{code, CliError};
use crate::term::Printer;

/// The variables that point a client at the development CA: Node.js (added to its roots),
/// OpenSSL and most tools built on it (curl, Python's ssl, Go), Python's requests (the Azure
/// SDKs for Python).
const CA_VARIABLES: [&str; 3] = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"];

/// Runs `command` against `server`, stops the server, and returns the command's status.
pub(super) async fn run(
    printer: &Printer,
    mut server: Emulator,
    command: Vec<OsString>,
    log: Option<&StderrToFile>,
) -> Result<ExitStatus> {
    let connection_string = server.connection_string();
    let shown = shell_words(&command);
    let mut cmd = tokio::process::Command::new(&command[0]);
    cmd.args(&command[1..])
        .env("WebPubSubConnectionString", &connection_string)
        .env("WPS_CONNECTION_STRING", &connection_string);
    if let Some(ca) = server.ca_pem_path() {
        for var in CA_VARIABLES {
            cmd.env(var, ca);
        }
    }
    if let Some(log) = log {
        cmd.stderr(log.original()?);
    }

    printer.status(format_args!(
        "wps emulator listening on {} (state is in memory); running {shown} with",
        server.url()
    ));
    printer.status(format_args!(
        "  WebPubSubConnectionString, WPS_CONNECTION_STRING: {connection_string}"
    ));
    if let Some(ca) = server.ca_pem_path() {
        printer.status(format_args!(
            "  NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE: {} \
             (browsers trust it after `wps emulator ca --install`)",
            ca.display()
        ));
    }
    super::print_handlers(printer, &server);

    // In place before CMD starts: from now on a signal is CMD's to act on, not wps's end.
    let mut signals = Signals::new();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            server.shutdown().await;
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                code::NOT_FOUND
            } else {
                code::CANNOT_RUN
            };
            let message = format!("could not run {shown}: {e}");
            return Err(CliError::NotRun { message, code }.into());
        }
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            signal = signals.recv() => signal.forward(&mut child),
            _ = server.wait() => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                anyhow::bail!("the emulator stopped unexpectedly; {shown} was stopped");
            }
        }
    };
    printer.status("wps emulator stopping");
    server.shutdown().await;
    let status = status.map_err(|e| anyhow::anyhow!("waiting for {shown}: {e}"))?;
    Ok(ExitStatus(exit_code(status)))
}

/// CMD's exit code, or 128 + the signal that ended it, as a shell reports it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return (code & 0xff) as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128u8.saturating_add(signal as u8);
        }
    }
    1
}

/// The command as a user would type it, for messages.
fn shell_words(command: &[OsString]) -> String {
    command
        .iter()
        .map(|word| {
            let word = word.to_string_lossy();
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                word.into_owned()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Ctrl-C and SIGTERM while CMD runs.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

/// A signal wps received, to pass on to CMD.
#[derive(Debug, Clone, Copy)]
enum Received {
    Interrupt,
    #[cfg(unix)]
    Terminate,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn recv(&mut self) -> Received {
        #[cfg(unix)]
        {
            async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = next(&mut self.interrupt) => Received::Interrupt,
                _ = next(&mut self.terminate) => Received::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Received::Interrupt
        }
    }
}

impl Received {
    /// Passes the signal on to CMD (a no-op once CMD has exited).
    fn forward(self, child: &mut tokio::process::Child) {
        #[cfg(unix)]
        {
            let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) else {
                return;
            };
            let signal = match self {
                Received::Interrupt => libc::SIGINT,
                Received::Terminate => libc::SIGTERM,
            };
            // SAFETY: kill(2) with our own child's pid, which is not reaped (so not reused)
            // until `wait` has returned, and a valid signal number.
            unsafe {
                libc::kill(pid, signal);
            }
        }
        #[cfg(not(unix))]
        {
            let _ = self;
            let _ = child.start_kill();
        }
    }
}

/// `--log FILE`: this process's stderr (the emulator's messages) goes to FILE, appended,
/// until dropped; CMD keeps the original.
pub(super) struct StderrToFile {
    #[cfg(unix)]
    original: std::os::fd::OwnedFd,
}

impl StderrToFile {
    #[cfg(unix)]
    pub(super) fn open(path: &std::path::Path) -> std::io::Result<StderrToFile> {
        use std::os::fd::{AsFd, AsRawFd};
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let original = std::io::stderr().as_fd().try_clone_to_owned()?;
        // SAFETY: dup2(2) on two descriptors this process holds open; std's stderr is
        // unbuffered, so nothing written before is lost or misdirected.
        if unsafe { libc::dup2(file.as_raw_fd(), libc::STDERR_FILENO) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(StderrToFile { original })
    }

    #[cfg(not(unix))]
    pub(super) fn open(_path: &std::path::Path) -> std::io::Result<StderrToFile> {
        Err(std::io::Error::other("--log is supported on Unix only"))
    }

    /// The stderr wps had before, for CMD.
    fn original(&self) -> std::io::Result<std::process::Stdio> {
        #[cfg(unix)]
        {
            Ok(self.original.try_clone()?.into())
        }
        #[cfg(not(unix))]
        Ok(std::process::Stdio::inherit())
    }
}

impl Drop for StderrToFile {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: as in `open`; puts the original stderr back on descriptor 2.
            unsafe {
                libc::dup2(self.original.as_raw_fd(), libc::STDERR_FILENO);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_typed() {
        let words = |w: &[&str]| w.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(shell_words(&words(&["npm", "test"])), "npm test");
        assert_eq!(
            shell_words(&words(&["sh", "-c", "echo 'hi' $X"])),
            r"sh -c 'echo '\''hi'\'' $X'"
        );
        assert_eq!(shell_words(&words(&["a", ""])), "a ''");
    }

    #[cfg(unix)]
    #[test]
    fn exit_codes_follow_the_shell() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(
            exit_code(std::process::ExitStatus::from_raw(libc::SIGTERM)),
            143
        );
        assert_eq!(
            exit_code(std::process::ExitStatus::from_raw(libc::SIGKILL)),
            137
        );
    }
}
