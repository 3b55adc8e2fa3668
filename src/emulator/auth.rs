//! Token checks, as the service makes them: HS256 signature with the access key, `exp` and
//! `nbf` if present (5 minutes of clock skew allowed either way), and `aud` against the request
//! URL as sent: scheme and host case-insensitively, path and query after the percent-encoding
//! normalisation of [`normalise`] on both sides, so a client that rewrites the encoding of
//! what it signed (aiohttp) is served and a URL that means something else is not.
//!
//! With an Entra issuer key configured, REST calls may instead carry an RS256 token signed by
//! that key whose `aud` is the Web PubSub resource (`https://webpubsub.azure.com`), as Entra ID
//! issues them: tests stand in for Entra ID with a key pair of their own.

use std::fmt::Write as _;

use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::client::{ClientClaims, KeySigner, Secret};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// The `aud` of Entra ID tokens for Web PubSub.
pub const ENTRA_AUDIENCE: &str = "https://webpubsub.azure.com";

/// The clock skew allowed on `exp` and `nbf`, in seconds (the service's five minutes).
const CLOCK_SKEW_SECS: u64 = 300;

/// Why a token was refused; the text goes into the 401 body.
pub type AuthError = String;

/// Marks a REST request that came through a tunnel connection of its hub: the connection's
/// token, checked when the tunnel opened (hub included), stands for the request's, as the
/// official tunnel client sends REST calls with no Authorization of their own. Set by the
/// tunnel, read by the REST API's authorisation; here, below both.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TunnelCall;

pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    /// The test issuer's public key and its checks, when Entra tokens are accepted.
    entra: Option<(DecodingKey, Validation)>,
    /// Signs client tokens for `:generateToken` with the same key.
    signer: KeySigner,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(<redacted>)")
    }
}

impl Verifier {
    pub fn new(access_key: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = CLOCK_SKEW_SECS;
        validation.validate_aud = false;
        // `nbf` is checked by `not_before`: jsonwebtoken skips one it cannot read as a u64.
        validation.validate_nbf = false;
        validation.required_spec_claims = ["exp".to_string()].into_iter().collect();
        Verifier {
            key: DecodingKey::from_secret(access_key.as_bytes()),
            validation,
            entra: None,
            signer: KeySigner::new(&Secret::new(access_key)),
        }
    }

