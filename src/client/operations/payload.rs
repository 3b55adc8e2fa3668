//! What a send carries: the body and its content type, the send options, the metadata headers,
//! each checked against the service's limits before anything is sent.

use bytes::Bytes;

use crate::client::{ClientError, MAX_MESSAGE_BYTES};

/// A message body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Sent as the `Content-Type` header; the service delivers it to subscribers with the
    /// message (`text/plain`, `application/json` or `application/octet-stream`).
    pub content_type: String,
    /// Sent byte for byte; at most [`MAX_MESSAGE_BYTES`].
    pub body: Bytes,
}

impl Payload {
    /// A `text/plain` message (no charset parameter, as the SDK sends it).
    pub fn text(s: impl Into<String>) -> Self {
        Payload {
            content_type: "text/plain".into(),
            body: Bytes::from(s.into()),
        }
    }

    /// JSON text, checked to parse; sent byte for byte as given.
    ///
    /// Returns [`ClientError::Invalid`] when `s` is not JSON.
    pub fn json(s: impl Into<String>) -> Result<Self, ClientError> {
        let s = s.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&s)
            .map_err(|e| ClientError::Invalid(format!("invalid JSON payload: {e}")))?;
        Ok(Payload {
            content_type: "application/json".into(),
            body: Bytes::from(s),
        })
    }

    /// An `application/octet-stream` message.
    pub fn binary(body: impl Into<Bytes>) -> Self {
        Payload {
            content_type: "application/octet-stream".into(),
            body: body.into(),
        }
    }

    /// A short preview for logs and dry runs: text and JSON as they are (the first 200 bytes,
    /// whole characters only), other control characters escaped so a terminal is safe, and a
    /// byte count for binary bodies.
    pub fn preview(&self) -> String {
        const MAX: usize = 200;
        let truncated = self.body.len() > MAX;
        let shown = &self.body[..self.body.len().min(MAX)];
        let text = if self.content_type.starts_with("application/octet-stream") {
            None
        } else {
            match std::str::from_utf8(shown) {
                Ok(t) => Some(t),
                // The cut at MAX fell inside a character: the text before it is still text.
                Err(e) if truncated && e.error_len().is_none() => {
                    std::str::from_utf8(&shown[..e.valid_up_to()]).ok()
                }
                Err(_) => None,
            }
        };
        let Some(text) = text else {
            return format!("<{} bytes binary>", self.body.len());
        };
        let mut s = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_control() && c != '\n' && c != '\t' {
                s.extend(c.escape_debug());
            } else {
                s.push(c);
            }
        }
        if truncated {
            s.push_str(&format!("… ({} bytes)", self.body.len()));
        }
        s
    }
}

/// Options of the send operations; each operation sends only what the service accepts for it.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// Connection ids that must not receive the message (repeated `excluded` query key);
    /// only sent to all and to a group.
    pub excluded: Vec<String>,
    /// An OData filter (e.g. `userId ne 'u1'`) narrowing the receivers; not sent on
    /// send to connection.
    pub filter: Option<String>,
    /// 0–300 seconds; `None` leaves it out.
    pub ttl_seconds: Option<u32>,
    /// Message metadata, key and value pairs sent as `X-WebPubSub-Metadata-<key>` headers;
    /// json clients receive them with the message.
    pub metadata: Vec<(String, String)>,
}

/// The service's limits on message metadata: key characters and length, value length, and
/// all keys and values together.
const MAX_METADATA_KEY: usize = 256;
const MAX_METADATA_VALUE: usize = 1024;
const MAX_METADATA_TOTAL: usize = 8 * 1024;

/// `X-WebPubSub-Metadata-<key>: <value>` headers, checked against the service's limits so a
/// bad key fails here instead of as a 400 (or as a header HTTP cannot carry).
pub fn metadata_headers(
    metadata: &[(String, String)],
) -> Result<Vec<(String, String)>, ClientError> {
    let mut total = 0;
    let mut headers = Vec::with_capacity(metadata.len());
    for (i, (key, value)) in metadata.iter().enumerate() {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if key.is_empty() || key.len() > MAX_METADATA_KEY || !key.bytes().all(token) {
            return Err(ClientError::Invalid(format!(
                "invalid metadata key '{key}': use 1-{MAX_METADATA_KEY} letters, digits or !#$%&'*+-.^_`|~"
            )));
        }
        if value.len() > MAX_METADATA_VALUE || !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(ClientError::Invalid(format!(
                "invalid metadata value for '{key}': printable ASCII, at most {MAX_METADATA_VALUE} bytes"
            )));
        }
        if metadata[..i]
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Err(ClientError::Invalid(format!(
                "metadata key '{key}' given twice"
            )));
        }
        total += key.len() + value.len();
        headers.push((format!("X-WebPubSub-Metadata-{key}"), value.clone()));
    }
    if total > MAX_METADATA_TOTAL {
        return Err(ClientError::Invalid(format!(
            "metadata of {total} bytes: keys and values together may have at most {MAX_METADATA_TOTAL}"
        )));
    }
    Ok(headers)
}

pub(super) fn validate_payload(payload: &Payload) -> Result<(), ClientError> {
    if payload.body.len() > MAX_MESSAGE_BYTES {
        return Err(ClientError::Invalid(format!(
            "payload is {} bytes; the service accepts at most {} bytes (1 MiB)",
            payload.body.len(),
            MAX_MESSAGE_BYTES
        )));
    }
    Ok(())
}

pub(super) fn validate_ttl(ttl: Option<u32>) -> Result<(), ClientError> {
    match ttl {
        Some(t) if t > 300 => Err(ClientError::Invalid(format!(
            "invalid TTL {t}: it must be 0-300 seconds"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_shows_json_and_text_as_they_are() {
        let json = Payload::json(r#"{"a":"x y","b":[1,2]}"#).unwrap();
        assert_eq!(json.preview(), r#"{"a":"x y","b":[1,2]}"#);
        assert_eq!(
            Payload::text("two\nlines\ttab").preview(),
            "two\nlines\ttab"
        );
        // Other control characters could drive the terminal: escaped.
        assert_eq!(Payload::text("a\u{1b}[2Jb\r").preview(), "a\\u{1b}[2Jb\\r");
    }

    #[test]
    fn preview_of_text_cut_inside_a_character_is_still_text() {
        // 199 ASCII bytes then a 3-byte character: the 200-byte cut falls inside it.
        let text = format!("{}€€", "a".repeat(199));
        let p = Payload::text(text.clone());
        assert_eq!(
            p.preview(),
            format!("{}… ({} bytes)", "a".repeat(199), text.len())
        );
        let bytes = Payload {
            content_type: "application/octet-stream".into(),
            body: text.into_bytes().into(),
        };
        assert_eq!(bytes.preview(), "<205 bytes binary>");
        let broken = Payload {
            content_type: "text/plain".into(),
            body: vec![b'a', 0xff, b'b'].into(),
        };
        assert_eq!(broken.preview(), "<3 bytes binary>");
    }
}
