//! The emulator's WebSocket side with real clients: data types per protocol, client
//! messages and acks, roles and permissions, reliable recovery, closes and rejections.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;

use crate::common::*;

const JSON: &str = "json.webpubsub.azure.v1";

async fn send_all(world: &World, payload: Payload) {
    let resp = world
        .rest("POST", "/api/hubs/chat/:send", &[], Some(payload))
        .await;
    assert_eq!(resp.status, 202);
}

async fn send_to_connection(world: &World, id: &str, text: &str) {
    let resp = world
        .rest(
            "POST",
            &format!("/api/hubs/chat/connections/{id}/:send"),
            &[],
            Some(Payload::text(text)),
        )
        .await;
    assert_eq!(resp.status, 202);
}

fn recovery_path(id: &str, token: &str) -> String {
    // The old, possibly expired access token rides along as the SDKs send it; it is ignored.
    format!("/client/hubs/chat?access_token=expired.token.value&awps_connection_id={id}&awps_reconnection_token={token}")
}

#[tokio::test]
async fn each_data_type_reaches_raw_json_and_reliable_clients() {
    let world = World::new().await;
    let mut raw = world.connect("chat", None, &[], &[], None).await;
    let (mut plain, _) = world.connect_json("chat", None, &[], &[]).await;
    let (mut reliable, _, _) = world.connect_reliable("chat", None, &[], &[]).await;

    send_all(&world, Payload::text("hi")).await;
    send_all(&world, Payload::json(r#"{"a":[1,2]}"#).expect("json")).await;
    send_all(&world, Payload::binary(vec![0u8, 1, 255])).await;

    assert_eq!(next_frame(&mut raw).await, Message::Text("hi".into()));
    assert_eq!(
        next_frame(&mut raw).await,
        Message::Text(r#"{"a":[1,2]}"#.into())
    );
    assert_eq!(
        next_frame(&mut raw).await,
        Message::Binary(vec![0u8, 1, 255].into())
    );

    let expected = [
        json!({"type":"message","from":"server","dataType":"text","data":"hi"}),
        json!({"type":"message","from":"server","dataType":"json","data":{"a":[1,2]}}),
        json!({"type":"message","from":"server","dataType":"binary","data":"AAH/"}),
    ];
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&next_json(&mut plain).await, want);
        let mut want = want.clone();
        want["sequenceId"] = json!(i + 1);
        assert_eq!(next_json(&mut reliable).await, want);
    }
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut raw, &mut plain, &mut reliable])
        .await;
}

#[tokio::test]
async fn send_to_group_with_no_echo_acks_and_each_data_type() {
    let world = World::new().await;
    let (mut sender, _) = world
        .connect_json(
            "chat",
            Some("alice"),
            &["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"],
            &[],
        )
        .await;
    // Initial groups need no role.
    let (mut member, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let mut raw_member = world.connect("chat", None, &[], &["g"], None).await;

    send_json(
        &mut sender,
        json!({"type":"joinGroup","group":"g","ackId":1}),
    )
    .await;
    assert_eq!(
        next_json(&mut sender).await,
        json!({"type":"ack","ackId":1,"success":true})
    );
    send_json(&mut sender, json!({"type":"sendToGroup","group":"g","dataType":"text","data":"hi","noEcho":true,"ackId":2})).await;
    assert_eq!(
        next_json(&mut sender).await,
        json!({"type":"ack","ackId":2,"success":true})
    );
    assert_eq!(
        next_json(&mut member).await,
        json!({"type":"message","from":"group","group":"g","fromUserId":"alice","dataType":"text","data":"hi"})
    );
    assert_eq!(
        next_frame(&mut raw_member).await,
        Message::Text("hi".into())
    );

    // Without noEcho the sender gets its own message too, before the ack.
    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","dataType":"binary","data":"AAH/","ackId":3}),
    )
    .await;
    let echo = next_json(&mut sender).await;
    assert_eq!(echo["data"], "AAH/");
    assert_eq!(echo["dataType"], "binary");
    assert_eq!(next_json(&mut sender).await["ackId"], 3);
    assert_eq!(next_json(&mut member).await["data"], "AAH/");
    assert_eq!(
        next_frame(&mut raw_member).await,
        Message::Binary(vec![0u8, 1, 255].into())
    );

    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","data":{"k":"v"},"noEcho":true}),
    )
    .await;
    let msg = next_json(&mut member).await;
    assert_eq!(
        (&msg["dataType"], &msg["data"]),
        (&json!("json"), &json!({"k":"v"}))
    );
    assert_eq!(
        next_frame(&mut raw_member).await,
        Message::Text(r#"{"k":"v"}"#.into())
    );

    // The same successful ackId again: Duplicate, and nothing is delivered twice.
    send_json(&mut sender, json!({"type":"sendToGroup","group":"g","dataType":"text","data":"hi","noEcho":true,"ackId":2})).await;
    assert_eq!(
        next_json(&mut sender).await,
        json!({"type":"ack","ackId":2,"success":false,"error":{"name":"Duplicate","message":"Message with ack-id: 2 has been processed"}})
    );
    assert_nothing_before_sentinel(
        &world,
        "chat",
        &mut [&mut member, &mut sender, &mut raw_member],
    )
    .await;

    // Leave, then a group send no longer echoes.
    send_json(
        &mut sender,
        json!({"type":"leaveGroup","group":"g","ackId":4}),
    )
    .await;
    assert_eq!(next_json(&mut sender).await["success"], true);
    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","dataType":"text","data":"bye"}),
    )
    .await;
    assert_eq!(next_json(&mut member).await["data"], "bye");
    settle_client(&mut sender).await;
}

