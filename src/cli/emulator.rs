//! `emulator` and `emulator ca`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `emulator` runs the service (alone or around a command); `emulator ca` manages its CA.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EmulatorArgs {
    #[command(subcommand)]
    pub action: Option<EmulatorAction>,
    #[command(flatten)]
    pub run: EmulatorRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum EmulatorAction {
    /// Print the development CA's path (`--tls`); --install trusts it, --uninstall undoes that
    #[command(
        long_about = "Print the path of the development certificate authority's PEM, making it when \
            missing: the CA that signs `wps emulator --tls`'s certificate, name-constrained to \
            localhost, 127.0.0.0/8 and ::1, kept in wps/emulator-tls under the user's cache directory.\n\n\
            --install adds it to the system trust store (Debian/Ubuntu: \
            /usr/local/share/ca-certificates and update-ca-certificates, which need root) and to the \
            user's NSS database ~/.pki/nssdb, which Chromium reads (made when missing; needs certutil, \
            from libnss3-tools). --uninstall removes it from both. Run wps as yourself, not with sudo: \
            the CA and the NSS database are per user; when the system store needs root, the error \
            names the two commands to run with sudo.",
        after_long_help = "Examples:\n  wps emulator ca\n  wps emulator ca --install\n  \
            NODE_EXTRA_CA_CERTS=\"$(wps emulator ca)\" node server.js\n  wps emulator ca --uninstall"
    )]
    Ca(CaArgs),
}

#[derive(Debug, Args)]
pub struct CaArgs {
    /// Add the CA to the system trust store and to the NSS database ~/.pki/nssdb (Chromium)
    #[arg(long, conflicts_with = "uninstall")]
    pub install: bool,
    /// Remove the CA from the system trust store and from ~/.pki/nssdb
    #[arg(long)]
    pub uninstall: bool,
}

#[derive(Debug, Args)]
pub struct EmulatorRunArgs {
    /// Address to listen on: an IP address, or localhost (127.0.0.1)
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one [default: 8080; a free one with -- CMD]
    #[arg(long)]
    pub port: Option<u16>,
    /// Access key clients must sign with (at least 32 characters); defaults to the well-known development key
    #[arg(long, hide_default_value = true)]
    pub key: Option<String>,
    /// Also accept RS256 REST tokens signed by this RSA public key (PEM file) with audience
    /// https://webpubsub.azure.com, standing in for Entra ID in tests
    #[arg(long, value_name = "PUBKEY.pem")]
    pub entra_issuer_key: Option<PathBuf>,
    /// Send this hub's events (connect, connected, disconnected and every user event) to an
    /// event handler; repeatable, HUB may be `*`, `{hub}` and `{event}` are filled in
    #[arg(long, value_name = "HUB=URL_TEMPLATE")]
    pub event_handler: Vec<String>,
    /// Per-hub event handler lists in a TOML file, or the official emulator's appsettings.json;
    /// reloaded when it changes
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Who answers Socket.IO clients (/clients/socketio/hubs/HUB): a Socket.IO server through
    /// the hub's tunnel (default), or the hub's event handlers alone (serverless: connect,
    /// connected, disconnected and each emitted event per namespace socket); a hub's
    /// `socketio_mode` in --settings overrides it
    #[arg(long, value_enum, value_name = "MODE", default_value = "default")]
    pub socketio_mode: SocketIoModeArg,
    /// Serve https and wss with a development certificate for localhost, 127.0.0.1 and ::1
    /// (signed by the CA of `wps emulator ca`); prints the PEM file clients must trust
    /// (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS). The default with -- CMD
    #[arg(long, conflicts_with = "tls_cert")]
    pub tls: bool,
    /// Serve plain http and ws, also with -- CMD
    #[arg(long, conflicts_with_all = ["tls", "tls_cert"])]
    pub no_tls: bool,
    /// Serve https and wss with this certificate chain (PEM file, leaf first)
    #[arg(long, value_name = "CERT.pem", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM file)
    #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Write the emulator's messages (its stderr) to FILE, appending, instead of stderr
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Run this command against the emulator, then stop it and exit with the command's status
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// `--socketio-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SocketIoModeArg {
    Default,
    Serverless,
}

/// `--host`: an IP address, or `localhost`, which is 127.0.0.1 (what the connection string
/// then says; the emulator listens on one address, and every client resolves localhost to
/// 127.0.0.1 or tries it). No other name is looked up.
fn parse_host(s: &str) -> Result<IpAddr, String> {
    if s.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    }
    s.parse().map_err(|_| {
        format!("'{s}' is not an IP address: give one (127.0.0.1, 0.0.0.0, ::1) or localhost")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_an_address_or_localhost() {
        assert_eq!(parse_host("localhost"), Ok("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("LocalHost"), Ok("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("::1"), Ok("::1".parse().unwrap()));
        assert_eq!(parse_host("0.0.0.0"), Ok("0.0.0.0".parse().unwrap()));
        let err = parse_host("example.com").unwrap_err();
        assert!(err.contains("localhost"), "{err}");
    }
}
