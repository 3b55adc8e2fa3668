//! Bulk runs: many targets, every one accounted for, `--failed-to`, Ctrl-C.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::Duration;

use crate::common::*;
use crate::faults::{FaultServer, Hit, Reply};

/// The user id in `/api/hubs/chat/users/{user}/:send`.
fn user_of(hit: &Hit) -> String {
    hit.path
        .strip_prefix("/api/hubs/chat/users/")
        .and_then(|p| p.strip_suffix("/:send"))
        .unwrap_or("")
        .to_string()
}

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("JSON line {l:?}: {e}")))
        .collect()
}

/// `wps` running, its stdout and stderr read as they come.
struct Watched {
    child: std::process::Child,
    out: Piped,
    err: Piped,
}

impl Watched {
    fn spawn(mut cmd: std::process::Command) -> Watched {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wps starts");
        let out = Piped::new(child.stdout.take().expect("stdout"));
        let err = Piped::new(child.stderr.take().expect("stderr"));
        Watched { child, out, err }
    }

    /// Sends `signal` (`INT`, `TERM`) to it.
    fn kill(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Its exit and all it wrote; fails if it has not exited within `PATIENCE`.
    async fn finish(mut self) -> std::process::Output {
        let status = wait_exit(&mut self.child).await;
        std::process::Output {
            status,
            stdout: self.out.finish().await.into_bytes(),
            stderr: self.err.finish().await.into_bytes(),
        }
    }
}

/// Waits until the server has seen `n` requests; fails after `PATIENCE`.
async fn hits_reach(server: &FaultServer, n: usize) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while server.hits().len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} requests arrived, not {n}",
            server.hits().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_thousand_targets_every_one_accounted_for_exactly_once() {
    let world = World::new().await;
    let users: Vec<String> = (0..2000).map(|i| format!("user-{i:04}")).collect();
    // A fresh random subset each run fails: some refused (400), some never recover (503).
    let mut refused = HashSet::new();
    let mut unavailable = HashSet::new();
    for u in &users {
        match rand::random_range(0..100) {
            0..7 => refused.insert(u.clone()),
            7..10 => unavailable.insert(u.clone()),
            _ => false,
        };
    }
    let failed: HashSet<String> = refused.union(&unavailable).cloned().collect();
    let (r, un) = (refused.clone(), unavailable.clone());
    let server = FaultServer::start(move |hit, _| {
        let user = user_of(hit);
        if r.contains(&user) {
            Reply::with_body(400, r#"{"code":"Nope","message":"refused"}"#)
        } else if un.contains(&user) {
            Reply::status(503)
        } else {
            Reply::status(202)
        }
    })
    .await;

    // The first 10 users come as flags, the rest from a file with comments, blank lines
    // and duplicates (of flag targets and of file targets).
    let mut file = String::from("# targets for the test\n\n");
    for u in &users[10..] {
        file.push_str(&format!("{u}\n"));
    }
    file.push_str(&format!("  {}  \n{}\n\n# end\n", users[0], users[1500]));
    let list = world.dir.path().join("users.txt");
    let failed_to = world.dir.path().join("failed.txt");
    std::fs::write(&list, file).expect("write list");

    let out = run({
        let mut c = crate::faults::wps_at(&world, &server.connection_string());
        c.args(["send-user", "--text", "hi", "-o", "json", "--retries", "1"])
            .args(["--concurrency", "32", "--from-file"])
            .arg(&list)
            .arg("--failed-to")
            .arg(&failed_to);
        for u in &users[..10] {
            c.args(["--user", u]);
        }
        c
    })
    .await;
    let err = stderr(&out);
    assert_eq!(code(&out), 7, "stderr: {err}");

    // stdout: one line per target, each exactly once, with the right outcome.
    let lines = json_lines(&out);
    assert_eq!(lines.len(), users.len());
    let mut seen = HashMap::new();
    for l in &lines {
        let target = l["target"].as_str().expect("target").to_string();
        assert_eq!(l["operation"], "send-user");
        assert_eq!(l["hub"], "chat");
        let expect_ok = !failed.contains(&target);
        assert_eq!(l["ok"], expect_ok, "{l}");
        if expect_ok {
            assert_eq!(l["status"], 202, "{l}");
            // A success line is exactly the plain result shape.
            assert!(
                l.get("outcome").is_none() && l.get("error").is_none(),
                "{l}"
            );
        } else {
            assert_eq!(l["outcome"], "failed", "{l}");
            let status = if refused.contains(&target) { 400 } else { 503 };
            assert_eq!(l["status"], status, "{l}");
            assert!(l["error"].as_str().is_some_and(|e| !e.is_empty()), "{l}");
        }
        assert!(seen.insert(target, ()).is_none(), "reported twice: {l}");
    }
    assert_eq!(
        seen.keys().cloned().collect::<HashSet<_>>(),
        users.iter().cloned().collect::<HashSet<_>>()
    );

    // The server: each target once, the 503 ones twice (one retry), nothing else.
    let mut hits: HashMap<String, usize> = HashMap::new();
    for h in server.hits() {
        assert!(h.authorized && h.method == "POST", "{h:?}");
        *hits.entry(user_of(&h)).or_default() += 1;
    }
    for u in &users {
        let want = if unavailable.contains(u) { 2 } else { 1 };
        assert_eq!(hits.get(u).copied().unwrap_or(0), want, "{u}");
    }
    assert_eq!(hits.len(), users.len());

    // --failed-to is exactly the failed set, one a line.
    let written = std::fs::read_to_string(&failed_to).expect("failed-to file");
    let written: Vec<&str> = written.lines().collect();
    assert_eq!(written.len(), failed.len());
    assert_eq!(
        written
            .iter()
            .map(|s| s.to_string())
            .collect::<HashSet<_>>(),
        failed
    );

    // stderr: duplicates reported once, then the summary.
    let dup_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("duplicate target"))
        .collect();
    assert_eq!(dup_lines.len(), 1, "{err}");
    assert!(
        dup_lines[0].starts_with("warning: 2 duplicate targets"),
        "{err}"
    );
    let summary = err.lines().last().expect("summary");
    assert!(
        summary.starts_with(&format!(
            "sent {}, failed {}, not sent 0, skipped 2 (duplicates) in ",
            users.len() - failed.len(),
            failed.len()
        )),
        "{summary}"
    );
    assert_rate_only_after_a_second(summary);
    assert!(!err.contains("panicked"));
}