#[tokio::test]
async fn no_role_means_forbidden_acks_and_failures_are_not_cached() {
    let world = World::new().await;
    let (mut client, _) = world.connect_json("chat", None, &[], &[]).await;
    let (mut member, _) = world.connect_json("chat", None, &[], &["g"]).await;

    send_json(
        &mut client,
        json!({"type":"joinGroup","group":"g","ackId":1}),
    )
    .await;
    let ack = next_json(&mut client).await;
    assert_eq!(ack["success"], false, "{ack}");
    assert_eq!(ack["error"]["name"], "Forbidden");
    assert!(ack["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("'g'")));

    send_json(
        &mut client,
        json!({"type":"sendToGroup","group":"g","dataType":"text","data":"x","ackId":2}),
    )
    .await;
    assert_eq!(
        next_json(&mut client).await,
        json!({"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"The client does not have permission to send to group 'g'."}})
    );
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut member, &mut client]).await;

    // A failed ackId may be retried: Forbidden again, not Duplicate.
    send_json(
        &mut client,
        json!({"type":"joinGroup","group":"g","ackId":1}),
    )
    .await;
    assert_eq!(next_json(&mut client).await["error"]["name"], "Forbidden");

    // Events need no role; with no handler they fail with InternalServerError.
    send_json(
        &mut client,
        json!({"type":"event","event":"e","dataType":"text","data":"x","ackId":3}),
    )
    .await;
    let ack = next_json(&mut client).await;
    assert_eq!(ack["error"]["name"], "InternalServerError", "{ack}");
    assert!(ack["error"]["message"].is_string());

    send_json(&mut client, json!({"type":"ping"})).await;
    assert_eq!(next_json(&mut client).await, json!({"type":"pong"}));
    // An invalid group name makes the message invalid, as in the service: 1007.
    send_json(
        &mut client,
        json!({"type":"joinGroup","group":"   ","ackId":4}),
    )
    .await;
    assert_eq!(next_close(&mut client).await.0, 1007);
}

#[tokio::test]
async fn wildcard_and_exact_roles_and_string_claims() {
    let world = World::new().await;
    let (mut client, _) = world
        .connect_json(
            "chat",
            None,
            &[
                "webpubsub.joinLeaveGroups.room*",
                "webpubsub.sendToGroup.lobby",
            ],
            &[],
        )
        .await;
    let cases = [
        ("joinGroup", "room1", true),
        ("joinGroup", "room", true),
        ("joinGroup", "room.a", false),
        ("joinGroup", "lobby", false),
        ("sendToGroup", "lobby", true),
        ("sendToGroup", "room1", false),
    ];
    for (i, (kind, group, ok)) in cases.into_iter().enumerate() {
        let ack_id = i as u64 + 1;
        send_json(
            &mut client,
            json!({"type":kind,"group":group,"dataType":"text","data":"x","ackId":ack_id}),
        )
        .await;
        let ack = next_json(&mut client).await;
        assert_eq!(ack["success"], ok, "{kind} {group}: {ack}");
    }

    // `role` and `webpubsub.group` as plain strings, not arrays.
    let now = wps::client::now_secs();
    let token = world.sign_claims(&json!({
        "aud": format!("http://{}/client/hubs/chat", world.emulator.addr()),
        "exp": now + 600,
        "sub": "bob",
        "role": "webpubsub.sendToGroups.**",
        "webpubsub.group": "a.b",
    }));
    let (mut socket, resp) = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}"),
            &[("Sec-WebSocket-Protocol", JSON)],
        )
        .await
        .expect("connects");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(JSON.as_bytes())
    );
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["userId"], "bob");
    send_json(
        &mut socket,
        json!({"type":"sendToGroup","group":"a.b","dataType":"text","data":"deep"}),
    )
    .await;
    let msg = next_json(&mut socket).await;
    assert_eq!(
        (&msg["group"], &msg["data"]),
        (&json!("a.b"), &json!("deep"))
    );
}

