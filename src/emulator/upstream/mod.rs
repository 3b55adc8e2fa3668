//! Event handlers ("upstream"): the emulator calls the user's server the way the service
//! does, with CloudEvents over HTTP in binary mode.
//!
//! - [`settings`]: which handler takes which event (`--event-handler`, TOML, appsettings.json);
//! - [`watch`]: the settings in force, reloaded when the file changes;
//! - [`cloudevents`]: headers, signature and bodies of the requests;
//! - [`validation`]: abuse protection (OPTIONS + `WebHook-Allowed-Origin`) per URL;
//! - [`delivery`]: retries, deadlines and the reply cap;
//! - this file: [`Upstream`], the calls the WebSocket session makes, and reply parsing.
//!
//! The session keeps one [`Connection`] per logical connection and calls, in order:
//! [`Upstream::connect`] (blocking, before the upgrade), [`Upstream::connected`],
//! [`Upstream::user_event`] for each event, [`Upstream::disconnected`]. The two
//! notifications never block the caller.

pub mod cloudevents;
pub mod connection;
pub mod delivery;
pub mod mqtt;
pub mod settings;
mod validation;
pub mod watch;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::Method;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::client::Secret;
use crate::emulator::tunnel::{self, Tunnels};

pub use cloudevents::{ConnectRequest, DataKind};
pub use connection::Connection;
pub use delivery::{Failure, FailureKind};
pub use settings::{Event, SystemEvent};
pub use watch::SharedSettings;

use cloudevents::{Envelope, CONNECTION_STATE, METADATA_PREFIX};
use connection::CookieJar;
use delivery::Policy;
use settings::redact_url;

/// The largest reply the emulator reads, as the official emulator caps it.
pub const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;
/// `connected`/`disconnected` calls running at once; more are dropped and reported.
pub const MAX_IN_FLIGHT: usize = 1000;

/// A sink for what happened: the session prints calls under `-v` and validation verdicts
/// always (they explain why a handler hears nothing).
pub type Reporter = Arc<dyn Fn(Report<'_>) + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub enum Report<'a> {
    /// One call to a handler, retries included.
    Call(&'a CallReport),
    /// A URL's validation verdict changed (first verdict included). `refused` says why not.
    Validation {
        url: &'a str,
        refused: Option<&'a str>,
    },
    /// A notification dropped because [`Options::max_in_flight`] were already running.
    Dropped {
        event: &'a str,
        connection_id: &'a str,
    },
}

#[derive(Debug, Clone)]
pub struct CallReport {
    pub hub: String,
    pub event: String,
    pub connection_id: String,
    /// Query values redacted.
    pub url: String,
    /// The final status, or why there was none.
    pub outcome: Result<u16, String>,
    pub attempts: u32,
    pub elapsed: Duration,
}

impl fmt::Display for CallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "upstream {} hub={} connection={} -> ",
            self.event, self.hub, self.connection_id
        )?;
        match &self.outcome {
            Ok(status) => write!(f, "{status}")?,
            Err(why) => write!(f, "failed ({why})")?,
        }
        write!(f, " in {} ms", self.elapsed.as_millis())?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        write!(f, " [{}]", self.url)
    }
}

/// Limits and hooks. The defaults are the official emulator's where it has one.
#[derive(Clone)]
pub struct Options {
    /// One call, retries and their delays included (the official emulator's 100 s).
    pub timeout: Duration,
    /// Each validation attempt (10 s).
    pub validation_timeout: Duration,
    /// Waits before the 2nd, 3rd, ... attempt (1 s, 3 s, 5 s: four attempts at most).
    pub retry_delays: Vec<Duration>,
    pub max_reply_bytes: usize,
    pub max_in_flight: usize,
    pub report: Reporter,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(100),
            validation_timeout: Duration::from_secs(10),
            retry_delays: [1, 3, 5].map(Duration::from_secs).to_vec(),
            max_reply_bytes: MAX_REPLY_BYTES,
            max_in_flight: MAX_IN_FLIGHT,
            report: Arc::new(|_| {}),
        }
    }
}

