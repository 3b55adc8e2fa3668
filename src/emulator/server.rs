//! The accept loop: one task per TCP connection, each with deadlines a client cannot stretch.
//!
//! `axum::serve` has no timeouts, no connection cap, and its graceful shutdown waits for every
//! connection however long a client keeps it open. Here:
//!
//! - a connection must send its first bytes and its first request's head, and each later
//!   request's headers, within [`ServerLimits::header_timeout`] (which is also how long an
//!   idle keep-alive connection stays open); HTTP/2 connections are pinged and dropped when
//!   the pings go unanswered;
//! - request bodies are read within [`ServerLimits::body_timeout`] (in `rest.rs`);
//! - at most [`ServerLimits::max_connections`] sockets are open at once, WebSockets included
//!   (the permit travels with the socket into the upgrade); the rest wait in the listen
//!   backlog. Out of descriptors (EMFILE), waiting connections are taken with a spare one and
//!   refused with 503 (`descriptors.rs`); other accept errors back off instead of spinning;
//! - on stop, open requests get [`ServerLimits::shutdown_grace`] to finish, then their
//!   connection tasks are aborted. WebSocket sessions watch `Shared::stopping` themselves.
//!
//! The protocol is chosen from the first bytes (the HTTP/2 preface means HTTP/2 with prior
//! knowledge, anything else HTTP/1), read under the header deadline: hyper-util's `auto`
//! builder reads them with no deadline at all, so a silent socket would sit there forever.
//! An HTTP/1 connection's first request is then read on under the same deadline (it started
//! with the connection): a WebSocket upgrade to a client endpoint is answered without hyper
//! (`upgrade.rs`: no hyper state is made and freed per client), anything else goes to hyper
//! with the bytes read put back in front (`transport::Socket`).
//!
//! Served over TLS, the handshake is part of that first deadline (and the socket holds its
//! permit throughout), the protocol is then sniffed from the decrypted bytes (ALPN offers
//! `h2` and `http/1.1`; a client that picked `h2` starts with the preface), and a plain HTTP
//! request sent to the TLS port gets a plain 400 saying to use https.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::descriptors::{self, Spare};
use super::memory;
use super::origin::Connection;
use super::shared::{stopped, Shared};
use super::transport::{Socket, Transport};
use super::upgrade::{self, read_head, too_large, Head};
use super::wire::{Line, Wire};

/// Header deadline by default: generous for any real client on a local network (browsers and
/// SDKs send a request's headers in one write), short enough that idle or trickling sockets
/// do not pile up. Node's HTTP server closes idle keep-alive connections after 5 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Body deadline by default: the largest body (1 MiB) at a slow 35 KB/s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Open sockets at most by default: the service's 100 units of 1,000 connections each.
/// The descriptor limit usually binds first; then accept backs off (100 ms, `ACCEPT_BACKOFF`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 100_000;
/// How long open requests may finish after a stop by default; `wps emulator` must exit
/// promptly on Ctrl-C even while a client holds a request open.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// After an accept error that is not about one connection (EMFILE, ENFILE, ENOBUFS), wait this
/// long before accepting again: the loop must neither spin nor stop, and descriptors come
/// back as timed-out connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Concurrent HTTP/2 streams per connection; the REST API answers each request at once, so a
/// client needs few, and each open stream may hold a body of up to 1 MiB.
const MAX_H2_STREAMS: u32 = 64;

/// The HTTP/2 connection preface; HTTP/1 requests cannot start with it.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Deadlines and caps of the HTTP server. The defaults suit interactive use; tests shorten
/// them (`wps emulator` reads `WPS_TEST_EMULATOR_TIMEOUT_MS`).
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// A new connection's first bytes, and each request's headers, must arrive within this;
    /// it is also how long an idle keep-alive connection is kept, and the HTTP/2 ping
    /// interval and ack timeout.
    pub header_timeout: Duration,
    /// A request body must have arrived whole within this once its headers have.
    pub body_timeout: Duration,
    /// Open sockets at most, WebSockets included; more wait in the listen backlog.
    pub max_connections: usize,
    /// On stop, how long open requests may finish before their connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;
/// The answer to plain HTTP on the TLS port.
const PLAIN_HTTP_TO_TLS: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 60\r\n\r\n\
This port serves TLS: use https:// and wss:// URLs with it.\n";

