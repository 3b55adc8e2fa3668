//! MQTT clients on the emulator, driven by a real MQTT library (rumqttc, 3.1.1 and 5.0 over
//! WebSocket): connect, topic = group, QoS 1, refusals, and interop with JSON clients and REST.

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use serde_json::json;
use tokio::sync::mpsc;
use wps::client::now_secs;

use crate::common::*;

const BOTH: &[&str] = &["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

fn mqtt_token(world: &World, hub: &str, user: Option<&str>, roles: &[&str]) -> String {
    let mut claims = json!({
        "aud": format!("http://{}/clients/mqtt/hubs/{hub}", world.emulator.addr()),
        "exp": now_secs() + 600,
        "role": roles,
    });
    if let Some(u) = user {
        claims["sub"] = json!(u);
    }
    world.sign_claims(&claims)
}

fn mqtt_url(world: &World, hub: &str, token: &str) -> String {
    format!(
        "ws://{}/clients/mqtt/hubs/{hub}?access_token={token}",
        world.emulator.addr()
    )
}

/// An MQTT 3.1.1 client and what its event loop receives (or the error that ended it).
struct V4 {
    client: rumqttc::AsyncClient,
    rx: mpsc::UnboundedReceiver<Result<rumqttc::Packet, String>>,
}

/// An MQTT 5.0 client.
struct V5 {
    client: rumqttc::v5::AsyncClient,
    rx: mpsc::UnboundedReceiver<Result<p5::Packet, String>>,
}

async fn first<T>(rx: &mut mpsc::UnboundedReceiver<Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the event loop reports within 5 s")
        .expect("event loop alive")
}

async fn v4(url: String, id: &str) -> Result<V4, String> {
    let mut opts = rumqttc::MqttOptions::new(id, url, 0);
    opts.set_transport(rumqttc::Transport::Ws);
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 16);
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(p)) => {
                    if tx.send(Ok(p)).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:?}")));
                    return;
                }
            }
        }
    });
    match first(&mut rx).await? {
        rumqttc::Packet::ConnAck(_) => Ok(V4 { client, rx }),
        other => Err(format!("expected CONNACK, got {other:?}")),
    }
}

async fn v5(url: String, id: &str) -> Result<V5, String> {
    let mut opts = rumqttc::v5::MqttOptions::new(id, url, 0);
    opts.set_transport(rumqttc::Transport::Ws);
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(opts, 16);
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::v5::Event::Incoming(p)) => {
                    if tx.send(Ok(p)).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:?}")));
                    return;
                }
            }
        }
    });
    match first(&mut rx).await? {
        p5::Packet::ConnAck(_) => Ok(V5 { client, rx }),
        other => Err(format!("expected CONNACK, got {other:?}")),
    }
}

impl V4 {
    async fn next(&mut self) -> rumqttc::Packet {
        loop {
            match first(&mut self.rx).await.expect("connection open") {
                rumqttc::Packet::PingResp => continue,
                p => return p,
            }
        }
    }

    async fn subscribe(&mut self, topic: &str) -> rumqttc::SubscribeReasonCode {
        self.client
            .subscribe(topic, rumqttc::QoS::AtLeastOnce)
            .await
            .expect("subscribe queued");
        match self.next().await {
            rumqttc::Packet::SubAck(ack) => ack.return_codes[0],
            other => panic!("expected SUBACK, got {other:?}"),
        }
    }

    /// The next message (acks of its own QoS 1 publishes skipped).
    async fn publish(&mut self) -> rumqttc::Publish {
        loop {
            match self.next().await {
                rumqttc::Packet::Publish(p) => return p,
                rumqttc::Packet::PubAck(_) => continue,
                other => panic!("expected PUBLISH, got {other:?}"),
            }
        }
    }
}

impl V5 {
    async fn next(&mut self) -> p5::Packet {
        loop {
            match first(&mut self.rx).await.expect("connection open") {
                p5::Packet::PingResp(_) => continue,
                p => return p,
            }
        }
    }

    async fn subscribe(&mut self, topic: &str) -> p5::SubscribeReasonCode {
        self.client
            .subscribe(topic, QoS5::AtLeastOnce)
            .await
            .expect("subscribe queued");
        match self.next().await {
            p5::Packet::SubAck(ack) => ack.return_codes[0],
            other => panic!("expected SUBACK, got {other:?}"),
        }
    }

    /// The next message (acks of its own QoS 1 publishes skipped).
    async fn publish(&mut self) -> p5::Publish {
        loop {
            match self.next().await {
                p5::Packet::Publish(p) => return p,
                p5::Packet::PubAck(_) => continue,
                other => panic!("expected PUBLISH, got {other:?}"),
            }
        }
    }

