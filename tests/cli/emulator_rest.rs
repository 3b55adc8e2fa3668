//! The emulator's REST API over real HTTP, with real WebSocket clients checking who receives
//! what: filters, batch group changes, permissions, paging, limits and every kind of refusal.

use std::collections::BTreeSet;

use bytes::Bytes;
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wps::client::operations::encode;
use wps::client::{
    now_secs, Client, ClientOptions, ConnectionString, KeySigner, Payload, Request, Secret,
    SendOptions,
};
use wps::emulator::DEFAULT_ACCESS_KEY;

use crate::common::*;

/// What came back from one raw request.
struct Reply {
    status: u16,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("JSON body ({e}): {:?}", self.body))
    }
}

fn client(world: &World) -> Client {
    let cs = ConnectionString::parse(&world.connection_string()).expect("connection string");
    Client::new(
        cs,
        ClientOptions {
            retries: 0,
            ..ClientOptions::default()
        },
    )
    .expect("client")
}

/// A signed request through the library client; `path` is under `/api/hubs/chat`.
async fn api(
    world: &World,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !query.iter().any(|(k, _)| *k == "api-version") {
        q.push(("api-version".into(), "2024-12-01".into()));
    }
    let request = Request {
        expect: &[],
        headers: Vec::new(),
        accept: if method == Method::HEAD {
            "*/*"
        } else {
            "application/json"
        },
        method,
        path: format!("/api/hubs/chat{path}"),
        query: q,
        body: body.map(|(ct, b)| Payload {
            content_type: ct.to_string(),
            body: b.into(),
        }),
    };
    let resp = client(world).execute(&request).await.expect("request");
    Reply {
        status: resp.status,
        body: resp.body,
    }
}

fn json_body(v: Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", v.to_string().into_bytes()))
}

/// A request body: content type and bytes.
type Body = Option<(&'static str, Vec<u8>)>;

/// Runs `wps <args>` and asserts it succeeded.
async fn wps_ok(world: &World, args: &[&str]) {
    let out = run({
        let mut c = world.wps();
        c.args(args);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
}

/// The texts a JSON client receives until the message "end".
async fn received(socket: &mut Socket) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let m = next_json(socket).await;
        if m["type"] != "message" {
            continue;
        }
        let data = m["data"].as_str().expect("text data").to_string();
        if data == "end" {
            return got;
        }
        got.push(data);
    }
}

#[tokio::test]
async fn filters_choose_the_receivers_of_each_send() {
    let world = World::new().await;
    let (mut a, _) = world.connect_json("chat", Some("u1"), &[], &["g1"]).await;
    let (mut b, b_id) = world
        .connect_json("chat", Some("u2"), &[], &["g1", "g2"])
        .await;
    let (mut c, _) = world.connect_json("chat", None, &[], &[]).await;
    let (mut d, _) = world.connect_json("chat", Some("u1"), &[], &[]).await;

    let by_id = format!("connectionId eq '{b_id}'");
    let sends: Vec<Vec<&str>> = vec![
        vec!["send-all", "--filter", "userId eq 'u1'", "--text", "f1"],
        vec!["send-all", "--filter", &by_id, "--text", "f2"],
        vec!["send-all", "--filter", "'g2' in groups", "--text", "f3"],
        vec![
            "send-all",
            "--filter",
            "'g1' in groups and not (userId eq 'u1')",
            "--text",
            "f4",
        ],
        vec![
            "send-all",
            "--filter",
            "userId eq null or userId eq 'u2'",
            "--text",
            "f5",
        ],
        vec![
            "send-all",
            "--filter",
            "not ('g1' in groups)",
            "--text",
            "f6",
        ],
        vec![
            "send-all",
            "--filter",
            "userId in ('u2', 'nobody') or length(groups) eq 1",
            "--text",
            "f7",
        ],
        vec![
            "send-group",
            "--group",
            "g1",
            "--filter",
            "userId ne 'u1'",
            "--text",
            "f8",
        ],
        vec![
            "send-all",
            "--exclude",
            &b_id,
            "--filter",
            "'g1' in groups",
            "--text",
            "f10",
        ],
        vec![
            "send-user",
            "--user",
            "u1",
            "--filter",
            "'g1' in groups",
            "--text",
            "f9",
        ],
        vec!["send-all", "--text", "end"],
    ];
    for args in &sends {
        wps_ok(&world, args).await;
    }
    assert_eq!(received(&mut a).await, ["f1", "f7", "f10", "f9"]);
    assert_eq!(received(&mut b).await, ["f2", "f3", "f4", "f5", "f7", "f8"]);
    assert_eq!(received(&mut c).await, ["f5", "f6"]);
    assert_eq!(received(&mut d).await, ["f1", "f6"]);
}

/// A send that reaches hundreds of clients is handed to a task of its own and answered before
/// its last write; whatever the caller does next on the hub still takes effect after it. Two
/// workers, so a delivery and the next request can run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_after_a_large_send_take_effect_after_its_delivery() {
    const CLIENTS: usize = 300; // the emulator answers sends to 256 or more before delivering
    const SENDS: usize = 4;
    let world = World::new().await;
    let mut sockets = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        sockets.push(world.connect("chat", None, &[], &["g"], None).await);
    }
    let client = world.rest_client();
    for i in 0..SENDS {
        let text = Payload::text(format!("m{i}"));
        if i % 2 == 0 {
            client
                .send_to_all("chat", &text, &SendOptions::default())
                .await
        } else {
            client
                .send_to_group("chat", "g", &text, &SendOptions::default())
                .await
        }
        .expect("send");
    }
    client
        .close_all_connections("chat", &[], Some("done"))
        .await
        .expect("close");
    for (n, mut socket) in sockets.into_iter().enumerate() {
        for i in 0..SENDS {
            match next_frame(&mut socket).await {
                Message::Text(t) => assert_eq!(t.as_str(), format!("m{i}"), "client {n}"),
                other => panic!("client {n}, message {i}: {other:?}"),
            }
        }
        assert_eq!(
            next_close(&mut socket).await,
            (1000, "done".into()),
            "client {n}"
        );
    }
}

