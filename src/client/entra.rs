//! Microsoft Entra ID sign-in through the official `azure_identity` credentials.
//!
//! The credential asks for the Web PubSub scope once and reuses the access token until it is
//! close to expiry, so a run makes one sign-in however many requests it sends. Credentials
//! that call an authority (client secret, workload and managed identity) go through our own
//! reqwest client, so the binary carries one HTTP stack.
//!
//! The credential needs the `entra` cargo feature; `:generateToken` and the endpoint check
//! are always built.

#[cfg(feature = "entra")]
use std::sync::Arc;

#[cfg(feature = "entra")]
use azure_core::credentials::TokenCredential;
#[cfg(feature = "entra")]
use azure_core::http::{
    AsyncRawResponse, Body, ExponentialRetryOptions, HttpClient, RetryOptions, Transport,
};
#[cfg(feature = "entra")]
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ClientSecretCredentialOptions,
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
#[cfg(feature = "entra")]
use tokio::sync::Mutex;

use super::operations::{encode, validate_group, validate_hub};
use super::{
    Client, ClientAccess, ClientClaims, ClientError, ClientTokenRequest, ClientType, Request,
    Secret,
};

/// The scope every Web PubSub data-plane token is asked for.
pub const WEB_PUBSUB_SCOPE: &str = "https://webpubsub.azure.com/.default";

/// A cached token is renewed this long before it expires, so a request never carries a token
/// that runs out on the way.
#[cfg(feature = "entra")]
const RENEW_BEFORE_SECS: u64 = 300;

/// Which `azure_identity` credential signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraMode {
    /// `az account get-access-token`.
    AzureCli,
    /// The Azure host's managed identity; user-assigned when `AZURE_CLIENT_ID` is set.
    ManagedIdentity,
    /// Kubernetes workload identity (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity,
    /// A service principal (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`).
    ClientSecret,
    /// The crate's developer chain: Azure CLI, then Azure Developer CLI.
    Default,
}

impl EntraMode {
    /// The `--auth` value that selects this mode.
    pub fn name(self) -> &'static str {
        match self {
            EntraMode::AzureCli => "azure-cli",
            EntraMode::ManagedIdentity => "managed-identity",
            EntraMode::WorkloadIdentity => "workload-identity",
            EntraMode::ClientSecret => "client-secret",
            EntraMode::Default => "default",
        }
    }

    /// The `--auth` value, or None for `key` and unknown names.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "azure-cli" => EntraMode::AzureCli,
            "managed-identity" => EntraMode::ManagedIdentity,
            "workload-identity" => EntraMode::WorkloadIdentity,
            "client-secret" => EntraMode::ClientSecret,
            "default" => EntraMode::Default,
            _ => return None,
        })
    }
}

/// A sign-in's outcome: the token and its expiry (Unix seconds), or why it failed.
#[cfg(feature = "entra")]
type SignIn = Result<(Secret, u64), ClientError>;

/// An Entra ID credential with the token it last got. Cheap to clone: clones share the cache.
#[cfg(feature = "entra")]
#[derive(Clone)]
pub struct EntraCredential {
    mode: EntraMode,
    inner: Arc<dyn TokenCredential>,
    /// The last answer; a failure is kept too, so a run with many requests signs in (or
    /// fails to) once.
    cached: Arc<Mutex<Option<SignIn>>>,
    /// A redirect the sign-in endpoint answered, set by the transport: the credential's own
    /// error only keeps its text, and a redirect is told apart (exit 6, not 4).
    redirected: Redirected,
}

/// Where [`ReqwestTransport`] leaves a redirect it refused to follow.
#[cfg(feature = "entra")]
type Redirected = Arc<std::sync::Mutex<Option<ClientError>>>;

#[cfg(feature = "entra")]
impl std::fmt::Debug for EntraCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntraCredential({})", self.mode.name())
    }
}

