//! HS256 tokens signed with the access key, as the official SDKs sign them.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Serialize;

use super::secret::Secret;
use super::ClientError;

/// How long a REST request token lives (the Python SDK uses 60 s).
pub const REST_TOKEN_LIFETIME_SECS: u64 = 60;

/// Seconds since the Unix epoch, the unit of `iat` and `exp` (0 if the clock is before 1970).
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

/// Claims of a client access token, in the order the Python SDK writes them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ClientClaims {
    /// The client endpoint URL the token is good for, with the http(s) scheme kept
    /// (e.g. `https://host/client/hubs/chat`).
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// The user id the connection authenticates as; omitted when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Roles such as `webpubsub.sendToGroup` or `webpubsub.joinLeaveGroup.{group}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    /// Groups the connection joins on connect (`webpubsub.group`).
    #[serde(rename = "webpubsub.group", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl KeySigner {
    /// A signer for one access key. Any string is accepted: a wrong key only shows as a 401.
    pub fn new(access_key: &Secret) -> Self {
        KeySigner {
            key: EncodingKey::from_secret(access_key.expose().as_bytes()),
        }
    }

    /// The bearer token for one REST request: `aud` is the full URL as sent.
    pub fn rest_token(&self, url: &str) -> Result<Secret, ClientError> {
        self.rest_token_at(url, now_secs() + REST_TOKEN_LIFETIME_SECS)
    }

    /// [`rest_token`](Self::rest_token) with a given `exp`. It runs once per request, so the
    /// claims are written by hand rather than through a serialized struct: the same bytes as
    /// `{"aud":...,"exp":...}` from serde_json.
    fn rest_token_at(&self, url: &str, exp: u64) -> Result<Secret, ClientError> {
        use std::io::Write as _;
        let mut json = Vec::with_capacity(url.len() + 40);
        json.extend_from_slice(br#"{"aud":"#);
        serde_json::to_writer(&mut json, url).map_err(|e| ClientError::Signing(e.to_string()))?;
        // Writing into a Vec cannot fail.
        let _ = write!(json, r#","exp":{exp}}}"#);
        let json = String::from_utf8(json).map_err(|e| ClientError::Signing(e.to_string()))?;
        self.sign_json(&json)
    }
}

/// The client endpoint a token is for; each has its own path (as in the SDK's `client_protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientType {
    /// WebSocket clients, plain or with a `json.*.webpubsub.azure.v1` subprotocol.
    #[default]
    Default,
    /// MQTT clients.
    Mqtt,
    /// Socket.IO clients.
    SocketIo,
}

impl ClientType {
    /// The path before the hub name, which is also part of the token's `aud`.
    pub fn path(self) -> &'static str {
        match self {
            ClientType::Default => "/client/hubs/",
            ClientType::Mqtt => "/clients/mqtt/hubs/",
            ClientType::SocketIo => "/clients/socketio/hubs/",
        }
    }
}

/// What a client token is for: the SDK's `get_client_access_token` arguments.
#[derive(Debug, Clone, Default)]
pub struct ClientTokenRequest {
    /// User id (`sub` claim, `userId` on `:generateToken`); `None` or empty for anonymous.
    pub user: Option<String>,
    /// Roles granted to the connection (`role` claim).
    pub roles: Vec<String>,
    /// Groups joined on connect (`webpubsub.group` claim).
    pub groups: Vec<String>,
    /// Token lifetime in minutes; the SDKs default to 60.
    pub minutes_to_expire: u64,
    /// Which client endpoint the token is for.
    pub client_type: ClientType,
}

/// A client access token and the URLs built from it, as `get_client_access_token` returns them.
#[derive(Debug, Clone)]
pub struct ClientAccess {
    /// `ws[s]://host/client/hubs/{hub}` (or the MQTT / Socket.IO path), without the token.
    pub base_url: String,
    /// The signed JWT.
    pub token: Secret,
    /// `base_url?access_token=<token>`: what a client connects to. It holds the token, so
    /// print it only when asked to.
    pub url: String,
    /// The claims inside `token`.
    pub claims: ClientClaims,
}

