//! Entra ID sign-in without Azure: the test is the issuer. It makes an RSA key pair, starts the
//! emulator trusting the public key, and hands `wps` RS256 tokens through a fake `az` on PATH.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use wps::emulator::{self, EmulatorConfig};

use crate::common::*;

const AUDIENCE: &str = "https://webpubsub.azure.com";

/// (private PEM, public PEM) of the test issuer, made once per test run with openssl.
fn key_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(make_key_pair)
}

/// A second issuer the emulator does not trust.
fn stranger_key_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(make_key_pair)
}

fn make_key_pair() -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "issuer.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkey",
            "-pubout",
            "-in",
            "issuer.pem",
            "-out",
            "issuer.pub.pem",
        ],
    );
    (
        std::fs::read_to_string(dir.path().join("issuer.pem")).expect("private key"),
        std::fs::read_to_string(dir.path().join("issuer.pub.pem")).expect("public key"),
    )
}

/// An Entra-shaped access token signed by the test issuer.
fn entra_token(aud: &str, exp_in_secs: i64) -> String {
    signed_by(&key_pair().0, aud, exp_in_secs)
}

fn signed_by(private_pem: &str, aud: &str, exp_in_secs: i64) -> String {
    let now = wps::client::now_secs() as i64;
    let claims = serde_json::json!({
        "aud": aud,
        "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
        "iat": now,
        "nbf": now,
        "exp": now + exp_in_secs,
        "oid": "11111111-1111-1111-1111-111111111111",
    });
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("RSA key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).expect("sign")
}

/// A world whose emulator also trusts the test issuer.
async fn entra_world() -> World {
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        entra_issuer_key: Some(key_pair().1.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    World {
        emulator,
        dir: tempfile::tempdir().expect("temp dir"),
    }
}

/// A directory holding a fake `az` that prints `stdout` and exits with `exit`, logging each
/// call's arguments to `az.log` beside it.
pub(crate) fn fake_az(world: &World, stdout: &str, stderr: &str, exit: i32) -> PathBuf {
    let bin = world.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let log = world.dir.path().join("az.log");
    // Shell builtins only: PATH holds nothing but this directory.
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> {}\nprintf '%s\\n' {}\nprintf '%s\\n' {} >&2\nexit {exit}\n",
        quote(&log.display().to_string()),
        quote(stdout),
        quote(stderr),
    );
    let path = bin.join("az");
    std::fs::write(&path, script).expect("write az");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

/// The JSON `az account get-access-token -o json` prints.
pub(crate) fn az_output(token: &str) -> String {
    let exp = wps::client::now_secs() + 3600;
    serde_json::json!({
        "accessToken": token,
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": exp,
        "subscription": "22222222-2222-2222-2222-222222222222",
        "tenant": "00000000-0000-0000-0000-000000000000",
        "tokenType": "Bearer",
    })
    .to_string()
}

fn az_calls(world: &World) -> Vec<String> {
    std::fs::read_to_string(world.dir.path().join("az.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `wps --auth MODE` against the emulator by endpoint alone (no key anywhere), with `bin`
/// as the only PATH entry.
fn entra_wps(world: &World, mode: &str, bin: &Path) -> std::process::Command {
    let mut cmd = world.bare_wps();
    cmd.env("PATH", bin)
        .env("WPS_HUB", "chat")
        .arg("--auth")
        .arg(mode)
        .arg("--endpoint")
        .arg(format!("http://{}", world.emulator.addr()));
    cmd
}

fn assert_one_line_exit(out: &std::process::Output, exit: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), exit, "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("eyJ"), "no token in errors: {err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
}

#[tokio::test]
async fn azure_cli_sends_reach_clients_with_one_sign_in_per_run() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let (mut alice, _) = world.connect_json("chat", Some("alice"), &[], &[]).await;
    let (mut bob, _) = world.connect_json("chat", Some("bob"), &[], &[]).await;

    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args([
        "send-user",
        "--user",
        "alice",
        "--user",
        "bob",
        "--text",
        "hi",
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for socket in [&mut alice, &mut bob] {
        let m = next_json(socket).await;
        assert_eq!(m["data"], "hi", "{m}");
    }
    // Two requests, one token: the credential's answer is reused while valid.
    let calls = az_calls(&world);
    assert_eq!(
        calls,
        ["account get-access-token -o json --scope https://webpubsub.azure.com/.default"],
        "{calls:?}"
    );
}

#[tokio::test]
async fn azure_cli_token_comes_from_generate_token_and_a_client_connects() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args([
        "-o",
        "json",
        "token",
        "--user",
        "carol",
        "--group",
        "g1",
        "--expires",
        "5",
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let base = format!("ws://{}/client/hubs/chat", world.emulator.addr());
    assert_eq!(v["baseUrl"], base.as_str(), "{v}");
    let token = v["token"].as_str().expect("token");
    assert_eq!(v["url"], format!("{base}?access_token={token}").as_str());
    // The emulator signed it with its key (HS256), not the Entra issuer.
    assert!(token.starts_with("eyJhbGciOiJIUzI1NiIs"), "{token}");

    let mut req = v["url"]
        .as_str()
        .expect("url")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("json.webpubsub.azure.v1"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the client connects with the issued token");
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["event"], "connected", "{connected}");
    assert_eq!(connected["userId"], "carol", "{connected}");

    // The group from the token was joined: a group send under Entra reaches it.
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args(["send-group", "--group", "g1", "--text", "to g1"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let m = next_json(&mut socket).await;
    assert_eq!(m["group"], "g1", "{m}");
    assert_eq!(m["data"], "to g1", "{m}");
}

#[tokio::test]
async fn listen_under_entra_receives_what_is_sent() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let mut listen = entra_wps(&world, "azure-cli", &bin);
    listen.args(["listen", "--user", "dana", "--count", "1", "--within", "10"]);
    let listener = tokio::task::spawn_blocking(move || listen.output().expect("listen runs"));
    // Send until the listener is connected and has the message.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut cmd = entra_wps(&world, "azure-cli", &bin);
        cmd.args(["-o", "json", "exists", "--user", "dana"]);
        if code(&run(cmd).await) == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "listen never connected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args(["send-user", "--user", "dana", "--text", "hello dana"]);
    assert_eq!(code(&run(cmd).await), 0);
    let out = listener.await.expect("join");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("hello dana"), "{}", stdout(&out));
}

#[tokio::test]
async fn the_service_refusing_the_token_is_exit_4() {
    let world = entra_world().await;
    let cases = [
        (
            "wrong audience",
            entra_token("https://management.azure.com", 3600),
        ),
        ("expired", entra_token(AUDIENCE, -3600)),
        (
            "another issuer",
            signed_by(&stranger_key_pair().0, AUDIENCE, 3600),
        ),
    ];
    for (what, token) in cases {
        let bin = fake_az(&world, &az_output(&token), "", 0);
        let mut cmd = entra_wps(&world, "azure-cli", &bin);
        cmd.args(["send-all", "--text", "x"]);
        let out = run(cmd).await;
        eprintln!("case: {what}");
        assert_one_line_exit(&out, 4, "401");
    }
}

#[tokio::test]
async fn no_az_on_path_is_exit_4() {
    let world = entra_world().await;
    let empty = world.dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let mut cmd = entra_wps(&world, "azure-cli", &empty);
    cmd.args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "az not found on PATH");
}

#[tokio::test]
async fn default_mode_uses_the_azure_cli_first() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let (mut socket, _) = world.connect_json("chat", None, &[], &[]).await;
    let mut cmd = entra_wps(&world, "default", &bin);
    cmd.args(["send-all", "--text", "by default"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "by default");
    assert_eq!(az_calls(&world).len(), 1);
}

#[tokio::test]
async fn a_failed_sign_in_is_tried_once_per_run() {
    let world = entra_world().await;
    let bin = fake_az(
        &world,
        "",
        "ERROR: AADSTS700082: The refresh token has expired.",
        1,
    );
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args([
        "send-user",
        "--user",
        "a",
        "--user",
        "b",
        "--user",
        "c",
        "--text",
        "x",
    ]);
    let out = run(cmd).await;
    // Several targets: a bulk run, whose failures exit 7 (see the bulk tests).
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    // Each target's outcome is data on stdout.
    assert_eq!(
        stdout(&out).matches("AADSTS700082").count(),
        3,
        "{}",
        stdout(&out)
    );
    assert_eq!(az_calls(&world).len(), 1, "{:?}", az_calls(&world));
}

#[tokio::test]
async fn az_not_logged_in_is_exit_4() {
    let world = entra_world().await;
    let bin = fake_az(
        &world,
        "",
        "ERROR: Please run 'az login' to setup account.",
        1,
    );
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args(["token"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "Please run 'az login'");
}

/// A fake Entra authority: HTTPS on 127.0.0.1 with a certificate from a CA the test makes
/// (`SSL_CERT_FILE` points `wps` at it). It answers the client-credentials token request for
/// one tenant and AADSTS90002 for any other, and records what it was sent.
struct Authority {
    url: String,
    ca: PathBuf,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
}

async fn authority(world: &World, access_token: String) -> Authority {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{crypto::ring, ServerConfig};

    let dir = world.dir.path().join("authority");
    std::fs::create_dir_all(&dir).expect("dir");
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=wps test CA",
        ],
    );
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("ext");
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .expect("leaf cert")
        .map(|c| c.expect("cert"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).expect("leaf key");
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            let access_token = access_token.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                // One HTTP/1.1 request: headers, then Content-Length bytes of form body.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let Ok(n) = tls.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        let Ok(n) = tls.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    break (
                        head,
                        String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned(),
                    );
                };
                let request_line = head.lines().next().unwrap_or("").to_string();
                seen.lock()
                    .expect("lock")
                    .push((request_line.clone(), body));
                let (status, answer) = if request_line
                    .starts_with(&format!("POST /{TENANT}/oauth2/v2.0/token "))
                {
                    (
                        "200 OK",
                        serde_json::json!({
                            "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                            "access_token": access_token,
                        }),
                    )
                } else {
                    (
                        "400 Bad Request",
                        serde_json::json!({
                            "error": "invalid_request",
                            "error_description": "AADSTS90002: Tenant not found. Check to make sure you have the correct tenant ID.",
                            "error_codes": [90002],
                        }),
                    )
                };
                let body = answer.to_string();
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Authority {
        url,
        ca: dir.join("ca.pem"),
        requests,
    }
}

fn client_secret_wps(world: &World, authority: &Authority, tenant: &str) -> std::process::Command {
    let mut cmd = entra_wps(world, "client-secret", world.dir.path());
    cmd.env("AZURE_AUTHORITY_HOST", &authority.url)
        .env("SSL_CERT_FILE", &authority.ca)
        .env("AZURE_TENANT_ID", tenant)
        .env("AZURE_CLIENT_ID", "app-id")
        .env("AZURE_CLIENT_SECRET", "s3cret-value");
    cmd
}

#[tokio::test]
async fn client_secret_signs_in_at_the_authority_and_sends() {
    let world = entra_world().await;
    let authority = authority(&world, entra_token(AUDIENCE, 3600)).await;
    let (mut alice, _) = world.connect_json("chat", Some("alice"), &[], &[]).await;
    let (mut bob, _) = world.connect_json("chat", Some("bob"), &[], &[]).await;
    let mut cmd = client_secret_wps(&world, &authority, TENANT);
    cmd.args([
        "send-user",
        "--user",
        "alice",
        "--user",
        "bob",
        "--text",
        "via sp",
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for socket in [&mut alice, &mut bob] {
        assert_eq!(next_json(socket).await["data"], "via sp");
    }
    let requests = authority.requests.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1, "one sign-in for two sends: {requests:?}");
    let (line, body) = &requests[0];
    assert_eq!(line, &format!("POST /{TENANT}/oauth2/v2.0/token HTTP/1.1"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("client_id"), Some("app-id"));
    assert_eq!(field("client_secret"), Some("s3cret-value"));
    assert_eq!(field("scope"), Some("https://webpubsub.azure.com/.default"));
}

#[tokio::test]
async fn client_secret_problems_are_exit_4() {
    let world = entra_world().await;
    let authority = authority(&world, entra_token(AUDIENCE, 3600)).await;
    // A tenant the authority does not know.
    let mut cmd = client_secret_wps(&world, &authority, "00000000-0000-0000-0000-000000000000");
    cmd.args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "AADSTS90002: Tenant not found");
    assert!(!stderr(&out).contains("s3cret-value"), "{}", stderr(&out));
    // A tenant that cannot be one: refused before any request.
    let mut cmd = client_secret_wps(&world, &authority, "not a tenant/..");
    cmd.args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "tenant");
    // Missing variables.
    let mut cmd = entra_wps(&world, "client-secret", world.dir.path());
    cmd.args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "AZURE_TENANT_ID");
    // azure_identity talks to https authorities only.
    let mut cmd = client_secret_wps(&world, &authority, TENANT);
    cmd.env("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9")
        .args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "HTTPS");
    // Without the test CA the authority's certificate is not trusted.
    let mut cmd = client_secret_wps(&world, &authority, TENANT);
    cmd.env_remove("SSL_CERT_FILE")
        .args(["send-all", "--text", "x"]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 4, "client-secret");
    assert_eq!(
        authority.requests.lock().expect("lock").len(),
        1,
        "only the unknown tenant got through"
    );
}

#[tokio::test]
async fn bearer_tokens_are_refused_over_plain_http_to_other_hosts() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let mut cmd = world.bare_wps();
    cmd.env("PATH", &bin).args([
        "--auth",
        "azure-cli",
        "--endpoint",
        "http://wps.example.invalid",
        "--hub",
        "chat",
        "send-all",
        "--text",
        "x",
    ]);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 3, "plain http");
    assert!(az_calls(&world).is_empty(), "no sign-in before refusing");
}

