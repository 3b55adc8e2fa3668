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
}

impl Protocol {
    /// The JSON subprotocol's name.
    pub const JSON: &'static str = "json.webpubsub.azure.v1";
    /// The reliable JSON subprotocol's name.
    pub const JSON_RELIABLE: &'static str = "json.reliable.webpubsub.azure.v1";

    /// The protocol a subprotocol name stands for (case-insensitive); unknown names and
    /// none mean a plain WebSocket.
    pub fn from_subprotocol(name: Option<&str>) -> Self {
        match name {
            Some(p) if p.eq_ignore_ascii_case(Self::JSON) => Protocol::Json,
            Some(p) if p.eq_ignore_ascii_case(Self::JSON_RELIABLE) => Protocol::JsonReliable,
            _ => Protocol::Raw,
        }
    }

    /// The subprotocol name to offer, none for a plain WebSocket.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Protocol::Raw => None,
            Protocol::Json => Some(Self::JSON),
            Protocol::JsonReliable => Some(Self::JSON_RELIABLE),
        }
    }
}
