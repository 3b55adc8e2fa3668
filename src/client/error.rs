//! Typed client errors; the CLI maps [`ErrorKind`] to exit codes.

use tokio_rustls::rustls;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad connection string, endpoint or key material.
    Config,
    /// Input refused locally before sending (name, payload, size).
    Invalid,
    /// 401 / 403.
    Auth,
    /// Another 4xx.
    Rejected,
    /// 5xx, 408, 429, timeout, refused, DNS, TLS: after retries.
    Unavailable,
}

/// Everything a [`Client`](super::Client) call can fail with. Messages are one line, never
/// hold a key or token, and for 401/403/413/429 end with a hint. Match on
/// [`kind`](Self::kind) rather than on variants to decide what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The connection string (or endpoint) could not be used; the text says which part.
    #[error("invalid connection string: {0}")]
    ConnectionString(String),
    /// Refused before sending: a bad hub or group name, an empty id, a payload over 1 MiB,
    /// a TTL over 300, invalid JSON; also an unreadable response page.
    #[error("{0}")]
    Invalid(String),
    /// A token could not be signed or put in a header.
    #[error("could not sign the request: {0}")]
    Signing(String),
    /// The service answered with a status the operation does not treat as success.
    #[error("{}", status_line(*.status, .code.as_deref(), .message.as_deref(), *.attempts))]
    Status {
        /// HTTP status of the last attempt.
        status: u16,
        /// The service's error `code`, when the body was a JSON error.
        code: Option<String>,
        /// The service's error `message`, or the first line of a plain-text body.
        message: Option<String>,
        /// Attempts made, retries included.
        attempts: u32,
    },
    /// No answer within [`ClientOptions::timeout`](super::ClientOptions::timeout), on the
    /// last attempt.
    #[error("no answer within the {}timeout{}", timeout_secs(*.after), attempts_suffix(*.attempts))]
    Timeout {
        /// Attempts made, retries included.
        attempts: u32,
        /// The per-attempt limit that ran out, when known.
        after: Option<std::time::Duration>,
    },
    /// The request never got an answer: connection refused, DNS, TLS, a dropped connection.
    #[error("{detail}{}", attempts_suffix(*.attempts))]
    Transport {
        /// Attempts made, retries included.
        attempts: u32,
        /// What failed and where, without secrets.
        detail: String,
    },
    /// Nothing listens at a loopback address: the connection was refused by this machine.
    /// Not retried, as curl, xh and gh do not: a local server that is not running does not
    /// start within a backoff. (A refusal from another host is a [`Transport`](Self::Transport)
    /// error, retried: a server behind a balancer may be restarting.)
    #[error("could not connect to {endpoint}: {detail}")]
    Refused {
        /// Where, without user info.
        endpoint: String,
        /// What the system said ("Connection refused (os error 111)").
        detail: String,
        /// Attempts made: 1.
        attempts: u32,
    },
    /// The server's TLS certificate was refused: signed by an authority `wps` does not trust
    /// (its built-in roots and `SSL_CERT_FILE`), expired, or for another name. Trying again
    /// meets the same certificate, so it is not retried.
    #[error("the TLS certificate of {endpoint} is not trusted: {detail}{}", attempts_suffix(*.attempts))]
    Certificate {
        /// Where, without user info or query.
        endpoint: String,
        /// What the TLS library said ("invalid peer certificate: UnknownIssuer").
        detail: String,
        /// Whether the signer is the problem (an unknown issuer), which trusting its CA solves,
        /// rather than the certificate itself (expired, another name).
        unknown_issuer: bool,
        /// Attempts made, retries included.
        attempts: u32,
    },
    /// The answer's body passed [`MAX_RESPONSE_BYTES`](super::MAX_RESPONSE_BYTES): no answer
    /// of the service is that large, so the server (or something in between) is broken or
    /// hostile. Not retried.
    #[error("the answer from {endpoint} is larger than {} MiB; stopped reading it{}", .limit / (1024 * 1024), attempts_suffix(*.attempts))]
    ResponseTooLarge {
        /// Where the answer came from, without user info.
        endpoint: String,
        /// The limit that was passed, in bytes.
        limit: usize,
        /// Attempts made, retries included.
        attempts: u32,
    },
    /// Entra ID sign-in failed before any request was sent.
    #[error("{0}")]
    Credential(String),
    /// The server broke the WebSocket protocol on a client connection: a text frame that is
    /// not UTF-8, a frame over the size limit (the header alone is enough), a bad opcode or
    /// mask. Unlike a dropped connection, trying again meets the same server. Not retried.
    #[error("the server broke the WebSocket protocol: {detail}")]
    Protocol {
        /// What was wrong, as the WebSocket library says it.
        detail: String,
    },
    /// The server answered with a redirect (3xx). `wps` never follows one: the payload and
    /// the credential go nowhere but the configured endpoint. Not retried.
    #[error("{}", redirect_line(.from, *.status, .location.as_deref(), *.attempts))]
    Redirect {
        /// Who answered: "the service", "the Entra ID sign-in endpoint".
        from: &'static str,
        /// HTTP status of the answer (300-399).
        status: u16,
        /// Its `Location` header as shown (user info left out, cut to 200 characters).
        location: Option<String>,
        /// Attempts made, retries included.
        attempts: u32,
    },
}

