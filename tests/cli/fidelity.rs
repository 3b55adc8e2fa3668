//! Where the emulator follows the service to the byte: metadata, JSON kept as sent, and the
//! service's validation of client messages and parameters.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;

use crate::common::*;

/// A raw REST send with extra headers, through the library's signed request.
async fn send_with_headers(
    world: &World,
    path: &str,
    content_type: &str,
    body: &'static [u8],
    headers: &[(&str, &str)],
) -> u16 {
    let client = reqwest::Client::new();
    let url = format!(
        "http://{}{path}?api-version=2024-12-01",
        world.emulator.addr()
    );
    let token = world.rest_token(&url);
    let mut req = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn rest_metadata_reaches_json_clients_and_is_validated() {
    let world = World::new().await;
    let (mut client, _) = world.connect_json("chat", None, &[], &[]).await;
    let status = send_with_headers(
        &world,
        "/api/hubs/chat/:send",
        "text/plain",
        b"hi",
        &[
            ("X-WebPubSub-Metadata-Trace", "t1"),
            ("x-webpubsub-metadata-k2", "v2"),
        ],
    )
    .await;
    assert_eq!(status, 202);
    let got = next_json(&mut client).await;
    assert_eq!(got["data"], "hi", "{got}");
    assert_eq!(got["metadata"], json!({"trace": "t1", "k2": "v2"}), "{got}");

    for bad in [
        ("x-webpubsub-metadata-k", "v".repeat(1025)),
        ("x-webpubsub-metadata-a", "x".repeat(10)),
    ] {
        let big: &'static str = Box::leak(bad.1.into_boxed_str());
        let mut headers = vec![(bad.0, big)];
        if bad.0.ends_with("-a") {
            // 9 KiB in all: over the 8 KiB budget.
            for i in 0..9 {
                let k: &'static str =
                    Box::leak(format!("x-webpubsub-metadata-k{i}").into_boxed_str());
                headers.push((k, Box::leak("v".repeat(1000).into_boxed_str())));
            }
        }
        let status =
            send_with_headers(&world, "/api/hubs/chat/:send", "text/plain", b"x", &headers).await;
        assert_eq!(status, 400, "{}", bad.0);
    }
    assert_silent(&mut client).await;
}

#[tokio::test]
async fn client_metadata_travels_to_group_members() {
    let world = World::new().await;
    let (mut member, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let (mut sender, _) = world
        .connect_json("chat", Some("s"), &["webpubsub.sendToGroup"], &[])
        .await;
    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","dataType":"text","data":"x","metadata":{"k":"v"}}),
    )
    .await;
    let got = next_json(&mut member).await;
    assert_eq!(got["metadata"], json!({"k": "v"}), "{got}");
    // Metadata and no data: empty text.
    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","metadata":{"only":"meta"}}),
    )
    .await;
    let got = next_json(&mut member).await;
    assert_eq!(
        (got["dataType"].clone(), got["data"].clone()),
        (json!("text"), json!("")),
        "{got}"
    );
    // Metadata that is not an object of strings: invalid message.
    send_json(
        &mut sender,
        json!({"type":"sendToGroup","group":"g","data":"x","dataType":"text","metadata":{"k":1}}),
    )
    .await;
    assert_eq!(next_close(&mut sender).await.0, 1007);
}