#[tokio::test]
async fn a_malformed_filter_is_a_400_naming_the_position() {
    let world = World::new().await;
    let (mut a, _) = world.connect_json("chat", Some("u1"), &[], &[]).await;
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[("filter", "userId eq")],
        Some(("text/plain", b"x".to_vec())),
    )
    .await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["code"], "Error.BadRequest");
    // The service's own words, as the official JS SDK's tests recorded them.
    assert_eq!(
        body["message"],
        "Invalid syntax for 'userId eq': Syntax error at position 9 in 'userId eq'. (Parameter 'filter')"
    );
    assert_eq!(body["target"], "filter");
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[("filter", "invalid filter")],
        Some(("text/plain", b"x".to_vec())),
    )
    .await;
    assert_eq!(
        r.json()["message"],
        "Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'. (Parameter 'filter')"
    );
    let out = run({
        let mut c = world.wps();
        c.args(["send-all", "--filter", "'g' in groups or", "--text", "x"]);
        c
    })
    .await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("position 16"), "{}", stderr(&out));
    // The emulator keeps serving, and nothing leaked to the client.
    wps_ok(&world, &["send-all", "--text", "end"]).await;
    assert!(received(&mut a).await.is_empty());
}

#[tokio::test]
async fn batch_add_and_remove_by_filter_then_group_sends() {
    let world = World::new().await;
    let (mut l1, _) = world
        .connect_json("chat", Some("listener-1"), &[], &[])
        .await;
    let (mut l2, _) = world
        .connect_json("chat", Some("listener-2"), &[], &[])
        .await;
    let (mut other, _) = world.connect_json("chat", Some("other"), &[], &[]).await;

    let add = json!({"groups": ["room", "hall"], "filter": "startswith(userId, 'listener-')"});
    let r = api(&world, Method::POST, "/:addToGroups", &[], json_body(add)).await;
    assert_eq!(r.status, 200);
    wps_ok(&world, &["send-group", "--group", "room", "--text", "r1"]).await;

    let remove = json!({"groups": ["room"], "filter": "userId eq 'listener-2'"});
    let r = api(
        &world,
        Method::POST,
        "/:removeFromGroups",
        &[],
        json_body(remove),
    )
    .await;
    assert_eq!(r.status, 200);
    wps_ok(&world, &["send-group", "--group", "room", "--text", "r2"]).await;
    wps_ok(&world, &["send-group", "--group", "hall", "--text", "h1"]).await;

    // No filter (absent, then null, then empty) selects every connection.
    for (i, body) in [
        json!({"groups": ["all"]}),
        json!({"groups": ["all2"], "filter": null}),
        json!({"groups": ["all3"], "filter": ""}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = api(&world, Method::POST, "/:addToGroups", &[], json_body(body)).await;
        assert_eq!(r.status, 200, "case {i}");
    }
    wps_ok(&world, &["send-group", "--group", "all3", "--text", "a1"]).await;
    // Nothing matching is still a success.
    let none = json!({"groups": ["x"], "filter": "userId eq 'ghost'"});
    assert_eq!(
        api(&world, Method::POST, "/:addToGroups", &[], json_body(none))
            .await
            .status,
        200
    );
    wps_ok(&world, &["send-all", "--text", "end"]).await;

    assert_eq!(received(&mut l1).await, ["r1", "r2", "h1", "a1"]);
    assert_eq!(received(&mut l2).await, ["r1", "h1", "a1"]);
    assert_eq!(received(&mut other).await, ["a1"]);
}

#[tokio::test]
async fn batch_requests_are_validated() {
    let world = World::new().await;
    let long = "g".repeat(1025);
    let cases: Vec<(Body, u16, &str)> = vec![
        (
            Some(("text/plain", b"{\"groups\":[\"g\"]}".to_vec())),
            415,
            "text/plain",
        ),
        (
            Some(("application/json", b"{not json".to_vec())),
            400,
            "bad JSON",
        ),
        (json_body(json!({"groups": []})), 400, "empty groups"),
        (json_body(json!({"filter": "true"})), 400, "no groups"),
        (json_body(json!({"groups": [""]})), 400, "empty group name"),
        (json_body(json!({"groups": [long]})), 400, "1025-char group"),
        (
            json_body(json!({"groups": ["g"], "extra": 1})),
            400,
            "unknown property",
        ),
        (
            json_body(json!({"groups": ["g"], "filter": "userId eq"})),
            400,
            "bad filter",
        ),
    ];
    for (body, want, what) in cases {
        let r = api(&world, Method::POST, "/:addToGroups", &[], body).await;
        assert_eq!(r.status, want, "{what}: {:?}", r.body);
        assert!(r.json()["code"].is_string(), "{what}");
    }
    // Batch operations arrived in 2024-01-01.
    let r = api(
        &world,
        Method::POST,
        "/:removeFromGroups",
        &[("api-version", "2023-07-01")],
        json_body(json!({"groups": ["g"]})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "UnsupportedApiVersion");
    let r = api(
        &world,
        Method::POST,
        "/:removeFromGroups",
        &[("api-version", "2024-01-01")],
        json_body(json!({"groups": ["g"]})),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn grant_revoke_and_check_round_trip_and_steer_group_sends() {
    let world = World::new().await;
    let (mut sender, sender_id) = world.connect_json("chat", Some("s"), &[], &[]).await;
    let (mut receiver, _) = world.connect_json("chat", Some("r"), &[], &["g"]).await;
    let path = format!("/permissions/sendToGroup/connections/{sender_id}");
    let target = [("targetName", "g")];

    assert_eq!(
        api(&world, Method::HEAD, &path, &target, None).await.status,
        404
    );
    assert_eq!(
        api(&world, Method::PUT, &path, &target, None).await.status,
        200
    );
    assert_eq!(
        api(&world, Method::HEAD, &path, &target, None).await.status,
        200
    );
    let other_group = [("targetName", "h")];
    assert_eq!(
        api(&world, Method::HEAD, &path, &other_group, None)
            .await
            .status,
        404
    );
    let send = json!({"type": "sendToGroup", "group": "g", "dataType": "text", "data": "granted"});
    send_frame(&mut sender, &send).await;
    assert_eq!(next_json(&mut receiver).await["data"], "granted");

    assert_eq!(
        api(&world, Method::DELETE, &path, &target, None)
            .await
            .status,
        204
    );
    assert_eq!(
        api(&world, Method::HEAD, &path, &target, None).await.status,
        404
    );
    let send = json!({"type": "sendToGroup", "group": "g", "dataType": "text", "data": "revoked"});
    send_frame(&mut sender, &send).await;
    settle_client(&mut sender).await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut receiver, &mut sender]).await;

    // A revoke beats a role that covers every group, for that group only.
    let (mut admin, admin_id) = world
        .connect_json("chat", Some("a"), &["webpubsub.sendToGroup"], &[])
        .await;
    let admin_path = format!("/permissions/sendToGroup/connections/{admin_id}");
    assert_eq!(
        api(&world, Method::HEAD, &admin_path, &target, None)
            .await
            .status,
        200
    );
    assert_eq!(
        api(&world, Method::DELETE, &admin_path, &target, None)
            .await
            .status,
        204
    );
    assert_eq!(
        api(&world, Method::HEAD, &admin_path, &target, None)
            .await
            .status,
        404
    );
    assert_eq!(
        api(&world, Method::HEAD, &admin_path, &other_group, None)
            .await
            .status,
        200
    );
    let send = json!({"type": "sendToGroup", "group": "g", "dataType": "text", "data": "admin"});
    send_frame(&mut admin, &send).await;
    settle_client(&mut admin).await;
    assert_nothing_before_sentinel(
        &world,
        "chat",
        &mut [&mut receiver, &mut sender, &mut admin],
    )
    .await;
    // Granting again lifts the revoke.
    assert_eq!(
        api(&world, Method::PUT, &admin_path, &target, None)
            .await
            .status,
        200
    );
    send_frame(&mut admin, &send).await;
    assert_eq!(next_json(&mut receiver).await["data"], "admin");

    // joinLeaveGroup works the same way.
    let join_path = format!("/permissions/joinLeaveGroup/connections/{sender_id}");
    assert_eq!(
        api(&world, Method::HEAD, &join_path, &target, None)
            .await
            .status,
        404
    );
    assert_eq!(
        api(&world, Method::PUT, &join_path, &target, None)
            .await
            .status,
        200
    );
    assert_eq!(
        api(&world, Method::HEAD, &join_path, &target, None)
            .await
            .status,
        200
    );
}

async fn send_frame(socket: &mut Socket, v: &Value) {
    use futures_util::SinkExt;
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .expect("send frame");
}

#[tokio::test]
async fn permission_requests_are_validated() {
    let world = World::new().await;
    let (_c, id) = world.connect_json("chat", None, &[], &[]).await;
    let ok = format!("/permissions/sendToGroup/connections/{id}");
    let bad = format!("/permissions/sendToEveryone/connections/{id}");
    let t = [("targetName", "g")];
    // Missing targetName, bad permission, bad group: 400, with a body except on HEAD.
    for method in [Method::PUT, Method::DELETE] {
        let r = api(&world, method.clone(), &ok, &[], None).await;
        assert_eq!(r.status, 400, "{method}");
        assert!(r.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("targetName"));
        assert_eq!(
            api(&world, method.clone(), &bad, &t, None).await.status,
            400
        );
        let blank = [("targetName", "  ")];
        assert_eq!(api(&world, method, &ok, &blank, None).await.status, 400);
    }
    let r = api(&world, Method::HEAD, &bad, &t, None).await;
    assert_eq!(r.status, 400);
    assert!(r.body.is_empty(), "HEAD errors carry no body");
    let r = api(&world, Method::HEAD, &ok, &[], None).await;
    assert_eq!(r.status, 400);
    assert!(r.body.is_empty());
    // Missing connection: grant 404, revoke 204, check 404.
    let ghost = "/permissions/sendToGroup/connections/ghost";
    let r = api(&world, Method::PUT, ghost, &t, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "Info.Connection.NotExisted");
    assert_eq!(
        api(&world, Method::DELETE, ghost, &t, None).await.status,
        204
    );
    assert_eq!(api(&world, Method::HEAD, ghost, &t, None).await.status, 404);
}

/// Follows `nextLink`s from a first page; returns the pages.
async fn pages(world: &World, query: &[(&str, &str)]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut r = api(world, Method::GET, "/groups/g/connections", query, None).await;
    loop {
        assert_eq!(r.status, 200, "{:?}", r.body);
        let page = r.json();
        out.push(page.clone());
        let Some(link) = page["nextLink"].as_str() else {
            return out;
        };
        let url = url::Url::parse(link).expect("absolute nextLink");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let q_ref: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let path = url
            .path()
            .strip_prefix("/api/hubs/chat")
            .expect("same hub")
            .to_string();
        r = api(world, Method::GET, &path, &q_ref, None).await;
    }
}

fn ids(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().cloned().unwrap_or_default())
        .map(|m| {
            m["connectionId"]
                .as_str()
                .expect("connectionId")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn list_connections_pages_with_next_links() {
    let world = World::new().await;
    let mut sockets = Vec::new();
    let mut expected = BTreeSet::new();
    for i in 0..5 {
        let user = format!("u{i}");
        let (s, id) = world.connect_json("chat", Some(&user), &[], &["g"]).await;
        sockets.push(s);
        expected.insert(id);
    }
    let (_outsider, _) = world.connect_json("chat", Some("x"), &[], &["h"]).await;

    let all = pages(&world, &[("maxpagesize", "2")]).await;
    assert_eq!(
        all.iter()
            .map(|p| p["value"].as_array().map_or(0, Vec::len))
            .collect::<Vec<_>>(),
        [2, 2, 1]
    );
    let got = ids(&all);
    assert_eq!(got.len(), 5, "no duplicates");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    let first = &all[0]["value"][0];
    assert!(
        first["userId"].as_str().is_some_and(|u| u.starts_with('u')),
        "{first}"
    );

    // top caps the total; the link carries what is left of it.
    let capped = pages(&world, &[("maxpagesize", "2"), ("top", "3")]).await;
    assert_eq!(ids(&capped).len(), 3);
    let link = capped[0]["nextLink"].as_str().expect("nextLink");
    assert!(link.contains("top=1"), "{link}");
    assert!(ids(&pages(&world, &[("top", "5")]).await).len() == 5);

    // Default page size holds them all in one page.
    let one = pages(&world, &[]).await;
    assert_eq!(one.len(), 1);
    assert!(one[0].get("nextLink").is_none());

    let r = api(&world, Method::GET, "/groups/nobody/connections", &[], None).await;
    assert_eq!((r.status, r.json()), (200, json!({"value": []})));
    for q in [
        [("maxpagesize", "0")],
        [("maxpagesize", "201")],
        [("top", "0")],
        [("continuationToken", "%%%")],
    ] {
        let r = api(&world, Method::GET, "/groups/g/connections", &q, None).await;
        assert_eq!(r.status, 400, "{q:?}");
    }
    let r = api(
        &world,
        Method::GET,
        "/groups/g/connections",
        &[("api-version", "2024-01-01")],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn message_ttl_is_bounded_and_versioned() {
    let world = World::new().await;
    let mut plain = world.connect("chat", None, &[], &[], None).await;
    let text = || Some(("text/plain", b"ttl".to_vec()));
    for ttl in ["0", "300"] {
        let r = api(
            &world,
            Method::POST,
            "/:send",
            &[("messageTtlSeconds", ttl)],
            text(),
        )
        .await;
        assert_eq!(r.status, 202, "ttl {ttl}");
        assert_eq!(next_frame(&mut plain).await, Message::Text("ttl".into()));
    }
    for (path, ttl) in [
        ("/:send", "301"),
        ("/groups/g/:send", "-1"),
        ("/users/u/:send", "abc"),
        ("/connections/c/:send", "1.5"),
    ] {
        let r = api(
            &world,
            Method::POST,
            path,
            &[("messageTtlSeconds", ttl)],
            text(),
        )
        .await;
        assert_eq!(r.status, 400, "{path} ttl {ttl}");
    }
    let old = [("messageTtlSeconds", "10"), ("api-version", "2023-07-01")];
    assert_eq!(
        api(&world, Method::POST, "/:send", &old, text())
            .await
            .status,
        400
    );
    let old_filter = [("filter", "true"), ("api-version", "2021-10-01")];
    assert_eq!(
        api(&world, Method::POST, "/:send", &old_filter, text())
            .await
            .status,
        400
    );
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut plain]).await;
}

/// A request with exactly the given `Authorization` header (or none).
async fn with_auth(world: &World, auth: Option<String>) -> reqwest::Response {
    let url = format!(
        "http://{}/api/hubs/chat/:send?api-version=2024-12-01",
        world.emulator.addr()
    );
    let mut req = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/plain")
        .body("x");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await.expect("response")
}

fn sign(key: &str, claims: Value) -> String {
    KeySigner::new(&Secret::new(key))
        .sign(&claims)
        .expect("sign")
        .expose()
        .to_string()
}

#[tokio::test]
async fn bad_tokens_are_401_with_a_body_and_the_emulator_keeps_serving() {
    let world = World::new().await;
    let mut plain = world.connect("chat", None, &[], &[], None).await;
    let url = format!(
        "http://{}/api/hubs/chat/:send?api-version=2024-12-01",
        world.emulator.addr()
    );
    let now = now_secs();
    let cases = [
        ("missing", None),
        ("not bearer", Some("Basic abc".to_string())),
        ("malformed", Some("Bearer not.a.jwt".to_string())),
        ("empty", Some("Bearer ".to_string())),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                sign(DEFAULT_ACCESS_KEY, json!({"aud": url, "exp": now - 3600}))
            )),
        ),
        (
            "not valid for another hour",
            Some(format!(
                "Bearer {}",
                sign(
                    DEFAULT_ACCESS_KEY,
                    json!({"aud": url, "exp": now + 7200, "nbf": now + 3600})
                )
            )),
        ),
        (
            "not valid for another hour, nbf a string",
            Some(format!(
                "Bearer {}",
                sign(
                    DEFAULT_ACCESS_KEY,
                    json!({"aud": url, "exp": now + 7200, "nbf": (now + 3600).to_string()})
                )
            )),
        ),
        (
            "nbf beyond u64",
            Some(format!(
                "Bearer {}",
                sign(
                    DEFAULT_ACCESS_KEY,
                    json!({"aud": url, "exp": now + 7200, "nbf": 1e30})
                )
            )),
        ),
        (
            "no exp",
            Some(format!(
                "Bearer {}",
                sign(DEFAULT_ACCESS_KEY, json!({"aud": url}))
            )),
        ),
        (
            "wrong key",
            Some(format!(
                "Bearer {}",
                sign(&"Z".repeat(44), json!({"aud": url, "exp": now + 60}))
            )),
        ),
        (
            "wrong aud",
            Some(format!(
                "Bearer {}",
                sign(
                    DEFAULT_ACCESS_KEY,
                    json!({"aud": url.replace("/chat/", "/other/"), "exp": now + 60})
                )
            )),
        ),
        (
            "no aud",
            Some(format!(
                "Bearer {}",
                sign(DEFAULT_ACCESS_KEY, json!({"exp": now + 60}))
            )),
        ),
    ];
    for (what, auth) in cases {
        let resp = with_auth(&world, auth).await;
        assert_eq!(resp.status(), 401, "{what}");
        assert_eq!(
            resp.headers().get("x-ms-error-code").map(|v| v.as_bytes()),
            Some(&b"Error.Unauthorized"[..]),
            "{what}"
        );
        let body: Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON error body");
        assert_eq!(body["code"], "Error.Unauthorized", "{what}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let resp = reqwest::Client::new()
        .head(url.replace(":send", "groups/g"))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-ms-error-code"], "Error.Unauthorized");
    assert!(
        resp.bytes().await.expect("body").is_empty(),
        "HEAD 401 has no body"
    );
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut plain]).await;
    // The documented form of aud (no query) is accepted, and so is the full URL.
    let no_query = url.split('?').next().unwrap_or_default().to_string();
    for aud in [no_query, url.clone()] {
        let token = sign(DEFAULT_ACCESS_KEY, json!({"aud": aud, "exp": now + 60}));
        let resp = with_auth(&world, Some(format!("Bearer {token}"))).await;
        assert_eq!(resp.status(), 202);
        assert_eq!(next_frame(&mut plain).await, Message::Text("x".into()));
    }
}

#[tokio::test]
async fn bodies_over_1_mib_are_413_and_unknown_types_415() {
    let world = World::new().await;
    let mut plain = world.connect("chat", None, &[], &[], None).await;
    let max = 1024 * 1024;
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[],
        Some(("application/octet-stream", vec![7; max + 1])),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["code"], "Error.PayloadTooLarge");
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[],
        Some(("application/octet-stream", vec![7; max])),
    )
    .await;
    assert_eq!(r.status, 202);
    match next_frame(&mut plain).await {
        Message::Binary(b) => assert_eq!(b.len(), max),
        other => panic!("expected the 1 MiB binary frame, got {other:?}"),
    }
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[],
        Some(("text/html", b"<p>".to_vec())),
    )
    .await;
    assert_eq!(r.status, 415);
    let r = api(
        &world,
        Method::POST,
        "/:send",
        &[],
        Some(("application/json", b"{".to_vec())),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut plain]).await;
}

