//! `wps emulator`: run the local service until Ctrl-C or SIGTERM, or around a command
//! (`wps emulator -- CMD`, in app.rs); `wps emulator ca` (ca.rs) manages its TLS authority.

mod app;
mod ca;

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::{EmulatorAction, EmulatorArgs, EmulatorRunArgs, SocketIoModeArg};
use crate::client::ClientOptions;
use crate::emulator::{
    self, EmulatorConfig, EventHandlerConfig, ServerLimits, SocketIoMode, StartError, TlsConfig,
    DEFAULT_ACCESS_KEY,
};
use crate::error::{CliError, Hint};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(settings: &Settings, printer: &Printer, args: EmulatorArgs) -> Result<ExitStatus> {
    let EmulatorArgs { action, run } = args;
    match action {
        Some(EmulatorAction::Ca(args)) => ca::run(printer, args),
        None => serve(settings, printer, run).await,
    }
}

async fn serve(
    settings: &Settings,
    printer: &Printer,
    args: EmulatorRunArgs,
) -> Result<ExitStatus> {
    let EmulatorRunArgs {
        host,
        port,
        key,
        entra_issuer_key,
        event_handler,
        settings: settings_file,
        socketio_mode,
        tls,
        no_tls,
        tls_cert,
        tls_key,
        log,
        command,
    } = args;
    let with_command = !command.is_empty();
    let socketio_mode = match socketio_mode {
        SocketIoModeArg::Default => SocketIoMode::Default,
        SocketIoModeArg::Serverless => SocketIoMode::Serverless,
    };
    // With a command, TLS by default: the JavaScript server SDK (@azure/web-pubsub) refuses
    // http:// endpoints, and CMD is told which CA to trust.
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => TlsConfig::Files { cert, key },
        _ if tls || (with_command && !no_tls) => TlsConfig::SelfSigned {
            dir: TlsConfig::default_dir(),
        },
        _ => TlsConfig::None,
    };
    let port = port.unwrap_or(if with_command { 0 } else { 8080 });
    // Restores stderr when dropped, so an error returned from here is printed where the
    // user sees it.
    let log = match log {
        Some(path) => Some(app::StderrToFile::open(&path).map_err(|e| {
            CliError::Usage(format!("could not open --log {}: {e}", path.display()))
        })?),
        None => None,
    };
    let access_key = key.unwrap_or_else(|| DEFAULT_ACCESS_KEY.to_string());
    if access_key == DEFAULT_ACCESS_KEY && !is_loopback(host) {
        // Not silenced by --quiet: anyone who can reach the port has full control.
        eprintln!(
            "warning: listening on {host}, reachable from other machines, with the well-known \
             default access key: anyone who can reach this port can send to every client, \
             close connections and sign tokens.\n\
             hint: pass --key with a secret of your own (e.g. --key \"$(openssl rand -base64 33)\"), \
             or listen on 127.0.0.1"
        );
    }
    emulator::validate_access_key(&access_key)
        .map_err(|e| CliError::Usage(format!("--key: {e}")))?;
    let entra_issuer_key = match entra_issuer_key {
        Some(path) => {
            let cant = |e: &dyn std::fmt::Display| {
                CliError::Usage(format!(
                    "could not read --entra-issuer-key {}: {e}",
                    path.display()
                ))
            };
            let pem = crate::files::read_capped(&path, crate::files::MAX_FILE_BYTES, "key file")
                .map_err(|e| cant(&e))?;
            Some(String::from_utf8(pem).map_err(|_| cant(&"not text (a PEM key is)"))?)
        }
        None => None,
    };
    // Each client holds a descriptor; the usual soft default (1,024) is far below what the
    // service's units carry.
    let raised = emulator::raise_descriptor_limit();
    let mut server = emulator::start(EmulatorConfig {
        host,
        port,
        access_key,
        verbose: printer.verbose(),
        entra_issuer_key,
        event_handlers: EventHandlerConfig {
            flags: event_handler,
            settings_file,
            // The client's test hook (WPS_TEST_RETRY_BASE_MS) shortens these retries too;
            // otherwise the official emulator's 1 s base.
            retry_base: match settings.client_options.retry_base_delay {
                d if d == ClientOptions::default().retry_base_delay => Duration::from_secs(1),
                d => d,
            },
            ..EventHandlerConfig::default()
        },
        limits: limits(),
        tls,
        socketio_mode,
    })
    .await
    .map_err(|e| match e {
        // Not a usage error: the flags are right, the port is taken.
        StartError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
            anyhow::Error::new(CliError::Unavailable(format!(
                "could not listen on {host}:{port}: {source}"
            )))
            .context(Hint(format!(
                "another program (another emulator?) holds port {port}; try --port 0, which picks a free one"
            )))
        }
        e => anyhow::Error::new(CliError::Usage(e.to_string())),
    })?;

    if let Some(interval) = test_keepalive() {
        server.set_keepalive(interval);
    }
    if with_command {
        return app::run(printer, server, command, log.as_ref()).await;
    }
    let shutdown = shutdown_signal();
    if let Some(ca) = server.ca_pem_path() {
        // Not silenced by --quiet: clients cannot connect without it.
        eprintln!(
            "tls: development certificate for localhost, 127.0.0.1 and ::1; clients trust it with\n  \
             SSL_CERT_FILE={}   (or NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE)",
            ca.display()
        );
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", server.connection_string()).context("writing the connection string")?;
        out.flush()?;
    }
    printer.status(format_args!(
        "wps emulator listening on {} (state is in memory; Ctrl-C stops it)",
        server.url()
    ));
    if printer.verbose() >= 1 {
        match raised {
            Some(r) if r.to > r.from => printer.status(format_args!(
                "file descriptors: soft limit raised from {} to the hard limit {} (about that many clients at once)",
                r.from, r.to
            )),
            Some(r) => printer.status(format_args!(
                "file descriptors: limit {} (the hard limit; about that many clients at once)",
                r.to
            )),
            None => {}
        }
    }
    print_handlers(printer, &server);
    if socketio_mode == SocketIoMode::Serverless {
        printer.status(
            "Socket.IO: serverless mode (the hubs' event handlers answer each namespace socket; \
             clients need a token, wps token --client-type socketio, unless their hub sets \
             anonymous_connect)",
        );
    }

    tokio::select! {
        _ = shutdown => {}
        _ = server.wait() => anyhow::bail!("the emulator stopped unexpectedly"),
    }
    printer.status("wps emulator stopping");
    server.shutdown().await;
    Ok(SUCCESS)
}

