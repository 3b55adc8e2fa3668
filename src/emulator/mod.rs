//! `wps emulator`: a local, in-memory stand-in for the Azure Web PubSub service.
//!
//! It serves the data-plane REST API under `/api/` and WebSocket clients under
//! `/client/hubs/{hub}`, checks tokens like the service, and keeps all state in memory.
//! Tests and `wps demo` start it in-process with [`start`].

mod activity;
mod auth;
mod dashboard;
mod descriptors;
mod errors;
mod filter;
mod hub;
mod memory;
mod message;
mod metadata;
mod mqtt;
mod names;
mod origin;
mod permissions;
mod rest;
mod server;
mod shared;
mod socketio;
mod tls;
mod transport;
mod tunnel;
mod upgrade;
mod upstream;
mod wire;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use descriptors::{raise_descriptor_limit, DescriptorLimit};
use hub::Registry;
pub use server::{
    ServerLimits, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SHUTDOWN_GRACE,
};
use shared::Shared;
pub use tls::{development_ca, existing_development_ca, TlsConfig, CA_NAME};
pub use upstream::settings::SocketIoMode;
pub use upstream::EventHandlerConfig;

/// The key the official emulator prints; well known, so never use it outside development.
pub const DEFAULT_ACCESS_KEY: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub access_key: String,
    /// 1 logs each request on stderr.
    pub verbose: u8,
    /// An RSA public key (PEM) whose RS256 tokens with `aud` `https://webpubsub.azure.com`
    /// are accepted as Entra ID tokens on the REST API.
    pub entra_issuer_key: Option<String>,
    /// Where the emulator sends events (none by default).
    pub event_handlers: EventHandlerConfig,
    /// Timeouts and the connection cap of the HTTP server.
    pub limits: ServerLimits,
    /// Plain http (the default), or https/wss on the same port.
    pub tls: TlsConfig,
    /// Who answers Socket.IO clients: a Socket.IO server (default) or event handlers alone
    /// (serverless); a hub's `socketio_mode` in the settings file overrides it.
    pub socketio_mode: SocketIoMode,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            access_key: DEFAULT_ACCESS_KEY.to_string(),
            verbose: 0,
            entra_issuer_key: None,
            event_handlers: EventHandlerConfig::default(),
            limits: ServerLimits::default(),
            tls: TlsConfig::None,
            socketio_mode: SocketIoMode::Default,
        }
    }
}

/// Why [`start`] could not start an emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The access key cannot be used (see [`validate_access_key`]).
    #[error("invalid access key: {0}")]
    AccessKey(String),
    /// [`EmulatorConfig::entra_issuer_key`] is not an RSA public key in PEM.
    #[error("invalid Entra ID issuer key: {0}")]
    EntraIssuerKey(String),
    /// The event handler flags or settings file cannot be used.
    #[error("{0}")]
    EventHandlers(String),
    /// The TLS certificate or key cannot be read or used, or the development one made.
    #[error("{0}")]
    Tls(std::io::Error),
    /// The address cannot be listened on (taken, say, or not this machine's).
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Checks a key the way the official emulator does: at least 32 bytes, no `;`, no control
/// characters, no surrounding whitespace (so it fits in a connection string).
pub fn validate_access_key(key: &str) -> Result<(), StartError> {
    if key.len() < 32 {
        return Err(StartError::AccessKey(format!(
            "it must be at least 32 bytes (got {})",
            key.len()
        )));
    }
    if key.contains(';') || key.chars().any(char::is_control) || key.trim() != key {
        return Err(StartError::AccessKey(
            "it must not contain ';', control characters or surrounding whitespace".into(),
        ));
    }
    Ok(())
}

/// A running emulator. Dropping it leaves it running until the runtime ends; call
/// [`Emulator::shutdown`] to stop it.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    access_key: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
    /// Reloads the settings file while the emulator runs.
    watcher: Option<tokio::task::JoinHandle<()>>,
    /// Served over TLS.
    tls: bool,
    /// The development certificate's authority, for clients to trust.
    ca_pem: Option<PathBuf>,
}

