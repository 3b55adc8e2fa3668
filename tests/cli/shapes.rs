//! The JSON shapes docs/output.md documents, held by snapshots: a change to any of them shows up here.
//! Connection ids, ports and tokens vary per run and are replaced by placeholders.

use crate::common::*;

/// Runs `wps <args>` (JSON output) and returns stdout with the run's variable parts replaced.
async fn shape(world: &World, args: &[&str], ids: &[(&str, &str)]) -> String {
    let mut c = world.wps();
    c.args(args);
    let out = run(c).await;
    assert!(
        matches!(code(&out), 0 | 1),
        "{args:?}: exit {}: {}",
        code(&out),
        stderr(&out)
    );
    let mut text = stdout(&out).replace(&world.emulator.addr().to_string(), "HOST:PORT");
    for (id, name) in ids {
        text = text.replace(id, name);
    }
    text
}

#[tokio::test]
async fn json_output_shapes() {
    let world = World::new().await;
    let (_alice, alice_id) = world
        .connect_json("chat", Some("alice"), &[], &["g1"])
        .await;
    let (_bob, bob_id) = world.connect_json("chat", Some("bob"), &[], &[]).await;
    let ids = [
        (alice_id.as_str(), "CONN_ALICE"),
        (bob_id.as_str(), "CONN_BOB"),
    ];
    let mut all = String::new();
    for args in [
        &["send-all", "--text", "hi"][..],
        &[
            "send-group",
            "--group",
            "g1",
            "--group",
            "g2",
            "--json",
            "{}",
        ],
        &["send-user", "--user", "alice", "--text", "hi"],
        &["send-connection", "--connection", &bob_id, "--text", "hi"],
        &["add-to-group", "--group", "g2", "--connection", &bob_id],
        &["add-to-group", "--group", "g3", "--user", "alice"],
        &[
            "add-to-group",
            "--group",
            "g4",
            "--group",
            "g5",
            "--connection",
            &bob_id,
        ],
        &["remove-from-group", "--group", "g3", "--user", "alice"],
        &[
            "grant",
            "--connection",
            &bob_id,
            "--permission",
            "send-to-group",
            "--group",
            "g1",
        ],
        &[
            "check",
            "--connection",
            &bob_id,
            "--permission",
            "send-to-group",
            "--group",
            "g1",
        ],
        &[
            "revoke",
            "--connection",
            &bob_id,
            "--permission",
            "send-to-group",
            "--group",
            "g1",
        ],
        &["exists", "--user", "alice"],
        &["exists", "--group", "nobody-here"],
        &["list-connections", "--group", "g2"],
        &["api", "HEAD", "/api/hubs/chat/users/alice"],
        &["send-all", "--dry-run", "--text", "preview"],
        &["close", "--connection", &bob_id, "--reason", "bye"],
    ] {
        let shown = args
            .join(" ")
            .replace(&alice_id, "CONN_ALICE")
            .replace(&bob_id, "CONN_BOB");
        all.push_str(&format!("$ wps {shown}\n"));
        all.push_str(&shape(&world, args, &ids).await);
    }
    insta::assert_snapshot!(all);
}
