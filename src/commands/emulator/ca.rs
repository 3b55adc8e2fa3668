//! `wps emulator ca`: the development CA's path; `--install` and `--uninstall` put it in and
//! take it out of the trust stores, as `mkcert -install` does.
//!
//! Two stores: the system's (Debian and Ubuntu: a `.crt` in /usr/local/share/ca-certificates,
//! then `update-ca-certificates`; root only), which OpenSSL, curl, Python and Go read, and the
//! user's NSS database `~/.pki/nssdb`, which Chromium reads on Linux (through `certutil`, from
//! libnss3-tools). wps is meant to run as the user, not under sudo (the CA and the NSS
//! database are the user's); when the system store needs root, the error names the two
//! commands to run with sudo. Both stores are always tried, each outcome reported.
//!
//! Test hooks (documented with the others in docs/testing.md): `WPS_TEST_CA_TRUST_DIR` stands for
//! /usr/local/share/ca-certificates and `WPS_TEST_CA_TRUST_UPDATE` for the program run after a
//! change (none when unset), so a test changes nothing outside its temporary HOME.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::CaArgs;
use crate::emulator::{self, TlsConfig, CA_NAME};
use crate::env::process_env;
use crate::error::{code, CliError};
use crate::term::Printer;

/// Debian's directory for locally added authorities; files must end in `.crt`.
const SYSTEM_DIR: &str = "/usr/local/share/ca-certificates";
/// The CA's file there.
const SYSTEM_FILE: &str = "wps-emulator-ca.crt";
/// Debian's program that rebuilds /etc/ssl/certs from that directory.
const SYSTEM_UPDATE: &str = "update-ca-certificates";
/// How many same-named entries `--uninstall` removes from the NSS database at most (one is
/// usual; more only if something else added it again).
const MAX_NSS_ENTRIES: usize = 16;

pub(super) fn run(printer: &Printer, args: CaArgs) -> Result<ExitStatus> {
    let CaArgs { install, uninstall } = args;
    if uninstall {
        return Ok(report(printer, [nss_uninstall(), system_uninstall()]));
    }
    let ca = emulator::development_ca(&TlsConfig::default_dir())
        .map_err(|e| CliError::Unavailable(e.to_string()))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", ca.display()).context("writing the CA's path")?;
        out.flush()?;
    }
    if install {
        return Ok(report(printer, [nss_install(&ca), system_install(&ca)]));
    }
    Ok(SUCCESS)
}

/// What went wrong in one store, and what to do about it.
struct Failure {
    what: String,
    hint: String,
}

/// What was done in one store (a line for stderr), or why not.
type Outcome = Result<String, Failure>;

/// Prints every outcome; exit 6 if any store failed.
fn report(printer: &Printer, outcomes: [Outcome; 2]) -> ExitStatus {
    let mut status = SUCCESS;
    for outcome in outcomes {
        match outcome {
            Ok(done) => printer.status(done),
            Err(Failure { what, hint }) => {
                printer.error(&what);
                printer.hint(&hint);
                status = ExitStatus(code::UNAVAILABLE);
            }
        }
    }
    status
}

// --- the user's NSS database -------------------------------------------------------------

fn nss_db() -> Result<PathBuf, Failure> {
    dirs::home_dir()
        .map(|home| home.join(".pki").join("nssdb"))
        .ok_or_else(|| Failure {
            what: "the NSS database: no home directory".into(),
            hint: "set HOME".into(),
        })
}

fn certutil() -> Result<PathBuf, Failure> {
    find_program("certutil", &[]).ok_or_else(|| Failure {
        what: "the NSS database (~/.pki/nssdb, Chromium's): certutil is not installed".into(),
        hint: "install libnss3-tools (Debian/Ubuntu: sudo apt-get install libnss3-tools; \
               Fedora: nss-tools), then run this again"
            .into(),
    })
}