#[tokio::test]
async fn failed_targets_fed_back_from_file_reach_real_clients() {
    let world = World::new().await;
    let mut sockets = Vec::new();
    let mut list = String::new();
    for i in 0..20 {
        let user = format!("u{i}");
        sockets.push(world.connect_json("chat", Some(&user), &[], &[]).await.0);
        list.push_str(&user);
        list.push('\n');
    }
    let path = world.dir.path().join("users.txt");
    let failed_to = world.dir.path().join("failed.txt");
    std::fs::write(&path, list).expect("write");
    let out = run({
        let mut c = world.wps();
        c.args(["send-user", "--text", "fan-out", "-o", "table", "-q"])
            .args(["--concurrency", "4", "--from-file"])
            .arg(&path)
            .arg("--failed-to")
            .arg(&failed_to);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "", "-q leaves stderr empty");
    let table = stdout(&out);
    assert_eq!(table.matches("sent").count(), 20, "{table}");
    for s in &mut sockets {
        let msg = next_json(s).await;
        assert_eq!(msg["data"], "fan-out", "{msg}");
    }
    assert_eq!(std::fs::read_to_string(&failed_to).expect("file"), "");
}

#[tokio::test]
async fn targets_from_stdin_with_a_payload_flag() {
    let world = World::new().await;
    let (mut a, _) = world.connect_json("chat", None, &[], &["ga"]).await;
    let (mut b, _) = world.connect_json("chat", None, &[], &["gb"]).await;
    let out = run_with_stdin(
        {
            let mut c = world.wps();
            c.args(["send-group", "--from-file", "-", "--text", "hey"]);
            c
        },
        b"ga\n# skip\ngb\n".to_vec(),
    )
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 2);
    // Groups are joined through the client token, so the message arrives as a group message.
    assert_eq!(next_json(&mut a).await["data"], "hey");
    assert_eq!(next_json(&mut b).await["data"], "hey");
}