    /// Publishes at QoS 1 and returns the PUBACK.
    async fn publish_acked(&mut self, topic: &str, payload: &'static [u8]) -> p5::PubAck {
        self.client
            .publish(topic, QoS5::AtLeastOnce, false, payload)
            .await
            .expect("publish queued");
        loop {
            match self.next().await {
                p5::Packet::PubAck(ack) => return ack,
                // Its own message comes back when it is subscribed.
                p5::Packet::Publish(_) => continue,
                other => panic!("expected PUBACK, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn both_versions_connect_with_a_wps_token_and_talk_through_a_topic() {
    let world = World::new().await;
    // The URL `wps token --client-type mqtt` prints is the one MQTT clients use.
    let mut cmd = world.wps();
    cmd.args([
        "token",
        "--client-type",
        "mqtt",
        "-o",
        "json",
        "--user",
        "u4",
    ]);
    for r in BOTH {
        cmd.args(["--role", r]);
    }
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let url = v["url"].as_str().expect("url").to_string();
    assert!(
        url.contains("/clients/mqtt/hubs/chat?access_token="),
        "{url}"
    );

    let mut a = v4(url, "clientA").await.expect("3.1.1 connects");
    let token = mqtt_token(&world, "chat", Some("u5"), BOTH);
    let mut b = v5(mqtt_url(&world, "chat", &token), "clientB")
        .await
        .expect("5.0 connects");
    assert_eq!(
        a.subscribe("room").await,
        rumqttc::SubscribeReasonCode::Success(rumqttc::QoS::AtLeastOnce)
    );

    // QoS 1 from 5.0: PUBACK to the sender, the message to the subscriber.
    let ack = b.publish_acked("room", b"hello").await;
    assert_eq!(ack.reason, p5::PubAckReason::Success);
    let got = a.publish().await;
    assert_eq!(
        (got.topic.as_str(), &got.payload[..]),
        ("room", &b"hello"[..])
    );
    assert_eq!(got.qos, rumqttc::QoS::AtLeastOnce);

    // QoS 2 from 5.0: PUBREC, PUBREL, PUBCOMP, and one delivery (at the granted QoS 1).
    b.client
        .publish("room", QoS5::ExactlyOnce, false, &b"once"[..])
        .await
        .expect("publish queued");
    loop {
        match b.next().await {
            p5::Packet::PubComp(c) => {
                assert_eq!(c.reason, p5::PubCompReason::Success);
                break;
            }
            p5::Packet::PubRec(_) => continue,
            other => panic!("expected PUBREC/PUBCOMP, got {other:?}"),
        }
    }
    let got = a.publish().await;
    assert_eq!(&got.payload[..], b"once");
    assert_eq!(got.qos, rumqttc::QoS::AtLeastOnce);

    // And back, at QoS 0.
    assert_eq!(
        b.subscribe("back").await,
        p5::SubscribeReasonCode::Success(QoS5::AtLeastOnce)
    );
    a.client
        .publish("back", rumqttc::QoS::AtMostOnce, false, &b"hi"[..])
        .await
        .expect("publish queued");
    let got = b.publish().await;
    assert_eq!(
        (&got.topic[..], &got.payload[..]),
        (&b"back"[..], &b"hi"[..])
    );
    assert_eq!(got.qos, QoS5::AtMostOnce);

    // The client id is the connection id, for REST like any other connection.
    let resp = world
        .rest("HEAD", "/api/hubs/chat/connections/clientA", &[], None)
        .await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn bad_tokens_and_bad_client_ids_are_refused() {
    let world = World::new().await;
    // A token for the /client endpoint is not one for the MQTT endpoint.
    let wrong_aud = world.client_token("chat", None, &[], &[]);
    let err = v5(mqtt_url(&world, "chat", &wrong_aud), "c1")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("401"), "{err}");
    let err = v4(mqtt_url(&world, "chat", "not.a.token"), "c1")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("401"), "{err}");

    let token = mqtt_token(&world, "chat", None, &[]);
    let err = v5(mqtt_url(&world, "chat", &token), "bad-id")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("ClientIdentifierNotValid"), "{err}");
    let err = v4(mqtt_url(&world, "chat", &token), "bad-id")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("BadClientId"), "{err}");
}

#[tokio::test]
async fn unsupported_and_unauthorized_subscriptions_are_refused_with_reason_codes() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, &["webpubsub.joinLeaveGroup.mine"]);
    let mut c = v5(mqtt_url(&world, "chat", &token), "c5")
        .await
        .expect("connects");
    assert_eq!(
        c.subscribe("a/+").await,
        p5::SubscribeReasonCode::WildcardSubscriptionsNotSupported
    );
    assert_eq!(
        c.subscribe("#").await,
        p5::SubscribeReasonCode::WildcardSubscriptionsNotSupported
    );
    assert_eq!(
        c.subscribe("$share/g/t").await,
        p5::SubscribeReasonCode::SharedSubscriptionsNotSupported
    );
    assert_eq!(
        c.subscribe("theirs").await,
        p5::SubscribeReasonCode::NotAuthorized
    );
    assert_eq!(
        c.subscribe("mine").await,
        p5::SubscribeReasonCode::Success(QoS5::AtLeastOnce)
    );
    // No sendToGroup role: the PUBACK says so.
    let ack = c.publish_acked("mine", b"x").await;
    assert_eq!(ack.reason, p5::PubAckReason::NotAuthorized);

    let mut old = v4(mqtt_url(&world, "chat", &token), "c4")
        .await
        .expect("connects");
    assert_eq!(
        old.subscribe("a/#").await,
        rumqttc::SubscribeReasonCode::Failure
    );
}