fn nss_install(ca: &Path) -> Outcome {
    let db = nss_db()?;
    let certutil = certutil()?;
    let failed = |e: String| Failure {
        what: format!("the NSS database {}: {e}", db.display()),
        hint: format!(
            "by hand: certutil -d sql:{} -A -t C,, -n '{CA_NAME}' -i {}",
            db.display(),
            ca.display()
        ),
    };
    if !db.join("cert9.db").exists() {
        make_private_dir(&db).map_err(|e| failed(format!("could not create it: {e}")))?;
        certutil_run(&certutil, &db, &["-N", "--empty-password"]).map_err(&failed)?;
    }
    // An older CA under the same name goes first, so the database holds this one only.
    nss_remove(&certutil, &db).map_err(&failed)?;
    let ca_arg = ca.to_string_lossy();
    certutil_run(
        &certutil,
        &db,
        &["-A", "-t", "C,,", "-n", CA_NAME, "-i", &ca_arg],
    )
    .map_err(&failed)?;
    Ok(format!(
        "trusted in the NSS database {} (Chromium), as \"{CA_NAME}\"",
        db.display()
    ))
}

fn nss_uninstall() -> Outcome {
    let db = nss_db()?;
    if !db.join("cert9.db").exists() && !db.join("cert8.db").exists() {
        return Ok(format!(
            "no NSS database at {}: nothing to remove",
            db.display()
        ));
    }
    let certutil = certutil()?;
    let removed = nss_remove(&certutil, &db).map_err(|e| Failure {
        what: format!("the NSS database {}: {e}", db.display()),
        hint: format!(
            "by hand: certutil -d sql:{} -D -n '{CA_NAME}'",
            db.display()
        ),
    })?;
    Ok(if removed == 0 {
        format!("not in the NSS database {}", db.display())
    } else {
        format!("removed from the NSS database {}", db.display())
    })
}

/// Deletes every entry named [`CA_NAME`]; how many there were.
fn nss_remove(certutil: &Path, db: &Path) -> Result<usize, String> {
    for removed in 0..MAX_NSS_ENTRIES {
        // certutil -D fails when no entry has the name: that is the end of the loop.
        if certutil_run(certutil, db, &["-D", "-n", CA_NAME]).is_err() {
            return Ok(removed);
        }
    }
    Err(format!(
        "still holds entries named \"{CA_NAME}\" after removing {MAX_NSS_ENTRIES}"
    ))
}

fn certutil_run(certutil: &Path, db: &Path, args: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new(certutil);
    cmd.arg("-d")
        .arg(format!("sql:{}", db.display()))
        .args(args);
    run_quietly(cmd, "certutil")
}

// --- the system trust store --------------------------------------------------------------

/// Where the system's added authorities go and what rebuilds the store after a change.
struct SystemStore {
    dir: PathBuf,
    update: Option<PathBuf>,
}

impl SystemStore {
    /// Debian's or Ubuntu's, or the test hooks' stand-in; None elsewhere.
    fn find() -> Option<SystemStore> {
        if let Some(dir) = process_env("WPS_TEST_CA_TRUST_DIR") {
            return Some(SystemStore {
                dir: dir.into(),
                update: process_env("WPS_TEST_CA_TRUST_UPDATE").map(PathBuf::from),
            });
        }
        // Not on a normal user's PATH on Debian, which keeps /usr/sbin for root.
        let update = find_program(SYSTEM_UPDATE, &["/usr/sbin", "/sbin"])?;
        Some(SystemStore {
            dir: SYSTEM_DIR.into(),
            update: Some(update),
        })
    }

    fn update(&self) -> Result<(), String> {
        match &self.update {
            Some(program) => run_quietly(Command::new(program), &program.to_string_lossy()),
            None => Ok(()),
        }
    }

