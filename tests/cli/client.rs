//! `wps client`: what it sends arrives at other clients, what they send is printed, acks decide
//! the exit status, a reliable connection resumes, `event` gets the handler's reply, and the
//! prompt on a pseudo-terminal.

use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use wps::emulator::{EmulatorConfig, EventHandlerConfig};

use crate::common::*;

/// Roles to join any group and send to any group.
const MEMBER: [&str; 4] = [
    "--role",
    "webpubsub.joinLeaveGroup",
    "--role",
    "webpubsub.sendToGroup",
];

fn client(world: &World, args: &[&str]) -> Command {
    let mut c = world.wps();
    c.arg("client").args(args);
    c
}

/// Each stdout line as JSON.
fn frames(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn acks(frames: &[Value]) -> Vec<&Value> {
    frames.iter().filter(|f| f["type"] == "ack").collect()
}

/// A `wps client` still running: stdin open, stdout lines collected as they come.
struct Running {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<Value>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("wps client starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel(1024);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stdout frame (from now on) that `pred` accepts; fails after `PATIENCE`.
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}; seen {:?}", self.seen))
                .unwrap_or_else(|| panic!("stdout ended before {what}; seen {:?}", self.seen));
            let v: Value = serde_json::from_str(&line).expect("a JSON line");
            self.seen.push(v.clone());
            if pred(&v) {
                return v;
            }
        }
    }

    fn write_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Ends stdin and waits for the exit; returns the exit code, every stdout frame and
    /// stderr.
    async fn finish(mut self) -> (i32, Vec<Value>, String) {
        drop(self.stdin.take());
        self.exit().await
    }

    /// Waits for the exit with stdin still open.
    async fn exit(mut self) -> (i32, Vec<Value>, String) {
        let stdin = self.stdin.take();
        let child = self.child;
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("ends"))
            .await
            .expect("join");
        drop(stdin);
        while let Some(line) = self.lines.recv().await {
            self.seen
                .push(serde_json::from_str(&line).expect("a JSON line"));
        }
        (code(&out), self.seen, stderr(&out))
    }
}

#[tokio::test]
async fn what_the_client_sends_arrives_at_another_client() {
    let world = World::new().await;
    let (mut bob, _) = world.connect_json("chat", Some("bob"), &[], &["g1"]).await;
    let mut cmd = client(&world, &["--user", "alice"]);
    cmd.args(MEMBER);
    let input = "join g1\nsend g1 hello there\nsend-json g1 {\"n\": 1}\n# a comment\n\nleave g1\n";
    let out = run_with_stdin(cmd, input.into()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));

    assert_eq!(
        next_json(&mut bob).await,
        json!({"type": "message", "from": "group", "group": "g1", "fromUserId": "alice",
            "dataType": "text", "data": "hello there"})
    );
    assert_eq!(
        next_json(&mut bob).await,
        json!({"type": "message", "from": "group", "group": "g1", "fromUserId": "alice",
            "dataType": "json", "data": {"n": 1}})
    );

    let frames = frames(&out);
    assert_eq!(frames[0]["event"], "connected", "{frames:?}");
    assert_eq!(frames[0]["userId"], "alice");
    let acks = acks(&frames);
    assert_eq!(
        acks.iter().map(|a| a["ackId"].as_u64()).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3), Some(4)]
    );
    assert!(acks.iter().all(|a| a["success"] == true), "{acks:?}");
    // In g1 while it sent, it got its own messages too.
    assert!(frames.iter().any(|f| f["data"] == "hello there"));
    // It closed cleanly: the connection is gone at once, not kept for a recovery.
    assert!(stderr(&out).contains("connected to hub 'chat'"));
    let cs = wps::client::ConnectionString::parse(&world.connection_string()).expect("cs");
    let rest = wps::client::Client::new(cs, Default::default()).expect("client");
    let id = frames[0]["connectionId"].as_str().expect("connectionId");
    assert!(!rest.connection_exists("chat", id).await.expect("exists"));
}