#[cfg(feature = "entra")]
impl EntraCredential {
    /// Builds the credential for `mode`, reading its `AZURE_*` variables through `env`.
    /// Nothing is fetched until the first request.
    pub fn new(mode: EntraMode, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("wps/", env!("CARGO_PKG_VERSION")))
            // A sign-in request carries a secret or an assertion: never to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30));
        // Authorities behind TLS-inspecting proxies need the proxy's CA: honour the variable
        // OpenSSL and the Azure CLI read.
        if let Some(path) = env("SSL_CERT_FILE") {
            let pem = super::roots::read_cert_file(std::path::Path::new(&path))
                .map_err(ClientError::Credential)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ClientError::Credential(format!(
                    "SSL_CERT_FILE {path} is not PEM certificates: {e}"
                ))
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| {
            ClientError::Credential(format!("could not build the HTTP client: {e}"))
        })?;
        let redirected: Redirected = Arc::default();
        let client_options = || azure_core::http::ClientOptions {
            transport: Some(Transport::new(Arc::new(ReqwestTransport {
                http: http.clone(),
                redirected: redirected.clone(),
            }))),
            // The crate's default retries for a minute; a sign-in that fails twice (an
            // untrusted certificate, a dead proxy) will not heal in the next one.
            retry: RetryOptions::exponential(ExponentialRetryOptions {
                initial_delay: azure_core::time::Duration::milliseconds(500),
                max_retries: 2,
                max_total_elapsed: azure_core::time::Duration::seconds(10),
                max_delay: azure_core::time::Duration::seconds(4),
            }),
            ..Default::default()
        };
        let fail = |e: azure_core::Error| ClientError::Credential(one_line(mode, &e.to_string()));
        let inner: Arc<dyn TokenCredential> = match mode {
            EntraMode::AzureCli => AzureCliCredential::new(None).map_err(fail)?,
            EntraMode::Default => DeveloperToolsCredential::new(None).map_err(fail)?,
            EntraMode::ManagedIdentity => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                    client_options: client_options(),
                }))
                .map_err(fail)?
            }
            EntraMode::WorkloadIdentity => {
                let mut options = WorkloadIdentityCredentialOptions::default();
                options.credential_options.client_options = client_options();
                WorkloadIdentityCredential::new(Some(options)).map_err(fail)?
            }
            EntraMode::ClientSecret => {
                let var = |name: &str| {
                    env(name).ok_or_else(|| {
                        ClientError::Credential(format!(
                            "client-secret sign-in needs {name} (with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET set)"
                        ))
                    })
                };
                let tenant = var("AZURE_TENANT_ID")?;
                let client_id = var("AZURE_CLIENT_ID")?;
                let secret = var("AZURE_CLIENT_SECRET")?;
                ClientSecretCredential::new(
                    &tenant,
                    client_id,
                    secret.into(),
                    Some(ClientSecretCredentialOptions {
                        client_options: client_options(),
                    }),
                )
                .map_err(fail)?
            }
        };
        Ok(EntraCredential {
            mode,
            inner,
            cached: Arc::new(Mutex::new(None)),
            redirected,
        })
    }

    /// Which credential this is.
    pub fn mode(&self) -> EntraMode {
        self.mode
    }

    /// The access token for the Web PubSub scope: the cached one while it has more than five
    /// minutes left, else a new one.
    pub async fn token(&self) -> Result<Secret, ClientError> {
        let mut cached = self.cached.lock().await;
        match cached.as_ref() {
            Some(Ok((token, expires)))
                if expires.saturating_sub(RENEW_BEFORE_SECS) > super::now_secs() =>
            {
                return Ok(token.clone());
            }
            Some(Err(e)) => return Err(e.clone()),
            _ => {}
        }
        let got = self
            .inner
            .get_token(&[WEB_PUBSUB_SCOPE], None)
            .await
            .map(|got| {
                let expires = u64::try_from(got.expires_on.unix_timestamp()).unwrap_or(0);
                (Secret::new(got.token.secret()), expires)
            })
            .map_err(|e| {
                let redirect = self.redirected.lock().ok().and_then(|mut r| r.take());
                redirect
                    .unwrap_or_else(|| ClientError::Credential(one_line(self.mode, &e.to_string())))
            });
        *cached = Some(got.clone());
        got.map(|(token, _)| token)
    }
}

/// Refuses to send a bearer token in clear text, except to this machine (the emulator).
pub fn check_endpoint_for_bearer(endpoint: &str) -> Result<(), ClientError> {
    let url = url::Url::parse(endpoint);
    let endpoint = super::without_userinfo(endpoint);
    let url = url.map_err(|e| {
        ClientError::ConnectionString(format!("invalid endpoint '{endpoint}': {e}"))
    })?;
    if url.scheme() == "https" {
        return Ok(());
    }
    let local = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if local {
        Ok(())
    } else {
        Err(ClientError::ConnectionString(format!(
            "refusing to send an Entra ID token over plain http to {endpoint}: use https (http is allowed only for localhost and 127.0.0.1)"
        )))
    }
}

