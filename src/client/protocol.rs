//! The client endpoint's subprotocols: their names and how an offer is read.

/// How a WebSocket client talks to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// No subprotocol: payloads travel as bare frames.
    Raw,
    /// `json.webpubsub.azure.v1`.
    Json,
    /// `json.reliable.webpubsub.azure.v1`: sequence ids, acks and recovery.
    JsonReliable,
    /// `protobuf.webpubsub.azure.v1`: the JSON protocol's messages as protobuf binary frames.
    Protobuf,
    /// `protobuf.reliable.webpubsub.azure.v1`: the same, with sequence ids and recovery.
    ProtobufReliable,
    /// MQTT 3.1.1 or 5.0 over WebSocket (subprotocol `mqtt`), on its own endpoint
    /// `/clients/mqtt/hubs/{hub}`: never negotiated at `/client/hubs/{hub}`.
    Mqtt,
    /// Engine.IO v4 carrying Socket.IO v5, on its own endpoint `/clients/socketio/hubs/{hub}`
    /// (Web PubSub for Socket.IO): never negotiated as a subprotocol.
    SocketIo,
}

impl Protocol {
    /// The JSON subprotocol's name.
    pub const JSON: &'static str = "json.webpubsub.azure.v1";
    /// The reliable JSON subprotocol's name.
    pub const JSON_RELIABLE: &'static str = "json.reliable.webpubsub.azure.v1";
    /// The protobuf subprotocol's name.
    pub const PROTOBUF: &'static str = "protobuf.webpubsub.azure.v1";
    /// The reliable protobuf subprotocol's name.
    pub const PROTOBUF_RELIABLE: &'static str = "protobuf.reliable.webpubsub.azure.v1";
    /// The MQTT over WebSocket subprotocol's name.
    pub const MQTT: &'static str = "mqtt";

    const NAMED: [Protocol; 4] = [
        Protocol::Json,
        Protocol::JsonReliable,
        Protocol::Protobuf,
        Protocol::ProtobufReliable,
    ];

    /// The protocol a subprotocol name stands for (case-insensitive); unknown names and
    /// none mean a plain WebSocket.
    pub fn from_subprotocol(name: Option<&str>) -> Self {
        let Some(name) = name else {
            return Protocol::Raw;
        };
        Self::NAMED
            .into_iter()
            .find(|p| p.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .unwrap_or(Protocol::Raw)
    }

    /// The subprotocol name to offer, none for a plain WebSocket.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Protocol::Raw => None,
            Protocol::Json => Some(Self::JSON),
            Protocol::JsonReliable => Some(Self::JSON_RELIABLE),
            Protocol::Protobuf => Some(Self::PROTOBUF),
            Protocol::ProtobufReliable => Some(Self::PROTOBUF_RELIABLE),
            Protocol::Mqtt => Some(Self::MQTT),
            Protocol::SocketIo => Some("socketio"),
        }
    }

    /// Sequence ids, `sequenceAck` and recovery.
    pub fn is_reliable(self) -> bool {
        matches!(self, Protocol::JsonReliable | Protocol::ProtobufReliable)
    }

    /// Protobuf binary frames rather than JSON text frames.
    pub fn is_protobuf(self) -> bool {
        matches!(self, Protocol::Protobuf | Protocol::ProtobufReliable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for p in Protocol::NAMED {
            let name = p.name().expect("named");
            assert_eq!(Protocol::from_subprotocol(Some(name)), p);
            assert_eq!(
                Protocol::from_subprotocol(Some(&name.to_ascii_uppercase())),
                p
            );
        }
        assert_eq!(Protocol::from_subprotocol(Some("mqtt")), Protocol::Raw);
        assert_eq!(Protocol::from_subprotocol(None), Protocol::Raw);
        assert!(
            Protocol::ProtobufReliable.is_reliable() && Protocol::ProtobufReliable.is_protobuf()
        );
        assert!(!Protocol::Protobuf.is_reliable() && !Protocol::JsonReliable.is_protobuf());
    }
}
