//! Group membership, close, exists, permissions, listing and `api`: the built binary against
//! the emulator, checked through what real WebSocket clients receive.

use std::process::Output;

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

/// Runs `wps <args>` against the world's emulator (JSON output: stdout is not a terminal).
async fn wps(world: &World, args: &[&str]) -> Output {
    let mut c = world.wps();
    c.args(args);
    run(c).await
}

/// Runs `wps <args>` and asserts exit 0.
async fn ok(world: &World, args: &[&str]) -> Output {
    let out = wps(world, args).await;
    assert_eq!(code(&out), 0, "{args:?}: stderr: {}", stderr(&out));
    out
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn one_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

/// The next group message a JSON client receives.
async fn expect_group_text(socket: &mut Socket, group: &str, text: &str) {
    let msg = next_json(socket).await;
    assert_eq!(msg["type"], "message", "{msg}");
    assert_eq!(msg["from"], "group", "{msg}");
    assert_eq!(msg["group"], group, "{msg}");
    assert_eq!(msg["data"], text, "{msg}");
}

/// A JSON client sees `disconnected` with the reason, then a close frame 1000 with it.
async fn expect_closed(socket: &mut Socket, reason: &str) {
    let msg = next_json(socket).await;
    assert_eq!(
        msg,
        json!({"type":"system","event":"disconnected","message":reason})
    );
    match next_frame(socket).await {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(frame.reason.as_str(), reason);
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// A client action with an ack id; returns the ack's `success`.
async fn acked(socket: &mut Socket, mut action: Value) -> bool {
    action["ackId"] = json!(7);
    socket
        .send(Message::Text(action.to_string().into()))
        .await
        .expect("send");
    loop {
        let msg = next_json(socket).await;
        if msg["type"] == "ack" {
            assert_eq!(msg["ackId"], 7, "{msg}");
            return msg["success"].as_bool().expect("success");
        }
    }
}

#[tokio::test]
async fn add_then_remove_connection_and_user_decides_who_gets_group_sends() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", Some("ua"), &[], &[]).await;
    let (mut b, _) = world.connect_json("chat", Some("ub"), &[], &[]).await;
    let (mut b2, _) = world.connect_json("chat", Some("ub"), &[], &[]).await;
    let (mut outsider, _) = world.connect_json("chat", Some("uc"), &[], &[]).await;

    let out = ok(
        &world,
        &["add-to-group", "--group", "g1", "--connection", &a_id],
    )
    .await;
    assert_eq!(
        one_json(&out),
        json!({"operation":"add-to-group","hub":"chat","target":a_id,"group":"g1","status":200,"ok":true})
    );
    let out = ok(&world, &["add-to-group", "-g", "g1", "--user", "ub"]).await;
    assert_eq!(one_json(&out)["target"], "ub");

    ok(&world, &["send-group", "--group", "g1", "--text", "in"]).await;
    expect_group_text(&mut a, "g1", "in").await;
    expect_group_text(&mut b, "g1", "in").await;
    expect_group_text(&mut b2, "g1", "in").await;
    assert_nothing_before_sentinel(
        &world,
        "chat",
        &mut [&mut a, &mut b, &mut b2, &mut outsider],
    )
    .await;

    let out = ok(
        &world,
        &["remove-from-group", "--group", "g1", "--connection", &a_id],
    )
    .await;
    assert_eq!(
        one_json(&out),
        json!({"operation":"remove-from-group","hub":"chat","target":a_id,"group":"g1","status":204,"ok":true})
    );
    ok(
        &world,
        &["remove-from-group", "--group", "g1", "--user", "ub"],
    )
    .await;
    ok(&world, &["send-group", "--group", "g1", "--text", "out"]).await;
    assert_nothing_before_sentinel(
        &world,
        "chat",
        &mut [&mut a, &mut b, &mut b2, &mut outsider],
    )
    .await;
}

#[tokio::test]
async fn add_to_a_missing_connection_is_exit_5_and_several_targets_report_each() {
    let world = World::new().await;
    let (_a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let out = wps(&world, &["add-to-group", "-g", "g1", "-c", "nope"]).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let out = wps(
        &world,
        &["add-to-group", "-g", "g1", "-c", &a_id, "-c", "nope"],
    )
    .await;
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["status"], 404);
    // A target flag of one kind and --target-kind of another: refused before any request.
    let list = world.dir.path().join("users.txt");
    std::fs::write(&list, "u1\n").expect("write list");
    let out = wps(
        &world,
        &[
            "add-to-group",
            "-g",
            "g1",
            "-c",
            &a_id,
            "--target-kind",
            "user",
        ],
    )
    .await;
    assert_eq!(
        code(&out),
        2,
        "--target-kind needs --from-file: {}",
        stderr(&out)
    );
    let mut c = world.wps();
    c.args([
        "add-to-group",
        "-g",
        "g1",
        "-c",
        &a_id,
        "--target-kind",
        "user",
    ])
    .arg("--from-file")
    .arg(&list);
    let out = run(c).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--target-kind user"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn remove_from_all_groups_for_a_connection_and_a_user() {
    let world = World::new().await;
    let (mut a, a_id) = world
        .connect_json("chat", Some("ua"), &[], &["g1", "g2"])
        .await;
    let (mut b, _) = world
        .connect_json("chat", Some("ub"), &[], &["g1", "g2"])
        .await;
    let (mut keep, _) = world
        .connect_json("chat", Some("uk"), &[], &["g1", "g2"])
        .await;
    ok(
        &world,
        &["remove-from-group", "--all-groups", "--connection", &a_id],
    )
    .await;
    let out = ok(
        &world,
        &["remove-from-group", "--all-groups", "--user", "ub"],
    )
    .await;
    assert_eq!(one_json(&out)["status"], 204);
    ok(
        &world,
        &["send-group", "-g", "g1", "-g", "g2", "--text", "x"],
    )
    .await;
    expect_group_text(&mut keep, "g1", "x").await;
    expect_group_text(&mut keep, "g2", "x").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut keep, &mut a, &mut b]).await;
}

