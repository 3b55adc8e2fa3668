//! `wps emulator` over TLS: https and wss on one port with the development certificate (or
//! the user's), URLs and audiences that follow the scheme, the handshake under the header
//! deadline, plain http refused cleanly, and a local proxy's `X-Forwarded-Proto`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use wps::client::{now_secs, ClientClaims, KeySigner, Secret};
use wps::emulator::{self, Emulator, EmulatorConfig, ServerLimits, TlsConfig, DEFAULT_ACCESS_KEY};

use crate::common::*;

const API: &str = "api-version=2024-12-01";

/// A world whose emulator serves https with a development certificate made in its dir.
pub(crate) async fn tls_world(limits: ServerLimits) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        limits,
        tls: TlsConfig::SelfSigned {
            dir: dir.path().join("tls"),
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    World { emulator, dir }
}

pub(crate) fn ca_pem(emulator: &Emulator) -> Vec<u8> {
    std::fs::read(emulator.ca_pem_path().expect("a development CA")).expect("CA PEM")
}

/// reqwest trusting the emulator's CA; `http1` forces HTTP/1.1 (else ALPN picks h2).
fn https_client(emulator: &Emulator, http1: bool) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&ca_pem(emulator)).expect("CA");
    let mut builder = reqwest::Client::builder()
        .add_root_certificate(ca)
        .https_only(true)
        .timeout(PATIENCE);
    if http1 {
        builder = builder.http1_only();
    }
    builder.build().expect("client")
}

fn base(emulator: &Emulator) -> String {
    format!("https://127.0.0.1:{}", emulator.addr().port())
}

/// A REST token whose `aud` is `aud`, signed with the emulator's key.
fn rest_token(aud: &str) -> String {
    KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
        .sign(&json!({"aud": aud, "exp": now_secs() + 300}))
        .expect("sign")
        .expose()
        .to_string()
}

/// A signed REST request to `url` (the token's `aud` is `url` itself).
async fn rest(client: &reqwest::Client, method: reqwest::Method, url: &str) -> reqwest::Response {
    client
        .request(method, url)
        .bearer_auth(rest_token(url))
        .header("content-type", "text/plain")
        .body("")
        .send()
        .await
        .expect("request")
}

/// A wss client trusting only `ca`, offering the JSON subprotocol; the upgrade's refusal
/// status if refused.
async fn wss_try(ca: &[u8], url: &str) -> Result<Socket, u16> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.expect("PEM")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("json.webpubsub.azure.v1"),
    );
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(config));
    match tokio_tungstenite::connect_async_tls_with_config(req, None, false, Some(connector)).await
    {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("wss connection failed: {e}"),
    }
}

/// Like [`wss_try`], which must succeed; returns the socket and its connection id.
pub(crate) async fn wss_connect(ca: &[u8], url: &str) -> (Socket, String) {
    let mut socket = wss_try(ca, url).await.expect("wss connects");
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["event"], "connected", "{connected}");
    let id = connected["connectionId"].as_str().expect("id").to_string();
    (socket, id)
}