/// Signs a client access token locally, exactly as the Python SDK does with a key credential:
/// endpoint lowercased (no trailing `/`), `aud` = endpoint + path + hub, `baseUrl` = `ws` + the
/// endpoint minus its first four characters + path + hub, token appended unescaped.
pub fn client_access_token(
    endpoint: &str,
    hub: &str,
    signer: &KeySigner,
    request: &ClientTokenRequest,
    now: u64,
) -> Result<ClientAccess, ClientError> {
    // User info never reaches the service in a client's request line, so it is not part of
    // the URL the service checks `aud` against; and it would show a credential.
    let endpoint = super::without_userinfo(endpoint)
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let rest = endpoint
        .strip_prefix("http")
        .filter(|r| r.starts_with("://") || r.starts_with("s://"))
        .ok_or_else(|| {
            ClientError::ConnectionString(format!(
                "invalid Endpoint '{endpoint}': it must start with http:// or https://"
            ))
        })?;
    let path = request.client_type.path();
    let claims = ClientClaims {
        aud: format!("{endpoint}{path}{hub}"),
        iat: now,
        exp: now.saturating_add(request.minutes_to_expire.saturating_mul(60)),
        sub: request.user.clone().filter(|u| !u.is_empty()),
        role: request.roles.clone(),
        groups: request.groups.clone(),
    };
    let token = signer.sign(&claims)?;
    let base_url = format!("ws{rest}{path}{hub}");
    let url = format!("{base_url}?access_token={}", token.expose());
    Ok(ClientAccess {
        base_url,
        token,
        url,
        claims,
    })
}

/// The JWT header PyJWT writes for HS256 (keys sorted, compact).
#[cfg(test)]
const SDK_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The SDK header in base64url, the first part of every token (checked by a test).
const SDK_HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

impl KeySigner {
    /// Signs claims byte for byte as PyJWT does: its header, compact JSON with non-ASCII
    /// escaped as `\uXXXX` (Python's `ensure_ascii`), base64url without padding.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<Secret, ClientError> {
        let json =
            serde_json::to_string(claims).map_err(|e| ClientError::Signing(e.to_string()))?;
        self.sign_json(&json)
    }

    /// Signs claims already serialized as compact JSON (escaped here as PyJWT would).
    fn sign_json(&self, json: &str) -> Result<Secret, ClientError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let json = ascii_escape(json);
        // header '.' claims '.' 43-character signature
        let mut message =
            String::with_capacity(SDK_HEADER_B64.len() + json.len().div_ceil(3) * 4 + 46);
        message.push_str(SDK_HEADER_B64);
        message.push('.');
        b64.encode_string(json.as_bytes(), &mut message);
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &self.key, Algorithm::HS256)
            .map_err(|e| ClientError::Signing(e.to_string()))?;
        message.push('.');
        message.push_str(&signature);
        Ok(Secret::new(message))
    }
}

/// Escapes every character outside printable ASCII (DEL included, as Python does) as `\uXXXX` (UTF-16 units, lowercase hex),
/// as Python's `json.dumps` does by default. Only string contents can hold such characters,
/// and serde_json has already escaped the control characters below 0x20.
fn ascii_escape(json: &str) -> std::borrow::Cow<'_, str> {
    // Almost every token is plain ASCII: nothing to copy.
    if json.bytes().all(|b| b < 0x7f) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if (' '..='~').contains(&c) || c < ' ' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Checks an HS256 signature over `header.claims` with this key.
