//! The request side of the wire format: CloudEvents in binary mode (attributes in `ce-*`
//! headers, data in the body), as the Azure docs' "CloudEvents extension for Azure Web PubSub
//! event handler with HTTP protocol" describes and `@azure/web-pubsub-express` reads.

use std::collections::BTreeMap;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde::Serialize;

use super::settings::{Event, SystemEvent};

/// Names of the headers, in one place. The handler library reads them case-insensitively.
pub const SPEC_VERSION: &str = "ce-specversion";
pub const TYPE: &str = "ce-type";
pub const SOURCE: &str = "ce-source";
pub const ID: &str = "ce-id";
pub const TIME: &str = "ce-time";
/// Without it `@azure/web-pubsub-express` ignores the request, validation included.
pub const AWPS_VERSION: &str = "ce-awpsversion";
pub const HUB: &str = "ce-hub";
pub const CONNECTION_ID: &str = "ce-connectionid";
pub const USER_ID: &str = "ce-userid";
pub const EVENT_NAME: &str = "ce-eventname";
pub const SUBPROTOCOL: &str = "ce-subprotocol";
pub const CONNECTION_STATE: &str = "ce-connectionstate";
pub const SIGNATURE: &str = "ce-signature";
/// MQTT connections only: the WebSocket the event came through, and the MQTT session (not on
/// `connect`, which comes before there is one).
pub const PHYSICAL_CONNECTION_ID: &str = "ce-physicalconnectionid";
pub const SESSION_ID: &str = "ce-sessionid";
/// Socket.IO serverless mode: the namespace socket an event is about.
pub const NAMESPACE: &str = "ce-namespace";
pub const SOCKET_ID: &str = "ce-socketid";
/// Also required on every event by the handler library, not only on validation.
pub const REQUEST_ORIGIN: &str = "webhook-request-origin";
pub const ALLOWED_ORIGIN: &str = "webhook-allowed-origin";
/// Message metadata, both ways: `x-webpubsub-metadata-<key>`.
pub const METADATA_PREFIX: &str = "x-webpubsub-metadata-";

/// System events carry JSON, with the charset the docs show.
pub const SYSTEM_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// `sha256=` + lowercase hex HMAC-SHA256 keyed by the access key over the connection id.
/// (The service, holding two keys, sends both values comma-separated; we have one.)
pub fn signature(access_key: &[u8], connection_id: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, access_key);
    let mut out = String::from("sha256=");
    for b in ring::hmac::sign(&key, connection_id.as_bytes()).as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `azure.webpubsub.sys.<name>` or `azure.webpubsub.user.<name>`.
pub fn ce_type(event: Event<'_>) -> String {
    match event {
        Event::System(e) => format!("azure.webpubsub.sys.{}", e.name()),
        Event::User(name) => format!("azure.webpubsub.user.{name}"),
    }
}

/// UTC to the second, the way the official emulator writes it (`2021-01-01T00:00:00Z`).
pub fn now() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// What one request says about its connection and event.
#[derive(Debug)]
pub struct Envelope<'a> {
    pub hub: &'a str,
    pub connection_id: &'a str,
    pub user_id: Option<&'a str>,
    pub subprotocol: Option<&'a str>,
    pub state: Option<&'a str>,
    pub event: Event<'a>,
    pub id: u64,
    pub origin: &'a str,
    pub signature: &'a str,
    /// MQTT: `ce-physicalConnectionId`, also the last segment of `ce-source`.
    pub physical_connection_id: Option<&'a str>,
    /// MQTT: `ce-sessionId`.
    pub session_id: Option<&'a str>,
    /// Socket.IO serverless mode: `ce-namespace` and `ce-socketId`.
    pub socket: Option<(&'a str, &'a str)>,
}

/// Whether `value` can be sent as an HTTP header value, as [`headers`] sends it: no control
/// characters but tab (CR and LF above all); UTF-8 goes through as its bytes.
pub fn fits_a_header(value: &str) -> bool {
    HeaderValue::from_bytes(value.as_bytes()).is_ok()
}

