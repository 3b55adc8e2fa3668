//! `GET /server/tunnel?hub=HUB`: the upgrade, authenticated as the service does it.
//!
//! The token comes in `access_token` (the official client's way) or as a bearer header. A
//! key-signed token's `aud` is the tunnel URL without `access_token` (query kept, the
//! official client writes it with its `ws:`/`wss:` scheme; `http:`/`https:` and the URL
//! without its query are taken too, as REST audiences are); an Entra ID token is checked as
//! the REST API checks it. The tunnel is a server's credential: REST calls that come through
//! it are served with its authority (see [`TunnelCall`](crate::emulator::auth::TunnelCall)).

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::emulator::auth::token_of;
use crate::emulator::errors::{bad_request, error, not_an_upgrade, unauthorized};
use crate::emulator::names;
use crate::emulator::origin::{self, Connection};
use crate::emulator::shared::Shared;
use crate::emulator::transport::{is_upgrade, Accepted};

use super::session::{self, Admission};
use super::MAX_CONNECTIONS_PER_HUB;

/// The route.
pub(crate) const PATH: &str = "/server/tunnel";

/// The checks of an upgrade to the tunnel: its session to start, or the answer. The upgrade
/// itself (the `101`, the socket) is `upgrade.rs`'s, as for the client endpoints.
// The error is the one response sent for the request, so its size does not matter.
#[allow(clippy::result_large_err)]
pub(crate) async fn check(shared: Arc<Shared>, parts: &Parts) -> Result<Accepted, Response> {
    if parts.uri.path() != PATH {
        return Err(crate::emulator::errors::not_found(format!(
            "no route for {}",
            parts.uri.path()
        )));
    }
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let Some(hub) = query
        .iter()
        .find(|(k, _)| k == "hub")
        .map(|(_, v)| v.clone())
    else {
        return Err(bad_request(
            "The tunnel needs a hub: /server/tunnel?hub=HUB.",
        ));
    };
    if let Err(why) = names::hub(&hub) {
        return Err(bad_request(why));
    }
    if !is_upgrade(parts) {
        return Err(not_an_upgrade());
    }
    let token = token_of(&query, &parts.headers);
    let Some(token) = token else {
        return Err(unauthorized("The request has no access_token."));
    };
    let urls = audiences(parts, &raw_query);
    if urls.is_empty() {
        return Err(bad_request("The request has no Host header."));
    }
    if let Err(why) = shared.verifier.check_rest(&token, &urls) {
        return Err(unauthorized(why));
    }
    if shared.upstream.tunnels().count(&hub) >= MAX_CONNECTIONS_PER_HUB {
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "Error.TooManyRequests",
            format!("Hub '{hub}' has {MAX_CONNECTIONS_PER_HUB} tunnel connections already."),
        ));
    }
    // An Entra token names no tunnel user; a key-signed one has the client's id as `sub`.
    let user_id = if shared.verifier.is_entra_token(&token) {
        None
    } else {
        shared
            .verifier
            .decode(&token)
            .ok()
            .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_string))
    };
    let admission = Admission {
        hub,
        user_id,
        host: origin::authority(parts).map(str::to_string),
        connection: parts.extensions.get::<Connection>().copied(),
    };
    // Boxed: moved into the session's future, it would be held there for its whole life.
    let admission = Box::new(admission);
    Ok(Accepted {
        subprotocol: None,
        max_frame: session::MAX_MESSAGE,
        start: Box::new(move |socket| {
            tokio::spawn(session::run(shared, admission, Box::new(socket)));
        }),
    })
}

/// What a key-signed token's `aud` may be: the URL without `access_token`, from each origin
/// the request may have been sent to, in its `ws` and `http` schemes.
fn audiences(parts: &Parts, raw_query: &str) -> Vec<String> {
    let rest: Vec<&str> = raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("access_token="))
        .collect();
    let path_and_query = if rest.is_empty() {
        PATH.to_string()
    } else {
        format!("{PATH}?{}", rest.join("&"))
    };
    let mut urls = Vec::new();
    for o in origin::accepted(parts) {
        let ws = if o.scheme == "https" { "wss" } else { "ws" };
        urls.push(format!("{ws}://{}{path_and_query}", o.host));
        urls.push(format!("{o}{path_and_query}"));
    }
    urls
}
