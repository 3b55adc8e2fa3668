//! The one place requests are put together: the path of each resource (names checked, then
//! encoded as single segments), the query pairs several operations share, and the [`Request`]
//! itself. The operation files only say which of these each call uses.

use reqwest::Method;

use super::names::{encode, validate_group, validate_hub, validate_id};
use crate::client::{Client, ClientError, Request};

// The statuses that answer each operation, carried by its request (`Request::expect`).
pub(super) const ACCEPTED: &[u16] = &[202];
pub(super) const OK: &[u16] = &[200];
pub(super) const NO_CONTENT: &[u16] = &[204];
/// A HEAD check: 200 is yes, 404 is no.
pub(super) const YES_NO: &[u16] = &[200, 404];

/// `/api/hubs/{hub}`.
pub(super) fn hub_path(hub: &str) -> Result<String, ClientError> {
    validate_hub(hub)?;
    Ok(format!("/api/hubs/{}", encode(hub)))
}

/// `/api/hubs/{hub}/groups/{group}`.
pub(super) fn group_path(hub: &str, group: &str) -> Result<String, ClientError> {
    validate_group(group)?;
    Ok(format!("{}/groups/{}", hub_path(hub)?, encode(group)))
}

/// `/api/hubs/{hub}/users/{user}`.
pub(super) fn user_path(hub: &str, user: &str) -> Result<String, ClientError> {
    validate_id("user id", user)?;
    Ok(format!("{}/users/{}", hub_path(hub)?, encode(user)))
}

/// `/api/hubs/{hub}/connections/{connection}`.
pub(super) fn connection_path(hub: &str, connection: &str) -> Result<String, ClientError> {
    validate_id("connection id", connection)?;
    Ok(format!(
        "{}/connections/{}",
        hub_path(hub)?,
        encode(connection)
    ))
}

/// `/api/hubs/{hub}/groups/{group}/connections/{connection}`: a connection's membership.
pub(super) fn group_connection_path(
    hub: &str,
    group: &str,
    connection: &str,
) -> Result<String, ClientError> {
    validate_id("connection id", connection)?;
    Ok(format!(
        "{}/connections/{}",
        group_path(hub, group)?,
        encode(connection)
    ))
}

/// `/api/hubs/{hub}/users/{user}/groups/{group}`: a user's membership (user first, unlike
/// a connection's).
pub(super) fn user_group_path(hub: &str, user: &str, group: &str) -> Result<String, ClientError> {
    validate_group(group)?;
    Ok(format!(
        "{}/groups/{}",
        user_path(hub, user)?,
        encode(group)
    ))
}

/// One `excluded` pair per connection id, in order: the send and close operations lead their
/// query with them.
pub(super) fn excluded(ids: &[String]) -> Vec<(String, String)> {
    ids.iter()
        .map(|c| ("excluded".to_string(), c.clone()))
        .collect()
}

/// `a=1&b=x%20y` into raw pairs in order (values percent-decoded; `+` kept as is).
pub(super) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

impl Client {
    /// A request with exactly this query and no body.
    pub(super) fn request(
        &self,
        method: Method,
        path: String,
        query: Vec<(String, String)>,
        expect: &'static [u16],
    ) -> Request {
        let accept = if method == Method::HEAD {
            "*/*"
        } else {
            "application/json"
        };
        Request {
            method,
            path,
            query,
            body: None,
            accept,
            headers: Vec::new(),
            expect,
        }
    }

    /// The `api-version` pair of this client.
    pub(super) fn api_version(&self) -> (String, String) {
        ("api-version".into(), self.options.api_version.clone())
    }

    /// The usual management request: `query`, then `api-version`, and no body.
    pub(super) fn bodyless(
        &self,
        method: Method,
        path: String,
        mut query: Vec<(String, String)>,
        expect: &'static [u16],
    ) -> Request {
        query.push(self.api_version());
        self.request(method, path, query, expect)
    }
}