#[tokio::test]
async fn targets_and_payload_both_from_stdin_is_a_usage_error() {
    let world = World::new().await;
    for payload in [vec![], vec!["--file", "-"]] {
        let out = run_with_stdin(
            {
                let mut c = world.wps();
                c.args(["send-user", "--from-file", "-"]).args(&payload);
                c
            },
            b"u1\n".to_vec(),
        )
        .await;
        assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: --from-file - reads targets from stdin"));
    }
}

#[tokio::test]
async fn ctrl_c_stops_new_requests_waits_for_in_flight_and_reports_all() {
    let world = World::new().await;
    // Every request stays in flight until the test lets them go, after the interrupt.
    let server = FaultServer::start(|_, _| Reply::Held).await;
    let failed_to = world.dir.path().join("failed.txt");
    let users: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
    let mut cmd = crate::faults::wps_at(&world, &server.connection_string());
    cmd.args([
        "send-user",
        "--text",
        "hi",
        "-o",
        "json",
        "--concurrency",
        "4",
    ])
    .arg("--failed-to")
    .arg(&failed_to);
    for u in &users {
        cmd.args(["--user", u]);
    }
    let wps = Watched::spawn(cmd);
    // Interrupt once the first requests are in flight; answer them once it is heard.
    hits_reach(&server, 4).await;
    wps.kill("INT");
    wps.err
        .wait_for("interrupted: starting no new requests")
        .await;
    server.release();
    let out = wps.finish().await;
    let err = stderr(&out);
    assert_eq!(code(&out), 130, "stderr: {err}");
    assert!(
        err.contains("interrupted: starting no new requests"),
        "{err}"
    );

    let lines = json_lines(&out);
    assert_eq!(lines.len(), users.len(), "every target reported");
    let sent: Vec<&serde_json::Value> = lines.iter().filter(|l| l["ok"] == true).collect();
    let not_sent: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "not-sent")
        .collect();
    // The 4 in flight were waited for and succeeded; nothing new was started.
    assert_eq!(sent.len(), 4, "{lines:?}");
    assert_eq!(not_sent.len(), 96);
    assert_eq!(server.hits().len(), 4);
    for l in &not_sent {
        assert_eq!(l["ok"], false);
        assert_eq!(l["error"], "not sent: interrupted");
    }
    let targets: HashSet<&str> = lines.iter().filter_map(|l| l["target"].as_str()).collect();
    assert_eq!(targets.len(), users.len());
    let written = std::fs::read_to_string(&failed_to).expect("failed-to file");
    let written: HashSet<&str> = written.lines().collect();
    let expected: HashSet<&str> = not_sent
        .iter()
        .filter_map(|l| l["target"].as_str())
        .collect();
    assert_eq!(written, expected);
    assert!(err
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("sent 4, failed 0, not sent 96")));
}

#[tokio::test]
async fn a_single_target_fails_like_a_plain_command() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(404)).await;
    let failed_to = world.dir.path().join("failed.txt");
    let out = run({
        let mut c = crate::faults::wps_at(&world, &server.connection_string());
        c.args([
            "send-user",
            "--user",
            "ghost",
            "--text",
            "hi",
            "--failed-to",
        ])
        .arg(&failed_to);
        c
    })
    .await;
    assert_eq!(code(&out), 5, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: send-user to 'ghost' failed: the service answered 404"));
    assert_eq!(
        std::fs::read_to_string(&failed_to).expect("file"),
        "ghost\n"
    );
}

#[tokio::test]
async fn a_second_ctrl_c_abandons_requests_in_flight() {
    let world = World::new().await;
    // Never answered: wps exits with them still in flight, or not at all.
    let server = FaultServer::start(|_, _| Reply::Held).await;
    let mut cmd = crate::faults::wps_at(&world, &server.connection_string());
    cmd.args(["send-user", "-u", "a", "-u", "b", "-u", "c", "--text", "hi"])
        .args(["-o", "json", "--concurrency", "2"]);
    let wps = Watched::spawn(cmd);
    hits_reach(&server, 2).await;
    wps.kill("INT");
    // The second once the first is heard (two at once could arrive as one signal).
    wps.err
        .wait_for("interrupted: starting no new requests")
        .await;
    wps.kill("INT");
    let out = wps.finish().await;
    assert_eq!(code(&out), 130, "stderr: {}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["ok"] == false));
    // Two were in flight (delivery unknown), one never started.
    let outcome = |t: &str| {
        lines
            .iter()
            .find(|l| l["target"] == t)
            .map(|l| l["outcome"].clone())
    };
    assert_eq!(outcome("a"), Some("unknown".into()));
    assert_eq!(outcome("b"), Some("unknown".into()));
    assert_eq!(outcome("c"), Some("not-sent".into()));
    let err = stderr(&out);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("sent 0, failed 0, not sent 1")
                && l.ends_with("2 abandoned in flight (outcome unknown)")),
        "{err}"
    );
}