#[tokio::test]
async fn rest_grant_and_revoke_change_a_connections_rights() {
    // Needs the permission routes in rest.rs (built by the REST side).
    let world = World::new().await;
    let (mut client, id) = world
        .connect_json("chat", None, &["webpubsub.joinLeaveGroups.room*"], &[])
        .await;
    let path = format!("/api/hubs/chat/permissions/joinLeaveGroup/connections/{id}");
    let resp = world
        .rest("PUT", &path, &[("targetName", "lobby")], None)
        .await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    let resp = world
        .rest("DELETE", &path, &[("targetName", "room")], None)
        .await;
    assert_eq!(resp.status, 204, "{:?}", resp.body);
    for (i, (group, ok)) in [("lobby", true), ("room", false), ("room-other", true)]
        .into_iter()
        .enumerate()
    {
        send_json(
            &mut client,
            json!({"type":"joinGroup","group":group,"ackId":i + 1}),
        )
        .await;
        assert_eq!(next_json(&mut client).await["success"], ok, "{group}");
    }
}

#[tokio::test]
async fn reliable_recovery_replays_unacked_then_new_messages_with_groups_kept() {
    let world = World::new().await;
    let (mut client, id, token) = world.connect_reliable("chat", Some("u"), &[], &["g"]).await;
    for text in ["m1", "m2", "m3"] {
        send_to_connection(&world, &id, text).await;
    }
    for want in 1..=3 {
        assert_eq!(next_json(&mut client).await["sequenceId"], want);
    }
    send_json(&mut client, json!({"type":"sequenceAck","sequenceId":1})).await;
    // Frames are handled in order: once the pong is back, the ack has landed. Then lose the
    // transport without a close frame.
    send_json(&mut client, json!({"type":"ping"})).await;
    assert_eq!(next_json(&mut client).await, json!({"type":"pong"}));
    drop(client);

    // Sent while the client is away: buffered.
    send_to_connection(&world, &id, "m4").await;
    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/groups/g/:send",
            &[],
            Some(Payload::text("m5")),
        )
        .await;
    assert_eq!(resp.status, 202);
    let exists = world
        .rest(
            "HEAD",
            &format!("/api/hubs/chat/connections/{id}"),
            &[],
            None,
        )
        .await;
    assert_eq!(exists.status, 200, "kept during the recovery window");

    let (mut recovered, resp) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("recovery is upgraded");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(RELIABLE.as_bytes())
    );
    // No second `connected`: every unacked message, in order, then the new one.
    for (seq, data) in [(2, "m2"), (3, "m3"), (4, "m4"), (5, "m5")] {
        let msg = next_json(&mut recovered).await;
        assert_eq!(
            (&msg["sequenceId"], &msg["data"]),
            (&json!(seq), &json!(data)),
            "{msg}"
        );
    }
    send_to_connection(&world, &id, "m6").await;
    let msg = next_json(&mut recovered).await;
    assert_eq!(
        (&msg["sequenceId"], &msg["data"]),
        (&json!(6), &json!("m6"))
    );

    // A client close 1000 ends it for good: no recovery after that.
    recovered
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }))
        .await
        .expect("close");
    // The close is handled on the emulator's side of the socket: wait for it.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let exists = world
            .rest(
                "HEAD",
                &format!("/api/hubs/chat/connections/{id}"),
                &[],
                None,
            )
            .await;
        if exists.status == 404 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still there: {}",
            exists.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (mut again, _) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("upgraded");
    assert_eq!(
        next_close(&mut again).await,
        (1008, "The connection could not be recovered.".to_string())
    );
}