/// Accepts until told to stop, then ends every connection within the grace period.
/// With `tls`, every connection is https/wss.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    limits: ServerLimits,
    tls: Option<TlsAcceptor>,
) {
    let mut stop = shared.stopping.clone();
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    tokio::spawn(memory::give_back(permits.clone(), max, stop.clone()));
    let mut conns = JoinSet::new();
    let mut backing_off = false;
    let mut spare = Spare::new();
    // Said once per run of exhaustion, not once per refused connection.
    let mut refusing = false;
    loop {
        // Reap finished connections so the set stays as small as the open ones.
        while conns.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut stop) => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(&mut stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backing_off = false;
                refusing = false;
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(
                    stream,
                    peer,
                    permit,
                    shared.clone(),
                    limits.clone(),
                    tls.clone(),
                ));
            }
            // The client gave up before we took its connection: nothing to wait for.
            Err(e) if is_per_connection(&e) => {}
            Err(e) if descriptors::exhausted(&e) && spare.release() => {
                if !refusing {
                    let limit = descriptors::current_limit()
                        .map(|n| format!(" (limit {n})"))
                        .unwrap_or_default();
                    eprintln!(
                        "emulator: out of file descriptors{limit}: existing clients are served, \
                         new connections are refused with 503 until some close"
                    );
                    refusing = true;
                }
                refuse(&listener, tls.is_some()).await;
                spare.restore();
            }
            Err(e) => {
                if !backing_off {
                    eprintln!("emulator: cannot accept connections: {e}; retrying");
                    backing_off = true;
                }
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    _ = stopped(&mut stop) => break,
                }
            }
        }
    }
    drop(listener);
    let drained = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        conns.shutdown().await;
    }
}

/// The answer to a connection that arrives with no descriptor to serve it.
const OUT_OF_DESCRIPTORS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
Content-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nContent-Length: 54\r\n\r\n\
The emulator is out of file descriptors; retry later.\n";

/// With the spare descriptor free: takes the waiting connection, answers 503 (plain HTTP
/// only, and only what the socket takes at once) and closes it.
async fn refuse(listener: &TcpListener, tls: bool) {
    let accepted = tokio::time::timeout(Duration::from_millis(10), listener.accept()).await;
    if let Ok(Ok((stream, _))) = accepted {
        if !tls {
            let _ = stream.try_write(OUT_OF_DESCRIPTORS);
        }
    }
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// Serves one connection: completes the TLS handshake if any, sniffs the protocol, then
/// answers a first request that asks for a WebSocket itself (`upgrade.rs`) and lets hyper
/// run anything else until it ends, the client breaks a deadline, or the emulator stops.
///
/// A WebSocket's task ends here once its session is spawned, so this future is made and freed
/// once per client: whatever is large in it (hyper's connection, the checks, TLS) is boxed,
/// and only for the connections that need it.
async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    shared: Arc<Shared>,
    limits: ServerLimits,
    tls: Option<TlsAcceptor>,
) {
    let deadline = Instant::now() + limits.header_timeout;
    if let Some(acceptor) = tls {
        let info = Connection { tls: true, peer };
        let serve = tls_connection(stream, acceptor, info, permit, shared, limits, deadline);
        return Box::pin(serve).await;
    }
    let info = Connection { tls: false, peer };
    let mut stop = shared.stopping.clone();
    let sniffed = tokio::select! {
        s = sniff(&mut stream, deadline) => s,
        _ = stopped(&mut stop) => return,
    };
    let Some((http2, prefix)) = sniffed else {
        return;
    };
    let mut wire = Wire::new(stream);
    if http2 {
        let io = Socket::new(prefix, wire, Some(permit));
        Box::pin(serve_http(io, true, info, None, shared, limits, stop)).await;
        return;
    }
    // Only an HTTP/1 connection upgrades to one WebSocket its frames can go straight to.
    let line = wire.line();
    let head = tokio::select! {
        h = read_head(&mut wire, prefix, deadline) => h,
        _ = stopped(&mut stop) => return,
    };
    match head {
        Head::Gone => {}
        Head::TooLarge => Box::pin(too_large(&mut wire, limits.header_timeout)).await,
        Head::Upgrade(upgrade) => {
            let socket = Socket::new(Bytes::new(), wire, Some(permit));
            let within = limits.header_timeout;
            let serve = upgrade::serve(
                shared,
                upgrade,
                socket,
                Transport::Plain,
                info,
                Some(line),
                within,
            );
            Box::pin(serve).await;
        }
        Head::Http(read) => {
            let io = Socket::new(read, wire, Some(permit));
            let serve = serve_http(io, false, info, Some(line), shared, limits, stop);
            Box::pin(serve).await;
        }
    }
}

