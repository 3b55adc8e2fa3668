//! Reading a REST request's body: whole, within the size and time limits, before anything
//! is answered; a send's message (its content type, JSON checked, metadata headers) built
//! once for the fan-out; the `:addToGroups` / `:removeFromGroups` batch. Apart from the
//! routing so the limits and the body rules read in one place. Imports `gate`, `params` and
//! `answer`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::http::{header, StatusCode};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::answer::Result;
use super::gate::Gate;
use super::params::{group_name, parse_filter, Query};
use crate::emulator::errors::{bad_request, error};
use crate::emulator::filter::Filter;
use crate::emulator::message::{DataKind, Message, Source};
use crate::emulator::metadata::Metadata;

/// The service's message limit (1 MB; see rest-api.md, Limits), applied to every body.
const MAX_BODY: usize = 1024 * 1024;

/// A send's query and body: ttl checked, the filter parsed, the message built once for the
/// whole fan-out.
pub(super) fn read_send(
    gate: &Gate,
    query: &Query,
    headers: &axum::http::HeaderMap,
    body: Bytes,
    source: Source,
) -> Result<(Option<Filter>, Arc<Message>)> {
    gate.ttl(query)?;
    let filter = gate.filter(query)?;
    let (kind, body) = read_message(headers, body)?;
    let metadata = Metadata::from_headers(headers).map_err(bad_request)?;
    Ok((filter, Message::with_metadata(source, kind, body, metadata)))
}

/// The body of `:addToGroups` / `:removeFromGroups`.
pub(super) struct Batch {
    pub(super) groups: Vec<String>,
    pub(super) filter: Option<Filter>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    groups: Option<Vec<String>>,
    filter: Option<String>,
}

pub(super) fn read_batch(headers: &axum::http::HeaderMap, bytes: Bytes) -> Result<Batch> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Error.UnsupportedMediaType",
            format!("Content type '{content_type}' is not supported; use application/json."),
        ));
    }
    let parsed: BatchBody = serde_json::from_slice(&bytes)
        .map_err(|e| bad_request(format!("Invalid request body: {e}")))?;
    let groups = parsed.groups.unwrap_or_default();
    if groups.is_empty() {
        return Err(bad_request(
            "The 'groups' property must list at least one group.",
        ));
    }
    for g in &groups {
        group_name(g)?;
    }
    Ok(Batch {
        groups,
        filter: parse_filter(parsed.filter.as_deref(), "Filter")?,
    })
}

/// The whole body, up to [`MAX_BODY`] bytes, within `timeout`: a declared length over the cap
/// is refused before any of it is read, a malformed body (a bad chunk size) is a 400, and a
/// body that stalls is a 408 once `timeout` has passed since its headers arrived.
pub(super) async fn read_limited(body: Body, timeout: Duration) -> Result<Bytes> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Error.PayloadTooLarge",
            format!("The message is larger than {MAX_BODY} bytes."),
        )
    };
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    let read = async {
        let mut chunks = body.into_data_stream();
        // Most bodies arrive in one chunk: keep it as it is.
        let mut first: Option<Bytes> = None;
        let mut more = BytesMut::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk
                .map_err(|e| bad_request(format!("The request body could not be read: {e}")))?;
            let len = first.as_ref().map_or(0, Bytes::len) + more.len();
            if len + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            match &first {
                None => first = Some(chunk),
                Some(_) => more.extend_from_slice(&chunk),
            }
        }
        Ok(match first {
            None => Bytes::new(),
            Some(first) if more.is_empty() => first,
            Some(first) => {
                let mut all = BytesMut::with_capacity(first.len() + more.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&more);
                all.freeze()
            }
        })
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(error(
                StatusCode::REQUEST_TIMEOUT,
                "Error.RequestTimeout",
                format!(
                    "The request body did not arrive within {} s.",
                    timeout.as_secs_f64()
                ),
            ))
        })
}

/// Checks a send body: one of the three content types, JSON parsed.
pub(super) fn read_message(
    headers: &axum::http::HeaderMap,
    bytes: Bytes,
) -> Result<(DataKind, Bytes)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let kind = match mime.as_str() {
        "text/plain" => DataKind::Text,
        "application/json" => DataKind::Json,
        "application/octet-stream" => DataKind::Binary,
        _ => {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Error.UnsupportedMediaType",
                format!("Content type '{content_type}' is not supported; use text/plain, application/json or application/octet-stream."),
            ))
        }
    };
    // Clients get these bytes as they are, so whatever passes here must be one JSON value.
    if kind == DataKind::Json
        && serde_json::from_slice::<&serde_json::value::RawValue>(&bytes).is_err()
    {
        return Err(bad_request("The body is not valid JSON."));
    }
    Ok((kind, bytes))
}
