//! The protobuf subprotocols with real WebSocket clients: connected, acks, group sends to
//! mixed recipients (each in its own framing), REST sends, events to a handler, reliable
//! sequence ids and recovery, and the frames that close a connection.

use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use futures_util::SinkExt;
use prost::Message as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use wps::client::proto::downstream_message::{self as down, system_message, Message as Down};
use wps::client::proto::message_data::Data;
use wps::client::proto::upstream_message::{self as up, Message as Up};
use wps::client::proto::{Any, DownstreamMessage, MessageData, UpstreamMessage};
use wps::client::Payload;
use wps::emulator::{self, EmulatorConfig, EventHandlerConfig};

use crate::common::*;

const PROTOBUF: &str = "protobuf.webpubsub.azure.v1";
const PROTOBUF_RELIABLE: &str = "protobuf.reliable.webpubsub.azure.v1";

/// A protobuf client and its `ConnectedMessage`.
async fn connect_protobuf(
    world: &World,
    user: Option<&str>,
    roles: &[&str],
    groups: &[&str],
    subprotocol: &str,
) -> (Socket, system_message::ConnectedMessage) {
    let mut socket = world
        .connect("chat", user, roles, groups, Some(subprotocol))
        .await;
    match next_down(&mut socket).await {
        Down::SystemMessage(down::SystemMessage {
            message: Some(system_message::Message::ConnectedMessage(c)),
        }) => (socket, c),
        other => panic!("expected connected, got {other:?}"),
    }
}

