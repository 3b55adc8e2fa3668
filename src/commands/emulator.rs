//! `wps emulator`: run the local service until Ctrl-C or SIGTERM.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::EmulatorArgs;
use crate::client::ClientOptions;
use crate::emulator::{self, EmulatorConfig, EventHandlerConfig, DEFAULT_ACCESS_KEY};
use crate::error::{CliError, Hint};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(settings: &Settings, printer: &Printer, args: EmulatorArgs) -> Result<ExitStatus> {
    let EmulatorArgs {
        host,
        port,
        key,
        entra_issuer_key,
        event_handler,
        settings: settings_file,
    } = args;
    let access_key = key.unwrap_or_else(|| DEFAULT_ACCESS_KEY.to_string());
    emulator::validate_access_key(&access_key)
        .map_err(|e| CliError::Usage(format!("invalid --key: {e}")))?;
    let entra_issuer_key = match entra_issuer_key {
        Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
            CliError::Usage(format!(
                "could not read --entra-issuer-key {}: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
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
    })
    .await
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => anyhow::Error::new(CliError::Usage(e.to_string())),
        // Not a usage error: the flags are right, the port is taken.
        std::io::ErrorKind::AddrInUse => anyhow::Error::new(CliError::Unavailable(format!(
            "could not listen on {host}:{port}: {e}"
        )))
        .context(Hint(format!(
            "another program (another emulator?) holds port {port}; try --port 0, which picks a free one"
        ))),
        _ => anyhow::Error::new(CliError::Usage(format!(
            "could not listen on {host}:{port}: {e}"
        ))),
    })?;

    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", server.connection_string()).context("writing the connection string")?;
        out.flush()?;
    }
    printer.status(format_args!(
        "wps emulator listening on http://{} (state is in memory; Ctrl-C stops it)",
        server.addr()
    ));
    let handlers = server.event_handlers();
    if handlers.is_empty() {
        printer
            .status("event handlers: none (--event-handler HUB=URL or --settings FILE add them)");
    } else {
        printer.status(format_args!("event handlers:\n{handlers}"));
    }

    tokio::select! {
        _ = shutdown_signal() => {}
        _ = server.wait() => anyhow::bail!("the emulator stopped unexpectedly"),
    }
    printer.status("wps emulator stopping");
    server.shutdown().await;
    Ok(SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
