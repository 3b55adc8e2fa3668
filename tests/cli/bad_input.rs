//! Bad input and hostile answers: each gives its exact exit code and one clear `error:` line,
//! never a panic and never a secret.

use std::process::{Command, Output};

use crate::common::*;
use crate::faults::{wps_at, FaultServer, Reply, FAULT_KEY};

const KEY: &str = wps::emulator::DEFAULT_ACCESS_KEY;

/// Exit code `want`, stderr exactly one line starting `error:` that contains `needle` (and
/// perhaps a `hint:` line under it).
fn assert_one_error(out: &Output, want: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), want, "stderr: {err}");
    let said = err.lines().filter(|l| !l.starts_with("hint: ")).count();
    assert_eq!(said, 1, "one line expected: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked") && !stdout(out).contains("panicked"));
    assert!(!err.contains(KEY) && !err.contains(FAULT_KEY) && !err.contains("eyJ"));
    assert_eq!(stdout(out), "", "nothing on stdout");
}

/// clap's own errors add usage lines; still exactly one `error:` line.
fn assert_usage_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 2, "stderr: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"));
}

async fn with_cs(world: &World, cs: &str, args: &[&str]) -> Output {
    run({
        let mut c = world.bare_wps();
        c.args(["send-all", "--hub", "chat", "--text", "hi"])
            .args(args)
            .args(["--connection-string", cs]);
        c
    })
    .await
}

async fn wps(world: &World, args: &[&str]) -> Output {
    run({
        let mut c = world.wps();
        c.args(args);
        c
    })
    .await
}

#[tokio::test]
async fn connection_string_without_endpoint() {
    let world = World::new().await;
    let out = with_cs(&world, &format!("AccessKey={KEY};Version=1.0;"), &[]).await;
    assert_one_error(&out, 3, "missing 'Endpoint'");
}

#[tokio::test]
async fn connection_string_without_access_key() {
    let world = World::new().await;
    let out = with_cs(&world, "Endpoint=http://127.0.0.1;Port=1;Version=1.0;", &[]).await;
    assert_one_error(&out, 3, "missing 'AccessKey'");
}

#[tokio::test]
async fn connection_string_with_bad_url() {
    let world = World::new().await;
    let out = with_cs(&world, &format!("Endpoint=http://;AccessKey={KEY}"), &[]).await;
    assert_one_error(&out, 3, "invalid Endpoint");
    let out = with_cs(&world, &format!("Endpoint=ftp://a;AccessKey={KEY}"), &[]).await;
    assert_one_error(&out, 3, "http:// or https://");
}

#[tokio::test]
async fn connection_string_with_bad_port() {
    let world = World::new().await;
    for port in ["abc", "0", "65536", "-1"] {
        let cs = format!("Endpoint=http://127.0.0.1;Port={port};AccessKey={KEY}");
        let out = with_cs(&world, &cs, &[]).await;
        assert_one_error(&out, 3, "invalid Port");
    }
}

#[tokio::test]
async fn connection_string_empty() {
    let world = World::new().await;
    let out = with_cs(&world, "", &[]).await;
    assert_one_error(&out, 3, "connection string is empty");
}

#[tokio::test]
async fn connection_string_garbage() {
    let world = World::new().await;
    let out = with_cs(&world, "certainly not a connection string", &[]).await;
    assert_one_error(&out, 3, "malformed segment");
}

