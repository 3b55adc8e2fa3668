//! What a REST request's URL says: its query pairs (percent-decoded), the names in its path
//! checked as the service checks them, bounded integers, the close reason, a filter's text
//! (from the query or a batch body), and where the request was sent. Apart so every file
//! that reads a parameter takes it from one place. Imports only `answer`.

use percent_encoding::percent_decode_str;

use super::answer::Result;
use crate::emulator::errors::{bad_request, invalid_parameter};
use crate::emulator::filter::Filter;
use crate::emulator::{auth, names};

const DEFAULT_CLOSE_REASON: &str = "Closed by REST API.";

/// Query pairs, percent-decoded (`+` stays `+`, as in the service).
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub(super) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query(pairs)
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

pub(super) fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

pub(super) fn close_reason(query: &Query) -> String {
    query
        .get("reason")
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_CLOSE_REASON)
        .to_string()
}

pub(super) fn hub_name(hub: &str) -> Result<()> {
    names::hub(hub).map_err(bad_request)
}

pub(super) fn group_name(group: &str) -> Result<()> {
    names::group(group).map_err(bad_request)
}

pub(super) fn id_name(id: &str, what: &str) -> Result<()> {
    names::id(id, what).map_err(bad_request)
}

/// A filter from the query (`parameter` "filter") or a body ("Filter"): the service's words
/// and shape, as the SDKs' tests recorded them from Azure.
pub(super) fn parse_filter(text: Option<&str>, parameter: &str) -> Result<Option<Filter>> {
    match text {
        None | Some("") => Ok(None),
        Some(f) => Filter::parse(f).map(Some).map_err(|e| {
            invalid_parameter(
                parameter,
                format!(
                    "Invalid syntax for '{f}': Syntax error at position {} in '{f}'. (Parameter 'filter')",
                    e.position
                ),
            )
        }),
    }
}

/// An optional integer query parameter within bounds.
pub(super) fn bounded(query: &Query, name: &str, min: u32, max: u32) -> Result<Option<u32>> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    match raw.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(bad_request(format!(
            "Invalid {name} '{raw}': it must be an integer from {min} to {max}."
        ))),
    }
}

/// Where the request was sent (`scheme://host`); requests without a host are refused before
/// routing. URLs the emulator writes start with it, so they follow the scheme it is served on.
pub(super) fn origin(parts: &axum::http::request::Parts) -> String {
    auth::request_origin(parts).map_or_else(|_| String::new(), |o| o.to_string())
}