/// The credential's error as one line: its text and the tool's stderr can span lines, and the
/// troubleshooting link is generic.
#[cfg(feature = "entra")]
fn one_line(mode: EntraMode, message: &str) -> String {
    let mut joined = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("To troubleshoot, visit"))
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() > 400 {
        joined = joined.chars().take(400).collect::<String>() + "...";
    }
    format!("Entra ID sign-in ({}) failed: {joined}", mode.name())
}

/// A token answer is a few KB; a sign-in endpoint that sends more than this is broken, and
/// must not be read without end.
#[cfg(feature = "entra")]
const MAX_SIGN_IN_RESPONSE_BYTES: usize = 1024 * 1024;

/// `azure_core`'s transport over our reqwest client, so the credentials need no HTTP client
/// of their own.
#[cfg(feature = "entra")]
#[derive(Debug)]
struct ReqwestTransport {
    http: reqwest::Client,
    redirected: Redirected,
}

#[cfg(feature = "entra")]
#[async_trait::async_trait]
impl HttpClient for ReqwestTransport {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::{Error, ErrorKind};
        let method = reqwest::Method::from_bytes(request.method().as_ref().as_bytes())
            .map_err(|e| Error::with_error(ErrorKind::Other, e, "unsupported HTTP method"))?;
        let mut builder = self.http.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder = match request.body() {
            Body::Bytes(bytes) => builder.body(bytes.to_vec()),
            // Token requests are small forms; nothing here streams.
            #[allow(unreachable_patterns)]
            _ => {
                return Err(Error::with_message(
                    ErrorKind::Other,
                    "streamed request bodies are not supported",
                ))
            }
        };
        let resp = builder.send().await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            Error::with_error(kind, e, "the sign-in request failed")
        })?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let redirect = ClientError::Redirect {
                from: "the Entra ID sign-in endpoint",
                status,
                location: super::error::shown_location(
                    resp.headers().get(reqwest::header::LOCATION),
                ),
                attempts: 1,
            };
            let message = redirect.to_string();
            if let Ok(mut slot) = self.redirected.lock() {
                *slot = Some(redirect);
            }
            // Not an I/O error, so the pipeline does not retry it.
            return Err(Error::with_message(ErrorKind::Other, message));
        }
        let mut headers = azure_core::http::headers::Headers::new();
        for (name, value) in resp.headers() {
            if let Ok(v) = value.to_str() {
                headers.insert(name.as_str().to_string(), v.to_string());
            }
        }
        let body = super::read_body(resp, MAX_SIGN_IN_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                super::BodyError::TooLarge => Error::with_message(
                    ErrorKind::Io,
                    "the sign-in response is larger than 1 MiB; stopped reading it",
                ),
                super::BodyError::Read(e) => {
                    Error::with_error(ErrorKind::Io, e, "reading the sign-in response")
                }
            })?;
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, body))
    }
}

impl Client {
    /// `POST /api/hubs/{hub}/:generateToken`: a client access token from the service, the only
    /// way to get one under Entra ID. The URLs are built locally from the endpoint, as the SDK
    /// does; the claims are read (not verified) from the token for display.
    pub async fn generate_client_token(
        &self,
        hub: &str,
        request: &ClientTokenRequest,
    ) -> Result<ClientAccess, ClientError> {
        let req = self.generate_client_token_request(hub, request)?;
        let resp = self.execute(&req).await?;
        if !(200..300).contains(&resp.status) {
            return Err(ClientError::from_response(
                resp.status,
                &resp.body,
                resp.attempts,
            ));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            token: String,
        }
        let answer: Answer = serde_json::from_slice(&resp.body).map_err(|e| {
            ClientError::Invalid(format!(
                "the service's :generateToken answer has no token: {e}"
            ))
        })?;
        // As for key-signed tokens: no user info in a URL a client connects to, or shows.
        let endpoint = super::without_userinfo(self.endpoint())
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let path = request.client_type.path();
        let rest = endpoint.strip_prefix("http").unwrap_or(&endpoint);
        let base_url = format!("ws{rest}{path}{hub}");
        let url = format!("{base_url}?access_token={}", answer.token);
        let claims = peek_claims(&answer.token, format!("{endpoint}{path}{hub}"));
        Ok(ClientAccess {
            base_url,
            token: Secret::new(answer.token),
            url,
            claims,
        })
    }