#[tokio::test]
async fn json_arrives_exactly_as_it_was_sent() {
    let world = World::new().await;
    let (mut client, _) = world
        .connect_json("chat", None, &["webpubsub.sendToGroup"], &["g"])
        .await;
    let body = r#"{"n":123456789012345678901234567890,"f":1.000000000000000000001,"s":"\u00e9"}"#;
    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/:send",
            &[],
            Some(Payload::json(body).expect("json")),
        )
        .await;
    assert_eq!(resp.status, 202);
    let Message::Text(frame) = next_frame(&mut client).await else {
        panic!("text frame")
    };
    assert!(
        frame.as_str().contains(&format!(r#""data":{body}"#)),
        "{frame}"
    );

    // A client's JSON data is relayed byte for byte too.
    let frame_text = format!(r#"{{"type":"sendToGroup","group":"g","data":{body}}}"#);
    client
        .send(Message::Text(frame_text.into()))
        .await
        .expect("send");
    let Message::Text(frame) = next_frame(&mut client).await else {
        panic!("text frame")
    };
    assert!(
        frame.as_str().contains(&format!(r#""data":{body}"#)),
        "{frame}"
    );

    // What cannot be delivered as sent is refused up front, never a 202 then null.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for bad in [deep.as_str(), "{\"a\":", "[1,]"] {
        let status = send_with_headers(
            &world,
            "/api/hubs/chat/:send",
            "application/json",
            Box::leak(bad.to_string().into_bytes().into_boxed_slice()),
            &[],
        )
        .await;
        if status == 202 {
            // Accepted: then it arrives as it was sent.
            let Message::Text(frame) = next_frame(&mut client).await else {
                panic!("text frame")
            };
            assert!(
                frame.as_str().contains(&format!(r#""data":{bad}"#)),
                "{bad}: {frame}"
            );
        } else {
            assert_eq!(status, 400, "{bad}");
        }
    }
}

#[tokio::test]
async fn client_messages_are_validated_as_the_service_does() {
    let world = World::new().await;
    let roles = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];
    // `type` is matched case-insensitively.
    let (mut c, _) = world.connect_json("chat", None, &roles, &[]).await;
    send_json(&mut c, json!({"type":"JOINGROUP","group":"g","ackId":1})).await;
    assert_eq!(next_json(&mut c).await["success"], true);
    // ttlSeconds over 300 and invalid groups close with 1007.
    for frame in [
        json!({"type":"sendToGroup","group":"g","dataType":"text","data":"x","ttlSeconds":301}),
        json!({"type":"sendToGroup","group":"","dataType":"text","data":"x"}),
        json!({"type":"leaveGroup","group":" ","ackId":2}),
    ] {
        let (mut c, _) = world.connect_json("chat", None, &roles, &[]).await;
        send_json(&mut c, frame.clone()).await;
        assert_eq!(next_close(&mut c).await.0, 1007, "{frame}");
    }
}

#[tokio::test]
async fn unknown_modes_and_client_types_are_bad_requests() {
    let world = World::new().await;
    let token = world.client_token("chat", None, &[], &[]);
    let err = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}&webpubsub_mode=broadcast"),
            &[],
        )
        .await
        .expect_err("refused");
    let tokio_tungstenite::tungstenite::Error::Http(resp) = err else {
        panic!("{err:?}")
    };
    assert_eq!(resp.status(), 400);

    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/:generateToken",
            &[("clientType", "Bogus")],
            None,
        )
        .await;
    assert_eq!(resp.status, 400);
    for ok in ["Default", "MQTT", "SocketIO"] {
        let resp = world
            .rest(
                "POST",
                "/api/hubs/chat/:generateToken",
                &[("clientType", ok)],
                None,
            )
            .await;
        assert_eq!(resp.status, 200, "{ok}");
    }
}

#[tokio::test]
async fn send_commands_and_api_carry_metadata() {
    let world = World::new().await;
    let (mut client, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let out = run({
        let mut c = world.wps();
        c.args(["send-group", "--group", "g", "--text", "hi"])
            .args(["--metadata", "trace=t1", "--metadata", "k2=v=2"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = next_json(&mut client).await;
    assert_eq!(
        got["metadata"],
        json!({"trace": "t1", "k2": "v=2"}),
        "{got}"
    );

    let out = run({
        let mut c = world.wps();
        c.args(["api", "POST", "/api/hubs/chat/:send", "--text", "x"])
            .args(["--metadata", "via=api"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = next_json(&mut client).await;
    assert_eq!(got["metadata"], json!({"via": "api"}), "{got}");

    // --dry-run shows the header; nothing is sent.
    let out = run({
        let mut c = world.wps();
        c.args([
            "send-all",
            "--text",
            "x",
            "--metadata",
            "k=v",
            "--dry-run",
            "-o",
            "json",
        ]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(shown["headers"]["x-webpubsub-metadata-k"], "v", "{shown}");

    // A key HTTP cannot carry, or no '=': one line, exit 2, nothing sent.
    for bad in ["a b=1", "novalue", "k=é"] {
        let out = run({
            let mut c = world.wps();
            c.args(["send-all", "--text", "x", "--metadata", bad]);
            c
        })
        .await;
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert_eq!(
            stderr(&out)
                .trim()
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{}",
            stderr(&out)
        );
    }
    assert_silent(&mut client).await;
}
