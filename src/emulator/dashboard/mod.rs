//! The dashboard: a page at `GET /` on the emulator's own port that shows hubs, connections,
//! groups and a live log, sends as the server and runs a test client; and the emulator-only
//! JSON endpoints under `/_emulator/` it uses (not part of Azure's API; scripts may use them
//! too, e.g. `wps api GET /_emulator/api/hubs`).
//!
//! - `api`: the routes, and the live log read from the emulator's activity bus
//!   (`emulator/activity.rs`);
//! - `state`: the dashboard's state, which `Shared` holds;
//! - this file: who may use them.
//!
//! The page can send to every client and mint client tokens, so it is guarded like the REST
//! API's key, without asking a developer on their own machine for one:
//!
//! 1. A request that proves it holds the key (a REST-style `Authorization: Bearer` JWT for
//!    the URL, as `wps api` sends, or HTTP Basic with the key as password, as a browser can)
//!    is accepted from anywhere. A Bearer JWT names the host it was signed for, so it also
//!    passes the Host check below.
//! 2. Otherwise the request must come from a loopback address, name a host the emulator
//!    serves in its `Host` header (localhost, 127.0.0.1, \[::1\] or the bound address, with
//!    the port: DNS rebinding makes a hostile name point at 127.0.0.1, but cannot change the
//!    Host header), and the emulator must listen on loopback only: bound beyond it, the page
//!    itself requires the key.
//! 3. What changes state (POST) also needs a Bearer JWT or the page token: a per-run random
//!    value embedded in the page (which only requests allowed above can read), sent back in
//!    the `X-Wps-Page-Token` header. Cross-site forms cannot set a header, and a cross-site
//!    `fetch` that sets one needs a CORS preflight, which is never allowed: no response
//!    carries an `Access-Control-Allow-*` header. Basic credentials do not count here, since
//!    browsers attach them to cross-site requests too.
// Refusals are the HTTP response to send, built once per request (as in rest.rs).
#![allow(clippy::result_large_err)]

mod api;
pub(crate) mod state;

pub(crate) use state::Dashboard;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;

use super::auth;
use super::errors::error;
use super::origin::Connection;
use super::shared::Shared;
use state::is_loopback;

/// The header that carries the page token on state-changing requests.
pub(crate) const PAGE_TOKEN_HEADER: &str = "x-wps-page-token";

/// What a request proved at the gate.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    /// A Bearer JWT signed with the key (not ambient, so it may change state).
    pub bearer: bool,
    /// The page token came along (only checked where it matters).
    pub page_token: bool,
    /// The scheme the request was served on (`https` over TLS), for same-origin checks and
    /// the URLs the page is given.
    pub scheme: &'static str,
    /// The host the request named, to build URLs and sign internal calls with.
    pub host: String,
}

