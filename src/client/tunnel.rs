//! The server tunnel's messages and their framing, shared by both ends: the emulator's
//! `/server/tunnel` and `wps tunnel`.
//!
//! Each tunnel message is one binary WebSocket message: a 4-byte little-endian length N, then
//! N bytes of MessagePack, a three-element array `[Type, JSON, Content]`. JSON is a string
//! holding the message's fields but `Content` (PascalCase keys, `Type` included); Content is
//! a MessagePack bin (the HTTP body of a request or response) or nil. The official client
//! declares a 1 MiB limit; here a frame over [`MAX_FRAME`] is refused before anything in it
//! is read, and the array is read field by field (rmp's low-level reader), so nothing a
//! sender declares is allocated before it is known to be there.
//!
//! [`decode`] never panics: a short frame, a length over the limit or not matching the
//! frame, a wrong array shape, JSON that does not parse or lacks a required field, or an
//! unknown type is an [`Error`], and the receiving end closes the connection.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The largest body a tunnel message carries: the service's 1 MiB message limit.
pub const MAX_CONTENT: usize = 1024 * 1024;
/// The largest MessagePack part of a frame: the body plus room for the JSON part (headers,
/// URL) and the array's own bytes.
pub const MAX_FRAME: usize = MAX_CONTENT + 64 * 1024;
/// The length prefix.
const LENGTH_BYTES: usize = 4;

/// Message types, as numbered on the wire.
const HTTP_REQUEST: u8 = 1;
const HTTP_RESPONSE: u8 = 2;
const SERVICE_STATUS: u8 = 5;
const CONNECTION_RECONNECT: u8 = 6;
const CONNECTION_CLOSE: u8 = 7;
const CONNECTION_REBALANCE: u8 = 8;
const CONNECTION_CONNECTED: u8 = 10;

/// Header name -> values, as the messages carry them.
pub type Headers = BTreeMap<String, Vec<String>>;

/// One tunnel message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// An HTTP request to be served by the other end (events one way, REST calls the other).
    HttpRequest(HttpRequest),
    /// The answer to an [`HttpRequest`] with the same `ack_id`.
    HttpResponse(HttpResponse),
    /// Service -> client: something to log.
    ServiceStatus {
        /// The text.
        message: String,
    },
    /// Service -> client: drop this connection and open one to `endpoint`, `target_id`.
    ConnectionReconnect(Redirect),
    /// Service -> client: stop this connection.
    ConnectionClose {
        /// Why.
        message: String,
    },
    /// Service -> client: open one more connection to `endpoint`, `target_id`.
    ConnectionRebalance(Redirect),
    /// Service -> client: the handshake is complete.
    ConnectionConnected {
        /// The connection's id.
        connection_id: String,
        /// The user the token named, if any.
        user_id: Option<String>,
        /// Unused by the tunnel client.
        reconnection_token: Option<String>,
    },
}

/// Where [`Message::ConnectionReconnect`] and [`Message::ConnectionRebalance`] send a client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirect {
    /// `&target=` of the new connection.
    pub target_id: Option<String>,
    /// The service endpoint to connect to (none: the same).
    pub endpoint: Option<String>,
    /// Why.
    pub message: Option<String>,
}

/// An HTTP request through the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// Matches the answer to the request; each side counts its own.
    pub ack_id: u64,
    /// Echoed in the answer.
    pub local_routing: bool,
    /// Echoed in the answer.
    pub channel_name: String,
    /// `POST`, `OPTIONS`, ...
    pub method: String,
    /// An absolute URL; the receiver uses its path and query.
    pub url: String,
    /// Request headers.
    pub headers: Headers,
    /// The body.
    pub content: Bytes,
}

/// An HTTP response through the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The request's.
    pub ack_id: u64,
    /// The request's.
    pub local_routing: bool,
    /// The status code.
    pub status_code: u16,
    /// The request's.
    pub channel_name: String,
    /// More body chunks follow with the same `ack_id`.
    pub not_completed: bool,
    /// Response headers.
    pub headers: Headers,
    /// The body (this chunk of it).
    pub content: Bytes,
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(message: impl Into<String>) -> Error {
    Error(message.into())
}

