//! A client for the Azure Web PubSub data-plane REST API.
//!
//! Every request is what the official SDKs send for the same call: method, path (names encoded
//! as single segments), query order, content type, body, and a fresh HS256 token whose `aud` is
//! the full URL. The client owns auth, retries, timeouts, the user agent and request logging;
//! callers use the typed methods in [`operations`].
//!
//! # A short tour
//!
//! - **Connect**: [`ConnectionString::parse`] takes the string from the portal
//!   (`Endpoint=...;AccessKey=...;Version=1.0;`), and [`Client::new`] turns it into a client
//!   that signs each request with the key. Nothing is sent until the first call.
//! - **Call**: one `async` method per REST operation ([`Client::send_to_all`],
//!   [`Client::add_connection_to_group`], [`Client::connection_exists`],
//!   [`Client::list_connections`], [`Client::close_connection`], ...). Each documents its
//!   path and the status it treats as success. Every operation also has a `*_request` twin
//!   that builds the exact request without sending it, for dry runs.
//! - **Errors**: every method returns [`ClientError`]; [`ClientError::kind`] sorts it into
//!   an [`ErrorKind`] (bad config, refused input, auth, other rejection, unavailable), which
//!   is what a caller usually branches on.
//! - **Retries and timeouts**: [`ClientOptions`] sets the per-attempt timeout and how many
//!   times 408, 429, 5xx and connection failures are retried (exponential backoff with full
//!   jitter, `Retry-After` honoured).
//! - **Microsoft Entra ID**: instead of a key, build a `Credential::Entra` from an
//!   `entra::EntraCredential` (cargo feature `entra`, on by default) and pass it to
//!   [`Client::with_credential`]. Client tokens then come from the service
//!   (`Client::generate_client_token`); with a key they are signed locally by
//!   [`client_access_token`].
//! - **Receiving**: [`subscriber::Subscriber`] is a WebSocket client of the hub's client
//!   endpoint, to watch what the REST calls deliver; [`session::Session`] keeps one open
//!   across drops (reconnecting, resuming a reliable connection) and sends as well. Both
//!   speak the JSON subprotocols and the protobuf ones, whose wire messages are in [`proto`].
//!
//! # Examples
//!
//! Both examples run against the in-process [`emulator`](crate::emulator); against Azure,
//! parse the connection string from the portal instead.
//!
//! A subscriber joins a group and receives what is sent to it:
//!
//! ```
//! use wps::client::subscriber::{Event, Subscriber};
//! use wps::client::{
//!     client_access_token, now_secs, Client, ClientOptions, ClientTokenRequest,
//!     ConnectionString, Payload, SendOptions,
//! };
//! use wps::emulator::{self, EmulatorConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = emulator::start(EmulatorConfig { port: 0, ..EmulatorConfig::default() }).await?;
//! let client = Client::new(
//!     ConnectionString::parse(&service.connection_string())?,
//!     ClientOptions::default(),
//! )?;
//!
//! // A client token signed locally with the key, as the SDKs' get_client_access_token does.
//! let signer = client.signer().ok_or("not a key credential")?;
//! let token_request = ClientTokenRequest {
//!     user: Some("alice".into()),
//!     minutes_to_expire: 60,
//!     ..ClientTokenRequest::default()
//! };
//! let access = client_access_token(client.endpoint(), "chat", signer, &token_request, now_secs())?;
//!
//! // With the JSON subprotocol, the first frame says which connection this is.
//! let mut alice = Subscriber::connect(&access.url, Some("json.webpubsub.azure.v1")).await?;
//! let Some(Event::Json(connected)) = alice.next().await? else {
//!     return Err("no connected event".into());
//! };
//! let id = connected["connectionId"].as_str().ok_or("no connectionId")?.to_string();
//!
//! client.add_connection_to_group("chat", "team", &id).await?;
//! assert!(client.group_exists("chat", "team").await?);
//! client.send_to_group("chat", "team", &Payload::text("hi"), &SendOptions::default()).await?;
//!
//! let Some(Event::Json(message)) = alice.next().await? else {
//!     return Err("no message".into());
//! };
//! assert_eq!(message["group"], "team");
//! assert_eq!(message["data"], "hi");
//!
//! let members = client.list_connections("chat", "team", None, None).await?;
//! assert_eq!(members[0].user_id.as_deref(), Some("alice"));
//!
//! client.close_connection("chat", &id, Some("done")).await?;
//! assert!(!client.connection_exists("chat", &id).await?);
//! service.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Telling failures apart by [`ErrorKind`], with retries turned off:
//!
//! ```
//! use std::time::Duration;
//! use wps::client::{Client, ClientOptions, ConnectionString, ErrorKind, Payload, SendOptions};
//! use wps::emulator::{self, EmulatorConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = emulator::start(EmulatorConfig { port: 0, ..EmulatorConfig::default() }).await?;
//! let options = ClientOptions {
//!     retries: 0,
//!     timeout: Duration::from_secs(5),
//!     ..ClientOptions::default()
//! };
//! let hello = Payload::text("hello");
//! let send = SendOptions::default();
//!
//! // A key the service does not know: 401, which is never retried.
//! let wrong_key = format!("Endpoint=http://{};AccessKey={};Version=1.0;", service.addr(), "x".repeat(44));
//! let client = Client::new(ConnectionString::parse(&wrong_key)?, options.clone())?;
//! let err = client.send_to_all("chat", &hello, &send).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Auth);
//!
//! // Input the service would refuse is refused before anything is sent.
//! let err = client.send_to_all("1-not-a-hub", &hello, &send).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Invalid);
//!
//! // Nothing listening: a transport error, reported as the service being unavailable.
//! let addr = service.addr();
//! service.shutdown().await;
//! let gone = format!("Endpoint=http://{addr};AccessKey={};Version=1.0;", "x".repeat(44));
//! let client = Client::new(ConnectionString::parse(&gone)?, options)?;
//! let err = client.send_to_all("chat", &hello, &send).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Unavailable);
//! assert_eq!(err.attempts(), Some(1));
//! # Ok(())
//! # }
//! ```

