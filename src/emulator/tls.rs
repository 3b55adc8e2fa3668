//! TLS for `wps emulator`: https and wss on the emulator's one port.
//!
//! Either the user's certificate and key (PEM files), or a development certificate made here:
//! a local certificate authority, made once per machine and user, signs a certificate for
//! `localhost`, `127.0.0.1` and `::1`. The authority's PEM is what clients trust
//! (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `REQUESTS_CA_BUNDLE`, or the trust stores through
//! `wps emulator ca --install`), so it must outlive the served certificate: its key is kept
//! (owner-only) to sign the next one. Name constraints limit it to loopback names: a client
//! that trusts it accepts, from it, certificates for `localhost` (and its subdomains),
//! `127.0.0.0/8` and `::1`, and nothing else, whoever holds the key.
//!
//! Everything is kept in a directory (the user's cache by default) and reused by later runs
//! until it nears its end, so a shell that exported the PEM's path once keeps working;
//! emulators started at the same moment settle on one authority.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// How the emulator serves: plain http, or https with a certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TlsConfig {
    /// Plain http and ws.
    #[default]
    None,
    /// The certificate chain (leaf first) and its private key, both PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A development certificate for `localhost`, `127.0.0.1` and `::1`, kept in `dir`
    /// (made, with owner-only permissions, if missing); see [`TlsConfig::default_dir`].
    SelfSigned { dir: PathBuf },
}

impl TlsConfig {
    /// Where `wps emulator --tls` keeps its development certificate: `wps/emulator-tls` in
    /// the user's cache directory (`$XDG_CACHE_HOME`, `~/.cache`, ...), else the temp dir.
    pub fn default_dir() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("wps")
            .join("emulator-tls")
    }
}

/// The trusted certificate of the development authority, in [`TlsConfig::SelfSigned`]'s dir.
const CA_FILE: &str = "ca.pem";
/// The authority's certificate and private key (owner-only).
const AUTHORITY_FILE: &str = "ca-key.pem";
/// The served certificate, the authority's, then the served certificate's private key.
const STATE_FILE: &str = "emulator.pem";
/// How long a served certificate is valid: the longest a public one may be, which every
/// client accepts.
const VALIDITY: Duration = Duration::from_secs(397 * 24 * 3600);
/// A served certificate this old is replaced at the next start, so a running emulator never
/// serves one that expires under it.
const RENEW_AFTER: Duration = Duration::from_secs(300 * 24 * 3600);
/// How long the authority is valid: trusting it once (`wps emulator ca --install`) should
/// last as long as mkcert's does.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// An authority this old is replaced at the next start, so it always outlives the
/// certificate it signs.
const CA_RENEW_AFTER: Duration = Duration::from_secs((10 * 365 - 400) * 24 * 3600);
/// The names the development certificate is valid for.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The development authority's name (subject and issuer), also what the trust stores show.
pub const CA_NAME: &str = "wps emulator development CA";

/// A TLS setup ready to accept connections.
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    /// The development authority's PEM, for clients to trust.
    pub ca_pem: Option<PathBuf>,
}

/// Loads or makes the certificate; None for plain http. Errors are `InvalidInput` with a
/// message naming the file at fault.
pub(crate) fn setup(config: &TlsConfig) -> io::Result<Option<Tls>> {
    let (chain, key, ca_pem) = match config {
        TlsConfig::None => return Ok(None),
        TlsConfig::Files { cert, key } => {
            let chain =
                read_certs(&read_pem(cert, "certificate file")?).map_err(|e| invalid(cert, e))?;
            let key = PrivateKeyDer::from_pem_slice(&read_pem(key, "key file")?)
                .map_err(|e| invalid(key, format!("no private key in PEM: {e}")))?;
            (chain, key, None)
        }
        TlsConfig::SelfSigned { dir } => {
            let (leaf, key) = development_certificate(dir)?;
            (vec![leaf], key, Some(dir.join(CA_FILE)))
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| io::Error::other(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the TLS certificate and key do not go together: {e}"),
            )
        })?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(Tls {
        acceptor: TlsAcceptor::from(Arc::new(server)),
        ca_pem,
    }))
}

/// A PEM file named on the command line, read up to the config file's cap: a certificate
/// chain is a few KB, and `/dev/zero` must not be read whole.
fn read_pem(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    crate::files::read_capped(path, crate::files::MAX_FILE_BYTES, what)
        .map_err(|e| invalid(path, e))
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("TLS file {}: {e}", path.display()),
    )
}

fn read_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(certs)
}

/// The path of the development authority's certificate in `dir` (see
/// [`TlsConfig::default_dir`]), made first when missing, unreadable or due for renewal: the
/// file to trust, the one `wps emulator --tls` signs its certificate with.
pub fn development_ca(dir: &Path) -> io::Result<PathBuf> {
    authority(dir).map_err(|e| in_dir(dir, e))?;
    Ok(dir.join(CA_FILE))
}