#[tokio::test]
async fn connection_string_key_with_padding_works() {
    // The key's trailing `=` must survive parsing: the emulator checks the signature.
    let padded = format!("{}=", &KEY[..43]);
    let emulator = wps::emulator::start(wps::emulator::EmulatorConfig {
        port: 0,
        access_key: padded.clone(),
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let world = World::new().await;
    let cs = format!(
        "Endpoint=http://{};Port={};AccessKey={padded};Version=1.0;",
        emulator.addr().ip(),
        emulator.addr().port()
    );
    let out = with_cs(&world, &cs, &[]).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    // Without the padding the signature is wrong: proof the `=` was used.
    let out = with_cs(&world, &cs.replace(&padded, &KEY[..43]), &[]).await;
    assert_one_error(&out, 4, "401");
}

#[tokio::test]
async fn hub_name_empty() {
    let world = World::new().await;
    let out = wps(&world, &["send-all", "--hub", "", "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid hub name");
}

#[tokio::test]
async fn hub_name_too_long() {
    let world = World::new().await;
    let long = format!("h{}", "a".repeat(128));
    let out = wps(&world, &["send-all", "--hub", &long, "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid hub name");
}

#[tokio::test]
async fn hub_name_bad_characters() {
    let world = World::new().await;
    for hub in ["bad-hub", "1chat", "chat room", "chat/x"] {
        let out = wps(&world, &["send-all", "--hub", hub, "--text", "hi"]).await;
        assert_one_error(&out, 2, "invalid hub name");
    }
}

#[tokio::test]
async fn group_name_empty() {
    let world = World::new().await;
    let out = wps(&world, &["send-group", "--group", "", "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid group name");
}

#[tokio::test]
async fn group_name_only_whitespace() {
    let world = World::new().await;
    let out = wps(&world, &["send-group", "--group", "   ", "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid group name");
}

#[tokio::test]
async fn group_name_too_long() {
    let world = World::new().await;
    let long = "g".repeat(1025);
    let out = wps(&world, &["send-group", "--group", &long, "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid group name");
}

#[tokio::test]
async fn user_id_empty() {
    let world = World::new().await;
    let out = wps(&world, &["send-user", "--user", "", "--text", "hi"]).await;
    assert_one_error(&out, 2, "invalid user id");
}

#[tokio::test]
async fn connection_id_empty() {
    let world = World::new().await;
    let out = wps(
        &world,
        &["send-connection", "--connection", "", "--text", "hi"],
    )
    .await;
    assert_one_error(&out, 2, "invalid connection id");
}

#[tokio::test]
async fn one_bad_target_in_a_file_stops_the_run_before_sending() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(202)).await;
    let list = world.dir.path().join("groups.txt");
    std::fs::write(&list, format!("g1\n{}\ng3\n", "g".repeat(1025))).expect("write");
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-group", "--text", "hi", "--from-file"])
            .arg(&list);
        c
    })
    .await;
    assert_one_error(&out, 2, "invalid group name");
    assert!(server.hits().is_empty());
}

#[tokio::test]
async fn invalid_json_payload() {
    let world = World::new().await;
    let out = wps(&world, &["send-all", "--json", "{\"a\":"]).await;
    assert_one_error(&out, 2, "invalid JSON payload");
}

#[tokio::test]
async fn missing_file() {
    let world = World::new().await;
    let path = world.dir.path().join("no-such-file.bin");
    let out = run({
        let mut c = world.wps();
        c.args(["send-all", "--file"]).arg(&path);
        c
    })
    .await;
    assert_one_error(&out, 2, "could not read --file");
}

#[tokio::test]
async fn directory_as_file() {
    let world = World::new().await;
    let out = run({
        let mut c = world.wps();
        c.args(["send-all", "--file"]).arg(world.dir.path());
        c
    })
    .await;
    assert_one_error(&out, 2, "is a directory");
}

#[tokio::test]
async fn missing_from_file() {
    let world = World::new().await;
    let path = world.dir.path().join("no-targets.txt");
    let out = run({
        let mut c = world.wps();
        c.args(["send-user", "--text", "hi", "--from-file"])
            .arg(&path);
        c
    })
    .await;
    assert_one_error(&out, 2, "could not read --from-file");
}

#[tokio::test]
async fn oversized_payload() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(202)).await;
    let path = world.dir.path().join("big.bin");
    std::fs::write(&path, vec![b'x'; 1024 * 1024 + 1]).expect("write");
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--file"]).arg(&path);
        c
    })
    .await;
    assert_one_error(&out, 2, "at most 1048576 bytes");
    let out = run_with_stdin(
        {
            let mut c = wps_at(&world, &server.connection_string());
            c.args(["send-all"]);
            c
        },
        vec![0u8; 2 * 1024 * 1024],
    )
    .await;
    assert_one_error(&out, 2, "at most 1048576 bytes");
    assert!(server.hits().is_empty(), "refused before sending");
}

#[tokio::test]
async fn ttl_out_of_range() {
    let world = World::new().await;
    let out = wps(&world, &["send-all", "--text", "hi", "--ttl", "301"]).await;
    assert_usage_error(&out, "301 is not in 0..=300");
    let out = wps(&world, &["send-all", "--text", "hi", "--ttl=-1"]).await;
    assert_usage_error(&out, "--ttl");
}

#[tokio::test]
async fn concurrency_out_of_range() {
    let world = World::new().await;
    let out = wps(
        &world,
        &["send-user", "-u", "a", "--text", "hi", "--concurrency", "0"],
    )
    .await;
    assert_usage_error(&out, "--concurrency");
}

