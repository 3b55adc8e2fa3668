//! The typed data-plane operations: one method per REST call, paths and query order as the
//! official Python SDK sends them (see `sdk-captures.md`).

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;

use super::{Client, ClientError, Request, Response, MAX_MESSAGE_BYTES};

/// Everything but `A-Z a-z 0-9 - . _ ~` is escaped, in paths and query values alike.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

// The statuses that answer each operation, carried by its request (`Request::expect`).
const ACCEPTED: &[u16] = &[202];
const OK: &[u16] = &[200];
const NO_CONTENT: &[u16] = &[204];
/// A HEAD check: 200 is yes, 404 is no.
const YES_NO: &[u16] = &[200, 404];

/// Percent-encodes one path segment or query value the way the SDK does.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, ESCAPE).to_string()
}

/// A message body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Sent as the `Content-Type` header; the service delivers it to subscribers with the
    /// message (`text/plain`, `application/json` or `application/octet-stream`).
    pub content_type: String,
    /// Sent byte for byte; at most [`MAX_MESSAGE_BYTES`].
    pub body: Bytes,
}

impl Payload {
    /// A `text/plain` message (no charset parameter, as the SDK sends it).
    pub fn text(s: impl Into<String>) -> Self {
        Payload {
            content_type: "text/plain".into(),
            body: Bytes::from(s.into()),
        }
    }

    /// JSON text, checked to parse; sent byte for byte as given.
    ///
    /// Returns [`ClientError::Invalid`] when `s` is not JSON.
    pub fn json(s: impl Into<String>) -> Result<Self, ClientError> {
        let s = s.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&s)
            .map_err(|e| ClientError::Invalid(format!("invalid JSON payload: {e}")))?;
        Ok(Payload {
            content_type: "application/json".into(),
            body: Bytes::from(s),
        })
    }

    /// An `application/octet-stream` message.
    pub fn binary(body: impl Into<Bytes>) -> Self {
        Payload {
            content_type: "application/octet-stream".into(),
            body: body.into(),
        }
    }

    /// A short preview for logs and dry runs: text and JSON as they are (the first 200 bytes,
    /// whole characters only), other control characters escaped so a terminal is safe, and a
    /// byte count for binary bodies.
    pub fn preview(&self) -> String {
        const MAX: usize = 200;
        let truncated = self.body.len() > MAX;
        let shown = &self.body[..self.body.len().min(MAX)];
        let text = if self.content_type.starts_with("application/octet-stream") {
            None
        } else {
            match std::str::from_utf8(shown) {
                Ok(t) => Some(t),
                // The cut at MAX fell inside a character: the text before it is still text.
                Err(e) if truncated && e.error_len().is_none() => {
                    std::str::from_utf8(&shown[..e.valid_up_to()]).ok()
                }
                Err(_) => None,
            }
        };
        let Some(text) = text else {
            return format!("<{} bytes binary>", self.body.len());
        };
        let mut s = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_control() && c != '\n' && c != '\t' {
                s.extend(c.escape_debug());
            } else {
                s.push(c);
            }
        }
        if truncated {
            s.push_str(&format!("… ({} bytes)", self.body.len()));
        }
        s
    }
}

/// Options of the send operations; each operation sends only what the service accepts for it.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// Connection ids that must not receive the message (repeated `excluded` query key);
    /// only sent to all and to a group.
    pub excluded: Vec<String>,
    /// An OData filter (e.g. `userId ne 'u1'`) narrowing the receivers; not sent on
    /// send to connection.
    pub filter: Option<String>,
    /// 0–300 seconds; `None` leaves it out.
    pub ttl_seconds: Option<u32>,
    /// Message metadata, key and value pairs sent as `X-WebPubSub-Metadata-<key>` headers;
    /// json clients receive them with the message.
    pub metadata: Vec<(String, String)>,
}

/// The service's limits on message metadata: key characters and length, value length, and
/// all keys and values together.
const MAX_METADATA_KEY: usize = 256;
const MAX_METADATA_VALUE: usize = 1024;
const MAX_METADATA_TOTAL: usize = 8 * 1024;

/// `X-WebPubSub-Metadata-<key>: <value>` headers, checked against the service's limits so a
/// bad key fails here instead of as a 400 (or as a header HTTP cannot carry).
pub fn metadata_headers(
    metadata: &[(String, String)],
) -> Result<Vec<(String, String)>, ClientError> {
    let mut total = 0;
    let mut headers = Vec::with_capacity(metadata.len());
    for (i, (key, value)) in metadata.iter().enumerate() {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if key.is_empty() || key.len() > MAX_METADATA_KEY || !key.bytes().all(token) {
            return Err(ClientError::Invalid(format!(
                "invalid metadata key '{key}': use 1-{MAX_METADATA_KEY} letters, digits or !#$%&'*+-.^_`|~"
            )));
        }
        if value.len() > MAX_METADATA_VALUE || !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(ClientError::Invalid(format!(
                "invalid metadata value for '{key}': printable ASCII, at most {MAX_METADATA_VALUE} bytes"
            )));
        }
        if metadata[..i]
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Err(ClientError::Invalid(format!(
                "metadata key '{key}' given twice"
            )));
        }
        total += key.len() + value.len();
        headers.push((format!("X-WebPubSub-Metadata-{key}"), value.clone()));
    }
    if total > MAX_METADATA_TOTAL {
        return Err(ClientError::Invalid(format!(
            "metadata of {total} bytes: keys and values together may have at most {MAX_METADATA_TOTAL}"
        )));
    }
    Ok(headers)
}

