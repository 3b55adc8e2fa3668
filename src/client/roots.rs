//! Which servers `wps` trusts over TLS: the Mozilla roots built in (webpki-roots, as reqwest
//! uses), plus the PEM certificates in `SSL_CERT_FILE` when it is set. The variable is the one
//! OpenSSL, Python and the Azure CLI read; here it adds to the built-in roots rather than
//! replacing them, so a shell that trusts the emulator's development CA still reaches Azure.
//! It is read where the TLS clients are built, and only for one that speaks TLS (an https
//! endpoint or reverse proxy, a wss URL): a plain-http run never opens it.

use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::ClientError;

/// The certificates of `SSL_CERT_FILE`, none when it is unset or empty.
pub(crate) fn extra_roots() -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let pem = read_cert_file(std::path::Path::new(&path)).map_err(ClientError::Invalid)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::Invalid(format!("SSL_CERT_FILE {shown} is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ClientError::Invalid(format!(
            "SSL_CERT_FILE {shown} holds no certificate"
        )));
    }
    Ok(certs)
}

/// The bytes of `SSL_CERT_FILE`, read with the cap every named file has
/// ([`read_capped`](crate::files::read_capped); a system bundle of every public root is about
/// 200 KB), so `/dev/zero` or a wrong multi-GB path is refused at once. The error is one line
/// naming the variable.
pub(crate) fn read_cert_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    crate::files::read_capped(path, crate::files::MAX_FILE_BYTES, "certificate bundle").map_err(
        |e| match e.kind() {
            std::io::ErrorKind::FileTooLarge => format!("SSL_CERT_FILE {shown} is {e}"),
            _ => format!("could not read SSL_CERT_FILE {shown}: {e}"),
        },
    )
}

/// Adds `SSL_CERT_FILE`'s certificates to a reqwest client's trusted roots.
pub(crate) fn trust_extra_roots(
    mut builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, ClientError> {
    for cert in extra_roots()? {
        let cert = reqwest::Certificate::from_der(&cert)
            .map_err(|e| ClientError::Invalid(format!("SSL_CERT_FILE: {e}")))?;
        builder = builder.add_root_certificate(cert);
    }
    Ok(builder)
}

/// The rustls setup of `wss://` connections: built-in roots plus `SSL_CERT_FILE`.
pub(crate) fn websocket_tls() -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra_roots()? {
        roots.add(cert).map_err(|e| {
            ClientError::Invalid(format!("SSL_CERT_FILE holds an unusable certificate: {e}"))
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Invalid(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
