//! Where a request was sent, as its client sees it: `scheme://host[:port]`.
//!
//! Every URL the emulator writes (`nextLink`, `:generateToken` audiences) and every audience it
//! checks is built from this. The scheme is the one the connection is served on; the host is
//! the request's authority (HTTP/2 `:authority`, else `Host`). A proxy on this machine (a TLS
//! terminator, a dev server) may say what its own client used, with `Forwarded: proto=..;
//! host=..` (RFC 7239, first element) or `X-Forwarded-Proto` / `X-Forwarded-Host` (first
//! value); these are believed only from loopback peers, since anyone else could claim any
//! origin. `Forwarded` wins over the `X-` headers, parameter by parameter. Tokens may name
//! either origin, the proxy's or the emulator's own (see [`accepted`]); URLs the emulator
//! writes use the proxy's, which is where its client will follow them.

use std::net::SocketAddr;

use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap};

/// What the accept loop knows about a request's connection, put in its extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection {
    /// Served over TLS.
    pub tls: bool,
    pub peer: SocketAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// As the client wrote it (case kept: REST audiences keep it).
    pub host: String,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)
    }
}

/// The request's origin as its client sees it (a loopback proxy's word first); None when it
/// names no host. URLs the emulator writes start with it.
pub(crate) fn of(parts: &Parts) -> Option<Origin> {
    let direct = direct(parts);
    let trusted = parts
        .extensions
        .get::<Connection>()
        .is_some_and(|c| is_loopback(c.peer));
    let (proto, host) = if trusted {
        forwarded(&parts.headers)
    } else {
        (None, None)
    };
    Some(Origin {
        scheme: proto.or(direct.as_ref().map(|d| d.scheme))?,
        host: host.or(direct.map(|d| d.host))?,
    })
}

/// The origins a token's audience may name for this request: [`of`], and, behind a proxy, the
/// origin the request reached the emulator with too (a client configured with the emulator's
/// own endpoint and a proxy in front, as the SDKs' `reverse_proxy_endpoint` does, signs that).
pub(crate) fn accepted(parts: &Parts) -> Vec<Origin> {
    let mut origins: Vec<Origin> = of(parts).into_iter().collect();
    if let Some(direct) = direct(parts) {
        if !origins.contains(&direct) {
            origins.push(direct);
        }
    }
    origins
}

/// Where the request was sent: HTTP/2's `:authority` (the URI's authority), else the `Host`
/// header (RFC 9113 §8.3.1). None when the request names neither.
pub(crate) fn authority(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| parts.headers.get(header::HOST)?.to_str().ok())
        .filter(|h| !h.is_empty())
}

/// The connection's scheme and the request's authority, proxies aside.
fn direct(parts: &Parts) -> Option<Origin> {
    Some(Origin {
        scheme: served_scheme(parts),
        host: authority(parts)?.to_string(),
    })
}

/// `https` when the request came over TLS, else `http` (proxies aside).
pub(crate) fn served_scheme(parts: &Parts) -> &'static str {
    match parts.extensions.get::<Connection>().is_some_and(|c| c.tls) {
        true => "https",
        false => "http",
    }
}

fn is_loopback(peer: SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
    }
}

/// The scheme and host a proxy says its client used; each None when not said, or not said
/// in a form we can use.
fn forwarded(headers: &HeaderMap) -> (Option<&'static str>, Option<String>) {
    let mut proto = None;
    let mut host = None;
    if let Some(first) = first_value(headers, header::FORWARDED) {
        for pair in split_unquoted(first, ';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match name.trim().to_ascii_lowercase().as_str() {
                "proto" => proto = proto.or(scheme(&value)),
                "host" => host = host.or(valid_host(&value)),
                _ => {}
            }
        }
    }
    if proto.is_none() {
        proto = first_value(headers, "x-forwarded-proto").and_then(|v| scheme(v.trim()));
    }
    if host.is_none() {
        host = first_value(headers, "x-forwarded-host").and_then(|v| valid_host(v.trim()));
    }
    (proto, host)
}

/// The first element of a header's comma-separated list (over all its lines): the one the
/// first proxy wrote, about the original client.
fn first_value(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    let line = headers.get(name)?.to_str().ok()?;
    split_unquoted(line, ',').next()
}

