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

/// Percent-encodes one path segment or query value the way the SDK does.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, ESCAPE).to_string()
}

/// A message body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub content_type: String,
    pub body: Bytes,
}

impl Payload {
    pub fn text(s: impl Into<String>) -> Self {
        Payload {
            content_type: "text/plain".into(),
            body: Bytes::from(s.into()),
        }
    }

    /// JSON text, checked to parse; sent byte for byte as given.
    pub fn json(s: impl Into<String>) -> Result<Self, ClientError> {
        let s = s.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&s)
            .map_err(|e| ClientError::Invalid(format!("invalid JSON payload: {e}")))?;
        Ok(Payload {
            content_type: "application/json".into(),
            body: Bytes::from(s),
        })
    }

    pub fn binary(body: impl Into<Bytes>) -> Self {
        Payload {
            content_type: "application/octet-stream".into(),
            body: body.into(),
        }
    }

    /// A short, printable preview for logs and dry runs.
    pub fn preview(&self) -> String {
        const MAX: usize = 200;
        let shown = &self.body[..self.body.len().min(MAX)];
        let mut s = match std::str::from_utf8(shown) {
            Ok(t) if !self.content_type.starts_with("application/octet-stream") => {
                t.escape_debug().to_string()
            }
            _ => format!("<{} bytes binary>", self.body.len()),
        };
        if self.body.len() > MAX && !s.starts_with('<') {
            s.push_str(&format!("… ({} bytes)", self.body.len()));
        }
        s
    }
}

/// Options of the send operations; each operation sends only what the service accepts for it.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    pub excluded: Vec<String>,
    pub filter: Option<String>,
    /// 0–300 seconds; `None` leaves it out.
    pub ttl_seconds: Option<u32>,
}

/// `sendToGroup` or `joinLeaveGroup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    SendToGroup,
    JoinLeaveGroup,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::SendToGroup => "sendToGroup",
            Permission::JoinLeaveGroup => "joinLeaveGroup",
        }
    }
}

/// Hub names: a letter, then up to 127 of `A-Z a-z 0-9 _ ` , . [ ]`.
pub fn validate_hub(hub: &str) -> Result<(), ClientError> {
    let mut chars = hub.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && hub.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || "_`,.[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!(
            "invalid hub name '{hub}': it must start with a letter and have at most 128 of A-Z a-z 0-9 _ ` , . [ ]"
        )))
    }
}

/// Group names: 1–1024 characters, not only whitespace.
pub fn validate_group(group: &str) -> Result<(), ClientError> {
    let n = group.chars().count();
    if n == 0 || n > 1024 || group.trim().is_empty() {
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

impl Client {
    fn hub_path(&self, hub: &str) -> Result<String, ClientError> {
        validate_hub(hub)?;
        Ok(format!("/api/hubs/{}", encode(hub)))
    }

    fn request(&self, method: Method, path: String, query: Vec<(String, String)>) -> Request {
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
        let mut req = self.request(Method::POST, path, query);
        req.body = Some(payload.clone());
        Ok(req)
    }

    /// Builds the request of an operation without sending it (for `--dry-run`).
    pub fn send_to_all_request(
        &self,
        hub: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", self.hub_path(hub)?);
        self.send_request(path, payload, opts)
    }

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

    pub async fn send_to_all(
        &self,
        hub: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Response, ClientError> {
        let req = self.send_to_all_request(hub, payload, opts)?;
        self.expect(&req, &[202]).await
    }

    pub async fn send_to_group(
        &self,
        hub: &str,
        group: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Response, ClientError> {
        let req = self.send_to_group_request(hub, group, payload, opts)?;
        self.expect(&req, &[202]).await
    }

    pub async fn send_to_user(
        &self,
        hub: &str,
        user: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Response, ClientError> {
        let req = self.send_to_user_request(hub, user, payload, opts)?;
        self.expect(&req, &[202]).await
    }

    pub async fn send_to_connection(
        &self,
        hub: &str,
        connection: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Response, ClientError> {
        let req = self.send_to_connection_request(hub, connection, payload, opts)?;
        self.expect(&req, &[202]).await
    }

    /// Sends `req` and turns any status outside `ok` into a [`ClientError::Status`].
    pub async fn expect(&self, req: &Request, ok: &[u16]) -> Result<Response, ClientError> {
        let resp = self.execute(req).await?;
        if ok.contains(&resp.status) {
            Ok(resp)
        } else {
            Err(ClientError::from_response(
                resp.status,
                &resp.body,
                resp.attempts,
            ))
        }
    }
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
}