    /// Also accepts RS256 REST tokens signed by the holder of this public key (PEM), with
    /// `aud` = [`ENTRA_AUDIENCE`].
    pub fn with_entra_issuer(mut self, public_key_pem: &str) -> Result<Self, AuthError> {
        let key = DecodingKey::from_rsa_pem(public_key_pem.as_bytes())
            .map_err(|e| format!("the Entra issuer key is not an RSA public key in PEM: {e}"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = CLOCK_SKEW_SECS;
        validation.validate_nbf = false;
        validation.set_audience(&[ENTRA_AUDIENCE, &format!("{ENTRA_AUDIENCE}/")]);
        validation.required_spec_claims = ["exp", "aud"].iter().map(|s| s.to_string()).collect();
        self.entra = Some((key, validation));
        Ok(self)
    }

    /// True when the token is an Entra ID token (RS256) this emulator accepts.
    pub fn is_entra_token(&self, token: &str) -> bool {
        self.entra.is_some()
            && jsonwebtoken::decode_header(token).is_ok_and(|h| h.alg == Algorithm::RS256)
    }

    /// A client access token signed with the emulator's key.
    pub fn sign_client(&self, claims: &ClientClaims) -> Result<String, AuthError> {
        self.signer
            .sign(claims)
            .map(|t| t.expose().to_string())
            .map_err(|e| format!("could not sign the token: {e}"))
    }

    /// Checks signature and lifetime and returns the claims.
    pub fn decode(&self, token: &str) -> Result<serde_json::Map<String, Value>, AuthError> {
        let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(
            token,
            &self.key,
            &self.validation,
        )
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                "the access token has expired".to_string()
            }
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "the access token's signature is invalid".to_string()
            }
            _ => format!("the access token is malformed: {e}"),
        })?;
        not_before(&claims, crate::client::now_secs(), "access token")?;
        Ok(claims)
    }

    /// A REST token: `aud` must be one of the request's URLs (see [`request_urls`]), with or
    /// without its query. Scheme and host compare case-insensitively; path and query as
    /// [`same_url`] compares them.
    /// An Entra token is checked against the issuer key and the Web PubSub audience instead.
    pub fn check_rest(&self, token: &str, urls: &[String]) -> Result<(), AuthError> {
        if let (true, Some((key, validation))) = (self.is_entra_token(token), &self.entra) {
            let claims =
                jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, key, validation)
                    .map_err(|e| match e.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                            "the Entra ID token has expired".to_string()
                        }
                        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                            "the Entra ID token's signature is invalid".to_string()
                        }
                        jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                            format!("the Entra ID token's audience is not '{ENTRA_AUDIENCE}'")
                        }
                        _ => format!("the Entra ID token is invalid: {e}"),
                    })?
                    .claims;
            return not_before(&claims, crate::client::now_secs(), "Entra ID token");
        }
        let claims = self.decode(token)?;
        let mut accepted = Vec::new();
        for url in urls {
            accepted.push(url.as_str());
            accepted.push(url.split('?').next().unwrap_or(url));
        }
        check_aud(&claims, &accepted)
    }

    /// A client token: `aud` must be `expected_aud` (scheme and host case aside).
    pub fn check_client(
        &self,
        token: &str,
        expected_aud: &str,
    ) -> Result<serde_json::Map<String, Value>, AuthError> {
        let claims = self.decode(token)?;
        check_aud(&claims, &[expected_aud])?;
        Ok(claims)
    }

    /// A client token for this upgrade request: `aud` must be the URL it was sent to, in one
    /// of the forms [`client_audiences`] lists.
    pub fn check_client_request(
        &self,
        token: &str,
        parts: &Parts,
    ) -> Result<serde_json::Map<String, Value>, AuthError> {
        let mut first_refusal = None;
        for aud in client_audiences(parts)? {
            match self.check_client(token, &aud) {
                Ok(claims) => return Ok(claims),
                Err(why) => {
                    first_refusal.get_or_insert(why);
                }
            }
        }
        Err(first_refusal.unwrap_or_else(|| "the request has no URL".to_string()))
    }
}

/// `nbf`, when present, must be a time no later than `now` plus the clock skew. It is a
/// NumericDate: a number of seconds, any sign, fractions allowed; a string holding one is read
/// as one (as .NET's token handlers read it). Anything else is refused, not skipped: a token
/// whose start cannot be read is not known to have started.
fn not_before(
    claims: &serde_json::Map<String, Value>,
    now: u64,
    token: &str,
) -> Result<(), AuthError> {
    let nbf = match claims.get("nbf") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match nbf.filter(|n| n.is_finite()) {
        None => Err(format!("the {token}'s 'nbf' is not a NumericDate")),
        Some(nbf) if nbf > (now + CLOCK_SKEW_SECS) as f64 => {
            Err(format!("the {token} is not valid yet"))
        }
        Some(_) => Ok(()),
    }
}

/// The URLs a request's token may name, as a token's `aud` names them: origin (scheme and
/// host: as the client sees it, then, behind a loopback proxy, as it reached the emulator;
/// see [`super::origin`]), then path and query exactly as on the wire.
pub fn request_urls(parts: &Parts) -> Result<Vec<String>, AuthError> {
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let origins = super::origin::accepted(parts);
    if origins.is_empty() {
        return Err("The request has no Host header.".to_string());
    }
    Ok(origins
        .iter()
        .map(|o| format!("{o}{path_and_query}"))
        .collect())
}

/// The request's `scheme://host`, or the 400 message for a request that names no host.
pub fn request_origin(parts: &Parts) -> Result<super::origin::Origin, AuthError> {
    super::origin::of(parts).ok_or_else(|| "The request has no Host header.".to_string())
}