#[tokio::test]
async fn connection_refused() {
    let world = World::new().await;
    // Bind then drop: the port is free and nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let cs = format!("Endpoint=http://127.0.0.1;Port={port};AccessKey={KEY}");
    // Not retried (3 retries allowed): on this machine a refusal fails at once, as in curl.
    let out = with_cs(&world, &cs, &["--retries", "3"]).await;
    assert_one_error(&out, 6, "could not connect to http://127.0.0.1");
    assert!(!stderr(&out).contains("attempts"), "{}", stderr(&out));
    assert!(stderr(&out).contains("hint: nothing is listening there"));
    let out = with_cs(&world, &cs, &["--retries", "3", "-v"]).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert_eq!(err.matches("POST http://127.0.0.1").count(), 1, "{err}");
    assert!(!err.contains("retrying"), "{err}");
}

#[tokio::test]
async fn dns_failure_of_an_invalid_host() {
    let world = World::new().await;
    let cs = format!("Endpoint=http://wps-test.invalid;AccessKey={KEY}");
    let out = with_cs(&world, &cs, &["--timeout", "5"]).await;
    assert_one_error(&out, 6, "could not connect to http://wps-test.invalid");
}

#[tokio::test]
async fn tls_to_a_plain_http_port() {
    let world = World::new().await;
    let addr = world.emulator.addr();
    let cs = format!(
        "Endpoint=https://{};Port={};AccessKey={KEY}",
        addr.ip(),
        addr.port()
    );
    let out = with_cs(&world, &cs, &["--timeout", "5"]).await;
    assert_one_error(&out, 6, "could not connect to https://127.0.0.1");
}

/// The server answers `status` with and without an error body.
async fn server_answers(status: u16, want: i32, reason: &str) {
    let world = World::new().await;
    let server = FaultServer::start(move |_, n| {
        if n % 2 == 0 {
            Reply::with_body(
                status,
                r#"{"code":"TestCode","message":"the test server says no"}"#,
            )
        } else {
            Reply::status(status)
        }
    })
    .await;
    let cs = server.connection_string();
    let send = |c: &mut Command| {
        c.args([
            "send-group",
            "--group",
            "g1",
            "--text",
            "hi",
            "--retries",
            "0",
        ]);
    };
    let out = run({
        let mut c = wps_at(&world, &cs);
        send(&mut c);
        c
    })
    .await;
    assert_one_error(
        &out,
        want,
        &format!("the service answered {status} {reason}: (TestCode) the test server says no"),
    );
    let out = run({
        let mut c = wps_at(&world, &cs);
        send(&mut c);
        c
    })
    .await;
    assert_one_error(
        &out,
        want,
        &format!("the service answered {status} {reason}"),
    );
    assert!(!stderr(&out).contains("TestCode"));
    assert_eq!(server.hits().len(), 2);
}

#[tokio::test]
async fn server_answers_400() {
    server_answers(400, 5, "Bad Request").await;
}

#[tokio::test]
async fn server_answers_401() {
    server_answers(401, 4, "Unauthorized").await;
}

#[tokio::test]
async fn server_answers_403() {
    server_answers(403, 4, "Forbidden").await;
}

#[tokio::test]
async fn server_answers_404() {
    server_answers(404, 5, "Not Found").await;
}

#[tokio::test]
async fn server_answers_409() {
    server_answers(409, 5, "Conflict").await;
}

#[tokio::test]
async fn server_answers_413() {
    server_answers(413, 5, "Payload Too Large").await;
}

#[tokio::test]
async fn server_answers_429() {
    server_answers(429, 6, "Too Many Requests").await;
}

#[tokio::test]
async fn server_answers_500() {
    server_answers(500, 6, "Internal Server Error").await;
}

#[tokio::test]
async fn server_answers_503() {
    server_answers(503, 6, "Service Unavailable").await;
}

#[tokio::test]
async fn plain_text_error_bodies_are_shown_on_one_line() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::Status {
        status: 502,
        headers: vec![("content-type", "text/html".into())],
        body: "<html>bad gateway</html>\nsecond line\n".into(),
    })
    .await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hi", "--retries", "0"]);
        c
    })
    .await;
    assert_one_error(&out, 6, "502 Bad Gateway: <html>bad gateway</html>");
}

#[tokio::test]
async fn profile_env_reference_unset() {
    let world = World::new().await;
    std::fs::write(
        world.config_path(),
        "default_profile = \"ci\"\n[profiles.ci]\nconnection_string_env = \"WPS_TEST_UNSET_CS\"\nhub = \"chat\"\n",
    )
    .expect("write config");
    let out = run({
        let mut c = world.bare_wps();
        c.args(["send-all", "--text", "hi"]);
        c
    })
    .await;
    assert_one_error(&out, 3, "WPS_TEST_UNSET_CS");
    assert!(stderr(&out).contains("not set"), "{}", stderr(&out));
}