#[tokio::test]
async fn a_protobuf_client_sends_the_same_commands_as_protobuf_requests() {
    let world = World::new().await;
    let (mut bob, _) = world.connect_json("chat", Some("bob"), &[], &["g1"]).await;
    let mut cmd = client(&world, &["--user", "alice", "--subprotocol", "protobuf"]);
    cmd.args(MEMBER);
    let input = "join g1\nsend g1 hello in protobuf\nsend-json g1 {\"n\": 2}\n";
    let out = run_with_stdin(cmd, input.into()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("(protobuf.webpubsub.azure.v1)"),
        "{}",
        stderr(&out)
    );

    // The JSON listener gets them as any client's sends.
    assert_eq!(
        next_json(&mut bob).await,
        json!({"type": "message", "from": "group", "group": "g1", "fromUserId": "alice",
            "dataType": "text", "data": "hello in protobuf"})
    );
    assert_eq!(
        next_json(&mut bob).await,
        json!({"type": "message", "from": "group", "group": "g1", "fromUserId": "alice",
            "dataType": "json", "data": {"n": 2}})
    );

    // Protobuf frames are printed in the JSON protocol's shapes.
    let frames = frames(&out);
    assert_eq!(frames[0]["event"], "connected", "{frames:?}");
    assert_eq!(frames[0]["userId"], "alice");
    let acks = acks(&frames);
    assert_eq!(
        acks.iter().map(|a| a["ackId"].as_u64()).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );
    assert!(acks.iter().all(|a| a["success"] == true), "{acks:?}");
    assert!(frames.iter().any(|f| f["data"] == "hello in protobuf"));
}

#[tokio::test]
async fn what_others_send_is_printed_while_it_runs() {
    let world = World::new().await;
    let mut running = Running::start(client(&world, &["--group", "g1", "--user", "carol"]));
    let connected = running
        .wait_for("connected", |v| v["event"] == "connected")
        .await;
    let id = connected["connectionId"].as_str().expect("id").to_string();

    // Another client's group message, and REST sends to the connection.
    let (mut bob, _) = world
        .connect_json("chat", Some("bob"), &["webpubsub.sendToGroup"], &[])
        .await;
    send_json(
        &mut bob,
        json!({"type": "sendToGroup", "group": "g1", "dataType": "text", "data": "from bob"}),
    )
    .await;
    assert_eq!(
        running
            .wait_for("bob's message", |v| v["type"] == "message")
            .await,
        json!({"type": "message", "from": "group", "group": "g1", "fromUserId": "bob",
            "dataType": "text", "data": "from bob"})
    );
    let mut send = world.wps();
    send.args([
        "send-connection",
        "--connection",
        &id,
        "--json",
        r#"{"k":[1,2]}"#,
    ]);
    assert_eq!(code(&run(send).await), 0);
    assert_eq!(
        running
            .wait_for("the REST message", |v| v["type"] == "message")
            .await,
        json!({"type": "message", "from": "server", "dataType": "json", "data": {"k": [1, 2]}})
    );
    let mut send = world.wps();
    send.args(["send-user", "--user", "carol"]);
    assert_eq!(
        code(&run_with_stdin(send, vec![0, 1, 255]).await),
        0,
        "binary"
    );
    assert_eq!(
        running
            .wait_for("the binary message", |v| v["type"] == "message")
            .await,
        json!({"type": "message", "from": "server", "dataType": "binary", "data": "AAH/"})
    );

    let (code, _, err) = running.finish().await;
    assert_eq!(code, 0, "stderr: {err}");
}

#[tokio::test]
async fn refused_requests_print_their_failed_ack_and_exit_5() {
    let world = World::new().await;
    // No role: joining and sending are refused; the connection stays up for the rest.
    let out = run_with_stdin(client(&world, &[]), b"join g1\nsend g1 hi\n".to_vec()).await;
    assert_eq!(code(&out), 5, "stderr: {}", stderr(&out));
    let got = frames(&out);
    let refused = acks(&got);
    assert_eq!(refused.len(), 2, "{got:?}");
    for ack in refused {
        assert_eq!(ack["success"], false);
        assert_eq!(ack["error"]["name"], "Forbidden", "{ack}");
    }
    assert!(
        stderr(&out).contains("the service refused 2 request(s)"),
        "{}",
        stderr(&out)
    );

    // With the role only for g1: g1 works, g2 is refused.
    let out = run_with_stdin(
        client(&world, &["--role", "webpubsub.joinLeaveGroup.g1"]),
        b"join g1\njoin g2\n".to_vec(),
    )
    .await;
    assert_eq!(code(&out), 5, "stderr: {}", stderr(&out));
    let frames = frames(&out);
    let acks = acks(&frames);
    assert_eq!(
        (acks[0]["ackId"].as_u64(), &acks[0]["success"]),
        (Some(1), &json!(true))
    );
    assert_eq!(
        (acks[1]["ackId"].as_u64(), &acks[1]["success"]),
        (Some(2), &json!(false))
    );
}