// The JSON parts. Missing optional fields and `null` read as their defaults; the required ones
// (an HttpRequest's method and URL, a response's status) are checked after parsing.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RequestJson {
    #[serde(rename = "Type")]
    kind: u8,
    ack_id: u64,
    local_routing: bool,
    #[serde(deserialize_with = "null_string")]
    channel_name: String,
    http_method: Option<String>,
    url: Option<String>,
    #[serde(
        deserialize_with = "headers",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    headers: Headers,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ResponseJson {
    #[serde(rename = "Type")]
    kind: u8,
    ack_id: u64,
    local_routing: bool,
    status_code: Option<u16>,
    #[serde(deserialize_with = "null_string")]
    channel_name: String,
    not_completed: bool,
    #[serde(
        deserialize_with = "headers",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    headers: Headers,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct OtherJson {
    #[serde(rename = "Type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reconnection_token: Option<String>,
}

fn null_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Headers as `name -> [values]`; a single string value is taken as one value, `null` as none.
fn headers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Values {
        Many(Vec<String>),
        One(String),
        None(()),
    }
    let raw = Option::<BTreeMap<String, Values>>::deserialize(d)?.unwrap_or_default();
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let values = match v {
                Values::Many(v) => v,
                Values::One(s) => vec![s],
                Values::None(()) => Vec::new(),
            };
            (k, values)
        })
        .collect())
}

