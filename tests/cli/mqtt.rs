//! MQTT clients on the emulator, driven by a real MQTT library (rumqttc, 3.1.1 and 5.0 over
//! WebSocket): connect, topic = group, QoS 1, refusals, and interop with JSON clients and REST.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use wps::client::now_secs;
use wps::emulator::{EmulatorConfig, EventHandlerConfig};

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
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("the event loop reports")
        .expect("event loop alive")
}

async fn v4(url: String, id: &str) -> Result<V4, String> {
    v4_with(url, id, |_| {}).await.map(|(c, _)| c)
}

/// A 3.1.1 client with options of its own, and its CONNACK.
async fn v4_with(
    url: String,
    id: &str,
    configure: impl FnOnce(&mut rumqttc::MqttOptions),
) -> Result<(V4, rumqttc::ConnAck), String> {
    let mut opts = rumqttc::MqttOptions::new(id, url, 0);
    opts.set_transport(rumqttc::Transport::Ws);
    opts.set_keep_alive(Duration::from_secs(30));
    configure(&mut opts);
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
        rumqttc::Packet::ConnAck(ack) => Ok((V4 { client, rx }, ack)),
        other => Err(format!("expected CONNACK, got {other:?}")),
    }
}

async fn v5(url: String, id: &str) -> Result<V5, String> {
    v5_with(url, id, |_| {}).await.map(|(c, _)| c)
}