#[tokio::test]
async fn lines_that_are_not_commands_are_skipped_and_exit_2() {
    let world = World::new().await;
    let long = format!("send g1 {}\n", "x".repeat(1024 * 1024 + 10));
    let input = format!("jion g1\nsend-json g1 {{bad\n{long}join g1\n");
    let mut cmd = client(&world, &[]);
    cmd.args(MEMBER);
    let out = run_with_stdin(cmd, input.into_bytes()).await;
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("line 1: unknown command 'jion'"), "{err}");
    assert!(err.contains("line 2: invalid JSON"), "{err}");
    assert!(
        err.contains("line 3: the line is longer than 1 MiB"),
        "{err}"
    );
    // The good line after them was sent, with the first ackId.
    let frames = frames(&out);
    let acks = acks(&frames);
    assert_eq!(acks.len(), 1, "{frames:?}");
    assert_eq!(
        (acks[0]["ackId"].as_u64(), &acks[0]["success"]),
        (Some(1), &json!(true))
    );
}

#[tokio::test]
async fn a_protocol_frame_is_sent_as_typed_and_its_ack_awaited() {
    let world = World::new().await;
    let (mut bob, _) = world.connect_json("chat", None, &[], &["g1"]).await;
    let mut cmd = client(&world, &[]);
    cmd.args(MEMBER);
    let input = concat!(
        r#"{"type":"sendToGroup","group":"g1","dataType":"text","data":"typed","noEcho":true,"ackId":7}"#,
        "\njoin g2\n"
    );
    let out = run_with_stdin(cmd, input.into()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_json(&mut bob).await["data"], "typed");
    let frames = frames(&out);
    let ids: Vec<_> = acks(&frames).iter().map(|a| a["ackId"].as_u64()).collect();
    // Commands number after a typed ackId.
    assert_eq!(ids, [Some(7), Some(8)]);
}

