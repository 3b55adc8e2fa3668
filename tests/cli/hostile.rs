//! The CLI under a hostile server or hostile input: bounded memory, clear errors, no secret
//! or terminal control sequence echoed (issue 13, CLI items).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;
use crate::faults::{connection_string_for, wps_at};

/// A server that answers every request 200 with a chunked JSON body that never ends.
async fn endless_body_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The request's head; its body (none for GET) does not matter.
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(start.as_bytes()).await.is_err() {
                    return;
                }
                let data = vec![b' '; 64 * 1024];
                let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
                chunk.extend_from_slice(&data);
                chunk.extend_from_slice(b"\r\n");
                // Until the client hangs up.
                while socket.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_at_the_cap_with_one_error_line_and_exit_6() {
    let world = World::new().await;
    let addr = endless_body_server().await;
    let started = Instant::now();
    let out = run({
        let mut c = wps_at(&world, &connection_string_for(addr));
        // Long enough that only the cap, not the timeout, can end the read.
        c.args([
            "--timeout",
            "60",
            "api",
            "GET",
            "/api/hubs/chat/groups/g/connections",
        ]);
        c
    })
    .await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: api GET /api/hubs/chat/groups/g/connections failed: the answer from http://127.0.0.1:")
            && err.contains("is larger than 16 MiB; stopped reading it"),
        "{err}"
    );
    // Not retried: a second endless read would only cost the same again.
    assert!(!err.contains("attempts"), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// Runs `cmd` and checks it failed at once with `code` and one error line starting `start`.
async fn fails_fast(cmd: std::process::Command, code_wanted: i32, start: &str) {
    let started = Instant::now();
    let out = run(cmd).await;
    let err = stderr(&out);
    assert_eq!(code(&out), code_wanted, "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(start), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_config_that_never_ends_is_a_config_error() {
    let world = World::new().await;
    for args in [
        &["--config", "/dev/zero", "send-all", "--text", "hi"][..],
        &["--config", "/dev/zero", "profile", "list"][..],
    ] {
        let mut c = world.bare_wps();
        c.args(args);
        fails_fast(
            c,
            3,
            "error: config file /dev/zero: larger than 1 MiB, which no config file is",
        )
        .await;
    }
    // Just under the cap is read (and parsed) as usual.
    let big = world.dir.path().join("big.toml");
    let mut text = String::from("[profiles.dev]\nhub = \"chat\"\n");
    while text.len() < 1000 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&big, text).expect("write");
    let out = run({
        let mut c = world.bare_wps();
        c.arg("--config")
            .arg(&big)
            .args(["profile", "list", "-o", "json"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("\"dev\""), "{}", stdout(&out));
}

#[tokio::test]
async fn a_target_file_that_never_ends_is_invalid_input() {
    let world = World::new().await;
    let mut c = world.wps();
    c.args(["send-user", "--text", "hi", "--from-file", "/dev/zero"]);
    fails_fast(
        c,
        2,
        "error: --from-file /dev/zero: line 1 is longer than 4096 bytes",
    )
    .await;

    // From stdin, read as it comes: the error is at the long line, whatever follows it.
    let mut input = b"u1\nu2\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 8 << 20));
    let mut c = world.wps();
    c.args(["send-user", "--json", "1", "--from-file", "-"]);
    let out = run_with_stdin(c, input).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "stderr: {err}");
    assert_eq!(
        err.trim_end(),
        "error: --from-file -: line 3 is longer than 4096 bytes; expected one target a line"
    );

    let mut c = world.wps();
    c.args(["token", "decode"])
        .stdin(std::fs::File::open("/dev/zero").expect("/dev/zero"));
    fails_fast(c, 2, "error: the token on stdin is longer than 64 KiB").await;
}

#[tokio::test]
async fn user_info_in_the_endpoint_is_never_shown() {
    let world = World::new().await;
    // Nothing listens on port 1: the connection error names the endpoint.
    let cs = format!(
        "Endpoint=http://admin:hunter2@127.0.0.1;Port=1;AccessKey={};Version=1.0;",
        crate::faults::FAULT_KEY
    );
    let mut outputs = Vec::new();
    for args in [
        &["--retries", "0", "send-all", "--text", "hi"][..],
        &["--retries", "0", "-vv", "send-all", "--text", "hi"][..],
        &["--dry-run", "send-all", "--text", "hi"][..],
        &["--dry-run", "-o", "table", "send-all", "--text", "hi"][..],
        &["token", "-o", "json"][..],
        &["profile", "show", "-o", "json"][..],
    ] {
        let mut c = wps_at(&world, &cs);
        c.args(args);
        outputs.push((args, run(c).await));
    }
    // A profile holding such an endpoint, listed and shown.
    let out = run({
        let mut c = world.bare_wps();
        c.args([
            "profile",
            "add",
            "ep",
            "--endpoint",
            "https://admin:hunter2@example.com",
        ])
        .args(["--access-key-env", "SOME_KEY"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    for args in [
        &["profile", "list", "-o", "table"][..],
        &["profile", "show", "ep", "-o", "json"][..],
    ] {
        let mut c = world.bare_wps();
        c.args(args);
        outputs.push((args, run(c).await));
    }
    // An endpoint too broken to parse is not echoed with its user info either.
    let mut c = wps_at(&world, "Endpoint=http://admin:hun/ter2@x;AccessKey=k");
    c.args(["send-all", "--text", "hi"]);
    outputs.push((&["broken endpoint"][..], run(c).await));

    for (args, out) in &outputs {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(
            !all.contains("hunter2") && !all.contains("ter2") && !all.contains("admin"),
            "{args:?} shows user info: {all}"
        );
    }
    let (_, refused) = &outputs[0];
    assert_eq!(code(refused), 6);
    assert!(
        stderr(refused)
            .starts_with("error: send-all failed: could not connect to http://127.0.0.1:1: "),
        "{}",
        stderr(refused)
    );
    let (_, list) = &outputs[6];
    assert!(
        stdout(list).contains("https://example.com"),
        "{}",
        stdout(list)
    );
}

#[tokio::test]
async fn vv_never_logs_a_client_token_from_generate_token() {
    let world = World::new().await;
    let out = run({
        let mut c = world.wps();
        c.args([
            "-vv",
            "-o",
            "json",
            "api",
            "POST",
            "/api/hubs/chat/:generateToken",
        ])
        .args(["--query", "userId=alice"]);
        c
    })
    .await;
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "stderr: {err}");
    // stdout is the answer the user asked for; the log on stderr is not.
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let token = answer["body"]["token"].as_str().expect("a token");
    assert!(token.len() > 20);
    assert!(!err.contains(token), "{err}");
    assert!(!err.contains(&token[..30]), "{err}");
    assert!(err.contains(r#"< body: {"token":"<redacted>"}"#), "{err}");
}

#[tokio::test]
async fn table_output_never_writes_terminal_control_sequences() {
    let world = World::new().await;
    // An OSC title sequence, a screen clear, a carriage return and a bidi override.
    let evil = "\u{1b}]0;pwned\u{7}x\u{1b}[2J\ry\u{202e}z";
    let file = world.dir.path().join("targets.txt");
    std::fs::write(&file, format!("{evil}\nplain\n")).expect("write");
    for args in [
        vec!["send-user", "--text", "hi", "-o", "table", "--user", evil],
        vec![
            "send-user",
            "--text",
            "hi",
            "-o",
            "table",
            "--from-file",
            file.to_str().expect("utf-8"),
        ],
    ] {
        let out = run({
            let mut c = world.wps();
            c.args(&args);
            c
        })
        .await;
        let text = stdout(&out);
        assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}']),
            "{args:?}: {text:?}"
        );
        assert!(text.contains(r"\u{1b}]0;pwned\u{7}x"), "{text}");
    }
    // Nor does an error line that quotes the target.
    let server = crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(404)).await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-user", "--text", "hi", "--user", evil]);
        c
    })
    .await;
    assert_eq!(code(&out), 5);
    let err = stderr(&out);
    assert!(
        !err.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}']),
        "{err:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn profile_add_through_a_symlinked_config_writes_the_target_and_keeps_the_link() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new().await;
    // The real file lives elsewhere (a dotfiles repository), linked in relatively.
    let real_dir = world.dir.path().join("dotfiles");
    std::fs::create_dir(&real_dir).expect("mkdir");
    let real = real_dir.join("wps.toml");
    std::fs::write(&real, "[profiles.old]\nhub = \"chat\"\n").expect("write");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = world.config_path();
    std::os::unix::fs::symlink("dotfiles/wps.toml", &link).expect("symlink");

    let out = run({
        let mut c = world.bare_wps();
        c.args(["profile", "add", "new", "--connection-string"])
            .arg(world.connection_string());
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link).expect("link").is_symlink(),
        "the link was replaced by a file"
    );
    let text = std::fs::read_to_string(&real).expect("read");
    assert!(
        text.contains("[profiles.old]") && text.contains("[profiles.new]"),
        "{text}"
    );
    let mode = std::fs::metadata(&real).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // No temp file left beside either.
    assert_eq!(std::fs::read_dir(&real_dir).expect("ls").count(), 1);
}

#[tokio::test]
async fn an_unknown_profile_among_ten_thousand_is_one_short_line() {
    let world = World::new().await;
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!("[profiles.team-{i:05}]\nhub = \"chat\"\n"));
    }
    std::fs::write(world.config_path(), text).expect("write");
    for args in [
        &["-p", "nope", "send-all", "--text", "hi"][..],
        &["profile", "use", "nope"][..],
    ] {
        let out = run({
            let mut c = world.bare_wps();
            c.args(args);
            c
        })
        .await;
        let err = stderr(&out);
        assert_eq!(code(&out), 3, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.len() < 400, "{} bytes: {err}", err.len());
        assert!(
            err.contains("no profile 'nope'")
                && err.contains("profiles: team-00000, team-00001, team-00002, team-00003, team-00004 and 9995 more"),
            "{err}"
        );
    }
}

/// A server that answers every request `status` with a `Location` on `elsewhere` (another
/// origin: same host, another port).
async fn redirecting_to(
    status: u16,
    elsewhere: &crate::faults::FaultServer,
) -> crate::faults::FaultServer {
    let target = format!("http://{}", elsewhere.addr);
    crate::faults::FaultServer::start(move |hit, _| crate::faults::Reply::Status {
        status,
        headers: vec![("location", format!("{target}{}", hit.path))],
        body: String::new(),
    })
    .await
}

/// One `error:` line saying `status` was answered with a redirect to `elsewhere`, not followed.
fn assert_redirect_refused(
    out: &std::process::Output,
    status: u16,
    elsewhere: &crate::faults::FaultServer,
    what: &str,
) {
    let err = stderr(out);
    assert_eq!(code(out), 6, "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    let reason = reqwest::StatusCode::from_u16(status)
        .expect("status")
        .canonical_reason()
        .expect("reason");
    let said = format!(
        "answered {status} {reason} (a redirect to http://{}/",
        elsewhere.addr
    );
    assert!(
        err.starts_with("error: ") && err.contains(&said),
        "{what}: {err}"
    );
    assert!(
        err.trim_end().ends_with("), which wps does not follow"),
        "{what}: {err}"
    );
    assert!(stdout(out).is_empty(), "{what}: {}", stdout(out));
}

#[tokio::test]
async fn a_redirect_is_an_answer_and_nothing_goes_to_its_location() {
    let world = World::new().await;
    let elsewhere =
        crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(202)).await;
    for status in [307, 308, 301, 302] {
        let server = redirecting_to(status, &elsewhere).await;
        let cs = server.connection_string();
        for args in [
            &["send-all", "--text", "hi"][..],
            &["api", "POST", "/api/hubs/chat/:send", "--text", "hi"][..],
            &["api", "GET", "/api/hubs/chat/groups/g/connections"][..],
        ] {
            let mut c = wps_at(&world, &cs);
            c.args(args);
            let out = run(c).await;
            assert_redirect_refused(&out, status, &elsewhere, &format!("{status} {args:?}"));
        }
        // Each answered once: a redirect is not retried either.
        assert_eq!(server.hits().len(), 3, "{status}: {:?}", server.hits());
    }
    assert!(
        elsewhere.hits().is_empty(),
        "a redirect was followed: {:?}",
        elsewhere.hits()
    );
}

#[cfg(feature = "entra")]
#[tokio::test]
async fn a_redirected_token_request_or_sign_in_is_not_followed() {
    let world = World::new().await;
    let elsewhere =
        crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(200)).await;
    let server = redirecting_to(307, &elsewhere).await;
    let endpoint = format!("http://{}", server.addr);

    // :generateToken, for `token` and for the negotiation of `listen` and `client`.
    let bin = crate::entra::fake_az(&world, &crate::entra::az_output("eyJfake"), "", 0);
    for args in [
        &["token"][..],
        &["listen", "--count", "1"][..],
        &["client"][..],
    ] {
        let mut c = world.bare_wps();
        c.env("PATH", &bin)
            .env("WPS_HUB", "chat")
            .args(["--auth", "azure-cli", "--endpoint", &endpoint])
            .args(args);
        let out = run(c).await;
        assert_redirect_refused(&out, 307, &elsewhere, &format!("{args:?}"));
        assert!(stderr(&out).contains("the service answered 307"));
    }

    // A managed identity's sign-in request (App Service's endpoint, here the redirector).
    let mut c = world.bare_wps();
    c.env("IDENTITY_ENDPOINT", format!("{endpoint}/msi/token"))
        .env("IDENTITY_HEADER", "header-secret")
        .env("WPS_HUB", "chat")
        .args([
            "--auth",
            "managed-identity",
            "--endpoint",
            "http://127.0.0.1:1",
        ])
        .args(["send-all", "--text", "hi"]);
    let out = run(c).await;
    assert_redirect_refused(&out, 307, &elsewhere, "managed identity");
    assert!(
        stderr(&out).contains("the Entra ID sign-in endpoint answered 307"),
        "{}",
        stderr(&out)
    );
    assert!(
        server.hits().iter().any(|h| h.path == "/msi/token"),
        "{:?}",
        server.hits()
    );
    assert!(
        elsewhere.hits().is_empty(),
        "a redirect was followed: {:?}",
        elsewhere.hits()
    );
}