/// A 5.0 client with options of its own, and its CONNACK.
async fn v5_with(
    url: String,
    id: &str,
    configure: impl FnOnce(&mut rumqttc::v5::MqttOptions),
) -> Result<(V5, p5::ConnAck), String> {
    let mut opts = rumqttc::v5::MqttOptions::new(id, url, 0);
    opts.set_transport(rumqttc::Transport::Ws);
    opts.set_keep_alive(Duration::from_secs(30));
    configure(&mut opts);
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
        p5::Packet::ConnAck(ack) => Ok((V5 { client, rx }, ack)),
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

// --- event handlers ---------------------------------------------------------------------------

/// One request an event handler got.
#[derive(Debug, Clone)]
struct Heard {
    headers: axum::http::HeaderMap,
    body: serde_json::Value,
    raw: bytes::Bytes,
}

impl Heard {
    fn ce(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Reply = (u16, serde_json::Value);

/// A handler's answer to a user event: status, headers, body; None: no answer, ever.
type UserReply = Option<(u16, Vec<(&'static str, String)>, Vec<u8>)>;

/// A handler on 127.0.0.1 that passes validation, records every event and answers `connect`
/// with `on_connect` (others: 200).
struct Handler {
    addr: std::net::SocketAddr,
    heard: Arc<Mutex<Vec<Heard>>>,
}

impl Handler {
    async fn start(on_connect: impl Fn(&Heard) -> Reply + Send + Sync + 'static) -> Handler {
        Handler::start_with(on_connect, |_| Some((200, Vec::new(), Vec::new()))).await
    }

    /// A handler that answers user events with `on_user`.
    async fn start_with(
        on_connect: impl Fn(&Heard) -> Reply + Send + Sync + 'static,
        on_user: impl Fn(&Heard) -> UserReply + Send + Sync + 'static,
    ) -> Handler {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = heard.clone();
        let on_connect = Arc::new(on_connect);
        let on_user = Arc::new(on_user);
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (log, on_connect, on_user) = (log.clone(), on_connect.clone(), on_user.clone());
            async move {
                let (parts, body) = req.into_parts();
                if parts.method == axum::http::Method::OPTIONS {
                    return axum::response::Response::builder()
                        .header("WebHook-Allowed-Origin", "*")
                        .body(axum::body::Body::empty())
                        .expect("response");
                }
                let body = axum::body::to_bytes(body, 1 << 20).await.expect("body");
                let heard = Heard {
                    headers: parts.headers,
                    body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                    raw: body,
                };
                let user_event = heard
                    .ce("ce-type")
                    .is_some_and(|t| t.starts_with("azure.webpubsub.user."));
                if user_event {
                    let answer = on_user(&heard);
                    log.lock().expect("log").push(heard);
                    let Some((status, headers, body)) = answer else {
                        return std::future::pending().await;
                    };
                    let mut reply = axum::response::Response::builder().status(status);
                    for (name, value) in headers {
                        reply = reply.header(name, value);
                    }
                    return reply.body(axum::body::Body::from(body)).expect("response");
                }
                let (status, reply) = if heard.ce("ce-eventname") == Some("connect") {
                    on_connect(&heard)
                } else {
                    (200, serde_json::Value::Null)
                };
                log.lock().expect("log").push(heard);
                let body = if reply.is_null() {
                    String::new()
                } else {
                    reply.to_string()
                };
                axum::response::Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body))
                    .expect("response")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Handler { addr, heard }
    }

    /// A world whose hub `chat` sends its events here.
    async fn world(&self) -> World {
        World::with_config(EmulatorConfig {
            event_handlers: EventHandlerConfig {
                flags: vec![format!("chat=http://{}/api/{{event}}", self.addr)],
                timeout: Duration::from_secs(5),
                retry_base: Duration::from_millis(1),
                ..EventHandlerConfig::default()
            },
            ..EmulatorConfig::default()
        })
        .await
    }

    fn events(&self, client: &str, event: &str) -> Vec<Heard> {
        self.heard
            .lock()
            .expect("log")
            .iter()
            .filter(|h| {
                h.ce("ce-connectionid") == Some(client) && h.ce("ce-eventname") == Some(event)
            })
            .cloned()
            .collect()
    }

    /// The first `event` of `client`, waiting up to `PATIENCE` for it.
    async fn event(&self, client: &str, event: &str) -> Heard {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(h) = self.events(client, event).into_iter().next() {
                return h;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {event} event for {client}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn event_handlers_hear_connect_connected_and_disconnected_with_the_mqtt_extension() {
    let handler = Handler::start(|_| {
        (
            200,
            json!({
                "userId": "fromHandler",
                "groups": ["lobby"],
                "roles": BOTH,
                "mqtt": {"userProperties": [{"name": "welcome", "value": "yes"}]}
            }),
        )
    })
    .await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", Some("tokenUser"), &[]);
    let (mut c5, ack) = v5_with(mqtt_url(&world, "chat", &token), "ev5", |o| {
        o.set_credentials("name", "secret");
        o.set_user_properties(vec![("p".into(), "q".into())]);
    })
    .await
    .expect("5.0 connects");
    // The reply's user properties come back in the CONNACK, with Session Present 0.
    assert!(!ack.session_present);
    let props = ack.properties.expect("CONNACK properties");
    assert_eq!(
        props.user_properties,
        vec![("welcome".to_string(), "yes".to_string())]
    );

    let connect = handler.event("ev5", "connect").await;
    assert_eq!(connect.ce("ce-type"), Some("azure.webpubsub.sys.connect"));
    assert_eq!(connect.ce("ce-subprotocol"), Some("mqtt"));
    assert_eq!(connect.ce("ce-userid"), Some("tokenUser"));
    let physical = connect
        .ce("ce-physicalconnectionid")
        .expect("ce-physicalConnectionId")
        .to_string();
    assert_eq!(
        connect.ce("ce-source"),
        Some(format!("/hubs/chat/client/ev5/{physical}").as_str())
    );
    assert!(
        connect.ce("ce-sessionid").is_none(),
        "connect has no session"
    );
    let mqtt = &connect.body["mqtt"];
    assert_eq!(mqtt["protocolVersion"], 5, "{}", connect.body);
    assert_eq!(mqtt["cleanStart"], true);
    assert_eq!(mqtt["username"], "name");
    assert_eq!(mqtt["password"], "c2VjcmV0"); // base64("secret")
    assert_eq!(mqtt["userProperties"], json!([{"name": "p", "value": "q"}]));
    assert_eq!(connect.body["subprotocols"], json!(["mqtt"]));
    assert_eq!(connect.body["claims"]["sub"], json!(["tokenUser"]));
    assert!(connect.body["query"].get("access_token").is_none());

    let connected = handler.event("ev5", "connected").await;
    assert_eq!(connected.ce("ce-userid"), Some("fromHandler"));
    assert_eq!(
        connected.ce("ce-physicalconnectionid"),
        Some(physical.as_str())
    );
    let session = connected
        .ce("ce-sessionid")
        .expect("ce-sessionId")
        .to_string();
    assert_eq!(connected.body, json!({}));

    // The reply's groups and roles hold: in "lobby" already, and allowed to send there.
    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", "lobby", "--text", "hi lobby"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = c5.publish().await;
    assert_eq!(
        (&got.topic[..], &got.payload[..]),
        (&b"lobby"[..], &b"hi lobby"[..])
    );
    assert_eq!(
        c5.publish_acked("lobby", b"me too").await.reason,
        p5::PubAckReason::Success
    );

    // A DISCONNECT from the client: said so in `disconnected`.
    c5.client.disconnect().await.expect("disconnect queued");
    let gone = handler.event("ev5", "disconnected").await;
    assert_eq!(gone.ce("ce-sessionid"), Some(session.as_str()));
    assert_eq!(gone.ce("ce-userid"), Some("fromHandler"));
    assert_eq!(
        gone.body,
        json!({
            "reason": null,
            "mqtt": {
                "initiatedByClient": true,
                "disconnectPacket": {"code": 0, "userProperties": []}
            }
        })
    );

    // 3.1.1: protocol version 4, no user properties; a server-side close has no packet.
    let (_c4, _) = v4_with(mqtt_url(&world, "chat", &token), "ev4", |o| {
        o.set_clean_session(true);
    })
    .await
    .expect("3.1.1 connects");
    let connect = handler.event("ev4", "connect").await;
    assert_eq!(connect.body["mqtt"]["protocolVersion"], 4);
    assert_eq!(connect.body["mqtt"]["username"], serde_json::Value::Null);
    assert_eq!(
        connect.body["mqtt"]["userProperties"],
        serde_json::Value::Null
    );
    handler.event("ev4", "connected").await;
    let resp = world
        .rest("DELETE", "/api/hubs/chat/connections/ev4", &[], None)
        .await;
    assert!((200..300).contains(&resp.status), "{}", resp.status);
    let gone = handler.event("ev4", "disconnected").await;
    assert_eq!(
        gone.body["mqtt"]["initiatedByClient"], false,
        "{}",
        gone.body
    );
    assert_eq!(
        gone.body["mqtt"]["disconnectPacket"],
        serde_json::Value::Null
    );
    assert!(gone.body["reason"].is_string(), "{}", gone.body);
}

#[tokio::test]
async fn a_refusing_connect_handler_sets_the_connack_code() {
    let handler = Handler::start(|h| {
        if h.ce("ce-connectionid") == Some("sentinel") {
            (204, serde_json::Value::Null)
        } else if h.body["mqtt"]["protocolVersion"] == 5 {
            (
                403,
                json!({"mqtt": {"code": 138, "reason": "banned by server"}}),
            )
        } else {
            // No mqtt body: the status decides (401: not authorized).
            (401, serde_json::Value::Null)
        }
    })
    .await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let err = v5(mqtt_url(&world, "chat", &token), "no5")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("Banned"), "{err}");
    let err = v4(mqtt_url(&world, "chat", &token), "no4")
        .await
        .err()
        .expect("refused");
    assert!(err.contains("NotAuthorized"), "{err}");
    handler.event("no5", "connect").await;
    handler.event("no4", "connect").await;
    // Refused clients never become connections: a client accepted after them is heard of as
    // connected, and they are not (a `connected` of theirs would have been set off before it).
    let _sentinel = v5(mqtt_url(&world, "chat", &token), "sentinel")
        .await
        .expect("accepted");
    handler.event("sentinel", "connected").await;
    assert!(handler.events("no5", "connected").is_empty());
    assert!(handler.events("no4", "disconnected").is_empty());
    let resp = world
        .rest("HEAD", "/api/hubs/chat/connections/no5", &[], None)
        .await;
    assert_eq!(resp.status, 404);
}

// --- raw MQTT over WebSocket ----------------------------------------------------------------

/// A CONNECT (3.1.1) with a keep-alive and maybe a will.
fn connect_v4(id: &str, keep_alive: u16, will: Option<(&str, &str)>) -> Vec<u8> {
    use rumqttc::mqttbytes::v4;
    let mut c = v4::Connect::new(id);
    c.keep_alive = keep_alive;
    c.last_will = will.map(|(topic, message)| {
        v4::LastWill::new(topic, message, rumqttc::mqttbytes::QoS::AtMostOnce, false)
    });
    let mut out = bytes::BytesMut::new();
    v4::Packet::Connect(c)
        .write(&mut out, 1 << 20)
        .expect("CONNECT");
    out.to_vec()
}

/// A WebSocket with subprotocol `mqtt`, the token in the query or an Authorization header.
async fn raw(world: &World, token: &str, in_header: bool) -> Result<Socket, String> {
    let bearer = format!("Bearer {token}");
    let (path, headers) = if in_header {
        (
            "/clients/mqtt/hubs/chat".to_string(),
            vec![
                ("Sec-WebSocket-Protocol", "mqtt"),
                ("Authorization", bearer.as_str()),
            ],
        )
    } else {
        (
            format!("/clients/mqtt/hubs/chat?access_token={token}"),
            vec![("Sec-WebSocket-Protocol", "mqtt")],
        )
    };
    world
        .try_connect_url(&path, &headers)
        .await
        .map(|(s, _)| s)
        .map_err(|e| e.to_string())
}

/// The next binary frame, or None once the connection closes.
async fn raw_next(socket: &mut Socket) -> Option<Vec<u8>> {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => return Some(b.to_vec()),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("nothing from the server within {PATIENCE:?}"),
        }
    }
}

#[tokio::test]
async fn a_token_in_the_authorization_header_works_and_a_bad_one_does_not() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let mut s = raw(&world, &token, true).await.expect("upgrade");
    s.send(Message::Binary(connect_v4("hdr", 30, None).into()))
        .await
        .expect("CONNECT");
    // CONNACK, accepted: 0x20 0x02 0x00 0x00.
    let ack = raw_next(&mut s).await.expect("CONNACK");
    assert_eq!(ack, vec![0x20, 0x02, 0x00, 0x00]);

    let err = raw(&world, "not.a.token", true).await.expect_err("refused");
    assert!(err.contains("401"), "{err}");
    let other_hub = mqtt_token(&world, "elsewhere", None, &[]);
    let err = raw(&world, &other_hub, true).await.expect_err("refused");
    assert!(err.contains("401"), "{err}");
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_one_and_a_half_keep_alives() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let mut s = raw(&world, &token, false).await.expect("upgrade");
    // Timed from before the CONNECT, which the server's clock cannot start before: a lower
    // bound, which no machine can break while the emulator is right.
    let started = tokio::time::Instant::now();
    s.send(Message::Binary(connect_v4("quiet", 1, None).into()))
        .await
        .expect("CONNECT");
    raw_next(&mut s).await.expect("CONNACK");
    // No PINGREQ: closed after 1.5 s (3.1.1 has no DISCONNECT from a server).
    assert!(raw_next(&mut s).await.is_none());
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(1500),
        "closed after {after:?}"
    );
    // Gone from the hub once the close handshake is over.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let resp = world
            .rest("HEAD", "/api/hubs/chat/connections/quiet", &[], None)
            .await;
        if resp.status == 404 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // One that pings stays.
    let mut s = raw(&world, &token, false).await.expect("upgrade");
    s.send(Message::Binary(connect_v4("pinger", 1, None).into()))
        .await
        .expect("CONNECT");
    let started = tokio::time::Instant::now();
    raw_next(&mut s).await.expect("CONNACK");
    // A ping every 100 ms for twice the 1.5 s it would have had without them.
    while started.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.send(Message::Binary(vec![0xC0, 0x00].into()))
            .await
            .expect("PINGREQ");
        let pong = raw_next(&mut s).await.expect("PINGRESP");
        assert_eq!(pong, vec![0xD0, 0x00]);
    }
}

#[tokio::test]
async fn a_will_is_published_when_a_client_drops_and_not_after_disconnect() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let mut watcher = v5(mqtt_url(&world, "chat", &token), "watcher")
        .await
        .expect("connects");
    watcher.subscribe("wills").await;

    let mut s = raw(&world, &token, false).await.expect("upgrade");
    s.send(Message::Binary(
        connect_v4("dying", 30, Some(("wills", "dying is gone"))).into(),
    ))
    .await
    .expect("CONNECT");
    raw_next(&mut s).await.expect("CONNACK");
    drop(s); // no DISCONNECT
    let got = watcher.publish().await;
    assert_eq!(
        (&got.topic[..], &got.payload[..]),
        (&b"wills"[..], &b"dying is gone"[..])
    );

    // A client that says DISCONNECT leaves no will.
    let mut s = raw(&world, &token, false).await.expect("upgrade");
    s.send(Message::Binary(
        connect_v4("polite", 30, Some(("wills", "polite is gone"))).into(),
    ))
    .await
    .expect("CONNECT");
    raw_next(&mut s).await.expect("CONNACK");
    s.send(Message::Binary(vec![0xE0, 0x00].into()))
        .await
        .expect("DISCONNECT");
    assert!(raw_next(&mut s).await.is_none());
    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", "wills", "--text", "marker"]);
    assert_eq!(code(&run(cmd).await), 0);
    let got = watcher.publish().await;
    assert_eq!(&got.payload[..], b"marker", "no will before the marker");
}

