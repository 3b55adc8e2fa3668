//! The service's server tunnel: `/server/tunnel?hub=HUB`, a WebSocket an app server (or
//! `wps tunnel`, or the Socket.IO extension) opens to the service, signed like a REST call.
//! Over it the emulator sends the hub's event-handler requests for `tunnel:///PATH` handlers,
//! and the app server sends REST calls back; both as `client::tunnel` messages.
//!
//! - this file: [`Tunnels`], the open tunnel connections of every hub, and
//!   [`Tunnels::request`], which the event handlers' delivery calls in place of HTTP;
//! - `accept`: the route: auth as the service does, caps, the upgrade;
//! - `session`: one connection from ConnectionConnected to its end.
//!
//! Requests spread over a hub's connections in turn. A connection that ends is taken out of
//! its hub's set at once, and the requests waiting on it fail as an unreachable handler's
//! do (so delivery retries them on another connection, if there is one). Everything a tunnel
//! client can fill is capped: connections per hub, answers awaited per connection, REST
//! calls it has in flight, frames queued to it (with a write deadline behind them).

mod accept;
mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use tokio::sync::{mpsc, oneshot};

use crate::client::tunnel::{self as wire, Headers, HttpRequest, HttpResponse, Message};

pub(crate) use accept::{check, PATH};

/// Tunnel connections one hub may have open; more are refused with 429.
pub(crate) const MAX_CONNECTIONS_PER_HUB: usize = 64;
/// Requests sent through one connection and not answered yet; past this, the next request
/// goes to another connection or fails as with an unreachable handler.
pub(crate) const MAX_PENDING: usize = 1000;
/// The largest answer the emulator reads through the tunnel: the same as for HTTP handlers
/// (`upstream::MAX_REPLY_BYTES`, which a test there holds equal to this; written out here
/// because `upstream` uses the tunnel, not the other way round).
pub(crate) const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// Answer bytes one connection may have buffered at once (chunked answers being put
/// together), whatever the number of requests waiting.
pub(crate) const MAX_BUFFERED: usize = 4 * MAX_ANSWER;

/// The answer to a request sent through the tunnel, its chunks put together.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Headers,
    pub body: Bytes,
}

/// Why a request through the tunnel got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failed {
    /// No connection took it, or the one that did went away: "could not be reached", to the
    /// delivery's retry rules.
    Unreachable(String),
    /// The answer's chunks went over [`MAX_ANSWER`], or the connection's answers over
    /// [`MAX_BUFFERED`]: a reply too large, not retried.
    TooLarge,
}

/// The open tunnel connections, by (lowercased) hub. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tunnels {
    inner: Arc<Mutex<HashMap<String, Vec<Arc<Link>>>>>,
    /// Which connection the next request starts with.
    turn: Arc<AtomicUsize>,
}

/// One open connection, as the senders of requests see it.
#[derive(Debug)]
pub(crate) struct Link {
    pub id: String,
    pub hub: String,
    /// Frames to write; the session's writer drains it under a write deadline.
    outbox: mpsc::Sender<Vec<u8>>,
    pending: Mutex<Pending>,
    next_ack: AtomicU64,
}

#[derive(Debug, Default)]
struct Pending {
    waiting: HashMap<u64, Waiter>,
    /// The body bytes of every waiter, against [`MAX_BUFFERED`].
    buffered: usize,
    /// Set when the connection ends: nothing more is registered.
    closed: bool,
}

#[derive(Debug)]
struct Waiter {
    tx: oneshot::Sender<Result<Answer, Failed>>,
    /// The first chunk's status and headers, and the body so far (NotCompleted answers).
    status: Option<u16>,
    headers: Headers,
    body: BytesMut,
}

