//! What REST handlers return: [`Result`], whose error is the HTTP answer to send, and the
//! plain answers (a bare status, an existence check, an internal error). At the bottom, so
//! every other file here can answer without importing one another. Imports no sibling.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::emulator::errors::{error, not_existed, Entity, Level};

pub(super) fn status(code: StatusCode) -> Response {
    code.into_response()
}

pub(super) type Result<T> = std::result::Result<T, Response>;

/// An existence check: 200, or the service's 404 warning that names what is missing.
pub(super) fn exists(yes: bool, entity: Entity, name: &str) -> Result<Response> {
    if yes {
        Ok(status(StatusCode::OK))
    } else {
        Err(not_existed(Level::Warning, entity, name))
    }
}

pub(super) fn internal(message: &str) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error.Internal",
        message.to_string(),
    )
}
