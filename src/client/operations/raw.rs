//! `wps api`: any data-plane request, with the same signing and `api-version` as the named
//! operations.

use reqwest::Method;

use super::names::encode;
use super::payload::{validate_payload, Payload};
use super::request::parse_query;
use crate::client::{Client, ClientError, Request};

impl Client {
    /// Any data-plane request (`wps api`): `path` must start with `/api/` and may carry a query;
    /// `query` pairs follow it in order, then `api-version` unless one was given.
    pub fn raw_request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Payload>,
    ) -> Result<Request, ClientError> {
        let (path, raw_query) = path.split_once('?').unwrap_or((path, ""));
        // `/_emulator/`: the emulator's own endpoints (its dashboard's), not the service's.
        let emulator_only = path.starts_with("/_emulator/");
        if !path.starts_with("/api/") && !emulator_only {
            return Err(ClientError::Invalid(format!(
                "the path must start with /api/ (or /_emulator/ for the emulator's own endpoints), got '{path}'"
            )));
        }
        if path.chars().any(|c| !c.is_ascii_graphic() || c == '#') {
            return Err(ClientError::Invalid(format!(
                "the path '{path}' has characters that must be percent-encoded"
            )));
        }
        if let Some(p) = &body {
            validate_payload(p)?;
        }
        let mut pairs = parse_query(raw_query);
        pairs.extend(query.iter().cloned());
        // Keys are written as given by `Client::url`, so they are encoded here.
        let mut pairs: Vec<(String, String)> =
            pairs.into_iter().map(|(k, v)| (encode(&k), v)).collect();
        if !emulator_only && !pairs.iter().any(|(k, _)| k == "api-version") {
            pairs.push(self.api_version());
        }
        let mut req = self.request(method, path.to_string(), pairs, &[]);
        req.body = body;
        Ok(req)
    }
}