mod auth;
mod connstr;
pub mod entra;
mod error;
pub mod operations;
pub mod proto;
mod protocol;
mod roots;
mod secret;
pub mod session;
pub mod subscriber;
pub mod tunnel;

use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};

pub use auth::{client_access_token, verify_hs256, ClientAccess, ClientTokenRequest, ClientType};
pub use auth::{now_secs, ClientClaims, KeySigner, REST_TOKEN_LIFETIME_SECS};
pub use connstr::{is_loopback, normalize_endpoint, without_userinfo, ConnectionString};
pub use error::{ClientError, ErrorKind};
pub use operations::{Payload, SendOptions};
pub use protocol::Protocol;
pub use secret::Secret;

/// The api-version the official SDKs send today.
pub const DEFAULT_API_VERSION: &str = "2024-12-01";
/// The service's message size limit (1 MiB), enforced before sending.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// The most of a response body the client reads. The service's largest answer is one page of
/// a group's connections (well under 1 MiB); 16 MiB leaves room for any proxy's error page,
/// while a server that streams without end fails the request instead of exhausting memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Knobs that are the same for every request of one client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Sent as the `api-version` query parameter of every request.
    pub api_version: String,
    /// Per attempt, covering connect, send and reading the body; connecting alone is
    /// further capped at 10 s.
    pub timeout: Duration,
    /// Retries after the first attempt (0 disables them).
    pub retries: u32,
    /// 0 quiet, 1 request lines, 2 adds headers and body previews (secrets redacted).
    pub verbose: u8,
    /// Base delay of the exponential backoff.
    pub retry_base_delay: Duration,
    /// Upper bound of any one wait between attempts, including one asked for by
    /// `Retry-After`.
    pub retry_max_delay: Duration,
    /// A reverse proxy in front of the service (API Management, Application Gateway), as the
    /// SDKs' `reverse_proxy_endpoint`: requests go to it, the endpoint replaced by this base
    /// URL, while each token's audience stays the service's own URL. Normalized like an
    /// endpoint (see [`normalize_endpoint`]).
    pub reverse_proxy: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_version: DEFAULT_API_VERSION.to_string(),
            timeout: Duration::from_secs(30),
            retries: 3,
            verbose: 0,
            retry_base_delay: Duration::from_millis(800),
            retry_max_delay: Duration::from_secs(30),
            reverse_proxy: None,
        }
    }
}