/// The CloudEvents headers. Fails only on a value no HTTP header can carry (control
/// characters in a user id, say), which is the caller's to report.
pub fn headers(env: &Envelope<'_>) -> Result<HeaderMap, String> {
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| -> Result<(), String> {
        // from_bytes, not from_str: a UTF-8 user id goes through as its bytes, as the
        // service sends it, instead of failing the event.
        let v = HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| format!("{name} cannot be sent in an HTTP header: {value:?}"))?;
        h.insert(HeaderName::from_static(name), v);
        Ok(())
    };
    put(SPEC_VERSION, "1.0")?;
    put(AWPS_VERSION, "1.0")?;
    // A Socket.IO serverless socket's events are all typed `message` (the specification's
    // "Message Event"); the Socket.IO event's own name is in `ce-eventName`.
    let kind = match (env.socket, env.event) {
        (Some(_), Event::User(_)) => ce_type(Event::User("message")),
        _ => ce_type(env.event),
    };
    put(TYPE, &kind)?;
    let source = match env.physical_connection_id {
        Some(physical) => format!("/hubs/{}/client/{}/{physical}", env.hub, env.connection_id),
        None => format!("/hubs/{}/client/{}", env.hub, env.connection_id),
    };
    put(SOURCE, &source)?;
    put(ID, &env.id.to_string())?;
    put(TIME, &now())?;
    put(HUB, env.hub)?;
    put(CONNECTION_ID, env.connection_id)?;
    put(EVENT_NAME, env.event.name())?;
    put(SIGNATURE, env.signature)?;
    put(REQUEST_ORIGIN, env.origin)?;
    // Empty values are left out, as the service and the official emulator do.
    for (name, value) in [
        (USER_ID, env.user_id),
        (SUBPROTOCOL, env.subprotocol),
        (CONNECTION_STATE, env.state),
        (PHYSICAL_CONNECTION_ID, env.physical_connection_id),
        (SESSION_ID, env.session_id),
        (NAMESPACE, env.socket.map(|(namespace, _)| namespace)),
        (SOCKET_ID, env.socket.map(|(_, id)| id)),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            put(name, v)?;
        }
    }
    Ok(h)
}

/// Adds `x-webpubsub-metadata-<key>` headers, keys lowercased (the last of equal keys wins).
pub fn add_metadata(h: &mut HeaderMap, metadata: &[(String, String)]) -> Result<(), String> {
    for (key, value) in metadata {
        let name = HeaderName::from_bytes(
            format!("{METADATA_PREFIX}{}", key.to_ascii_lowercase()).as_bytes(),
        )
        .map_err(|_| format!("metadata key {key:?} cannot be an HTTP header name"))?;
        let value = HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| format!("metadata value for {key:?} cannot be sent in an HTTP header"))?;
        h.insert(name, value);
    }
    Ok(())
}

pub use crate::emulator::message::DataKind;

pub fn set_content_type(h: &mut HeaderMap, value: &'static str) {
    h.insert(CONTENT_TYPE, HeaderValue::from_static(value));
}

/// The `connect` request body. Maps of string arrays, as the service sends them and the
/// handler library types them (`claims`, `query`, `headers`: `{ [key]: string[] }`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequest {
    /// MQTT clients only: what their CONNECT said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt: Option<MqttConnect>,
    pub claims: BTreeMap<String, Vec<String>>,
    pub query: BTreeMap<String, Vec<String>>,
    pub headers: BTreeMap<String, Vec<String>>,
    pub subprotocols: Vec<String>,
    /// Always empty: the emulator takes no client certificates.
    pub client_certificates: Vec<ClientCertificate>,
}

/// One MQTT 5 user property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProperty {
    pub name: String,
    pub value: String,
}

/// The `mqtt` part of a `connect` request (MQTT clients only; see `mqtt.rs`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttConnect {
    /// 4 (3.1.1) or 5 (5.0).
    pub protocol_version: u8,
    pub clean_start: bool,
    pub username: Option<String>,
    /// Base64 of the password's bytes.
    pub password: Option<String>,
    /// 5.0 only; `null` for 3.1.1.
    pub user_properties: Option<Vec<UserProperty>>,
}

impl MqttConnect {
    pub fn new(
        protocol_version: u8,
        clean_start: bool,
        username: Option<&str>,
        password: Option<&[u8]>,
        user_properties: Option<Vec<(String, String)>>,
    ) -> MqttConnect {
        MqttConnect {
            protocol_version,
            clean_start,
            username: username.map(str::to_string),
            password: password.map(|p| base64::engine::general_purpose::STANDARD.encode(p)),
            user_properties: user_properties.map(|props| {
                props
                    .into_iter()
                    .map(|(name, value)| UserProperty { name, value })
                    .collect()
            }),
        }
    }
}

/// One client certificate, as the service describes it (never filled by the emulator).
#[derive(Debug, Clone, Serialize)]
pub struct ClientCertificate {
    pub thumbprint: String,
    pub content: String,
}