/// A client token for `hub` signed like the SDK does, for an https endpoint.
fn client_token(emulator: &Emulator, hub: &str, groups: &[&str]) -> String {
    let now = now_secs();
    let claims = ClientClaims {
        aud: format!("{}/client/hubs/{hub}", base(emulator)),
        iat: now,
        exp: now + 3600,
        sub: None,
        role: Vec::new(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    };
    KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
        .sign(&claims)
        .expect("sign")
        .expose()
        .to_string()
}

async fn json_of(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("JSON body")
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims")
}

#[tokio::test]
async fn rest_over_https_with_h2_and_http1_and_https_audiences() {
    let world = tls_world(ServerLimits::default()).await;
    let emu = &world.emulator;
    let port = emu.addr().port();
    assert_eq!(
        emu.connection_string(),
        format!(
            "Endpoint=https://127.0.0.1;Port={port};AccessKey={DEFAULT_ACCESS_KEY};Version=1.0;"
        )
    );
    assert_eq!(emu.url(), format!("https://127.0.0.1:{port}"));
    for http1 in [false, true] {
        let client = https_client(emu, http1);
        let health = client
            .get(format!("{}/api/health", base(emu)))
            .send()
            .await
            .expect("health over TLS");
        assert_eq!(health.status(), 200);
        let want = if http1 {
            reqwest::Version::HTTP_11
        } else {
            reqwest::Version::HTTP_2
        };
        assert_eq!(health.version(), want, "ALPN");
        let url = format!("{}/api/hubs/chat/:send?{API}", base(emu));
        assert_eq!(
            rest(&client, reqwest::Method::POST, &url).await.status(),
            202
        );
        // Signed for http:// while sent over https: not the URL that was requested.
        let refused = client
            .post(&url)
            .bearer_auth(rest_token(&url.replacen("https://", "http://", 1)))
            .header("content-type", "text/plain")
            .body("")
            .send()
            .await
            .expect("request");
        assert_eq!(refused.status(), 401);
    }
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn generate_token_and_next_link_say_https_and_wss_clients_connect() {
    let world = tls_world(ServerLimits::default()).await;
    let emu = &world.emulator;
    let client = https_client(emu, false);
    let url = format!(
        "{}/api/hubs/Chat/:generateToken?group=g&clientType=Default&{API}",
        base(emu)
    );
    let resp = rest(&client, reqwest::Method::POST, &url).await;
    assert_eq!(resp.status(), 200);
    let body: Value = json_of(resp).await;
    let token = body["token"].as_str().expect("token");
    assert_eq!(
        claims_of(token)["aud"],
        format!("https://127.0.0.1:{}/client/hubs/Chat", emu.addr().port())
    );

    // The token from :generateToken opens a wss connection; so do two signed locally.
    let ca = ca_pem(emu);
    let wss = format!("wss://127.0.0.1:{}/client/hubs/Chat", emu.addr().port());
    let (mut first, first_id) = wss_connect(&ca, &format!("{wss}?access_token={token}")).await;
    let mut others = Vec::new();
    for _ in 0..2 {
        let t = client_token(emu, "Chat", &["g"]);
        others.push(wss_connect(&ca, &format!("{wss}?access_token={t}")).await);
    }
    // A client token for ws:// (http audience) is not for this wss URL.
    let http_aud = {
        let now = now_secs();
        let claims = ClientClaims {
            aud: format!("http://127.0.0.1:{}/client/hubs/Chat", emu.addr().port()),
            iat: now,
            exp: now + 60,
            sub: None,
            role: Vec::new(),
            groups: Vec::new(),
        };
        KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
            .sign(&claims)
            .expect("sign")
            .expose()
            .to_string()
    };
    let refused = wss_try(&ca, &format!("{wss}?access_token={http_aud}")).await;
    assert_eq!(refused.err(), Some(401));

    // Pages of the group's members link to the next over https, and the link works.
    let mut next = format!(
        "{}/api/hubs/Chat/groups/g/connections?{API}&maxpagesize=1",
        base(emu)
    );
    let mut seen = Vec::new();
    loop {
        let resp = rest(&client, reqwest::Method::GET, &next).await;
        assert_eq!(resp.status(), 200, "{next}");
        let page: Value = json_of(resp).await;
        for m in page["value"].as_array().expect("value") {
            seen.push(m["connectionId"].as_str().expect("id").to_string());
        }
        match page["nextLink"].as_str() {
            Some(link) => {
                assert!(link.starts_with(&base(emu)), "{link}");
                next = link.to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.contains(&first_id));

    // And a message sent over https reaches a wss client.
    let send = format!("{}/api/hubs/Chat/groups/g/:send?{API}", base(emu));
    let resp = client
        .post(&send)
        .bearer_auth(rest_token(&send))
        .header("content-type", "text/plain")
        .body("over tls")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 202);
    let got = next_json(&mut first).await;
    assert_eq!(got["data"], "over tls", "{got}");
    drop(others);
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn wps_send_all_and_listen_over_https_trust_ssl_cert_file() {
    let world = tls_world(ServerLimits::default()).await;
    let ca_path = world.emulator.ca_pem_path().expect("CA").to_path_buf();

    let mut listen = world.wps();
    listen
        .env("SSL_CERT_FILE", &ca_path)
        .args(["listen", "--group", "g1", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let listen = listen.spawn().expect("listen starts");
    // Wait until it has joined g1 (over wss).
    let client = https_client(&world.emulator, false);
    let head = format!("{}/api/hubs/chat/groups/g1?{API}", base(&world.emulator));
    let deadline = Instant::now() + PATIENCE;
    while rest(&client, reqwest::Method::HEAD, &head).await.status() != 200 {
        assert!(
            Instant::now() < deadline,
            "wps listen never connected over wss"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut send = world.wps();
    send.env("SSL_CERT_FILE", &ca_path)
        .args(["send-all", "--text", "hello over tls"]);
    let out = run(send).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = tokio::task::spawn_blocking(move || listen.wait_with_output().expect("listen ends"))
        .await
        .expect("join");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("hello over tls"), "{}", stdout(&out));

    // Without the CA the certificate is not trusted: a transport error, not a hang.
    let mut untrusted = world.wps();
    untrusted.args(["send-all", "--text", "x", "--retries", "0"]);
    let out = run(untrusted).await;
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).to_lowercase().contains("certificate"),
        "{}",
        stderr(&out)
    );
    // A bad SSL_CERT_FILE is said plainly.
    let mut bad = world.wps();
    bad.env("SSL_CERT_FILE", world.dir.path().join("missing.pem"))
        .args(["send-all", "--text", "x"]);
    let out = run(bad).await;
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("SSL_CERT_FILE"), "{}", stderr(&out));
    world.emulator.shutdown().await;
}

/// A loopback TCP proxy to `to` that counts the connections it accepts.
async fn counting_proxy(to: std::net::SocketAddr) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (port, count)
}

#[tokio::test]
async fn an_untrusted_certificate_is_not_retried_and_the_hint_names_the_development_ca() {
    // The emulator keeps its CA where `wps emulator --tls` does for this HOME.
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_dir = dir.path().join(".cache/wps/emulator-tls");
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        tls: TlsConfig::SelfSigned {
            dir: ca_dir.clone(),
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let world = World { emulator, dir };
    let ca = ca_dir.join("ca.pem");
    assert!(ca.is_file());
    let (port, connections) = counting_proxy(world.emulator.addr()).await;
    let through_proxy = format!(
        "Endpoint=https://127.0.0.1;Port={port};AccessKey={DEFAULT_ACCESS_KEY};Version=1.0;"
    );

    let mut send = world.wps();
    send.env("WPS_CONNECTION_STRING", &through_proxy).args([
        "send-all",
        "--text",
        "x",
        "--retries",
        "3",
    ]);
    let out = run(send).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert!(
        err.contains("is not trusted") && err.contains("UnknownIssuer"),
        "{err}"
    );
    assert!(!err.contains("attempts"), "{err}");
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "{err}"
    );
    let hint = err
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap_or_else(|| panic!("no hint in {err}"));
    assert!(
        hint.contains(&format!("SSL_CERT_FILE={}", ca.display()))
            && hint.contains("wps emulator ca --install"),
        "{hint}"
    );

    // With SSL_CERT_FILE naming another bundle, the hint says it does not hold the CA.
    let bundle = world.dir.path().join("bundle.pem");
    std::fs::write(
        &bundle,
        rcgen::generate_simple_self_signed(vec!["x".into()])
            .expect("cert")
            .cert
            .pem(),
    )
    .expect("write");
    let mut send = world.wps();
    send.env("SSL_CERT_FILE", &bundle)
        .args(["send-all", "--text", "x"]);
    let out = run(send).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert!(
        err.contains(&format!("SSL_CERT_FILE ({})", bundle.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("SSL_CERT_FILE={}", ca.display())),
        "{err}"
    );

    // listen (wss) fails the same way at once, with the same hint.
    let mut listen = world.wps();
    listen.args(["listen", "--count", "1"]);
    let out = run(listen).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert!(
        err.contains("wss://") && err.contains("is not trusted"),
        "{err}"
    );
    assert!(
        err.contains(&format!("SSL_CERT_FILE={}", ca.display())),
        "{err}"
    );

    // Trusting the CA is what the hint says it is.
    let mut send = world.wps();
    send.env("SSL_CERT_FILE", &ca)
        .args(["send-all", "--text", "x"]);
    let out = run(send).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Without a development CA on this machine, the hint says where to look.
    let mut elsewhere = world.wps();
    let other_home = tempfile::tempdir().expect("temp dir");
    elsewhere
        .env("HOME", other_home.path())
        .args(["send-all", "--text", "x"]);
    let out = run(elsewhere).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert!(
        err.contains("hint: point SSL_CERT_FILE") && err.contains("wps emulator ca"),
        "{err}"
    );
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn ssl_cert_file_is_read_only_for_https() {
    // A garbage SSL_CERT_FILE and an unreadable one: http and ws never open it...
    let plain = World::new().await;
    let garbage = plain.dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let missing = plain.dir.path().join("missing.pem");
    let (mut socket, _) = plain.connect_json("chat", None, &[], &[]).await;
    for file in [&garbage, &missing] {
        let mut send = plain.wps();
        send.env("SSL_CERT_FILE", file)
            .args(["send-all", "--text", "over http"]);
        let out = run(send).await;
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(next_json(&mut socket).await["data"], "over http");
    }
    let mut listen = plain.wps();
    listen
        .env("SSL_CERT_FILE", &garbage)
        .args(["listen", "--group", "g1", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let listen = listen.spawn().expect("listen starts");
    let mut joined = false;
    for _ in 0..100 {
        let mut exists = plain.wps();
        exists.args(["exists", "--group", "g1"]);
        if code(&run(exists).await) == 0 {
            joined = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(joined, "wps listen never joined over ws");
    let mut send = plain.wps();
    send.args(["send-group", "--group", "g1", "--text", "over ws"]);
    assert_eq!(code(&run(send).await), 0);
    let out = tokio::task::spawn_blocking(move || listen.wait_with_output().expect("listen ends"))
        .await
        .expect("join");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("over ws"), "{}", stdout(&out));
    plain.emulator.shutdown().await;

    // ...while https reads it and says what is wrong with it.
    let tls = tls_world(ServerLimits::default()).await;
    for (file, says) in [
        (&garbage, "holds no certificate"),
        (&missing, "could not read"),
    ] {
        let mut send = tls.wps();
        send.env("SSL_CERT_FILE", file)
            .args(["send-all", "--text", "x"]);
        let out = run(send).await;
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("SSL_CERT_FILE {}", file.display()))
                && stderr(&out).contains(says),
            "{}",
            stderr(&out)
        );
    }
    tls.emulator.shutdown().await;
}

/// Reads until the server closes; returns what arrived. Fails after `PATIENCE`.
async fn read_to_close(socket: &mut TcpStream) -> Vec<u8> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + PATIENCE).into(), socket.read(&mut buf)).await {
            Err(_) => panic!("the server kept the socket open for {PATIENCE:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn silent_and_stalled_handshakes_are_dropped_at_the_header_deadline_and_hold_the_cap() {
    const SHORT: Duration = Duration::from_millis(400);
    let world = tls_world(ServerLimits {
        header_timeout: SHORT,
        body_timeout: SHORT,
        max_connections: 1,
        ..ServerLimits::default()
    })
    .await;
    let addr = world.emulator.addr();

    // Opens TCP and never speaks TLS: holds the only permit until the deadline (it is taken
    // first: the listen backlog is first come, first served). Times are lower bounds, from
    // before the connection, which no deadline can start before.
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let client = https_client(&world.emulator, true);
    let health = client
        .get(format!("{}/api/health", base(&world.emulator)))
        .timeout(PATIENCE)
        .send()
        .await
        .expect("health once the silent socket is gone");
    assert_eq!(health.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= SHORT, "served past the cap after {waited:?}");
    read_to_close(&mut silent).await;
    drop(client);

    // Starts a handshake (a record header) and stalls: dropped at the deadline too.
    let started = Instant::now();
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .expect("write");
    read_to_close(&mut stalled).await;
    let took = started.elapsed();
    assert!(took >= SHORT, "closed too early: {took:?}");
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let world = tls_world(ServerLimits::default()).await;
    let addr = world.emulator.addr();
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let got = read_to_close(&mut socket).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(
        text.ends_with("use https:// and wss:// URLs with it.\n"),
        "{text}"
    );
    // What a client library makes of it: an error status, not a hang.
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .timeout(PATIENCE)
        .send()
        .await
        .expect("a plain answer");
    assert_eq!(resp.status(), 400);
    let ws = tokio::time::timeout(
        PATIENCE,
        tokio_tungstenite::connect_async(format!("ws://{addr}/client/hubs/chat")),
    )
    .await
    .expect("no hang");
    assert!(ws.is_err());
    // Not HTTP and not TLS: closed without an answer.
    let mut junk = TcpStream::connect(addr).await.expect("connect");
    junk.write_all(&[0u8; 8]).await.expect("write");
    let got = read_to_close(&mut junk).await;
    assert!(got.is_empty());
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn a_loopback_proxy_sets_the_scheme_and_host() {
    // Plain http behind a TLS terminator on this machine.
    let world = World::new().await;
    let addr = world.emulator.addr();
    let client = reqwest::Client::new();
    let path = format!("/api/hubs/chat/:generateToken?{API}");
    let generate = |aud: String, headers: &[(&str, &str)]| {
        let mut req = client
            .post(format!("http://{addr}{path}"))
            .bearer_auth(rest_token(&aud));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let aud_of = |body: Value| claims_of(body["token"].as_str().expect("token"))["aud"].clone();

    let resp = generate(
        format!("https://{addr}{path}"),
        &[("x-forwarded-proto", "https")],
    )
    .await
    .expect("request");
    assert_eq!(resp.status(), 200);
    let aud = aud_of(json_of(resp).await);
    assert_eq!(aud, format!("https://{addr}/client/hubs/chat"));

    let resp = generate(
        format!("https://proxy.local:8443{path}"),
        &[(
            "forwarded",
            "for=127.0.0.1;proto=https;host=proxy.local:8443",
        )],
    )
    .await
    .expect("request");
    assert_eq!(resp.status(), 200);
    let aud = aud_of(json_of(resp).await);
    assert_eq!(aud, "https://proxy.local:8443/client/hubs/chat");

    // A client configured with the emulator's own endpoint behind the proxy (the SDKs'
    // reverse_proxy_endpoint) signs the emulator's URL: accepted too.
    let resp = generate(
        format!("http://{addr}{path}"),
        &[("x-forwarded-proto", "https")],
    )
    .await
    .expect("request");
    assert_eq!(resp.status(), 200);

    // Without the header the scheme is the connection's, and https audiences do not match.
    let resp = generate(format!("https://{addr}{path}"), &[])
        .await
        .expect("request");
    assert_eq!(resp.status(), 401);
    let resp = generate(format!("http://{addr}{path}"), &[])
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    world.emulator.shutdown().await;
}

/// `wps emulator` with `args`, HOME in `home`; returns the child, its connection string and
/// the stderr lines printed before it.
fn spawn_wps_emulator(home: &std::path::Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wps"))
        .arg("emulator")
        .args(["--port", "0"])
        .args(args)
        .env_clear()
        .env("HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wps emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("connection string");
    (child, line.trim().to_string())
}

fn stop(mut child: std::process::Child) -> String {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    err
}

#[tokio::test]
async fn wps_emulator_tls_prints_the_ca_and_tls_cert_serves_the_users_certificate() {
    let home = tempfile::tempdir().expect("temp dir");
    let (child, cs) = spawn_wps_emulator(home.path(), &["--tls", "--quiet"]);
    assert!(cs.starts_with("Endpoint=https://127.0.0.1;Port="), "{cs}");
    let err = stop(child);
    let ca = home.path().join(".cache/wps/emulator-tls/ca.pem");
    assert!(
        err.contains(&format!("SSL_CERT_FILE={}", ca.display())),
        "{err}"
    );
    assert!(ca.is_file());

    // The user's own certificate and key.
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert = home.path().join("cert.pem");
    let key = home.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("write");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write");
    let (child, cs) = spawn_wps_emulator(
        home.path(),
        &[
            "--tls-cert",
            cert.to_str().expect("utf-8"),
            "--tls-key",
            key.to_str().expect("utf-8"),
        ],
    );
    let port = cs
        .split(';')
        .find_map(|s| s.strip_prefix("Port="))
        .expect("port")
        .to_string();
    assert!(cs.starts_with("Endpoint=https://"), "{cs}");
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).expect("CA"),
        )
        .build()
        .expect("client");
    let health = client
        .get(format!("https://localhost:{port}/api/health"))
        .send()
        .await
        .expect("health with the user's certificate");
    assert_eq!(health.status(), 200);
    let err = stop(child);
    assert!(!err.contains("SSL_CERT_FILE"), "{err}");
    assert!(err.contains("listening on https://"), "{err}");

    // A key that is not the certificate's is a usage error before listening.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    std::fs::write(&key, other.signing_key.serialize_pem()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_wps"))
        .args(["emulator", "--port", "0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env_clear()
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("do not go together"),
        "{}",
        stderr(&out)
    );
    // --tls-cert alone is incomplete.
    let out = Command::new(env!("CARGO_BIN_EXE_wps"))
        .args(["emulator", "--tls-cert"])
        .arg(&cert)
        .env_clear()
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2);
}
