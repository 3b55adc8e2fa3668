//! Message metadata: `X-WebPubSub-Metadata-<key>` headers on REST sends, a `metadata` object
//! on client frames, the `metadata` object json clients receive. Checked with the service's
//! limits.

use axum::http::HeaderMap;
use serde_json::Value;

/// The REST header prefix (matched case-insensitively, as headers are).
const HEADER_PREFIX: &str = "x-webpubsub-metadata-";
const MAX_KEY_BYTES: usize = 256;
const MAX_VALUE_BYTES: usize = 1024;
/// Every key and value together.
const MAX_TOTAL_BYTES: usize = 8 * 1024;

/// Validated key/value pairs in the order they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(Vec<(String, String)>);

impl Metadata {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// From the `X-WebPubSub-Metadata-*` headers of a REST send.
    pub fn from_headers(headers: &HeaderMap) -> Result<Metadata, String> {
        let mut pairs = Vec::new();
        for (name, value) in headers {
            let Some(key) = name.as_str().strip_prefix(HEADER_PREFIX) else {
                continue;
            };
            let value = value
                .to_str()
                .map_err(|_| format!("The metadata value of '{key}' must be ASCII."))?;
            pairs.push((key.to_string(), value.to_string()));
        }
        Metadata::checked(pairs)
    }

    /// From a client frame's `metadata`: an object of strings; absent or null is none.
    pub fn from_json(value: Option<&Value>) -> Result<Metadata, String> {
        let object = match value {
            None | Some(Value::Null) => return Ok(Metadata::default()),
            Some(Value::Object(object)) => object,
            Some(_) => return Err("metadata must be an object of strings".into()),
        };
        let mut pairs = Vec::with_capacity(object.len());
        for (key, value) in object {
            let value = value
                .as_str()
                .ok_or_else(|| format!("the metadata value of '{key}' must be a string"))?;
            pairs.push((key.clone(), value.to_string()));
        }
        Metadata::checked(pairs)
    }

    /// Pairs the emulator produced itself or took from a handler's reply (already shaped).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Metadata, String> {
        Metadata::checked(pairs)
    }

    fn checked(pairs: Vec<(String, String)>) -> Result<Metadata, String> {
        let mut total = 0;
        for (i, (key, value)) in pairs.iter().enumerate() {
            if key.is_empty() || key.len() > MAX_KEY_BYTES || !key.bytes().all(is_token_byte) {
                return Err(format!(
                    "Invalid metadata key '{}': it must be 1-{MAX_KEY_BYTES} characters of \
                     letters, digits and !#$%&'*+-.^_`|~.",
                    key.chars().take(64).collect::<String>()
                ));
            }
            if value.len() > MAX_VALUE_BYTES || !value.is_ascii() {
                return Err(format!(
                    "Invalid metadata value for '{key}': it must be ASCII, at most \
                     {MAX_VALUE_BYTES} bytes."
                ));
            }
            if pairs[..i].iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(format!("The metadata key '{key}' appears more than once."));
            }
            total += key.len() + value.len();
        }
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "The metadata is {total} bytes; keys and values together may have at most \
                 {MAX_TOTAL_BYTES}."
            ));
        }
        Ok(Metadata(pairs))
    }

    /// The `metadata` object json clients receive.
    pub fn to_json(&self) -> String {
        let object: serde_json::Map<String, Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        Value::Object(object).to_string()
    }
}

/// An HTTP token character (RFC 9110), which is what a header name may hold.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_limits_hold() {
        let ok = Metadata::from_pairs(vec![("trace-id".into(), "abc".into())]);
        assert!(ok.is_ok());
        for bad in [
            vec![("".to_string(), "v".to_string())],
            vec![("a b".into(), "v".into())],
            vec![("k".repeat(257), "v".into())],
            vec![("k".into(), "v".repeat(1025))],
            vec![("k".into(), "é".into())],
            vec![("k".into(), "1".into()), ("K".into(), "2".into())],
            (0..40)
                .map(|i| (format!("k{i}"), "v".repeat(250)))
                .collect(),
        ] {
            assert!(Metadata::from_pairs(bad.clone()).is_err(), "{bad:?}");
        }
        let json = serde_json::json!({"a": "1", "b": "2"});
        let m = Metadata::from_json(Some(&json)).unwrap();
        assert_eq!(m.to_json(), r#"{"a":"1","b":"2"}"#);
        assert!(Metadata::from_json(Some(&serde_json::json!({"a": 1}))).is_err());
        assert!(Metadata::from_json(Some(&Value::Null)).unwrap().is_empty());
    }
}
