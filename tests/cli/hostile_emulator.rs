//! The emulator under hostile input, the third round (issue 24): start-up files read up to a
//! cap, the dashboard over TLS, MQTT topics a PUBLISH may not name, and a `connect` handler's
//! `userId` that could not be sent as a header.

use std::process::{Command, Stdio};

use crate::common::*;

/// `wps emulator --port 0 ARGS` with nothing configured, HOME in `home`, to its end.
async fn emulator_fails(home: &std::path::Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wps"));
    cmd.args(["emulator", "--port", "0"])
        .args(args)
        .env_clear()
        .env("HOME", home)
        .stdin(Stdio::null());
    run(cmd).await
}

#[tokio::test]
async fn start_up_files_that_never_end_are_invalid_input_with_one_error_line() {
    let home = tempfile::tempdir().expect("temp dir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert = home.path().join("cert.pem");
    let key = home.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("write");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write");
    let zero = std::ffi::OsStr::new("/dev/zero");
    let cases: [(Vec<&std::ffi::OsStr>, &str); 5] = [
        (
            vec!["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), zero],
            "error: TLS file /dev/zero: larger than 1 MiB, which no key file is; is it the right path?",
        ),
        (
            vec!["--tls-cert".as_ref(), zero, "--tls-key".as_ref(), key.as_os_str()],
            "error: TLS file /dev/zero: larger than 1 MiB, which no certificate file is; is it the right path?",
        ),
        (
            vec!["--tls-cert".as_ref(), zero, "--tls-key".as_ref(), zero],
            "error: TLS file /dev/zero: larger than 1 MiB, which no certificate file is; is it the right path?",
        ),
        (
            vec!["--entra-issuer-key".as_ref(), zero],
            "error: could not read --entra-issuer-key /dev/zero: larger than 1 MiB, which no key file is; is it the right path?",
        ),
        (
            vec!["--settings".as_ref(), zero],
            "error: cannot read /dev/zero: larger than 1 MiB, which no settings file is; is it the right path?",
        ),
    ];
    for (args, line) in cases {
        let out = emulator_fails(home.path(), &args).await;
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert_eq!(err.trim_end(), line, "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}
