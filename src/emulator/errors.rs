//! The service's error responses, in the three shapes its recorded answers show (see
//! docs/emulator-fidelity.md for which recording each one follows):
//!
//! - its own errors: a flat JSON body `{code, message, target, details, inner}` with
//!   `x-ms-error-code`;
//! - a parameter that fails validation: an RFC 7807 validation problem
//!   (`application/problem+json`) that also carries `code`, `message` and `target`;
//! - an api-version the operation does not have: `{"error": {code, message, innerError}}`.
//!
//! HEAD answers keep the headers of these and drop the body (see `rest::handle`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What every error body is labelled with, as the service labels it.
const JSON: &str = "application/json; charset=utf-8";
const PROBLEM_JSON: &str = "application/problem+json; charset=utf-8";

/// The flat body, fields in the service's order (`details` and `inner` are always null).
#[derive(Serialize)]
struct Flat<'a> {
    code: &'a str,
    message: &'a str,
    target: &'a str,
    details: Option<()>,
    inner: Option<()>,
}

/// ASP.NET's validation problem with the service's three fields in front.
#[derive(Serialize)]
struct Validation<'a> {
    code: &'a str,
    message: &'a str,
    target: &'a str,
    errors: std::collections::BTreeMap<&'a str, [&'a str; 1]>,
    r#type: Option<()>,
    title: &'a str,
    status: u16,
    detail: Option<()>,
    instance: Option<()>,
    extensions: serde_json::Map<String, serde_json::Value>,
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn with_code(mut resp: Response, code: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(code) {
        resp.headers_mut().insert("x-ms-error-code", v);
    }
    resp
}

/// The service's flat error body, with `x-ms-error-code`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    error_for(status, code, message, "Request")
}

/// A flat error about one thing: the service names it as the `target`.
pub(crate) fn error_for(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    target: &str,
) -> Response {
    let message = message.into();
    let body = Flat {
        code,
        message: &message,
        target,
        details: None,
        inner: None,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    with_code(respond(status, JSON, bytes), code)
}

/// A parameter that failed validation: 400, `Error.BadRequest`, the message under the
/// parameter's name (`filter` in the query, `Filter` in a body).
pub(crate) fn invalid_parameter(parameter: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = Validation {
        code: "Error.BadRequest",
        message: &message,
        target: parameter,
        errors: [(parameter, [message.as_str()])].into_iter().collect(),
        r#type: None,
        title: "One or more validation errors occurred.",
        status: 400,
        detail: None,
        instance: None,
        extensions: serde_json::Map::new(),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    with_code(
        respond(StatusCode::BAD_REQUEST, PROBLEM_JSON, bytes),
        "Error.BadRequest",
    )
}

/// An api-version that is unknown, or older than the operation: the API-versioning layer
/// answers before the service's own code, in the wrapped shape and without `x-ms-error-code`.
pub(crate) fn unsupported_api_version(url: &str, version: &str) -> Response {
    let body = serde_json::json!({"error": {
        "code": "UnsupportedApiVersion",
        "message": format!(
            "The HTTP resource that matches the request URI '{url}' does not support the API version '{version}'."
        ),
        "innerError": null,
    }});
    respond(
        StatusCode::BAD_REQUEST,
        JSON,
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

/// Which of the service's levels a missing connection, user or group is reported at: the
/// same miss is a `Warning` on an existence check, an `Info` on a permission and an `Error`
/// when adding a connection to a group.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    Error,
    Warning,
    Info,
}

/// What was not found.
#[derive(Clone, Copy)]
pub(crate) enum Entity {
    Connection,
    User,
    Group,
}

/// 404 `<Level>.<Entity>.NotExisted`: "Connection `id` is not found.", target the entity.
pub(crate) fn not_existed(level: Level, entity: Entity, name: &str) -> Response {
    let level = match level {
        Level::Error => "Error",
        Level::Warning => "Warning",
        Level::Info => "Info",
    };
    let entity = match entity {
        Entity::Connection => "Connection",
        Entity::User => "User",
        Entity::Group => "Group",
    };
    error_for(
        StatusCode::NOT_FOUND,
        &format!("{level}.{entity}.NotExisted"),
        format!("{entity} `{name}` is not found."),
        entity,
    )
}

/// The answer to a request for a WebSocket endpoint (a client endpoint, MQTT, the tunnel)
/// that does not ask for a WebSocket.
pub(crate) fn not_an_upgrade() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Error.BadRequest",
        "The request is not a WebSocket upgrade request.",
    )
}

pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "Error.BadRequest", message)
}

pub(crate) fn not_found(message: impl Into<String>) -> Response {
    error(StatusCode::NOT_FOUND, "Error.NotFound", message)
}

pub(crate) fn unauthorized(message: impl Into<String>) -> Response {
    error(StatusCode::UNAUTHORIZED, "Error.Unauthorized", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn parts(resp: Response) -> (u16, String, Option<String>, String) {
        let status = resp.status().as_u16();
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let code = resp
            .headers()
            .get("x-ms-error-code")
            .map(|v| v.to_str().unwrap().to_string());
        let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, ct, code, String::from_utf8(body.to_vec()).unwrap())
    }

    // Byte lengths are the Content-Length of the recorded answers (see the fidelity doc).
    #[tokio::test]
    async fn missing_entities_match_the_recorded_bodies_byte_for_byte() {
        let (status, ct, code, body) = parts(not_existed(
            Level::Error,
            Entity::Connection,
            "fake-connection-id",
        ))
        .await;
        assert_eq!((status, ct.as_str()), (404, JSON));
        assert_eq!(code.as_deref(), Some("Error.Connection.NotExisted"));
        assert_eq!(
            body,
            r#"{"code":"Error.Connection.NotExisted","message":"Connection `fake-connection-id` is not found.","target":"Connection","details":null,"inner":null}"#
        );
        assert_eq!(body.len(), 146);
        let (.., body) = parts(not_existed(Level::Info, Entity::Connection, "xxx")).await;
        assert_eq!(body.len(), 130);
        let (.., body) = parts(not_existed(Level::Warning, Entity::User, "fake-user")).await;
        assert_eq!(body.len(), 121);
        let (.., body) = parts(not_existed(Level::Warning, Entity::Connection, "xxx")).await;
        assert_eq!(body.len(), 133);
    }

    #[tokio::test]
    async fn a_bad_filter_is_the_recorded_validation_problem() {
        let msg = "Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'. (Parameter 'filter')";
        let (status, ct, code, body) = parts(invalid_parameter("filter", msg)).await;
        assert_eq!((status, ct.as_str()), (400, PROBLEM_JSON));
        assert_eq!(code.as_deref(), Some("Error.BadRequest"));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "code",
                "message",
                "target",
                "errors",
                "type",
                "title",
                "status",
                "detail",
                "instance",
                "extensions"
            ]
        );
        assert_eq!(v["errors"]["filter"][0], msg);
        assert_eq!(body.len(), 416);
    }
}