#[tokio::test]
async fn a_run_whose_first_requests_all_fail_stops_early() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(401)).await;
    let failed_to = world.dir.path().join("failed.txt");
    let users: Vec<String> = (0..500).map(|i| format!("u{i}")).collect();
    let out = run({
        let mut c = crate::faults::wps_at(&world, &server.connection_string());
        c.args([
            "send-user",
            "--text",
            "hi",
            "-o",
            "json",
            "--concurrency",
            "4",
        ])
        .arg("--failed-to")
        .arg(&failed_to);
        for u in &users {
            c.args(["--user", u]);
        }
        c
    })
    .await;
    let err = stderr(&out);
    // The run ends with the code of what stopped it (401: 4), as one request would.
    assert_eq!(code(&out), 4, "stderr: {err}");
    assert!(
        err.contains("error: stopping: the first 10 requests all failed (the service answered 401"),
        "{err}"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), users.len(), "every target still reported");
    let failed = lines.iter().filter(|l| l["outcome"] == "failed").count();
    let not_sent = lines.iter().filter(|l| l["outcome"] == "not-sent").count();
    // 10 failures stop it; at most the 3 others in flight then finish.
    assert!((10..=13).contains(&failed), "{failed}");
    assert_eq!(failed + not_sent, users.len());
    assert_eq!(server.hits().len(), failed);
    let written = std::fs::read_to_string(&failed_to).expect("file");
    assert_eq!(written.lines().count(), users.len());
}

#[tokio::test]
async fn target_specific_refusals_never_stop_a_run() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(404)).await;
    let users: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
    let out = run({
        let mut c = crate::faults::wps_at(&world, &server.connection_string());
        c.args([
            "send-user",
            "--text",
            "hi",
            "-o",
            "json",
            "--concurrency",
            "4",
        ]);
        for u in &users {
            c.args(["--user", u]);
        }
        c
    })
    .await;
    assert_eq!(code(&out), 7, "stderr: {}", stderr(&out));
    assert_eq!(server.hits().len(), users.len());
    assert!(json_lines(&out).iter().all(|l| l["outcome"] == "failed"));
}

/// The next message a JSON client receives, asserted to be `text` sent to `group`.
async fn expect_group_text(socket: &mut Socket, group: &str, text: &str) {
    let msg = next_json(socket).await;
    assert_eq!(msg["type"], "message", "{msg}");
    assert_eq!(msg["group"], group, "{msg}");
    assert_eq!(msg["data"], text, "{msg}");
}

/// A JSON client sees `disconnected` with the reason (the close frame follows).
async fn expect_disconnected(socket: &mut Socket, reason: &str) {
    let msg = next_json(socket).await;
    assert_eq!(
        msg,
        serde_json::json!({"type":"system","event":"disconnected","message":reason})
    );
}