#[tokio::test]
async fn failed_recoveries_are_upgraded_then_closed_1008() {
    let world = World::new().await;
    let (_client, id, token) = world.connect_reliable("chat", None, &[], &[]).await;
    let (_other, other_id, _) = world.connect_reliable("chat", None, &[], &[]).await;
    let (_plain, plain_id) = world.connect_json("chat", None, &[], &[]).await;
    let attempts = [
        recovery_path("no-such-connection", &token),
        recovery_path(&id, "not-a-token"),
        // A token is bound to its own connection.
        recovery_path(&other_id, &token),
        recovery_path(&plain_id, &token),
    ];
    for path in attempts {
        let (mut socket, _) = world
            .try_connect_url(&path, &[("Sec-WebSocket-Protocol", RELIABLE)])
            .await
            .expect("upgraded");
        assert_eq!(
            next_close(&mut socket).await,
            (1008, "The connection could not be recovered.".to_string()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn reliable_buffer_full_closes_1008() {
    let world = World::new().await;
    let (mut slow, _, _) = world.connect_reliable("chat", None, &[], &["g"]).await;
    let (mut sender, _) = world
        .connect_json("chat", None, &["webpubsub.sendToGroup.g"], &[])
        .await;
    for i in 0..1001 {
        sender
            .feed(Message::Text(
                json!({"type":"sendToGroup","group":"g","dataType":"text","data":i.to_string()})
                    .to_string()
                    .into(),
            ))
            .await
            .expect("feed");
    }
    sender.flush().await.expect("flush");
    let mut received = 0;
    let close = loop {
        match next_frame(&mut slow).await {
            Message::Text(_) => received += 1,
            Message::Close(frame) => break frame.expect("close frame"),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(received, 1000);
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(
        close.reason.as_str(),
        "The reliable message buffer is full."
    );
}

#[tokio::test]
async fn rest_close_sends_disconnected_then_1000_and_removes_the_connection() {
    let world = World::new().await;
    let (mut json_client, id) = world.connect_json("chat", None, &[], &["g"]).await;
    let (mut reliable, rid, token) = world.connect_reliable("chat", None, &[], &["g"]).await;
    let resp = world
        .rest(
            "DELETE",
            &format!("/api/hubs/chat/connections/{id}"),
            &[("reason", "bye")],
            None,
        )
        .await;
    assert_eq!(resp.status, 204);
    assert_eq!(
        next_json(&mut json_client).await,
        json!({"type":"system","event":"disconnected","message":"bye"})
    );
    assert_eq!(
        next_close(&mut json_client).await,
        (1000, "bye".to_string())
    );
    let exists = world
        .rest(
            "HEAD",
            &format!("/api/hubs/chat/connections/{id}"),
            &[],
            None,
        )
        .await;
    assert_eq!(exists.status, 404);

    // A reliable connection closed over REST cannot be recovered.
    world
        .rest(
            "DELETE",
            &format!("/api/hubs/chat/connections/{rid}"),
            &[("reason", "go")],
            None,
        )
        .await;
    assert_eq!(next_json(&mut reliable).await["message"], "go");
    assert_eq!(next_close(&mut reliable).await, (1000, "go".to_string()));
    let group = world
        .rest("HEAD", "/api/hubs/chat/groups/g", &[], None)
        .await;
    assert_eq!(group.status, 404, "closed connections leave their groups");
    let (mut again, _) = world
        .try_connect_url(
            &recovery_path(&rid, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("upgraded");
    assert_eq!(next_close(&mut again).await.0, 1008);
}

#[tokio::test]
async fn handshake_rejections_and_negotiation() {
    let world = World::new().await;
    // Bad token: 401 before any upgrade.
    let err = world
        .try_connect_url("/client/hubs/chat?access_token=not.a.jwt", &[])
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
        other => panic!("expected HTTP 401, got {other}"),
    }
    // A token for another hub.
    let other = world.client_token("other", None, &[], &[]);
    let err = world
        .try_connect_url(&format!("/client/hubs/chat?access_token={other}"), &[])
        .await
        .expect_err("refused");
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401));
    // An invalid group in the token: 400.
    let token = world.client_token("chat", None, &[], &["  "]);
    let err = world
        .try_connect_url(&format!("/client/hubs/chat?access_token={token}"), &[])
        .await
        .expect_err("refused");
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 400));
    // Not an upgrade: 400.
    let resp = reqwest::get(format!("http://{}/client/hubs/chat", world.emulator.addr()))
        .await
        .expect("GET");
    assert_eq!(resp.status(), 400);

    // Token in the Authorization header; subprotocol matched case-insensitively and echoed.
    let token = world.client_token("chat", Some("u"), &[], &[]);
    let offered = "unknown.v1, JSON.WebPubSub.Azure.V1";
    let (mut socket, resp) = world
        .try_connect_url(
            "/client/hubs/chat",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Sec-WebSocket-Protocol", offered),
            ],
        )
        .await
        .expect("connects");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some("JSON.WebPubSub.Azure.V1".as_bytes())
    );
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["event"], "connected");
    assert!(connected.get("reconnectionToken").is_none());

    // Only unknown subprotocols: accepted as a plain WebSocket with no protocol header,
    // which tungstenite (having offered one) reports as a subprotocol mismatch.
    let err = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}"),
            &[("Sec-WebSocket-Protocol", "unknown.v1")],
        )
        .await
        .expect_err("no protocol echoed");
    assert!(
        matches!(
            err,
            tokio_tungstenite::tungstenite::Error::Protocol(
                tokio_tungstenite::tungstenite::error::ProtocolError::SecWebSocketSubProtocolError(
                    _
                )
            )
        ),
        "{err}"
    );
    // The emulator keeps serving after every rejection.
    let mut raw = world.connect("chat", None, &[], &[], None).await;
    send_all(&world, Payload::text("still here")).await;
    assert_eq!(
        next_frame(&mut raw).await,
        Message::Text("still here".into())
    );
}

