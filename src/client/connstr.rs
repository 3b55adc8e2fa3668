//! Connection strings, parsed the way the official SDKs parse them.

use super::secret::Secret;
use super::ClientError;

/// Where the service is and the key that signs requests to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// `scheme://host[:port][/prefix]`, no trailing `/`.
    pub endpoint: String,
    /// The `AccessKey` value as written; it is the HMAC key of every token.
    pub access_key: Secret,
}

impl ConnectionString {
    /// Parses `Endpoint=...;AccessKey=...;Version=1.0;[Port=N;]`.
    ///
    /// Like the Python SDK: segments split on `;` (empty ones ignored), each split at its first
    /// `=` (so base64 padding in the key survives), keys case-insensitive, first occurrence wins,
    /// `Port` appended to the endpoint. Unlike it, a missing scheme or an unusable endpoint is
    /// refused here rather than at the first request.
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        let bad = |why: String| ClientError::ConnectionString(why);
        if input.trim().is_empty() {
            return Err(bad("connection string is empty".into()));
        }
        let mut endpoint: Option<&str> = None;
        let mut key: Option<&str> = None;
        let mut port: Option<&str> = None;
        for segment in input.split(';') {
            if segment.is_empty() {
                continue;
            }
            let Some((name, value)) = segment.split_once('=') else {
                // Only the segment's name part could be shown safely; show its length instead.
                return Err(bad(format!(
                    "malformed segment (expected 'key=value', found {} characters without '=')",
                    segment.len()
                )));
            };
            let slot = match name.to_ascii_lowercase().as_str() {
                "endpoint" => &mut endpoint,
                "accesskey" => &mut key,
                "port" => &mut port,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        let endpoint = endpoint
            .filter(|e| !e.is_empty())
            .ok_or_else(|| bad("missing 'Endpoint'".into()))?;
        let key = key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad("missing 'AccessKey'".into()))?;
        // A missing `;` makes the key part of the Endpoint or Port value: never echo those then.
        let runs_into_key = |v: &str| {
            v.to_ascii_lowercase().contains("accesskey") || (key.len() >= 8 && v.contains(key))
        };
        let mut endpoint = normalize_endpoint(endpoint).map_err(|e| {
            if runs_into_key(endpoint) {
                bad(
                    "invalid Endpoint: it runs into the AccessKey; separate the parts with ';'"
                        .into(),
                )
            } else {
                e
            }
        })?;
        if let Some(port) = port.filter(|p| !p.is_empty()) {
            let n: u16 = port.parse().ok().filter(|n| *n != 0).ok_or_else(|| {
                if runs_into_key(port) {
                    bad("invalid Port (expected 1-65535); separate the parts with ';'".into())
                } else {
                    bad(format!("invalid Port '{port}' (expected 1-65535)"))
                }
            })?;
            let url =
                url::Url::parse(&endpoint).map_err(|e| bad(format!("invalid Endpoint: {e}")))?;
            if url.port().is_some() || url.path() != "/" {
                return Err(bad(
                    "Port= given but Endpoint already has a port or a path".into()
                ));
            }
            endpoint = format!("{endpoint}:{n}");
        }
        Ok(ConnectionString {
            endpoint,
            access_key: Secret::new(key),
        })
    }
}

/// `url` without the `user:password@` before its host, for showing it: endpoints are echoed
/// in errors, logs and tables, and user info there is a credential.
pub fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return url.into();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]).into(),
        None => url.into(),
    }
}