/// The development authority's certificate in `dir` when there is one; unlike
/// [`development_ca`], makes nothing (for a hint that names it).
pub fn existing_development_ca(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(CA_FILE);
    path.is_file().then_some(path)
}

fn in_dir(dir: &Path, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("development certificate in {}: {e}", dir.display()),
    )
}

/// The development authority: its certificate, and what signs with its key.
struct Authority {
    cert: CertificateDer<'static>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// The authority kept in `dir`, made first when missing, unreadable or old enough to renew;
/// `dir/ca.pem` is (re)written to match.
fn authority(dir: &Path) -> io::Result<Authority> {
    make_private_dir(dir)?;
    let path = dir.join(AUTHORITY_FILE);
    let authority = match load_authority(&path) {
        Some(found) => found,
        None => {
            // Stale or broken: out of the way, then the first of any racing starts wins.
            let _ = std::fs::remove_file(&path);
            create_new_atomically(&path, generate_authority()?.as_bytes(), 0o600)?;
            load_authority(&path).ok_or_else(|| {
                io::Error::other("the certificate authority just written cannot be read")
            })?
        }
    };
    let ca_pem = pem_encode("CERTIFICATE", &authority.cert);
    if std::fs::read(dir.join(CA_FILE)).ok().as_deref() != Some(ca_pem.as_bytes()) {
        replace_atomically(&dir.join(CA_FILE), ca_pem.as_bytes(), 0o644)?;
    }
    Ok(authority)
}

/// The served certificate and its key from `dir`, made first when missing, unreadable, due
/// for renewal or signed by another authority than the one in `dir`.
fn development_certificate(
    dir: &Path,
) -> io::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
    let authority = authority(dir).map_err(|e| in_dir(dir, e))?;
    let state = dir.join(STATE_FILE);
    if let Some((leaf, ca, key)) = load_state(&state) {
        if ca == authority.cert {
            return Ok((leaf, key));
        }
    }
    // Any certificate the authority signs is as good as another, so racing starts may each
    // write theirs: the file holds the last, and every one is trusted.
    let pem = generate_leaf(&authority).map_err(|e| in_dir(dir, e))?;
    replace_atomically(&state, pem.as_bytes(), 0o600).map_err(|e| in_dir(dir, e))?;
    let (leaf, _, key) = parse_state(pem.as_bytes()).ok_or_else(|| {
        in_dir(
            dir,
            io::Error::other("the certificate just made cannot be read"),
        )
    })?;
    Ok((leaf, key))
}

type State = (
    CertificateDer<'static>,
    CertificateDer<'static>,
    PrivateKeyDer<'static>,
);

/// The file's contents unless it is missing or older than `max_age`.
fn read_fresh(path: &Path, max_age: Duration) -> Option<Vec<u8>> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    if age > max_age {
        return None;
    }
    std::fs::read(path).ok()
}

/// The saved (leaf, authority, key), unless missing, malformed or old enough to renew.
fn load_state(path: &Path) -> Option<State> {
    parse_state(&read_fresh(path, RENEW_AFTER)?)
}

fn parse_state(pem: &[u8]) -> Option<State> {
    let mut certs = read_certs(pem).ok()?.into_iter();
    let (leaf, ca) = (certs.next()?, certs.next()?);
    let key = PrivateKeyDer::from_pem_slice(pem).ok()?;
    Some((leaf, ca, key))
}

/// The saved authority, unless missing, malformed or old enough to renew.
fn load_authority(path: &Path) -> Option<Authority> {
    let pem = read_fresh(path, CA_RENEW_AFTER)?;
    let cert = read_certs(&pem).ok()?.into_iter().next()?;
    let key = PrivateKeyDer::from_pem_slice(&pem).ok()?;
    let key = rcgen::KeyPair::try_from(key.secret_der()).ok()?;
    // The issuer's name and key identifier come from these parameters and the key: the
    // same as when the certificate was made, so what it signs chains to it.
    let issuer = rcgen::Issuer::new(authority_params(), key);
    Some(Authority { cert, issuer })
}

/// The authority's certificate parameters, but for its validity.
fn authority_params() -> rcgen::CertificateParams {
    use rcgen::{
        BasicConstraints, CertificateParams, CidrSubnet, DnType, GeneralSubtree, IsCa,
        KeyUsagePurpose, NameConstraints,
    };
    let mut ca = CertificateParams::default();
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, CA_NAME);
    ca.distinguished_name
        .push(DnType::OrganizationName, "wps emulator (this machine only)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Loopback only, whoever trusts it and whoever reads its key.
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::V4([127, 0, 0, 0], [255, 0, 0, 0])),
            GeneralSubtree::IpAddress(CidrSubnet::V6(
                std::net::Ipv6Addr::LOCALHOST.octets(),
                [0xff; 16],
            )),
        ],
        excluded_subtrees: vec![],
    });
    ca
}

