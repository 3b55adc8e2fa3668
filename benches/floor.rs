//! The fan-out floor (issue 19): the least a server can do to deliver one REST send to N
//! WebSocket clients, for `benches/run` to measure the emulator against with the same load tool.
//!
//! One thread, no authentication, no locks, no channels, no per-client task after the
//! handshake: a WebSocket upgrade is answered with `101` and the json subprotocol's `connected`
//! frame and its socket kept in a list; `POST .../:send` is answered `202`, then the message's
//! frame, built once, is written to every socket in turn (waiting only on a socket whose send
//! buffer is full). Client frames are never read, so clients that left are not noticed: start
//! one floor per measured send. It speaks just enough HTTP/1.1 for the load tool (`load
//! fanout`); nothing else should talk to it.
//!
//! Prints a connection string on stdout like `wps emulator` does, and on stderr, per send, how
//! long writing every frame took. Listens on 127.0.0.1 only.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Sockets that completed the handshake, in order.
type Clients = Rc<RefCell<Vec<TcpStream>>>;

const MESSAGE: &str = r#"{"type":"message","from":"server","dataType":"text","data":"fan-out"}"#;

fn main() -> std::io::Result<()> {
    // `cargo bench` runs every bench target with --bench: nothing to do then.
    if std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve())
}

async fn serve() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    // Any key will do: tokens are not checked.
    println!(
        "Endpoint=http://127.0.0.1;Port={port};AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=;Version=1.0;"
    );
    let clients: Clients = Rc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::task::spawn_local(connection(stream, clients.clone()));
    }
}

/// Reads requests until the connection is upgraded, ends or says something unexpected.
async fn connection(mut stream: TcpStream, clients: Clients) {
    let mut buf = Vec::with_capacity(2048);
    loop {
        let Some((head, body_len)) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        if let Some(key) = header(&head, "sec-websocket-key") {
            let accept = derive_accept_key(key.as_bytes());
            let mut reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: json.webpubsub.azure.v1\r\n\r\n"
            )
            .into_bytes();
            reply.extend(text_frame(
                r#"{"type":"system","event":"connected","userId":null,"connectionId":"floor"}"#,
            ));
            if stream.write_all(&reply).await.is_ok() {
                clients.borrow_mut().push(stream);
            }
            return;
        }
        // A request body (the send's text) is read and ignored.
        while buf.len() < body_len {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..body_len);
        let send = head.starts_with("POST ") && head.contains("/:send");
        let status = if send {
            "202 Accepted"
        } else {
            "404 Not Found"
        };
        let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
        if send {
            broadcast(&clients).await;
        }
    }
}

/// Writes the message's one frame to every client, in order.
async fn broadcast(clients: &Clients) {
    let started = Instant::now();
    let frame = text_frame(MESSAGE);
    // Taken out of the list while writing (awaiting with a RefCell borrow held would panic
    // when a handshake finishes meanwhile); put back, minus the failed ones, afterwards.
    let sockets = std::mem::take(&mut *clients.borrow_mut());
    let mut kept = Vec::with_capacity(sockets.len());
    for socket in sockets {
        if write_frame(&socket, &frame).await {
            kept.push(socket);
        }
    }
    let took = started.elapsed();
    let n = kept.len();
    clients.borrow_mut().extend(kept);
    eprintln!(
        "floor: wrote to {n} clients in {:.1} ms",
        took.as_secs_f64() * 1e3
    );
}

/// One frame to one socket: written at once when its buffer has room (nearly always).
async fn write_frame(socket: &TcpStream, frame: &[u8]) -> bool {
    let mut written = 0;
    while written < frame.len() {
        match socket.try_write(&frame[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if socket.writable().await.is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

/// Reads up to the end of a request's headers; returns them (lower-cased names kept as sent)
/// and the body length, leaving any bytes after the headers in `buf`.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, usize)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let body_len = header(&head, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            return Some((head, body_len));
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// An unmasked text frame (server to client), for payloads under 64 KiB.
fn text_frame(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut frame = Vec::with_capacity(len + 4);
    frame.push(0x81);
    if len < 126 {
        frame.push(len as u8);
    } else {
        frame.push(126);
        frame.extend_from_slice(&(len as u16).to_be_bytes());
    }
    frame.extend_from_slice(text.as_bytes());
    frame
}