/// The most of a `Location` an error line quotes.
const MAX_LOCATION_SHOWN: usize = 200;

/// A `Location` header as an error line may quote it: user info left out, not text replaced,
/// long ones cut.
pub(crate) fn shown_location(value: Option<&reqwest::header::HeaderValue>) -> Option<String> {
    let value = value?;
    let Ok(text) = value.to_str() else {
        return Some("(a Location that is not text)".into());
    };
    let text = super::without_userinfo(text.trim());
    if text.chars().count() > MAX_LOCATION_SHOWN {
        Some(text.chars().take(MAX_LOCATION_SHOWN).collect::<String>() + "...")
    } else {
        Some(text.into_owned())
    }
}

fn redirect_line(from: &str, status: u16, location: Option<&str>, attempts: u32) -> String {
    let mut line = format!("{from} answered {status}");
    if let Some(reason) = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        line.push(' ');
        line.push_str(reason);
    }
    match location {
        Some(l) => line.push_str(&format!(" (a redirect to {l})")),
        None => line.push_str(" (a redirect with no Location)"),
    }
    line.push_str(", which wps does not follow");
    line.push_str(&attempts_suffix(attempts));
    line
}

fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn timeout_secs(after: Option<std::time::Duration>) -> String {
    after
        .map(|d| format!("{} s ", d.as_secs_f64()))
        .unwrap_or_default()
}

fn status_line(status: u16, code: Option<&str>, message: Option<&str>, attempts: u32) -> String {
    let mut line = format!("the service answered {status}");
    if let Some(reason) = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        line.push(' ');
        line.push_str(reason);
    }
    match (code, message) {
        (Some(c), Some(m)) => line.push_str(&format!(": ({c}) {m}")),
        (None, Some(m)) => line.push_str(&format!(": {m}")),
        (Some(c), None) => line.push_str(&format!(": ({c})")),
        (None, None) => {}
    }
    line.push_str(&attempts_suffix(attempts));
    match status {
        401 => line.push_str("; hint: check the access key (with --auth, that the Entra ID token is for this resource), and that this machine's clock is right (key tokens live 60 s)"),
        403 => line.push_str("; hint: the credential lacks the role or permission for this operation"),
        413 => line.push_str("; hint: messages are limited to 1 MiB"),
        429 => line.push_str("; hint: the service is throttling; lower --concurrency or add units"),
        _ => {}
    }
    line
}