#[tokio::test]
async fn unknown_api_version_is_400_unsupported_api_version() {
    let world = World::new().await;
    let url = format!(
        "http://{}/api/hubs/chat/:send?api-version=2020-01-01",
        world.emulator.addr()
    );
    let token = KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
        .rest_token(&url)
        .expect("token");
    let resp = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token.expose())
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status(), 400);
    // The API-versioning layer answers before the service's own code: no x-ms-error-code.
    assert!(resp.headers().get("x-ms-error-code").is_none());
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("application/json"));
    let body: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON");
    assert_eq!(body["error"]["code"], "UnsupportedApiVersion");
    assert_eq!(
        body["error"]["message"],
        format!("The HTTP resource that matches the request URI '{url}' does not support the API version '2020-01-01'.")
    );
    // Every GA version is accepted.
    for v in [
        "2021-10-01",
        "2022-11-01",
        "2023-07-01",
        "2024-01-01",
        "2024-12-01",
    ] {
        let r = api(
            &world,
            Method::HEAD,
            "/groups/g",
            &[("api-version", v)],
            None,
        )
        .await;
        assert_eq!(r.status, 404, "{v}");
    }
    // Names are checked on existence checks too (and HEAD errors have no body).
    for path in ["/groups/%20", "/users/", "/connections/"] {
        let r = api(&world, Method::HEAD, path, &[], None).await;
        assert_eq!((r.status, r.body.len()), (400, 0), "{path}");
    }
    // Removing a connection from all groups arrived in 2022-11-01.
    let path = "/connections/c/groups";
    let old = [("api-version", "2021-10-01")];
    assert_eq!(
        api(&world, Method::DELETE, path, &old, None).await.status,
        400
    );
    assert_eq!(
        api(&world, Method::DELETE, path, &[], None).await.status,
        204
    );
}