impl Options {
    /// Retry delays of `base` × 1, 3, 5 (the default base is 1 s). For the session to apply
    /// the documented test hook `WPS_TEST_RETRY_BASE_MS`, so fault tests stay fast.
    pub fn with_retry_base(mut self, base: Duration) -> Options {
        self.retry_delays = [1, 3, 5].map(|n| base * n).to_vec();
        self
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("timeout", &self.timeout)
            .field("validation_timeout", &self.validation_timeout)
            .field("retry_delays", &self.retry_delays)
            .field("max_reply_bytes", &self.max_reply_bytes)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

/// What a successful `connect` asks for. `None` leaves the token's value; `Some` replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectReply {
    /// The user id (may be `Some("")`: the reply cleared it).
    pub user_id: Option<String>,
    /// Groups to join instead of the token's; only a nonempty list replaces them.
    pub groups: Option<Vec<String>>,
    /// Roles instead of the token's (an empty list removes them all).
    pub roles: Option<Vec<String>>,
    /// The WebSocket subprotocol to accept (the handler should pick one the client offered).
    pub subprotocol: Option<String>,
    /// A Socket.IO server's Engine.IO `open` data (the JSON of the reply's `socketio` field),
    /// which the Socket.IO extension answers a connect with.
    pub socketio: Option<String>,
}

/// A handler's answer to a user event, to be sent back to that client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReply {
    pub kind: DataKind,
    pub data: Bytes,
    /// `x-webpubsub-metadata-<key>` reply headers: keys lowercased; of a repeated header,
    /// the last value's last comma-separated part, trimmed.
    pub metadata: Vec<(String, String)>,
}

/// The event handlers of one emulator. Cheap to clone.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    settings: SharedSettings,
    key: Secret,
    origin: String,
    /// HTTP, and the hubs' tunnels for `tunnel:///` handlers.
    transport: delivery::Transport,
    options: Options,
    validator: validation::Validator,
    in_flight: Arc<Semaphore>,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("origin", &self.inner.origin)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// One request, built while the caller still holds the connection, sent later.
struct Call {
    hub: String,
    event: String,
    connection_id: String,
    url: url::Url,
    validation_url: String,
    headers: HeaderMap,
    body: Bytes,
    cookies: Arc<std::sync::Mutex<CookieJar>>,
}