#[tokio::test]
async fn mqtt_and_json_clients_share_a_group_each_in_its_own_framing() {
    let world = World::new().await;
    let (mut js, _) = world.connect_json("chat", Some("jsuser"), BOTH, &[]).await;
    send_json(
        &mut js,
        json!({"type": "joinGroup", "group": "room", "ackId": 1}),
    )
    .await;
    assert_eq!(next_json(&mut js).await["success"], true);

    let token = mqtt_token(&world, "chat", Some("mq"), BOTH);
    let mut m5 = v5(mqtt_url(&world, "chat", &token), "m5")
        .await
        .expect("connects");
    let mut m4 = v4(mqtt_url(&world, "chat", &token), "m4")
        .await
        .expect("connects");
    m5.subscribe("room").await;
    m4.subscribe("room").await;

    // MQTT 5 with a Content Type: text for the JSON client.
    let props = p5::PublishProperties {
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    m5.client
        .publish_with_properties("room", QoS5::AtLeastOnce, false, &b"from mqtt5"[..], props)
        .await
        .expect("publish queued");
    let msg = next_json(&mut js).await;
    assert_eq!(msg["from"], "group", "{msg}");
    assert_eq!(msg["group"], "room");
    assert_eq!(msg["fromUserId"], "mq");
    assert_eq!(msg["dataType"], "text");
    assert_eq!(msg["data"], "from mqtt5");
    let got = m4.publish().await;
    assert_eq!(&got.payload[..], b"from mqtt5");

    // MQTT 3.1.1 has no content type: binary (base64 in JSON).
    m4.client
        .publish("room", rumqttc::QoS::AtMostOnce, false, &b"raw"[..])
        .await
        .expect("publish queued");
    let msg = next_json(&mut js).await;
    assert_eq!(msg["dataType"], "binary", "{msg}");
    assert_eq!(msg["data"], "cmF3");

    // A JSON client's json message reaches MQTT 5 with its content type.
    send_json(
        &mut js,
        json!({"type": "sendToGroup", "group": "room", "dataType": "json", "data": {"n": 1}, "noEcho": true}),
    )
    .await;
    let got = loop {
        let p = m5.publish().await;
        if &p.payload[..] == br#"{"n":1}"# {
            break p;
        }
    };
    let ct = got.properties.and_then(|p| p.content_type);
    assert_eq!(ct.as_deref(), Some("application/json"));
    let got = loop {
        let p = m4.publish().await;
        if &p.payload[..] == br#"{"n":1}"# {
            break p;
        }
    };
    assert_eq!(got.topic, "room");
}

#[tokio::test]
async fn rest_sends_arrive_on_the_server_topic() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", Some("alice"), &[]);
    let mut m5 = v5(mqtt_url(&world, "chat", &token), "alice5")
        .await
        .expect("connects");
    let mut m4 = v4(mqtt_url(&world, "chat", &token), "alice4")
        .await
        .expect("connects");

    let mut cmd = world.wps();
    cmd.args(["send-user", "--user", "alice", "--text", "for alice"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = m5.publish().await;
    assert_eq!(&got.topic[..], b"$webpubsub/server/messages");
    assert_eq!(&got.payload[..], b"for alice");
    assert_eq!(got.qos, QoS5::AtLeastOnce);
    let ct = got.properties.and_then(|p| p.content_type);
    assert_eq!(ct.as_deref(), Some("text/plain"));
    let got = m4.publish().await;
    assert_eq!(got.topic, "$webpubsub/server/messages");
    assert_eq!(&got.payload[..], b"for alice");

    // REST group membership and close treat MQTT connections like any other.
    let resp = world
        .rest(
            "PUT",
            "/api/hubs/chat/groups/news/connections/alice4",
            &[],
            None,
        )
        .await;
    assert_eq!(resp.status, 200);
    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", "news", "--text", "headline"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = m4.publish().await;
    assert_eq!(
        (got.topic.as_str(), &got.payload[..]),
        ("news", &b"headline"[..])
    );

    let resp = world
        .rest("DELETE", "/api/hubs/chat/connections/alice5", &[], None)
        .await;
    assert!((200..300).contains(&resp.status), "{}", resp.status);
    // The 5.0 client hears why (DISCONNECT 0x98), then the connection ends.
    let err = loop {
        if let Err(e) = first(&mut m5.rx).await {
            break e;
        }
    };
    assert!(err.contains("ServerDisconnect"), "{err}");
    assert!(err.contains("AdministrativeAction"), "{err}");
}