#[tokio::test]
async fn a_second_connection_with_the_same_client_id_takes_over() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let mut first_one = v5(mqtt_url(&world, "chat", &token), "twin")
        .await
        .expect("connects");
    let mut second = v5(mqtt_url(&world, "chat", &token), "twin")
        .await
        .expect("connects");
    let err = loop {
        if let Err(e) = first(&mut first_one.rx).await {
            break e;
        }
    };
    assert!(err.contains("SessionTakenOver"), "{err}");
    // The id is the new connection's.
    second.subscribe("t").await;
    let mut cmd = world.wps();
    cmd.args([
        "send-connection",
        "--connection",
        "twin",
        "--text",
        "to twin",
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = second.publish().await;
    assert_eq!(&got.payload[..], b"to twin");
}

#[tokio::test]
async fn a_session_outlives_its_connection_when_asked_and_resumes_with_session_present() {
    let handler = Handler::start(|_| (204, serde_json::Value::Null)).await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let url = mqtt_url(&world, "chat", &token);
    let keep = |o: &mut rumqttc::v5::MqttOptions| {
        o.set_clean_start(false);
        o.set_session_expiry_interval(Some(3600));
    };
    let (mut c, ack) = v5_with(url.clone(), "keeper", keep)
        .await
        .expect("connects");
    assert!(!ack.session_present);
    // Kept for at most 30 s, and the CONNACK says so.
    let props = ack.properties.expect("properties");
    assert_eq!(props.session_expiry_interval, Some(30));
    c.subscribe("room").await;
    c.client.disconnect().await.expect("disconnect queued");
    loop {
        if first(&mut c.rx).await.is_err() {
            break;
        }
    }
    // Away, but still in the group: the message waits.
    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", "room", "--text", "while away"]);
    assert_eq!(code(&run(cmd).await), 0);
    let (mut back, ack) = v5_with(url.clone(), "keeper", keep)
        .await
        .expect("reconnects");
    assert!(ack.session_present, "the session is resumed");
    let got = back.publish().await;
    assert_eq!(
        (&got.topic[..], &got.payload[..]),
        (&b"room"[..], &b"while away"[..])
    );
    // One session: one connected, no disconnected yet; two connects (one per physical
    // connection), with different physical ids.
    assert_eq!(handler.events("keeper", "connected").len(), 1);
    assert!(handler.events("keeper", "disconnected").is_empty());
    let connects = handler.events("keeper", "connect");
    assert_eq!(connects.len(), 2);
    assert_ne!(
        connects[0].ce("ce-physicalconnectionid"),
        connects[1].ce("ce-physicalconnectionid")
    );
    assert_eq!(connects[1].body["mqtt"]["cleanStart"], false);

    // Clean Start 1 discards it: Session Present 0, the old session's end is reported.
    back.client.disconnect().await.expect("disconnect queued");
    loop {
        if first(&mut back.rx).await.is_err() {
            break;
        }
    }
    let (_fresh, ack) = v5_with(url.clone(), "keeper", |o| {
        o.set_clean_start(true);
    })
    .await
    .expect("connects");
    assert!(!ack.session_present);
    handler.event("keeper", "disconnected").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while handler.events("keeper", "connected").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A 3.1.1 client with Clean Session 1 keeps nothing.
    let (c4, ack) = v4_with(url.clone(), "plain4", |o| {
        o.set_clean_session(true);
    })
    .await
    .expect("connects");
    assert!(!ack.session_present);
    drop(c4);
}

/// A CONNECT (5.0), clean start, no will.
fn connect_v5(id: &str) -> Vec<u8> {
    let c = p5::Connect {
        keep_alive: 30,
        client_id: id.to_string(),
        clean_start: true,
        properties: None,
    };
    let mut out = bytes::BytesMut::new();
    p5::Packet::Connect(c, None, None)
        .write(&mut out, None)
        .expect("CONNECT");
    out.to_vec()
}

/// A QoS 1 PUBLISH (packet id 1) to `topic`, written as is: the codec checks nothing.
fn publish_raw(v5: bool, topic: &str, payload: &'static [u8]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    if v5 {
        let mut p = p5::Publish::new(topic, QoS5::AtLeastOnce, payload, None);
        p.pkid = 1;
        p5::Packet::Publish(p)
            .write(&mut out, None)
            .expect("PUBLISH");
    } else {
        use rumqttc::mqttbytes::v4;
        let mut p = v4::Publish::new(topic, rumqttc::mqttbytes::QoS::AtLeastOnce, payload);
        p.pkid = 1;
        v4::Packet::Publish(p)
            .write(&mut out, 1 << 20)
            .expect("PUBLISH");
    }
    out.to_vec()
}