impl Emulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `Endpoint=http://HOST;Port=N;AccessKey=KEY;Version=1.0;` (`https://` over TLS).
    pub fn connection_string(&self) -> String {
        let host = match self.addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        format!(
            "Endpoint={}://{host};Port={};AccessKey={};Version=1.0;",
            self.scheme(),
            self.addr.port(),
            self.access_key
        )
    }

    /// `http`, or `https` when served over TLS.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `scheme://addr`, e.g. `https://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
    }

    /// With [`TlsConfig::SelfSigned`], the PEM file of the certificate authority clients
    /// must trust (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `REQUESTS_CA_BUNDLE`).
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_pem.as_deref()
    }

    /// How long a reliable connection whose transport dropped is kept for recovery (30 s,
    /// as the service promises); shorter values let tests see the expiry.
    #[doc(hidden)]
    pub fn set_recovery_window(&self, window: Duration) {
        let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        self.shared.recovery_window_ms.store(ms, Ordering::Relaxed);
    }

    /// The event handlers in force, one a line, for stderr (none: an empty string).
    pub fn event_handlers(&self) -> String {
        let settings = self.shared.upstream.settings().current();
        if settings.is_empty() {
            String::new()
        } else {
            settings.describe()
        }
    }

    /// How long a WebSocket client may stay silent before it is pinged (20 s); a client that
    /// does not answer by the next ping is dropped, so a half-sent frame cannot hold memory.
    #[doc(hidden)]
    pub fn set_keepalive(&self, interval: Duration) {
        let ms = u64::try_from(interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.shared.keepalive_ms.store(ms, Ordering::Relaxed);
    }

    /// Test hook: the Engine.IO ping interval and timeout that new Socket.IO connections are
    /// given (25 s and 20 s), so a test sees a silent client dropped; an upgrade must also
    /// complete within the timeout (10 s at most).
    #[doc(hidden)]
    pub fn set_socketio_timing(&self, interval: Duration, timeout: Duration) {
        self.shared.socketio.set_timing(interval, timeout);
    }

    /// Test hook: how long a Socket.IO broadcast with acknowledgements (`:invoke`) waits for
    /// its answers (60 s), so a test sees a client that never answers left behind.
    #[doc(hidden)]
    pub fn set_socketio_invoke_wait(&self, wait: Duration) {
        self.shared.socketio.invocations.set_wait(wait);
    }

    /// Test hook: the dashboard treats every request as coming from another machine (so it
    /// requires the key), since a test cannot connect from a non-loopback address.
    #[doc(hidden)]
    pub fn treat_peers_as_remote(&self, yes: bool) {
        self.shared.dashboard.treat_peers_as_remote(yes);
    }

    /// Stops accepting, closes every WebSocket client and waits for the server to end: open
    /// requests get [`ServerLimits::shutdown_grace`] to finish, then their connections are
    /// dropped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
        let _ = self.task.await;
    }

    /// Resolves when the server has stopped on its own (it does not, short of a panic).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Binds and starts serving in the background; returns once connections are accepted.
pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
    validate_access_key(&config.access_key)?;
    let mut verifier = auth::Verifier::new(&config.access_key);
    if let Some(pem) = &config.entra_issuer_key {
        verifier = verifier
            .with_entra_issuer(pem)
            .map_err(StartError::EntraIssuerKey)?;
    }
    let tls = tls::setup(&config.tls).map_err(StartError::Tls)?;
    let bind_error = |source| StartError::Bind {
        addr: SocketAddr::new(config.host, config.port),
        source,
    };
    let listener = TcpListener::bind((config.host, config.port))
        .await
        .map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let activity = Arc::new(activity::Activity::new(config.verbose));
    let tap = activity.clone();
    let (upstream, watcher) = upstream::start(
        &config.event_handlers,
        &config.access_key,
        &addr.to_string(),
        config.verbose,
        Arc::new(move |report| {
            if let upstream::Report::Call(call) = report {
                tap.handler_call(call);
            }
        }),
    )
    .map_err(StartError::EventHandlers)?;
    let (stop, stopping) = watch::channel(false);
    let shared = Arc::new(Shared {
        registry: Registry::default(),
        verifier,
        reconnect: ws::ReconnectKeys::new(&config.access_key),
        sessions: ws::Sessions::default(),
        mqtt_sessions: mqtt::Sessions::default(),
        socketio: socketio::Engines::new(config.socketio_mode),
        recovery_window_ms: AtomicU64::new(ws::RECOVERY_WINDOW_MS),
        keepalive_ms: AtomicU64::new(ws::KEEPALIVE_MS),
        verbose: config.verbose,
        upstream,
        body_timeout: config.limits.body_timeout,
        stopping,
        activity,
        dashboard: dashboard::Dashboard::new(addr, &config.access_key),
    });
    let (acceptor, ca_pem) = match tls {
        Some(t) => (Some(t.acceptor), t.ca_pem),
        None => (None, None),
    };
    let task = tokio::spawn(server::serve(
        listener,
        shared.clone(),
        config.limits,
        acceptor.clone(),
    ));
    Ok(Emulator {
        addr,
        access_key: config.access_key,
        stop,
        task,
        shared,
        watcher,
        tls: acceptor.is_some(),
        ca_pem,
    })
}

async fn dispatch(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    if path.starts_with("/client/") || path.starts_with(mqtt::PREFIX) || path == tunnel::PATH {
        upgrade::handle(shared, req).await
    } else if path.starts_with(socketio::PREFIX) {
        // Long-polling, or (rarely) an upgrade after other requests on its connection.
        let (parts, body) = req.into_parts();
        let upgrade = transport::is_upgrade(&parts);
        let req = Request::from_parts(parts, body);
        if upgrade {
            upgrade::handle(shared, req).await
        } else {
            socketio::handle(shared, req).await
        }
    } else if dashboard::serves(path) {
        dashboard::handle(shared, req).await
    } else {
        rest::handle(shared, req).await
    }
}