/// One data-plane request before it is signed: method, encoded path under the endpoint,
/// query pairs in wire order (values raw, encoded when built), optional body.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: reqwest::Method,
    /// Path under the endpoint, starting with `/` and already percent-encoded
    /// (e.g. `/api/hubs/chat/:send`).
    pub path: String,
    /// Query pairs in the order they go on the wire; values are raw and encoded by
    /// [`Client::url`].
    pub query: Vec<(String, String)>,
    /// Body and its content type; `None` sends no body (`Content-Length: 0` on POST/PUT/DELETE).
    pub body: Option<Payload>,
    /// `Accept` header: the SDK sends `*/*` on HEAD, `application/json` otherwise.
    pub accept: &'static str,
    /// More headers, in order (message metadata: `X-WebPubSub-Metadata-<key>`).
    pub headers: Vec<(String, String)>,
    /// The statuses that answer this operation (`202` for a send, `200, 404` for an exists
    /// check); [`Client::execute`] turns any other into a [`ClientError::Status`]. Empty for a
    /// raw request, whose caller judges every status itself.
    pub expect: &'static [u16],
}

/// What came back: status, body and the service's request id, if any.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status of the last attempt.
    pub status: u16,
    /// Response body, possibly empty.
    pub body: bytes::Bytes,
    /// `x-ms-request-id` (or `x-ms-client-request-id`), worth quoting in a support request.
    pub request_id: Option<String>,
    /// How many attempts were made, 1 when the first one was final.
    pub attempts: u32,
}

/// How requests are authorized.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A fresh HS256 token per request, signed with the access key.
    Key(KeySigner),
    /// An Entra ID access token, fetched once and reused while valid.
    #[cfg(feature = "entra")]
    Entra(entra::EntraCredential),
}

/// The Web PubSub REST client. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    credential: Credential,
    options: ClientOptions,
}

impl Client {
    /// A client that signs every request with the connection string's access key.
    ///
    /// Fails only if the HTTP client cannot be built ([`ClientError::Transport`]); nothing
    /// is sent until the first call.
    pub fn new(connection: ConnectionString, options: ClientOptions) -> Result<Self, ClientError> {
        let signer = KeySigner::new(&connection.access_key);
        Self::with_credential(connection.endpoint, Credential::Key(signer), options)
    }

    /// A client for a normalized endpoint (see [`normalize_endpoint`]). Entra tokens are
    /// refused over plain http except to this machine.
    pub fn with_credential(
        endpoint: String,
        credential: Credential,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        if !matches!(credential, Credential::Key(_)) {
            entra::check_endpoint_for_bearer(&endpoint)?;
        }
        let builder = reqwest::Client::builder()
            .user_agent(concat!("wps/", env!("CARGO_PKG_VERSION")))
            // A 3xx is an answer (see `execute`): following one would send the payload, and
            // with a 307/308 the body again, to a host the user never configured.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)));
        // Trusted roots only when requests go over https: `SSL_CERT_FILE` is often the system
        // bundle (some 220 KB of PEM, each certificate parsed), which cost every run against a
        // plain-http endpoint such as the emulator's about a millisecond for nothing. Redirects
        // are not followed, so this client never leaves its base URL's scheme.
        let builder = if is_https(options.reverse_proxy.as_deref().unwrap_or(&endpoint)) {
            roots::trust_extra_roots(builder)?
        } else {
            builder.tls_built_in_root_certs(false)
        };
        let http = builder.build().map_err(|e| ClientError::Transport {
            attempts: 0,
            detail: format!("could not build the HTTP client: {e}"),
        })?;
        Ok(Client {
            http,
            endpoint,
            credential,
            options,
        })
    }

    /// The normalized endpoint every request path is appended to (no trailing `/`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The key signer, when the client signs with an access key.
    pub fn signer(&self) -> Option<&KeySigner> {
        match &self.credential {
            Credential::Key(signer) => Some(signer),
            #[cfg(feature = "entra")]
            Credential::Entra(_) => None,
        }
    }

    /// How this client authorizes its requests.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The full URL of a request on the service, as its token's `aud` names it; without a
    /// reverse proxy, also where it is sent.
    pub fn url(&self, request: &Request) -> String {
        self.url_at(&self.endpoint, request)
    }