    fn update_name(&self) -> String {
        self.update.as_ref().map_or_else(
            || SYSTEM_UPDATE.to_string(),
            |p| {
                p.file_name()
                    .map_or_else(|| p.to_string_lossy(), |n| n.to_string_lossy())
                    .into_owned()
            },
        )
    }
}

fn no_system_store(ca: Option<&Path>) -> Failure {
    Failure {
        what: format!(
            "the system trust store: only Debian's and Ubuntu's ({SYSTEM_UPDATE}) is supported, \
             and {SYSTEM_UPDATE} is not on this system"
        ),
        hint: match ca {
            Some(ca) => format!(
                "add {} with your system's own tool (macOS: sudo security add-trusted-cert -d -r \
                 trustRoot -k /Library/Keychains/System.keychain {0}; Fedora: sudo cp {0} \
                 /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust)",
                ca.display()
            ),
            None => "remove it with your system's own tool".into(),
        },
    }
}

/// Why a file in the system store could not be written or removed, and what to run instead.
fn needs_root(store: &SystemStore, e: &std::io::Error, by_hand: String) -> Failure {
    let what = if e.kind() == std::io::ErrorKind::PermissionDenied {
        format!(
            "the system trust store ({}) needs root: {e}",
            store.dir.display()
        )
    } else {
        format!("the system trust store ({}): {e}", store.dir.display())
    };
    Failure {
        what,
        hint: format!(
            "run `{by_hand} && sudo {}` (not `sudo wps ...`: the CA and the NSS database are \
             per user)",
            store.update_name()
        ),
    }
}

fn system_install(ca: &Path) -> Outcome {
    let store = SystemStore::find().ok_or_else(|| no_system_store(Some(ca)))?;
    let dest = store.dir.join(SYSTEM_FILE);
    let by_hand = format!("sudo install -m 644 {} {}", ca.display(), dest.display());
    let pem = std::fs::read(ca).map_err(|e| Failure {
        what: format!("could not read {}: {e}", ca.display()),
        hint: "run `wps emulator ca` to make it again".into(),
    })?;
    if std::fs::read(&dest).ok().as_deref() != Some(&pem[..]) {
        write_public(&dest, &pem).map_err(|e| needs_root(&store, &e, by_hand.clone()))?;
    }
    store.update().map_err(|e| Failure {
        what: format!("the system trust store: {e}"),
        hint: format!("run `sudo {}`", store.update_name()),
    })?;
    Ok(format!(
        "trusted in the system trust store: {} ({})",
        dest.display(),
        store.update_name()
    ))
}

fn system_uninstall() -> Outcome {
    let store = SystemStore::find().ok_or_else(|| no_system_store(None))?;
    let dest = store.dir.join(SYSTEM_FILE);
    match std::fs::remove_file(&dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(format!(
                "not in the system trust store ({})",
                dest.display()
            ));
        }
        Err(e) => {
            return Err(needs_root(
                &store,
                &e,
                format!("sudo rm {}", dest.display()),
            ))
        }
    }
    store.update().map_err(|e| Failure {
        what: format!("the system trust store: {e}"),
        hint: format!("run `sudo {}`", store.update_name()),
    })?;
    Ok(format!(
        "removed from the system trust store: {} ({})",
        dest.display(),
        store.update_name()
    ))
}

// --- helpers -----------------------------------------------------------------------------

/// `name` in PATH, then in `extra` directories.
fn find_program(name: &str, extra: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

/// Runs a program with its output captured (wps's stdout is data); its stderr, or stdout,
/// is the error when it fails.
fn run_quietly(mut cmd: Command, name: &str) -> Result<(), String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("could not run {name}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    let said = String::from_utf8_lossy(said);
    let said = said.trim();
    Err(if said.is_empty() {
        format!("{name} failed ({})", out.status)
    } else {
        format!("{name} failed ({}): {said}", out.status)
    })
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a world-readable file, as the trust store's files are.
fn write_public(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    options.open(path)?.write_all(bytes)
}
