//! `send-all`, `send-group`, `send-user`, `send-connection`.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result};

use super::bulk::Run;
use super::{bulk, ExitStatus};
use crate::cli::{
    BulkArgs, PayloadArgs, SendAllArgs, SendConnectionArgs, SendGroupArgs, SendUserArgs,
};
use crate::client::{ClientError, Payload, SendOptions, MAX_MESSAGE_BYTES};
use crate::error::{CliError, Hint};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn send_all(
    settings: &Settings,
    printer: &Printer,
    args: SendAllArgs,
) -> Result<ExitStatus> {
    let SendAllArgs {
        exclude,
        filter,
        options,
        payload,
    } = args;
    let opts = SendOptions {
        excluded: exclude,
        filter,
        ttl_seconds: options.ttl,
        metadata: options.metadata.clone(),
    };
    let payload = read_payload(payload, options.allow_empty)?;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let req = client.send_to_all_request(hub, &payload, &opts)?;
    Run::new(settings, printer, &client, "send-all", hub)
        .one(req)
        .await
}

pub async fn send_group(
    settings: &Settings,
    printer: &Printer,
    args: SendGroupArgs,
) -> Result<ExitStatus> {
    let SendGroupArgs {
        groups,
        exclude,
        filter,
        options,
        payload,
        bulk: bulk_args,
    } = args;
    let opts = SendOptions {
        excluded: exclude,
        filter,
        ttl_seconds: options.ttl,
        metadata: options.metadata.clone(),
    };
    check_stdin(&bulk_args, &payload)?;
    let payload = read_payload(payload, options.allow_empty)?;
    let client = settings.client()?;
    let hub = settings.hub()?;
    Run::new(settings, printer, &client, "send-group", hub)
        .each(groups, &bulk_args, |t| {
            client.send_to_group_request(hub, t, &payload, &opts)
        })
        .await
}

pub async fn send_user(
    settings: &Settings,
    printer: &Printer,
    args: SendUserArgs,
) -> Result<ExitStatus> {
    let SendUserArgs {
        users,
        filter,
        options,
        payload,
        bulk: bulk_args,
    } = args;
    let opts = SendOptions {
        excluded: Vec::new(),
        filter,
        ttl_seconds: options.ttl,
        metadata: options.metadata.clone(),
    };
    check_stdin(&bulk_args, &payload)?;
    let payload = read_payload(payload, options.allow_empty)?;
    let client = settings.client()?;
    let hub = settings.hub()?;
    Run::new(settings, printer, &client, "send-user", hub)
        .each(users, &bulk_args, |t| {
            client.send_to_user_request(hub, t, &payload, &opts)
        })
        .await
}

pub async fn send_connection(
    settings: &Settings,
    printer: &Printer,
    args: SendConnectionArgs,
) -> Result<ExitStatus> {
    let SendConnectionArgs {
        connections,
        options,
        payload,
        bulk: bulk_args,
    } = args;
    let opts = SendOptions {
        ttl_seconds: options.ttl,
        metadata: options.metadata.clone(),
        ..SendOptions::default()
    };
    check_stdin(&bulk_args, &payload)?;
    let payload = read_payload(payload, options.allow_empty)?;
    let client = settings.client()?;
    let hub = settings.hub()?;
    Run::new(settings, printer, &client, "send-connection", hub)
        .each(connections, &bulk_args, |t| {
            client.send_to_connection_request(hub, t, &payload, &opts)
        })
        .await
}

/// `--from-file -` and a payload from stdin cannot share it.
fn check_stdin(bulk_args: &BulkArgs, payload: &PayloadArgs) -> Result<()> {
    let payload_from_stdin = payload.text.is_none()
        && payload.json.is_none()
        && payload.file.as_ref().is_none_or(|f| f.as_os_str() == "-");
    if bulk::reads_stdin(bulk_args) && payload_from_stdin {
        return Err(CliError::Usage(
            "--from-file - reads targets from stdin, so the payload cannot come from stdin too: pass --text, --json or --file PATH".into(),
        )
        .into());
    }
    Ok(())
}

const CONTENT_TYPES: [&str; 3] = ["text/plain", "application/json", "application/octet-stream"];

/// The message body from --text, --json, --file or piped stdin. An empty stdin or file is
/// refused unless `allow_empty`: a CI step whose pipe came up empty must not broadcast nothing.
pub fn read_payload(args: PayloadArgs, allow_empty: bool) -> Result<Payload> {
    let PayloadArgs {
        text,
        json,
        file,
        content_type,
    } = args;
    if let Some(ct) = &content_type {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !CONTENT_TYPES.contains(&mime.as_str()) {
            return Err(CliError::Usage(format!(
                "invalid --content-type '{ct}': use text/plain, application/json or application/octet-stream"
            ))
            .into());
        }
        if text.is_some() || json.is_some() {
            return Err(
                CliError::Usage("--content-type applies to --file and stdin only".into()).into(),
            );
        }
    }
    if let Some(t) = text {
        return Ok(Payload::text(t));
    }
    if let Some(j) = json {
        return json_payload(j);
    }
    let from = match &file {
        Some(path) if path.as_os_str() != "-" => format!("--file {}", path.display()),
        _ => "stdin".to_string(),
    };
    let body = match file {
        Some(path) if path.as_os_str() != "-" => {
            if path.is_dir() {
                return Err(
                    CliError::Usage(format!("--file {}: is a directory", path.display())).into(),
                );
            }
            let file = std::fs::File::open(&path)
                .with_context(|| format!("could not read --file {}", path.display()))?;
            read_capped(file, &from)?
        }
        Some(_) => read_stdin()?,
        None if std::io::stdin().is_terminal() && allow_empty => Vec::new(),
        None if std::io::stdin().is_terminal() => {
            return Err(CliError::Usage(
                "no payload: pass --text, --json or --file, or pipe the message on stdin".into(),
            )
            .into())
        }
        None => read_stdin()?,
    };
    if body.is_empty() && !allow_empty {
        return Err(CliError::Usage(format!(
            "no payload: {from} is empty; pass --allow-empty to send an empty message"
        ))
        .into());
    }
    let payload = Payload {
        content_type: content_type.unwrap_or_else(|| "application/octet-stream".into()),
        body: body.into(),
    };
    if payload.content_type.starts_with("application/json") {
        serde_json::from_slice::<serde::de::IgnoredAny>(&payload.body)
            .map_err(|e| ClientError::Invalid(format!("invalid JSON payload: {e}")))?;
    }
    Ok(payload)
}

/// `--json`, with a hint for the usual slip: single quotes, which JSON strings do not take.
fn json_payload(text: String) -> Result<Payload> {
    let single_quoted = text.contains('\'');
    Payload::json(text).map_err(|e| {
        let err = anyhow::Error::new(e);
        if single_quoted {
            err.context(Hint(
                "JSON strings take double quotes: --json '{\"a\":1}'".into(),
            ))
        } else {
            err
        }
    })
}

fn read_stdin() -> Result<Vec<u8>> {
    read_capped(std::io::stdin().lock(), "stdin")
}

/// A payload of at most [`MAX_MESSAGE_BYTES`]: one byte past the limit is read, never the rest,
/// so a larger input (`/dev/zero`, a multi-GB file, an endless pipe) is refused at once.
fn read_capped(input: impl Read, from: &str) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    input
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .with_context(|| format!("could not read {from}"))?;
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(CliError::Usage(format!(
            "{from} is larger than 1 MiB: the service accepts at most {MAX_MESSAGE_BYTES} bytes a message; nothing was sent"
        ))
        .into());
    }
    Ok(body)
}