/// The frame of one message: length prefix and MessagePack.
pub fn encode(message: &Message) -> Vec<u8> {
    let (kind, json, content): (u8, String, Option<&Bytes>) = match message {
        Message::HttpRequest(r) => (
            HTTP_REQUEST,
            to_json(&RequestJson {
                kind: HTTP_REQUEST,
                ack_id: r.ack_id,
                local_routing: r.local_routing,
                channel_name: r.channel_name.clone(),
                http_method: Some(r.method.clone()),
                url: Some(r.url.clone()),
                headers: r.headers.clone(),
            }),
            Some(&r.content),
        ),
        Message::HttpResponse(r) => (
            HTTP_RESPONSE,
            to_json(&ResponseJson {
                kind: HTTP_RESPONSE,
                ack_id: r.ack_id,
                local_routing: r.local_routing,
                status_code: Some(r.status_code),
                channel_name: r.channel_name.clone(),
                not_completed: r.not_completed,
                headers: r.headers.clone(),
            }),
            Some(&r.content),
        ),
        other => {
            let (kind, json) = other_json(other);
            (kind, to_json(&json), None)
        }
    };
    let mut body = Vec::with_capacity(16 + json.len() + content.map_or(0, Bytes::len));
    // Writing to a Vec cannot fail; the `let _` keeps that visible rather than unwrapped.
    let _ = rmp::encode::write_array_len(&mut body, 3);
    let _ = rmp::encode::write_uint(&mut body, u64::from(kind));
    let _ = rmp::encode::write_str(&mut body, &json);
    match content {
        Some(c) => {
            let _ = rmp::encode::write_bin(&mut body, c);
        }
        None => {
            let _ = rmp::encode::write_nil(&mut body);
        }
    }
    let mut frame = Vec::with_capacity(LENGTH_BYTES + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    frame
}

fn other_json(message: &Message) -> (u8, OtherJson) {
    let text = |s: &str| Some(s.to_string());
    match message {
        Message::ServiceStatus { message } => (
            SERVICE_STATUS,
            OtherJson {
                kind: SERVICE_STATUS,
                message: text(message),
                ..OtherJson::default()
            },
        ),
        Message::ConnectionClose { message } => (
            CONNECTION_CLOSE,
            OtherJson {
                kind: CONNECTION_CLOSE,
                message: text(message),
                ..OtherJson::default()
            },
        ),
        Message::ConnectionReconnect(r) | Message::ConnectionRebalance(r) => {
            let kind = if matches!(message, Message::ConnectionReconnect(_)) {
                CONNECTION_RECONNECT
            } else {
                CONNECTION_REBALANCE
            };
            (
                kind,
                OtherJson {
                    kind,
                    message: r.message.clone(),
                    target_id: r.target_id.clone(),
                    endpoint: r.endpoint.clone(),
                    ..OtherJson::default()
                },
            )
        }
        Message::ConnectionConnected {
            connection_id,
            user_id,
            reconnection_token,
        } => (
            CONNECTION_CONNECTED,
            OtherJson {
                kind: CONNECTION_CONNECTED,
                connection_id: text(connection_id),
                user_id: user_id.clone(),
                reconnection_token: reconnection_token.clone(),
                ..OtherJson::default()
            },
        ),
        // The two HTTP messages are written by `encode` itself.
        Message::HttpRequest(_) | Message::HttpResponse(_) => (0, OtherJson::default()),
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // These structs hold strings, numbers and maps with string keys: always serialisable.
    serde_json::to_string(value).unwrap_or_default()
}

/// Reads one frame (a whole binary WebSocket message).
pub fn decode(frame: &[u8]) -> Result<Message, Error> {
    let Some((prefix, body)) = frame.split_first_chunk::<LENGTH_BYTES>() else {
        return Err(err(format!(
            "a tunnel frame of {} bytes is shorter than its length prefix",
            frame.len()
        )));
    };
    let declared = u32::from_le_bytes(*prefix) as usize;
    if declared > MAX_FRAME {
        return Err(err(format!(
            "a tunnel frame declares {declared} bytes, over the {MAX_FRAME}-byte limit"
        )));
    }
    if declared != body.len() {
        return Err(err(format!(
            "a tunnel frame declares {declared} bytes but carries {}",
            body.len()
        )));
    }
    let mut rd = body;
    let shape = || err("a tunnel message must be a MessagePack array [type, json, content]");
    let len = rmp::decode::read_array_len(&mut rd).map_err(|_| shape())?;
    if len != 3 {
        return Err(shape());
    }
    let kind: u8 = rmp::decode::read_int(&mut rd).map_err(|_| shape())?;
    let json_len = rmp::decode::read_str_len(&mut rd).map_err(|_| shape())? as usize;
    let json = take(&mut rd, json_len).ok_or_else(shape)?;
    let json =
        std::str::from_utf8(json).map_err(|_| err("the tunnel message's JSON is not UTF-8"))?;
    let content = read_content(&mut rd).ok_or_else(shape)?;
    if !rd.is_empty() {
        return Err(shape());
    }
    let bad_json = |e: serde_json::Error| err(format!("the tunnel message's JSON: {e}"));
    match kind {
        HTTP_REQUEST => {
            let j: RequestJson = serde_json::from_str(json).map_err(bad_json)?;
            let (Some(method), Some(url)) = (j.http_method, j.url) else {
                return Err(err("a tunnel HttpRequest needs HttpMethod and Url"));
            };
            Ok(Message::HttpRequest(HttpRequest {
                ack_id: j.ack_id,
                local_routing: j.local_routing,
                channel_name: j.channel_name,
                method,
                url,
                headers: j.headers,
                content: Bytes::copy_from_slice(content),
            }))
        }
        HTTP_RESPONSE => {
            let j: ResponseJson = serde_json::from_str(json).map_err(bad_json)?;
            let Some(status_code) = j.status_code else {
                return Err(err("a tunnel HttpResponse needs StatusCode"));
            };
            Ok(Message::HttpResponse(HttpResponse {
                ack_id: j.ack_id,
                local_routing: j.local_routing,
                status_code,
                channel_name: j.channel_name,
                not_completed: j.not_completed,
                headers: j.headers,
                content: Bytes::copy_from_slice(content),
            }))
        }
        SERVICE_STATUS | CONNECTION_RECONNECT | CONNECTION_CLOSE | CONNECTION_REBALANCE
        | CONNECTION_CONNECTED => {
            let j: OtherJson = serde_json::from_str(json).map_err(bad_json)?;
            let redirect = || Redirect {
                target_id: j.target_id.clone(),
                endpoint: j.endpoint.clone(),
                message: j.message.clone(),
            };
            Ok(match kind {
                SERVICE_STATUS => Message::ServiceStatus {
                    message: j.message.unwrap_or_default(),
                },
                CONNECTION_RECONNECT => Message::ConnectionReconnect(redirect()),
                CONNECTION_CLOSE => Message::ConnectionClose {
                    message: j.message.unwrap_or_default(),
                },
                CONNECTION_REBALANCE => Message::ConnectionRebalance(redirect()),
                _ => Message::ConnectionConnected {
                    connection_id: j
                        .connection_id
                        .ok_or_else(|| err("ConnectionConnected needs ConnectionId"))?,
                    user_id: j.user_id,
                    reconnection_token: j.reconnection_token,
                },
            })
        }
        other => Err(err(format!("unknown tunnel message type {other}"))),
    }
}

/// The next `n` bytes, if there are that many.
fn take<'a>(rd: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rd.len() < n {
        return None;
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Some(head)
}

/// Content: a bin (a str is taken too: some encoders write bytes so), or nil for none.
fn read_content<'a>(rd: &mut &'a [u8]) -> Option<&'a [u8]> {
    let marker = *rd.first()?;
    if marker == 0xc0 {
        *rd = &rd[1..];
        return Some(&[]);
    }
    let mut probe = *rd;
    let len = match rmp::decode::read_bin_len(&mut probe) {
        Ok(n) => n as usize,
        Err(_) => {
            probe = *rd;
            rmp::decode::read_str_len(&mut probe).ok()? as usize
        }
    };
    *rd = probe;
    take(rd, len)
}