#[tokio::test]
async fn add_and_remove_by_filter_use_the_batch_operations() {
    let world = World::new().await;
    let (mut a, _) = world.connect_json("chat", Some("ua"), &[], &[]).await;
    let (mut b, _) = world.connect_json("chat", Some("ub"), &[], &[]).await;
    let out = ok(
        &world,
        &[
            "add-to-group",
            "-g",
            "g1",
            "-g",
            "g2",
            "--filter",
            "userId eq 'ua'",
        ],
    )
    .await;
    assert_eq!(
        one_json(&out),
        json!({"operation":"add-to-group","hub":"chat","target":null,"status":200,"ok":true})
    );
    ok(&world, &["send-group", "-g", "g2", "--text", "f"]).await;
    expect_group_text(&mut a, "g2", "f").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut a, &mut b]).await;
    ok(
        &world,
        &[
            "remove-from-group",
            "-g",
            "g2",
            "--filter",
            "userId eq 'ua'",
        ],
    )
    .await;
    ok(&world, &["send-group", "-g", "g2", "--text", "g"]).await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut a, &mut b]).await;
    ok(&world, &["send-group", "-g", "g1", "--text", "h"]).await;
    expect_group_text(&mut a, "g1", "h").await;
}

#[tokio::test]
async fn close_a_connection_with_its_reason() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let (mut other, _) = world.connect_json("chat", None, &[], &[]).await;
    let out = ok(
        &world,
        &["close", "--connection", &a_id, "--reason", "bye now"],
    )
    .await;
    assert_eq!(
        one_json(&out),
        json!({"operation":"close","hub":"chat","target":a_id,"status":204,"ok":true})
    );
    expect_closed(&mut a, "bye now").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut other]).await;
}