impl Link {
    pub fn new(id: String, hub: String, outbox: mpsc::Sender<Vec<u8>>) -> Link {
        Link {
            id,
            hub,
            outbox,
            pending: Mutex::new(Pending::default()),
            next_ack: AtomicU64::new(1),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands an HttpResponse to the request waiting for it; chunks are put together up to
    /// [`MAX_ANSWER`]. An answer nobody waits for (timed out, or never asked) is dropped.
    pub fn answer(&self, response: HttpResponse) {
        let mut pending = self.pending();
        let buffered = pending.buffered;
        let Some(waiter) = pending.waiting.get_mut(&response.ack_id) else {
            return;
        };
        if waiter.status.is_none() {
            waiter.status = Some(response.status_code);
            waiter.headers = response.headers;
        }
        let chunk = response.content.len();
        if waiter.body.len() + chunk > MAX_ANSWER || buffered + chunk > MAX_BUFFERED {
            if let Some(w) = pending.waiting.remove(&response.ack_id) {
                pending.buffered -= w.body.len();
                let _ = w.tx.send(Err(Failed::TooLarge));
            }
            return;
        }
        waiter.body.extend_from_slice(&response.content);
        pending.buffered += chunk;
        if response.not_completed {
            return;
        }
        if let Some(w) = pending.waiting.remove(&response.ack_id) {
            pending.buffered -= w.body.len();
            let answer = Answer {
                status: w.status.unwrap_or(response.status_code),
                headers: w.headers,
                body: w.body.freeze(),
            };
            let _ = w.tx.send(Ok(answer));
        }
    }

    /// Fails every waiting request and takes no more: the connection has ended.
    pub fn close(&self) {
        let mut pending = self.pending();
        pending.closed = true;
        pending.waiting.clear();
        pending.buffered = 0;
    }

    /// How many requests wait for an answer.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.pending().waiting.len()
    }

    /// Registers a request; None when the connection is closed or has too many waiting.
    fn register(&self) -> Option<(u64, oneshot::Receiver<Result<Answer, Failed>>)> {
        let mut pending = self.pending();
        if pending.closed || pending.waiting.len() >= MAX_PENDING {
            return None;
        }
        let ack = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        pending.waiting.insert(
            ack,
            Waiter {
                tx,
                status: None,
                headers: Headers::new(),
                body: BytesMut::new(),
            },
        );
        Some((ack, rx))
    }

    fn forget(&self, ack: u64) {
        let mut pending = self.pending();
        if let Some(w) = pending.waiting.remove(&ack) {
            pending.buffered -= w.body.len();
        }
    }
}

/// Takes a request's entry out of its connection when the request is done or given up
/// (its deadline passed and the future was dropped), so entries cannot pile up.
struct Registered<'a> {
    link: &'a Link,
    ack: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.link.forget(self.ack);
    }
}

/// A request to send through a hub's tunnel.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    pub method: &'a str,
    /// An absolute URL; the client uses its path and query.
    pub url: String,
    pub headers: Headers,
    pub body: Bytes,
}

impl Tunnels {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Arc<Link>>>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection to its hub's set; Err when the hub has its fill.
    pub fn add(&self, link: Arc<Link>) -> Result<(), String> {
        let mut map = self.map();
        let set = map.entry(link.hub.to_ascii_lowercase()).or_default();
        if set.len() >= MAX_CONNECTIONS_PER_HUB {
            return Err(format!(
                "hub '{}' has {MAX_CONNECTIONS_PER_HUB} tunnel connections already",
                link.hub
            ));
        }
        set.push(link);
        Ok(())
    }

    /// Takes a connection out of its hub's set and fails what waits on it.
    pub fn remove(&self, link: &Link) {
        let key = link.hub.to_ascii_lowercase();
        let mut map = self.map();
        if let Some(set) = map.get_mut(&key) {
            set.retain(|l| l.id != link.id);
            if set.is_empty() {
                map.remove(&key);
            }
        }
        drop(map);
        link.close();
    }

