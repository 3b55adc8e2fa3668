//! The wire messages of `protobuf.webpubsub.azure.v1` and `protobuf.reliable.webpubsub.azure.v1`,
//! written by hand from the service's published definition (package `azure.webpubsub`, file
//! `webpubsub.v1.proto` in the azure-webpubsub repository; the Learn pages
//! `reference-protobuf-webpubsub-subprotocol` and `reference-protobuf-reliable-webpubsub-subprotocol`
//! show the same messages). Field numbers are the published ones.
//!
//! Only what the emulator and `wps listen` speak is declared: invocations, streams and group
//! state (oneof cases 10, 11 and 13-17 upstream, 5-10 downstream) decode as an empty `message`,
//! which the emulator refuses as it refuses anything it does not support. The `stream` fields
//! of `SendToGroupMessage` and `EventMessage` are declared so a stream start can be refused
//! instead of being taken for a plain send.

// The names are the definition's and mean what its documentation says; repeating that on
// each field would add nothing.
#![allow(missing_docs)]

use std::collections::BTreeMap;

use bytes::Bytes;

pub mod json;

/// A client's request: one case of the `message` oneof.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UpstreamMessage {
    #[prost(oneof = "upstream_message::Message", tags = "1, 5, 6, 7, 8, 9")]
    pub message: Option<upstream_message::Message>,
}

/// The cases of [`UpstreamMessage`].
pub mod upstream_message {
    use std::collections::BTreeMap;

    use super::MessageData;

    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Message {
        #[prost(message, tag = "1")]
        SendToGroupMessage(SendToGroupMessage),
        #[prost(message, tag = "5")]
        EventMessage(EventMessage),
        #[prost(message, tag = "6")]
        JoinGroupMessage(JoinGroupMessage),
        #[prost(message, tag = "7")]
        LeaveGroupMessage(LeaveGroupMessage),
        #[prost(message, tag = "8")]
        SequenceAckMessage(SequenceAckMessage),
        #[prost(message, tag = "9")]
        PingMessage(PingMessage),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SendToGroupMessage {
        #[prost(string, tag = "1")]
        pub group: String,
        #[prost(uint64, optional, tag = "2")]
        pub ack_id: Option<u64>,
        #[prost(message, optional, tag = "3")]
        pub data: Option<MessageData>,
        #[prost(bool, optional, tag = "4")]
        pub no_echo: Option<bool>,
        #[prost(uint32, optional, tag = "5")]
        pub ttl_seconds: Option<u32>,
        #[prost(btree_map = "string, string", tag = "6")]
        pub metadata: BTreeMap<String, String>,
        #[prost(message, optional, tag = "7")]
        pub stream: Option<StreamStartInfo>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EventMessage {
        #[prost(string, tag = "1")]
        pub event: String,
        #[prost(message, optional, tag = "2")]
        pub data: Option<MessageData>,
        #[prost(uint64, optional, tag = "3")]
        pub ack_id: Option<u64>,
        #[prost(btree_map = "string, string", tag = "4")]
        pub metadata: BTreeMap<String, String>,
        #[prost(message, optional, tag = "5")]
        pub stream: Option<StreamStartInfo>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct JoinGroupMessage {
        #[prost(string, tag = "1")]
        pub group: String,
        #[prost(uint64, optional, tag = "2")]
        pub ack_id: Option<u64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LeaveGroupMessage {
        #[prost(string, tag = "1")]
        pub group: String,
        #[prost(uint64, optional, tag = "2")]
        pub ack_id: Option<u64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SequenceAckMessage {
        #[prost(uint64, tag = "1")]
        pub sequence_id: u64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PingMessage {}

    /// Starts a client stream (not supported: its presence makes a request invalid).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StreamStartInfo {
        #[prost(string, tag = "1")]
        pub stream_id: String,
        #[prost(uint32, optional, tag = "2")]
        pub idle_timeout_ms: Option<u32>,
    }
}

/// What the service sends: one case of the `message` oneof.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DownstreamMessage {
    #[prost(oneof = "downstream_message::Message", tags = "1, 2, 3, 4")]
    pub message: Option<downstream_message::Message>,
}

/// The cases of [`DownstreamMessage`].
pub mod downstream_message {
    use std::collections::BTreeMap;

    use super::MessageData;

    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Message {
        #[prost(message, tag = "1")]
        AckMessage(AckMessage),
        #[prost(message, tag = "2")]
        DataMessage(DataMessage),
        #[prost(message, tag = "3")]
        SystemMessage(SystemMessage),
        #[prost(message, tag = "4")]
        PongMessage(PongMessage),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AckMessage {
        #[prost(uint64, tag = "1")]
        pub ack_id: u64,
        #[prost(bool, tag = "2")]
        pub success: bool,
        #[prost(message, optional, tag = "3")]
        pub error: Option<ack_message::ErrorMessage>,
    }

    pub mod ack_message {
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct ErrorMessage {
            #[prost(string, tag = "1")]
            pub name: String,
            #[prost(string, tag = "2")]
            pub message: String,
        }
    }

    /// A message from the server or a group. There is no field for the sender's user id.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DataMessage {
        #[prost(string, tag = "1")]
        pub from: String,
        #[prost(string, optional, tag = "2")]
        pub group: Option<String>,
        #[prost(message, optional, tag = "3")]
        pub data: Option<MessageData>,
        #[prost(uint64, optional, tag = "4")]
        pub sequence_id: Option<u64>,
        #[prost(btree_map = "string, string", tag = "5")]
        pub metadata: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SystemMessage {
        #[prost(oneof = "system_message::Message", tags = "1, 2")]
        pub message: Option<system_message::Message>,
    }

    pub mod system_message {
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Message {
            #[prost(message, tag = "1")]
            ConnectedMessage(ConnectedMessage),
            #[prost(message, tag = "2")]
            DisconnectedMessage(DisconnectedMessage),
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct ConnectedMessage {
            #[prost(string, tag = "1")]
            pub connection_id: String,
            /// Empty when the connection has no user.
            #[prost(string, tag = "2")]
            pub user_id: String,
            /// Reliable connections only.
            #[prost(string, optional, tag = "3")]
            pub reconnection_token: Option<String>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct DisconnectedMessage {
            #[prost(string, tag = "2")]
            pub reason: String,
        }
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PongMessage {}
}

/// A payload: its case is its data type (`text`, `binary`, `protobuf`, `json`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MessageData {
    #[prost(oneof = "message_data::Data", tags = "1, 2, 3, 4")]
    pub data: Option<message_data::Data>,
}

/// The cases of [`MessageData`].
pub mod message_data {
    use bytes::Bytes;

    use super::Any;

    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        #[prost(string, tag = "1")]
        TextData(String),
        #[prost(bytes = "bytes", tag = "2")]
        BinaryData(Bytes),
        #[prost(message, tag = "3")]
        ProtobufData(Any),
        /// JSON text. Older copies of the definition stop at field 3 and describe JSON as
        /// `text_data`; the current definition, its SDK and the official emulator use this.
        #[prost(string, tag = "4")]
        JsonData(String),
    }
}

/// `google.protobuf.Any`: a packed message and the URL naming its type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "bytes", tag = "2")]
    pub value: Bytes,
}

/// Metadata as the protobuf messages carry it (a map: keys are unique and ordered).
pub type MetadataMap = BTreeMap<String, String>;

#[cfg(test)]
mod tests;