pub fn verify_hs256(token: &str, access_key: &Secret) -> bool {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return false;
    };
    jsonwebtoken::crypto::verify(
        signature,
        message.as_bytes(),
        &jsonwebtoken::DecodingKey::from_secret(access_key.expose().as_bytes()),
        Algorithm::HS256,
    )
    .unwrap_or(false)
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

    const EMULATOR_KEY: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    #[test]
    fn client_token_matches_the_sdk_vector_byte_for_byte() {
        // auth.md (c): PyJWT with the emulator key, iat 1767222000, exp 1767225600.
        let signer = KeySigner::new(&Secret::new(EMULATOR_KEY));
        let access = client_access_token(
            "http://LocalHost:8080/",
            "chat",
            &signer,
            &ClientTokenRequest {
                user: Some("user1".into()),
                roles: vec!["webpubsub.sendToGroup.g1".into()],
                groups: vec!["g1".into()],
                minutes_to_expire: 60,
                client_type: ClientType::Default,
            },
            1_767_222_000,
        )
        .unwrap();
        assert_eq!(
            access.token.expose(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvY2xpZW50L2h1YnMvY2hhdCIsImlhdCI6MTc2NzIyMjAwMCwiZXhwIjoxNzY3MjI1NjAwLCJzdWIiOiJ1c2VyMSIsInJvbGUiOlsid2VicHVic3ViLnNlbmRUb0dyb3VwLmcxIl0sIndlYnB1YnN1Yi5ncm91cCI6WyJnMSJdfQ.Sni7mu9i8fuzCuhi6ASeG-GrUU_EY0DuCSAjAEHD3pg"
        );
        assert_eq!(access.base_url, "ws://localhost:8080/client/hubs/chat");
        assert_eq!(
            access.url,
            format!("{}?access_token={}", access.base_url, access.token.expose())
        );
        assert!(verify_hs256(
            access.token.expose(),
            &Secret::new(EMULATOR_KEY)
        ));
        assert!(!verify_hs256(
            access.token.expose(),
            &Secret::new("x".repeat(43))
        ));
    }

    #[test]
    fn rest_vector_with_the_sdk_header() {
        #[derive(Serialize)]
        struct C {
            aud: &'static str,
            exp: u64,
        }
        let signer = KeySigner::new(&Secret::new(EMULATOR_KEY));
        let t = signer
            .sign(&C {
                aud: "http://localhost:8080/api/hubs/chat/:send?api-version=2024-12-01",
                exp: 1_767_225_600,
            })
            .unwrap();
        assert_eq!(t.expose(), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvYXBpL2h1YnMvY2hhdC86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIiwiZXhwIjoxNzY3MjI1NjAwfQ.mdb-YGcKvaJd2r4vueNzSxA-HWM4iLU4uEU7ujzOIz8");
    }

    #[test]
    fn paths_https_and_empty_fields_follow_the_sdk() {
        let signer = KeySigner::new(&Secret::new(EMULATOR_KEY));
        let req = |client_type, user: &str| ClientTokenRequest {
            user: Some(user.into()),
            minutes_to_expire: 30,
            client_type,
            ..Default::default()
        };
        let a = client_access_token(
            "https://Contoso.webpubsub.azure.com",
            "Chat",
            &signer,
            &req(ClientType::Mqtt, ""),
            100,
        )
        .unwrap();
        assert_eq!(
            a.base_url,
            "wss://contoso.webpubsub.azure.com/clients/mqtt/hubs/Chat"
        );
        assert_eq!(
            a.claims.aud,
            "https://contoso.webpubsub.azure.com/clients/mqtt/hubs/Chat"
        );
        assert_eq!(a.claims.exp, 100 + 1800);
        let json = serde_json::to_string(&a.claims).unwrap();
        assert_eq!(
            json,
            format!(r#"{{"aud":"{}","iat":100,"exp":1900}}"#, a.claims.aud)
        );
        let s = client_access_token(
            "http://h",
            "hub",
            &signer,
            &req(ClientType::SocketIo, "u"),
            0,
        )
        .unwrap();
        assert_eq!(s.base_url, "ws://h/clients/socketio/hubs/hub");
        assert!(
            client_access_token("ftp://h", "hub", &signer, &req(ClientType::Default, "u"), 0)
                .is_err()
        );
    }

    /// The signing as it was before the hand-written fast path: a serialized struct, the
    /// header encoded each time.
    fn old_rest_token(key: &str, url: &str, exp: u64) -> String {
        use base64::Engine as _;
        #[derive(Serialize)]
        struct RestClaims<'a> {
            aud: &'a str,
            exp: u64,
        }
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let json = serde_json::to_string(&RestClaims { aud: url, exp }).unwrap();
        let mut message = b64.encode(SDK_HEADER);
        message.push('.');
        message.push_str(&b64.encode(ascii_escape(&json).as_bytes()));
        let k = EncodingKey::from_secret(key.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &k, Algorithm::HS256).unwrap();
        format!("{message}.{signature}")
    }

    #[test]
    fn header_constant_is_the_sdk_header_encoded() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        assert_eq!(b64.encode(SDK_HEADER), SDK_HEADER_B64);
    }

    #[test]
    fn rest_token_fast_path_is_byte_identical_to_the_old_signing() {
        let signer = KeySigner::new(&Secret::new(EMULATOR_KEY));
        let url = "http://localhost:8080/api/hubs/chat/:send?api-version=2024-12-01";
        assert_eq!(
            signer.rest_token_at(url, 1_767_225_600).unwrap().expose(),
            old_rest_token(EMULATOR_KEY, url, 1_767_225_600)
        );
        // Random URLs, with quotes, backslashes, control characters, DEL and non-ASCII
        // mixed in so every escaping path is taken.
        let alphabet: Vec<char> = "abcXYZ019/:?&=%-._~ \"\\\u{1}\u{1f}\u{7f}üé中😀"
            .chars()
            .collect();
        for _ in 0..2000 {
            let len = rand::random_range(0..80);
            let tail: String = (0..len)
                .map(|_| alphabet[rand::random_range(0..alphabet.len())])
                .collect();
            let url = format!("https://h.example/api/hubs/h/{tail}");
            let exp = rand::random::<u64>() >> rand::random_range(0..64);
            assert_eq!(
                signer.rest_token_at(&url, exp).unwrap().expose(),
                old_rest_token(EMULATOR_KEY, &url, exp),
                "{url:?} {exp}"
            );
        }
    }

    #[test]
    fn non_ascii_is_escaped_like_python() {
        assert_eq!(
            ascii_escape(r#"{"sub":"üa😀\u001f"}"#),
            r#"{"sub":"\u00fca\ud83d\ude00\u001f"}"#
        );
        assert_eq!(ascii_escape("\u{7f}"), "\\u007f");
    }
}
