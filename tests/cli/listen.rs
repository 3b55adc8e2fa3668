use std::process::Stdio;
use std::time::Duration;

use crate::common::*;

/// Starts `wps listen` with `args` (which must join g1), waits until it has joined, and
/// returns the child.
async fn start_listen(world: &World, args: &[&str]) -> std::process::Child {
    start_listen_via(world, world.wps(), args).await
}

/// Like `start_listen`, with a prepared command (e.g. pointed at a proxy).
async fn start_listen_via(
    world: &World,
    mut cmd: std::process::Command,
    args: &[&str],
) -> std::process::Child {
    cmd.arg("listen")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("listen starts");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if world_has_connection(world).await {
            return child;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("listen never connected");
}

async fn world_has_connection(world: &World) -> bool {
    let cs = wps::client::ConnectionString::parse(&world.connection_string()).expect("cs");
    let client = wps::client::Client::new(cs, Default::default()).expect("client");
    let req = wps::client::Request {
        method: reqwest::Method::HEAD,
        path: "/api/hubs/chat/groups/g1".into(),
        query: vec![("api-version".into(), "2024-12-01".into())],
        body: None,
        accept: "*/*",
        headers: Vec::new(),
        expect: &[],
    };
    client
        .execute(&req)
        .await
        .map(|r| r.status == 200)
        .unwrap_or(false)
}

async fn finish(child: std::process::Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("listen ends"))
        .await
        .expect("join")
}

fn send(world: &World, args: &[&str]) -> std::process::Command {
    let mut c = world.wps();
    c.args(args);
    c
}

#[tokio::test]
async fn listen_prints_each_data_type_and_group_messages_then_exits_at_count() {
    prints_each_data_type(
        &[],
        r#"{"type":"message","from":"group","group":"g1","fromUserId":null,"dataType":"json","data":{"a":1}}"#,
    )
    .await;
}

#[tokio::test]
async fn protobuf_listen_prints_the_same_lines_without_a_sender() {
    // The protobuf protocols have no field for the sender's user id.
    prints_each_data_type(
        &["--subprotocol", "protobuf.webpubsub.azure.v1"],
        r#"{"type":"message","from":"group","group":"g1","dataType":"json","data":{"a":1}}"#,
    )
    .await;
}

async fn prints_each_data_type(extra: &[&str], group_line: &str) {
    let world = World::new().await;
    let mut args = vec!["--group", "g1", "--count", "3", "--within", "20"];
    args.extend_from_slice(extra);
    let child = start_listen(&world, &args).await;
    assert_eq!(
        code(&run(send(&world, &["send-all", "--text", "hi"])).await),
        0
    );
    assert_eq!(
        code(
            &run(send(
                &world,
                &["send-group", "--group", "g1", "--json", r#"{"a":1}"#]
            ))
            .await
        ),
        0
    );
    assert_eq!(
        code(&run_with_stdin(send(&world, &["send-all"]), vec![0, 1, 255]).await),
        0
    );
    let out = finish(child).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert!(
        lines[0].starts_with(r#"{"type":"system","event":"connected""#),
        "{lines:?}"
    );
    assert_eq!(
        &lines[1..],
        [
            r#"{"type":"message","from":"server","dataType":"text","data":"hi"}"#,
            group_line,
            r#"{"type":"message","from":"server","dataType":"binary","data":"AAH/"}"#,
        ]
    );
}

#[tokio::test]
async fn listen_within_ends_with_exit_6_when_nothing_arrives() {
    let world = World::new().await;
    // --timeout is per connection attempt; with --within given there is nothing to note.
    let out = run(send(
        &world,
        &["listen", "--timeout", "30", "--within", "0.5"],
    ))
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error: timed out with 0 message(s) received"),
        "{err}"
    );
    assert!(!err.contains("note:"), "{err}");
}

#[tokio::test]
async fn listen_timeout_bounds_the_connection_attempt_not_the_wait() {
    let world = World::new().await;
    let child = start_listen(&world, &["--group", "g1", "--count", "1", "--timeout", "2"]).await;
    // Past the moment `--timeout 2` once ended a waiting listen with exit 6 (a lower bound
    // only: the listen was started before it joined).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        code(
            &run(send(
                &world,
                &["send-group", "--group", "g1", "--text", "late"]
            ))
            .await
        ),
        0
    );
    let out = finish(child).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains(r#""data":"late""#),
        "{}",
        stdout(&out)
    );
    // A script written for the old meaning is told, once, what bounds the wait now.
    let err = stderr(&out);
    assert_eq!(
        err.matches(
            "note: --timeout bounds each connection attempt; --within SECS bounds the whole wait"
        )
        .count(),
        1,
        "{err}"
    );
}

