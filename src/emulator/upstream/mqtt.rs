//! What MQTT connections add to the events (the Azure docs' "CloudEvents extension for Azure
//! Web PubSub MQTT event handler", and `@azure/web-pubsub-express`, which tells an MQTT event
//! by `ce-subprotocol: mqtt` with a `ce-physicalConnectionId`):
//!
//! - `connect` carries `mqtt: {protocolVersion, cleanStart, username, password (base64),
//!   userProperties}`; a 2xx reply may add `mqtt.userProperties` for the CONNACK; a 4xx/5xx
//!   reply may say `mqtt: {code, reason, userProperties}` for a failed CONNACK;
//! - `disconnected` carries `mqtt: {initiatedByClient, disconnectPacket: {code,
//!   userProperties} | null}` and a `reason` that may be null;
//! - a user event (a PUBLISH to `$webpubsub/server/events/{event}`) carries the payload as
//!   the body, the 5.0 Content Type as `Content-Type` and user properties as `mqtt-{name}`
//!   headers; any answer (2xx or not) goes back to the client, its `mqtt-*` headers as user
//!   properties.

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::Value;

pub use super::cloudevents::MqttConnect;
use super::cloudevents::{self, SYSTEM_CONTENT_TYPE};
use super::settings::{Event, SystemEvent};
use super::{
    apply_state, execute_any, no_handler, parse_connect, ConnectReply, Connection, Failure,
    FailureKind, Upstream,
};

/// MQTT 5 user properties, in order (names may repeat).
pub type UserProperties = Vec<(String, String)>;

/// A handler's "no" to an MQTT client: what its failed CONNACK says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttRefusal {
    /// The handler's `mqtt.code` as it gave it, or one derived from its status (or 0x80 /
    /// 3 when there was none); the session checks it against the client's version.
    pub code: i64,
    pub reason: Option<String>,
    pub user_properties: Vec<(String, String)>,
    /// For logs: the handler's status, or why there was none.
    pub why: String,
}

/// The `mqtt` part of a `disconnected` event: who ended the connection and the last
/// DISCONNECT packet either side sent (none when the connection just dropped).
#[derive(Debug, Clone, Default)]
pub struct MqttDisconnected {
    pub initiated_by_client: bool,
    /// Reason code and (from the client only) user properties.
    pub packet: Option<(u8, Option<UserProperties>)>,
}

/// The prefix of the headers that carry MQTT user properties both ways.
const PROPERTY_PREFIX: &str = "mqtt-";
/// User properties carried either way: a handler cannot make a reply packet grow without
/// bound through its headers.
const MAX_PROPERTIES: usize = 64;

/// A handler's answer to an MQTT user event, whatever its status: the client gets it on
/// `.../succeeded` (2xx) or `.../failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttEventReply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// The reply's `mqtt-*` headers, prefix taken off, in order.
    pub user_properties: UserProperties,
}

impl Upstream {
    /// A user event from an MQTT client: `body` as published, with its `content_type` (a
    /// MIME type the caller checked) and user properties. A 2xx reply's `ce-connectionState`
    /// is applied. [`FailureKind::NoHandler`] when no handler takes the event; any other
    /// `Err` is an event that got no answer.
    pub async fn mqtt_user_event(
        &self,
        conn: &Connection,
        name: &str,
        content_type: &str,
        body: Bytes,
        user_properties: &[(String, String)],
    ) -> Result<MqttEventReply, Failure> {
        let bad = |m: String| Failure::new(FailureKind::BadRequest, m);
        let mut call = self
            .build(
                conn,
                Event::User(name),
                conn.next_id(),
                body,
                "application/octet-stream",
                &[],
            )?
            .ok_or_else(|| no_handler(conn, name))?;
        let value = HeaderValue::from_str(content_type)
            .map_err(|_| bad(format!("content type {content_type:?} is no header value")))?;
        call.headers.insert(CONTENT_TYPE, value);
        for (key, value) in user_properties.iter().take(MAX_PROPERTIES) {
            let header = HeaderName::from_bytes(
                format!("{PROPERTY_PREFIX}{}", key.to_ascii_lowercase()).as_bytes(),
            )
            .map_err(|_| {
                bad(format!(
                    "user property {key:?} cannot be an HTTP header name"
                ))
            })?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| bad(format!("user property {key:?} cannot be an HTTP header")))?;
            call.headers.append(header, value);
        }
        let (reply, _) =
            execute_any(&self.inner, call, |reply| apply_state(conn, &reply.headers)).await?;
        let user_properties = reply
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let key = name.as_str().strip_prefix(PROPERTY_PREFIX)?;
                Some((key.to_string(), value.to_str().ok()?.to_string()))
            })
            .take(MAX_PROPERTIES)
            .collect();
        Ok(MqttEventReply {
            status: reply.status.as_u16(),
            content_type: reply
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: reply.body,
            user_properties,
        })
    }

    /// The blocking `connect` of an MQTT client. `Ok(None)`: no handler takes it. `Ok(Some)`:
    /// accepted, with the user properties its reply asks the CONNACK to carry.
    pub async fn mqtt_connect(
        &self,
        conn: &Connection,
        request: &cloudevents::ConnectRequest,
        protocol_version: u8,
    ) -> Result<Option<(ConnectReply, Vec<(String, String)>)>, MqttRefusal> {
        let event = Event::System(SystemEvent::Connect);
        let body = cloudevents::system_body(SystemEvent::Connect, Some(request), None);
        let unspecified = |why: String| MqttRefusal {
            code: unspecified_code(protocol_version),
            reason: None,
            user_properties: Vec::new(),
            why,
        };
        let call = match self.build(conn, event, 0, body, SYSTEM_CONTENT_TYPE, &[]) {
            Ok(Some(call)) => call,
            Ok(None) => return Ok(None),
            Err(f) => return Err(unspecified(f.message)),
        };
        let (reply, parsed) = execute_any(&self.inner, call, |reply| {
            let parsed = parse_connect(&reply.body)?;
            apply_state(conn, &reply.headers)?;
            Ok(parsed)
        })
        .await
        .map_err(|f| unspecified(f.message))?;
        let Some(parsed) = parsed else {
            return Err(refusal(
                reply.status.as_u16(),
                &reply.body,
                protocol_version,
            ));
        };
        Ok(Some((parsed, reply_user_properties(&reply.body))))
    }

    /// The `disconnected` notification of an MQTT session; `reason` may be none.
    pub fn mqtt_disconnected(
        &self,
        conn: &Connection,
        reason: Option<&str>,
        mqtt: &MqttDisconnected,
    ) {
        let packet = mqtt.packet.as_ref().map(|(code, props)| {
            serde_json::json!({
                "code": code,
                "userProperties": props.as_ref().map(|p| pairs(p)),
            })
        });
        let body = serde_json::json!({
            "reason": reason,
            "mqtt": {
                "initiatedByClient": mqtt.initiated_by_client,
                "disconnectPacket": packet,
            },
        });
        self.disconnected_with(conn, serde_json::to_vec(&body).unwrap_or_default());
    }
}