#[tokio::test]
async fn ping_pong_and_invalid_frames_close_with_the_service_codes() {
    let world = World::new().await;
    let (mut client, _) = world.connect_json("chat", None, &[], &[]).await;
    send_json(&mut client, json!({"type":"ping"})).await;
    assert_eq!(next_json(&mut client).await, json!({"type":"pong"}));

    let invalid = [
        Message::Text("not json".into()),
        Message::Text(r#"{"type":"nope"}"#.into()),
        Message::Text(r#"{"type":"joinGroup"}"#.into()),
        Message::Text(
            r#"{"type":"sendToGroup","group":"g","dataType":"binary","data":"%%%"}"#.into(),
        ),
    ];
    for frame in invalid {
        let (mut c, _) = world.connect_json("chat", None, &[], &[]).await;
        c.send(frame.clone()).await.expect("send");
        assert_eq!(next_close(&mut c).await.0, 1007, "{frame:?}");
    }
    let (mut c, _) = world.connect_json("chat", None, &[], &[]).await;
    c.send(Message::Binary(vec![1u8, 2].into()))
        .await
        .expect("send");
    assert_eq!(next_close(&mut c).await.0, 1003);

    let (mut c, _) = world.connect_json("chat", None, &[], &[]).await;
    let big = json!({"type":"event","event":"e","dataType":"text","data":"x".repeat(1024 * 1024)});
    c.send(Message::Text(big.to_string().into()))
        .await
        .expect("send");
    assert_eq!(next_close(&mut c).await.0, 1009);

    // A plain client's frame goes to the event handler; there is none: 1011.
    let mut raw = world.connect("chat", None, &[], &[], None).await;
    raw.send(Message::Text("hello".into())).await.expect("send");
    assert_eq!(next_close(&mut raw).await.0, 1011);
}

#[tokio::test]
async fn plain_clients_in_send_to_group_mode_publish_their_frames() {
    let world = World::new().await;
    let (mut member, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let token = world.client_token("chat", Some("p"), &["webpubsub.sendToGroup.g"], &[]);
    let (mut publisher, _) = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}&webpubsub_mode=sendToGroup&group=g"),
            &[],
        )
        .await
        .expect("connects");
    publisher
        .send(Message::Text("t".into()))
        .await
        .expect("send");
    publisher
        .send(Message::Binary(vec![7u8].into()))
        .await
        .expect("send");
    assert_eq!(
        next_json(&mut member).await,
        json!({"type":"message","from":"group","group":"g","fromUserId":"p","dataType":"text","data":"t"})
    );
    assert_eq!(next_json(&mut member).await["data"], "Bw==");

    let token = world.client_token("chat", None, &[], &[]);
    let (mut denied, _) = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}&webpubsub_mode=sendToGroup&group=g"),
            &[],
        )
        .await
        .expect("connects");
    denied.send(Message::Text("t".into())).await.expect("send");
    assert_eq!(next_close(&mut denied).await.0, 1008);
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut member]).await;
}