/// What a client token's `aud` may be for an upgrade request: the URL without its query, as
/// sent (from each of the request's origins, see [`request_urls`]), or with the hub (the last segment) percent-decoded, as the SDKs write it (hub names
/// cannot hold `%`, `/` or `?`, so decoding cannot make two hubs one).
pub fn client_audiences(parts: &Parts) -> Result<Vec<String>, AuthError> {
    let origins = super::origin::accepted(parts);
    if origins.is_empty() {
        return Err("The request has no Host header.".to_string());
    }
    let sent = parts.uri.path();
    // socket.io-client ends its `path` with a slash (`/clients/socketio/hubs/chat/`); the
    // token names the endpoint without it, as the SDKs write it.
    let trimmed = sent.strip_suffix('/').filter(|p| !p.is_empty());
    let mut accepted = Vec::new();
    for origin in origins {
        for path in std::iter::once(sent).chain(trimmed) {
            accepted.push(format!("{origin}{path}"));
            if let Some((prefix, hub)) = path.rsplit_once('/') {
                if let Ok(decoded) = percent_decode_str(hub).decode_utf8() {
                    if decoded != hub {
                        accepted.push(format!("{origin}{prefix}/{decoded}"));
                    }
                }
            }
        }
    }
    Ok(accepted)
}

/// `scheme://authority` and the rest (path, query) of a URL.
fn split_origin(url: &str) -> (&str, &str) {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return ("", url);
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    url.split_at(end)
}

/// The URL a token names and the URL a request was sent to are the same URL when scheme and
/// host are equal but for case (they are case-insensitive) and path and query are equal after
/// [`normalise`]: `U1` is not `u1`, `a%2Fb` is not `a/b`, `%2527` is not `'`, but `%27` is `'`.
fn same_url(aud: &str, want: &str) -> bool {
    let (aud_origin, aud_rest) = split_origin(aud);
    let (want_origin, want_rest) = split_origin(want);
    aud_origin.eq_ignore_ascii_case(want_origin) && normalise(aud_rest) == normalise(want_rest)
}

/// A URL's path and query (`/path?query`) in one spelling of the many that mean the same:
/// RFC 3986 §6.2.2.1 and §6.2.2.2, percent-encoding normalisation, with the octets a query or
/// a path segment may hold literally and that are no delimiter there counted as unreserved.
///
/// - `%XX` of an octet [`literal_is_same`] allows becomes that character;
/// - any other `%XX` stays encoded, its hex digits in upper case (`%2f` is `%2F`);
/// - everything else is kept as it is: letters keep their case, nothing is decoded twice
///   (`%2527` stays `%2527`), a `%` without two hex digits is an ordinary character.
///
/// Why those octets: the Python SDK signs its URL with everything but the unreserved set
/// encoded (`filter=userId%20ne%20%27user1%27`), and aiohttp (yarl) sends it with exactly
/// these octets decoded (`'user1'`), which the service accepts. Each has the same meaning in
/// both spellings to the service and to this emulator: paths are split at `/` and then
/// decoded, queries split at `&` and the first `=` and then decoded, `+` read as `+`.
fn normalise(rest: &str) -> String {
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(rest.len());
    normalise_into(&mut out, path, Component::Path);
    if let Some(query) = query {
        out.push('?');
        normalise_into(&mut out, query, Component::Query);
    }
    out
}

#[derive(Clone, Copy)]
enum Component {
    Path,
    Query,
}

/// True when `%XX` of `octet` and the octet itself mean the same in `component`: unreserved
/// characters (RFC 3986 §2.3), and the sub-delimiters, `:` and `@` that the component allows
/// literally and does not split on. Not `/` in a path (segments), nor `&`, `=`, `;` or `+` in a
/// query (pairs, and `+` is a space to form decoders); in a path not `+` either, which aiohttp
/// keeps encoded there.
fn literal_is_same(octet: u8, component: Component) -> bool {
    let everywhere = octet.is_ascii_alphanumeric()
        || matches!(
            octet,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b','
                | b':'
                | b'@'
        );
    everywhere
        || match component {
            Component::Path => matches!(octet, b'&' | b';' | b'='),
            Component::Query => matches!(octet, b'/' | b'?'),
        }
}

