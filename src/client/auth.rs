//! HS256 tokens signed with the access key, as the official SDKs sign them.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::secret::Secret;
use super::ClientError;

/// How long a REST request token lives (the Python SDK uses 60 s).
pub const REST_TOKEN_LIFETIME_SECS: u64 = 60;

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Signs tokens with one access key; the HMAC key is the UTF-8 bytes of the key as written.
#[derive(Clone)]
pub struct KeySigner {
    key: EncodingKey,
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySigner(<redacted>)")
    }
}

#[derive(Serialize)]
struct RestClaims<'a> {
    aud: &'a str,
    exp: u64,
}

/// Claims of a client access token, in the order the Python SDK writes them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ClientClaims {
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    #[serde(rename = "webpubsub.group", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl KeySigner {
    pub fn new(access_key: &Secret) -> Self {
        KeySigner {
            key: EncodingKey::from_secret(access_key.expose().as_bytes()),
        }
    }

    /// The bearer token for one REST request: `aud` is the full URL as sent.
    pub fn rest_token(&self, url: &str) -> Result<Secret, ClientError> {
        let claims = RestClaims {
            aud: url,
            exp: now_secs() + REST_TOKEN_LIFETIME_SECS,
        };
        self.sign(&claims)
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<Secret, ClientError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.key)
            .map(Secret::new)
            .map_err(|e| ClientError::Signing(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn rest_token_carries_aud_and_exp() {
        let signer = KeySigner::new(&Secret::new("k".repeat(32)));
        let url = "http://localhost:8080/api/hubs/chat/:send?api-version=2024-12-01";
        let token = signer.rest_token(url).unwrap();
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[url]);
        let data = jsonwebtoken::decode::<serde_json::Value>(
            token.expose(),
            &DecodingKey::from_secret("k".repeat(32).as_bytes()),
            &v,
        )
        .unwrap();
        let exp = data.claims["exp"].as_u64().unwrap();
        assert!(exp >= now_secs() + 59 && exp <= now_secs() + 60);
        assert_eq!(data.claims.as_object().unwrap().len(), 2);
    }
}