/// A TLS connection: the handshake within the first deadline, then as a plain one.
async fn tls_connection(
    mut stream: TcpStream,
    acceptor: TlsAcceptor,
    info: Connection,
    permit: OwnedSemaphorePermit,
    shared: Arc<Shared>,
    limits: ServerLimits,
    deadline: Instant,
) {
    let mut stop = shared.stopping.clone();
    let verbose = shared.verbose;
    let peer = info.peer;
    let handshake = async {
        let first = first_bytes(&mut stream, deadline).await?;
        if first[0] != TLS_HANDSHAKE {
            if first[0].is_ascii_alphabetic() {
                // Someone typed http:// for this port: say so, briefly, and close.
                let answer = stream.write_all(PLAIN_HTTP_TO_TLS);
                let _ = tokio::time::timeout_at(deadline, answer).await;
                let _ = stream.shutdown().await;
            }
            return None;
        }
        let plain = Socket::new(first, stream, None);
        let mut tls = match tokio::time::timeout_at(deadline, acceptor.accept(plain)).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                if verbose >= 1 {
                    eprintln!("emulator: TLS handshake with {peer} failed: {e}");
                }
                return None;
            }
            Err(_) => return None,
        };
        let (http2, prefix) = sniff(&mut tls, deadline).await?;
        let head = if http2 {
            Head::Http(prefix)
        } else {
            read_head(&mut tls, prefix, deadline).await
        };
        Some((http2, head, tls))
    };
    let accepted = tokio::select! {
        a = handshake => a,
        _ = stopped(&mut stop) => return,
    };
    let Some((http2, head, mut tls)) = accepted else {
        return;
    };
    match head {
        Head::Gone => {}
        Head::TooLarge => too_large(&mut tls, limits.header_timeout).await,
        Head::Upgrade(upgrade) => {
            let socket = Socket::new(Bytes::new(), tls, Some(permit));
            let within = limits.header_timeout;
            let wrap = |socket| Transport::Tls(Box::new(socket));
            let serve = upgrade::serve(shared, upgrade, socket, wrap, info, None, within);
            Box::pin(serve).await;
        }
        Head::Http(read) => {
            let io = Socket::new(read, tls, Some(permit));
            Box::pin(serve_http(io, http2, info, None, shared, limits, stop)).await;
        }
    }
}

/// Hands a connection whose protocol is known to hyper; each request carries `info`, and
/// `line` when the fan-out may write to the socket directly (plain HTTP/1).
async fn serve_http<S>(
    io: Socket<S>,
    http2: bool,
    info: Connection,
    line: Option<Line>,
    shared: Arc<Shared>,
    limits: ServerLimits,
    stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let shared = shared.clone();
        req.extensions_mut().insert(info);
        if let Some(line) = &line {
            req.extensions_mut().insert(line.clone());
        }
        async move { Ok::<_, Infallible>(super::dispatch(shared, req.map(Body::new)).await) }
    });
    if http2 {
        let conn = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(limits.header_timeout)
            .keep_alive_timeout(limits.header_timeout)
            .max_concurrent_streams(MAX_H2_STREAMS)
            .serve_connection(io, service);
        drive(conn, |c| c.graceful_shutdown(), stop).await;
    } else {
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(io, service)
            .with_upgrades();
        drive(conn, |c| c.graceful_shutdown(), stop).await;
    }
}

/// Runs a hyper connection; on stop, asks it to finish its open requests and close. The
/// accept loop aborts it if that takes longer than the grace period.
async fn drive<C, E>(conn: C, shutdown: impl FnOnce(Pin<&mut C>), mut stop: watch::Receiver<bool>)
where
    C: Future<Output = Result<(), E>>,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopped(&mut stop) => shutdown(conn.as_mut()),
    }
    let _ = conn.await;
}

/// Reads enough of the first bytes to tell HTTP/2 with prior knowledge from HTTP/1: up to the
/// 24-byte preface, or less once they differ from it. None when the client says nothing in
/// time or closes.
async fn sniff<S: AsyncRead + Unpin>(stream: &mut S, deadline: Instant) -> Option<(bool, Bytes)> {
    let mut buf = [0u8; H2_PREFACE.len()];
    let mut len = 0;
    loop {
        if buf[..len] != H2_PREFACE[..len] {
            return Some((false, Bytes::copy_from_slice(&buf[..len])));
        }
        if len == buf.len() {
            return Some((true, Bytes::copy_from_slice(&buf)));
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf[len..])).await {
            Ok(Ok(n)) if n > 0 => len += n,
            _ => return None,
        }
    }
}

/// The first bytes a client sends (at least one), within the deadline.
async fn first_bytes(stream: &mut TcpStream, deadline: Instant) -> Option<Bytes> {
    let mut buf = [0u8; 512];
    match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(Bytes::copy_from_slice(&buf[..n])),
        _ => None,
    }
}
