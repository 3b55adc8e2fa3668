//! MQTT's names and types in Web PubSub's terms: the topic server messages arrive on, what
//! is no topic name at all, and the data type of a payload from its Content Type. Pure
//! functions, apart so they read and test without a connection. Imports no sibling.

use bytes::Bytes;

use crate::emulator::message::DataKind;

/// The topic on which REST sends to all, a user or a connection arrive.
pub(super) const SERVER_TOPIC: &str = "$webpubsub/server/messages";

/// Why `topic` is no MQTT topic name at all: a wildcard (MQTT-3.3.2-2), U+0000 (3.1.1's
/// MQTT-1.5.3-2, 5.0's MQTT-1.5.4-2), or nothing (MQTT-4.7.3-1). A client that publishes to
/// one breaks the protocol and is disconnected; a topic name the service does not take
/// (`$...`, a name no group may have) is refused in the PUBACK instead.
pub(super) fn not_a_topic_name(topic: &str) -> Option<&'static str> {
    if topic.contains(['+', '#']) {
        Some("A PUBLISH topic name may not contain a wildcard (+ or #).")
    } else if topic.contains('\0') {
        Some("A PUBLISH topic name may not contain U+0000.")
    } else if topic.is_empty() {
        Some("A PUBLISH topic name may not be empty.")
    } else {
        None
    }
}

/// The Web PubSub data type of an MQTT payload, from its 5.0 Content Type (the service's
/// table); a payload that is not what its type says travels as binary.
pub(super) fn data_kind(content_type: Option<&str>, payload: &Bytes) -> DataKind {
    use prost::Message as _;
    let Some(ct) = content_type else {
        return DataKind::Binary;
    };
    let ct = ct.split(';').next().unwrap_or("").trim();
    if ct.eq_ignore_ascii_case("application/json")
        && serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok()
    {
        DataKind::Json
    } else if ct.eq_ignore_ascii_case("text/plain") && std::str::from_utf8(payload).is_ok() {
        DataKind::Text
    } else if ct.eq_ignore_ascii_case("application/x-protobuf")
        && crate::client::proto::Any::decode(payload.clone()).is_ok()
    {
        DataKind::Protobuf
    } else {
        DataKind::Binary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_nul_and_nothing_are_no_topic_names() {
        for bad in ["a/+", "+", "a/#", "#", "t\0x", ""] {
            assert!(not_a_topic_name(bad).is_some(), "{bad:?}");
        }
        for fine in ["a/b", "$webpubsub/x", " ", "é/ü"] {
            assert_eq!(not_a_topic_name(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn content_types_map_to_data_types_as_the_service_documents() {
        let json = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(data_kind(Some("application/json"), &json), DataKind::Json);
        assert_eq!(data_kind(Some("text/plain"), &json), DataKind::Text);
        assert_eq!(
            data_kind(Some("application/octet-stream"), &json),
            DataKind::Binary
        );
        assert_eq!(data_kind(None, &json), DataKind::Binary);
        let not_json = Bytes::from_static(b"{oops");
        assert_eq!(
            data_kind(Some("application/json"), &not_json),
            DataKind::Binary
        );
    }
}