#[tokio::test]
async fn add_to_group_fifty_connections_from_a_file_then_a_group_send_reaches_them_all() {
    let world = World::new().await;
    let mut clients = Vec::new();
    let mut list = String::from("# fifty connections\n");
    for i in 0..50 {
        let (socket, id) = world
            .connect_json("chat", Some(&format!("u{i}")), &[], &[])
            .await;
        list.push_str(&format!("{id}\n"));
        clients.push(socket);
    }
    let (mut outsider, _) = world.connect_json("chat", Some("out"), &[], &[]).await;
    let path = world.dir.path().join("conns.txt");
    std::fs::write(&path, &list).expect("write list");

    let mut c = world.wps();
    c.args(["add-to-group", "--group", "big", "--concurrency", "8"])
        .arg("--from-file")
        .arg(&path);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 50);
    let ids: HashSet<&str> = list.lines().skip(1).collect();
    let reported: HashSet<&str> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["operation"], "add-to-group", "{l}");
            assert_eq!(l["group"], "big", "{l}");
            assert_eq!(l["status"], 200, "{l}");
            assert_eq!(l["ok"], true, "{l}");
            l["target"].as_str().expect("target")
        })
        .collect();
    assert_eq!(reported, ids, "every connection of the file reported once");
    assert!(
        stderr(&out).contains("sent 50, failed 0"),
        "{}",
        stderr(&out)
    );

    let mut c = world.wps();
    c.args(["send-group", "--group", "big", "--text", "all fifty"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    for socket in &mut clients {
        expect_group_text(socket, "big", "all fifty").await;
    }
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut outsider]).await;
}

#[tokio::test]
async fn add_to_several_groups_with_one_unknown_connection_is_exit_7_and_failed_to_holds_it() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let (mut b, b_id) = world.connect_json("chat", None, &[], &[]).await;
    let list = world.dir.path().join("conns.txt");
    let failed_to = world.dir.path().join("failed.txt");
    std::fs::write(&list, format!("{a_id}\nno-such-connection\n")).expect("write list");

    let mut c = world.wps();
    c.args(["add-to-group", "-g", "g1", "-g", "g2", "-c", &b_id])
        .arg("--from-file")
        .arg(&list)
        .arg("--failed-to")
        .arg(&failed_to);
    let out = run(c).await;
    assert_eq!(code(&out), 7, "stderr: {}", stderr(&out));
    // One request per (connection, group) pair, every one reported.
    let mut pairs: Vec<(String, String, bool)> = json_lines(&out)
        .iter()
        .map(|l| {
            (
                l["target"].as_str().expect("target").to_string(),
                l["group"].as_str().expect("group").to_string(),
                l["ok"].as_bool().expect("ok"),
            )
        })
        .collect();
    pairs.sort();
    let mut expected = vec![
        (a_id.clone(), "g1".to_string(), true),
        (a_id.clone(), "g2".to_string(), true),
        (b_id.clone(), "g1".to_string(), true),
        (b_id.clone(), "g2".to_string(), true),
        ("no-such-connection".to_string(), "g1".to_string(), false),
        ("no-such-connection".to_string(), "g2".to_string(), false),
    ];
    expected.sort();
    assert_eq!(pairs, expected);
    assert_eq!(
        std::fs::read_to_string(&failed_to).expect("failed-to written"),
        "no-such-connection\n",
        "the failed target once, ready for --from-file"
    );

    // The good pairs took effect: both connections hear both groups.
    for g in ["g1", "g2"] {
        let mut c = world.wps();
        c.args(["send-group", "--group", g, "--text", g]);
        assert_eq!(code(&run(c).await), 0);
        expect_group_text(&mut a, g, g).await;
        expect_group_text(&mut b, g, g).await;
    }

    // The same users, removed from both groups from a file read as users.
    let users = world.dir.path().join("users.txt");
    std::fs::write(&users, "nobody\n").expect("write users");
    let mut c = world.wps();
    c.args(["remove-from-group", "-g", "g1", "--target-kind", "user"])
        .arg("--from-file")
        .arg(&users);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("one JSON document"),
        serde_json::json!({"operation":"remove-from-group","hub":"chat","target":"nobody","group":"g1","status":204,"ok":true})
    );
}

