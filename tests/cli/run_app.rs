//! `wps emulator -- CMD` (a fresh emulator around one command: its environment, stdout and
//! status; signals; the emulator gone afterwards) and `wps emulator ca` (the CA's path, and
//! `--install` / `--uninstall` into a temporary HOME's NSS database and a stand-in for the
//! system store, through the documented test hooks).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{code, stderr, stdout};

/// A private HOME (so the development CA is made under it, and the NSS database is its own).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `wps` with a cleared environment but PATH (CMD is found through it), in this HOME.
    fn wps(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wps"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("xdg"))
            .env("WPS_CONFIG", self.path().join("config.toml"))
            .env("WPS_TEST_RETRY_BASE_MS", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// `wps emulator [flags] -- sh -c SCRIPT`, run to its end.
    fn run_sh(&self, flags: &[&str], script: &str) -> Output {
        let mut cmd = self.wps();
        cmd.arg("emulator")
            .args(flags)
            .args(["--", "sh", "-c", script]);
        cmd.output().expect("wps runs")
    }

    /// Where `wps emulator ca` keeps the CA in this HOME.
    fn ca_path(&self) -> PathBuf {
        self.path().join(".cache/wps/emulator-tls/ca.pem")
    }
}

/// The port of a connection string.
fn port_of(connection_string: &str) -> u16 {
    let port = connection_string
        .split(';')
        .find_map(|part| part.strip_prefix("Port="))
        .unwrap_or_else(|| panic!("no Port= in {connection_string:?}"));
    port.parse().expect("a port number")
}

/// Nothing accepts connections on 127.0.0.1:`port` any more.
fn assert_closed(port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let connected = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5));
    assert!(
        connected.is_err(),
        "port {port} still accepts connections after wps exited"
    );
}

#[test]
fn the_exit_status_is_the_commands() {
    let home = Home::new();
    for (script, expected) in [
        ("exit 0", 0),
        ("exit 3", 3),
        ("kill -TERM $$", 128 + 15),
        ("kill -KILL $$", 128 + 9),
    ] {
        let out = home.run_sh(&["--no-tls"], script);
        assert_eq!(code(&out), expected, "{script}: {}", stderr(&out));
    }
}