#[tokio::test]
async fn close_a_users_and_a_groups_connections() {
    let world = World::new().await;
    let (mut u1, _) = world.connect_json("chat", Some("u1"), &[], &[]).await;
    let (mut u1b, _) = world.connect_json("chat", Some("u1"), &[], &[]).await;
    let (mut g1, _) = world.connect_json("chat", Some("u2"), &[], &["g1"]).await;
    let (mut g1_kept, kept_id) = world.connect_json("chat", Some("u3"), &[], &["g1"]).await;
    ok(&world, &["close", "--user", "u1", "--reason", "user gone"]).await;
    expect_closed(&mut u1, "user gone").await;
    expect_closed(&mut u1b, "user gone").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut g1, &mut g1_kept]).await;
    ok(
        &world,
        &[
            "close",
            "--group",
            "g1",
            "--exclude",
            &kept_id,
            "--reason",
            "group gone",
        ],
    )
    .await;
    expect_closed(&mut g1, "group gone").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut g1_kept]).await;
}

#[tokio::test]
async fn close_all_but_the_excluded() {
    let world = World::new().await;
    let (mut a, _) = world.connect_json("chat", None, &[], &[]).await;
    let (mut b, b_id) = world.connect_json("chat", None, &[], &[]).await;
    let (mut elsewhere, _) = world.connect_json("other", None, &[], &[]).await;
    let out = ok(
        &world,
        &[
            "close",
            "--all",
            "--exclude",
            &b_id,
            "--reason",
            "maintenance",
        ],
    )
    .await;
    assert_eq!(one_json(&out)["target"], Value::Null);
    expect_closed(&mut a, "maintenance").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut b]).await;
    assert_nothing_before_sentinel(&world, "other", &mut [&mut elsewhere]).await;
    // --exclude makes no sense with --connection: a usage error.
    let out = wps(&world, &["close", "--connection", &b_id, "--exclude", "x"]).await;
    assert_eq!(code(&out), 2);
}

#[tokio::test]
async fn exists_answers_with_exit_codes() {
    let world = World::new().await;
    let (_a, a_id) = world
        .connect_json("chat", Some("alice"), &[], &["g1"])
        .await;
    for (kind, yes, no) in [
        ("connection", a_id.as_str(), "missing-conn"),
        ("user", "alice", "bob"),
        ("group", "g1", "g2"),
    ] {
        let flag = &format!("--{kind}");
        let out = ok(&world, &["exists", flag, yes]).await;
        assert_eq!(
            one_json(&out),
            json!({"operation":"exists","hub":"chat","kind":kind,"target":yes,"exists":true})
        );
        let out = wps(&world, &["exists", flag, no]).await;
        assert_eq!(code(&out), 1, "{flag} {no}: {}", stderr(&out));
        assert_eq!(one_json(&out)["exists"], false);
        assert_eq!(stderr(&out), "", "a 'no' is an answer, not an error");
    }
    let out = wps(&world, &["exists", "--user", "a", "--group", "g"]).await;
    assert_eq!(code(&out), 2);
}

#[tokio::test]
async fn grant_check_revoke_round_trip_is_enforced_for_the_client() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let check = [
        "check",
        "-c",
        &a_id,
        "--permission",
        "join-leave-group",
        "--group",
        "g1",
    ];

    let out = wps(&world, &check).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        one_json(&out),
        json!({"operation":"check","hub":"chat","target":a_id,"permission":"joinLeaveGroup","group":"g1","allowed":false})
    );
    assert!(!acked(&mut a, json!({"type":"joinGroup","group":"g1"})).await);

    let out = ok(
        &world,
        &[
            "grant",
            "-c",
            &a_id,
            "--permission",
            "join-leave-group",
            "--group",
            "g1",
        ],
    )
    .await;
    assert_eq!(
        one_json(&out),
        json!({"operation":"grant","hub":"chat","target":a_id,"permission":"joinLeaveGroup","group":"g1","status":200,"ok":true})
    );
    let out = ok(&world, &check).await;
    assert_eq!(one_json(&out)["allowed"], true);
    assert!(acked(&mut a, json!({"type":"joinGroup","group":"g1"})).await);

    let out = ok(
        &world,
        &[
            "revoke",
            "-c",
            &a_id,
            "--permission",
            "join-leave-group",
            "--group",
            "g1",
        ],
    )
    .await;
    assert_eq!(one_json(&out)["status"], 204);
    let out = wps(&world, &check).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!acked(&mut a, json!({"type":"leaveGroup","group":"g1"})).await);

    let out = wps(&world, &["grant", "-c", &a_id, "--permission", "admin"]).await;
    assert_eq!(code(&out), 2);
}

