//! `:invoke`: a broadcast with acknowledgements to the hub's Socket.IO connections, which the
//! Socket.IO extension's adapter calls for `io.timeout(ms).emitWithAck(...)` (the only public
//! account of the operation; the service's side is not published).
//!
//! The request is a send to the hub (`filter`, `excluded`) whose `text/plain` body is one
//! Socket.IO event as an Engine.IO payload. The answer is `200` at once, then a body that
//! streams a JSON line per connection that acknowledged, `{"Payload":"<its ACK>"}`, and ends
//! once every connection reached has answered or gone, or the wait is over
//! (`socketio::invocations` has the connections' side and the bounds). Connections that are
//! not Socket.IO's are skipped: they have no way to answer. Imports `body`, `params` and
//! `answer`.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use super::answer::Result;
use super::body::read_message;
use crate::client::Protocol;
use crate::emulator::errors::{bad_request, error};
use crate::emulator::filter::Filter;
use crate::emulator::hub::Hub;
use crate::emulator::message::{DataKind, Message, Outbound, Source};
use crate::emulator::shared::Shared;
use crate::emulator::socketio::invocations::{Event, MAX_PER_HUB};

/// What `route` read of the request.
pub(super) struct Invoke<'a> {
    pub(super) hub_name: &'a str,
    pub(super) excluded: Vec<String>,
    pub(super) filter: Option<Filter>,
}

impl Invoke<'_> {
    /// Delivers the event to the connections reached and answers with their acknowledgements
    /// as they come.
    pub(super) fn run(
        self,
        shared: &Shared,
        hub: Option<&Arc<Hub>>,
        headers: &axum::http::HeaderMap,
        body: Bytes,
    ) -> Result<Response> {
        let (kind, body) = read_message(headers, body)?;
        if kind != DataKind::Text {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Error.UnsupportedMediaType",
                "An invocation's body is an Engine.IO payload; use text/plain.".to_string(),
            ));
        }
        let payload =
            std::str::from_utf8(&body).map_err(|_| bad_request("The body is not UTF-8 text."))?;
        let event = Arc::new(Event::parse(payload).map_err(bad_request)?);
        let conns = hub.map_or_else(Vec::new, |h| {
            h.receivers_of(Protocol::SocketIo, &self.excluded, self.filter.as_ref())
        });
        let invocations = &shared.socketio.invocations;
        let Some(mut call) = invocations.start(self.hub_name, conns.len()) else {
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "Error.TooManyRequests",
                format!(
                    "The hub has {MAX_PER_HUB} invocations in flight; try again once one is over."
                ),
            ));
        };
        let message = Message::new(Source::Server, DataKind::Text, body);
        for conn in &conns {
            // Enlisted first, so the connection's task knows the message when it takes it.
            if shared
                .socketio
                .enlist(&mut call, &conn.id, &message, &event)
            {
                // Queued, never written straight to the socket: the connection's task gives
                // the delivery its ack id.
                conn.push(Outbound::Data(message.clone()));
            }
        }
        let mut resp = Response::new(call.into_body());
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        Ok(resp)
    }
}
