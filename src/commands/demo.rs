//! `wps demo`: the whole path in one process. An emulator, a listening client, and text, JSON
//! and binary sent to all, a group and a user through the real client module.

use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use super::{ExitStatus, SUCCESS};
use crate::client::subscriber::{Event, Subscriber};
use crate::client::{
    client_access_token, now_secs, Client, ClientTokenRequest, ConnectionString, Payload,
    SendOptions,
};
use crate::emulator::{self, EmulatorConfig};
use crate::error::code;
use crate::output;
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

const HUB: &str = "demo";
const GROUP: &str = "demo-group";
const USER: &str = "demo-user";

#[derive(Debug, Serialize)]
struct Delivery {
    target: &'static str,
    #[serde(rename = "dataType")]
    data_type: &'static str,
    sent: Value,
    delivered: bool,
}

pub async fn run(settings: &Settings, printer: &Printer) -> Result<ExitStatus> {
    let server = emulator::start(EmulatorConfig {
        port: 0,
        verbose: printer.verbose(),
        ..EmulatorConfig::default()
    })
    .await
    .context("could not start the embedded emulator")?;
    let cs = ConnectionString::parse(&server.connection_string())?;
    let client = Client::new(cs.clone(), settings.client_options.clone())?;
    printer.status(format_args!(
        "emulator on http://{}; connecting a client to hub '{HUB}' as '{USER}' in group '{GROUP}'",
        server.addr()
    ));

    let mut listener =
        Subscriber::connect(&client_url(&client, &cs)?, Some("json.webpubsub.azure.v1")).await?;
    match next_json(&mut listener).await {
        Some(v) if v["event"] == "connected" => {}
        other => anyhow::bail!("the client did not get its 'connected' message (got {other:?})"),
    }

    let mut deliveries = Vec::new();
    for target in ["all", "group", "user"] {
        for (data_type, payload, expected) in payloads(target) {
            let opts = SendOptions::default();
            match target {
                "all" => client.send_to_all(HUB, &payload, &opts).await,
                "group" => client.send_to_group(HUB, GROUP, &payload, &opts).await,
                _ => client.send_to_user(HUB, USER, &payload, &opts).await,
            }
            .with_context(|| format!("sending {data_type} to {target}"))?;
            let got = next_json(&mut listener).await;
            let delivered = got.as_ref().is_some_and(|m| {
                m["type"] == "message"
                    && m["dataType"] == data_type
                    && m["data"] == expected
                    && (target == "group") == (m["from"] == "group")
            });
            deliveries.push(Delivery {
                target,
                data_type,
                sent: expected,
                delivered,
            });
        }
    }
    listener.close().await;
    server.shutdown().await;

    match printer.format() {
        OutputFormat::Json => deliveries.iter().try_for_each(output::write_json)?,
        OutputFormat::Table => output::write_table(
            printer,
            &["target", "dataType", "sent", "delivered"],
            deliveries
                .iter()
                .map(|d| {
                    vec![
                        d.target.to_string(),
                        d.data_type.to_string(),
                        d.sent.to_string(),
                        if d.delivered {
                            "yes".into()
                        } else {
                            "NO".into()
                        },
                    ]
                })
                .collect(),
        )?,
    }
    let missing = deliveries.iter().filter(|d| !d.delivered).count();
    if missing > 0 {
        printer.error(&format!(
            "{missing} of {} messages did not arrive",
            deliveries.len()
        ));
        return Ok(ExitStatus(code::UNAVAILABLE));
    }
    printer.status(format_args!("all {} messages arrived", deliveries.len()));
    Ok(SUCCESS)
}

/// Text, JSON and binary for one target, each with the `data` a JSON client should see.
fn payloads(target: &str) -> Vec<(&'static str, Payload, Value)> {
    let text = format!("hello {target}");
    let json_text = format!(r#"{{"to":"{target}","n":1}}"#);
    let bytes = [0u8, 1, 0xfe, 0xff, target.len() as u8];
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    vec![
        ("text", Payload::text(text.clone()), Value::String(text)),
        (
            "json",
            Payload {
                content_type: "application/json".into(),
                body: json_text.clone().into(),
            },
            serde_json::from_str(&json_text).unwrap_or(Value::Null),
        ),
        (
            "binary",
            Payload::binary(bytes.to_vec()),
            Value::String(b64),
        ),
    ]
}

/// The client URL for the demo user, in the demo group, signed with the emulator's key.
fn client_url(client: &Client, cs: &ConnectionString) -> Result<String> {
    let request = ClientTokenRequest {
        user: Some(USER.into()),
        groups: vec![GROUP.into()],
        minutes_to_expire: 60,
        ..ClientTokenRequest::default()
    };
    let signer = client
        .signer()
        .context("the demo client signs with the emulator's key")?;
    Ok(client_access_token(&cs.endpoint, HUB, signer, &request, now_secs())?.url)
}

async fn next_json(listener: &mut Subscriber) -> Option<Value> {
    match tokio::time::timeout(Duration::from_secs(5), listener.next()).await {
        Ok(Ok(Some(Event::Json(v)))) => Some(v),
        Ok(Ok(Some(other))) => Some(json!({"unexpected": format!("{other:?}")})),
        _ => None,
    }
}