/// A permission a connection can be granted on one group or on every group; the path
/// segment of the `permissions/{permission}` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// May publish to the group (`sendToGroup`).
    SendToGroup,
    /// May join and leave the group itself (`joinLeaveGroup`).
    JoinLeaveGroup,
}

impl Permission {
    /// The name as it appears in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::SendToGroup => "sendToGroup",
            Permission::JoinLeaveGroup => "joinLeaveGroup",
        }
    }
}

/// The service's hub name rule: `^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$`. The emulator applies
/// the same rule, so the two cannot drift apart.
pub fn is_valid_hub_name(hub: &str) -> bool {
    let mut chars = hub.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && hub.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || "_`,.[]".contains(c))
}

/// The service's group name rule: 1-1024 characters, not only whitespace.
pub fn is_valid_group_name(group: &str) -> bool {
    let n = group.chars().count();
    n > 0 && n <= 1024 && !group.trim().is_empty()
}

/// Hub names: a letter, then up to 127 of `A-Z a-z 0-9 _ ` , . [ ]`.
pub fn validate_hub(hub: &str) -> Result<(), ClientError> {
    if is_valid_hub_name(hub) {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!(
            "invalid hub name '{hub}': it must start with a letter and have at most 128 of A-Z a-z 0-9 _ ` , . [ ]"
        )))
    }
}