/// A PUBLISH whose topic name has a wildcard (MQTT-3.3.2-2) or U+0000 (MQTT-1.5.3-2) is a
/// protocol violation: 5.0 gets DISCONNECT 0x90 (Topic Name invalid), then the close; 3.1.1
/// the close alone; neither a PUBACK, and the message reaches nobody in the group of that
/// name (a sentinel published afterwards is the first thing that group's member gets).
#[tokio::test]
async fn a_publish_to_a_wildcard_or_nul_topic_closes_the_connection_and_reaches_no_one() {
    let world = World::new().await;
    let (mut member, _) = world
        .connect_json("chat", None, &[], &["a/+", "a/#", "t\u{0}x", "sentinel"])
        .await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    for v5 in [false, true] {
        for topic in ["a/+", "a/#", "t\u{0}x"] {
            let shown = format!("{} {topic:?}", if v5 { "5.0" } else { "3.1.1" });
            let mut s = raw(&world, &token, false).await.expect("upgrade");
            let connect = if v5 {
                connect_v5("badpub")
            } else {
                connect_v4("badpub", 30, None)
            };
            s.send(Message::Binary(connect.into()))
                .await
                .expect("CONNECT");
            let ack = raw_next(&mut s).await.expect("CONNACK");
            // CONNACK, accepted (3.1.1: return code 0; 5.0: reason code 0).
            assert_eq!((ack[0], ack[3]), (0x20, 0x00), "{shown}: {ack:?}");
            s.send(Message::Binary(
                publish_raw(v5, topic, b"must not arrive").into(),
            ))
            .await
            .expect("PUBLISH");
            if v5 {
                let bye = raw_next(&mut s)
                    .await
                    .unwrap_or_else(|| panic!("{shown}: closed without a DISCONNECT"));
                // DISCONNECT, then its reason code: 0x90 Topic Name invalid.
                assert_eq!((bye[0], bye[2]), (0xE0, 0x90), "{shown}: {bye:?}");
            }
            assert_eq!(
                raw_next(&mut s).await,
                None,
                "{shown}: the connection must close"
            );
        }
    }
    let mut sender = v5(mqtt_url(&world, "chat", &token), "sentinelsender")
        .await
        .expect("connects");
    let ack = sender.publish_acked("sentinel", b"sentinel").await;
    assert_eq!(ack.reason, p5::PubAckReason::Success);
    let got = next_json(&mut member).await;
    assert_eq!(got["group"], "sentinel", "{got}");
    // No content type: binary, base64 in JSON.
    assert_eq!(got["data"], "c2VudGluZWw=", "{got}");
}

/// A CONNECT (`v5`: 5.0, else 3.1.1) with user name `user` and a password of any bytes: the
/// codec writes a string password, so a placeholder of the same length is overwritten.
fn connect_with_password(v5: bool, id: &str, password: &[u8]) -> Vec<u8> {
    let placeholder = "P".repeat(password.len());
    let mut out = bytes::BytesMut::new();
    if v5 {
        let c = p5::Connect {
            keep_alive: 30,
            client_id: id.to_string(),
            clean_start: true,
            properties: None,
        };
        p5::Packet::Connect(c, None, Some(p5::Login::new("user", placeholder)))
            .write(&mut out, None)
            .expect("CONNECT");
    } else {
        use rumqttc::mqttbytes::v4;
        let mut c = v4::Connect::new(id);
        c.set_login("user", placeholder);
        v4::Packet::Connect(c)
            .write(&mut out, 1 << 20)
            .expect("CONNECT");
    }
    let at = out.len() - password.len();
    out[at..].copy_from_slice(password);
    out.to_vec()
}

