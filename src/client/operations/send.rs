//! The four send operations: one query shape (`excluded`..., `api-version`, `filter`,
//! `messageTtlSeconds`), each sending only the options the service takes for its target.

use reqwest::Method;

use super::payload::{metadata_headers, validate_payload, validate_ttl, Payload, SendOptions};
use super::request::{connection_path, excluded, group_path, hub_path, user_path, ACCEPTED};
use crate::client::{Client, ClientError, Request};

impl Client {
    /// Query of the send operations: `excluded`..., `api-version`, `filter`, `messageTtlSeconds`.
    fn send_request(
        &self,
        path: String,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        validate_payload(payload)?;
        validate_ttl(opts.ttl_seconds)?;
        let mut query = excluded(&opts.excluded);
        query.push(self.api_version());
        if let Some(f) = &opts.filter {
            query.push(("filter".into(), f.clone()));
        }
        if let Some(t) = opts.ttl_seconds {
            query.push(("messageTtlSeconds".into(), t.to_string()));
        }
        let mut req = self.request(Method::POST, path, query, ACCEPTED);
        req.body = Some(payload.clone());
        req.headers = metadata_headers(&opts.metadata)?;
        Ok(req)
    }

    /// Builds the request of [`send_to_all`](Self::send_to_all) without sending it (for
    /// `--dry-run`). Every `*_request` method is the same: the exact request the matching
    /// method would sign and send, after the same local validation.
    pub fn send_to_all_request(
        &self,
        hub: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", hub_path(hub)?);
        self.send_request(path, payload, opts)
    }

    /// Request of [`send_to_group`](Self::send_to_group): `POST /api/hubs/{hub}/groups/{group}/:send`
    pub fn send_to_group_request(
        &self,
        hub: &str,
        group: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", group_path(hub, group)?);
        self.send_request(path, payload, opts)
    }

    /// Request of [`send_to_user`](Self::send_to_user): `POST /api/hubs/{hub}/users/{userId}/:send`; `excluded` is dropped, the service takes none here.
    pub fn send_to_user_request(
        &self,
        hub: &str,
        user: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", user_path(hub, user)?);
        let opts = SendOptions {
            excluded: Vec::new(),
            ..opts.clone()
        };
        self.send_request(path, payload, &opts)
    }

    /// Request of [`send_to_connection`](Self::send_to_connection): `POST /api/hubs/{hub}/connections/{connectionId}/:send`; only the TTL is sent, the service takes no `excluded` or `filter` here.
    pub fn send_to_connection_request(
        &self,
        hub: &str,
        connection: &str,
        payload: &Payload,
        opts: &SendOptions,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:send", connection_path(hub, connection)?);
        let opts = SendOptions {
            ttl_seconds: opts.ttl_seconds,
            ..SendOptions::default()
        };
        self.send_request(path, payload, &opts)
    }
}