#[tokio::test]
async fn an_ack_that_never_comes_times_out_with_exit_6() {
    let world = World::new().await;
    // A sequenceAck is never acked; an ackId on it is waited for all the same.
    let out = run_with_stdin(
        // --timeout is per connection attempt: the ack wait is --ack-wait's.
        client(&world, &["--timeout", "30", "--ack-wait", "0.5"]),
        br#"{"type":"sequenceAck","sequenceId":1,"ackId":3}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("no ack within 0.5 s for 1 request(s): ackId 3 (sequenceAck)"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_refused_connection_fails_before_reading_input() {
    let world = World::new().await;
    let url = format!(
        "ws://{}/client/hubs/chat?access_token=not-a-token",
        world.emulator.addr()
    );
    let out = run_with_stdin(client(&world, &["--url", &url]), b"join g1\n".to_vec()).await;
    assert_eq!(code(&out), 4, "stderr: {}", stderr(&out));
    assert!(!stderr(&out).contains("not-a-token"), "{}", stderr(&out));

    // Nothing listening: the connection failed.
    let out = run_with_stdin(
        client(&world, &["--url", "ws://127.0.0.1:1/client/hubs/chat"]),
        b"join g1\n".to_vec(),
    )
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
}

#[tokio::test]
async fn a_url_from_anywhere_needs_no_profile() {
    let world = World::new().await;
    let token = world.client_token("chat", Some("dave"), &["webpubsub.joinLeaveGroup"], &[]);
    let url = format!(
        "http://{}/client/hubs/chat?access_token={token}",
        world.emulator.addr()
    );
    let mut cmd = world.bare_wps();
    cmd.args(["client", "--url", &url]);
    let out = run_with_stdin(cmd, b"join g1\n".to_vec()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let frames = frames(&out);
    assert_eq!(frames[0]["userId"], "dave");
    assert_eq!(acks(&frames)[0]["success"], true);
}

#[tokio::test]
async fn the_service_closing_the_connection_before_the_end_of_input_exits_6() {
    let world = World::new().await;
    let mut running = Running::start(client(&world, &[]));
    let connected = running
        .wait_for("connected", |v| v["event"] == "connected")
        .await;
    let id = connected["connectionId"].as_str().expect("id").to_string();
    let mut close = world.wps();
    close.args(["close", "--connection", &id, "--reason", "bye"]);
    assert_eq!(code(&run(close).await), 0);
    // stdin stays open: the connection ended first.
    let (code, frames, err) = running.exit().await;
    assert_eq!(code, 6, "stderr: {err}");
    assert!(frames.contains(&json!({"type": "system", "event": "disconnected", "message": "bye"})));
    assert!(frames.contains(&json!({"type": "closed", "code": 1000, "reason": "bye"})));
    assert!(err.contains("closed the connection (1000: bye)"), "{err}");
}

#[tokio::test]
async fn a_reliable_client_resumes_after_a_dropped_transport_without_loss() {
    let world = World::new().await;
    let proxy = CuttingProxy::start(world.emulator.addr()).await;
    let via_proxy = world.connection_string().replace(
        &format!("Port={}", world.emulator.addr().port()),
        &format!("Port={}", proxy.port),
    );
    let mut cmd = client(
        &world,
        &[
            "--subprotocol",
            "json.reliable",
            "--group",
            "g1",
            "--role",
            "webpubsub.sendToGroup",
        ],
    );
    cmd.env("WPS_CONNECTION_STRING", via_proxy);
    let mut running = Running::start(cmd);
    let connected = running
        .wait_for("connected", |v| v["event"] == "connected")
        .await;
    assert!(
        connected.get("reconnectionToken").is_none(),
        "the token stays inside: {connected}"
    );
    let send = |text: &'static str| {
        let mut c = world.wps();
        c.args(["send-group", "--group", "g1", "--text", text]);
        run(c)
    };
    assert_eq!(code(&send("m1").await), 0);
    running.wait_for("m1", |v| v["data"] == "m1").await;
    // Away for certain: its transport cut, and no new one let through until after m4.
    proxy.hold_new(true);
    proxy.cut_all();
    // Sent while the client is away: the service keeps them for the recovery.
    assert_eq!(code(&send("m2").await), 0);
    assert_eq!(code(&send("m3").await), 0);
    // A request typed around the drop is not lost either.
    running.write_line("send g1 m4");
    proxy.hold_new(false);
    running.wait_for("m4", |v| v["data"] == "m4").await;
    let (code, frames, err) = running.finish().await;
    assert_eq!(code, 0, "stderr: {err}");
    let texts: Vec<&str> = frames
        .iter()
        .filter(|f| f["type"] == "message")
        .filter_map(|f| f["data"].as_str())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3", "m4"], "{frames:?}");
    assert!(frames.iter().all(|f| f.get("sequenceId").is_none()));
    // The same connection throughout: one `connected`, and the resume said so.
    assert_eq!(
        frames.iter().filter(|f| f["event"] == "connected").count(),
        1,
        "{frames:?}"
    );
    assert!(err.contains("the connection resumed"), "{err}");
    let acks = acks(&frames);
    assert!(
        !acks.is_empty()
            && acks
                .iter()
                .all(|a| a["success"] == true || a["error"]["name"] == "Duplicate"),
        "{acks:?}"
    );
}

/// An event handler answering user events: `greet` with text, `order` with JSON, and a raw
/// client's `message` by echoing it. It accepts any origin, as the validation asks.
async fn start_event_handler() -> SocketAddr {
    async fn handle(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        if method == Method::OPTIONS {
            return (StatusCode::OK, [("WebHook-Allowed-Origin", "*")]).into_response();
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let event = uri.path().trim_start_matches("/hook/");
        let user_event = headers
            .get("ce-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("azure.webpubsub.user."));
        match event {
            "greet" if user_event => {
                ([("content-type", "text/plain")], format!("hello, {body}")).into_response()
            }
            "order" if user_event => {
                let order: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let reply = json!({"received": order}).to_string();
                ([("content-type", "application/json")], reply).into_response()
            }
            "message" if user_event => {
                ([("content-type", "text/plain")], format!("echo: {body}")).into_response()
            }
            _ => StatusCode::OK.into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new().fallback(handle)).await;
    });
    addr
}

#[tokio::test]
async fn an_event_prints_the_handlers_reply() {
    let handler = start_event_handler().await;
    let world = World::with_config(EmulatorConfig {
        event_handlers: EventHandlerConfig {
            flags: vec![format!("chat=http://{handler}/hook/{{event}}")],
            ..EventHandlerConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    // No role is needed for events.
    let input = "event greet alice\nevent-json order {\"id\": 7}\n";
    let out = run_with_stdin(client(&world, &["--ack-wait", "20"]), input.into()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let frames = frames(&out);
    assert!(
        frames.contains(
            &json!({"type": "message", "from": "server", "dataType": "text",
            "data": "hello, alice"})
        ),
        "{frames:?}"
    );
    assert!(
        frames.contains(
            &json!({"type": "message", "from": "server", "dataType": "json",
            "data": {"received": {"id": 7}}})
        ),
        "{frames:?}"
    );
    assert_eq!(acks(&frames).len(), 2);

    // A plain WebSocket: each line is one text frame, a `message` event for the handler.
    let mut running = Running::start(client(&world, &["--subprotocol", "raw"]));
    running.write_line("join g1 is not a command here");
    assert_eq!(
        running
            .wait_for("the handler's reply", |v| v["type"] == "message")
            .await,
        json!({"type": "message", "dataType": "text", "data": "echo: join g1 is not a command here"})
    );
    let (code, _, err) = running.finish().await;
    assert_eq!(code, 0, "stderr: {err}");
}

/// `wps client` on a pseudo-terminal (util-linux `script`): what is typed goes out, what
/// arrives is printed above the prompt, and the terminal reads back as it was typed.
struct Terminal {
    child: std::process::Child,
    keys: std::process::ChildStdin,
    screen: mpsc::UnboundedReceiver<Vec<u8>>,
    seen: String,
}

impl Terminal {
    fn start(world: &World, args: &str) -> Terminal {
        let line = format!(
            "stty cols 200 rows 50; exec {} client {args}",
            env!("CARGO_BIN_EXE_wps")
        );
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in world.wps().get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        let mut child = cmd.spawn().expect("script runs");
        let keys = child.stdin.take().expect("stdin");
        let mut terminal = child.stdout.take().expect("stdout");
        let (tx, screen) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = terminal.read(&mut chunk) {
                if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            keys,
            screen,
            seen: String::new(),
        }
    }

    /// Waits until the output so far contains `text` (after what an earlier call matched);
    /// fails after `PATIENCE`.
    async fn expect(&mut self, text: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(at) = self.seen.find(text) {
                self.seen.drain(..at + text.len());
                return;
            }
            match tokio::time::timeout_at(deadline, self.screen.recv()).await {
                Ok(Some(bytes)) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                _ => panic!(
                    "the terminal never showed {text:?}; it shows {:?}",
                    self.seen
                ),
            }
        }
    }

    fn type_keys(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).expect("type");
        self.keys.flush().expect("flush");
    }

    async fn exit_code(self) -> i32 {
        let Terminal { mut child, .. } = self;
        let status = tokio::task::spawn_blocking(move || child.wait().expect("script ends"))
            .await
            .expect("join");
        status.code().expect("exit code")
    }
}

#[cfg(unix)]
#[tokio::test]
async fn on_a_terminal_it_prompts_completes_and_prints_above_the_prompt() {
    let world = World::new().await;
    let mut term = Terminal::start(
        &world,
        "--role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup",
    );
    term.expect("type `help`").await;
    term.expect("chat> ").await;
    // Tab completes the command: only "jo" and "g1" are typed.
    term.type_keys("jo\tg1\r");
    term.expect("[ack 1] join g1: ok").await;
    term.expect("chat> ").await;

    // Half a line typed when a message arrives: the message goes above, the line stays.
    term.type_keys("send g1 half");
    term.expect("send g1 half").await;
    let mut send = world.wps();
    send.args(["send-group", "--group", "g1", "--text", "from rest"]);
    assert_eq!(code(&run(send).await), 0);
    term.expect("[group g1] (text) from rest").await;
    term.expect("chat> send g1 half").await;
    term.type_keys(" done\r");
    term.expect("[ack 2] send g1: ok").await;

    term.type_keys("help\r");
    term.expect("send-json GROUP JSON").await;
    term.type_keys("nonsense\r");
    term.expect("error: unknown command 'nonsense' (type `help`)")
        .await;

    // Ctrl-D ends: every ack came, so exit 0 (a typo at the prompt does not count).
    term.type_keys("\u{4}");
    assert_eq!(term.exit_code().await, 0);
}
