//! `wps token` and `wps token decode`: SDK-shaped tokens that the emulator accepts.

use base64::Engine as _;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::common::*;

fn b64_json(part: &str) -> String {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url without padding");
    String::from_utf8(bytes).expect("UTF-8")
}

/// Runs `wps token ARGS -o json` and returns (baseUrl, token, url, header JSON, claims JSON).
async fn token(world: &World, args: &[&str]) -> (String, String, String, String, String) {
    let mut cmd = world.wps();
    cmd.arg("token").args(args).args(["-o", "json"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 3, "{v}");
    let s = |k: &str| v[k].as_str().expect(k).to_string();
    let (base, tok, url) = (s("baseUrl"), s("token"), s("url"));
    assert_eq!(url, format!("{base}?access_token={tok}"));
    let parts: Vec<&str> = tok.split('.').collect();
    assert_eq!(parts.len(), 3);
    (
        base,
        tok.clone(),
        url,
        b64_json(parts[0]),
        b64_json(parts[1]),
    )
}

fn iat_of(claims: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(claims).expect("claims JSON");
    v["iat"].as_u64().expect("iat")
}

#[tokio::test]
async fn claims_match_the_python_sdk_claim_by_claim() {
    let world = World::new().await;
    let host = world.emulator.addr().to_string();
    let aud = format!("http://{host}/client/hubs/chat");

    // get_client_access_token()
    let (base, _, _, header, claims) = token(&world, &[]).await;
    assert_eq!(header, r#"{"alg":"HS256","typ":"JWT"}"#);
    assert_eq!(base, format!("ws://{host}/client/hubs/chat"));
    let iat = iat_of(&claims);
    let now = wps::client::now_secs();
    assert!(iat <= now && iat + 5 >= now);
    assert_eq!(
        claims,
        format!(r#"{{"aud":"{aud}","iat":{iat},"exp":{}}}"#, iat + 3600)
    );

    // user_id, roles, groups, minutes_to_expire=30
    let (_, _, _, header, claims) = token(
        &world,
        &[
            "--user",
            "user1",
            "--role",
            "webpubsub.joinLeaveGroup.g1",
            "--role",
            "webpubsub.sendToGroup",
            "--group",
            "g1",
            "--group",
            "g2",
            "--expires",
            "30",
        ],
    )
    .await;
    assert_eq!(header, r#"{"alg":"HS256","typ":"JWT"}"#);
    let iat = iat_of(&claims);
    assert_eq!(
        claims,
        format!(
            r#"{{"aud":"{aud}","iat":{iat},"exp":{},"sub":"user1","role":["webpubsub.joinLeaveGroup.g1","webpubsub.sendToGroup"],"webpubsub.group":["g1","g2"]}}"#,
            iat + 1800
        )
    );

    // client_protocol Mqtt / SocketIO
    for (kind, path) in [("mqtt", "clients/mqtt"), ("socketio", "clients/socketio")] {
        let (base, _, _, _, claims) = token(&world, &["--user", "u", "--client-type", kind]).await;
        assert_eq!(base, format!("ws://{host}/{path}/hubs/chat"));
        let iat = iat_of(&claims);
        assert_eq!(
            claims,
            format!(
                r#"{{"aud":"http://{host}/{path}/hubs/chat","iat":{iat},"exp":{},"sub":"u"}}"#,
                iat + 3600
            )
        );
    }

    // An empty user id is omitted, as the SDK omits a falsy one.
    let (_, _, _, _, claims) = token(&world, &["--user", ""]).await;
    assert!(!claims.contains("sub"), "{claims}");
}

#[tokio::test]
async fn a_client_connects_with_the_printed_url_and_receives_a_group_send() {
    let world = World::new().await;
    let (_, _, url, _, _) = token(&world, &["--user", "alice", "--group", "g1"]).await;
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("json.webpubsub.azure.v1"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the emulator accepts the token");
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["event"], "connected", "{connected}");
    assert_eq!(connected["userId"], "alice", "{connected}");

    let mut send = world.wps();
    send.args(["send-group", "--group", "g1", "--text", "to g1"]);
    let out = run(send).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let msg = next_json(&mut socket).await;
    assert_eq!(msg["from"], "group", "{msg}");
    assert_eq!(msg["group"], "g1", "{msg}");
    assert_eq!(msg["data"], "to g1", "{msg}");

    let mut send = world.wps();
    send.args(["send-user", "--user", "alice", "--text", "to alice"]);
    let out = run(send).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "to alice");
}

#[tokio::test]
async fn decode_shows_claims_expiry_and_signature() {
    let world = World::new().await;
    let (_, tok, url, _, _) = token(&world, &["--user", "bob", "--role", "r1"]).await;

    // From the URL, with the right key: valid, not expired.
    let mut cmd = world.wps();
    cmd.args(["token", "decode", &url, "-o", "json"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["signature"], "valid", "{v}");
    assert_eq!(v["expired"], false);
    assert_eq!(v["claims"]["sub"], "bob");
    assert_eq!(v["claims"]["role"], serde_json::json!(["r1"]));
    assert_eq!(v["header"], serde_json::json!({"alg":"HS256","typ":"JWT"}));
    // RFC 3339 in UTC, as JSON readers expect: "2026-12-06T01:35:18Z".
    for name in ["issuedAt", "expiresAt"] {
        let at = v[name].as_str().unwrap_or_else(|| panic!("{name} in {v}"));
        let shape: String = at
            .chars()
            .map(|c| if c.is_ascii_digit() { 'd' } else { c })
            .collect();
        assert_eq!(shape, "dddd-dd-ddTdd:dd:ddZ", "{name}: {at}");
    }

    // Another key: invalid, and said on stderr.
    let mut cmd = world.bare_wps();
    cmd.args(["token", "decode", &tok, "-o", "json"]).env(
        "WPS_CONNECTION_STRING",
        format!(
            "Endpoint=http://{};AccessKey={}",
            world.emulator.addr(),
            "Q".repeat(44)
        ),
    );
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["signature"], "invalid");
    assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));

    // No key at all: not verified, from stdin, table output.
    // `wps token` issues no expired token (--expires is at least 1): sign one by hand.
    let now = wps::client::now_secs();
    let expired = world.sign_claims(&serde_json::json!({
        "aud": format!("http://{}/client/hubs/chat", world.emulator.addr()),
        "iat": now - 120,
        "exp": now - 60,
    }));
    let mut cmd = world.bare_wps();
    // POSIX TZ: "XYZ-5" is five hours east of UTC; people read times in their own zone.
    cmd.args(["token", "decode", "-o", "table"])
        .env("TZ", "XYZ-5");
    let out = run_with_stdin(cmd, format!("{expired}\n").into_bytes()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("expired"), "{table}");
    let expires = table
        .lines()
        .find(|l| l.starts_with("expires"))
        .expect("an expires line");
    assert!(expires.contains(" +05:00 (expired "), "{table}");
    assert!(table.contains("not verified"), "{table}");
    assert!(table.contains("/client/hubs/chat"), "{table}");

    // Not a token: a usage error, one line.
    let mut cmd = world.wps();
    cmd.args(["token", "decode", "not-a-token"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[tokio::test]
async fn token_needs_a_key_and_a_hub() {
    let world = World::new().await;
    let mut cmd = world.bare_wps();
    cmd.args(["token", "--hub", "chat"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let mut cmd = world.bare_wps();
    cmd.args(["token"])
        .env("WPS_CONNECTION_STRING", world.connection_string());
    let out = run(cmd).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("hub"), "{}", stderr(&out));
}