#[test]
fn the_command_gets_the_connection_string_and_keeps_stdout() {
    let home = Home::new();
    let out = home.run_sh(
        &[],
        r#"printf '%s\n' "$WebPubSubConnectionString" "$WPS_CONNECTION_STRING""#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    // stdout is CMD's alone: its two lines, nothing of the emulator's.
    assert_eq!(lines.len(), 2, "{text:?}");
    assert_eq!(lines[0], lines[1]);
    let cs = lines[0];
    // TLS by default with a command, on a free port.
    assert!(cs.starts_with("Endpoint=https://127.0.0.1;Port="), "{cs}");
    assert!(cs.ends_with(";Version=1.0;"), "{cs}");
    assert_ne!(port_of(cs), 8080, "a command gets a free port, not 8080");
    // The emulator's own messages are on stderr.
    let err = stderr(&out);
    assert!(
        err.contains("wps emulator listening on https://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains(cs),
        "stderr names the connection string: {err}"
    );

    // --no-tls: http, and no CA variables.
    let out = home.run_sh(
        &["--no-tls"],
        r#"printf '%s|%s' "$WebPubSubConnectionString" "${NODE_EXTRA_CA_CERTS-unset}${SSL_CERT_FILE-unset}${REQUESTS_CA_BUNDLE-unset}""#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let (cs, ca) = text.split_once('|').expect("two fields");
    assert!(cs.starts_with("Endpoint=http://127.0.0.1;Port="), "{cs}");
    assert_eq!(ca, "unsetunsetunset");

    // --port is honoured.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let out = home.run_sh(
        &["--no-tls", "--port", &port.to_string()],
        r#"printf %s "$WPS_CONNECTION_STRING""#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(port_of(&stdout(&out)), port);
}

#[test]
fn the_tls_variables_name_the_ca_that_wps_emulator_ca_prints() {
    let home = Home::new();
    let out = home.run_sh(
        &["--tls"],
        r#"printf '%s\n' "$NODE_EXTRA_CA_CERTS" "$SSL_CERT_FILE" "$REQUESTS_CA_BUNDLE""#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let paths: Vec<&str> = text.lines().collect();
    assert_eq!(paths.len(), 3, "{text:?}");
    assert!(paths.iter().all(|p| *p == paths[0]), "{paths:?}");
    assert_eq!(Path::new(paths[0]), home.ca_path());
    let pem = std::fs::read_to_string(paths[0]).expect("the CA is readable");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");

    let mut ca = home.wps();
    let out = ca.args(["emulator", "ca"]).output().expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}\n", paths[0]));
    assert_eq!(
        std::fs::read_to_string(paths[0]).expect("CA"),
        pem,
        "reused"
    );
}

#[test]
fn the_command_talks_to_the_emulator_which_stops_after_it() {
    let home = Home::new();
    // wps itself as the app: it reads WPS_CONNECTION_STRING and trusts SSL_CERT_FILE.
    let mut cmd = home.wps();
    cmd.env("WPS", env!("CARGO_BIN_EXE_wps")).args([
        "emulator",
        "--",
        "sh",
        "-c",
        r#""$WPS" send-all --hub chat --text hello -o json >&2 && printf %s "$WPS_CONNECTION_STRING""#,
    ]);
    let out = cmd.output().expect("wps runs");
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains(r#""status":202"#),
        "the send was accepted: {err}"
    );
    assert_closed(port_of(&stdout(&out)));
}

/// Starts `wps emulator --no-tls -- sh -c SCRIPT`, which must print `ready` first; returns
/// the child and the emulator's port (SCRIPT's second line).
fn start_waiting(home: &Home, script: &str) -> (std::process::Child, u16) {
    let mut cmd = home.wps();
    cmd.args(["emulator", "--no-tls", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("wps starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.next().and_then(Result::ok);
        let cs = lines.next().and_then(Result::ok);
        let _ = tx.send((ready, cs));
        // Drain the rest so CMD never blocks on a full pipe.
        for _ in lines {}
    });
    // Bounds a failure only.
    let (ready, cs) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the command starts");
    assert_eq!(ready.as_deref(), Some("ready"));
    (child, port_of(&cs.expect("the connection string")))
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn sigterm_and_ctrl_c_reach_the_command_and_stop_both() {
    let home = Home::new();
    // A command that cleans up on SIGTERM and exits 7: wps waits for it, then exits 7.
    let (mut child, port) = start_waiting(
        &home,
        r#"trap 'exit 7' TERM; echo ready; printf '%s\n' "$WPS_CONNECTION_STRING"; while :; do sleep 0.05; done"#,
    );
    signal(&child, "TERM");
    let status = child.wait().expect("wps exits");
    assert_eq!(status.code(), Some(7));
    assert_closed(port);

    // SIGINT sent to wps alone (not the terminal's process group) still reaches the
    // command, which dies of it: 128 + 2.
    let (mut child, port) = start_waiting(
        &home,
        r#"echo ready; printf '%s\n' "$WPS_CONNECTION_STRING"; while :; do sleep 0.05; done"#,
    );
    signal(&child, "INT");
    let status = child.wait().expect("wps exits");
    assert_eq!(status.code(), Some(130));
    assert_closed(port);
}

#[test]
fn a_command_that_cannot_run_exits_127_or_126() {
    let home = Home::new();
    let mut cmd = home.wps();
    cmd.args(["emulator", "--no-tls", "--", "no-such-command-here"]);
    let out = cmd.output().expect("wps runs");
    assert_eq!(code(&out), 127);
    let err = stderr(&out);
    assert!(
        err.contains("error: could not run no-such-command-here"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    let not_executable = home.path().join("script.sh");
    std::fs::write(&not_executable, "echo hi\n").expect("write");
    let mut cmd = home.wps();
    cmd.args(["emulator", "--no-tls", "--"])
        .arg(&not_executable);
    let out = cmd.output().expect("wps runs");
    assert_eq!(code(&out), 126, "{}", stderr(&out));
}

#[test]
fn log_takes_the_emulators_messages_and_leaves_the_commands_stderr() {
    let home = Home::new();
    let log = home.path().join("emulator.log");
    let out = home.run_sh(
        &["--no-tls", "--log", log.to_str().expect("utf-8")],
        "echo to-stdout; echo to-stderr >&2",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "to-stdout\n");
    assert_eq!(stderr(&out), "to-stderr\n");
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert!(
        logged.contains("wps emulator listening on http://"),
        "{logged}"
    );
    assert!(logged.contains("wps emulator stopping"), "{logged}");
    assert!(!logged.lines().any(|l| l == "to-stderr"), "{logged}");

    // An error of wps's own is on the terminal, not in the log.
    let mut cmd = home.wps();
    cmd.args(["emulator", "--no-tls", "--log"])
        .arg(&log)
        .args(["--", "no-such-command-here"]);
    let out = cmd.output().expect("wps runs");
    assert_eq!(code(&out), 127);
    assert!(stderr(&out).contains("could not run"), "{}", stderr(&out));
}

/// `certutil` when this machine has it (CI installs libnss3-tools; .ci/run).
fn certutil() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("certutil"))
        .find(|p| p.is_file())
}

/// The nicknames in an NSS database.
fn nss_nicknames(certutil: &Path, db: &Path) -> String {
    let out = Command::new(certutil)
        .arg("-d")
        .arg(format!("sql:{}", db.display()))
        .arg("-L")
        .output()
        .expect("certutil runs");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// The system store redirected (`WPS_TEST_CA_TRUST_DIR`), its update command a script that
/// records each run.
fn with_system_store(home: &Home, cmd: &mut Command) -> (PathBuf, PathBuf) {
    let store = home.path().join("system-ca");
    std::fs::create_dir_all(&store).expect("store dir");
    let runs = home.path().join("updates");
    let update = home.path().join("update-ca");
    std::fs::write(
        &update,
        format!("#!/bin/sh\necho run >> '{}'\n", runs.display()),
    )
    .expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&update, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    cmd.env("WPS_TEST_CA_TRUST_DIR", &store)
        .env("WPS_TEST_CA_TRUST_UPDATE", &update);
    (store, runs)
}

fn update_runs(runs: &Path) -> usize {
    std::fs::read_to_string(runs).map_or(0, |s| s.lines().count())
}

#[test]
fn ca_install_and_uninstall_in_a_temporary_home() {
    let home = Home::new();
    let Some(certutil) = certutil() else {
        eprintln!("skipped: certutil is not installed (Debian: libnss3-tools)");
        return;
    };
    let db = home.path().join(".pki/nssdb");
    let ca = home.ca_path();

    let mut cmd = home.wps();
    let (store, runs) = with_system_store(&home, &mut cmd);
    let out = cmd
        .args(["emulator", "ca", "--install"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}\n", ca.display()));
    let installed = store.join("wps-emulator-ca.crt");
    assert_eq!(
        std::fs::read(&installed).expect("in the system store"),
        std::fs::read(&ca).expect("the CA")
    );
    assert_eq!(update_runs(&runs), 1);
    assert!(db.join("cert9.db").is_file(), "the NSS database was made");
    assert!(
        nss_nicknames(&certutil, &db).contains("wps emulator development CA"),
        "{}",
        nss_nicknames(&certutil, &db)
    );
    let err = stderr(&out);
    assert!(err.contains("trusted in the NSS database"), "{err}");
    assert!(err.contains("trusted in the system trust store"), "{err}");

    // Again: still one entry.
    let mut cmd = home.wps();
    with_system_store(&home, &mut cmd);
    let out = cmd
        .args(["emulator", "ca", "--install"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed = nss_nicknames(&certutil, &db);
    assert_eq!(
        listed.matches("wps emulator development CA").count(),
        1,
        "{listed}"
    );

    let mut cmd = home.wps();
    with_system_store(&home, &mut cmd);
    let out = cmd
        .args(["emulator", "ca", "--uninstall"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(!installed.exists());
    assert_eq!(update_runs(&runs), 3);
    assert!(!nss_nicknames(&certutil, &db).contains("wps emulator development CA"));
    // The CA itself stays.
    assert!(ca.is_file());

    // Nothing left to remove: still success, and no update run.
    let mut cmd = home.wps();
    with_system_store(&home, &mut cmd);
    let out = cmd
        .args(["emulator", "ca", "--uninstall"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("not in the NSS database"));
    assert_eq!(update_runs(&runs), 3);
}

#[test]
fn ca_install_without_certutil_names_libnss3_tools_and_still_does_the_system_store() {
    let home = Home::new();
    let mut cmd = home.wps();
    let (store, runs) = with_system_store(&home, &mut cmd);
    // No PATH entry holds certutil.
    let out = cmd
        .env("PATH", home.path().join("empty"))
        .args(["emulator", "ca", "--install"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("certutil is not installed"), "{err}");
    assert!(err.contains("libnss3-tools"), "{err}");
    assert!(store.join("wps-emulator-ca.crt").is_file(), "{err}");
    assert_eq!(update_runs(&runs), 1);
    assert!(!home.path().join(".pki").exists());
}