/// The event handlers in force, on stderr.
fn print_handlers(printer: &Printer, server: &emulator::Emulator) {
    let handlers = server.event_handlers();
    if handlers.is_empty() {
        printer
            .status("event handlers: none (--event-handler HUB=URL or --settings FILE add them)");
    } else {
        // The description has its own heading ("event handlers (first match wins):").
        printer.status(handlers.trim_end());
    }
}

/// Loopback addresses, IPv4-mapped ones included, are reachable from this machine only.
fn is_loopback(host: IpAddr) -> bool {
    match host {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
    }
}

/// The server's limits; `WPS_TEST_EMULATOR_TIMEOUT_MS` (a documented test hook) sets the
/// header and body timeouts so tests of misbehaving clients run in about a second.
fn limits() -> ServerLimits {
    let mut limits = ServerLimits::default();
    if let Some(timeout) = test_hook("WPS_TEST_EMULATOR_TIMEOUT_MS") {
        limits.header_timeout = timeout;
        limits.body_timeout = timeout;
    }
    limits
}

/// `WPS_TEST_EMULATOR_KEEPALIVE_MS` (a documented test hook): how long a WebSocket client may
/// stay silent before it is pinged, so a test whose clients never read (and so never answer a
/// ping) can take as long as a loaded machine needs without their being dropped for it.
fn test_keepalive() -> Option<Duration> {
    test_hook("WPS_TEST_EMULATOR_KEEPALIVE_MS")
}

/// A test hook's duration: a positive whole number of milliseconds, else none.
fn test_hook(name: &str) -> Option<Duration> {
    crate::env::process_env(name)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
}

/// Ctrl-C or SIGTERM, listened for from the call on: the handlers are in place before the
/// connection string is printed, so a script that stops the emulator as soon as it has read
/// it still gets a clean stop rather than the default (fatal) signal action.
pub(super) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let (Some(mut term), Some(mut interrupt)) = (term, interrupt) else {
                let _ = tokio::signal::ctrl_c().await;
                return;
            };
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