/// Whether a URL's host is this machine: `localhost` (or a name under it), 127.0.0.0/8 or
/// `::1`. Names are not looked up.
pub fn is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks an endpoint URL and strips its trailing `/`.
pub fn normalize_endpoint(endpoint: &str) -> Result<String, ClientError> {
    let bad = |why: String| ClientError::ConnectionString(why);
    let raw = endpoint;
    // Errors show it without user info (and not at all when an '@' outside the authority
    // leaves that in doubt).
    let shown = without_userinfo(raw);
    let endpoint: &str = if shown.contains('@') {
        "(not shown: it holds '@')"
    } else {
        &shown
    };
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(bad(format!(
            "invalid Endpoint '{endpoint}': it must start with http:// or https://"
        )));
    }
    let url =
        url::Url::parse(raw).map_err(|e| bad(format!("invalid Endpoint '{endpoint}': {e}")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("invalid Endpoint '{endpoint}': no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "invalid Endpoint '{endpoint}': it must not have a query or fragment"
        )));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "https://localhost",
            "https://LOCALHOST.:1",
            "http://app.localhost",
            "http://[::1]:80/x",
            "http://user:pw@127.0.0.1",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://contoso.webpubsub.azure.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    fn parse(s: &str) -> Result<ConnectionString, String> {
        ConnectionString::parse(s).map_err(|e| e.to_string())
    }

    #[test]
    fn user_info_is_never_shown() {
        for (url, shown) in [
            ("http://u:p@h:1/x?y#z", "http://h:1/x?y#z"),
            ("https://a%40b:p@ss@h", "https://h"),
            ("http://h/users/a@b", "http://h/users/a@b"),
            ("http://h", "http://h"),
            ("no scheme@h", "no scheme@h"),
        ] {
            assert_eq!(without_userinfo(url), shown, "{url}");
        }
        let e = parse("Endpoint=ftp://u:secret@h;AccessKey=k").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
        let e = parse("Endpoint=http://u:se/cret@h;AccessKey=k").unwrap_err();
        assert!(!e.contains("cret"), "{e}");
    }

    #[test]
    fn portal_form() {
        let c =
            parse("Endpoint=https://x.webpubsub.azure.com;AccessKey=abc=;Version=1.0;").unwrap();
        assert_eq!(c.endpoint, "https://x.webpubsub.azure.com");
        assert_eq!(c.access_key.expose(), "abc=");
    }

    #[test]
    fn port_case_and_padding() {
        let c = parse("endpoint=http://localhost/;ACCESSKEY=k==;port=8080").unwrap();
        assert_eq!(c.endpoint, "http://localhost:8080");
        assert_eq!(c.access_key.expose(), "k==");
    }

    #[test]
    fn first_occurrence_wins_and_unknown_keys_ignored() {
        let c = parse("Endpoint=http://a;Endpoint=http://b;ClientPort=1;AccessKey=k").unwrap();
        assert_eq!(c.endpoint, "http://a");
    }

    #[test]
    fn missing_parts_are_named() {
        assert!(parse("AccessKey=k")
            .unwrap_err()
            .contains("missing 'Endpoint'"));
        assert!(parse("Endpoint=http://a;")
            .unwrap_err()
            .contains("missing 'AccessKey'"));
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("garbage").unwrap_err().contains("malformed"));
        assert!(parse("Endpoint=ftp://a;AccessKey=k")
            .unwrap_err()
            .contains("http://"));
        assert!(parse("Endpoint=http://a;AccessKey=k;Port=99999")
            .unwrap_err()
            .contains("Port"));
        assert!(parse("Endpoint=http://a:1;AccessKey=k;Port=2")
            .unwrap_err()
            .contains("Port"));
    }

    #[test]
    fn errors_never_contain_the_key() {
        let e = parse("Endpoint=nope;AccessKey=supersecret").unwrap_err();
        assert!(!e.contains("supersecret"));
        let e = parse("AccessKeysupersecret;Endpoint=http://a").unwrap_err();
        assert!(!e.contains("supersecret"));
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(input in "\\PC*") {
            let _ = ConnectionString::parse(&input);
        }

        #[test]
        fn errors_never_contain_the_key_whatever_surrounds_it(
            key in "[A-Za-z0-9+/]{12,44}={0,2}",
            before in "[ -~]{0,40}",
            after in "[ -~]{0,40}",
            port in "[ -~]{0,8}",
        ) {
            for input in [
                format!("{before};AccessKey={key};{after}"),
                format!("Endpoint={before};AccessKey={key};Port={port};{after}"),
                format!("AccessKey={key};Endpoint={after}"),
                format!("AccessKey{key};Endpoint=http://a"),
                format!("Endpoint=http://a{before} AccessKey={key}"),
                format!("Endpoint=http://a;Port=80 AccessKey={key}"),
                format!("AccessKey={key};Endpoint=http://a;Port={key}"),
                format!("AccessKey={key};Endpoint={key}"),
                key.clone(),
            ] {
                if let Err(e) = ConnectionString::parse(&input) {
                    proptest::prop_assert!(!e.to_string().contains(&key), "{e}");
                }
            }
        }
    }
}