/// Exit `code_wanted` with one `error:` line containing `needle`, and nothing on stdout.
fn assert_one_error_line(out: &std::process::Output, code_wanted: i32, needle: &str, what: &str) {
    let err = stderr(out);
    assert_eq!(code(out), code_wanted, "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(
        err.contains(needle),
        "{what}: expected '{needle}' in: {err}"
    );
    assert!(stdout(out).is_empty(), "{what}: {}", stdout(out));
}

#[tokio::test]
async fn a_payload_that_never_ends_or_is_huge_is_refused_after_the_limit() {
    let world = World::new().await;
    let server = crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(202)).await;
    let cs = server.connection_string();
    // A 2.5 GB file that takes no room: only its first MiB and a byte are ever read.
    let sparse = world.dir.path().join("sparse.bin");
    std::fs::File::create(&sparse)
        .expect("create")
        .set_len(2_500_000_000)
        .expect("set_len");
    let sparse = sparse.to_str().expect("utf-8").to_string();
    for (args, from) in [
        (vec!["send-all", "--file", "/dev/zero"], "--file /dev/zero"),
        (
            vec!["api", "POST", "/api/hubs/chat/:send", "--file", "/dev/zero"],
            "--file /dev/zero",
        ),
        (vec!["send-all", "--file", &sparse], "--file "),
        (vec!["send-group", "--group", "g", "--file", "-"], "stdin"),
        (vec!["send-all"], "stdin"),
        (vec!["api", "POST", "/api/hubs/chat/:send"], "stdin"),
    ] {
        let mut c = wps_at(&world, &cs);
        c.args(&args)
            .stdin(std::fs::File::open("/dev/zero").expect("/dev/zero"));
        let out = run(c).await;
        assert_one_error_line(&out, 2, from, &format!("{args:?}"));
        assert!(
            stderr(&out).contains(
                "is larger than 1 MiB: the service accepts at most 1048576 bytes a message; nothing was sent"
            ),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(server.hits().is_empty(), "{:?}", server.hits());
}

/// Runs `cmd` with stdin fed from `generate` (called for each next chunk) until `wps` closes
/// the pipe, as `yes u | wps ...` does.
async fn run_with_endless_stdin(
    mut cmd: std::process::Command,
    generate: impl FnMut(u64) -> Vec<u8> + Send + 'static,
) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        use std::process::Stdio;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("wps runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let mut generate = generate;
        let writer = std::thread::spawn(move || {
            // Ends when wps closes its end (EPIPE): it stopped reading.
            for n in 0.. {
                if stdin.write_all(&generate(n)).is_err() {
                    return n;
                }
            }
            unreachable!()
        });
        let out = child.wait_with_output().expect("wps ends");
        writer.join().expect("writer");
        out
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn targets_from_an_endless_pipe_end_at_the_documented_count() {
    let world = World::new().await;
    let server = crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(202)).await;
    // `yes u`: the same target without end.
    let mut c = wps_at(&world, &server.connection_string());
    c.args(["send-user", "--from-file", "-", "--text", "x"]);
    let out = run_with_endless_stdin(c, |_| b"u\n".repeat(4096)).await;
    assert_one_error_line(
        &out,
        2,
        "--from-file -: more than 1,000,000 targets (at line 1000001), the most one run takes",
        "yes u",
    );
    // `seq 1 100000000`: distinct targets without end.
    let mut c = wps_at(&world, &server.connection_string());
    c.args(["send-user", "--from-file", "-", "--text", "x"]);
    let out = run_with_endless_stdin(c, |n| {
        (n * 1000..(n + 1) * 1000)
            .map(|i| format!("{}\n", i + 1))
            .collect::<String>()
            .into_bytes()
    })
    .await;
    assert_one_error_line(
        &out,
        2,
        "--from-file -: more than 1,000,000 targets (at line 1000001)",
        "seq",
    );
    // Long lines that never make a million: the input's byte bound ends it.
    let mut c = wps_at(&world, &server.connection_string());
    c.args(["send-user", "--from-file", "-", "--text", "x"]);
    let out = run_with_endless_stdin(c, |n| format!("{:04000}\n", n).into_bytes()).await;
    assert_one_error_line(&out, 2, "--from-file -: larger than 64 MiB", "long lines");
    assert!(
        server.hits().is_empty(),
        "nothing sent: {:?}",
        server.hits().len()
    );
}

#[tokio::test]
async fn a_certificate_file_that_never_ends_is_a_clear_error() {
    let world = World::new().await;
    let server = crate::faults::FaultServer::start(|_, _| crate::faults::Reply::status(202)).await;
    // An https endpoint: SSL_CERT_FILE is read for TLS only, before anything is sent.
    let https = server.connection_string().replace("http://", "https://");
    let mut c = wps_at(&world, &https);
    c.env("SSL_CERT_FILE", "/dev/zero")
        .args(["send-all", "--text", "hi"]);
    let out = run(c).await;
    assert_one_error_line(
        &out,
        2,
        "SSL_CERT_FILE /dev/zero is larger than 1 MiB, which no certificate bundle is",
        "send-all",
    );
    // The emulator's Entra issuer key, read with the same cap.
    let mut c = world.bare_wps();
    c.args(["emulator", "--port", "0", "--entra-issuer-key", "/dev/zero"]);
    let out = run(c).await;
    assert_one_error_line(
        &out,
        2,
        "--entra-issuer-key /dev/zero: larger than 1 MiB",
        "emulator",
    );
    assert!(server.hits().is_empty(), "{:?}", server.hits());
}

/// A WebSocket server that, on every connection, accepts the json subprotocol, says
/// `connected` as the service does, then writes `bad` as raw frame bytes and waits. Returns
/// its address and how many connections it accepted.
async fn protocol_breaking_server(
    bad: &'static [u8],
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures_util::SinkExt;
    use std::sync::atomic::Ordering;
    use tokio_tungstenite::tungstenite::Message;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, choose_json).await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let connected = serde_json::json!({
                    "type": "system", "event": "connected",
                    "connectionId": format!("c{n}"), "userId": null,
                });
                if ws
                    .send(Message::Text(connected.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
                // Past tungstenite: the bytes go on the wire as they are.
                if ws.get_mut().write_all(bad).await.is_err() {
                    return;
                }
                // Held open: only the client ends it.
                let mut sink = [0u8; 1024];
                while matches!(ws.get_mut().read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    (addr, accepted)
}

/// The handshake callback that picks the json subprotocol (the callback's error type is
/// tungstenite's, large, hence a function with an allow rather than a closure).
#[allow(clippy::result_large_err)]
fn choose_json(
    _: &tokio_tungstenite::tungstenite::handshake::server::Request,
    mut resp: tokio_tungstenite::tungstenite::handshake::server::Response,
) -> Result<
    tokio_tungstenite::tungstenite::handshake::server::Response,
    tokio_tungstenite::tungstenite::handshake::server::ErrorResponse,
> {
    resp.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "json.webpubsub.azure.v1".parse().expect("header"),
    );
    Ok(resp)
}

/// Runs `cmd`, failing the test (and killing it) if it has not ended within `bound`: a bound
/// on a failure only, never asserted as a duration.
async fn run_or_kill(cmd: std::process::Command, bound: Duration) -> std::process::Output {
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("wps runs");
    tokio::time::timeout(bound, child.wait_with_output())
        .await
        .expect("wps ended by itself")
        .expect("wps output")
}

async fn listen_gives_up_on_a_server_breaking_the_protocol(bad: &'static [u8], said: &str) {
    let world = World::new().await;
    let (addr, accepted) = protocol_breaking_server(bad).await;
    let mut c = wps_at(&world, &connection_string_for(addr));
    c.args(["listen"]);
    let out = run_or_kill(c, Duration::from_secs(120)).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "stderr: {err}");
    let connections = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        connections, 3,
        "connected {connections} times; stderr: {err}"
    );
    // Each protocol error is said as it happens; the last ends the run with one error line.
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    for (i, w) in warnings.iter().enumerate() {
        assert!(
            w.contains("the server broke the WebSocket protocol")
                && w.contains(said)
                && w.contains(&format!("reconnecting ({} of 3 in a row", i + 1)),
            "{err}"
        );
    }
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("the server broke the WebSocket protocol")
            && errors[0].contains(said)
            && errors[0].contains("(3 times in a row; gave up)"),
        "{err}"
    );
    let connected = stdout(&out)
        .lines()
        .filter(|l| l.contains("\"connected\""))
        .count();
    assert_eq!(connected, 3, "{}", stdout(&out));
}

#[tokio::test]
async fn listen_gives_up_on_invalid_utf8_text_frames_with_exit_6() {
    // A text frame of 2 bytes that are not UTF-8.
    listen_gives_up_on_a_server_breaking_the_protocol(&[0x81, 0x02, 0xc3, 0x28], "UTF-8").await;
}

#[tokio::test]
async fn listen_gives_up_on_a_frame_header_of_2_pow_40_bytes_with_exit_6() {
    // A binary frame announcing 2^40 bytes (the 64-bit length form).
    listen_gives_up_on_a_server_breaking_the_protocol(
        &[0x82, 0x7f, 0, 0, 0x01, 0, 0, 0, 0, 0],
        "too long",
    )
    .await;
}