impl Upstream {
    /// `access_key` signs every event (`ce-signature`); `origin` is the emulator's host as
    /// handlers should see it in `WebHook-Request-Origin` (e.g. `localhost:8080`).
    pub fn new(
        settings: SharedSettings,
        access_key: &str,
        origin: &str,
        options: Options,
    ) -> Result<Upstream, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("wps/", env!("CARGO_PKG_VERSION")))
            // Handlers are the user's own servers, mostly on this machine: a proxy from the
            // environment would only get in the way (and sees no loopback exemption here).
            .no_proxy()
            // A redirect is an answer, not an invitation to resend the event elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("could not build the HTTP client for event handlers: {e}"))?;
        Ok(Upstream {
            inner: Arc::new(Inner {
                settings,
                key: Secret::new(access_key),
                origin: origin.to_string(),
                transport: delivery::Transport {
                    http,
                    tunnels: Tunnels::default(),
                    origin: origin.to_string(),
                },
                in_flight: Arc::new(Semaphore::new(options.max_in_flight)),
                options,
                validator: validation::Validator::default(),
            }),
        })
    }

    pub fn settings(&self) -> &SharedSettings {
        &self.inner.settings
    }

    /// The hubs' open tunnel connections, which `tunnel:///` handlers send through.
    pub(crate) fn tunnels(&self) -> &Tunnels {
        &self.inner.transport.tunnels
    }

    /// Whether a handler takes `event` on `hub` right now (settings may change later).
    pub fn handles(&self, hub: &str, event: Event<'_>) -> bool {
        self.inner.settings.current().handler(hub, event).is_some()
    }

    /// The blocking `connect` event (id 0). `Ok(None)`: no handler takes it, go on with the
    /// token's values. `Ok(Some)`: accepted; the reply's `ce-connectionState` and cookies
    /// are now on `conn`. `Err`: refuse the client with [`Failure::status`].
    pub async fn connect(
        &self,
        conn: &Connection,
        request: &ConnectRequest,
    ) -> Result<Option<ConnectReply>, Failure> {
        let event = Event::System(SystemEvent::Connect);
        let body = cloudevents::system_body(SystemEvent::Connect, Some(request), None);
        let Some(call) = self.build(conn, event, 0, body, cloudevents::SYSTEM_CONTENT_TYPE, &[])?
        else {
            return Ok(None);
        };
        let parsed = execute(&self.inner, call, |reply| {
            let parsed = parse_connect(&reply.body)?;
            apply_state(conn, &reply.headers)?;
            Ok(parsed)
        })
        .await?;
        Ok(Some(parsed))
    }

    /// The `connected` notification. Returns at once; the call runs in the background.
    pub fn connected(&self, conn: &Connection) {
        let event = Event::System(SystemEvent::Connected);
        let body = cloudevents::system_body(SystemEvent::Connected, None, None);
        let Some(call) = self.notification(conn, event, body) else {
            return;
        };
        let Some(permit) = self.permit(conn, event) else {
            return;
        };
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let _ = execute(&inner, call, |_| Ok(())).await;
            drop(permit);
        });
        *conn
            .connected_call
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(task);
    }

    /// The `disconnected` notification (`{"reason": ...}`). Returns at once; the call runs
    /// in the background, after the connection's `connected` call has finished.
    pub fn disconnected(&self, conn: &Connection, reason: &str) {
        let body = cloudevents::system_body(SystemEvent::Disconnected, None, Some(reason));
        self.disconnected_with(conn, body);
    }

    /// `disconnected` with the body given.
    fn disconnected_with(&self, conn: &Connection, body: Vec<u8>) {
        let event = Event::System(SystemEvent::Disconnected);
        let before = conn
            .connected_call
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(call) = self.notification(conn, event, body) else {
            return;
        };
        let Some(permit) = self.permit(conn, event) else {
            return;
        };
        let inner = self.inner.clone();
        tokio::spawn(async move {
            if let Some(connected) = before {
                let _ = connected.await;
            }
            let _ = execute(&inner, call, |_| Ok(())).await;
            drop(permit);
        });
    }

    /// A user event (`message` for plain WebSocket frames). A reply's `ce-connectionState`
    /// is applied to `conn` before this returns. [`FailureKind::NoHandler`] when no handler
    /// takes the event.
    pub async fn user_event(
        &self,
        conn: &Connection,
        name: &str,
        kind: DataKind,
        data: Bytes,
        metadata: &[(String, String)],
    ) -> Result<UserReply, Failure> {
        let event = Event::User(name);
        let call = self
            .build(
                conn,
                event,
                conn.next_id(),
                data,
                kind.content_type(),
                metadata,
            )?
            .ok_or_else(|| no_handler(conn, name))?;
        execute(&self.inner, call, |reply| {
            let parsed = parse_user_reply(reply)?;
            apply_state(conn, &reply.headers)?;
            Ok(parsed)
        })
        .await
    }

    /// A notification's call, or `None` (no handler, or unsendable: reported, not returned).
    fn notification(&self, conn: &Connection, event: Event<'_>, body: Vec<u8>) -> Option<Call> {
        let id = conn.next_id();
        match self.build(conn, event, id, body, cloudevents::SYSTEM_CONTENT_TYPE, &[]) {
            Ok(call) => call,
            Err(failure) => {
                let report = CallReport {
                    hub: conn.hub.clone(),
                    event: event.name().to_string(),
                    connection_id: conn.connection_id.clone(),
                    url: String::new(),
                    outcome: Err(failure.message),
                    attempts: 0,
                    elapsed: Duration::ZERO,
                };
                (self.inner.options.report)(Report::Call(&report));
                None
            }
        }
    }

    fn permit(
        &self,
        conn: &Connection,
        event: Event<'_>,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let permit = self.inner.in_flight.clone().try_acquire_owned().ok();
        if permit.is_none() {
            (self.inner.options.report)(Report::Dropped {
                event: event.name(),
                connection_id: &conn.connection_id,
            });
        }
        permit
    }

    /// Resolves the handler and builds the request; `Ok(None)` when no handler takes it.
    fn build(
        &self,
        conn: &Connection,
        event: Event<'_>,
        id: u64,
        body: impl Into<Bytes>,
        content_type: &'static str,
        metadata: &[(String, String)],
    ) -> Result<Option<Call>, Failure> {
        let settings = self.inner.settings.current();
        // A connection's own handler (Socket.IO's default mode) serves when no setting does.
        let own = conn.default_handler().filter(|h| h.takes(event));
        let Some(handler) = settings.handler(&conn.hub, event).or(own) else {
            return Ok(None);
        };
        let bad = |m: String| Failure::new(FailureKind::BadRequest, m);
        // A tunnel handler names its hub's tunnel as its host (`tunnel://HUB/PATH`).
        let url_text = tunnel::locate(&handler.url(&conn.hub, event.name()), &conn.hub);
        let url = url::Url::parse(&url_text).map_err(|e| {
            bad(format!(
                "invalid handler URL {}: {e}",
                redact_url(&url_text)
            ))
        })?;
        let signature =
            cloudevents::signature(self.inner.key.expose().as_bytes(), &conn.connection_id);
        let state = conn.state();
        let mut headers = cloudevents::headers(&Envelope {
            hub: &conn.hub,
            connection_id: &conn.connection_id,
            user_id: conn.user_id(),
            subprotocol: conn.subprotocol(),
            state: Some(&state),
            event,
            id,
            origin: &self.inner.origin,
            signature: &signature,
            physical_connection_id: conn.physical_connection_id(),
            session_id: conn.session_id(),
            socket: conn.socket(),
        })
        .map_err(bad)?;
        cloudevents::add_metadata(&mut headers, metadata).map_err(bad)?;
        cloudevents::set_content_type(&mut headers, content_type);
        Ok(Some(Call {
            hub: conn.hub.clone(),
            event: event.name().to_string(),
            connection_id: conn.connection_id.clone(),
            url,
            validation_url: tunnel::locate(&handler.url(&conn.hub, "validate"), &conn.hub),
            headers,
            body: body.into(),
            cookies: conn.cookies(),
        }))
    }
}

