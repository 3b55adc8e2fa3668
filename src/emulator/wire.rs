//! A plain TCP connection that two writers share: its own task (the WebSocket session, and
//! hyper before it when the upgrade was not the connection's first request) and the hub's
//! fan-out, which writes a message's frame straight to an idle
//! client's socket instead of waking the client's task (most of a fan-out's cost per client).
//!
//! The bytes on the wire must stay whole frames. Every write holds one lock; a write the
//! socket takes only in part keeps the rest in `pending`, claims the whole buffer written,
//! and the next write of either side must first send `pending`. The WebSocket library only
//! ever writes whole frames from the start of its buffer, so after any write the socket sits
//! on a frame boundary once `pending` is out. Which frames may go straight out (ordering
//! against the connection's queue) is the hub's business (`hub.rs`).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The connection's own handle: what hyper and the WebSocket read and write through. The
/// socket closes when this is dropped, whoever else still holds a [`Line`].
#[derive(Debug)]
pub(crate) struct Wire(Arc<Inner>);

/// The fan-out's handle on a connection's socket; it does not keep the socket open.
#[derive(Debug, Clone)]
pub(crate) struct Line(Weak<Inner>);

#[derive(Debug)]
struct Inner {
    stream: TcpStream,
    /// The rest of a frame the socket took only in part; it goes out before anything else.
    pending: Mutex<Bytes>,
}

/// What a direct write did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Direct {
    /// The whole frame is out.
    Sent,
    /// Part of it is out; the rest waits in the wire for the connection's task to flush.
    Partial,
    /// Nothing was written (the socket is full, a frame is in the middle of going out, or
    /// the connection is gone): queue it instead.
    Refused,
}

impl Wire {
    pub fn new(stream: TcpStream) -> Self {
        Wire(Arc::new(Inner {
            stream,
            pending: Mutex::new(Bytes::new()),
        }))
    }

    pub fn line(&self) -> Line {
        Line(Arc::downgrade(&self.0))
    }
}

impl Inner {
    fn pending(&self) -> MutexGuard<'_, Bytes> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends what the socket takes of `pending`; true once it is all out.
    fn drain(&self, pending: &mut Bytes) -> io::Result<bool> {
        while !pending.is_empty() {
            match self.stream.try_write(pending) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let _ = pending.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Sends `pending`, waiting for room as needed.
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.drain(&mut self.pending())? {
                return Poll::Ready(Ok(()));
            }
            // The readiness just went stale; this registers for the next, or says it came.
            ready!(self.stream.poll_write_ready(cx))?;
        }
    }
}

impl Line {
    /// Writes one whole frame if the socket is on a frame boundary and takes at least part
    /// of it now; never waits.
    pub fn write(&self, frame: &Bytes) -> Direct {
        // Held while writing: the descriptor cannot be closed (and its number reused) meanwhile.
        let Some(inner) = self.0.upgrade() else {
            return Direct::Refused;
        };
        let mut pending = inner.pending();
        if !pending.is_empty() {
            return Direct::Refused;
        }
        match send_now(&inner.stream, frame) {
            Ok(n) if n == frame.len() => Direct::Sent,
            Ok(n) if n > 0 => {
                *pending = frame.slice(n..);
                Direct::Partial
            }
            // Full or failed: the connection's task finds out on its own write.
            _ => Direct::Refused,
        }
    }

    /// Asks the CPU to fetch this wire's state ahead of a [`Line::write`] (a fan-out does this
    /// for the next client while the current one's system call runs).
    pub fn prefetch(&self) {
        prefetch(Weak::as_ptr(&self.0).cast());
    }
}

