//! `--help`, `--version`, no arguments, and colour: what a user sees in the first minute.

use crate::common::{code, run, stderr, stdout, World};

#[tokio::test]
async fn no_arguments_prints_short_help_and_exits_2() {
    let world = World::new().await;
    let out = world.bare_wps().output().expect("wps runs");
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("Usage: wps"), "{err}");
    assert!(err.contains("send-all"), "{err}");
    // Short help: one-line summaries, not the long descriptions and examples.
    assert!(!err.contains("Examples:"), "{err}");
}

#[tokio::test]
async fn version_names_the_target() {
    let world = World::new().await;
    let out = world
        .bare_wps()
        .arg("--version")
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("wps {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains(std::env::consts::ARCH) && text.contains(std::env::consts::OS),
        "{text}"
    );
}

#[tokio::test]
async fn version_is_the_programs_not_every_subcommands() {
    let world = World::new().await;
    for args in [
        &["send-all", "-h"][..],
        &["send-all", "--help"],
        &["emulator", "ca", "-h"],
        &["profile", "add", "--help"],
        &["token", "decode", "-h"],
    ] {
        let out = world.bare_wps().args(args).output().expect("wps runs");
        assert_eq!(code(&out), 0, "{args:?}");
        let text = stdout(&out);
        assert!(!text.contains("--version"), "{args:?}:\n{text}");
    }
    let top = stdout(&world.bare_wps().arg("--help").output().expect("wps runs"));
    assert!(top.contains("-V, --version"), "{top}");
}

// The payload first: what to send, then how (--allow-empty, --metadata), as the issue asked.
#[tokio::test]
async fn send_help_lists_the_payload_flags_first() {
    let world = World::new().await;
    for command in ["send-all", "send-group", "send-user", "send-connection"] {
        let out = world
            .bare_wps()
            .args([command, "-h"])
            .output()
            .expect("wps runs");
        let text = stdout(&out);
        let at = |flag: &str| {
            text.find(flag)
                .unwrap_or_else(|| panic!("{flag} not in {command} -h:\n{text}"))
        };
        assert!(
            at("--text") < at("--json") && at("--json") < at("--file"),
            "{text}"
        );
        assert!(at("--file") < at("--allow-empty"), "{text}");
        assert!(at("--content-type") < at("--metadata"), "{text}");
        if command == "send-all" {
            insta::assert_snapshot!("send_all_short_help", text);
        }
    }
}

#[tokio::test]
async fn long_help_has_examples_and_option_groups() {
    let world = World::new().await;
    let out = world
        .bare_wps()
        .args(["send-group", "--help"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for heading in ["Target:", "Payload:", "Bulk:", "Examples:"] {
        assert!(text.contains(heading), "no {heading} in\n{text}");
    }
    // The global options are listed once, in `wps --help`.
    assert!(!text.contains("Connection:"), "{text}");
    let top = stdout(&world.bare_wps().arg("--help").output().expect("wps runs"));
    for heading in ["Connection:", "Output:"] {
        assert!(top.contains(heading), "no {heading} in\n{top}");
    }
    let short = world
        .bare_wps()
        .args(["send-group", "-h"])
        .output()
        .expect("wps runs");
    assert!(!stdout(&short).contains("Examples:"));
}

const ESC: &str = "\x1b[";

/// stderr of a usage error under the given colour flag and environment.
async fn usage_error(world: &World, flag: Option<&str>, env: &[(&str, &str)]) -> String {
    let mut cmd = world.bare_wps();
    if let Some(f) = flag {
        cmd.args(["--color", f]);
    }
    cmd.args(["send-all", "--no-such-flag"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("wps runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    stderr(&out)
}

#[tokio::test]
async fn colour_follows_flag_no_color_and_clicolor_force() {
    let world = World::new().await;
    // Not a terminal: plain by default.
    assert!(!usage_error(&world, None, &[]).await.contains(ESC));
    assert!(usage_error(&world, Some("always"), &[]).await.contains(ESC));
    assert!(usage_error(&world, None, &[("CLICOLOR_FORCE", "1")])
        .await
        .contains(ESC));
    assert!(
        !usage_error(&world, None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
            .await
            .contains(ESC)
    );
    assert!(
        !usage_error(&world, Some("never"), &[("CLICOLOR_FORCE", "1")])
            .await
            .contains(ESC)
    );
    // The flag beats the environment.
    assert!(usage_error(&world, Some("always"), &[("NO_COLOR", "1")])
        .await
        .contains(ESC));
    // Help on stdout too.
    let out = world
        .bare_wps()
        .args(["--color=always", "send-all", "--help"])
        .output()
        .expect("wps runs");
    assert!(stdout(&out).contains(ESC));
}

#[tokio::test]
async fn our_error_prefix_is_coloured_only_when_asked() {
    let world = World::new().await;
    let error_line = |args: &'static [&'static str],
                      env: &'static [(&'static str, &'static str)]| {
        let mut c = world.bare_wps();
        c.args(["send-all", "--hub", "chat", "--text", "x"])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        run(c)
    };
    let plain = error_line(&[], &[]).await;
    assert_eq!(code(&plain), 3);
    assert!(
        stderr(&plain).starts_with("error: no connection"),
        "{}",
        stderr(&plain)
    );
    let forced = error_line(&["--color", "always"], &[]).await;
    assert!(
        stderr(&forced).starts_with("\x1b[1;31merror:\x1b[0m no connection"),
        "{:?}",
        stderr(&forced)
    );
    let env_forced = error_line(&[], &[("CLICOLOR_FORCE", "1")]).await;
    assert!(
        stderr(&env_forced).starts_with("\x1b[1;31merror:"),
        "{:?}",
        stderr(&env_forced)
    );
    let no_color = error_line(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).await;
    assert!(
        stderr(&no_color).starts_with("error: "),
        "{:?}",
        stderr(&no_color)
    );
}