/// Validates the URL, sends, keeps cookies of a 2xx, reports. `Ok` only for a 2xx that
/// `accept` takes (what the caller makes of the reply).
async fn execute<T>(
    inner: &Arc<Inner>,
    call: Call,
    accept: impl FnOnce(&delivery::Reply) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let (reply, accepted) = execute_any(inner, call, accept).await?;
    match accepted {
        Some(accepted) => Ok(accepted),
        None => Err(Failure::new(
            FailureKind::Status(reply.status.as_u16()),
            format!("the handler answered {}", reply.status),
        )),
    }
}

/// [`execute`], but any status the handler answered is `Ok` (an MQTT `connect` refusal
/// carries its reason code in the body): with `accept`'s value for a 2xx, `None` otherwise.
/// `accept` runs before the call is reported and its cookies kept, so a 2xx reply the
/// emulator cannot use is logged as the failure it is, not as its 200.
async fn execute_any<T>(
    inner: &Arc<Inner>,
    mut call: Call,
    accept: impl FnOnce(&delivery::Reply) -> Result<T, Failure>,
) -> Result<(delivery::Reply, Option<T>), Failure> {
    let started = Instant::now();
    let authority = authority(&call.url);
    let (outcome, attempts) = match validation::check(inner, &call.validation_url).await {
        Err(why) => (
            Err(Failure::new(
                FailureKind::NotAllowed,
                format!("the handler did not pass validation: {why}"),
            )),
            0,
        ),
        Ok(()) => {
            // Cookies are read now, not when the call was built, so `disconnected` carries
            // what `connected`'s reply set.
            call.cookies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add_to(&authority, &mut call.headers);
            let policy = Policy {
                deadline: started + inner.options.timeout,
                per_attempt: None,
                retry_delays: &inner.options.retry_delays,
                max_body: inner.options.max_reply_bytes,
            };
            delivery::send(
                &inner.transport,
                Method::POST,
                &call.url,
                &call.headers,
                &call.body,
                &policy,
            )
            .await
        }
    };
    let outcome = outcome.and_then(|reply| {
        if !reply.status.is_success() {
            return Ok((reply, None));
        }
        let accepted = accept(&reply).map_err(|f| {
            Failure::new(
                f.kind,
                format!("the handler answered {}, but {}", reply.status, f.message),
            )
        })?;
        call.cookies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .store(&authority, &reply.headers);
        Ok((reply, Some(accepted)))
    });
    let report = CallReport {
        hub: call.hub,
        event: call.event,
        connection_id: call.connection_id,
        url: redact_url(call.url.as_str()),
        outcome: match &outcome {
            Ok((reply, _)) => Ok(reply.status.as_u16()),
            Err(f) => Err(f.message.clone()),
        },
        attempts,
        elapsed: started.elapsed(),
    };
    (inner.options.report)(Report::Call(&report));
    outcome
}

