//! `api METHOD PATH`: any data-plane request, signed like the others.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use reqwest::Method;

use super::{send, ExitStatus, SUCCESS};
use crate::cli::{ApiArgs, PayloadArgs};
use crate::client::operations::metadata_headers;
use crate::client::{ClientError, Payload};
use crate::error::CliError;
use crate::output::{self, ApiResult};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(settings: &Settings, printer: &Printer, args: ApiArgs) -> Result<ExitStatus> {
    let ApiArgs {
        method,
        path,
        query,
        metadata,
        payload,
    } = args;
    let method = parse_method(&method)?;
    let query = query
        .iter()
        .map(|q| match q.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(CliError::Usage(format!(
                "invalid --query '{q}': expected KEY=VALUE"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = read_body(payload)?;
    let client = settings.client()?;
    let mut req = client.raw_request(method.clone(), &path, &query, body)?;
    req.headers = metadata_headers(&metadata)?;
    if settings.dry_run {
        output::write_dry_run(printer, &client, &req)?;
        return Ok(SUCCESS);
    }
    let what = format!("{method} {path}");
    let resp = client
        .execute(&req)
        .await
        .with_context(|| format!("api {what} failed"))?;
    let body = if resp.body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&resp.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&resp.body).into_owned())
        })
    };
    output::write_api(
        printer,
        &ApiResult {
            status: resp.status,
            body,
        },
    )?;
    if (200..300).contains(&resp.status) {
        Ok(SUCCESS)
    } else {
        Err(ClientError::from_response(
            resp.status,
            &resp.body,
            resp.attempts,
        ))
        .with_context(|| format!("api {what}"))
    }
}

fn parse_method(method: &str) -> Result<Method> {
    const KNOWN: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
    let upper = method.to_ascii_uppercase();
    if !KNOWN.contains(&upper.as_str()) {
        return Err(CliError::Usage(format!(
            "invalid METHOD '{method}': use one of {}",
            KNOWN.join(", ")
        ))
        .into());
    }
    Method::from_bytes(upper.as_bytes()).map_err(|e| CliError::Usage(e.to_string()).into())
}

/// A payload flag, or piped stdin when it is not empty; otherwise the request has no body.
fn read_body(payload: PayloadArgs) -> Result<Option<Payload>> {
    let given = payload.text.is_some() || payload.json.is_some() || payload.file.is_some();
    if !given && std::io::stdin().is_terminal() {
        if payload.content_type.is_some() {
            return Err(CliError::Usage(
                "--content-type needs a body: pass --file or pipe it on stdin".into(),
            )
            .into());
        }
        return Ok(None);
    }
    let explicit_type = payload.content_type.is_some();
    // An empty stdin is no body here, not a refusal: many requests have none.
    let body = send::read_payload(payload, true)?;
    Ok(if !given && !explicit_type && body.body.is_empty() {
        None
    } else {
        Some(body)
    })
}