/// An open tunnel WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The service's tunnel path.
const TUNNEL_PATH: &str = "/server/tunnel";

/// `ws[s]://HOST[/base]/server/tunnel?hub=HUB[&target=TARGET]` for an `http[s]://` endpoint:
/// where the tunnel is, and (with the service's endpoint) what a key-signed token's `aud` is.
pub fn tunnel_url(endpoint: &str, hub: &str, target: Option<&str>) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("http") => ("ws", rest),
        Some((_, rest)) => ("wss", rest),
        None => ("wss", endpoint),
    };
    let mut url = format!(
        "{scheme}://{rest}{TUNNEL_PATH}?hub={}",
        super::operations::encode(hub)
    );
    if let Some(t) = target {
        url.push_str("&target=");
        url.push_str(&super::operations::encode(t));
    }
    url
}

impl super::Client {
    /// Opens a tunnel connection for `hub`, with a fresh token: key-signed (`aud` the tunnel
    /// URL, `sub` the tunnel client's `id`, an hour's life) or the Entra ID token. `endpoint`
    /// replaces the client's own (a ConnectionReconnect names one); `target` is the service's
    /// `TargetId`. The ConnectionConnected that follows is the caller's to wait for.
    pub async fn open_tunnel(
        &self,
        hub: &str,
        endpoint: Option<&str>,
        target: Option<&str>,
        id: &str,
    ) -> Result<Socket, super::ClientError> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::http::HeaderValue;
        let aud = tunnel_url(endpoint.unwrap_or(&self.endpoint), hub, target);
        // Through a reverse proxy when there is one (and no other endpoint was named); the
        // token still names the service's URL.
        let at = match (endpoint, &self.options.reverse_proxy) {
            (None, Some(proxy)) => tunnel_url(proxy, hub, target),
            _ => aud.clone(),
        };
        let token = match &self.credential {
            super::Credential::Key(signer) => {
                let now = super::now_secs();
                let claims = serde_json::json!({
                    "aud": aud, "sub": id, "iat": now, "exp": now + 3600,
                });
                signer.sign(&claims)?
            }
            #[cfg(feature = "entra")]
            super::Credential::Entra(credential) => {
                if let Some(other) = endpoint {
                    super::entra::check_endpoint_for_bearer(other)?;
                }
                credential.token().await?
            }
        };
        let url = format!(
            "{at}&access_token={}",
            super::operations::encode(token.expose())
        );
        let shown = at.split('?').next().unwrap_or("").to_string();
        let mut request = url
            .into_client_request()
            .map_err(|e| super::ClientError::Invalid(format!("invalid tunnel URL {shown}: {e}")))?;
        request.headers_mut().insert(
            "User-Agent",
            HeaderValue::from_static(concat!("wps/", env!("CARGO_PKG_VERSION"))),
        );
        let tls = match request.uri().scheme_str() {
            Some("wss") => Some(tokio_tungstenite::Connector::Rustls(
                super::roots::websocket_tls()?,
            )),
            _ => None,
        };
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(LENGTH_BYTES + MAX_FRAME))
            .max_frame_size(Some(LENGTH_BYTES + MAX_FRAME));
        let connect =
            tokio_tungstenite::connect_async_tls_with_config(request, Some(config), false, tls);
        let (socket, _) = tokio::time::timeout(self.options.timeout, connect)
            .await
            .map_err(|_| super::ClientError::Transport {
                attempts: 1,
                detail: format!("the tunnel at {shown} did not open in time"),
            })?
            .map_err(|e| super::subscriber::connect_error(&shown, e))?;
        Ok(socket)
    }
}

/// Headers a forwarder never passes on: they describe one hop, not the message.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
    "host",
    "content-length",
];

/// Forwards tunnelled requests to an HTTP server (`wps tunnel --upstream`): the request's
/// path and query appended to the base URL, its method, headers and body; the answer whole.
#[derive(Debug, Clone)]
pub struct Forwarder {
    http: reqwest::Client,
    base: String,
}