impl ClientError {
    /// The class of failure: the CLI's exit code, and what a caller should do about it
    /// (fix input, fix credentials, retry later).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::ConnectionString(_) | ClientError::Signing(_) => ErrorKind::Config,
            ClientError::Invalid(_) => ErrorKind::Invalid,
            ClientError::Credential(_) => ErrorKind::Auth,
            ClientError::Status {
                status: 401 | 403, ..
            } => ErrorKind::Auth,
            // Timeouts and throttling are the service being unavailable, not a refusal.
            ClientError::Status {
                status: 408 | 429, ..
            } => ErrorKind::Unavailable,
            ClientError::Status { status, .. } if *status < 500 => ErrorKind::Rejected,
            ClientError::Status { .. }
            | ClientError::Timeout { .. }
            | ClientError::Transport { .. }
            | ClientError::Refused { .. }
            | ClientError::Certificate { .. }
            | ClientError::ResponseTooLarge { .. }
            | ClientError::Redirect { .. }
            | ClientError::Protocol { .. } => ErrorKind::Unavailable,
        }
    }

    /// The number of attempts made, for the errors that come from sending.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            ClientError::Status { attempts, .. }
            | ClientError::Timeout { attempts, .. }
            | ClientError::Transport { attempts, .. }
            | ClientError::Refused { attempts, .. }
            | ClientError::Certificate { attempts, .. }
            | ClientError::ResponseTooLarge { attempts, .. }
            | ClientError::Redirect { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            ClientError::Timeout { .. } | ClientError::Transport { .. }
        )
    }

    pub(crate) fn with_attempts(self, n: u32) -> Self {
        match self {
            ClientError::Timeout { after, .. } => ClientError::Timeout { attempts: n, after },
            ClientError::Transport { detail, .. } => ClientError::Transport {
                attempts: n,
                detail,
            },
            ClientError::Refused {
                endpoint, detail, ..
            } => ClientError::Refused {
                endpoint,
                detail,
                attempts: n,
            },
            ClientError::Certificate {
                endpoint,
                detail,
                unknown_issuer,
                ..
            } => ClientError::Certificate {
                endpoint,
                detail,
                unknown_issuer,
                attempts: n,
            },
            ClientError::ResponseTooLarge {
                endpoint, limit, ..
            } => ClientError::ResponseTooLarge {
                endpoint,
                limit,
                attempts: n,
            },
            ClientError::Status {
                status,
                code,
                message,
                ..
            } => ClientError::Status {
                status,
                code,
                message,
                attempts: n,
            },
            ClientError::Redirect {
                from,
                status,
                location,
                ..
            } => ClientError::Redirect {
                from,
                status,
                location,
                attempts: n,
            },
            other => other,
        }
    }

    /// The error for a non-success answer, reading the service's error body in either the
    /// flat (`{"code","message"}`) or the wrapped (`{"error":{...}}`) shape.
    pub fn from_response(status: u16, body: &[u8], attempts: u32) -> Self {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let detail = parsed.as_ref().map(|v| v.get("error").unwrap_or(v));
        let field = |name: &str| {
            detail
                .and_then(|d| d.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let mut message = field("message");
        if message.is_none() && parsed.is_none() && !body.is_empty() {
            // A short plain-text body is still worth showing; keep it to one line.
            let text = String::from_utf8_lossy(body);
            let line = text.lines().next().unwrap_or("").trim();
            if !line.is_empty() {
                message = Some(line.chars().take(200).collect());
            }
        }
        ClientError::Status {
            status,
            code: field("code"),
            message,
            attempts,
        }
    }

    pub(crate) fn from_reqwest(
        e: &reqwest::Error,
        endpoint: &str,
        timeout: std::time::Duration,
    ) -> Self {
        if e.is_timeout() {
            return ClientError::Timeout {
                attempts: 1,
                after: Some(timeout),
            };
        }
        let shown = super::without_userinfo(endpoint);
        if let Some(e) = certificate_error(e) {
            return ClientError::certificate(&shown, e);
        }
        // The innermost cause says what really happened (refused, DNS, TLS); reqwest's own
        // message only repeats the URL.
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        if is_refused(e) && super::is_loopback(endpoint) {
            return ClientError::Refused {
                endpoint: shown.into_owned(),
                detail: cause.to_string(),
                attempts: 1,
            };
        }
        let what = if e.is_connect() {
            "could not connect to"
        } else {
            "request failed to"
        };
        ClientError::Transport {
            attempts: 1,
            detail: format!("{what} {shown}: {cause}"),
        }
    }

    /// The error for a certificate the TLS handshake with `endpoint` refused.
    pub(crate) fn certificate(endpoint: &str, e: &rustls::Error) -> Self {
        ClientError::Certificate {
            endpoint: endpoint.to_string(),
            detail: e.to_string(),
            unknown_issuer: matches!(
                e,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            ),
            attempts: 1,
        }
    }
}

/// Each error of `err`'s chain, looking inside an `io::Error` too: its `source()` skips the
/// error it wraps, which is where a TLS stream puts rustls' own.
fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    let mut next = Some(err);
    std::iter::from_fn(move || {
        let current = next?;
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|e| e as &(dyn std::error::Error + 'static));
        next = inner.or_else(|| current.source());
        Some(current)
    })
}

/// The certificate error a TLS handshake failed with, wherever it sits in `err`'s chain.
pub(crate) fn certificate_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    chain(err)
        .filter_map(|e| e.downcast_ref::<rustls::Error>())
        .find(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
}

/// Whether `err` is, somewhere in its chain, a refused TCP connection.
fn is_refused(err: &(dyn std::error::Error + 'static)) -> bool {
    chain(err).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_failures_say_attempts_and_last_status() {
        let e = ClientError::Status {
            status: 503,
            code: None,
            message: Some("busy".into()),
            attempts: 4,
        };
        assert_eq!(
            e.to_string(),
            "the service answered 503 Service Unavailable: busy (gave up after 4 attempts)"
        );
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        let e = ClientError::Timeout {
            attempts: 2,
            after: Some(std::time::Duration::from_millis(500)),
        };
        assert_eq!(
            e.to_string(),
            "no answer within the 0.5 s timeout (gave up after 2 attempts)"
        );
    }

    #[test]
    fn throttling_is_unavailable_not_rejected() {
        for (status, kind) in [
            (400, ErrorKind::Rejected),
            (401, ErrorKind::Auth),
            (403, ErrorKind::Auth),
            (404, ErrorKind::Rejected),
            (408, ErrorKind::Unavailable),
            (409, ErrorKind::Rejected),
            (413, ErrorKind::Rejected),
            (429, ErrorKind::Unavailable),
            (500, ErrorKind::Unavailable),
        ] {
            assert_eq!(
                ClientError::from_response(status, b"", 1).kind(),
                kind,
                "{status}"
            );
        }
    }

    #[test]
    fn a_redirect_is_unavailable_and_names_its_location() {
        let e = ClientError::Redirect {
            from: "the service",
            status: 307,
            location: Some("http://elsewhere.example/api".into()),
            attempts: 1,
        };
        assert_eq!(
            e.to_string(),
            "the service answered 307 Temporary Redirect (a redirect to http://elsewhere.example/api), which wps does not follow"
        );
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(!e.is_retryable());
        let long = reqwest::header::HeaderValue::from_str(&format!(
            "http://user:pw@x.example/{}",
            "a".repeat(500)
        ))
        .unwrap();
        let shown = shown_location(Some(&long)).unwrap();
        assert!(shown.starts_with("http://x.example/aaa"), "{shown}");
        assert_eq!(shown.chars().count(), MAX_LOCATION_SHOWN + 3);
    }

    #[test]
    fn error_bodies_in_both_shapes() {
        let flat = ClientError::from_response(400, br#"{"code":"Bad","message":"no"}"#, 1);
        let wrapped =
            ClientError::from_response(400, br#"{"error":{"code":"Bad","message":"no"}}"#, 1);
        assert_eq!(flat.to_string(), wrapped.to_string());
        assert!(flat.to_string().contains("(Bad) no"));
    }
}