#[tokio::test]
async fn health_answers_200_without_a_token() {
    let world = World::new().await;
    let url = format!(
        "http://{}/api/health?api-version=2024-12-01",
        world.emulator.addr()
    );
    let resp = reqwest::Client::new()
        .head(&url)
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn generated_tokens_connect_clients_with_their_claims() {
    let world = World::new().await;
    let r = api(
        &world,
        Method::POST,
        "/:generateToken",
        &[
            ("userId", "gen user"),
            ("role", "webpubsub.sendToGroup.g7"),
            ("minutesToExpire", "5"),
            ("group", "g7"),
            ("clientType", "Default"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_string();
    let url = format!(
        "ws://{}/client/hubs/chat?access_token={}",
        world.emulator.addr(),
        encode(&token)
    );
    let known = world.connection_ids("chat").await;
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the generated token is accepted");
    world.joined("chat", &known, 1).await;
    wps_ok(&world, &["send-group", "--group", "g7", "--text", "to g7"]).await;
    wps_ok(
        &world,
        &["send-user", "--user", "gen user", "--text", "to user"],
    )
    .await;
    assert_eq!(next_frame(&mut socket).await, Message::Text("to g7".into()));
    assert_eq!(
        next_frame(&mut socket).await,
        Message::Text("to user".into())
    );

    let claims = |token: &str| -> Value {
        use base64::Engine;
        let payload = token.split('.').nth(1).expect("payload");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("claims")
    };
    let c = claims(&token);
    assert_eq!(c["sub"], "gen user");
    assert_eq!(c["role"], json!(["webpubsub.sendToGroup.g7"]));
    assert_eq!(
        c["exp"].as_u64().unwrap_or(0) - c["iat"].as_u64().unwrap_or(0),
        300
    );

    let r = api(
        &world,
        Method::POST,
        "/:generateToken",
        &[("clientType", "MQTT")],
        None,
    )
    .await;
    let c = claims(r.json()["token"].as_str().expect("token"));
    assert_eq!(
        c["aud"],
        format!("http://{}/clients/mqtt/hubs/chat", world.emulator.addr())
    );
    assert_eq!(
        c["exp"].as_u64().unwrap_or(0) - c["iat"].as_u64().unwrap_or(0),
        3600
    );
    let old = [("clientType", "MQTT"), ("api-version", "2022-11-01")];
    let r = api(&world, Method::POST, "/:generateToken", &old, None).await;
    assert_eq!(r.status, 400, "clientType arrived in 2024-01-01");
    for bad in ["0", "-1", "x"] {
        let r = api(
            &world,
            Method::POST,
            "/:generateToken",
            &[("minutesToExpire", bad)],
            None,
        )
        .await;
        assert_eq!(r.status, 400, "minutesToExpire={bad}");
    }
}