#[tokio::test]
async fn key_tokens_keep_working_next_to_entra() {
    let world = entra_world().await;
    let (mut socket, _) = world.connect_json("chat", None, &[], &[]).await;
    let mut cmd = world.wps();
    cmd.args(["send-all", "--text", "by key"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "by key");
}

#[tokio::test]
async fn emulator_refuses_a_bad_issuer_key() {
    let world = World::new().await;
    let pem = world.dir.path().join("bad.pem");
    std::fs::write(&pem, "not a key").expect("write");
    let mut cmd = world.bare_wps();
    cmd.args(["emulator", "--port", "0", "--entra-issuer-key"])
        .arg(&pem);
    let out = run(cmd).await;
    assert_one_line_exit(&out, 2, "Entra issuer key");
}

#[tokio::test]
async fn wps_tunnel_under_entra_opens_the_tunnel_with_the_credentials_token() {
    let world = entra_world().await;
    let bin = fake_az(&world, &az_output(&entra_token(AUDIENCE, 3600)), "", 0);
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args(["tunnel", "--upstream", "http://127.0.0.1:9"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("wps tunnel runs");
    let err = Piped::new(child.stderr.take().expect("stderr"));
    err.wait_for("tunnel connected to hub 'chat'").await;
    assert!(
        az_calls(&world)
            .iter()
            .any(|c| c.contains("get-access-token")),
        "{:?}",
        az_calls(&world)
    );
    sigterm(&child);
    assert!(wait_exit(&mut child).await.success(), "{}", err.text());

    // A token from an issuer the emulator does not trust: refused at once, exit 4.
    let stranger = signed_by(&stranger_key_pair().0, AUDIENCE, 3600);
    let bin = fake_az(&world, &az_output(&stranger), "", 0);
    let mut cmd = entra_wps(&world, "azure-cli", &bin);
    cmd.args(["tunnel", "--upstream", "http://127.0.0.1:9"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(!stderr(&out).contains("eyJ"), "no token in errors");
}
