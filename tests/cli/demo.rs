use crate::common::*;

#[tokio::test]
async fn demo_delivers_every_message_and_says_so() {
    let world = World::new().await;
    let out = run({
        let mut c = world.bare_wps();
        c.args(["demo", "-o", "json"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 9, "{}", stdout(&out));
    for target in ["all", "group", "user"] {
        for data_type in ["text", "json", "binary"] {
            assert!(
                lines.iter().any(|l| l["target"] == target
                    && l["dataType"] == data_type
                    && l["delivered"] == true),
                "{target}/{data_type} missing in {lines:?}"
            );
        }
    }
}