/// The paths this module answers: the page and everything under `/_emulator/`.
pub(crate) fn serves(path: &str) -> bool {
    path == "/" || path.starts_with("/_emulator/")
}

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (parts, body) = req.into_parts();
    let resp = match gate(&shared, &parts) {
        Ok(access) => api::route(&shared, parts, body, access).await,
        Err(refused) => refused,
    };
    let resp = harden(resp);
    // The page asks for the hubs after every change: at `-v` that would drown the app's own
    // traffic, so the dashboard's requests are logged at `-vv` only.
    if shared.verbose >= 2 {
        eprintln!(
            "emulator: {method} {path} -> {} ({} µs)",
            resp.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    resp
}

/// Rules 1 and 2 of the module comment; rule 3 is [`may_change_state`].
fn gate(shared: &Shared, parts: &Parts) -> Result<Access, Response> {
    let dash = &shared.dashboard;
    let bearer = auth::bearer(&parts.headers).is_some_and(|token| {
        auth::request_urls(parts).is_ok_and(|urls| shared.verifier.check_rest(token, &urls).is_ok())
    });
    let basic = basic_password(&parts.headers)
        .is_some_and(|p| same_secret(p.as_bytes(), dash.key.expose().as_bytes()));
    let host = super::origin::authority(parts)
        .unwrap_or_default()
        .to_string();
    let page_token = parts
        .headers
        .get(PAGE_TOKEN_HEADER)
        .is_some_and(|v| same_secret(v.as_bytes(), dash.page_token.as_bytes()));
    let access = Access {
        bearer,
        page_token,
        scheme: super::origin::served_scheme(parts),
        host,
    };
    if bearer || basic {
        return Ok(access);
    }
    if !dash.serves_host(&access.host) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Error.Forbidden",
            format!(
                "The dashboard answers requests for localhost, 127.0.0.1, [::1] or {} only, not '{}'.",
                dash.bound, access.host
            ),
        ));
    }
    let peer_loopback = parts
        .extensions
        .get::<Connection>()
        .is_some_and(|c| is_loopback(c.peer.ip()))
        && !dash.remote_peers.load(Ordering::Relaxed);
    if dash.exposed() || !peer_loopback {
        let why = if dash.exposed() {
            "The emulator listens beyond loopback, so the dashboard requires the access key"
        } else {
            "The dashboard answers other machines only with the access key"
        };
        let mut resp = error(
            StatusCode::UNAUTHORIZED,
            "Error.Unauthorized",
            format!("{why}: sign the request as for the REST API, or sign in with the key as the password."),
        );
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"wps emulator\", charset=\"UTF-8\""),
        );
        return Err(resp);
    }
    Ok(access)
}

/// Rule 3: a Bearer JWT, or the page token from a same-origin page.
fn may_change_state(parts: &Parts, access: &Access) -> Result<(), Response> {
    if access.bearer {
        return Ok(());
    }
    let refuse = |why: &str| Err(error(StatusCode::FORBIDDEN, "Error.Forbidden", why));
    if !access.page_token {
        return refuse(
            "This request changes state: send the page's token in X-Wps-Page-Token, or sign it with the key.",
        );
    }
    // Belt and braces: the browser says where the request came from, scheme included (the
    // page over TLS is an https origin; an http page cannot post to the TLS port).
    let same_origin = format!("{}://{}", access.scheme, access.host);
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        if !origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(&same_origin))
        {
            return refuse("Cross-origin requests are not accepted.");
        }
    }
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return refuse("Cross-site requests are not accepted.");
        }
    }
    Ok(())
}

/// Headers every dashboard response carries: no sniffing, no caching, not readable from
/// other origins, and never a CORS allowance.
fn harden(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    let cors: Vec<_> = h
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for k in cors {
        h.remove(k);
    }
    resp
}

/// Compares digests, so the time taken says nothing about how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    use ring::digest::{digest, SHA256};
    digest(&SHA256, a).as_ref() == digest(&SHA256, b).as_ref()
}

/// The password of an `Authorization: Basic` header (the user name is ignored).
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(_, p)| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_the_loopback_names_and_the_bound_address_with_its_port() {
        let d = Dashboard::new("127.0.0.1:8080".parse().unwrap(), "k".repeat(32).as_str());
        for ok in [
            "localhost:8080",
            "LocalHost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
        ] {
            assert!(d.serves_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "localhost:8081",
            "localhost",
            "127.0.0.1.evil.example:8080",
            "192.0.2.1:8080",
            "",
            "[::1]",
        ] {
            assert!(!d.serves_host(bad), "{bad}");
        }
        let any = Dashboard::new("0.0.0.0:80".parse().unwrap(), "k".repeat(32).as_str());
        assert!(any.exposed());
        assert!(any.serves_host("192.0.2.1") && any.serves_host("192.0.2.1:80"));
        assert!(!any.serves_host("evil.example"));
    }

    #[test]
    fn basic_credentials_give_the_password() {
        let mut h = HeaderMap::new();
        let creds = base64::engine::general_purpose::STANDARD.encode("any:se:cret");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {creds}")).unwrap(),
        );
        assert_eq!(basic_password(&h).as_deref(), Some("se:cret"));
    }
}
