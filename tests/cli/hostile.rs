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