#[tokio::test]
async fn listen_ends_when_the_service_closes_with_a_reason() {
    let world = World::new().await;
    let child = start_listen(&world, &["--group", "g1", "--within", "20"]).await;
    let cs = wps::client::ConnectionString::parse(&world.connection_string()).expect("cs");
    let client = wps::client::Client::new(cs, Default::default()).expect("client");
    let req = wps::client::Request {
        method: reqwest::Method::POST,
        path: "/api/hubs/chat/:closeConnections".into(),
        query: vec![
            ("reason".into(), "maintenance".into()),
            ("api-version".into(), "2024-12-01".into()),
        ],
        body: None,
        accept: "application/json",
        headers: Vec::new(),
        expect: &[],
    };
    assert_eq!(client.execute(&req).await.expect("close").status, 204);
    let out = finish(child).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(r#"{"type":"system","event":"disconnected","message":"maintenance"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"{"type":"closed","code":1000,"reason":"maintenance"}"#),
        "{text}"
    );
    assert!(stderr(&out).contains("maintenance"));
}

#[tokio::test]
async fn reliable_listen_resumes_after_a_dropped_transport_without_loss() {
    resumes_without_loss(&["--reliable"]).await;
}

#[tokio::test]
async fn reliable_protobuf_listen_resumes_after_a_dropped_transport_without_loss() {
    resumes_without_loss(&["--subprotocol", "protobuf.reliable.webpubsub.azure.v1"]).await;
}

async fn resumes_without_loss(protocol: &[&str]) {
    let world = World::new().await;
    let proxy = CuttingProxy::start(world.emulator.addr()).await;
    let via_proxy = world.connection_string().replace(
        &format!("Port={}", world.emulator.addr().port()),
        &format!("Port={}", proxy.port),
    );
    let mut cmd = world.wps();
    cmd.env("WPS_CONNECTION_STRING", via_proxy);
    let mut args = protocol.to_vec();
    args.extend(["--group", "g1", "--count", "4", "--within", "20"]);
    let mut child = start_listen_via(&world, cmd, &args).await;
    let out = Piped::new(child.stdout.take().expect("stdout"));
    let err = Piped::new(child.stderr.take().expect("stderr"));
    let send = |text: &'static str| {
        let mut c = world.wps();
        c.args(["send-group", "--group", "g1", "--text", text]);
        run(c)
    };
    assert_eq!(code(&send("m1").await), 0);
    out.wait_for(r#""data":"m1""#).await;
    // Away for certain: its transport cut, and no new one let through until m2 and m3 are in.
    proxy.hold_new(true);
    proxy.cut_all();
    // Sent while the client is away: the service keeps them for the recovery.
    assert_eq!(code(&send("m2").await), 0);
    assert_eq!(code(&send("m3").await), 0);
    proxy.hold_new(false);
    // Back: m4 goes to the resumed connection.
    out.wait_for(r#""data":"m3""#).await;
    assert_eq!(code(&send("m4").await), 0);
    let status = wait_exit(&mut child).await;
    let (stdout, stderr) = (out.finish().await, err.finish().await);
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    let texts: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "message")
        .map(|v| v["data"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3", "m4"], "stdout: {stdout}");
}