    /// Where a request is sent: [`url`](Self::url), or the same path and query on the
    /// reverse proxy.
    pub fn send_url(&self, request: &Request) -> String {
        self.url_at(self.base(), request)
    }

    /// Where requests go: the reverse proxy, or the endpoint.
    fn base(&self) -> &str {
        self.options
            .reverse_proxy
            .as_deref()
            .unwrap_or(&self.endpoint)
    }

    fn url_at(&self, base: &str, request: &Request) -> String {
        let mut url = format!("{base}{}", request.path);
        for (i, (k, v)) in request.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(&operations::encode(v));
        }
        url
    }

    /// Signs and sends a request, retrying 408/429/500/502/503/504 and connection errors with
    /// exponential backoff and full jitter (honouring `Retry-After`, capped at
    /// `retry_max_delay`). A redirect (3xx) is never followed: it is a
    /// [`ClientError::Redirect`] naming its `Location`, whatever `request.expect` says. A
    /// status in `request.expect` (any status when it is empty) is returned as a [`Response`]
    /// carrying the number of attempts; any other is a [`ClientError::Status`].
    pub async fn execute(&self, request: &Request) -> Result<Response, ClientError> {
        let resp = self.execute_any(request).await?;
        if request.expect.is_empty() || request.expect.contains(&resp.status) {
            Ok(resp)
        } else {
            Err(ClientError::from_response(
                resp.status,
                &resp.body,
                resp.attempts,
            ))
        }
    }

    async fn execute_any(&self, request: &Request) -> Result<Response, ClientError> {
        let url = self.send_url(request);
        let audience = self.url(request);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = self.attempt(request, &url, &audience).await;
            let last = attempt > self.options.retries;
            let retry_after = match result {
                Ok((resp, retry_after)) => {
                    self.log(request, &url, &resp, attempt, started);
                    if (300..400).contains(&resp.status) {
                        return Err(ClientError::Redirect {
                            from: "the service",
                            status: resp.status,
                            location: resp.location,
                            attempts: attempt,
                        });
                    }
                    if last || !is_retryable_status(resp.status) {
                        return Ok(Response {
                            status: resp.status,
                            body: resp.body,
                            request_id: resp.request_id,
                            attempts: attempt,
                        });
                    }
                    retry_after
                }
                Err(e) => {
                    self.log(request, &url, &e, attempt, started);
                    if last || !e.is_retryable() {
                        return Err(e.with_attempts(attempt));
                    }
                    None
                }
            };
            let delay = self.backoff(attempt, retry_after);
            if self.options.verbose >= 1 {
                eprintln!(
                    "  retrying in {} ms (attempt {} of {})",
                    delay.as_millis(),
                    attempt + 1,
                    self.options.retries + 1
                );
            }
            tokio::time::sleep(delay).await;
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.options.retry_max_delay);
        }
        let exp = self
            .options
            .retry_base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.options.retry_max_delay);
        // Full jitter: a uniform delay in [0, exp] spreads retries of a bulk run apart.
        exp.mul_f64(rand::random::<f64>())
    }

    async fn attempt(
        &self,
        request: &Request,
        url: &str,
        audience: &str,
    ) -> Result<(RawResponse, Option<Duration>), ClientError> {
        let token = match &self.credential {
            Credential::Key(signer) => signer.rest_token(audience)?,
            #[cfg(feature = "entra")]
            Credential::Entra(entra) => entra.token().await?,
        };
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .header(ACCEPT, request.accept)
            .header(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|e| ClientError::Signing(e.to_string()))?,
            );
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        match &request.body {
            Some(payload) => {
                builder = builder
                    .header(CONTENT_TYPE, payload.content_type.as_str())
                    .body(payload.body.clone());
            }
            None if request.method != reqwest::Method::HEAD
                && request.method != reqwest::Method::GET =>
            {
                builder = builder.header(CONTENT_LENGTH, "0");
            }
            None => {}
        }
        if self.options.verbose >= 2 {
            eprintln!("> {} {}", request.method, without_userinfo(url));
            eprintln!("> accept: {}", request.accept);
            eprintln!("> authorization: Bearer <redacted>");
            for (name, value) in &request.headers {
                eprintln!("> {}: {value}", name.to_ascii_lowercase());
            }
            if let Some(p) = &request.body {
                eprintln!("> content-type: {}", p.content_type);
                eprintln!("> body: {}", secret::redacted_preview(p));
            }
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| ClientError::from_reqwest(&e, self.base(), self.options.timeout))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let request_id = ["x-ms-request-id", "x-ms-client-request-id"]
            .iter()
            .find_map(|h| resp.headers().get(*h))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let location = if (300..400).contains(&status) {
            error::shown_location(resp.headers().get(LOCATION))
        } else {
            None
        };
        // Only -vv shows it; not copied otherwise.
        let content_type = if self.options.verbose >= 2 {
            resp.headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        } else {
            None
        };
        let body = read_body(resp, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => ClientError::ResponseTooLarge {
                    endpoint: without_userinfo(self.base()).into_owned(),
                    limit: MAX_RESPONSE_BYTES,
                    attempts: 1,
                },
                BodyError::Read(e) => {
                    ClientError::from_reqwest(&e, self.base(), self.options.timeout)
                }
            })?;
        if self.options.verbose >= 2 {
            if let Some(ct) = &content_type {
                eprintln!("< content-type: {ct}");
            }
            if let Some(id) = &request_id {
                eprintln!("< x-ms-request-id: {id}");
            }
            if !body.is_empty() {
                let preview = secret::redacted_preview(&Payload {
                    content_type: content_type.unwrap_or_default(),
                    body: body.clone(),
                });
                eprintln!("< body: {preview}");
            }
        }
        Ok((
            RawResponse {
                status,
                body,
                request_id,
                location,
            },
            retry_after,
        ))
    }

    /// `-v`: one line per attempt. URLs carry no secret (the token travels in a header; user
    /// info is left out).
    // The outcome is formatted only when it is printed: this runs once per request.
    fn log(
        &self,
        request: &Request,
        url: &str,
        outcome: &dyn std::fmt::Display,
        attempt: u32,
        started: Instant,
    ) {
        if self.options.verbose >= 1 {
            let nth = if attempt > 1 {
                format!(" attempt {attempt}")
            } else {
                String::new()
            };
            eprintln!(
                "{} {} -> {} ({} ms{nth})",
                request.method,
                without_userinfo(url),
                outcome,
                started.elapsed().as_millis()
            );
        }
    }
}