    /// Tunnel connections open for `hub`.
    pub fn count(&self, hub: &str) -> usize {
        self.map()
            .get(&hub.to_ascii_lowercase())
            .map_or(0, Vec::len)
    }

    /// Sends a request through one of the hub's connections and waits for its answer. The
    /// caller bounds the wait (delivery's deadline); dropping the future forgets the request.
    pub async fn request(&self, hub: &str, request: Outgoing<'_>) -> Result<Answer, Failed> {
        let links: Vec<Arc<Link>> = self
            .map()
            .get(&hub.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        if links.is_empty() {
            return Err(Failed::Unreachable(format!(
                "no tunnel connection is open for hub '{hub}'"
            )));
        }
        let start = self.turn.fetch_add(1, Ordering::Relaxed);
        let chosen = (0..links.len())
            .map(|i| &links[(start + i) % links.len()])
            .find_map(|link| link.register().map(|(ack, rx)| (link, ack, rx)));
        let Some((link, ack, rx)) = chosen else {
            return Err(Failed::Unreachable(format!(
                "every tunnel connection of hub '{hub}' has {MAX_PENDING} requests waiting"
            )));
        };
        let _registered = Registered { link, ack };
        let frame = wire::encode(&Message::HttpRequest(HttpRequest {
            ack_id: ack,
            local_routing: false,
            channel_name: String::new(),
            method: request.method.to_string(),
            url: request.url,
            headers: request.headers,
            content: request.body,
        }));
        let gone =
            || Failed::Unreachable("the tunnel connection closed before answering".to_string());
        link.outbox.send(frame).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

/// `tunnel:///PATH` as the handler settings write it, with the hub put in as the host
/// (`tunnel://HUB/PATH`), so the delivery knows which hub's tunnel to use and validation
/// verdicts are kept per hub. Other URLs are returned as they are.
pub(crate) fn locate(url: &str, hub: &str) -> String {
    match url
        .strip_prefix(SCHEME)
        .and_then(|rest| rest.strip_prefix("//"))
    {
        Some(rest) => format!("{SCHEME}//{}{rest}", hub.to_ascii_lowercase()),
        None => url.to_string(),
    }
}

/// The scheme of tunnel handler URLs, colon included.
pub(crate) const SCHEME: &str = "tunnel:";

/// Whether a handler URL template is a tunnel one that can be used: `tunnel:///PATH`, no
/// host (the hub's tunnel is the host).
pub(crate) fn is_tunnel_template(sample: &str) -> Option<bool> {
    let rest = sample.strip_prefix(SCHEME)?;
    Some(rest.starts_with("///"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(hub: &str, id: &str) -> (Arc<Link>, mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = mpsc::channel(4);
        (Arc::new(Link::new(id.into(), hub.into(), tx)), rx)
    }

    fn outgoing() -> Outgoing<'static> {
        Outgoing {
            method: "POST",
            url: "http://h/x".into(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn handler_urls_name_their_hub() {
        assert_eq!(
            locate("tunnel:///eventhandler/x?a=1", "Chat"),
            "tunnel://chat/eventhandler/x?a=1"
        );
        assert_eq!(locate("http://x/y", "chat"), "http://x/y");
        assert_eq!(is_tunnel_template("tunnel:///a"), Some(true));
        assert_eq!(is_tunnel_template("tunnel://host/a"), Some(false));
        assert_eq!(is_tunnel_template("http://host/a"), None);
    }

    #[tokio::test]
    async fn requests_take_turns_and_answers_find_their_request() {
        let tunnels = Tunnels::default();
        let (a, mut rx_a) = link("chat", "a");
        let (b, mut rx_b) = link("CHAT", "b");
        tunnels.add(a.clone()).unwrap();
        tunnels.add(b.clone()).unwrap();
        assert_eq!(tunnels.count("Chat"), 2);
        let t = tunnels.clone();
        let first = tokio::spawn(async move { t.request("chat", outgoing()).await });
        let t = tunnels.clone();
        let second = tokio::spawn(async move { t.request("chat", outgoing()).await });
        // One request on each connection.
        let fa = rx_a.recv().await.unwrap();
        let fb = rx_b.recv().await.unwrap();
        for (link, frame, status) in [(&a, fa, 201), (&b, fb, 202)] {
            let Message::HttpRequest(r) = wire::decode(&frame).unwrap() else {
                panic!()
            };
            // Two chunks: the status is the first's, the body both.
            link.answer(HttpResponse {
                ack_id: r.ack_id,
                status_code: status,
                not_completed: true,
                content: Bytes::from_static(b"he"),
                ..HttpResponse::default()
            });
            link.answer(HttpResponse {
                ack_id: r.ack_id,
                status_code: 500,
                content: Bytes::from_static(b"llo"),
                ..HttpResponse::default()
            });
        }
        let mut statuses = vec![];
        for h in [first, second] {
            let answer = h.await.unwrap().unwrap();
            assert_eq!(&answer.body[..], b"hello");
            statuses.push(answer.status);
        }
        statuses.sort();
        assert_eq!(statuses, [201, 202]);
        assert_eq!(a.waiting() + b.waiting(), 0);
    }

    #[tokio::test]
    async fn a_closed_connection_fails_its_requests_and_leaves_the_set() {
        let tunnels = Tunnels::default();
        let (a, mut rx) = link("chat", "a");
        tunnels.add(a.clone()).unwrap();
        let t = tunnels.clone();
        let waiting = tokio::spawn(async move { t.request("chat", outgoing()).await });
        rx.recv().await.unwrap();
        tunnels.remove(&a);
        assert!(waiting.await.unwrap().is_err());
        assert_eq!(tunnels.count("chat"), 0);
        let none = tunnels.request("chat", outgoing()).await.unwrap_err();
        assert!(
            matches!(&none, Failed::Unreachable(m) if m.contains("no tunnel")),
            "{none:?}"
        );
    }

    #[tokio::test]
    async fn answers_over_their_cap_fail_and_free_what_they_held() {
        let (l, _rx) = link("chat", "l");
        let (ack, rx) = l.register().unwrap();
        let chunk = Bytes::from(vec![0u8; 1024 * 1024]);
        for _ in 0..MAX_ANSWER / chunk.len() {
            l.answer(HttpResponse {
                ack_id: ack,
                status_code: 200,
                not_completed: true,
                content: chunk.clone(),
                ..HttpResponse::default()
            });
        }
        assert_eq!(l.pending().buffered, MAX_ANSWER);
        l.answer(HttpResponse {
            ack_id: ack,
            status_code: 200,
            content: Bytes::from_static(b"x"),
            ..HttpResponse::default()
        });
        assert_eq!(rx.await.unwrap().unwrap_err(), Failed::TooLarge);
        let buffered = l.pending().buffered;
        assert_eq!((buffered, l.waiting()), (0, 0));
        // An answer nobody waits for is dropped.
        l.answer(HttpResponse {
            ack_id: 999,
            ..HttpResponse::default()
        });
        assert_eq!(l.waiting(), 0);
    }

    #[tokio::test]
    async fn caps_hold() {
        let tunnels = Tunnels::default();
        let mut keep = vec![];
        for i in 0..MAX_CONNECTIONS_PER_HUB {
            let (l, rx) = link("chat", &i.to_string());
            keep.push(rx);
            tunnels.add(l).unwrap();
        }
        let (extra, _rx) = link("chat", "extra");
        assert!(tunnels.add(extra).is_err());
        // A full connection registers nothing more; a given-up request frees its entry.
        let (l, _rx) = link("news", "l");
        let held: Vec<_> = (0..MAX_PENDING).map(|_| l.register().unwrap()).collect();
        assert!(l.register().is_none());
        l.forget(held[0].0);
        assert!(l.register().is_some());
    }
}