/// The CONNECT password is Binary Data: bytes that are no UTF-8 are accepted and reach the
/// `connect` event in base64, exactly (the token stays in the URL or header, as the service
/// takes it).
#[tokio::test]
async fn a_binary_password_is_accepted_and_reaches_the_connect_event_in_base64() {
    let handler = Handler::start(|_| (204, serde_json::Value::Null)).await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let password: &[u8] = b"\xff\x00\xfe\x80not utf-8";
    for (v5, id) in [(false, "bin4"), (true, "bin5")] {
        let mut s = raw(&world, &token, false).await.expect("upgrade");
        s.send(Message::Binary(
            connect_with_password(v5, id, password).into(),
        ))
        .await
        .expect("CONNECT");
        let ack = raw_next(&mut s).await.expect("CONNACK");
        assert_eq!((ack[0], ack[3]), (0x20, 0x00), "{id}: accepted: {ack:?}");
        let connect = handler.event(id, "connect").await;
        assert_eq!(connect.body["mqtt"]["username"], "user");
        // base64 of ff 00 fe 80 "not utf-8"
        assert_eq!(
            connect.body["mqtt"]["password"], "/wD+gG5vdCB1dGYtOA==",
            "{id}: {}",
            connect.body
        );
    }
}

// --- sessions: resent messages, will delay ---------------------------------------------------

/// A packet a raw client read, in the terms these tests check.
#[derive(Debug)]
#[allow(dead_code)] // the fields are read through Debug, in failure messages
enum Pkt {
    ConnAck { present: bool, code: u8 },
    SubAck,
    PubAck(u16),
    Publish(p5::Publish),
    Disconnect(u8),
    Other(String),
}

/// An MQTT client written by hand over a WebSocket, reading with the codec: DUP flags, packet
/// ids and unacknowledged messages are the test's to see and choose.
struct RawMqtt {
    socket: Socket,
    v5: bool,
    buf: bytes::BytesMut,
}

/// What a raw CONNECT asks for.
#[derive(Default, Clone)]
struct RawConnect {
    v5: bool,
    clean: bool,
    /// 5.0's Session Expiry Interval.
    expiry: Option<u32>,
    /// A will: topic, payload and (5.0) its delay.
    will: Option<(&'static str, &'static str, Option<u32>)>,
}

impl RawMqtt {
    async fn connect(world: &World, token: &str, id: &str, how: RawConnect) -> (RawMqtt, Pkt) {
        let mut out = bytes::BytesMut::new();
        if how.v5 {
            let c = p5::Connect {
                keep_alive: 30,
                client_id: id.to_string(),
                clean_start: how.clean,
                properties: how.expiry.map(|e| p5::ConnectProperties {
                    session_expiry_interval: Some(e),
                    ..Default::default()
                }),
            };
            let will = how.will.map(|(topic, payload, delay)| {
                let props = delay.map(|d| p5::LastWillProperties {
                    delay_interval: Some(d),
                    payload_format_indicator: None,
                    message_expiry_interval: None,
                    content_type: None,
                    response_topic: None,
                    correlation_data: None,
                    user_properties: Vec::new(),
                });
                p5::LastWill::new(topic, payload, QoS5::AtLeastOnce, false, props)
            });
            p5::Packet::Connect(c, will, None)
                .write(&mut out, None)
                .expect("CONNECT");
        } else {
            use rumqttc::mqttbytes::v4;
            let mut c = v4::Connect::new(id);
            c.clean_session = how.clean;
            c.keep_alive = 30;
            c.last_will = how.will.map(|(topic, payload, _)| {
                v4::LastWill::new(topic, payload, rumqttc::mqttbytes::QoS::AtLeastOnce, false)
            });
            v4::Packet::Connect(c)
                .write(&mut out, 1 << 20)
                .expect("CONNECT");
        }
        let socket = raw(world, token, false).await.expect("upgrade");
        let mut c = RawMqtt {
            socket,
            v5: how.v5,
            buf: bytes::BytesMut::new(),
        };
        c.send(out).await;
        let ack = c.next().await.expect("CONNACK");
        (c, ack)
    }

    async fn send(&mut self, bytes: bytes::BytesMut) {
        self.socket
            .send(Message::Binary(bytes.freeze()))
            .await
            .expect("sent");
    }

    /// The next packet (PINGRESP skipped), or None once the connection closes.
    async fn next(&mut self) -> Option<Pkt> {
        use rumqttc::mqttbytes::v4;
        loop {
            let got = if self.v5 {
                match p5::Packet::read(&mut self.buf, None) {
                    Ok(p5::Packet::ConnAck(a)) => Some(Pkt::ConnAck {
                        present: a.session_present,
                        code: a.code as u8,
                    }),
                    Ok(p5::Packet::SubAck(_)) => Some(Pkt::SubAck),
                    Ok(p5::Packet::PubAck(a)) => Some(Pkt::PubAck(a.pkid)),
                    Ok(p5::Packet::Publish(p)) => Some(Pkt::Publish(p)),
                    Ok(p5::Packet::Disconnect(d)) => Some(Pkt::Disconnect(d.reason_code as u8)),
                    Ok(p5::Packet::PingResp(_)) => continue,
                    Ok(other) => Some(Pkt::Other(format!("{other:?}"))),
                    Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => None,
                    Err(e) => panic!("unreadable: {e:?}"),
                }
            } else {
                match v4::Packet::read(&mut self.buf, 1 << 24) {
                    Ok(v4::Packet::ConnAck(a)) => Some(Pkt::ConnAck {
                        present: a.session_present,
                        code: a.code as u8,
                    }),
                    Ok(v4::Packet::SubAck(_)) => Some(Pkt::SubAck),
                    Ok(v4::Packet::PubAck(a)) => Some(Pkt::PubAck(a.pkid)),
                    Ok(v4::Packet::Publish(p)) => Some(Pkt::Publish(p5::Publish {
                        dup: p.dup,
                        qos: match p.qos {
                            rumqttc::mqttbytes::QoS::AtMostOnce => QoS5::AtMostOnce,
                            _ => QoS5::AtLeastOnce,
                        },
                        retain: p.retain,
                        topic: p.topic.into_bytes().into(),
                        pkid: p.pkid,
                        payload: p.payload,
                        properties: None,
                    })),
                    Ok(v4::Packet::PingResp) => continue,
                    Ok(other) => Some(Pkt::Other(format!("{other:?}"))),
                    Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => None,
                    Err(e) => panic!("unreadable: {e:?}"),
                }
            };
            if got.is_some() {
                return got;
            }
            let more = raw_next(&mut self.socket).await?;
            self.buf.extend_from_slice(&more);
        }
    }