#[tokio::test]
async fn close_from_a_file_of_connections_and_of_users() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", Some("ua"), &[], &[]).await;
    let (mut b, b_id) = world.connect_json("chat", Some("ub"), &[], &[]).await;
    let (mut c1, _) = world.connect_json("chat", Some("uc"), &[], &[]).await;
    let (mut c2, _) = world.connect_json("chat", Some("uc"), &[], &[]).await;
    let (mut keep, keep_id) = world.connect_json("chat", Some("ud"), &[], &[]).await;

    // Connections (the default kind of a close list), read from stdin.
    let mut c = world.wps();
    c.args(["close", "--from-file", "-", "--reason", "bulk bye"]);
    let out = run_with_stdin(c, format!("# two\n{a_id}\n\n{b_id}\n{a_id}\n").into_bytes()).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let targets: HashSet<String> = json_lines(&out)
        .iter()
        .map(|l| l["target"].as_str().expect("target").to_string())
        .collect();
    assert_eq!(targets, HashSet::from([a_id.clone(), b_id.clone()]));
    assert!(stderr(&out).contains("skipped 1"), "{}", stderr(&out));
    expect_disconnected(&mut a, "bulk bye").await;
    expect_disconnected(&mut b, "bulk bye").await;

    // Users, from a file named as such; --exclude applies to them.
    let users = world.dir.path().join("users.txt");
    std::fs::write(&users, "uc\nud\n").expect("write users");
    let mut c = world.wps();
    c.args(["close", "--target-kind", "user", "--reason", "users gone"])
        .args(["--exclude", &keep_id])
        .arg("--from-file")
        .arg(&users);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 2);
    expect_disconnected(&mut c1, "users gone").await;
    expect_disconnected(&mut c2, "users gone").await;
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut keep]).await;

    // --exclude with a list of connections makes no sense: refused before any request.
    let mut c = world.wps();
    c.args(["close", "--exclude", "x"])
        .arg("--from-file")
        .arg(&users);
    let out = run(c).await;
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut keep]).await;
}

#[tokio::test]
async fn grant_from_a_file_lets_every_listed_connection_send_to_the_group() {
    let world = World::new().await;
    let (mut a, a_id) = world.connect_json("chat", None, &[], &[]).await;
    let (mut b, b_id) = world.connect_json("chat", None, &[], &[]).await;
    let (mut other, other_id) = world.connect_json("chat", None, &[], &[]).await;
    let list = world.dir.path().join("conns.txt");
    std::fs::write(&list, format!("{a_id}\n{b_id}\n")).expect("write list");
    let mut c = world.wps();
    c.args(["grant", "--permission", "send-to-group", "--group", "g1"])
        .arg("--from-file")
        .arg(&list);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    for l in json_lines(&out) {
        assert_eq!(l["permission"], "sendToGroup", "{l}");
        assert_eq!(l["group"], "g1", "{l}");
        assert_eq!(l["ok"], true, "{l}");
    }
    for (id, want) in [(&a_id, 0), (&b_id, 0), (&other_id, 1)] {
        let mut c = world.wps();
        c.args([
            "check",
            "-c",
            id,
            "--permission",
            "send-to-group",
            "-g",
            "g1",
        ]);
        assert_eq!(code(&run(c).await), want, "check {id}");
    }
    // The service's spelling, which the output prints, is accepted too.
    let mut c = world.wps();
    c.args(["revoke", "--permission", "sendToGroup", "--group", "g1"])
        .args(["-c", &a_id, "-c", &b_id]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    for id in [&a_id, &b_id] {
        let mut c = world.wps();
        c.args(["check", "-c", id, "--permission", "sendToGroup", "-g", "g1"]);
        assert_eq!(code(&run(c).await), 1, "check {id} after revoke");
    }
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut a, &mut b, &mut other]).await;
}

#[tokio::test]
async fn json_lines_reach_a_pipe_while_the_run_goes_on() {
    // Lines are buffered, but flushed at least every 100 ms: a watcher sees the fast target's
    // line long before the slow one ends the run.
    let world = World::new().await;
    // The slow one is answered only once the fast one's line has been read.
    let server = FaultServer::start(|hit, _| {
        if user_of(hit) == "slow" {
            Reply::Held
        } else {
            Reply::status(202)
        }
    })
    .await;
    let mut cmd = crate::faults::wps_at(&world, &server.connection_string());
    cmd.args(["send-user", "-u", "fast", "-u", "slow", "--text", "hi"])
        .args(["-o", "json", "--concurrency", "2"]);
    let wps = Watched::spawn(cmd);
    wps.out.wait_for("\n").await;
    let first = wps.out.text();
    server.release();
    let out = wps.finish().await;
    assert!(out.status.success());
    let line: serde_json::Value =
        serde_json::from_str(first.lines().next().expect("a line")).expect("JSON");
    assert_eq!(line["target"], "fast");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["target"], "slow");
}