#[tokio::test]
async fn list_connections_prints_json_lines_across_pages() {
    let world = World::new().await;
    let (_a, a_id) = world
        .connect_json("chat", Some("alice"), &[], &["g1"])
        .await;
    let (_b, b_id) = world.connect_json("chat", None, &[], &["g1"]).await;
    let (_c, _) = world
        .connect_json("chat", Some("carol"), &[], &["g2"])
        .await;
    let mut expected = vec![
        json!({"connectionId":a_id,"userId":"alice"}),
        json!({"connectionId":b_id,"userId":null}),
    ];
    expected.sort_by_key(|v| v["connectionId"].to_string());
    for extra in [&[][..], &["--max-page-size", "1"][..]] {
        let mut args = vec!["list-connections", "--group", "g1"];
        args.extend_from_slice(extra);
        let out = ok(&world, &args).await;
        let mut lines = json_lines(&out);
        lines.sort_by_key(|v| v["connectionId"].to_string());
        assert_eq!(lines, expected, "{args:?}");
    }
    // One connection a page: the second arrives only by following nextLink, signed anew.
    let out = ok(
        &world,
        &["list-connections", "-g", "g1", "--max-page-size", "1", "-v"],
    )
    .await;
    let gets = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("GET "))
        .count();
    assert!(gets >= 2, "{}", stderr(&out));
    let out = ok(&world, &["list-connections", "--group", "g1", "--top", "1"]).await;
    assert_eq!(json_lines(&out).len(), 1);
    let out = ok(&world, &["list-connections", "--group", "empty"]).await;
    assert_eq!(stdout(&out), "");
    let out = ok(&world, &["list-connections", "-g", "g1", "-o", "table"]).await;
    assert!(stdout(&out).contains(&a_id) && stdout(&out).contains("alice"));
}

#[tokio::test]
async fn api_sends_a_raw_signed_request_a_client_receives() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let out = ok(
        &world,
        &["api", "POST", "/api/hubs/chat/:send", "--text", "raw hi"],
    )
    .await;
    assert_eq!(one_json(&out), json!({"status":202,"body":null}));
    assert_eq!(
        next_frame(&mut client).await,
        Message::Text("raw hi".into())
    );

    // A 4xx answer is printed and exits 5, like any other command.
    let out = wps(&world, &["api", "GET", "/api/hubs/chat/no/such/route"]).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert_eq!(one_json(&out)["status"], 404);
    assert!(one_json(&out)["body"]["code"].is_string());

    let out = wps(&world, &["api", "POST", "/hubs/chat/:send", "--text", "x"]).await;
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("/api/"), "{}", stderr(&out));
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut client]).await;
}