    /// The next PUBLISH; anything else fails the test.
    async fn publish(&mut self) -> p5::Publish {
        match self.next().await {
            Some(Pkt::Publish(p)) => p,
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }

    async fn subscribe(&mut self, topic: &str) {
        let mut out = bytes::BytesMut::new();
        if self.v5 {
            p5::Packet::Subscribe(p5::Subscribe::new(
                p5::Filter::new(topic, QoS5::AtLeastOnce),
                None,
            ))
            .write(&mut out, None)
            .expect("SUBSCRIBE");
        } else {
            use rumqttc::mqttbytes::v4;
            let mut s = v4::Subscribe::new(topic, rumqttc::mqttbytes::QoS::AtLeastOnce);
            s.pkid = 1;
            v4::Packet::Subscribe(s)
                .write(&mut out, 1 << 20)
                .expect("SUBSCRIBE");
        }
        self.send(out).await;
        assert!(matches!(self.next().await, Some(Pkt::SubAck)));
    }

    async fn puback(&mut self, pkid: u16) {
        let mut out = bytes::BytesMut::new();
        if self.v5 {
            p5::Packet::PubAck(p5::PubAck::new(pkid, None))
                .write(&mut out, None)
                .expect("PUBACK");
        } else {
            use rumqttc::mqttbytes::v4;
            v4::Packet::PubAck(v4::PubAck::new(pkid))
                .write(&mut out, 1 << 20)
                .expect("PUBACK");
        }
        self.send(out).await;
    }

    /// DISCONNECT, then the server's close.
    async fn disconnect(mut self) {
        self.send(bytes::BytesMut::from(&[0xE0u8, 0x00][..])).await;
        while self.next().await.is_some() {}
    }
}

fn text(p: &p5::Publish) -> (String, String) {
    (
        String::from_utf8_lossy(&p.topic).into_owned(),
        String::from_utf8_lossy(&p.payload).into_owned(),
    )
}

async fn send_group(world: &World, group: &str, text: &str) {
    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", group, "--text", text]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A kept session's QoS 1 messages that its client had not acknowledged come again when it
/// resumes: first, in order, with DUP set and their packet ids; then what was queued while it
/// was away, as new messages. An acknowledged one does not come again.
#[tokio::test]
async fn unacknowledged_messages_are_resent_with_dup_before_new_ones_on_resume() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    for v5 in [false, true] {
        let id = if v5 { "resend5" } else { "resend4" };
        let keep = RawConnect {
            v5,
            clean: false,
            expiry: v5.then_some(60),
            will: None,
        };
        let (mut c, ack) = RawMqtt::connect(&world, &token, id, keep.clone()).await;
        assert!(
            matches!(
                ack,
                Pkt::ConnAck {
                    present: false,
                    code: 0
                }
            ),
            "{ack:?}"
        );
        c.subscribe("room").await;
        for t in ["one", "two", "three"] {
            send_group(&world, "room", t).await;
        }
        let one = c.publish().await;
        let two = c.publish().await;
        let three = c.publish().await;
        assert_eq!(text(&one).1, "one");
        assert!(!one.dup && !two.dup && !three.dup);
        // "two" is acknowledged; "one" and "three" are not.
        c.puback(two.pkid).await;
        c.disconnect().await;
        send_group(&world, "room", "while away").await;

        let (mut back, ack) = RawMqtt::connect(&world, &token, id, keep.clone()).await;
        assert!(
            matches!(
                ack,
                Pkt::ConnAck {
                    present: true,
                    code: 0
                }
            ),
            "{ack:?}"
        );
        let again = back.publish().await;
        assert_eq!(
            (text(&again).1.as_str(), again.dup, again.pkid),
            ("one", true, one.pkid)
        );
        let again = back.publish().await;
        assert_eq!(
            (text(&again).1.as_str(), again.dup, again.pkid),
            ("three", true, three.pkid)
        );
        let queued = back.publish().await;
        assert_eq!(
            text(&queued),
            ("room".to_string(), "while away".to_string())
        );
        assert!(!queued.dup);
        assert!(
            ![one.pkid, three.pkid].contains(&queued.pkid),
            "a fresh packet id"
        );
        // Acknowledged now: a second resume sends nothing again (a sentinel comes first).
        for p in [one.pkid, three.pkid, queued.pkid] {
            back.puback(p).await;
        }
        back.disconnect().await;
        let (mut third, _) = RawMqtt::connect(&world, &token, id, keep).await;
        send_group(&world, "room", "sentinel").await;
        let got = third.publish().await;
        assert_eq!((text(&got).1.as_str(), got.dup), ("sentinel", false));
    }
}

/// A client that acknowledges nothing fills its session's resend list: at 1024 messages it is
/// disconnected (5.0: DISCONNECT 0x97, quota exceeded) and its session ends, so a return
/// finds none (Session Present 0) and nothing is resent.
#[tokio::test]
async fn a_client_that_never_acknowledges_is_cut_off_at_the_cap_and_its_session_ends() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let (mut flooder, _) = world
        .connect_json("chat", None, &["webpubsub.sendToGroup"], &[])
        .await;
    let keep = RawConnect {
        v5: true,
        clean: false,
        expiry: Some(60),
        will: None,
    };
    let (mut c, _) = RawMqtt::connect(&world, &token, "hoarder", keep.clone()).await;
    c.subscribe("flood").await;
    for i in 0..1100 {
        let msg = json!({"type": "sendToGroup", "group": "flood", "dataType": "text", "data": format!("m{i}")});
        flooder
            .send(Message::Text(msg.to_string().into()))
            .await
            .expect("sent");
    }
    let mut published = 0;
    let reason = loop {
        match c.next().await {
            Some(Pkt::Publish(_)) => published += 1,
            Some(Pkt::Disconnect(reason)) => break reason,
            other => panic!("after {published}: {other:?}"),
        }
    };
    assert_eq!((published, reason), (1024, 0x97));
    assert!(c.next().await.is_none(), "closed");
    let (mut back, ack) = RawMqtt::connect(&world, &token, "hoarder", keep).await;
    assert!(
        matches!(
            ack,
            Pkt::ConnAck {
                present: false,
                code: 0
            }
        ),
        "{ack:?}"
    );
    // A new session: nothing resent, not subscribed; a server message is the first thing.
    let mut cmd = world.wps();
    cmd.args([
        "send-connection",
        "--connection",
        "hoarder",
        "--text",
        "fresh",
    ]);
    assert_eq!(code(&run(cmd).await), 0);
    let got = back.publish().await;
    assert_eq!((text(&got).1.as_str(), got.dup), ("fresh", false));
}