impl ConnectRequest {
    /// Builds the body from the upgrade request, leaving out what the service leaves out:
    /// the `access_token` query parameter, `Authorization` and the service's internal headers
    /// (the token is the client's secret, not the handler's business).
    pub fn new<'a>(
        claims: impl IntoIterator<Item = (String, Vec<String>)>,
        query: impl IntoIterator<Item = (&'a str, &'a str)>,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        subprotocols: Vec<String>,
    ) -> ConnectRequest {
        let mut req = ConnectRequest {
            claims: claims.into_iter().collect(),
            subprotocols,
            ..ConnectRequest::default()
        };
        for (k, v) in query {
            if !k.eq_ignore_ascii_case("access_token") {
                req.query
                    .entry(k.to_string())
                    .or_default()
                    .push(v.to_string());
            }
        }
        for (k, v) in headers {
            let lower = k.to_ascii_lowercase();
            if lower != "authorization" && !lower.starts_with("x-asrs-internal-") {
                req.headers
                    .entry(k.to_string())
                    .or_default()
                    .push(v.to_string());
            }
        }
        req
    }
}

/// The JSON body of a system event.
pub fn system_body(
    event: SystemEvent,
    connect: Option<&ConnectRequest>,
    reason: Option<&str>,
) -> Vec<u8> {
    let value = match event {
        SystemEvent::Connect => serde_json::to_value(connect.cloned().unwrap_or_default()),
        // The handler library JSON-parses every system body, so `connected` is `{}`, never empty.
        SystemEvent::Connected => Ok(serde_json::json!({})),
        SystemEvent::Disconnected => Ok(serde_json::json!({ "reason": reason.unwrap_or("") })),
    };
    serde_json::to_vec(&value.unwrap_or_default()).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_lowercase_hex_hmac_of_the_connection_id() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature(b"Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn types_and_time() {
        assert_eq!(
            ce_type(Event::System(SystemEvent::Connect)),
            "azure.webpubsub.sys.connect"
        );
        assert_eq!(
            ce_type(Event::User("message")),
            "azure.webpubsub.user.message"
        );
        let t = now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }

    #[test]
    fn empty_optional_attributes_are_left_out() {
        let env = Envelope {
            hub: "chat",
            connection_id: "c1",
            user_id: Some(""),
            subprotocol: None,
            state: Some("eyJ9"),
            event: Event::User("message"),
            id: 3,
            origin: "localhost:8080",
            signature: "sha256=00",
            physical_connection_id: None,
            session_id: None,
            socket: None,
        };
        let h = headers(&env).unwrap();
        assert!(h.get(USER_ID).is_none() && h.get(SUBPROTOCOL).is_none());
        assert_eq!(h[CONNECTION_STATE], "eyJ9");
        assert_eq!(h[SOURCE], "/hubs/chat/client/c1");
        assert_eq!(h[ID], "3");
        let bad = Envelope {
            user_id: Some("a\nb"),
            ..env
        };
        assert!(headers(&bad).unwrap_err().contains("ce-userid"));
    }

    #[test]
    fn a_serverless_sockets_events_are_typed_message_and_named_by_their_event() {
        let env = Envelope {
            hub: "chat",
            connection_id: "c1",
            user_id: None,
            subprotocol: None,
            state: None,
            event: Event::User("hello"),
            id: 1,
            origin: "localhost:8080",
            signature: "sha256=00",
            physical_connection_id: None,
            session_id: None,
            socket: Some(("/ns", "s1")),
        };
        let h = headers(&env).unwrap();
        assert_eq!(h[TYPE], "azure.webpubsub.user.message");
        assert_eq!(h[EVENT_NAME], "hello");
        assert_eq!(
            (&h[NAMESPACE], &h[SOCKET_ID]),
            (&"/ns".parse().unwrap(), &"s1".parse().unwrap())
        );
        let connect = Envelope {
            event: Event::System(SystemEvent::Connect),
            ..env
        };
        assert_eq!(
            headers(&connect).unwrap()[TYPE],
            "azure.webpubsub.sys.connect"
        );
    }

    #[test]
    fn connect_body_leaves_out_the_token_and_authorization() {
        let req = ConnectRequest::new(
            [("sub".to_string(), vec!["u1".to_string()])],
            [("access_token", "secret"), ("a", "1"), ("a", "2")],
            [
                ("Authorization", "Bearer x"),
                ("X-ASRS-Internal-Foo", "y"),
                ("cookie", "k=v"),
            ],
            vec!["json.webpubsub.azure.v1".into()],
        );
        let body: serde_json::Value =
            serde_json::from_slice(&system_body(SystemEvent::Connect, Some(&req), None)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "claims": {"sub": ["u1"]},
                "query": {"a": ["1", "2"]},
                "headers": {"cookie": ["k=v"]},
                "subprotocols": ["json.webpubsub.azure.v1"],
                "clientCertificates": []
            })
        );
        assert_eq!(system_body(SystemEvent::Connected, None, None), b"{}");
        assert_eq!(
            system_body(SystemEvent::Disconnected, None, Some("bye")),
            br#"{"reason":"bye"}"#
        );
    }
}