#[tokio::test]
async fn shutdown_closes_clients_with_1001() {
    let world = World::new().await;
    let (mut client, _) = world.connect_json("chat", None, &[], &[]).await;
    let World {
        emulator,
        dir: _dir,
    } = world;
    let stop = tokio::spawn(emulator.shutdown());
    assert_eq!(next_close(&mut client).await.0, 1001);
    drop(client);
    tokio::time::timeout(PATIENCE, stop)
        .await
        .expect("shutdown ends")
        .expect("join");
}

#[tokio::test]
async fn an_unrecovered_reliable_connection_is_removed_after_the_window() {
    let world = World::new().await;
    world
        .emulator
        .set_recovery_window(Duration::from_millis(300));
    let (client, id, token) = world
        .connect_reliable("chat", Some("gone"), &[], &["g"])
        .await;
    // Kept for the window: gone no sooner than 300 ms after the drop (a lower bound, from
    // before the drop, which the window cannot start before), and gone after it.
    let dropped = tokio::time::Instant::now();
    drop(client);
    let head = |path: String| {
        let world = &world;
        async move { world.rest("HEAD", &path, &[], None).await.status }
    };
    let deadline = dropped + PATIENCE;
    while head(format!("/api/hubs/chat/connections/{id}")).await != 404 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still there after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kept = dropped.elapsed();
    assert!(kept >= Duration::from_millis(300), "removed after {kept:?}");
    assert_eq!(head("/api/hubs/chat/groups/g".into()).await, 404);
    assert_eq!(head("/api/hubs/chat/users/gone".into()).await, 404);
    let (mut late, _) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("upgraded");
    assert_eq!(next_close(&mut late).await.0, 1008);
}

#[tokio::test]
async fn a_close_other_than_1000_leaves_a_reliable_connection_recoverable() {
    let world = World::new().await;
    let (mut client, id, token) = world.connect_reliable("chat", None, &[], &[]).await;
    client
        .close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "".into(),
        }))
        .await
        .expect("close");
    drop(client);
    send_to_connection(&world, &id, "while away").await;
    let (mut recovered, _) = world
        .try_connect_url(
            &recovery_path(&id, &token),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("upgraded");
    let msg = next_json(&mut recovered).await;
    assert_eq!(
        (&msg["sequenceId"], &msg["data"]),
        (&json!(1), &json!("while away"))
    );
}

#[tokio::test]
async fn a_long_close_reason_arrives_whole_in_disconnected_and_cut_in_the_frame() {
    let world = World::new().await;
    let (mut client, id) = world.connect_json("chat", None, &[], &[]).await;
    let reason = "r".repeat(300);
    world
        .rest(
            "DELETE",
            &format!("/api/hubs/chat/connections/{id}"),
            &[("reason", &reason)],
            None,
        )
        .await;
    assert_eq!(next_json(&mut client).await["message"], reason.as_str());
    let (code, cut) = next_close(&mut client).await;
    assert_eq!((code, cut.len()), (1000, 123));
}