/// MQTT 5's Will Delay Interval: the will of a client that drops goes out that many seconds
/// later, not at all if the client resumes its session first, and at the session's end if
/// that comes sooner. Absences are proven by a sentinel sent after the would-be time.
#[tokio::test]
async fn a_delayed_will_waits_for_its_delay_and_a_resume_cancels_it() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let mut watcher = v5(mqtt_url(&world, "chat", &token), "willwatcher")
        .await
        .expect("connects");
    watcher.subscribe("wills").await;
    let delayed = |payload: &'static str, delay: u32, expiry: u32| RawConnect {
        v5: true,
        clean: false,
        expiry: Some(expiry),
        will: Some(("wills", payload, Some(delay))),
    };

    // Resumed within the delay: never published. The resume comes right after the drop;
    // the sentinel goes once the delay has passed since the drop.
    let delay = Duration::from_secs(3);
    let how = delayed("cancelled will", 3, 30);
    let (c, _) = RawMqtt::connect(&world, &token, "comesback", how.clone()).await;
    let dropped = tokio::time::Instant::now();
    drop(c);
    // (The server sees the drop as the socket's end, long before a new WebSocket is up.)
    let (back, ack) = RawMqtt::connect(&world, &token, "comesback", how).await;
    assert!(
        matches!(
            ack,
            Pkt::ConnAck {
                present: true,
                code: 0
            }
        ),
        "{ack:?}"
    );
    tokio::time::sleep_until(dropped + delay + Duration::from_millis(500)).await;
    send_group(&world, "wills", "sentinel 1").await;
    let got = watcher.publish().await;
    assert_eq!(
        text(&got).1,
        "sentinel 1",
        "the cancelled will must not arrive"
    );

    // Not resumed: it comes, no sooner than its delay after the drop.
    let (c, _) = RawMqtt::connect(&world, &token, "staysaway", delayed("late will", 1, 30)).await;
    let dropped = tokio::time::Instant::now();
    drop(c);
    let got = watcher.publish().await;
    assert_eq!(text(&got).1, "late will");
    assert!(
        dropped.elapsed() >= Duration::from_secs(1),
        "{:?}",
        dropped.elapsed()
    );

    // A delay longer than the session: the will goes when the session ends (1 s), well
    // before its 600 s, which no test would wait for.
    let (c, _) =
        RawMqtt::connect(&world, &token, "shortlived", delayed("capped will", 600, 1)).await;
    drop(c);
    let got = watcher.publish().await;
    assert_eq!(text(&got).1, "capped will");

    // A session not kept (no expiry) ends with its connection: the will goes at once.
    let (c, _) = RawMqtt::connect(&world, &token, "notkept", delayed("at once", 600, 0)).await;
    drop(c);
    let got = watcher.publish().await;
    assert_eq!(text(&got).1, "at once");
    drop(back);
}

/// Each kept session holds one timer for its will and its expiry, and kept sessions are
/// capped (1000 per emulator): past the cap a session ends with its connection, so its
/// delayed will goes at once while the kept ones' wait. 1010 clients with a 30 s will delay
/// drop: exactly 10 wills arrive, then a sentinel.
#[tokio::test]
async fn many_delayed_wills_are_bounded_by_the_kept_sessions_cap() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, BOTH);
    let mut watcher = v5(mqtt_url(&world, "chat", &token), "capwatcher")
        .await
        .expect("connects");
    watcher.subscribe("wills").await;
    let how = RawConnect {
        v5: true,
        clean: false,
        expiry: Some(30),
        will: Some(("wills", "over the cap", Some(30))),
    };
    for i in 0..1010 {
        let (c, _) = RawMqtt::connect(&world, &token, &format!("many{i}"), how.clone()).await;
        drop(c);
    }
    for _ in 0..10 {
        let got = watcher.publish().await;
        assert_eq!(text(&got).1, "over the cap");
    }
    send_group(&world, "wills", "sentinel").await;
    let got = watcher.publish().await;
    assert_eq!(
        text(&got).1,
        "sentinel",
        "only the sessions over the cap sent theirs"
    );
}

// --- user events ------------------------------------------------------------------------------

/// The user properties of a 5.0 PUBLISH.
fn user_props(p: &p5::Publish) -> Vec<(String, String)> {
    p.properties
        .as_ref()
        .map(|p| p.user_properties.clone())
        .unwrap_or_default()
}

