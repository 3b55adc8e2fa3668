//! The service's error responses: a flat JSON body and `x-ms-error-code`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The service's flat error body, with `x-ms-error-code`. HEAD answers drop the body later.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    error_for(status, code, message, "Request")
}

/// An error about one parameter: the service names it as the `target`.
pub(crate) fn error_for(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    target: &str,
) -> Response {
    let body = serde_json::json!({"code": code, "message": message.into(), "target": target});
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        resp.headers_mut().insert("x-ms-error-code", v);
    }
    resp
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
