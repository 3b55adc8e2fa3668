//! The emulator under hostile input, the third round (issue 24): start-up files read up to a
//! cap, the dashboard over TLS, MQTT topics a PUBLISH may not name, and a `connect` handler's
//! `userId` that could not be sent as a header.

use std::process::{Command, Stdio};

use crate::common::*;

/// `wps emulator --port 0 ARGS` with nothing configured, HOME in `home`, to its end.
async fn emulator_fails(home: &std::path::Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wps"));
    cmd.args(["emulator", "--port", "0"])
        .args(args)
        .env_clear()
        .env("HOME", home)
        .stdin(Stdio::null());
    run(cmd).await
}

#[tokio::test]
async fn start_up_files_that_never_end_are_invalid_input_with_one_error_line() {
    let home = tempfile::tempdir().expect("temp dir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert = home.path().join("cert.pem");
    let key = home.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("write");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write");
    let zero = std::ffi::OsStr::new("/dev/zero");
    let cases: [(Vec<&std::ffi::OsStr>, &str); 5] = [
        (
            vec!["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), zero],
            "error: TLS file /dev/zero: larger than 1 MiB, which no key file is; is it the right path?",
        ),
        (
            vec!["--tls-cert".as_ref(), zero, "--tls-key".as_ref(), key.as_os_str()],
            "error: TLS file /dev/zero: larger than 1 MiB, which no certificate file is; is it the right path?",
        ),
        (
            vec!["--tls-cert".as_ref(), zero, "--tls-key".as_ref(), zero],
            "error: TLS file /dev/zero: larger than 1 MiB, which no certificate file is; is it the right path?",
        ),
        (
            vec!["--entra-issuer-key".as_ref(), zero],
            "error: could not read --entra-issuer-key /dev/zero: larger than 1 MiB, which no key file is; is it the right path?",
        ),
        (
            vec!["--settings".as_ref(), zero],
            "error: cannot read /dev/zero: larger than 1 MiB, which no settings file is; is it the right path?",
        ),
    ];
    for (args, line) in cases {
        let out = emulator_fails(home.path(), &args).await;
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert_eq!(err.trim_end(), line, "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}

/// The dashboard served over TLS: its page is an https origin, so its posts (the send form,
/// the test client's token) say `Origin: https://...` and must be accepted; an http page
/// cannot be on the TLS port, so `Origin: http://` for it is cross-origin.
#[tokio::test]
async fn the_dashboard_over_tls_accepts_its_https_origin_and_refuses_http() {
    use serde_json::{json, Value};
    use wps::emulator::ServerLimits;

    let world = crate::tls::tls_world(ServerLimits::default()).await;
    let ca = crate::tls::ca_pem(&world.emulator);
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA"))
        .no_proxy()
        .https_only(true)
        .build()
        .expect("client");
    let base = format!("https://127.0.0.1:{}", world.emulator.addr().port());
    let page = http
        .get(format!("{base}/"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    let marker = r#"name="wps-page-token" content=""#;
    let start = page.find(marker).expect("token meta") + marker.len();
    let page_token = page[start..start + 64].to_string();
    let post = |path: &str, origin: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("x-wps-page-token", &page_token)
            .header("origin", origin)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };

    // The test client's token, asked from the https page: a wss URL that connects.
    let resp = post(
        "/_emulator/api/token",
        &base,
        json!({"hub": "chat", "userId": "page", "groups": ["g1"]}),
    )
    .await
    .expect("token");
    assert_eq!(resp.status(), 200);
    let token: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("JSON");
    let url = token["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!(
            "wss://127.0.0.1:{}/client/hubs/chat?",
            world.emulator.addr().port()
        )),
        "{url}"
    );
    let (mut socket, _) = crate::tls::wss_connect(&ca, url).await;

    // An http origin on the TLS port: refused, and nothing sent.
    let http_origin = format!("http://127.0.0.1:{}", world.emulator.addr().port());
    let send = "/_emulator/api/hubs/chat/send";
    let refused = post(
        send,
        &http_origin,
        json!({"target": "group", "name": "g1", "data": "from http"}),
    )
    .await
    .expect("send");
    assert_eq!(refused.status(), 403);
    let why = refused.text().await.expect("body");
    assert!(
        why.contains("Cross-origin requests are not accepted"),
        "{why}"
    );

    // The send form on the https page: accepted; its message is the first to arrive, so the
    // refused one was never delivered.
    let sent = post(
        send,
        &base,
        json!({"target": "group", "name": "g1", "data": "from https"}),
    )
    .await
    .expect("send");
    assert_eq!(sent.status(), 202);
    let got = next_json(&mut socket).await;
    assert_eq!(got["data"], "from https", "{got}");
}

/// A `connect` handler on 127.0.0.1 that passes validation and answers every connect with
/// `reply` (other events: 200, empty).
async fn connect_handler(reply: &'static str) -> std::net::SocketAddr {
    use axum::http::{Method, StatusCode};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| async move {
        if req.method() == Method::OPTIONS {
            return (StatusCode::OK, [("webhook-allowed-origin", "*")]).into_response();
        }
        let event = req
            .headers()
            .get("ce-eventname")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if event == "connect" {
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                reply,
            )
                .into_response();
        }
        StatusCode::OK.into_response()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("handler serves") });
    addr
}

/// A `connect` reply whose `userId` (sent later in the `ce-userId` header of every event)
/// holds CR/LF refuses the client, as a handler's error would, and `-v` names the bad answer.
#[tokio::test]
async fn a_connect_reply_whose_user_id_cannot_be_a_header_refuses_the_client() {
    use crate::event_handlers::{emulator_args, Binary};

    let handler = connect_handler(r#"{"userId":"a\r\nb"}"#).await;
    let emu = Binary::start(emulator_args(&[
        "--event-handler".into(),
        format!("chat=http://{handler}/h"),
    ]))
    .await;
    let status = match emu.connect("alice", Some("json.webpubsub.azure.v1")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("the client was accepted with a userId holding CR/LF"),
    };
    assert_eq!(status, 500);

    // The -v line for the connect call says what was wrong with the answer.
    let logged = emu.line_with(&["upstream connect"]).await;
    assert!(
        logged.contains("failed (the handler answered 200 OK, but the connect reply's userId")
            && logged.contains("ce-userId"),
        "{logged}"
    );
}