fn authority(url: &url::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn bad_reply(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::BadReply, message)
}

/// A 2xx reply's `ce-connectionState`, if any, becomes the connection's (an empty value
/// clears it). Only blocking events get here: the docs say only they may set state.
fn apply_state(conn: &Connection, headers: &HeaderMap) -> Result<(), Failure> {
    let mut values = headers.get_all(CONNECTION_STATE).iter();
    let Some(value) = values.next() else {
        return Ok(());
    };
    if values.next().is_some() {
        return Err(bad_reply(
            "the handler sent more than one ce-connectionState header",
        ));
    }
    let state = value
        .to_str()
        .map_err(|_| bad_reply("the handler's ce-connectionState is not ASCII text"))?;
    conn.set_state(state.to_string());
    Ok(())
}

/// `{userId, groups, roles, subprotocol}`, property names in any case (as the official
/// emulator's JSON reader takes them), whatever the Content-Type. Empty or `null`: no change.
fn parse_connect(body: &[u8]) -> Result<ConnectReply, Failure> {
    use serde_json::Value;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ConnectReply::default());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad_reply(format!("the connect reply is not JSON: {e}")))?;
    let obj = match value {
        Value::Null => return Ok(ConnectReply::default()),
        Value::Object(obj) => obj,
        _ => return Err(bad_reply("the connect reply must be a JSON object")),
    };
    let field = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let string = |name: &str| -> Result<Option<String>, Failure> {
        match field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad_reply(format!(
                "the connect reply's {name} must be a string"
            ))),
        }
    };
    let list = |name: &str| -> Result<Option<Vec<String>>, Failure> {
        match field(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| bad_reply(format!("the connect reply's {name} must be strings"))),
            Some(_) => Err(bad_reply(format!(
                "the connect reply's {name} must be an array"
            ))),
        }
    };
    let groups = list("groups")?.filter(|g| !g.is_empty());
    if let Some(bad) = groups
        .iter()
        .flatten()
        .find(|g| !crate::client::operations::is_valid_group_name(g))
    {
        return Err(bad_reply(format!(
            "the connect reply names an invalid group {bad:?}"
        )));
    }
    // Both go out in a header of every later event of the connection (ce-userId,
    // ce-subprotocol): one that cannot would fail them all, so it fails the connect.
    let header = |name: &str, header: &str| -> Result<Option<String>, Failure> {
        let value = string(name)?;
        match &value {
            Some(v) if !cloudevents::fits_a_header(v) => Err(bad_reply(format!(
                "the connect reply's {name} has characters an HTTP header cannot carry \
                 (CR, LF or another control character), and it would be sent as {header}"
            ))),
            _ => Ok(value),
        }
    };
    Ok(ConnectReply {
        user_id: header("userId", "ce-userId")?,
        groups,
        roles: list("roles")?,
        subprotocol: header("subprotocol", "ce-subprotocol")?,
        socketio: field("socketio").map(|v| v.to_string()),
    })
}

/// The reply's kind from its Content-Type: text/plain, application/json,
/// application/octet-stream, application/x-protobuf (an encoded `google.protobuf.Any`); none
/// means binary (HTTP's default); an empty body is text whatever it says. Text must be UTF-8,
/// JSON must parse and protobuf must be an Any, so the session never sends a frame or message
/// it cannot encode.
fn parse_user_reply(reply: &delivery::Reply) -> Result<UserReply, Failure> {
    let metadata = reply_metadata(&reply.headers);
    let media = reply.headers.get(CONTENT_TYPE).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let kind = if reply.body.is_empty() {
        DataKind::Text
    } else {
        match media.as_deref() {
            None => DataKind::Binary,
            Some("text/plain") => DataKind::Text,
            Some("application/json") => DataKind::Json,
            Some("application/octet-stream") => DataKind::Binary,
            Some("application/x-protobuf") => DataKind::Protobuf,
            Some(other) => {
                return Err(bad_reply(format!(
                    "the handler's reply has content type {other:?}; use text/plain, application/json, application/octet-stream or application/x-protobuf"
                )))
            }
        }
    };
    match kind {
        DataKind::Text if std::str::from_utf8(&reply.body).is_err() => {
            return Err(bad_reply("the handler's text reply is not UTF-8"))
        }
        DataKind::Json if serde_json::from_slice::<serde::de::IgnoredAny>(&reply.body).is_err() => {
            return Err(bad_reply("the handler's JSON reply does not parse"))
        }
        DataKind::Protobuf
            if <crate::client::proto::Any as prost::Message>::decode(&reply.body[..]).is_err() =>
        {
            return Err(bad_reply(
                "the handler's protobuf reply is not an encoded google.protobuf.Any",
            ))
        }
        _ => {}
    }
    Ok(UserReply {
        kind,
        data: reply.body.clone(),
        metadata,
    })
}