/// Writes what the socket takes now, straight to the descriptor: not through tokio's
/// `try_write`, which first reads the socket's readiness from an allocation of its own (one
/// more cache miss per client in a fan-out). A full socket is left for the session's own
/// write to find out; tokio then sees it full and waits for room as usual.
#[cfg(unix)]
fn send_now(stream: &TcpStream, frame: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: the caller holds the stream, so the descriptor is open; `frame` is valid for
    // its length.
    let sent = unsafe {
        libc::send(
            stream.as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

#[cfg(not(unix))]
fn send_now(stream: &TcpStream, frame: &[u8]) -> io::Result<usize> {
    stream.try_write(frame)
}

/// Ends the sending half (tokio shuts down only a stream it owns; this one is shared).
#[cfg(unix)]
fn shutdown_write(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the caller holds the stream, so the descriptor is open.
    if unsafe { libc::shutdown(stream.as_raw_fd(), libc::SHUT_WR) } != 0 {
        let e = io::Error::last_os_error();
        // Already gone is what a shutdown wants.
        if e.raw_os_error() != Some(libc::ENOTCONN) {
            return Err(e);
        }
    }
    Ok(())
}

/// Elsewhere the socket is closed, not half-closed, when its last handle goes.
#[cfg(not(unix))]
fn shutdown_write(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

/// A hint to load the cache lines at `at` (two, for a struct that spans them); never faults,
/// whatever the address.
pub(crate) fn prefetch(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing architecturally and cannot fault.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(at.cast());
            _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(64).cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.stream.poll_read_ready(cx))?;
            match self.0.stream.try_read_buf(buf) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Wire {
    /// Takes the whole buffer or nothing: a remainder the socket does not take now is kept
    /// in `pending` (so the socket never stops in the middle of a frame of ours), and
    /// nothing more is taken until that is out.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let inner = &self.0;
        loop {
            {
                let mut pending = inner.pending();
                if inner.drain(&mut pending)? {
                    match inner.stream.try_write(buf) {
                        Ok(0) if !buf.is_empty() => {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()))
                        }
                        Ok(n) => {
                            if n < buf.len() {
                                *pending = Bytes::copy_from_slice(&buf[n..]);
                            }
                            return Poll::Ready(Ok(buf.len()));
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
            }
            ready!(inner.stream.poll_write_ready(cx))?;
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.0.poll_drain(cx))?;
        Poll::Ready(shutdown_write(&self.0.stream))
    }
}

/// One unmasked, final WebSocket frame (RFC 6455 §5.2) holding `payload`, as a server sends
/// it; `binary` picks the opcode.
pub(crate) fn frame(binary: bool, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | if binary { 0x2 } else { 0x1 });
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;

    #[test]
    fn frames_are_what_the_websocket_library_writes() {
        for len in [0, 1, 125, 126, 127, 0xFFFF, 0x10000, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            for (binary, opcode) in [(false, Data::Text), (true, Data::Binary)] {
                let mut expected = Vec::new();
                Frame::message(payload.clone(), OpCode::Data(opcode), true)
                    .format(&mut expected)
                    .unwrap();
                assert_eq!(&frame(binary, &payload)[..], &expected[..], "length {len}");
            }
        }
    }

    async fn pair() -> (Wire, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Wire::new(server), client)
    }

    /// Fills the socket with direct writes until one is only partly taken, then checks that
    /// the connection's own write waits for the rest and that the reader gets every byte in
    /// order: frames never interleave.
    #[tokio::test]
    async fn a_partial_direct_write_goes_out_before_anything_else() {
        let (mut wire, mut client) = pair().await;
        let line = wire.line();
        let chunk = Bytes::from(vec![7u8; 64 * 1024]);
        let mut sent = Vec::new();
        loop {
            match line.write(&chunk) {
                Direct::Sent => sent.extend_from_slice(&chunk),
                Direct::Partial => {
                    sent.extend_from_slice(&chunk);
                    break;
                }
                Direct::Refused => panic!("refused before the socket filled"),
            }
        }
        // A frame is in the middle of going out: the fan-out must not start another.
        assert_eq!(line.write(&chunk), Direct::Refused);
        let tail = vec![9u8; 1000];
        sent.extend_from_slice(&tail);
        let total = sent.len();
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; total];
            client.read_exact(&mut got).await.unwrap();
            got
        });
        wire.write_all(&tail).await.unwrap();
        wire.flush().await.unwrap();
        assert!(reader.await.unwrap() == sent);
        drop(wire);
        assert_eq!(line.write(&chunk), Direct::Refused, "the socket is gone");
    }
}
