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
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut client]).await;
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
    // A valid event name is taken (and, with no handler here, acked as a failure).
    let longest = format!("E{}", "v-._9".repeat(25)) + "xx";
    assert_eq!(longest.len(), 128);
    send_json(
        &mut c,
        json!({"type":"event","event":longest,"dataType":"text","data":"x","ackId":9}),
    )
    .await;
    let ack = next_json(&mut c).await;
    assert_eq!(
        (ack["ackId"].as_u64(), ack["success"].as_bool()),
        (Some(9), Some(false))
    );
    // ttlSeconds over 300, invalid groups and invalid event names close with 1007.
    for frame in [
        json!({"type":"sendToGroup","group":"g","dataType":"text","data":"x","ttlSeconds":301}),
        json!({"type":"sendToGroup","group":"","dataType":"text","data":"x"}),
        json!({"type":"leaveGroup","group":" ","ackId":2}),
        // Event names follow the official emulator's rule (names.rs).
        json!({"type":"event","event":"","dataType":"text","data":"x","ackId":3}),
        json!({"type":"event","event":"1st","dataType":"text","data":"x","ackId":4}),
        json!({"type":"event","event":"my event","dataType":"text","data":"x","ackId":5}),
        json!({"type":"event","event":"x".repeat(129),"dataType":"text","data":"x","ackId":6}),
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
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut client]).await;
}

/// One signed request exactly as given (`path_and_query` starts with `/api/`): status,
/// headers and body, HEAD included.
async fn raw(
    world: &World,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let url = format!("http://{}{path_and_query}", world.emulator.addr());
    let mut req = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(world.rest_token(&url));
    if let Some((content_type, body)) = body {
        req = req
            .header("content-type", content_type)
            .body(body.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    (status, headers, body)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map_or("", |v| v.to_str().unwrap_or_default())
}

/// The answers the SDKs' test recordings hold from Azure (docs/emulator-fidelity.md names
/// each recording): status, `x-ms-error-code`, content type and body, byte for byte.
#[tokio::test]
async fn error_answers_match_the_services_recorded_answers() {
    use reqwest::Method;
    let world = World::new().await;
    let v = "api-version=2024-12-01";
    let json = "application/json; charset=utf-8";
    let cases = [
        (
            Method::PUT,
            format!("/api/hubs/chat/groups/group1/connections/fake-connection-id?{v}"),
            "Error.Connection.NotExisted",
            r#"{"code":"Error.Connection.NotExisted","message":"Connection `fake-connection-id` is not found.","target":"Connection","details":null,"inner":null}"#,
        ),
        (
            Method::PUT,
            format!("/api/hubs/chat/users/fake-user/groups/group1?{v}"),
            "Warning.User.NotExisted",
            r#"{"code":"Warning.User.NotExisted","message":"User `fake-user` is not found.","target":"User","details":null,"inner":null}"#,
        ),
        (
            Method::PUT,
            format!("/api/hubs/chat/permissions/sendToGroup/connections/fake-connection-id?{v}&targetName=group1"),
            "Info.Connection.NotExisted",
            r#"{"code":"Info.Connection.NotExisted","message":"Connection `fake-connection-id` is not found.","target":"Connection","details":null,"inner":null}"#,
        ),
    ];
    for (method, path, code, body) in cases {
        let got = raw(&world, method, &path, None).await;
        assert_eq!(got.0, 404, "{path}");
        assert_eq!(header(&got.1, "x-ms-error-code"), code, "{path}");
        assert_eq!(header(&got.1, "content-type"), json, "{path}");
        assert_eq!(got.2, body, "{path}");
    }
    // HEAD answers: the same headers (with the length of the body they leave out).
    let heads = [
        (
            format!("/api/hubs/chat/connections/fake-connection-id?{v}"),
            "Warning.Connection.NotExisted",
            Some("148"),
        ),
        (
            format!("/api/hubs/chat/users/fake-user?{v}"),
            "Warning.User.NotExisted",
            Some("121"),
        ),
        // The recorded length (121) says the service words this body differently; only its
        // status and code are known.
        (
            format!("/api/hubs/chat/groups/fake-group?{v}"),
            "Warning.Group.NotExisted",
            None,
        ),
        (
            format!("/api/hubs/chat/permissions/sendToGroup/connections/fake-connection-id?{v}&targetName=group1"),
            "Info.Connection.NotExisted",
            Some("145"),
        ),
    ];
    for (path, code, length) in heads {
        let got = raw(&world, Method::HEAD, &path, None).await;
        assert_eq!(got.0, 404, "{path}");
        assert_eq!(header(&got.1, "x-ms-error-code"), code, "{path}");
        assert_eq!(header(&got.1, "content-type"), json, "{path}");
        if let Some(length) = length {
            assert_eq!(header(&got.1, "content-length"), length, "{path}");
        }
        assert_eq!(got.2, "", "{path}");
    }

    // A bad filter: ASP.NET's validation problem, under the parameter's name.
    let message = "Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'. (Parameter 'filter')";
    let recorded = |target: &str| {
        json!({"code":"Error.BadRequest","message":message,"target":target,
            "errors":{target:[message]},"type":null,"title":"One or more validation errors occurred.",
            "status":400,"detail":null,"instance":null,"extensions":{}})
        .to_string()
    };
    for path in ["/api/hubs/chat/:send", "/api/hubs/chat/users/brian/:send"] {
        let path = format!("{path}?{v}&filter=invalid%20filter");
        let got = raw(&world, Method::POST, &path, Some(("text/plain", "hello"))).await;
        assert_eq!(got.0, 400);
        assert_eq!(header(&got.1, "x-ms-error-code"), "Error.BadRequest");
        assert_eq!(
            header(&got.1, "content-type"),
            "application/problem+json; charset=utf-8"
        );
        assert_eq!(header(&got.1, "content-length"), "416");
        assert_eq!(got.2, recorded("filter"));
    }
    let got = raw(
        &world,
        Method::POST,
        &format!("/api/hubs/chat/:addToGroups?{v}"),
        Some((
            "application/json",
            r#"{"groups":["group1","group2"],"filter":"invalid filter"}"#,
        )),
    )
    .await;
    assert_eq!((got.0, got.2), (400, recorded("Filter")));

    // An operation newer than the api-version: the API-versioning layer's refusal.
    let path = "/api/hubs/chat/connections/c/groups?api-version=2021-10-01";
    let got = raw(&world, Method::DELETE, path, None).await;
    assert_eq!(got.0, 400);
    let url = format!("http://{}{path}", world.emulator.addr());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&got.2).expect("JSON"),
        json!({"error":{"code":"UnsupportedApiVersion",
            "message":format!("The HTTP resource that matches the request URI '{url}' does not support the API version '2021-10-01'."),
            "innerError":null}})
    );
}