fn pairs(props: &[(String, String)]) -> Vec<Value> {
    props
        .iter()
        .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
        .collect()
}

/// "Unspecified error" in the client's terms: 0x80 for 5.0; 3.1.1 has none, and "server
/// unavailable" (3) is the nearest.
fn unspecified_code(protocol_version: u8) -> i64 {
    if protocol_version == 5 {
        0x80
    } else {
        3
    }
}

/// A 4xx/5xx reply: its `mqtt.code` if it has one, else the code the handler library writes
/// for that status (`fail(400 | 401 | 500)`): bad user name or password, not authorized,
/// server unavailable / unspecified error.
fn refusal(status: u16, body: &[u8], protocol_version: u8) -> MqttRefusal {
    let mqtt = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| field(&v, "mqtt").cloned());
    let v5 = protocol_version == 5;
    let from_status = match status {
        400 => Some(if v5 { 0x86 } else { 4 }),
        401 | 403 => Some(if v5 { 0x87 } else { 5 }),
        _ => None,
    };
    let code = mqtt
        .as_ref()
        .and_then(|m| field(m, "code"))
        .and_then(Value::as_i64)
        .or(from_status)
        .unwrap_or_else(|| unspecified_code(protocol_version));
    let reason = mqtt
        .as_ref()
        .and_then(|m| field(m, "reason"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let user_properties = mqtt.as_ref().map(user_properties_of).unwrap_or_default();
    MqttRefusal {
        code,
        reason,
        user_properties,
        why: format!("the handler answered {status}"),
    }
}

/// A 2xx reply's `mqtt.userProperties`.
fn reply_user_properties(body: &[u8]) -> Vec<(String, String)> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| field(&v, "mqtt").map(user_properties_of))
        .unwrap_or_default()
}

/// `userProperties: [{name, value}]`; entries that are not two strings are skipped.
fn user_properties_of(mqtt: &Value) -> Vec<(String, String)> {
    let Some(Value::Array(items)) = field(mqtt, "userProperties") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let name = field(item, "name")?.as_str()?;
            let value = field(item, "value")?.as_str()?;
            Some((name.to_string(), value.to_string()))
        })
        // A CONNACK is one packet: a handler cannot make it grow without bound.
        .take(64)
        .collect()
}

/// A property by name in any case, as the rest of the reply parsing reads them.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_takes_the_handlers_code_or_one_from_its_status() {
        let body = br#"{"mqtt":{"code":138,"reason":"banned","userProperties":[{"name":"a","value":"b"},{"name":1}]}}"#;
        let r = refusal(401, body, 5);
        assert_eq!(r.code, 138);
        assert_eq!(r.reason.as_deref(), Some("banned"));
        assert_eq!(r.user_properties, vec![("a".into(), "b".into())]);
        assert_eq!(refusal(401, b"", 5).code, 0x87);
        assert_eq!(refusal(401, b"nope", 4).code, 5);
        assert_eq!(refusal(400, b"", 4).code, 4);
        assert_eq!(refusal(500, b"", 5).code, 0x80);
        assert_eq!(refusal(503, b"{}", 4).code, 3);
    }

    #[test]
    fn connect_properties_serialise_as_the_docs_show() {
        let m = MqttConnect::new(5, true, Some("u"), Some(b"\x00\x01"), Some(vec![]));
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({
                "protocolVersion": 5, "cleanStart": true, "username": "u",
                "password": "AAE=", "userProperties": []
            })
        );
        let m = MqttConnect::new(4, false, None, None, None);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({
                "protocolVersion": 4, "cleanStart": false, "username": null,
                "password": null, "userProperties": null
            })
        );
    }
}