/// Splits at `sep` outside double quotes.
fn split_unquoted(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    s.split(move |c: char| {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
        c == sep && !quoted
    })
}

fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().unwrap_or(c)
                } else {
                    c
                });
            }
            out
        }
        None => s.to_string(),
    }
}

/// `http`/`https`; proxies that tell WebSocket requests apart say `ws`/`wss`.
fn scheme(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "https" | "wss" => Some("https"),
        "http" | "ws" => Some("http"),
        _ => None,
    }
}

/// A host that is a URL authority and nothing more (no userinfo, path or spaces).
fn valid_host(s: &str) -> Option<String> {
    let authority: Authority = s.parse().ok()?;
    (authority.as_str() == s && !s.contains('@') && !s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, tls: bool, headers: &[(&str, &str)]) -> Parts {
        let mut b = axum::http::Request::builder()
            .uri("/api/x")
            .header("host", "emu:8080");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut p = b.body(()).unwrap().into_parts().0;
        p.extensions.insert(Connection {
            tls,
            peer: peer.parse().unwrap(),
        });
        p
    }

    fn origin(peer: &str, tls: bool, headers: &[(&str, &str)]) -> String {
        of(&parts(peer, tls, headers)).unwrap().to_string()
    }

    #[test]
    fn the_connection_gives_the_scheme() {
        assert_eq!(origin("127.0.0.1:1", false, &[]), "http://emu:8080");
        assert_eq!(origin("127.0.0.1:1", true, &[]), "https://emu:8080");
        let bare = axum::http::Request::builder()
            .uri("/x")
            .header("host", "h")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(of(&bare).unwrap().to_string(), "http://h");
    }

    #[test]
    fn loopback_proxies_are_believed() {
        let xf = [
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "localhost:8443"),
        ];
        assert_eq!(origin("127.0.0.1:1", false, &xf), "https://localhost:8443");
        assert_eq!(origin("[::1]:1", false, &xf), "https://localhost:8443");
        assert_eq!(
            origin("[::ffff:127.0.0.1]:1", false, &xf),
            "https://localhost:8443"
        );
        assert_eq!(origin("10.0.0.2:1", false, &xf), "http://emu:8080");
        assert_eq!(
            origin("127.0.0.1:1", true, &[("x-forwarded-proto", "http")]),
            "http://emu:8080"
        );
        // Lists: the first proxy's word; WebSocket spellings; Forwarded first.
        assert_eq!(
            origin("127.0.0.1:1", false, &[("x-forwarded-proto", "wss, http")]),
            "https://emu:8080"
        );
        assert_eq!(
            origin(
                "127.0.0.1:1",
                false,
                &[
                    (
                        "forwarded",
                        "for=1.2.3.4;Proto=HTTPS;host=\"[::1]:9\", proto=http"
                    ),
                    ("x-forwarded-proto", "http"),
                    ("x-forwarded-host", "other"),
                ]
            ),
            "https://[::1]:9"
        );
        assert_eq!(
            origin(
                "127.0.0.1:1",
                false,
                &[("forwarded", "for=x"), ("x-forwarded-proto", "https")]
            ),
            "https://emu:8080"
        );
    }

    #[test]
    fn tokens_may_name_the_proxy_or_the_emulator() {
        let p = parts(
            "127.0.0.1:1",
            false,
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "proxy:8443"),
            ],
        );
        let all: Vec<String> = accepted(&p).iter().map(Origin::to_string).collect();
        assert_eq!(all, ["https://proxy:8443", "http://emu:8080"]);
        let p = parts("10.1.1.1:1", true, &[("x-forwarded-proto", "http")]);
        let all: Vec<String> = accepted(&p).iter().map(Origin::to_string).collect();
        assert_eq!(all, ["https://emu:8080"]);
    }

    #[test]
    fn nonsense_is_ignored() {
        for (name, value) in [
            ("x-forwarded-proto", "ftp"),
            ("x-forwarded-host", "a/b"),
            ("x-forwarded-host", "user@evil"),
            ("x-forwarded-host", "a b"),
            ("x-forwarded-host", ""),
            ("forwarded", "proto=gopher;host=\"x y\""),
        ] {
            assert_eq!(
                origin("127.0.0.1:1", false, &[(name, value)]),
                "http://emu:8080",
                "{name}: {value}"
            );
        }
    }
}