fn normalise_into(out: &mut String, s: &str, component: Component) {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match escaped {
            Some(octet) if literal_is_same(octet, component) => out.push(char::from(octet)),
            Some(octet) => {
                let _ = write!(out, "%{octet:02X}");
            }
            None => {
                // A `%` that starts no escape means a `%`, as `%25` does (and as clients
                // send it): written so, what follows cannot form an escape with a character
                // decoded next (`%a%30` must not become `%a0`).
                let start = if bytes[i] == b'%' {
                    out.push_str("%25");
                    i + 1
                } else {
                    i
                };
                // Copy up to the next `%`, a character boundary (`%` is ASCII).
                let next = bytes[start..]
                    .iter()
                    .position(|&b| b == b'%')
                    .map_or(s.len(), |n| start + n);
                out.push_str(&s[start..next]);
                i = next;
                continue;
            }
        }
        i += 3;
    }
}

fn check_aud(claims: &serde_json::Map<String, Value>, accepted: &[&str]) -> Result<(), AuthError> {
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Err("the access token has no audience".into()),
    };
    let matches = |aud: &str| accepted.iter().any(|want| same_url(aud, want));
    if auds.into_iter().any(matches) {
        Ok(())
    } else {
        Err(format!(
            "the access token's audience does not match '{}'",
            accepted.first().copied().unwrap_or_default()
        ))
    }
}