/// Group names: 1–1024 characters, not only whitespace.
pub fn validate_group(group: &str) -> Result<(), ClientError> {
    if !is_valid_group_name(group) {
        return Err(ClientError::Invalid(format!(
            "invalid group name '{}': it must have 1-1024 characters, not only whitespace",
            group.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

/// User and connection ids: at least one character.
pub fn validate_id(what: &str, id: &str) -> Result<(), ClientError> {
    if id.is_empty() {
        return Err(ClientError::Invalid(format!(
            "invalid {what}: it must not be empty"
        )));
    }
    Ok(())
}

fn validate_payload(payload: &Payload) -> Result<(), ClientError> {
    if payload.body.len() > MAX_MESSAGE_BYTES {
        return Err(ClientError::Invalid(format!(
            "payload is {} bytes; the service accepts at most {} bytes (1 MiB)",
            payload.body.len(),
            MAX_MESSAGE_BYTES
        )));
    }
    Ok(())
}

fn validate_ttl(ttl: Option<u32>) -> Result<(), ClientError> {
    match ttl {
        Some(t) if t > 300 => Err(ClientError::Invalid(format!(
            "invalid TTL {t}: it must be 0-300 seconds"
        ))),
        _ => Ok(()),
    }
}

/// One connection of a group, as `list_connections` pages carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// The connection's id (`connectionId`).
    pub connection_id: String,
    /// The user the connection authenticated as (`userId`), absent for anonymous ones.
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionPage {
    value: Vec<GroupMember>,
    #[serde(default)]
    next_link: Option<String>,
}

/// `a=1&b=x%20y` into raw pairs in order (values percent-decoded; `+` kept as is).
fn parse_query(raw: &str) -> Vec<(String, String)> {
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
    fn hub_path(&self, hub: &str) -> Result<String, ClientError> {
        validate_hub(hub)?;
        Ok(format!("/api/hubs/{}", encode(hub)))
    }

    fn request(
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

    fn api_version(&self) -> (String, String) {
        ("api-version".into(), self.options.api_version.clone())
    }

    /// Query of the send operations: `excluded`..., `api-version`, `filter`, `messageTtlSeconds`.
    fn send_request(
        &self,
        path: String,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        validate_payload(payload)?;
        validate_ttl(opts.ttl_seconds)?;
        let mut query: Vec<(String, String)> = opts
            .excluded
            .iter()
            .map(|c| ("excluded".to_string(), c.clone()))
            .collect();
        query.push(self.api_version());
        if let Some(f) = &opts.filter {
            query.push(("filter".into(), f.clone()));
        }
        if let Some(t) = opts.ttl_seconds {
            query.push(("messageTtlSeconds".into(), t.to_string()));
        }
        let mut req = self.request(Method::POST, path, query, ACCEPTED);
        req.body = Some(payload.clone());
        req.headers = metadata_headers(&opts.metadata)?;
        Ok(req)
    }

    /// Builds the request of [`send_to_all`](Self::send_to_all) without sending it (for
    /// `--dry-run`). Every `*_request` method is the same: the exact request the matching
    /// method would sign and send, after the same local validation.
    pub fn send_to_all_request(
        &self,
        hub: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", self.hub_path(hub)?);
        self.send_request(path, payload, opts)
    }

    /// Request of [`send_to_group`](Self::send_to_group): `POST /api/hubs/{hub}/groups/{group}/:send`
    pub fn send_to_group_request(
        &self,
        hub: &str,
        group: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        validate_group(group)?;
        let path = format!("{}/groups/{}/:send", self.hub_path(hub)?, encode(group));
        self.send_request(path, payload, opts)
    }

    /// Request of [`send_to_user`](Self::send_to_user): `POST /api/hubs/{hub}/users/{userId}/:send`; `excluded` is dropped, the service takes none here.
    pub fn send_to_user_request(
        &self,
        hub: &str,
        user: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        validate_id("user id", user)?;
        let path = format!("{}/users/{}/:send", self.hub_path(hub)?, encode(user));
        let opts = SendOptions {
            excluded: Vec::new(),
            ..opts.clone()
        };
        self.send_request(path, payload, &opts)
    }

    /// Request of [`send_to_connection`](Self::send_to_connection): `POST /api/hubs/{hub}/connections/{connectionId}/:send`; only the TTL is sent, the service takes no `excluded` or `filter` here.
    pub fn send_to_connection_request(
        &self,
        hub: &str,
        connection: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        validate_id("connection id", connection)?;
        let path = format!(
            "{}/connections/{}/:send",
            self.hub_path(hub)?,
            encode(connection)
        );
        let opts = SendOptions {
            ttl_seconds: opts.ttl_seconds,
            ..SendOptions::default()
        };
        self.send_request(path, payload, &opts)
    }

    fn bodyless(
        &self,
        method: Method,
        path: String,
        mut query: Vec<(String, String)>,
        expect: &'static [u16],
    ) -> Request {
        query.push(self.api_version());
        self.request(method, path, query, expect)
    }

    fn group_path(&self, hub: &str, group: &str) -> Result<String, ClientError> {
        validate_group(group)?;
        Ok(format!("{}/groups/{}", self.hub_path(hub)?, encode(group)))
    }

    fn user_path(&self, hub: &str, user: &str) -> Result<String, ClientError> {
        validate_id("user id", user)?;
        Ok(format!("{}/users/{}", self.hub_path(hub)?, encode(user)))
    }

    fn connection_path(&self, hub: &str, connection: &str) -> Result<String, ClientError> {
        validate_id("connection id", connection)?;
        Ok(format!(
            "{}/connections/{}",
            self.hub_path(hub)?,
            encode(connection)
        ))
    }

    /// `PUT groups/{group}/connections/{connection}`; success is 200.
    pub fn add_connection_to_group_request(
        &self,
        hub: &str,
        group: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        validate_id("connection id", connection)?;
        let path = format!(
            "{}/connections/{}",
            self.group_path(hub, group)?,
            encode(connection)
        );
        Ok(self.bodyless(Method::PUT, path, Vec::new(), OK))
    }

    /// `DELETE groups/{group}/connections/{connection}`; success is 204.
    pub fn remove_connection_from_group_request(
        &self,
        hub: &str,
        group: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let mut req = self.add_connection_to_group_request(hub, group, connection)?;
        req.method = Method::DELETE;
        req.expect = NO_CONTENT;
        Ok(req)
    }

    /// `DELETE connections/{connection}/groups`; success is 204.
    pub fn remove_connection_from_all_groups_request(
        &self,
        hub: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/groups", self.connection_path(hub, connection)?);
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `PUT users/{user}/groups/{group}` (note the order, unlike connections); success is 200.
    pub fn add_user_to_group_request(
        &self,
        hub: &str,
        group: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        validate_group(group)?;
        let path = format!("{}/groups/{}", self.user_path(hub, user)?, encode(group));
        Ok(self.bodyless(Method::PUT, path, Vec::new(), OK))
    }

    /// `DELETE users/{user}/groups/{group}`; success is 204.
    pub fn remove_user_from_group_request(
        &self,
        hub: &str,
        group: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        let mut req = self.add_user_to_group_request(hub, group, user)?;
        req.method = Method::DELETE;
        req.expect = NO_CONTENT;
        Ok(req)
    }

    /// `DELETE users/{user}/groups`; success is 204.
    pub fn remove_user_from_all_groups_request(
        &self,
        hub: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/groups", self.user_path(hub, user)?);
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `POST :addToGroups` with `{"groups":[...],"filter":"..."}`; success is 200.
    pub fn add_to_groups_request(
        &self,
        hub: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        self.groups_filter_request(hub, ":addToGroups", groups, filter)
    }

    /// `POST :removeFromGroups`, same body as `:addToGroups`; success is 200.
    pub fn remove_from_groups_request(
        &self,
        hub: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        self.groups_filter_request(hub, ":removeFromGroups", groups, filter)
    }

    fn groups_filter_request(
        &self,
        hub: &str,
        action: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        if groups.is_empty() {
            return Err(ClientError::Invalid("at least one group is needed".into()));
        }
        for g in groups {
            validate_group(g)?;
        }
        // A struct keeps the field order of the spec's examples: groups, then filter.
        #[derive(serde::Serialize)]
        struct Body<'a> {
            groups: &'a [String],
            filter: &'a str,
        }
        let body = serde_json::to_string(&Body { groups, filter })
            .map_err(|e| ClientError::Invalid(e.to_string()))?;
        let path = format!("{}/{action}", self.hub_path(hub)?);
        let mut req = self.bodyless(Method::POST, path, Vec::new(), OK);
        req.body = Some(Payload::json(body)?);
        Ok(req)
    }

    /// Query of the close operations: `excluded`..., `reason`, `api-version`.
    fn close_request(&self, path: String, excluded: &[String], reason: Option<&str>) -> Request {
        let mut query: Vec<(String, String)> = excluded
            .iter()
            .map(|c| ("excluded".to_string(), c.clone()))
            .collect();
        if let Some(r) = reason {
            query.push(("reason".into(), r.to_string()));
        }
        self.bodyless(Method::POST, path, query, NO_CONTENT)
    }

    /// `POST :closeConnections`; success is 204.
    pub fn close_all_connections_request(
        &self,
        hub: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", self.hub_path(hub)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `POST groups/{group}/:closeConnections`; success is 204.
    pub fn close_group_connections_request(
        &self,
        hub: &str,
        group: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", self.group_path(hub, group)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `POST users/{user}/:closeConnections`; success is 204.
    pub fn close_user_connections_request(
        &self,
        hub: &str,
        user: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", self.user_path(hub, user)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `DELETE connections/{connection}?reason`; success is 204.
    pub fn close_connection_request(
        &self,
        hub: &str,
        connection: &str,
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = self.connection_path(hub, connection)?;
        let mut req = self.close_request(path, &[], reason);
        req.method = Method::DELETE;
        Ok(req)
    }

    /// `HEAD connections/{connection}`: 200 yes, 404 no.
    pub fn connection_exists_request(
        &self,
        hub: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = self.connection_path(hub, connection)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `HEAD users/{user}`: 200 when the user has a connection, 404 otherwise.
    pub fn user_exists_request(&self, hub: &str, user: &str) -> Result<Request, ClientError> {
        let path = self.user_path(hub, user)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `HEAD groups/{group}`: 200 when the group has a connection, 404 otherwise.
    pub fn group_exists_request(&self, hub: &str, group: &str) -> Result<Request, ClientError> {
        let path = self.group_path(hub, group)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `permissions/{permission}/connections/{connection}?targetName&api-version`.
    fn permission_request(
        &self,
        method: Method,
        expect: &'static [u16],
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        validate_id("connection id", connection)?;
        if let Some(t) = target {
            validate_group(t)?;
        }
        let path = format!(
            "{}/permissions/{}/connections/{}",
            self.hub_path(hub)?,
            permission.as_str(),
            encode(connection)
        );
        let query = target
            .map(|t| vec![("targetName".to_string(), t.to_string())])
            .unwrap_or_default();
        Ok(self.bodyless(method, path, query, expect))
    }

    /// `PUT permissions/...`; success is 200.
    pub fn grant_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(Method::PUT, OK, hub, permission, connection, target)
    }

    /// `DELETE permissions/...`; success is 204.
    pub fn revoke_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(
            Method::DELETE,
            NO_CONTENT,
            hub,
            permission,
            connection,
            target,
        )
    }

    /// `HEAD permissions/...`: 200 yes, 404 no.
    pub fn check_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(Method::HEAD, YES_NO, hub, permission, connection, target)
    }

    /// `GET groups/{group}/connections?top&maxpagesize&api-version`: the first page.
    pub fn list_connections_request(
        &self,
        hub: &str,
        group: &str,
        top: Option<u32>,
        max_page_size: Option<u32>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/connections", self.group_path(hub, group)?);
        let mut query = Vec::new();
        if let Some(t) = top {
            query.push(("top".to_string(), t.to_string()));
        }
        if let Some(m) = max_page_size {
            query.push(("maxpagesize".to_string(), m.to_string()));
        }
        Ok(self.bodyless(Method::GET, path, query, OK))
    }

    /// The request for a page's `nextLink`: its path and query on this client's endpoint (a
    /// token is never sent to another host), with this client's api-version forced.
    pub fn next_page_request(&self, next_link: &str) -> Result<Request, ClientError> {
        let invalid =
            || ClientError::Invalid(format!("the service sent a bad nextLink: {next_link}"));
        let rest = match next_link.find("://") {
            Some(i) => {
                let after = &next_link[i + 3..];
                &after[after.find('/').ok_or_else(invalid)?..]
            }
            None => next_link,
        };
        let (path, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        if !path.starts_with("/api/") {
            return Err(invalid());
        }
        let mut query = parse_query(raw_query);
        match query.iter_mut().find(|(k, _)| k == "api-version") {
            Some(pair) => pair.1 = self.options.api_version.clone(),
            None => query.push(self.api_version()),
        }
        Ok(self.request(Method::GET, path.to_string(), query, OK))
    }

    /// Fetches one page of a group's connections, and the request for the next one.
    pub async fn list_connections_page(
        &self,
        req: &Request,
    ) -> Result<(Vec<GroupMember>, Option<Request>), ClientError> {
        let resp = self.execute(req).await?;
        let page: ConnectionPage = serde_json::from_slice(&resp.body).map_err(|e| {
            ClientError::Invalid(format!("the service sent an unreadable page: {e}"))
        })?;
        let next = match page.next_link.as_deref() {
            Some(link) if !link.is_empty() => Some(self.next_page_request(link)?),
            _ => None,
        };
        Ok((page.value, next))
    }

    /// Every connection in a group, following `nextLink` (each page signed anew).
    pub async fn list_connections(
        &self,
        hub: &str,
        group: &str,
        top: Option<u32>,
        max_page_size: Option<u32>,
    ) -> Result<Vec<GroupMember>, ClientError> {
        let mut next = Some(self.list_connections_request(hub, group, top, max_page_size)?);
        let mut all = Vec::new();
        while let Some(req) = next {
            let (members, following) = self.list_connections_page(&req).await?;
            all.extend(members);
            next = following;
        }
        Ok(all)
    }

    /// Any data-plane request (`wps api`): `path` must start with `/api/` and may carry a query;
    /// `query` pairs follow it in order, then `api-version` unless one was given.
    pub fn raw_request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Payload>,
    ) -> Result<Request, ClientError> {
        let (path, raw_query) = path.split_once('?').unwrap_or((path, ""));
        // `/_emulator/`: the emulator's own endpoints (its dashboard's), not the service's.
        let emulator_only = path.starts_with("/_emulator/");
        if !path.starts_with("/api/") && !emulator_only {
            return Err(ClientError::Invalid(format!(
                "the path must start with /api/ (or /_emulator/ for the emulator's own endpoints), got '{path}'"
            )));
        }
        if path.chars().any(|c| !c.is_ascii_graphic() || c == '#') {
            return Err(ClientError::Invalid(format!(
                "the path '{path}' has characters that must be percent-encoded"
            )));
        }
        if let Some(p) = &body {
            validate_payload(p)?;
        }
        let mut pairs = parse_query(raw_query);
        pairs.extend(query.iter().cloned());
        // Keys are written as given by `Client::url`, so they are encoded here.
        let mut pairs: Vec<(String, String)> =
            pairs.into_iter().map(|(k, v)| (encode(&k), v)).collect();
        if !emulator_only && !pairs.iter().any(|(k, _)| k == "api-version") {
            pairs.push(self.api_version());
        }
        let mut req = self.request(method, path.to_string(), pairs, &[]);
        req.body = body;
        Ok(req)
    }

    /// Sends an exists or check request (HEAD): 200 is yes, 404 is no, anything else an error.
    pub async fn head_exists(&self, req: &Request) -> Result<bool, ClientError> {
        Ok(self.execute(req).await?.status == 200)
    }
}

/// The `async` methods: each sends what its `*_request` twin builds (after the same local
/// checks, [`ClientError::Invalid`] before anything is sent) and succeeds on the status that
/// request expects; any other status is a [`ClientError::Status`].
macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident = $build:ident($($arg:ident: $ty:ty),*) -> $out:ty => $map:expr; )*) => {
        impl Client {$(
            $(#[$doc])*
            pub async fn $name(&self, $($arg: $ty),*) -> Result<$out, ClientError> {
                let req = self.$build($($arg),*)?;
                self.execute(&req).await.map($map)
            }
        )*}
    };
}

fn response(resp: Response) -> Response {
    resp
}

fn yes(resp: Response) -> bool {
    resp.status == 200
}

operations! {
    /// Sends a message to every connection of the hub: `POST /api/hubs/{hub}/:send`; 202
    /// (accepted, not delivered: there is no delivery receipt). Refused before sending: a bad
    /// name, an empty id, a TTL over 300, a body over [`MAX_MESSAGE_BYTES`].
    send_to_all = send_to_all_request(hub: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to every connection in a group:
    /// `POST /api/hubs/{hub}/groups/{group}/:send`; 202, also when the group is empty.
    send_to_group = send_to_group_request(hub: &str, group: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to every connection of a user:
    /// `POST /api/hubs/{hub}/users/{userId}/:send`; 202, also when the user has none.
    /// `opts.excluded` is not sent (the service takes none here).
    send_to_user = send_to_user_request(hub: &str, user: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to one connection:
    /// `POST /api/hubs/{hub}/connections/{connectionId}/:send`; 202. Only `opts.ttl_seconds`
    /// is sent.
    send_to_connection = send_to_connection_request(hub: &str, connection: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Whether a connection is open: `HEAD /api/hubs/{hub}/connections/{connectionId}`;
    /// 200 is `true`, 404 `false`.
    connection_exists = connection_exists_request(hub: &str, connection: &str) -> bool => yes;
    /// Whether a user has at least one connection: `HEAD /api/hubs/{hub}/users/{userId}`;
    /// 200 is `true`, 404 `false`.
    user_exists = user_exists_request(hub: &str, user: &str) -> bool => yes;
    /// Whether a group has at least one connection: `HEAD /api/hubs/{hub}/groups/{group}`;
    /// 200 is `true`, 404 `false`.
    group_exists = group_exists_request(hub: &str, group: &str) -> bool => yes;
    /// Whether a connection holds a permission, on `target` (a group) or on every group when
    /// `None`: `HEAD /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`;
    /// 200 is `true`, 404 `false`.
    check_permission = check_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> bool => yes;
    /// Grants a permission on `target` (a group) or on every group when `None`:
    /// `PUT /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`; 200.
    /// A missing connection is a 404 [`ClientError::Status`].
    grant_permission = grant_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> Response => response;
    /// Revokes a permission: `DELETE /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`;
    /// 204, also when the connection does not exist.
    revoke_permission = revoke_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> Response => response;
    /// Adds a connection to a group:
    /// `PUT /api/hubs/{hub}/groups/{group}/connections/{connectionId}`; 200. A missing
    /// connection is a 404 [`ClientError::Status`].
    add_connection_to_group = add_connection_to_group_request(hub: &str, group: &str, connection: &str) -> Response => response;
    /// Adds a user (all of its connections) to a group:
    /// `PUT /api/hubs/{hub}/users/{userId}/groups/{group}`; 200.
    add_user_to_group = add_user_to_group_request(hub: &str, group: &str, user: &str) -> Response => response;
    /// Removes a connection from a group:
    /// `DELETE /api/hubs/{hub}/groups/{group}/connections/{connectionId}`; 204, also when it
    /// was not a member.
    remove_connection_from_group = remove_connection_from_group_request(hub: &str, group: &str, connection: &str) -> Response => response;
    /// Removes a user from a group:
    /// `DELETE /api/hubs/{hub}/users/{userId}/groups/{group}`; 204, also when it was not a member.
    remove_user_from_group = remove_user_from_group_request(hub: &str, group: &str, user: &str) -> Response => response;
    /// Removes a connection from every group it is in:
    /// `DELETE /api/hubs/{hub}/connections/{connectionId}/groups`; 204.
    remove_connection_from_all_groups = remove_connection_from_all_groups_request(hub: &str, connection: &str) -> Response => response;
    /// Removes a user from every group it is in:
    /// `DELETE /api/hubs/{hub}/users/{userId}/groups`; 204.
    remove_user_from_all_groups = remove_user_from_all_groups_request(hub: &str, user: &str) -> Response => response;
    /// Adds every connection matching an OData `filter` to each of `groups`:
    /// `POST /api/hubs/{hub}/:addToGroups` with `{"groups":[...],"filter":"..."}`; 200, even
    /// when nothing matches. An empty `filter` selects every connection of the hub; an empty
    /// `groups` is a [`ClientError::Invalid`].
    add_to_groups = add_to_groups_request(hub: &str, groups: &[String], filter: &str) -> Response => response;
    /// Removes every connection matching an OData `filter` from each of `groups`:
    /// `POST /api/hubs/{hub}/:removeFromGroups`, same body as [`add_to_groups`](Self::add_to_groups); 200.
    remove_from_groups = remove_from_groups_request(hub: &str, groups: &[String], filter: &str) -> Response => response;
    /// Closes every connection of the hub but the `excluded` ones, with an optional close
    /// `reason`: `POST /api/hubs/{hub}/:closeConnections`; 204.
    close_all_connections = close_all_connections_request(hub: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes every connection in a group but the `excluded` ones:
    /// `POST /api/hubs/{hub}/groups/{group}/:closeConnections`; 204.
    close_group_connections = close_group_connections_request(hub: &str, group: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes every connection of a user but the `excluded` ones:
    /// `POST /api/hubs/{hub}/users/{userId}/:closeConnections`; 204.
    close_user_connections = close_user_connections_request(hub: &str, user: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes one connection with an optional `reason`:
    /// `DELETE /api/hubs/{hub}/connections/{connectionId}`; 204, also when it does not exist.
    close_connection = close_connection_request(hub: &str, connection: &str, reason: Option<&str>) -> Response => response;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientOptions, ConnectionString};

    fn client() -> Client {
        let cs =
            ConnectionString::parse("Endpoint=http://localhost;Port=9;AccessKey=k;Version=1.0;")
                .unwrap();
        Client::new(cs, ClientOptions::default()).unwrap()
    }

    #[test]
    fn preview_shows_json_and_text_as_they_are() {
        let json = Payload::json(r#"{"a":"x y","b":[1,2]}"#).unwrap();
        assert_eq!(json.preview(), r#"{"a":"x y","b":[1,2]}"#);
        assert_eq!(
            Payload::text("two\nlines\ttab").preview(),
            "two\nlines\ttab"
        );
        // Other control characters could drive the terminal: escaped.
        assert_eq!(Payload::text("a\u{1b}[2Jb\r").preview(), "a\\u{1b}[2Jb\\r");
    }

    #[test]
    fn preview_of_text_cut_inside_a_character_is_still_text() {
        // 199 ASCII bytes then a 3-byte character: the 200-byte cut falls inside it.
        let text = format!("{}€€", "a".repeat(199));
        let p = Payload::text(text.clone());
        assert_eq!(
            p.preview(),
            format!("{}… ({} bytes)", "a".repeat(199), text.len())
        );
        let bytes = Payload {
            content_type: "application/octet-stream".into(),
            body: text.into_bytes().into(),
        };
        assert_eq!(bytes.preview(), "<205 bytes binary>");
        let broken = Payload {
            content_type: "text/plain".into(),
            body: vec![b'a', 0xff, b'b'].into(),
        };
        assert_eq!(broken.preview(), "<3 bytes binary>");
    }

    #[test]
    fn encodes_like_the_sdk() {
        assert_eq!(encode("team #1/a?b"), "team%20%231%2Fa%3Fb");
        assert_eq!(encode("user 1/é"), "user%201%2F%C3%A9");
        assert_eq!(encode("userId ne 'u1'"), "userId%20ne%20%27u1%27");
        assert_eq!(encode("a-b.c_d~"), "a-b.c_d~");
    }

    #[test]
    fn send_to_all_query_order_matches_capture() {
        let c = client();
        let opts = SendOptions {
            excluded: vec!["c1".into(), "c2".into()],
            filter: Some("userId ne 'u1'".into()),
            ttl_seconds: None,
            ..SendOptions::default()
        };
        let req = c
            .send_to_all_request("chat", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:send?excluded=c1&excluded=c2&api-version=2024-12-01&filter=userId%20ne%20%27u1%27"
        );
    }

    #[test]
    fn group_and_user_paths_match_capture() {
        let c = client();
        let opts = SendOptions {
            excluded: vec!["c1".into()],
            filter: Some("'g2' in groups".into()),
            ttl_seconds: None,
            ..SendOptions::default()
        };
        let req = c
            .send_to_group_request("chat", "team #1/a?b", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/team%20%231%2Fa%3Fb/:send?excluded=c1&api-version=2024-12-01&filter=%27g2%27%20in%20groups"
        );
        let req = c
            .send_to_user_request("chat", "user 1/é", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/users/user%201%2F%C3%A9/:send?api-version=2024-12-01&filter=%27g2%27%20in%20groups"
        );
    }

    #[test]
    fn local_validation() {
        assert!(validate_hub("chat").is_ok());
        assert!(validate_hub("1chat").is_err());
        assert!(validate_hub("bad-hub!").is_err());
        assert!(validate_hub(&"a".repeat(129)).is_err());
        assert!(validate_group("   ").is_err());
        assert!(validate_group(&"g".repeat(1025)).is_err());
        assert!(Payload::json("{nope").is_err());
        let c = client();
        let big = Payload::binary(vec![0u8; MAX_MESSAGE_BYTES + 1]);
        assert!(c
            .send_to_all_request("chat", &big, &SendOptions::default())
            .is_err());
        let opts = SendOptions {
            ttl_seconds: Some(301),
            ..Default::default()
        };
        assert!(c
            .send_to_all_request("chat", &Payload::text("x"), &opts)
            .is_err());
    }

    /// Each URL equals the one captured from the Python SDK (host aside).
    #[test]
    fn management_urls_match_captures() {
        let c = client();
        let base = "http://localhost:9/api/hubs/chat";
        let v = "api-version=2024-12-01";
        let ex = vec!["c1".to_string()];
        let cases: Vec<(Request, &str, String)> = vec![
            (
                c.add_connection_to_group_request("chat", "g1", "conn1")
                    .unwrap(),
                "PUT",
                format!("{base}/groups/g1/connections/conn1?{v}"),
            ),
            (
                c.remove_connection_from_group_request("chat", "g1", "conn1")
                    .unwrap(),
                "DELETE",
                format!("{base}/groups/g1/connections/conn1?{v}"),
            ),
            (
                c.remove_connection_from_all_groups_request("chat", "conn1")
                    .unwrap(),
                "DELETE",
                format!("{base}/connections/conn1/groups?{v}"),
            ),
            (
                c.add_user_to_group_request("chat", "g1", "user1").unwrap(),
                "PUT",
                format!("{base}/users/user1/groups/g1?{v}"),
            ),
            (
                c.remove_user_from_group_request("chat", "g1", "user1")
                    .unwrap(),
                "DELETE",
                format!("{base}/users/user1/groups/g1?{v}"),
            ),
            (
                c.remove_user_from_all_groups_request("chat", "user1")
                    .unwrap(),
                "DELETE",
                format!("{base}/users/user1/groups?{v}"),
            ),
            (
                c.close_all_connections_request("chat", &ex, Some("maintenance"))
                    .unwrap(),
                "POST",
                format!("{base}/:closeConnections?excluded=c1&reason=maintenance&{v}"),
            ),
            (
                c.close_group_connections_request("chat", "g1", &ex, Some("bye"))
                    .unwrap(),
                "POST",
                format!("{base}/groups/g1/:closeConnections?excluded=c1&reason=bye&{v}"),
            ),
            (
                c.close_user_connections_request("chat", "user1", &ex, Some("bye"))
                    .unwrap(),
                "POST",
                format!("{base}/users/user1/:closeConnections?excluded=c1&reason=bye&{v}"),
            ),
            (
                c.close_connection_request("chat", "conn1", Some("bye"))
                    .unwrap(),
                "DELETE",
                format!("{base}/connections/conn1?reason=bye&{v}"),
            ),
            (
                c.connection_exists_request("chat", "conn1").unwrap(),
                "HEAD",
                format!("{base}/connections/conn1?{v}"),
            ),
            (
                c.group_exists_request("chat", "g1").unwrap(),
                "HEAD",
                format!("{base}/groups/g1?{v}"),
            ),
            (
                c.user_exists_request("chat", "user1").unwrap(),
                "HEAD",
                format!("{base}/users/user1?{v}"),
            ),
            (
                c.grant_permission_request("chat", Permission::SendToGroup, "conn1", Some("g1"))
                    .unwrap(),
                "PUT",
                format!("{base}/permissions/sendToGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.revoke_permission_request(
                    "chat",
                    Permission::JoinLeaveGroup,
                    "conn1",
                    Some("g1"),
                )
                .unwrap(),
                "DELETE",
                format!("{base}/permissions/joinLeaveGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.check_permission_request("chat", Permission::SendToGroup, "conn1", Some("g1"))
                    .unwrap(),
                "HEAD",
                format!("{base}/permissions/sendToGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.list_connections_request("chat", "g1", Some(10), None)
                    .unwrap(),
                "GET",
                format!("{base}/groups/g1/connections?top=10&{v}"),
            ),
        ];
        for (req, method, url) in cases {
            assert_eq!(req.method.as_str(), method, "{url}");
            assert_eq!(c.url(&req), url);
            assert!(req.body.is_none(), "{url}");
            let accept = if method == "HEAD" {
                "*/*"
            } else {
                "application/json"
            };
            assert_eq!(req.accept, accept, "{url}");
        }
    }

    #[test]
    fn names_are_encoded_in_management_paths() {
        let c = client();
        let req = c
            .add_user_to_group_request("chat", "team #1/a?b", "user 1/é")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/users/user%201%2F%C3%A9/groups/team%20%231%2Fa%3Fb?api-version=2024-12-01"
        );
        let req = c.close_connection_request("chat", "c 1", None).unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/connections/c%201?api-version=2024-12-01"
        );
        let req = c
            .grant_permission_request("chat", Permission::JoinLeaveGroup, "c1", None)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/permissions/joinLeaveGroup/connections/c1?api-version=2024-12-01"
        );
        assert!(c.close_connection_request("chat", "", None).is_err());
        assert!(c
            .add_connection_to_group_request("chat", " ", "c1")
            .is_err());
    }

    #[test]
    fn batch_group_body_is_groups_then_filter() {
        let c = client();
        let req = c
            .add_to_groups_request("chat", &["g1".into(), "g 2".into()], "userId eq 'u1'")
            .unwrap();
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:addToGroups?api-version=2024-12-01"
        );
        let body = req.body.unwrap();
        assert_eq!(body.content_type, "application/json");
        assert_eq!(
            &body.body[..],
            br#"{"groups":["g1","g 2"],"filter":"userId eq 'u1'"}"#
        );
        let req = c
            .remove_from_groups_request("chat", &["g1".into()], "")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:removeFromGroups?api-version=2024-12-01"
        );
        assert!(c.add_to_groups_request("chat", &[], "x").is_err());
    }

    #[test]
    fn next_link_keeps_host_private_and_forces_api_version() {
        let c = client();
        let req = c
            .next_page_request("https://evil.example/api/hubs/chat/groups/g1/connections?top=5&maxpagesize=2&continuationToken=a%2Fb&api-version=2020-01-01")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/g1/connections?top=5&maxpagesize=2&continuationToken=a%2Fb&api-version=2024-12-01"
        );
        let req = c
            .next_page_request("/api/hubs/chat/groups/g1/connections?continuationToken=t")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/g1/connections?continuationToken=t&api-version=2024-12-01"
        );
        assert!(c.next_page_request("https://x/other").is_err());
    }

    #[test]
    fn raw_requests_keep_the_query_order_and_add_api_version() {
        let c = client();
        let req = c
            .raw_request(
                Method::POST,
                "/api/hubs/chat/:send?excluded=c1",
                &[("filter".into(), "userId eq 'u 1'".into())],
                Some(Payload::text("hi")),
            )
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:send?excluded=c1&filter=userId%20eq%20%27u%201%27&api-version=2024-12-01"
        );
        let req = c
            .raw_request(
                Method::HEAD,
                "/api/health",
                &[("api-version".into(), "2024-01-01".into())],
                None,
            )
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/health?api-version=2024-01-01"
        );
        assert_eq!(req.accept, "*/*");
        assert!(c.raw_request(Method::GET, "/hubs/chat", &[], None).is_err());
        let req = c
            .raw_request(Method::GET, "/_emulator/api/hubs", &[], None)
            .unwrap();
        assert_eq!(c.url(&req), "http://localhost:9/_emulator/api/hubs");
        assert!(c
            .raw_request(Method::GET, "/api/hubs/a b", &[], None)
            .is_err());
        assert!(c
            .raw_request(Method::GET, "/api/hubs/chat/users/é", &[], None)
            .is_err());
        assert!(c
            .raw_request(Method::GET, "/api/hubs/chat/users/%C3%A9", &[], None)
            .is_ok());
    }
}
