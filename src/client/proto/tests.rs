//! The encoding against byte vectors published with the service's own protobuf client
//! (azure-webpubsub, `sdk/clients/csharp/protobuf-client/tests`) and its documentation.

use base64::Engine;
use prost::Message as _;

use super::downstream_message::{ack_message, system_message, AckMessage, DataMessage};
use super::downstream_message::{Message as Down, SystemMessage};
use super::message_data::Data;
use super::upstream_message::{self as up, Message as Up};
use super::*;

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

fn upstream(message: Up) -> Vec<u8> {
    UpstreamMessage {
        message: Some(message),
    }
    .encode_to_vec()
}

fn downstream(bytes: &[u8]) -> Down {
    DownstreamMessage::decode(bytes)
        .expect("decodes")
        .message
        .expect("a message")
}

fn text(s: &str) -> Option<MessageData> {
    Some(MessageData {
        data: Some(Data::TextData(s.into())),
    })
}

#[test]
fn join_and_leave_match_the_sdk_bytes() {
    let join = |ack_id| {
        upstream(Up::JoinGroupMessage(up::JoinGroupMessage {
            group: "group".into(),
            ack_id,
        }))
    };
    assert_eq!(join(None), b64("MgcKBWdyb3Vw"));
    assert_eq!(join(Some(44133)), b64("MgsKBWdyb3VwEOXYAg=="));
    let leave = |ack_id| {
        upstream(Up::LeaveGroupMessage(up::LeaveGroupMessage {
            group: "group".into(),
            ack_id,
        }))
    };
    assert_eq!(leave(None), b64("OgcKBWdyb3Vw"));
    assert_eq!(leave(Some(12345)), b64("OgoKBWdyb3VwELlg"));
}

#[test]
fn send_to_group_event_and_sequence_ack_match_the_sdk_bytes() {
    let send = |data, ack_id| {
        upstream(Up::SendToGroupMessage(up::SendToGroupMessage {
            group: "group".into(),
            ack_id,
            data,
            no_echo: Some(false),
            ..Default::default()
        }))
    };
    assert_eq!(send(text("xzy"), None), b64("ChAKBWdyb3VwGgUKA3h6eSAA"));
    assert_eq!(
        send(text(r#"{"value":"xzy"}"#), Some(12345)),
        b64("Ch8KBWdyb3VwELlgGhEKD3sidmFsdWUiOiJ4enkifSAA")
    );
    let event = upstream(Up::EventMessage(up::EventMessage {
        event: "event".into(),
        data: text("xzy"),
        ..Default::default()
    }));
    assert_eq!(event, b64("Kg4KBWV2ZW50EgUKA3h6eQ=="));
    let ack = upstream(Up::SequenceAckMessage(up::SequenceAckMessage {
        sequence_id: 123456,
    }));
    assert_eq!(ack, b64("QgQIwMQH"));
    // And they decode back to what was encoded.
    let decoded = UpstreamMessage::decode(&b64("QgQIwMQH")[..]).expect("decodes");
    assert_eq!(
        decoded.message,
        Some(Up::SequenceAckMessage(up::SequenceAckMessage {
            sequence_id: 123456
        }))
    );
}

#[test]
fn acks_decode_from_the_sdk_bytes() {
    let ok = AckMessage {
        ack_id: 123,
        success: true,
        error: None,
    };
    assert_eq!(downstream(&b64("CgQIexAB")), Down::AckMessage(ok.clone()));
    let encoded = DownstreamMessage {
        message: Some(Down::AckMessage(ok)),
    }
    .encode_to_vec();
    assert_eq!(encoded, b64("CgQIexAB"));
    let Down::AckMessage(failed) = downstream(&b64("ChoIexAAGhQKCUZvcmJpZGRlbhIHbWVzc2FnZQ=="))
    else {
        panic!("not an ack");
    };
    assert_eq!(failed.ack_id, 123);
    assert!(!failed.success);
    assert_eq!(
        failed.error,
        Some(ack_message::ErrorMessage {
            name: "Forbidden".into(),
            message: "message".into()
        })
    );
}

#[test]
fn data_messages_match_the_sdk_bytes() {
    let group = DataMessage {
        from: "group".into(),
        group: Some("groupName".into()),
        data: text("xyz"),
        sequence_id: Some(12345),
        metadata: Default::default(),
    };
    let bytes = b64("EhwKBWdyb3VwEglncm91cE5hbWUaBQoDeHl6ILlg");
    assert_eq!(downstream(&bytes), Down::DataMessage(group.clone()));
    let encoded = DownstreamMessage {
        message: Some(Down::DataMessage(group)),
    }
    .encode_to_vec();
    assert_eq!(encoded, bytes);

    let server = DataMessage {
        from: "server".into(),
        group: None,
        data: text("xyz"),
        sequence_id: Some(12345),
        metadata: Default::default(),
    };
    let bytes = b64("EhIKBnNlcnZlchoFCgN4eXoguWA=");
    assert_eq!(downstream(&bytes), Down::DataMessage(server));
}

#[test]
fn system_messages_decode_from_the_sdk_bytes() {
    let connected = |token: Option<&str>| {
        Down::SystemMessage(SystemMessage {
            message: Some(system_message::Message::ConnectedMessage(
                system_message::ConnectedMessage {
                    connection_id: "connection".into(),
                    user_id: "user".into(),
                    reconnection_token: token.map(str::to_string),
                },
            )),
        })
    };
    assert_eq!(
        downstream(&b64("GhQKEgoKY29ubmVjdGlvbhIEdXNlcg==")),
        connected(None)
    );
    assert_eq!(
        downstream(&b64("GhkKFwoKY29ubmVjdGlvbhIEdXNlchoDcmVj")),
        connected(Some("rec"))
    );
    assert_eq!(
        downstream(&b64("GgcSBRIDbXNn")),
        Down::SystemMessage(SystemMessage {
            message: Some(system_message::Message::DisconnectedMessage(
                system_message::DisconnectedMessage {
                    reason: "msg".into()
                }
            )),
        })
    );
}

#[test]
fn any_matches_the_documented_bytes() {
    // The docs' `MyMessage { value: 1 }` packed as azure.webpubsub.TestMessage: the hex dump a
    // plain WebSocket client receives, and the base64 a JSON client receives.
    let any = Any {
        type_url: "type.googleapis.com/azure.webpubsub.TestMessage".into(),
        value: Bytes::from_static(&[0x08, 0x01]),
    };
    let encoded = any.encode_to_vec();
    assert_eq!(
        encoded,
        b64("Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE=")
    );
    assert_eq!(&encoded[..2], &[0x0A, 0x2F]);
    assert_eq!(&encoded[encoded.len() - 4..], &[0x12, 0x02, 0x08, 0x01]);
}

#[test]
fn unsupported_cases_decode_as_no_message() {
    // Case 10 (invokeEvent) and 13 (streamData) are not declared: no message, no error.
    for tag in [10u8, 13] {
        let bytes = [(tag << 3) | 2, 0];
        let decoded = UpstreamMessage::decode(&bytes[..]).expect("decodes");
        assert_eq!(decoded.message, None, "case {tag}");
    }
}
