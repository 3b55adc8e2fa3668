//! What the upstream side remembers about one logical connection: its identity as the
//! handler sees it, the event id counter, the `ce-connectionState` and the handler's cookies.
//! The session owns one per connection (reliable recovery keeps the same one).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::header::{HeaderMap, HeaderValue, COOKIE, SET_COOKIE};

/// Cookies a handler may park on a connection; more are dropped (oldest first).
const MAX_COOKIES: usize = 32;
/// Bytes of one `name=value`; a bigger cookie is ignored (browsers cap at 4 KiB too).
const MAX_COOKIE_BYTES: usize = 4096;

#[derive(Debug)]
pub struct Connection {
    pub(super) hub: String,
    pub(super) connection_id: String,
    user_id: Option<String>,
    subprotocol: Option<String>,
    /// MQTT: the physical connection (one WebSocket) and the session it serves.
    physical_connection_id: Option<String>,
    session_id: Option<String>,
    /// Socket.IO serverless mode: the namespace and socket id of the socket this view is.
    socket: Option<(String, String)>,
    /// `connect` is event 0; every later event of the connection takes the next id from 1.
    next_id: AtomicU64,
    /// The last `ce-connectionState` a handler set (an empty value clears it).
    state: Mutex<String>,
    /// Shared with fire-and-forget calls, whose replies may set cookies too; made with the
    /// first call (most connections have no handler to call).
    cookies: OnceLock<Arc<Mutex<CookieJar>>>,
    /// The `connected` call still in flight, which `disconnected` waits for so a handler
    /// never hears of the end before the start.
    pub(super) connected_call: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The handler that takes this connection's events when the settings name none (a
    /// Socket.IO connection's server in default mode).
    default_handler: Option<super::settings::Handler>,
}

impl Connection {
    /// A connection about to be offered to `connect`, with the token's user id if any.
    pub fn new(hub: &str, connection_id: &str, user_id: Option<&str>) -> Connection {
        Connection {
            hub: hub.to_string(),
            connection_id: connection_id.to_string(),
            user_id: user_id.map(str::to_string),
            subprotocol: None,
            physical_connection_id: None,
            session_id: None,
            socket: None,
            next_id: AtomicU64::new(1),
            state: Mutex::new(String::new()),
            cookies: OnceLock::new(),
            connected_call: Mutex::new(None),
            default_handler: None,
        }
    }

    /// The handler for this connection's events when the settings name none.
    pub fn set_default_handler(&mut self, handler: super::settings::Handler) {
        self.default_handler = Some(handler);
    }

    pub fn default_handler(&self) -> Option<&super::settings::Handler> {
        self.default_handler.as_ref()
    }

    /// The user id once `connect` has had its say (its reply may change it).
    pub fn set_user_id(&mut self, user_id: Option<String>) {
        self.user_id = user_id;
    }

    /// The subprotocol the WebSocket handshake settled on (sent as `ce-subprotocol`).
    pub fn set_subprotocol(&mut self, subprotocol: Option<String>) {
        self.subprotocol = subprotocol;
    }

    /// An MQTT connection's ids (`ce-physicalConnectionId`, `ce-sessionId`); the session id
    /// is `None` until CONNACK (the `connect` event has none).
    pub fn set_mqtt(&mut self, physical_connection_id: &str, session_id: Option<&str>) {
        self.physical_connection_id = Some(physical_connection_id.to_string());
        self.session_id = session_id.map(str::to_string);
    }

    /// A Socket.IO namespace socket (serverless mode): `ce-namespace`, `ce-socketId`.
    pub fn set_socket(&mut self, namespace: &str, socket_id: &str) {
        self.socket = Some((namespace.to_string(), socket_id.to_string()));
    }

    pub fn socket(&self) -> Option<(&str, &str)> {
        self.socket.as_ref().map(|(n, s)| (n.as_str(), s.as_str()))
    }

    pub fn physical_connection_id(&self) -> Option<&str> {
        self.physical_connection_id.as_deref()
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The handlers' cookies for this connection, shared with the calls made for it.
    pub(super) fn cookies(&self) -> Arc<Mutex<CookieJar>> {
        self.cookies.get_or_init(Arc::default).clone()
    }

    pub fn hub(&self) -> &str {
        &self.hub
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The `ce-connectionState` later events carry ("" for none).
    pub fn state(&self) -> String {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(super) fn set_state(&self, state: String) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }

    pub(super) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Cookies by handler authority (`host:port`), so one handler never sees another's.
/// Paths, expiry dates and flags are not modelled: a connection lives minutes, and a
/// handler that clears a cookie does so with an empty value or `Max-Age=0`, both honoured.
#[derive(Debug, Default)]
pub struct CookieJar {
    /// (authority, name, value), oldest first.
    cookies: Vec<(String, String, String)>,
}

impl CookieJar {
    /// Keeps the `Set-Cookie` headers of a successful reply from `authority`.
    pub fn store(&mut self, authority: &str, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() || name.len() + value.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let expired = parts.any(|attr| {
                let attr = attr.trim();
                attr.len() > 8
                    && attr[..8].eq_ignore_ascii_case("max-age=")
                    && attr[8..].trim().parse::<i64>().is_ok_and(|s| s <= 0)
            });
            self.cookies
                .retain(|(a, n, _)| !(a == authority && n == name));
            if !expired && !value.is_empty() {
                if self.cookies.len() >= MAX_COOKIES {
                    self.cookies.remove(0);
                }
                self.cookies
                    .push((authority.to_string(), name.to_string(), value.to_string()));
            }
        }
    }

    /// The `Cookie` header for a request to `authority`, if it has any cookies.
    pub fn header(&self, authority: &str) -> Option<HeaderValue> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(a, _, _)| a == authority)
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        if pairs.is_empty() {
            return None;
        }
        HeaderValue::from_str(&pairs.join("; ")).ok()
    }

    pub fn add_to(&self, authority: &str, headers: &mut HeaderMap) {
        if let Some(v) = self.header(authority) {
            headers.insert(COOKIE, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn ids_start_at_one_after_connect() {
        let c = Connection::new("chat", "c1", None);
        assert_eq!((c.next_id(), c.next_id()), (1, 2));
    }

    #[test]
    fn cookies_are_kept_per_handler_and_can_be_cleared() {
        let mut jar = CookieJar::default();
        jar.store("a:1", &set(&["s=1; Path=/; HttpOnly", "t=2"]));
        jar.store("b:2", &set(&["other=x"]));
        assert_eq!(jar.header("a:1").unwrap(), "s=1; t=2");
        assert_eq!(jar.header("b:2").unwrap(), "other=x");
        jar.store("a:1", &set(&["s=3", "t=; Max-Age=0"]));
        assert_eq!(jar.header("a:1").unwrap(), "s=3");
        jar.store("a:1", &set(&["s=gone; max-age=0"]));
        assert!(jar.header("a:1").is_none());
    }

    #[test]
    fn the_jar_is_bounded() {
        let mut jar = CookieJar::default();
        for i in 0..100 {
            jar.store("a", &set(&[&format!("c{i}=v")]));
        }
        let header = jar.header("a").unwrap();
        assert_eq!(header.to_str().unwrap().split("; ").count(), MAX_COOKIES);
        assert!(header.to_str().unwrap().starts_with("c68=v"));
        jar.store(
            "a",
            &set(&[&format!("big={}", "x".repeat(MAX_COOKIE_BYTES))]),
        );
        assert!(!jar.header("a").unwrap().to_str().unwrap().contains("big="));
    }
}
