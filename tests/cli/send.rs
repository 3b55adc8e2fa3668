use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

#[tokio::test]
async fn send_all_text_reaches_a_plain_websocket_client() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let out = run({
        let mut c = world.wps();
        c.args(["send-all", "--text", "hello"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        result,
        serde_json::json!({"operation":"send-all","hub":"chat","target":null,"status":202,"ok":true})
    );
    assert_eq!(next_frame(&mut client).await, Message::Text("hello".into()));
}

#[tokio::test]
async fn send_all_reaches_only_its_hub_and_json_clients_get_envelopes() {
    let world = World::new().await;
    let mut other_hub = world.connect("other", None, &[], &[], None).await;
    let (mut json_client, _) = world.connect_json("chat", Some("u1"), &[], &[]).await;
    let out = run({
        let mut c = world.wps();
        c.args(["send-all", "--json", r#"{"a":1}"#]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let msg = next_json(&mut json_client).await;
    assert_eq!(
        msg,
        serde_json::json!({"type":"message","from":"server","dataType":"json","data":{"a":1}})
    );
    assert_nothing_before_sentinel(&world, "other", &mut [&mut other_hub]).await;
}

#[tokio::test]
async fn stdin_bytes_arrive_identical_in_a_binary_frame() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let every_byte: Vec<u8> = (0..=255u8).collect();
    let out = run_with_stdin(
        {
            let mut c = world.wps();
            c.args(["send-all"]);
            c
        },
        every_byte.clone(),
    )
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        next_frame(&mut client).await,
        Message::Binary(every_byte.into())
    );
}

#[tokio::test]
async fn wrong_key_is_refused_with_exit_4_and_no_secret_printed() {
    let world = World::new().await;
    let wrong = "Z".repeat(44);
    let cs = world
        .connection_string()
        .replace(wps::emulator::DEFAULT_ACCESS_KEY, &wrong);
    let out = run({
        let mut c = world.wps();
        c.env("WPS_CONNECTION_STRING", &cs)
            .args(["send-all", "--text", "hi", "-vv"]);
        c
    })
    .await;
    assert_eq!(code(&out), 4, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains(&wrong) && !stdout(&out).contains(&wrong));
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
}

#[tokio::test]
async fn missing_connection_is_exit_3() {
    let world = World::new().await;
    let out = run({
        let mut c = world.bare_wps();
        c.args(["send-all", "--hub", "chat", "--text", "hi"]);
        c
    })
    .await;
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    assert!(stderr(&out).starts_with("error: no connection configured"));
}