#[tokio::test]
async fn piped_into_head_the_run_still_sends_everything_and_reports_on_stderr() {
    // `wps send-user --from-file big.txt | head -2`: the report stops when head exits, the
    // sends do not; the summary and --failed-to are still written.
    let world = World::new().await;
    let n = 5000;
    let targets = world.dir.path().join("users.txt");
    let users: Vec<String> = (0..n).map(|i| format!("user-{i:05}")).collect();
    std::fs::write(&targets, users.join("\n")).expect("write targets");
    let failed_to = world.dir.path().join("failed.txt");
    // The last target's message proves the run went on to the end.
    let last = users.last().expect("a user").clone();
    let (mut socket, _) = world.connect_json("chat", Some(&last), &[], &[]).await;
    let mut cmd = world.wps();
    cmd.args(["send-user", "--text", "hi", "-o", "json", "--from-file"])
        .arg(&targets)
        .arg("--failed-to")
        .arg(&failed_to)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("wps starts");
    let stdout = child.stdout.take().expect("piped stdout");
    // Far more than a pipe holds is written, so the run is still going when "head" exits.
    let head = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let lines: Vec<String> = std::io::BufReader::new(stdout)
            .lines()
            .take(2)
            .map(|l| l.expect("readable"))
            .collect();
        lines
    })
    .await
    .expect("join");
    assert_eq!(head.len(), 2);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wps ends"))
        .await
        .expect("join");
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "stderr: {err}");
    assert!(
        err.contains("warning: stdout was closed: the report stops here"),
        "{err}"
    );
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with(&format!("sent {n}, failed 0, not sent 0"))),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&failed_to).expect("--failed-to written"),
        ""
    );
    let got = next_json(&mut socket).await;
    assert_eq!(got["data"], "hi", "{got}");

    // A table is written at the end: stdout already closed then costs neither the summary
    // nor --failed-to.
    let mut cmd = world.wps();
    cmd.args(["send-user", "-u", "a", "-u", "b", "-u", "c", "--text", "hi"])
        .args(["-o", "table", "--failed-to"])
        .arg(&failed_to)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::fs::remove_file(&failed_to).expect("remove");
    let mut child = cmd.spawn().expect("wps starts");
    drop(child.stdout.take());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wps ends"))
        .await
        .expect("join");
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "stderr: {err}");
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("sent 3, failed 0, not sent 0")),
        "{err}"
    );
    assert!(failed_to.exists());
}

#[tokio::test]
async fn sigterm_is_handled_like_ctrl_c_and_exits_143() {
    let world = World::new().await;
    // Every request stays in flight until the test lets them go, after the signal.
    let server = FaultServer::start(|_, _| Reply::Held).await;
    let failed_to = world.dir.path().join("failed.txt");
    let users: Vec<String> = (0..50).map(|i| format!("u{i}")).collect();
    let mut cmd = crate::faults::wps_at(&world, &server.connection_string());
    cmd.args(["send-user", "--text", "hi", "-o", "json"])
        .args(["--concurrency", "3", "--failed-to"])
        .arg(&failed_to);
    for u in &users {
        cmd.args(["--user", u]);
    }
    let wps = Watched::spawn(cmd);
    hits_reach(&server, 3).await;
    wps.kill("TERM");
    wps.err
        .wait_for("terminated: starting no new requests; waiting for 3 in flight")
        .await;
    server.release();
    let out = wps.finish().await;
    let err = stderr(&out);
    assert_eq!(code(&out), 143, "stderr: {err}");
    assert!(
        err.contains("terminated: starting no new requests; waiting for 3 in flight"),
        "{err}"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), users.len(), "every target reported");
    let not_sent: HashSet<&str> = lines
        .iter()
        .filter(|l| l["outcome"] == "not-sent")
        .filter_map(|l| l["target"].as_str())
        .collect();
    assert_eq!(not_sent.len(), 47, "{lines:?}");
    assert_eq!(server.hits().len(), 3);
    let written = std::fs::read_to_string(&failed_to).expect("failed-to file");
    assert_eq!(written.lines().collect::<HashSet<&str>>(), not_sent);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("sent 3, failed 0, not sent 47")),
        "{err}"
    );
}
