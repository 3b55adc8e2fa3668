//! Ctrl-C and SIGTERM during a run: the first stops new requests, a second abandons those in
//! flight.

use anyhow::{Context, Result};

use crate::error::code;

/// What stopped a run from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM, what `kill`, systemd, Docker and CI runners send: handled like Ctrl-C, so a
    /// stopped run still reports every target.
    Terminate,
}

impl Signal {
    pub(super) fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => code::INTERRUPTED,
            Signal::Terminate => code::TERMINATED,
        }
    }
}

/// Ctrl-C and SIGTERM as a stream, so none is missed between two waits.
pub(super) struct Interrupts {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupt: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    pub(super) fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Interrupts {
                interrupt: signal(SignalKind::interrupt())
                    .context("could not listen for Ctrl-C")?,
                terminate: signal(SignalKind::terminate())
                    .context("could not listen for SIGTERM")?,
            })
        }
        #[cfg(windows)]
        {
            let interrupt =
                tokio::signal::windows::ctrl_c().context("could not listen for Ctrl-C")?;
            Ok(Interrupts { interrupt })
        }
    }

    // A stream that ends means its signal driver is gone; never report a signal that did not
    // come.
    #[cfg(unix)]
    pub(super) async fn next(&mut self) -> Signal {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Signal::Interrupt,
            Some(()) = self.terminate.recv() => Signal::Terminate,
            else => std::future::pending().await,
        }
    }

    #[cfg(windows)]
    pub(super) async fn next(&mut self) -> Signal {
        match self.interrupt.recv().await {
            Some(()) => Signal::Interrupt,
            None => std::future::pending().await,
        }
    }
}