/// A PUBLISH to `$webpubsub/server/events/{event}` raises `{event}` at the handler, as the
/// service's MQTT CloudEvents reference describes: payload as the body, 5.0 Content Type as
/// `Content-Type`, user properties as `mqtt-*` headers. The answer comes back on
/// `.../succeeded` or `.../failed` with the reply's content type, its `mqtt-*` headers and
/// `azure-status-code` as user properties and the request's correlation data; then the
/// request's PUBACK.
#[tokio::test]
async fn a_publish_to_the_events_topic_raises_a_user_event_and_the_answer_comes_back() {
    let handler = Handler::start_with(
        |_| (204, serde_json::Value::Null),
        |h| {
            let mut body = b"echo: ".to_vec();
            body.extend_from_slice(&h.raw);
            if h.ce("ce-eventname") == Some("deny") {
                return Some((
                    400,
                    vec![("content-type", "text/plain".into())],
                    b"no".to_vec(),
                ));
            }
            Some((
                200,
                vec![
                    ("content-type", "text/plain".into()),
                    ("mqtt-answer", "42".into()),
                ],
                body,
            ))
        },
    )
    .await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let mut c5 = v5(mqtt_url(&world, "chat", &token), "asker5")
        .await
        .expect("connects");
    let properties = p5::PublishProperties {
        content_type: Some("text/plain".into()),
        correlation_data: Some(bytes::Bytes::from_static(b"corr-1")),
        user_properties: vec![("k".into(), "v".into())],
        ..Default::default()
    };
    c5.client
        .publish_with_properties(
            "$webpubsub/server/events/echo",
            QoS5::AtLeastOnce,
            false,
            "hello",
            properties,
        )
        .await
        .expect("publish queued");
    // The answer, then the PUBACK (sent once the handler answered).
    let answer = match c5.next().await {
        p5::Packet::Publish(p) => p,
        other => panic!("expected the answer first, got {other:?}"),
    };
    assert_eq!(
        text(&answer),
        (
            "$webpubsub/server/events/echo/succeeded".to_string(),
            "echo: hello".to_string()
        )
    );
    let props = answer.properties.clone().expect("properties");
    assert_eq!(props.content_type.as_deref(), Some("text/plain"));
    assert_eq!(props.correlation_data.as_deref(), Some(&b"corr-1"[..]));
    assert_eq!(
        user_props(&answer),
        vec![
            ("answer".to_string(), "42".to_string()),
            ("azure-status-code".to_string(), "200".to_string())
        ]
    );
    match c5.next().await {
        p5::Packet::PubAck(ack) => assert_eq!(ack.reason, p5::PubAckReason::Success),
        other => panic!("expected PUBACK, got {other:?}"),
    }
    let heard = handler.event("asker5", "echo").await;
    assert_eq!(heard.ce("ce-type"), Some("azure.webpubsub.user.echo"));
    assert_eq!(heard.ce("content-type"), Some("text/plain"));
    assert_eq!(heard.ce("mqtt-k"), Some("v"));
    assert_eq!(heard.ce("ce-subprotocol"), Some("mqtt"));
    assert!(heard.ce("ce-physicalconnectionid").is_some());
    assert!(heard.ce("ce-sessionid").is_some());
    assert_eq!(&heard.raw[..], b"hello");

    // A non-2xx answer comes on `.../failed`, with its status.
    c5.client
        .publish(
            "$webpubsub/server/events/deny",
            QoS5::AtLeastOnce,
            false,
            "x",
        )
        .await
        .expect("publish queued");
    let answer = c5.publish().await;
    assert_eq!(
        text(&answer),
        (
            "$webpubsub/server/events/deny/failed".to_string(),
            "no".to_string()
        )
    );
    assert_eq!(
        user_props(&answer),
        vec![("azure-status-code".to_string(), "400".to_string())]
    );
    // The handler answered: the request itself went through.
    match c5.next().await {
        p5::Packet::PubAck(ack) => assert_eq!(ack.reason, p5::PubAckReason::Success),
        other => panic!("expected PUBACK, got {other:?}"),
    }

    // An event name no event may have: refused in the PUBACK, no event raised.
    let ack = c5.publish_acked("$webpubsub/server/events/a/b", b"x").await;
    assert_eq!(ack.reason, p5::PubAckReason::TopicNameInvalid);

    // 3.1.1: no content type (the body is application/octet-stream), no properties.
    let mut c4 = v4(mqtt_url(&world, "chat", &token), "asker4")
        .await
        .expect("connects");
    c4.client
        .publish(
            "$webpubsub/server/events/echo",
            rumqttc::QoS::AtLeastOnce,
            false,
            "hi4",
        )
        .await
        .expect("publish queued");
    match c4.next().await {
        rumqttc::Packet::Publish(p) => {
            assert_eq!(p.topic, "$webpubsub/server/events/echo/succeeded");
            assert_eq!(&p.payload[..], b"echo: hi4");
        }
        other => panic!("expected the answer first, got {other:?}"),
    }
    assert!(matches!(c4.next().await, rumqttc::Packet::PubAck(_)));
    let heard = handler.event("asker4", "echo").await;
    assert_eq!(heard.ce("content-type"), Some("application/octet-stream"));
    assert!(handler.events("asker5", "a/b").is_empty());
}

/// No handler takes the event: a 5.0 PUBACK says no one was there (0x10), and nothing
/// comes back.
#[tokio::test]
async fn a_user_event_no_handler_takes_is_acknowledged_as_such() {
    let world = World::new().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let mut c5 = v5(mqtt_url(&world, "chat", &token), "nobody")
        .await
        .expect("connects");
    let ack = c5
        .publish_acked("$webpubsub/server/events/echo", b"x")
        .await;
    assert_eq!(ack.reason, p5::PubAckReason::NoMatchingSubscribers);
    // Nothing else came: a server message is the next thing.
    let mut cmd = world.wps();
    cmd.args([
        "send-connection",
        "--connection",
        "nobody",
        "--text",
        "sentinel",
    ]);
    assert_eq!(code(&run(cmd).await), 0);
    let got = c5.publish().await;
    assert_eq!(text(&got).1, "sentinel");
}

/// A client raising events faster than its handler answers: at most 64 wait (as for json
/// clients); past that the client is disconnected (5.0: 0x97, quota exceeded).
#[tokio::test]
async fn a_client_flooding_a_stalled_handler_with_events_is_cut_off() {
    let handler = Handler::start_with(|_| (204, serde_json::Value::Null), |_| None).await;
    let world = handler.world().await;
    let token = mqtt_token(&world, "chat", None, &[]);
    let how = RawConnect {
        v5: true,
        clean: true,
        ..RawConnect::default()
    };
    let (mut c, _) = RawMqtt::connect(&world, &token, "flooder", how).await;
    let mut out = bytes::BytesMut::new();
    for _ in 0..100 {
        let p = p5::Publish::new("$webpubsub/server/events/slow", QoS5::AtMostOnce, "x", None);
        p5::Packet::Publish(p)
            .write(&mut out, None)
            .expect("PUBLISH");
    }
    c.send(out).await;
    match c.next().await {
        Some(Pkt::Disconnect(reason)) => assert_eq!(reason, 0x97),
        other => panic!("expected DISCONNECT, got {other:?}"),
    }
    assert!(c.next().await.is_none(), "closed");
    // One at a time: the handler holds the first, and heard no other.
    handler.event("flooder", "slow").await;
    assert_eq!(handler.events("flooder", "slow").len(), 1);
}