#[tokio::test]
async fn api_query_and_head() {
    let world = World::new().await;
    let (_a, _) = world.connect_json("chat", Some("alice"), &[], &[]).await;
    let out = ok(&world, &["api", "HEAD", "/api/hubs/chat/users/alice"]).await;
    assert_eq!(one_json(&out), json!({"status":200,"body":null}));
    let out = wps(
        &world,
        &[
            "api",
            "head",
            "/api/hubs/chat/users/bob",
            "--query",
            "api-version=2024-12-01",
        ],
    )
    .await;
    assert_eq!(code(&out), 5);
    assert_eq!(one_json(&out)["status"], 404);
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let out = ok(
        &world,
        &["close", "--connection", &a_id, "--reason", "r", "--dry-run"],
    )
    .await;
    let printed = one_json(&out);
    assert_eq!(printed["dryRun"], true);
    assert_eq!(printed["method"], "DELETE");
    let url = printed["url"].as_str().expect("url");
    assert!(
        url.ends_with(&format!(
            "/api/hubs/chat/connections/{a_id}?reason=r&api-version=2024-12-01"
        )),
        "{url}"
    );
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut a]).await;
    ok(&world, &["exists", "--connection", &a_id]).await;
    let out = ok(
        &world,
        &[
            "api",
            "POST",
            "/api/hubs/chat/:send",
            "--text",
            "no",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(one_json(&out)["dryRun"], true);
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut a]).await;
}

#[tokio::test]
async fn api_sends_piped_stdin_byte_for_byte() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    let out = run_with_stdin(
        {
            let mut c = world.wps();
            c.args(["api", "POST", "/api/hubs/chat/:send"]);
            c
        },
        bytes.clone(),
    )
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_frame(&mut client).await, Message::Binary(bytes.into()));
}

#[tokio::test]
async fn dry_run_and_vv_show_json_and_text_bodies_as_they_are() {
    let world = World::new().await;
    let body = r#"{"a":"b c","n":[1,2]}"#;
    let out = ok(&world, &["send-all", "--dry-run", "--json", body]).await;
    // Escaped once, by the JSON line itself: parsing it gives the body back.
    assert_eq!(one_json(&out)["bodyPreview"], body);
    let out = ok(
        &world,
        &[
            "send-all",
            "--dry-run",
            "-o",
            "table",
            "--text",
            "two\nlines",
        ],
    )
    .await;
    assert!(
        stdout(&out).ends_with("\n\ntwo\nlines\n"),
        "{}",
        stdout(&out)
    );
    let (mut a, _) = world.connect_json("chat", None, &[], &[]).await;
    let out = ok(&world, &["-vv", "send-all", "--json", body]).await;
    assert!(
        stderr(&out).contains(&format!("body: {body}")),
        "{}",
        stderr(&out)
    );
    let msg = next_json(&mut a).await;
    assert_eq!(msg["data"], json!({"a":"b c","n":[1,2]}), "{msg}");
}

#[tokio::test]
async fn tables_show_group_and_permission_columns_only_when_they_apply() {
    let world = World::new().await;
    let (_a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let (_b, b_id) = world.connect_json("chat", None, &[], &[]).await;
    let header = |out: &Output| {
        let text = stdout(out);
        let line = text
            .lines()
            .find(|l| l.contains("operation"))
            .unwrap_or_else(|| panic!("a header row in {text}"))
            .to_string();
        line.split(['│', '┆'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let out = ok(
        &world,
        &[
            "-o",
            "table",
            "add-to-group",
            "-g",
            "g1",
            "-g",
            "g2",
            "-c",
            &a_id,
            "-c",
            &b_id,
        ],
    )
    .await;
    assert_eq!(
        header(&out),
        [
            "operation",
            "hub",
            "target",
            "group",
            "status",
            "outcome",
            "error"
        ]
    );
    assert_eq!(stdout(&out).matches("add-to-group").count(), 4);
    let out = ok(
        &world,
        &[
            "-o",
            "table",
            "grant",
            "-c",
            &a_id,
            "--permission",
            "send-to-group",
            "-g",
            "g1",
        ],
    )
    .await;
    assert_eq!(
        header(&out),
        [
            "operation",
            "hub",
            "target",
            "permission",
            "group",
            "status",
            "ok"
        ]
    );
    let out = ok(&world, &["-o", "table", "close", "-c", &a_id]).await;
    assert_eq!(header(&out), ["operation", "hub", "target", "status", "ok"]);
}