struct RawResponse {
    status: u16,
    body: bytes::Bytes,
    request_id: Option<String>,
    /// A redirect's `Location`, as an error may show it.
    location: Option<String>,
}

impl std::fmt::Display for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Why a response body could not be read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It passed the limit (by its `Content-Length` or as it arrived); the rest was not read.
    TooLarge,
    Read(reqwest::Error),
}

/// Reads a response body of at most `limit` bytes, chunk by chunk, so a body that is too large
/// (or never ends) costs at most `limit` bytes of memory.
pub(crate) async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether a URL's scheme is https (any case).
fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` as delta seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        let soon = std::time::SystemTime::now() + Duration::from_secs(30);
        let d = parse_retry_after(&httpdate::fmt_http_date(soon)).unwrap();
        assert!(
            d > Duration::from_secs(28) && d <= Duration::from_secs(30),
            "{d:?}"
        );
    }

    fn client(base_ms: u64, max_ms: u64) -> Client {
        let cs = ConnectionString::parse("Endpoint=http://127.0.0.1:1;AccessKey=k").unwrap();
        Client::new(
            cs,
            ClientOptions {
                retry_base_delay: Duration::from_millis(base_ms),
                retry_max_delay: Duration::from_millis(max_ms),
                ..ClientOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn backoff_is_full_jitter_under_a_growing_cap() {
        let c = client(100, 1_000);
        for attempt in 1..=6u32 {
            let cap = Duration::from_millis((100u64 << (attempt - 1)).min(1_000));
            let delays: Vec<Duration> = (0..200).map(|_| c.backoff(attempt, None)).collect();
            assert!(delays.iter().all(|d| *d <= cap), "attempt {attempt}");
            // Full jitter spreads delays over the whole range, not just near the cap.
            assert!(delays.iter().any(|d| *d < cap / 2), "attempt {attempt}");
        }
        assert!(c.backoff(40, None) <= Duration::from_secs(1));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let c = client(100, 5_000);
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 202, 400, 401, 403, 404, 409, 413, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
