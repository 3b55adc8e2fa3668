//! Sending one request to a handler: retries, deadlines, a capped reply body.
//!
//! Retried (with the delays given, 1 s, 3 s, 5 s by default, as the official emulator
//! does): 408, any 5xx, and failures to reach the handler. Not retried: other statuses,
//! timeouts (the handler may still be working on it), and replies that break a rule.
//! Retries resend the same event, so a handler may see it twice; the service does the same.
//!
//! A `tunnel://HUB/PATH` URL goes through that hub's tunnel connections instead of HTTP, with
//! the same rules: no tunnel connected (or the connection dropping before it answers) is a
//! handler that cannot be reached, and the deadlines bound the wait for the answer.

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use crate::client::tunnel as tunnel_wire;
use crate::emulator::tunnel::{Failed, Outgoing, Tunnels, MAX_ANSWER};

/// Why a call did not give a usable reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// No handler takes this event (only user events report it; see `Upstream::user_event`).
    NoHandler,
    /// The handler's URL did not pass abuse-protection validation.
    NotAllowed,
    /// The handler answered with this non-2xx status.
    Status(u16),
    /// No complete answer in time.
    Timeout,
    /// The handler could not be reached.
    Network,
    /// The reply body was over the cap.
    TooLarge,
    /// A 2xx reply the emulator cannot use (bad JSON, unknown content type, ...).
    BadReply,
    /// The event itself cannot be sent (a header value HTTP cannot carry, ...).
    BadRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// For logs; never contains the handler's reply body or URL query values.
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// The status to refuse a connecting client with: the handler's own non-2xx status
    /// (401, 403, ...), else 500, as the service and the official emulator do.
    pub fn status(&self) -> u16 {
        match self.kind {
            FailureKind::Status(s) => s,
            _ => 500,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// How hard to try.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The end of the whole call, retries and their delays included.
    pub deadline: Instant,
    /// Also a bound on each attempt (validation: 10 s each).
    pub per_attempt: Option<Duration>,
    pub retry_delays: &'a [Duration],
    pub max_body: usize,
}

/// A reply: the status, its headers and (for 2xx only) its body, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Where requests go: HTTP handlers through `http`; `tunnel://HUB/PATH` handlers through that
/// hub's tunnel connections, as HttpRequest messages with the same method, headers and body.
#[derive(Debug, Clone)]
pub struct Transport {
    pub http: reqwest::Client,
    pub(crate) tunnels: Tunnels,
    /// The emulator's host, which the URL of a tunnelled request names (its client uses only
    /// the path and query).
    pub origin: String,
}

/// An answer whose body may still be on its way (HTTP) or is here whole (tunnel).
enum Answer {
    Http(reqwest::Response),
    Tunnel {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
}

impl Answer {
    fn status(&self) -> StatusCode {
        match self {
            Answer::Http(r) => r.status(),
            Answer::Tunnel { status, .. } => *status,
        }
    }

    fn headers(&self) -> HeaderMap {
        match self {
            Answer::Http(r) => r.headers().clone(),
            Answer::Tunnel { headers, .. } => headers.clone(),
        }
    }

    /// The whole body, or a failure as soon as it is known to be over `max`.
    async fn body(self, max: usize) -> Result<Bytes, Failure> {
        match self {
            Answer::Http(r) => read_capped(r, max).await,
            Answer::Tunnel { body, .. } if body.len() > max => Err(too_large(max)),
            Answer::Tunnel { body, .. } => Ok(body),
        }
    }
}

/// Why an attempt got no answer.
enum Unanswered {
    Timeout,
    /// Could not reach the handler (retried), with the message to report.
    Network(String),
    /// An answer that is no use (not retried).
    Final(Failure),
}

impl Transport {
    async fn attempt(
        &self,
        method: &Method,
        url: &url::Url,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Answer, Unanswered> {
        if url.scheme() == "tunnel" {
            return self.through_tunnel(method, url, headers, body).await;
        }
        let request = self
            .http
            .request(method.clone(), url.clone())
            .headers(headers.clone())
            .body(body.clone());
        match request.send().await {
            Ok(r) => Ok(Answer::Http(r)),
            Err(e) if e.is_timeout() => Err(Unanswered::Timeout),
            Err(e) => Err(Unanswered::Network(network(&e))),
        }
    }

    async fn through_tunnel(
        &self,
        method: &Method,
        url: &url::Url,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Answer, Unanswered> {
        let hub = url.host_str().unwrap_or("");
        let mut target = format!("http://{}{}", self.origin, url.path());
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let mut sent = tunnel_wire::Headers::new();
        for (name, value) in headers {
            sent.entry(name.as_str().to_string())
                .or_default()
                .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        let outgoing = Outgoing {
            method: method.as_str(),
            url: target,
            headers: sent,
            body: body.clone(),
        };
        let answer = self
            .tunnels
            .request(hub, outgoing)
            .await
            .map_err(|e| match e {
                Failed::Unreachable(why) => {
                    Unanswered::Network(format!("the handler could not be reached: {why}"))
                }
                Failed::TooLarge => Unanswered::Final(too_large(MAX_ANSWER)),
            })?;
        let status = StatusCode::from_u16(answer.status).map_err(|_| {
            Unanswered::Network(format!(
                "the tunnel client answered with status {}, which is not one",
                answer.status
            ))
        })?;
        let mut map = HeaderMap::new();
        for (name, values) in &answer.headers {
            let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                continue;
            };
            for v in values {
                if let Ok(v) = HeaderValue::from_str(v) {
                    map.append(name.clone(), v);
                }
            }
        }
        Ok(Answer::Tunnel {
            status,
            headers: map,
            body: answer.body,
        })
    }
}

/// Sends until a reply that is not retried, the retries run out or the deadline passes.
/// Returns the outcome and how many attempts were made.
pub async fn send(
    transport: &Transport,
    method: Method,
    url: &url::Url,
    headers: &HeaderMap,
    body: &Bytes,
    policy: &Policy<'_>,
) -> (Result<Reply, Failure>, u32) {
    let mut attempts = 0u32;
    loop {
        let now = Instant::now();
        if now >= policy.deadline {
            return (Err(timeout()), attempts);
        }
        attempts += 1;
        let attempt_end = match policy.per_attempt {
            Some(limit) => policy.deadline.min(now + limit),
            None => policy.deadline,
        };
        let outcome =
            tokio::time::timeout_at(attempt_end, transport.attempt(&method, url, headers, body))
                .await;
        let delay = policy.retry_delays.get(attempts as usize - 1).copied();
        // Only retry when the delay leaves time for another attempt.
        let may_retry = delay.filter(|d| Instant::now() + *d < policy.deadline);
        match outcome {
            Err(_) | Ok(Err(Unanswered::Timeout)) => return (Err(timeout()), attempts),
            Ok(Err(Unanswered::Final(f))) => return (Err(f), attempts),
            Ok(Err(Unanswered::Network(why))) => match may_retry {
                Some(d) => tokio::time::sleep(d).await,
                None => return (Err(Failure::new(FailureKind::Network, why)), attempts),
            },
            Ok(Ok(response)) => {
                let status = response.status();
                let retryable = status == StatusCode::REQUEST_TIMEOUT || status.is_server_error();
                if let (true, Some(d)) = (retryable, may_retry) {
                    drop(response);
                    tokio::time::sleep(d).await;
                    continue;
                }
                let headers = response.headers();
                let body = if status.is_success() {
                    match tokio::time::timeout_at(attempt_end, response.body(policy.max_body)).await
                    {
                        Err(_) => return (Err(timeout()), attempts),
                        Ok(Err(f)) => return (Err(f), attempts),
                        Ok(Ok(body)) => body,
                    }
                } else {
                    // Error bodies are never forwarded; only an MQTT `connect` refusal is read
                    // (its reason code), so a little of one is kept, briefly, and a body that
                    // will not come is no error.
                    let until = attempt_end.min(Instant::now() + ERROR_BODY_TIMEOUT);
                    match tokio::time::timeout_at(until, response.body(MAX_ERROR_BODY)).await {
                        Ok(Ok(body)) => body,
                        _ => Bytes::new(),
                    }
                };
                return (
                    Ok(Reply {
                        status,
                        headers,
                        body,
                    }),
                    attempts,
                );
            }
        }
    }
}

/// How much of an error reply is read, and for how long.
const MAX_ERROR_BODY: usize = 16 * 1024;
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(2);

fn timeout() -> Failure {
    Failure::new(FailureKind::Timeout, "the handler did not answer in time")
}

/// The innermost cause ("Connection refused (os error 111)"); reqwest's own message
/// would repeat the URL, query keys included.
fn network(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("the handler could not be reached: {cause}")
}

fn too_large(max: usize) -> Failure {
    Failure::new(
        FailureKind::TooLarge,
        format!(
            "the handler's reply is over the {} MiB limit",
            max / (1024 * 1024)
        ),
    )
}

/// The whole body, or a failure as soon as it is known to be over `max`.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Bytes, Failure> {
    let too_large = || too_large(max);
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Failure::new(FailureKind::Network, network(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