/// A client's token: the `access_token` query parameter (what the SDKs' client URLs carry),
/// else an `Authorization: Bearer` header.
pub fn token_of(query: &[(String, String)], headers: &axum::http::HeaderMap) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.clone())
        .or_else(|| bearer(headers).map(str::to_string))
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// A claim that may be one string or an array of strings (`role`, `webpubsub.group`).
pub fn string_list(claims: &serde_json::Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    #[test]
    fn reference_vector_signature_checks_out() {
        // From auth.md; long expired, so check the signature alone.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvYXBpL2h1YnMvY2hhdC86c2VuZD9hcGktdmVyc2lvbj0yMDI0LTEyLTAxIiwiZXhwIjoxNzY3MjI1NjAwfQ.mdb-YGcKvaJd2r4vueNzSxA-HWM4iLU4uEU7ujzOIz8";
        let mut v = Verifier::new(KEY);
        v.validation.validate_exp = false;
        let c = v.decode(token).unwrap();
        assert_eq!(c["exp"], 1767225600);
        let url = "http://localhost:8080/api/hubs/chat/:send?api-version=2024-12-01";
        assert!(check_aud(&c, &[url]).is_ok());
        assert!(check_aud(
            &c,
            &["HTTP://LOCALHOST:8080/api/hubs/chat/:send?api-version=2024-12-01"]
        )
        .is_ok());
        assert!(check_aud(&c, &["http://localhost:8080/api/hubs/other/:send"]).is_err());
        assert!(Verifier::new("another-key-another-key-another-key")
            .decode(token)
            .is_err());
    }

    #[test]
    fn nbf_is_refused_beyond_the_clock_skew_and_when_unreadable() {
        let now = 1_767_225_600;
        let nbf = |v: Value| {
            not_before(
                &serde_json::json!({ "nbf": v }).as_object().unwrap().clone(),
                now,
                "access token",
            )
        };
        let refused = |v: Value| nbf(v).is_err();
        // An hour ahead, as an integer, a fraction, a string (how .NET reads one) or a number
        // too big for u64 (which jsonwebtoken skips without a word).
        assert_eq!(
            nbf(serde_json::json!(now + 3600)).unwrap_err(),
            "the access token is not valid yet"
        );
        assert!(refused(serde_json::json!(now as f64 + 3600.5)));
        assert!(refused(serde_json::json!((now + 3600).to_string())));
        assert!(refused(serde_json::json!(1e30)));
        assert!(refused(serde_json::json!(u64::MAX)));
        // The same five minutes of skew as `exp`.
        assert!(refused(serde_json::json!(now + CLOCK_SKEW_SECS + 1)));
        assert!(nbf(serde_json::json!(now + CLOCK_SKEW_SECS)).is_ok());
        assert!(nbf(serde_json::json!(now)).is_ok());
        assert!(nbf(serde_json::json!(-5)).is_ok());
        assert!(nbf(serde_json::json!(now.to_string())).is_ok());
        assert!(nbf(Value::Null).is_ok());
        assert!(not_before(&serde_json::Map::new(), now, "access token").is_ok());
        // Not a NumericDate at all: refused, not skipped.
        for bad in [
            serde_json::json!(true),
            serde_json::json!("soon"),
            serde_json::json!([now]),
            serde_json::json!({}),
        ] {
            assert_eq!(
                nbf(bad.clone()).unwrap_err(),
                "the access token's 'nbf' is not a NumericDate",
                "{bad}"
            );
        }
    }

    #[test]
    fn rest_and_client_tokens_not_valid_yet_are_refused() {
        let v = Verifier::new(KEY);
        let now = crate::client::now_secs();
        let url = "http://h/api/hubs/chat/:send?api-version=2024-12-01";
        let token = |nbf: Value| {
            let claims = serde_json::json!({"aud": url, "exp": now + 7200, "nbf": nbf});
            v.signer.sign(&claims).unwrap().expose().to_string()
        };
        let rest = |nbf: Value| v.check_rest(&token(nbf), &[url.to_string()]);
        assert_eq!(
            rest(serde_json::json!((now + 3600).to_string())).unwrap_err(),
            "the access token is not valid yet"
        );
        assert!(rest(serde_json::json!(1e30)).is_err());
        assert!(rest(serde_json::json!(now + 3600)).is_err());
        assert!(rest(serde_json::json!(now)).is_ok());
        assert!(v
            .check_client(&token(serde_json::json!((now + 3600).to_string())), url)
            .is_err());
    }

    #[test]
    fn audiences_compare_path_and_query_exactly() {
        let same = |a, b| same_url(a, b);
        assert!(same(
            "HTTP://LocalHost:8080/api/x?a=1",
            "http://localhost:8080/api/x?a=1"
        ));
        assert!(!same(
            "http://h/api/hubs/chat/users/U1",
            "http://h/api/hubs/chat/users/u1"
        ));
        assert!(!same(
            "http://h/users/a%2Fgroups%2Fg",
            "http://h/users/a/groups/g"
        ));
        assert!(!same("http://h/groups/x%252Fy", "http://h/groups/x%2Fy"));
        // Hex digits are case-insensitive (RFC 3986 §6.2.2.1): aiohttp sends `%2F` for `%2f`.
        assert!(same("http://h/api/x%2f", "http://h/api/x%2F"));
        assert!(!same("http://h/api/x/", "http://h/api/x"));
        assert!(!same("http://h:1/api/x", "http://h:2/api/x"));
        assert!(!same("http://h?a=1", "http://h?a=2"));
        assert!(same("http://h", "http://H"));
    }

    /// What the Python SDK signs (every octet but the unreserved ones encoded) and what its
    /// async client sends it as (aiohttp: yarl 1.25 requoting), captured.
    const SIGNED_AND_SENT: [(&str, &str); 5] = [
        (
            "/api/hubs/chat/:send?excluded=c1&excluded=c2&api-version=2024-12-01&filter=userId%20ne%20%27u1%27",
            "/api/hubs/chat/:send?excluded=c1&excluded=c2&api-version=2024-12-01&filter=userId%20ne%20'u1'",
        ),
        (
            "/api/hubs/chat/groups/team%20%231%2Fa%3Fb/:send?excluded=c1&api-version=2024-12-01&filter=%27g2%27%20in%20groups",
            "/api/hubs/chat/groups/team%20%231%2Fa%3Fb/:send?excluded=c1&api-version=2024-12-01&filter='g2'%20in%20groups",
        ),
        (
            "/api/hubs/chat/users/user%201%2F%C3%A9/:send?api-version=2024-12-01&filter=connectionId%20ne%20%27c1%27",
            "/api/hubs/chat/users/user%201%2F%C3%A9/:send?api-version=2024-12-01&filter=connectionId%20ne%20'c1'",
        ),
        (
            "/api/hubs/chat/users/o%27brien%26co%3Bx%3Dy%2Bz%40w/:send?api-version=2024-12-01",
            "/api/hubs/chat/users/o'brien&co;x=y%2Bz@w/:send?api-version=2024-12-01",
        ),
        (
            "/api/hubs/chat/:closeConnections?reason=a%2Bb%26c%3Dd%3Be%21%2A%28%29%2C%24%3A%40%2F%3F&api-version=2024-12-01",
            "/api/hubs/chat/:closeConnections?reason=a%2Bb%26c%3Dd%3Be!*(),$:@/?&api-version=2024-12-01",
        ),
    ];

    #[test]
    fn what_the_sdk_signs_matches_what_aiohttp_sends() {
        for (signed, sent) in SIGNED_AND_SENT {
            assert!(
                same_url(&format!("http://h:1{signed}"), &format!("http://h:1{sent}")),
                "{signed} vs {sent}"
            );
            assert_eq!(normalise(signed), normalise(sent));
        }
        assert_eq!(
            normalise("/a%2fb%7e%41?q=%27%2f%7E%c3%a9%26"),
            "/a%2Fb~A?q='/~%C3%A9%26"
        );
        // Literal non-ASCII is copied as it is; a `%` that is no escape means `%25`.
        assert_eq!(normalise("é%zz%41é?x=é%41é%2"), "é%25zzAé?x=éAé%252");
    }

    #[test]
    fn near_misses_stay_apart_after_normalising() {
        let same = |a: &str, b: &str| same_url(&format!("http://h{a}"), &format!("http://h{b}"));
        for (a, b) in [
            // Decoded once only.
            ("/x?f=%2527", "/x?f='"),
            ("/x?f=%2527", "/x?f=%27"),
            ("/x%2527", "/x'"),
            // A stray `%` does not join what is decoded after it.
            ("/x?f=%a%30", "/x?f=%a0"),
            ("/x%a%30", "/x%a0"),
            // Delimiters: a segment, a pair, a value, a space to form decoders.
            ("/users/a%2Fgroups%2Fg", "/users/a/groups/g"),
            ("/x?a=1%26b=2", "/x?a=1&b=2"),
            ("/x?a%3D1", "/x?a=1"),
            ("/x?a=%2B", "/x?a=+"),
            ("/x?a=%3B", "/x?a=;"),
            ("/x%2Ba", "/x+a"),
            ("/x%3Fa", "/x?a"),
            ("/x%23a", "/x#a"),
            // Not allowed literally: stays encoded.
            ("/x?a=%20", "/x?a= "),
            ("/x?a=%60", "/x?a=`"),
            // Case outside the hex digits, and what is not an escape.
            ("/users/U1", "/users/u1"),
            ("/x?f=%27U1%27", "/x?f='u1'"),
            ("/x%zz", "/x%ZZ"),
            ("/x%2", "/x%02"),
        ] {
            assert!(!same(a, b), "{a} vs {b}");
        }
    }

    /// A path's decoded segments and a query's decoded pairs.
    type Meaning = (Vec<Vec<u8>>, Vec<(Vec<u8>, Vec<u8>)>);

    /// What a path and query mean to the service and to this emulator: the path's segments
    /// and the query's pairs, each percent-decoded (as bytes).
    fn meaning(rest: &str) -> Meaning {
        let bytes = |s: &str| percent_decode_str(s).collect::<Vec<u8>>();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let segments = path.split('/').map(bytes).collect();
        let pairs = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (bytes(k), bytes(v))
            })
            .collect();
        (segments, pairs)
    }

    /// `s` with each character `encode` picks written `%XX`, in lower or upper case hex.
    fn encode_some(s: &str, encode: &[bool], lower: &[bool]) -> String {
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if c.is_ascii() && c != '%' && encode.get(i) == Some(&true) {
                let escape = format!("%{:02X}", c as u8);
                let lower = lower.get(i) == Some(&true);
                out.push_str(&if lower { escape.to_lowercase() } else { escape });
            } else {
                out.push(c);
            }
        }
        out
    }

    proptest::proptest! {
        /// Normalising never changes what a URL means, so two URLs that normalise alike mean
        /// the same: the token names exactly the request.
        #[test]
        fn normalising_keeps_the_meaning(s in "([a-zA-Z0-9%/?&=+;:@!$'()*,~._#` -]|%[0-9a-fA-F]{2}|é){0,40}") {
            proptest::prop_assert_eq!(meaning(&normalise(&s)), meaning(&s));
            proptest::prop_assert_eq!(normalise(&normalise(&s)), normalise(&s));
        }

        /// Whatever a client decodes of what it signed, of the octets a component holds
        /// literally with the same meaning, and in whatever hex case, the URLs are the same.
        #[test]
        fn encoding_what_means_the_same_changes_nothing(
            segments in proptest::collection::vec("[a-zA-Z0-9'()*!$,:@~._&;=-]{0,8}", 1..4),
            pairs in proptest::collection::vec(("[a-zA-Z0-9'()*!$,:@~._/?-]{0,8}", "[a-zA-Z0-9'()*!$,:@~._/?-]{0,8}"), 0..4),
            encode in proptest::collection::vec(proptest::bool::ANY, 8),
            lower in proptest::collection::vec(proptest::bool::ANY, 8),
        ) {
            let spell = |encoded: bool| {
                let piece = |p: &str| if encoded { encode_some(p, &encode, &lower) } else { p.to_string() };
                let path: Vec<String> = segments.iter().map(|s| piece(s)).collect();
                let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", piece(k), piece(v))).collect();
                format!("http://h/{}?{}", path.join("/"), query.join("&"))
            };
            let (literal, encoded) = (spell(false), spell(true));
            proptest::prop_assert!(same_url(&literal, &encoded), "{} vs {}", literal, encoded);
        }
    }

    #[test]
    fn client_audiences_use_the_authority_and_the_path_as_sent() {
        let parts = |uri: &str, host: Option<&str>| {
            let mut b = axum::http::Request::builder().uri(uri);
            if let Some(h) = host {
                b = b.header(axum::http::header::HOST, h);
            }
            b.body(()).unwrap().into_parts().0
        };
        let p = parts("/client/hubs/a%60b?access_token=x", Some("Host:1"));
        assert_eq!(
            client_audiences(&p).unwrap(),
            [
                "http://Host:1/client/hubs/a%60b",
                "http://Host:1/client/hubs/a`b"
            ]
        );
        // HTTP/2: the URI carries the authority, which wins over a Host header.
        let p = parts("http://h2:2/client/hubs/chat", Some("other:3"));
        assert_eq!(
            client_audiences(&p).unwrap(),
            ["http://h2:2/client/hubs/chat"]
        );
        assert!(client_audiences(&parts("/client/hubs/chat", None)).is_err());
        // socket.io-client's trailing slash.
        let p = parts("/clients/socketio/hubs/chat/?EIO=4", Some("h:1"));
        assert_eq!(
            client_audiences(&p).unwrap(),
            [
                "http://h:1/clients/socketio/hubs/chat/",
                "http://h:1/clients/socketio/hubs/chat"
            ]
        );
    }
}
