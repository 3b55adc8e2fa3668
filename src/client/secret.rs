//! A string whose value never reaches a log, a Debug print or an error message.

use std::fmt;

/// Holds an access key, a token or a connection string. `Debug` and `Display` print
/// `<redacted>`; the value is only reachable through [`Secret::expose`], so every place
/// that needs the real value is easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value so it can no longer be printed by accident.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value. Call it only where the value is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A body as `-vv` logs it: the preview of [`Payload::preview`](super::Payload::preview), with
/// JSON string values under a key that names a token (`token`, `accessToken`, ...) and anything
/// shaped like a JWT replaced by `<redacted>`. A `:generateToken` answer, or a URL holding an
/// `access_token`, is a credential: a log must not carry it.
pub(crate) fn redacted_preview(payload: &super::Payload) -> String {
    let mut shown = std::borrow::Cow::Borrowed(payload);
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&payload.body) {
        if redact_tokens(&mut value) {
            shown = std::borrow::Cow::Owned(super::Payload {
                content_type: payload.content_type.clone(),
                body: value.to_string().into(),
            });
        }
    }
    scrub_jwts(&shown.preview())
}

/// Replaces string values under token-named keys, at any depth; true if any was.
fn redact_tokens(value: &mut serde_json::Value) -> bool {
    let mut changed = false;
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if v.is_string() && key.to_ascii_lowercase().contains("token") {
                    *v = serde_json::Value::String("<redacted>".into());
                    changed = true;
                } else {
                    changed |= redact_tokens(v);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                changed |= redact_tokens(v);
            }
        }
        _ => {}
    }
    changed
}

/// Replaces every JWT-shaped run (`eyJ` and at least 17 more base64url characters or dots,
/// so a token cut short by the preview is caught too) with `<redacted>`.
fn scrub_jwts(text: &str) -> String {
    const MIN: usize = 20;
    let is_jwt_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let run = rest[at..]
            .find(|c: char| !is_jwt_char(c))
            .unwrap_or(rest.len() - at);
        // Only a run that starts a word: "keyJ..." is not a token.
        let starts_word = !rest[..at].chars().next_back().is_some_and(is_jwt_char);
        out.push_str(&rest[..at]);
        if run >= MIN && starts_word {
            out.push_str("<redacted>");
        } else {
            out.push_str(&rest[at..at + run]);
        }
        rest = &rest[at + run..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_bodies_hide_tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
        let answer = super::super::Payload::json(format!(r#"{{"token":"{jwt}"}}"#)).unwrap();
        assert_eq!(redacted_preview(&answer), r#"{"token":"<redacted>"}"#);
        let nested = super::super::Payload::json(format!(
            r#"{{"a":[{{"accessToken":"x"}}],"url":"wss://h/c?access_token={jwt}","n":1}}"#
        ))
        .unwrap();
        assert_eq!(
            redacted_preview(&nested),
            r#"{"a":[{"accessToken":"<redacted>"}],"url":"wss://h/c?access_token=<redacted>","n":1}"#
        );
        let text = super::super::Payload::text(format!("Bearer {jwt} and keyJ, eyJ short"));
        assert_eq!(
            redacted_preview(&text),
            "Bearer <redacted> and keyJ, eyJ short"
        );
        // Cut by the preview's length limit: still not shown.
        let long = super::super::Payload::text(format!("{}{jwt}", "a ".repeat(95)));
        assert!(!redacted_preview(&long).contains("eyJhbGciOiJIUz"));
    }

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