/// The next frame, which must be a binary `DownstreamMessage`.
async fn next_down(socket: &mut Socket) -> Down {
    match next_frame(socket).await {
        Message::Binary(bytes) => DownstreamMessage::decode(bytes)
            .expect("a DownstreamMessage")
            .message
            .expect("a message case"),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

async fn next_data(socket: &mut Socket) -> down::DataMessage {
    match next_down(socket).await {
        Down::DataMessage(m) => m,
        other => panic!("expected a data message, got {other:?}"),
    }
}

async fn next_ack(socket: &mut Socket) -> down::AckMessage {
    match next_down(socket).await {
        Down::AckMessage(m) => m,
        other => panic!("expected an ack, got {other:?}"),
    }
}

async fn send_up(socket: &mut Socket, message: Up) {
    let bytes = UpstreamMessage {
        message: Some(message),
    }
    .encode_to_vec();
    socket
        .send(Message::Binary(bytes.into()))
        .await
        .expect("send");
}

fn join(group: &str, ack_id: Option<u64>) -> Up {
    Up::JoinGroupMessage(up::JoinGroupMessage {
        group: group.into(),
        ack_id,
    })
}

fn send_to_group(group: &str, data: Data, ack_id: Option<u64>, no_echo: bool) -> Up {
    Up::SendToGroupMessage(up::SendToGroupMessage {
        group: group.into(),
        ack_id,
        data: Some(MessageData { data: Some(data) }),
        no_echo: Some(no_echo),
        ..Default::default()
    })
}

fn data_of(m: &down::DataMessage) -> Option<Data> {
    m.data.clone().and_then(|d| d.data)
}

fn ok(ack_id: u64) -> down::AckMessage {
    down::AckMessage {
        ack_id,
        success: true,
        error: None,
    }
}

fn failed(ack_id: u64, name: &str, message: &str) -> down::AckMessage {
    down::AckMessage {
        ack_id,
        success: false,
        error: Some(down::ack_message::ErrorMessage {
            name: name.into(),
            message: message.into(),
        }),
    }
}

fn my_message() -> Any {
    // The docs' `MyMessage { value: 1 }`, packed.
    Any {
        type_url: "type.googleapis.com/azure.webpubsub.TestMessage".into(),
        value: Bytes::from_static(&[0x08, 0x01]),
    }
}

#[tokio::test]
async fn connected_comes_first_and_the_subprotocol_is_echoed() {
    let world = World::new().await;
    for offered in [PROTOBUF, "Protobuf.WebPubSub.Azure.V1", PROTOBUF_RELIABLE] {
        let token = world.client_token("chat", Some("u1"), &[], &[]);
        let (mut socket, resp) = world
            .try_connect_url(
                &format!("/client/hubs/chat?access_token={token}"),
                &[("Sec-WebSocket-Protocol", offered)],
            )
            .await
            .expect("upgraded");
        assert_eq!(
            resp.headers()
                .get("sec-websocket-protocol")
                .map(|v| v.as_bytes()),
            Some(offered.as_bytes())
        );
        let Down::SystemMessage(down::SystemMessage {
            message: Some(system_message::Message::ConnectedMessage(c)),
        }) = next_down(&mut socket).await
        else {
            panic!("not connected");
        };
        assert_eq!(c.user_id, "u1");
        assert!(!c.connection_id.is_empty());
        // Only reliable connections get a reconnection token.
        assert_eq!(
            c.reconnection_token.is_some(),
            offered == PROTOBUF_RELIABLE,
            "{offered}"
        );
    }
    // No user: an empty user id.
    let (_socket, c) = connect_protobuf(&world, None, &[], &[], PROTOBUF).await;
    assert_eq!(c.user_id, "");
}

#[tokio::test]
async fn a_group_send_reaches_protobuf_json_and_plain_members_each_in_its_own_framing() {
    let world = World::new().await;
    let roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
    let (mut sender, _) = connect_protobuf(&world, Some("alice"), &roles, &[], PROTOBUF).await;
    send_up(&mut sender, join("room", Some(1))).await;
    assert_eq!(next_ack(&mut sender).await, ok(1));
    let (mut pb, _) = connect_protobuf(&world, None, &[], &["room"], PROTOBUF).await;
    let (mut json_client, _) = world.connect_json("chat", None, &[], &["room"]).await;
    let mut raw = world.connect("chat", None, &[], &["room"], None).await;

    send_up(
        &mut sender,
        send_to_group("room", Data::TextData("hi".into()), Some(2), false),
    )
    .await;
    // The sender is a member too (no_echo false): it gets the message, then the ack.
    let echoed = next_data(&mut sender).await;
    assert_eq!(data_of(&echoed), Some(Data::TextData("hi".into())));
    assert_eq!(next_ack(&mut sender).await, ok(2));
    let got = next_data(&mut pb).await;
    assert_eq!(
        (got.from.as_str(), got.group.as_deref(), got.sequence_id),
        ("group", Some("room"), None)
    );
    assert_eq!(data_of(&got), Some(Data::TextData("hi".into())));
    assert_eq!(
        next_json(&mut json_client).await,
        json!({"type":"message","from":"group","group":"room","fromUserId":"alice","dataType":"text","data":"hi"})
    );
    assert_eq!(next_frame(&mut raw).await, Message::Text("hi".into()));

    // no_echo skips only the sender; binary, JSON and protobuf data, with metadata.
    let mut with_metadata = send_to_group(
        "room",
        Data::BinaryData(Bytes::from_static(&[1, 2, 3])),
        None,
        true,
    );
    if let Up::SendToGroupMessage(m) = &mut with_metadata {
        m.metadata.insert("trace".into(), "t1".into());
    }
    send_up(&mut sender, with_metadata).await;
    send_up(
        &mut sender,
        send_to_group(
            "room",
            Data::JsonData(r#"{"n":123456789012345678901234567890}"#.into()),
            None,
            true,
        ),
    )
    .await;
    send_up(
        &mut sender,
        send_to_group("room", Data::ProtobufData(my_message()), None, true),
    )
    .await;

    let binary = next_data(&mut pb).await;
    assert_eq!(
        data_of(&binary),
        Some(Data::BinaryData(Bytes::from_static(&[1, 2, 3])))
    );
    assert_eq!(binary.metadata.get("trace").map(String::as_str), Some("t1"));
    assert_eq!(
        data_of(&next_data(&mut pb).await),
        Some(Data::JsonData(
            r#"{"n":123456789012345678901234567890}"#.into()
        ))
    );
    assert_eq!(
        data_of(&next_data(&mut pb).await),
        Some(Data::ProtobufData(my_message()))
    );

    assert_eq!(
        next_json(&mut json_client).await,
        json!({"type":"message","from":"group","group":"room","fromUserId":"alice","dataType":"binary","data":"AQID","metadata":{"trace":"t1"}})
    );
    match next_frame(&mut json_client).await {
        // JSON travels as sent, even where a round trip through f64 would round it.
        Message::Text(t) => assert!(
            t.contains(r#""dataType":"json","data":{"n":123456789012345678901234567890}"#),
            "{t}"
        ),
        other => panic!("expected text, got {other:?}"),
    }
    // The docs' own example: JSON clients get the packed Any in base64 as dataType protobuf.
    let packed = next_json(&mut json_client).await;
    assert_eq!(packed["dataType"], "protobuf");
    assert_eq!(
        packed["data"],
        "Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE="
    );

    assert_eq!(
        next_frame(&mut raw).await,
        Message::Binary(vec![1u8, 2, 3].into())
    );
    assert_eq!(
        next_frame(&mut raw).await,
        Message::Text(r#"{"n":123456789012345678901234567890}"#.into())
    );
    assert_eq!(
        next_frame(&mut raw).await,
        Message::Binary(my_message().encode_to_vec().into())
    );
    // No echo: the pong to a ping sent behind the three is the next thing the sender gets.
    send_up(&mut sender, Up::PingMessage(up::PingMessage {})).await;
    assert_eq!(
        next_down(&mut sender).await,
        Down::PongMessage(down::PongMessage {})
    );
}

#[tokio::test]
async fn a_json_clients_group_send_reaches_a_protobuf_member() {
    let world = World::new().await;
    let (mut json_client, _) = world
        .connect_json("chat", Some("bob"), &["webpubsub.sendToGroup"], &[])
        .await;
    let (mut pb, _) = connect_protobuf(&world, None, &[], &["room"], PROTOBUF).await;
    send_json(
        &mut json_client,
        json!({"type":"sendToGroup","group":"room","dataType":"json","data":{"a":[1,2]}}),
    )
    .await;
    send_json(
        &mut json_client,
        json!({"type":"sendToGroup","group":"room","dataType":"text","data":"t","metadata":{"k":"v"}}),
    )
    .await;
    let json_data = next_data(&mut pb).await;
    assert_eq!(
        data_of(&json_data),
        Some(Data::JsonData(r#"{"a":[1,2]}"#.into()))
    );
    let text = next_data(&mut pb).await;
    assert_eq!(data_of(&text), Some(Data::TextData("t".into())));
    assert_eq!(text.metadata.get("k").map(String::as_str), Some("v"));
}

#[tokio::test]
async fn rest_sends_reach_a_protobuf_client_as_text_json_and_binary() {
    let world = World::new().await;
    let (mut pb, c) = connect_protobuf(&world, None, &[], &["g"], PROTOBUF).await;
    let id = c.connection_id;
    let sends = [
        Payload::text("hello"),
        Payload::json(r#"{"a":[1,2]}"#).expect("json"),
        Payload::binary(vec![0u8, 1, 255]),
    ];
    for payload in sends {
        let path = format!("/api/hubs/chat/connections/{id}/:send");
        let resp = world.rest("POST", &path, &[], Some(payload)).await;
        assert_eq!(resp.status, 202);
    }
    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/groups/g/:send",
            &[],
            Some(Payload::text("to the group")),
        )
        .await;
    assert_eq!(resp.status, 202);

    let text = next_data(&mut pb).await;
    assert_eq!(
        (text.from.as_str(), text.group.as_deref()),
        ("server", None)
    );
    assert_eq!(data_of(&text), Some(Data::TextData("hello".into())));
    assert_eq!(
        data_of(&next_data(&mut pb).await),
        Some(Data::JsonData(r#"{"a":[1,2]}"#.into()))
    );
    assert_eq!(
        data_of(&next_data(&mut pb).await),
        Some(Data::BinaryData(Bytes::from_static(&[0, 1, 255])))
    );
    let group = next_data(&mut pb).await;
    assert_eq!(
        (group.from.as_str(), group.group.as_deref()),
        ("group", Some("g"))
    );
}

#[tokio::test]
async fn acks_say_success_forbidden_duplicate_and_no_handler() {
    let world = World::new().await;
    let (mut pb, _) = connect_protobuf(
        &world,
        None,
        &["webpubsub.joinLeaveGroup.mine"],
        &[],
        PROTOBUF,
    )
    .await;
    send_up(&mut pb, join("mine", Some(1))).await;
    assert_eq!(next_ack(&mut pb).await, ok(1));
    send_up(&mut pb, join("mine", Some(1))).await;
    assert_eq!(
        next_ack(&mut pb).await,
        failed(1, "Duplicate", "Message with ack-id: 1 has been processed")
    );
    send_up(&mut pb, join("other", Some(2))).await;
    assert_eq!(
        next_ack(&mut pb).await,
        failed(
            2,
            "Forbidden",
            "The client does not have permission to join group 'other'."
        )
    );
    // A failure is not remembered: the same ackId may be tried again.
    send_up(&mut pb, join("mine", Some(2))).await;
    assert_eq!(next_ack(&mut pb).await, ok(2));
    send_up(
        &mut pb,
        send_to_group("mine", Data::TextData("x".into()), Some(3), false),
    )
    .await;
    assert_eq!(
        next_ack(&mut pb).await,
        failed(
            3,
            "Forbidden",
            "The client does not have permission to send to group 'mine'."
        )
    );
    send_up(
        &mut pb,
        Up::LeaveGroupMessage(up::LeaveGroupMessage {
            group: "mine".into(),
            ack_id: Some(4),
        }),
    )
    .await;
    assert_eq!(next_ack(&mut pb).await, ok(4));
    // Events need no role; without a handler they fail.
    send_up(
        &mut pb,
        Up::EventMessage(up::EventMessage {
            event: "hello".into(),
            data: Some(MessageData {
                data: Some(Data::TextData("x".into())),
            }),
            ack_id: Some(5),
            ..Default::default()
        }),
    )
    .await;
    let ack = next_ack(&mut pb).await;
    assert_eq!((ack.ack_id, ack.success), (5, false));
    assert_eq!(ack.error.expect("error").name, "InternalServerError");
    // Ping gets pong; no ackId means no ack.
    send_up(&mut pb, Up::PingMessage(up::PingMessage {})).await;
    assert_eq!(
        next_down(&mut pb).await,
        Down::PongMessage(down::PongMessage {})
    );
    send_up(&mut pb, join("mine", None)).await;
    send_up(&mut pb, Up::PingMessage(up::PingMessage {})).await;
    assert_eq!(
        next_down(&mut pb).await,
        Down::PongMessage(down::PongMessage {})
    );
}

/// An event handler on a free port that answers each user event with its own body and
/// content type, and remembers each user event's content type.
async fn echo_handler() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::{header, Method, Response};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let log = log.clone();
        async move {
            if req.method() == Method::OPTIONS {
                return Response::builder()
                    .header("WebHook-Allowed-Origin", "*")
                    .body(Body::empty())
                    .expect("response");
            }
            let user_event = req
                .headers()
                .get("ce-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("azure.webpubsub.user."));
            if !user_event {
                // connect, connected: nothing to say.
                return Response::builder()
                    .status(204)
                    .body(Body::empty())
                    .expect("response");
            }
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = axum::body::to_bytes(req.into_body(), usize::MAX)
                .await
                .expect("body");
            log.lock().expect("log").push(content_type.clone());
            Response::builder()
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}/events"), seen)
}

#[tokio::test]
async fn events_reach_the_handler_and_its_replies_come_back_in_protobuf() {
    let (url, seen) = echo_handler().await;
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        event_handlers: EventHandlerConfig {
            flags: vec![format!("chat={url}")],
            ..EventHandlerConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let world = World {
        emulator,
        dir: tempfile::tempdir().expect("temp dir"),
    };
    let (mut pb, _) = connect_protobuf(&world, None, &[], &[], PROTOBUF).await;
    let cases = [
        Data::TextData("hi".into()),
        Data::JsonData(r#"{"k":"v"}"#.into()),
        Data::BinaryData(Bytes::from_static(&[9, 8])),
        Data::ProtobufData(my_message()),
    ];
    for (i, data) in cases.iter().enumerate() {
        let ack_id = i as u64 + 1;
        send_up(
            &mut pb,
            Up::EventMessage(up::EventMessage {
                event: "echo".into(),
                data: Some(MessageData {
                    data: Some(data.clone()),
                }),
                ack_id: Some(ack_id),
                ..Default::default()
            }),
        )
        .await;
        // The reply first, as a server message, then the ack.
        let reply = next_data(&mut pb).await;
        assert_eq!(
            (reply.from.as_str(), reply.group.as_deref()),
            ("server", None)
        );
        assert_eq!(data_of(&reply).as_ref(), Some(data));
        assert_eq!(next_ack(&mut pb).await, ok(ack_id));
    }
    let content_types = seen.lock().expect("log").clone();
    assert_eq!(
        content_types,
        [
            "text/plain; charset=utf-8",
            "application/json",
            "application/octet-stream",
            "application/x-protobuf"
        ]
    );
}

fn recovery_path(id: &str, token: &str) -> String {
    let token = url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>();
    format!("/client/hubs/chat?access_token=expired.token.value&awps_connection_id={id}&awps_reconnection_token={token}")
}

#[tokio::test]
async fn reliable_sequence_ids_acks_and_recovery_replay() {
    let world = World::new().await;
    let (mut client, c) = connect_protobuf(&world, None, &[], &["g"], PROTOBUF_RELIABLE).await;
    let id = c.connection_id;
    let token = c.reconnection_token.expect("reconnection token");
    let send = |text: &'static str| {
        let path = format!("/api/hubs/chat/connections/{id}/:send");
        let world = &world;
        async move {
            let resp = world
                .rest("POST", &path, &[], Some(Payload::text(text)))
                .await;
            assert_eq!(resp.status, 202);
        }
    };
    for text in ["m1", "m2", "m3"] {
        send(text).await;
    }
    for want in 1..=3 {
        assert_eq!(next_data(&mut client).await.sequence_id, Some(want));
    }
    send_up(
        &mut client,
        Up::SequenceAckMessage(up::SequenceAckMessage { sequence_id: 1 }),
    )
    .await;
    // Requests are handled in order: once the pong is back, the sequence ack has landed.
    send_up(&mut client, Up::PingMessage(up::PingMessage {})).await;
    assert_eq!(
        next_down(&mut client).await,
        Down::PongMessage(down::PongMessage {})
    );
    drop(client);
    send("m4").await;

    // A recovery must keep the connection's subprotocol.
    let (mut wrong, _) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("upgraded");
    assert_eq!(
        next_close(&mut wrong).await,
        (1008, "The connection could not be recovered.".to_string())
    );

    let (mut recovered, resp) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", PROTOBUF_RELIABLE)],
        )
        .await
        .expect("recovery is upgraded");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(PROTOBUF_RELIABLE.as_bytes())
    );
    for (seq, text) in [(2, "m2"), (3, "m3"), (4, "m4")] {
        let msg = next_data(&mut recovered).await;
        assert_eq!(
            (msg.sequence_id, data_of(&msg)),
            (Some(seq), Some(Data::TextData(text.into())))
        );
    }
    send("m5").await;
    assert_eq!(next_data(&mut recovered).await.sequence_id, Some(5));
}

#[tokio::test]
async fn invalid_frames_close_the_connection_as_documented() {
    let world = World::new().await;
    let roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
    let encode = |m: Up| UpstreamMessage { message: Some(m) }.encode_to_vec();
    let mut ttl = send_to_group("g", Data::TextData("x".into()), None, false);
    if let Up::SendToGroupMessage(m) = &mut ttl {
        m.ttl_seconds = Some(301);
    }
    let mut stream = send_to_group("g", Data::TextData("x".into()), None, false);
    if let Up::SendToGroupMessage(m) = &mut stream {
        m.stream = Some(up::StreamStartInfo {
            stream_id: "s".into(),
            idle_timeout_ms: None,
        });
    }
    let cases: Vec<(&str, Message, u16)> = vec![
        ("a text frame", Message::Text("{}".into()), 1003),
        (
            "not protobuf",
            Message::Binary(vec![0xff, 0xff].into()),
            1007,
        ),
        ("no request", Message::Binary(Vec::new().into()), 1007),
        // Case 10 (invokeEvent) is not supported.
        (
            "an invocation",
            Message::Binary(vec![0x52, 0x00].into()),
            1007,
        ),
        (
            "a bad group",
            Message::Binary(encode(join("", Some(1))).into()),
            1007,
        ),
        ("a ttl over 300", Message::Binary(encode(ttl).into()), 1007),
        ("a stream", Message::Binary(encode(stream).into()), 1007),
        (
            "no data",
            Message::Binary(
                encode(Up::SendToGroupMessage(up::SendToGroupMessage {
                    group: "g".into(),
                    ..Default::default()
                }))
                .into(),
            ),
            1007,
        ),
        (
            "a bad event name",
            Message::Binary(
                encode(Up::EventMessage(up::EventMessage {
                    event: "my event".into(),
                    data: Some(MessageData {
                        data: Some(Data::TextData("x".into())),
                    }),
                    ack_id: Some(1),
                    ..Default::default()
                }))
                .into(),
            ),
            1007,
        ),
    ];
    for (what, frame, code) in cases {
        let (mut pb, _) = connect_protobuf(&world, None, &roles, &[], PROTOBUF).await;
        pb.send(frame).await.expect("send");
        let (got, reason) = next_close(&mut pb).await;
        assert_eq!(got, code, "{what}: {reason}");
        if code == 1003 {
            assert_eq!(
                reason,
                "The protobuf.webpubsub.azure.v1 subprotocol requires binary messages."
            );
        }
    }
}

#[tokio::test]
async fn rest_close_sends_disconnected_in_protobuf_then_1000() {
    let world = World::new().await;
    let (mut pb, c) = connect_protobuf(&world, None, &[], &[], PROTOBUF).await;
    let resp = world
        .rest(
            "DELETE",
            &format!("/api/hubs/chat/connections/{}", c.connection_id),
            &[("reason", "bye")],
            None,
        )
        .await;
    assert_eq!(resp.status, 204);
    assert_eq!(
        next_down(&mut pb).await,
        Down::SystemMessage(down::SystemMessage {
            message: Some(system_message::Message::DisconnectedMessage(
                system_message::DisconnectedMessage {
                    reason: "bye".into()
                }
            )),
        })
    );
    assert_eq!(next_close(&mut pb).await, (1000, "bye".to_string()));
}

#[test]
fn the_packed_example_is_the_documented_base64() {
    let encoded = base64::engine::general_purpose::STANDARD.encode(my_message().encode_to_vec());
    assert_eq!(
        encoded,
        "Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE="
    );
}