fn reply_metadata(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for name in headers.keys() {
        // Header names arrive lowercased.
        let Some(key) = name.as_str().strip_prefix(METADATA_PREFIX) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let Some(last) = headers.get_all(name).iter().next_back() else {
            continue;
        };
        let text = String::from_utf8_lossy(last.as_bytes());
        let value = text.rsplit(',').next().unwrap_or("").trim().to_string();
        out.push((key.to_string(), value));
    }
    out
}

/// A user event no handler of the connection's hub takes.
fn no_handler(conn: &Connection, name: &str) -> Failure {
    Failure::new(
        FailureKind::NoHandler,
        format!(
            "no event handler takes the event '{name}' on hub '{}'",
            conn.hub()
        ),
    )
}

#[cfg(test)]
mod tests;

/// Where events go and how calls behave: `wps emulator --event-handler`, `--settings`.
#[derive(Debug, Clone)]
pub struct EventHandlerConfig {
    /// `HUB=URL_TEMPLATE` values (`HUB` may be `*`), before the file's handlers.
    pub flags: Vec<String>,
    /// A TOML or `appsettings.json` file with per-hub handler lists, watched for changes.
    pub settings_file: Option<std::path::PathBuf>,
    /// One call, retries included.
    pub timeout: Duration,
    /// Retries wait this × 1, 3, 5.
    pub retry_base: Duration,
}

impl Default for EventHandlerConfig {
    fn default() -> Self {
        EventHandlerConfig {
            flags: Vec::new(),
            settings_file: None,
            timeout: Options::default().timeout,
            retry_base: Duration::from_secs(1),
        }
    }
}

/// How often the settings file is checked for changes.
const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// The handlers of a starting emulator and the watcher of its settings file (if any).
/// Validation verdicts and reloads are always said on stderr (they explain why a handler
/// hears nothing); each call only with `verbose`. `tap` hears every report too (the
/// dashboard's activity log).
pub(crate) fn start(
    config: &EventHandlerConfig,
    access_key: &str,
    origin: &str,
    verbose: u8,
    tap: Reporter,
) -> Result<(Upstream, Option<tokio::task::JoinHandle<()>>), String> {
    let source = watch::Source {
        flags: settings::Settings::from_flags(&config.flags)?,
        file: config.settings_file.clone(),
    };
    let shared = SharedSettings::new(source.load()?);
    let print = move |report: Report<'_>| match report {
        Report::Call(call) if verbose >= 1 => eprintln!("emulator: {call}"),
        Report::Call(_) => {}
        Report::Validation {
            url,
            refused: Some(why),
        } => eprintln!("emulator: event handler {url} gets no events: {why}"),
        Report::Validation { url, refused: None } if verbose >= 1 => {
            eprintln!("emulator: event handler {url} accepted the emulator's origin")
        }
        Report::Validation { .. } => {}
        Report::Dropped {
            event,
            connection_id,
        } => eprintln!(
            "emulator: dropped the {event} event of {connection_id}: too many calls in flight"
        ),
    };
    let report: Reporter = Arc::new(move |report| {
        tap(report);
        print(report);
    });
    let options = Options {
        timeout: config.timeout,
        report,
        ..Options::default()
    }
    .with_retry_base(config.retry_base);
    let upstream = Upstream::new(shared.clone(), access_key, origin, options)?;
    let watcher = watch::watch(source, shared, RELOAD_INTERVAL, |reload| match reload {
        watch::Reload::Applied(settings) => {
            eprintln!("emulator: settings reloaded; event handlers now:");
            eprintln!("{}", settings.describe());
        }
        watch::Reload::Rejected(why) => {
            eprintln!(
                "emulator: the settings file was not reloaded (the previous handlers stay): {why}"
            )
        }
    });
    Ok((upstream, watcher))
}