    /// The `:generateToken` request, query in the SDK's order: `userId`, `role`...,
    /// `minutesToExpire`, `api-version`, `group`..., `clientType`.
    pub fn generate_client_token_request(
        &self,
        hub: &str,
        request: &ClientTokenRequest,
    ) -> Result<Request, ClientError> {
        validate_hub(hub)?;
        for g in &request.groups {
            validate_group(g)?;
        }
        let mut query: Vec<(String, String)> = Vec::new();
        if let Some(u) = &request.user {
            query.push(("userId".into(), u.clone()));
        }
        for r in &request.roles {
            query.push(("role".into(), r.clone()));
        }
        query.push((
            "minutesToExpire".into(),
            request.minutes_to_expire.to_string(),
        ));
        query.push(("api-version".into(), self.options().api_version.clone()));
        for g in &request.groups {
            query.push(("group".into(), g.clone()));
        }
        let client_type = match request.client_type {
            ClientType::Default => "Default",
            ClientType::Mqtt => "MQTT",
            ClientType::SocketIo => "SocketIO",
        };
        query.push(("clientType".into(), client_type.into()));
        Ok(Request {
            method: reqwest::Method::POST,
            path: format!("/api/hubs/{}/:generateToken", encode(hub)),
            query,
            body: None,
            headers: Vec::new(),
            accept: "application/json, text/json",
            // Any 2xx carries the token; judged below.
            expect: &[],
        })
    }
}

/// The claims of a token we did not sign, read without checking the signature.
fn peek_claims(token: &str, aud: String) -> ClientClaims {
    use base64::Engine as _;
    let payload: serde_json::Value = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let num = |k: &str| {
        payload
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let list = |k: &str| match payload.get(k) {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    ClientClaims {
        aud,
        iat: num("iat"),
        exp: num("exp"),
        sub: payload
            .get("sub")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        role: list("role"),
        groups: list("webpubsub.group"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_only_over_https_or_to_this_machine() {
        assert!(check_endpoint_for_bearer("https://x.webpubsub.azure.com").is_ok());
        assert!(check_endpoint_for_bearer("http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint_for_bearer("http://localhost:8080").is_ok());
        assert!(check_endpoint_for_bearer("http://[::1]:8080").is_ok());
        let e = check_endpoint_for_bearer("http://x.webpubsub.azure.com").unwrap_err();
        assert!(e.to_string().contains("plain http"), "{e}");
    }

    #[cfg(feature = "entra")]
    #[test]
    fn errors_collapse_to_one_line_without_the_link() {
        let m = one_line(
            EntraMode::AzureCli,
            "Multiple errors were encountered:\nAzureCliCredential authentication failed. ERROR: Please run 'az login'.\n\nTo troubleshoot, visit https://aka.ms/x#azure-cli\nAzureDeveloperCliCredential authentication failed. azd not found on PATH\nTo troubleshoot, visit https://aka.ms/x#azd",
        );
        assert_eq!(
            m,
            "Entra ID sign-in (azure-cli) failed: Multiple errors were encountered: AzureCliCredential authentication failed. ERROR: Please run 'az login'. AzureDeveloperCliCredential authentication failed. azd not found on PATH"
        );
    }

    #[test]
    fn mode_names_round_trip() {
        for m in [
            EntraMode::AzureCli,
            EntraMode::ManagedIdentity,
            EntraMode::WorkloadIdentity,
            EntraMode::ClientSecret,
            EntraMode::Default,
        ] {
            assert_eq!(EntraMode::from_name(m.name()), Some(m));
        }
        assert_eq!(EntraMode::from_name("key"), None);
    }

    #[test]
    fn generate_token_query_is_in_the_sdks_order() {
        let cs = crate::client::ConnectionString::parse(
            "Endpoint=http://localhost;Port=8080;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
        )
        .unwrap();
        let client = Client::new(cs, crate::client::ClientOptions::default()).unwrap();
        let req = client
            .generate_client_token_request(
                "chat",
                &ClientTokenRequest {
                    user: Some("u 1".into()),
                    roles: vec![
                        "webpubsub.sendToGroup".into(),
                        "webpubsub.joinLeaveGroup.g1".into(),
                    ],
                    groups: vec!["g1".into(), "g 2".into()],
                    minutes_to_expire: 5,
                    client_type: ClientType::Default,
                },
            )
            .unwrap();
        // The capture in rest-api.md.
        assert_eq!(
            client.url(&req),
            "http://localhost:8080/api/hubs/chat/:generateToken?userId=u%201&role=webpubsub.sendToGroup&role=webpubsub.joinLeaveGroup.g1&minutesToExpire=5&api-version=2024-12-01&group=g1&group=g%202&clientType=Default"
        );
        assert_eq!(req.method, reqwest::Method::POST);
        assert_eq!(req.accept, "application/json, text/json");
        assert!(req.body.is_none());
    }
}