fn validity(length: Duration) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let now = time::OffsetDateTime::now_utc();
    // A little back-dating forgives clocks that run behind.
    (
        now - time::Duration::hours(1),
        now + time::Duration::seconds(length.as_secs() as i64),
    )
}

fn cert_error(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("could not make a certificate: {e}"))
}

/// A fresh authority, as its file's PEM: certificate, private key.
fn generate_authority() -> io::Result<String> {
    let mut params = authority_params();
    (params.not_before, params.not_after) = validity(CA_VALIDITY);
    let key = rcgen::KeyPair::generate().map_err(cert_error)?;
    let cert = params.self_signed(&key).map_err(cert_error)?;
    Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
}

/// A fresh served certificate signed by `authority`, as the state file's PEM: leaf,
/// authority, leaf key.
fn generate_leaf(authority: &Authority) -> io::Result<String> {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
    let mut leaf = CertificateParams::new(NAMES.map(String::from).to_vec()).map_err(cert_error)?;
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    (leaf.not_before, leaf.not_after) = validity(VALIDITY);
    let leaf_key = KeyPair::generate().map_err(cert_error)?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &authority.issuer)
        .map_err(cert_error)?;
    Ok(format!(
        "{}{}{}",
        leaf_cert.pem(),
        pem_encode("CERTIFICATE", &authority.cert),
        leaf_key.serialize_pem()
    ))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A temp file beside `path` holding `bytes`, complete on disk.
fn write_temp(path: &Path, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    let nonce: u64 = rand::random();
    let temp = path.with_extension(format!("{}.{nonce:x}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temp)?;
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(temp)
}

/// Puts `bytes` at `path` unless a file is already there (another start won the race; its
/// file is as good). Never leaves a half-written file at `path`.
fn create_new_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let temp = write_temp(path, bytes, mode)?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Replaces `path` with `bytes` in one step.
fn replace_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let temp = write_temp(path, bytes, mode)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_certificate_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("nested").join("tls");
        let first = setup(&TlsConfig::SelfSigned { dir: dir.clone() })
            .unwrap()
            .unwrap();
        assert_eq!(first.ca_pem.as_deref(), Some(dir.join(CA_FILE).as_path()));
        let state = std::fs::read(dir.join(STATE_FILE)).unwrap();
        let ca = std::fs::read_to_string(dir.join(CA_FILE)).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"), "{ca}");
        assert_eq!(read_certs(ca.as_bytes()).unwrap().len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join(STATE_FILE)), 0o600);
        }
        // A second start reuses it; a lost ca.pem is written again, the same.
        std::fs::remove_file(dir.join(CA_FILE)).unwrap();
        setup(&TlsConfig::SelfSigned { dir: dir.clone() }).unwrap();
        assert_eq!(std::fs::read(dir.join(STATE_FILE)).unwrap(), state);
        assert_eq!(std::fs::read_to_string(dir.join(CA_FILE)).unwrap(), ca);
        // A broken served certificate is replaced, signed by the same authority: what
        // trusted it trusts the new one.
        std::fs::write(dir.join(STATE_FILE), "garbage").unwrap();
        setup(&TlsConfig::SelfSigned { dir: dir.clone() }).unwrap();
        let renewed = std::fs::read(dir.join(STATE_FILE)).unwrap();
        assert_ne!(renewed, state);
        assert_eq!(std::fs::read_to_string(dir.join(CA_FILE)).unwrap(), ca);
        assert_eq!(development_ca(&dir).unwrap(), dir.join(CA_FILE));
        // A broken authority is replaced, and the served certificate with it.
        std::fs::write(dir.join(AUTHORITY_FILE), "garbage").unwrap();
        setup(&TlsConfig::SelfSigned { dir: dir.clone() }).unwrap();
        let new_ca = std::fs::read_to_string(dir.join(CA_FILE)).unwrap();
        assert_ne!(new_ca, ca);
        let (_, state_ca, _) = parse_state(&std::fs::read(dir.join(STATE_FILE)).unwrap()).unwrap();
        assert_eq!(pem_encode("CERTIFICATE", &state_ca), new_ca);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(AUTHORITY_FILE)), 0o600);
            assert_eq!(mode(&dir.join(CA_FILE)), 0o644);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn files_that_are_not_pem_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let err = setup(&TlsConfig::Files {
            cert: cert.clone(),
            key,
        })
        .err()
        .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&*cert.to_string_lossy()), "{err}");
    }
}