/// What a forwarded request came to.
#[derive(Debug)]
pub struct Forwarded {
    /// The answer to send back through the tunnel.
    pub response: HttpResponse,
    /// Why there was no upstream answer (the response is then a 500 saying so).
    pub error: Option<String>,
}

impl Forwarder {
    /// A forwarder to `base` (`http[s]://host[:port][/path]`), each request bounded by
    /// `timeout`, connecting bounded by the same or 10 s.
    pub fn new(base: &str, timeout: std::time::Duration) -> Result<Forwarder, super::ClientError> {
        let parsed = url::Url::parse(base).map_err(|e| {
            super::ClientError::Invalid(format!("invalid upstream URL '{base}': {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
            return Err(super::ClientError::Invalid(format!(
                "invalid upstream URL '{base}': it must be an absolute http:// or https:// URL"
            )));
        }
        let builder = reqwest::Client::builder()
            .user_agent(concat!("wps/", env!("CARGO_PKG_VERSION")))
            // The upstream is the developer's own server, usually on this machine.
            .no_proxy()
            // A redirect is the upstream's answer, passed back as it is.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(std::time::Duration::from_secs(10)));
        let builder = if parsed.scheme() == "https" {
            super::roots::trust_extra_roots(builder)?
        } else {
            builder
        };
        let http = builder.build().map_err(|e| super::ClientError::Transport {
            attempts: 0,
            detail: format!("could not build the HTTP client for the upstream: {e}"),
        })?;
        Ok(Forwarder {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// Where a request goes: the base, then the path and query of its `Url`.
    pub fn target(&self, request: &HttpRequest) -> String {
        let path_and_query = match url::Url::parse(&request.url) {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            // A bare path is taken as one.
            Err(_) if request.url.starts_with('/') => request.url.clone(),
            Err(_) => "/".to_string(),
        };
        format!("{}{path_and_query}", self.base)
    }

    /// Sends the request upstream and answers it: the upstream's status, headers and whole
    /// body (at most [`MAX_CONTENT`]), or 500 with the error text.
    pub async fn forward(&self, request: &HttpRequest) -> Forwarded {
        match self.try_forward(request).await {
            Ok(response) => Forwarded {
                response,
                error: None,
            },
            Err(why) => {
                let mut headers = Headers::new();
                headers.insert(
                    "Content-Type".into(),
                    vec!["text/plain; charset=utf-8".into()],
                );
                Forwarded {
                    response: HttpResponse {
                        ack_id: request.ack_id,
                        local_routing: request.local_routing,
                        status_code: 500,
                        channel_name: request.channel_name.clone(),
                        not_completed: false,
                        headers,
                        content: Bytes::from(why.clone().into_bytes()),
                    },
                    error: Some(why),
                }
            }
        }
    }

    async fn try_forward(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("'{}' is not an HTTP method", request.method))?;
        let mut builder = self
            .http
            .request(method, self.target(request))
            .body(request.content.clone());
        for (name, values) in &request.headers {
            if HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
                continue;
            }
            for v in values {
                builder = builder.header(name.as_str(), v.as_str());
            }
        }
        let mut response = builder.send().await.map_err(|e| {
            // The innermost cause ("Connection refused"); reqwest's own repeats the URL.
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            if e.is_timeout() {
                "the upstream did not answer in time".to_string()
            } else {
                format!("the upstream could not be reached: {cause}")
            }
        })?;
        let status_code = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if HOP_BY_HOP.contains(&name.as_str()) {
                continue;
            }
            headers
                .entry(name.as_str().to_string())
                .or_default()
                .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        let mut body = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                if e.is_timeout() {
                    "the upstream did not answer in time".to_string()
                } else {
                    format!("the upstream's answer broke off: {e}")
                }
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > MAX_CONTENT {
                return Err(format!(
                    "the upstream's answer is over the {} MiB a tunnel message carries",
                    MAX_CONTENT / (1024 * 1024)
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            ack_id: request.ack_id,
            local_routing: request.local_routing,
            status_code,
            channel_name: request.channel_name.clone(),
            not_completed: false,
            headers,
            content: Bytes::from(body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> HttpRequest {
        let mut headers = Headers::new();
        headers.insert("ce-type".into(), vec!["azure.webpubsub.sys.connect".into()]);
        HttpRequest {
            ack_id: 7,
            local_routing: false,
            channel_name: String::new(),
            method: "POST".into(),
            url: "http://localhost/eventhandler?x=1".into(),
            headers,
            content: Bytes::from_static(b"{\"claims\":{}}"),
        }
    }

    /// A frame with the given MessagePack body.
    fn framed(body: &[u8]) -> Vec<u8> {
        let mut f = (body.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(body);
        f
    }

    fn array(kind: u64, json: &str, content: Option<&[u8]>) -> Vec<u8> {
        let mut b = Vec::new();
        rmp::encode::write_array_len(&mut b, 3).unwrap();
        rmp::encode::write_uint(&mut b, kind).unwrap();
        rmp::encode::write_str(&mut b, json).unwrap();
        match content {
            Some(c) => rmp::encode::write_bin(&mut b, c).unwrap(),
            None => rmp::encode::write_nil(&mut b).unwrap(),
        }
        b
    }

    #[test]
    fn tunnel_urls_follow_the_endpoint() {
        assert_eq!(
            tunnel_url("http://127.0.0.1:8080", "chat", None),
            "ws://127.0.0.1:8080/server/tunnel?hub=chat"
        );
        assert_eq!(
            tunnel_url("https://x.webpubsub.azure.com/", "a b", Some("t/1")),
            "wss://x.webpubsub.azure.com/server/tunnel?hub=a%20b&target=t%2F1"
        );
    }

    #[test]
    fn the_forwarder_appends_path_and_query_to_its_base() {
        let f = Forwarder::new(
            "http://localhost:3000/base/",
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let mut r = request();
        assert_eq!(f.target(&r), "http://localhost:3000/base/eventhandler?x=1");
        r.url = "/only/path".into();
        assert_eq!(f.target(&r), "http://localhost:3000/base/only/path");
        assert!(Forwarder::new("ftp://x", std::time::Duration::from_secs(1)).is_err());
        assert!(Forwarder::new("localhost:3000", std::time::Duration::from_secs(1)).is_err());
    }

    #[test]
    fn every_message_round_trips() {
        let messages = [
            Message::HttpRequest(request()),
            Message::HttpResponse(HttpResponse {
                ack_id: 7,
                local_routing: true,
                status_code: 204,
                channel_name: "c".into(),
                not_completed: true,
                headers: Headers::new(),
                content: Bytes::new(),
            }),
            Message::ServiceStatus {
                message: "hi".into(),
            },
            Message::ConnectionReconnect(Redirect {
                target_id: Some("t".into()),
                endpoint: Some("http://e".into()),
                message: None,
            }),
            Message::ConnectionClose {
                message: "bye".into(),
            },
            Message::ConnectionRebalance(Redirect::default()),
            Message::ConnectionConnected {
                connection_id: "abc".into(),
                user_id: None,
                reconnection_token: None,
            },
        ];
        for m in messages {
            assert_eq!(decode(&encode(&m)).unwrap(), m, "{m:?}");
        }
    }

    #[test]
    fn the_wire_form_is_the_official_clients() {
        let frame = encode(&Message::HttpRequest(request()));
        let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        let mut rd = &frame[4..];
        assert_eq!(rmp::decode::read_array_len(&mut rd).unwrap(), 3);
        assert_eq!(rmp::decode::read_int::<u8, _>(&mut rd).unwrap(), 1);
        let n = rmp::decode::read_str_len(&mut rd).unwrap() as usize;
        let json: serde_json::Value = serde_json::from_slice(&rd[..n]).unwrap();
        assert_eq!(json["Type"], 1);
        assert_eq!(json["AckId"], 7);
        assert_eq!(json["HttpMethod"], "POST");
        assert_eq!(json["Headers"]["ce-type"][0], "azure.webpubsub.sys.connect");
        assert!(json.get("Content").is_none());
        rd = &rd[n..];
        assert_eq!(
            rmp::decode::read_bin_len(&mut rd).unwrap() as usize,
            rd.len()
        );
    }

    #[test]
    fn what_the_official_client_writes_is_read() {
        // Its answer: Headers may be absent or single strings, ChannelName null, TracingId extra.
        let json = r#"{"Type":2,"AckId":3,"LocalRouting":false,"StatusCode":200,"ChannelName":null,"NotCompleted":false,"Headers":{"content-type":"text/plain","x":["a","b"]},"TracingId":12}"#;
        let m = decode(&framed(&array(2, json, Some(b"ok")))).unwrap();
        let Message::HttpResponse(r) = m else {
            panic!("{m:?}")
        };
        assert_eq!(r.ack_id, 3);
        assert_eq!(r.status_code, 200);
        assert_eq!(r.headers["content-type"], vec!["text/plain"]);
        assert_eq!(r.headers["x"], vec!["a", "b"]);
        assert_eq!(&r.content[..], b"ok");
        // A request with nil content.
        let json = r#"{"Type":1,"AckId":1,"LocalRouting":true,"ChannelName":"","HttpMethod":"DELETE","Url":"https://host/api/hubs/h/groups/g/connections/c?api-version=2024-01-01"}"#;
        let m = decode(&framed(&array(1, json, None))).unwrap();
        assert!(
            matches!(m, Message::HttpRequest(r) if r.content.is_empty() && r.method == "DELETE")
        );
    }

    #[test]
    fn malformed_frames_are_errors() {
        let ok = array(7, r#"{"Type":7,"Message":"x"}"#, None);
        assert!(decode(&framed(&ok)).is_ok());
        // Shorter than the prefix, or than declared, or longer.
        assert!(decode(&[1, 0]).is_err());
        let mut short = framed(&ok);
        short.pop();
        assert!(decode(&short).is_err());
        let mut long = framed(&ok);
        long.push(0);
        assert!(decode(&long).is_err());
        // A declared length over the limit, whatever follows.
        let mut huge = ((MAX_FRAME + 1) as u32).to_le_bytes().to_vec();
        huge.extend_from_slice(&ok);
        assert!(decode(&huge).unwrap_err().to_string().contains("limit"));
        assert!(decode(&[0xff, 0xff, 0xff, 0xff]).is_err());
        // Wrong shapes: not an array, two elements, a map, a string type, trailing bytes.
        assert!(decode(&framed(&[0xc0])).is_err());
        let mut two = Vec::new();
        rmp::encode::write_array_len(&mut two, 2).unwrap();
        rmp::encode::write_uint(&mut two, 7).unwrap();
        rmp::encode::write_str(&mut two, "{}").unwrap();
        assert!(decode(&framed(&two)).is_err());
        assert!(decode(&framed(&[0x80])).is_err());
        let mut string_type = Vec::new();
        rmp::encode::write_array_len(&mut string_type, 3).unwrap();
        rmp::encode::write_str(&mut string_type, "1").unwrap();
        assert!(decode(&framed(&string_type)).is_err());
        let mut trailing = ok.clone();
        trailing.push(0xc0);
        assert!(decode(&framed(&trailing)).is_err());
        // An array declaring four billion elements, or a bin longer than the frame.
        assert!(decode(&framed(&[0xdd, 0xff, 0xff, 0xff, 0xff])).is_err());
        let mut lying = Vec::new();
        rmp::encode::write_array_len(&mut lying, 3).unwrap();
        rmp::encode::write_uint(&mut lying, 1).unwrap();
        rmp::encode::write_str(&mut lying, "{}").unwrap();
        rmp::encode::write_bin_len(&mut lying, u32::MAX).unwrap();
        assert!(decode(&framed(&lying)).is_err());
        // Bad JSON, JSON missing what a type needs, an unknown type.
        assert!(decode(&framed(&array(1, "{not json", None))).is_err());
        assert!(decode(&framed(&array(1, r#"{"AckId":1}"#, None))).is_err());
        assert!(decode(&framed(&array(2, r#"{"AckId":1}"#, None))).is_err());
        assert!(decode(&framed(&array(10, r#"{}"#, None))).is_err());
        assert!(decode(&framed(&array(
            1,
            r#"{"AckId":-1,"HttpMethod":"GET","Url":"u"}"#,
            None
        )))
        .is_err());
        let unknown = decode(&framed(&array(3, "{}", None))).unwrap_err();
        assert!(unknown.to_string().contains("unknown"), "{unknown}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every prefix of a valid frame, and every single-byte change to it.
        let frame = encode(&Message::HttpRequest(request()));
        for n in 0..frame.len() {
            let _ = decode(&frame[..n]);
        }
        for i in 4..frame.len() {
            for b in [0x00, 0x7f, 0xc0, 0xc4, 0xdc, 0xdd, 0xff] {
                let mut f = frame.clone();
                f[i] = b;
                let _ = decode(&f);
            }
        }
    }
}
