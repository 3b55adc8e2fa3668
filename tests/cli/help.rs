//! `--help`, `--version`, no arguments, and colour: what a user sees in the first minute.

use clap::{CommandFactory, Parser};
use wps::cli::Cli;

use crate::common::{code, run, stderr, stdout, World};
use crate::readme::shell_words;

/// Every visible command, nested ones included, as ("profile add", its command, its parent's
/// after_long_help).
fn visible_commands(
    cmd: &clap::Command,
    prefix: &str,
    out: &mut Vec<(String, clap::Command, String)>,
) {
    let parent_after = cmd
        .get_after_long_help()
        .map(|a| a.to_string())
        .unwrap_or_default();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix}{}", sub.get_name());
        out.push((name.clone(), sub.clone(), parent_after.clone()));
        visible_commands(sub, &format!("{name} "), out);
    }
}

/// The `wps ...` commands of a help text's "Examples:" section, up to a pipe or redirect.
fn examples(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|l| l.trim() != "Examples:")
        .filter_map(|l| {
            let words = shell_words(l.trim());
            let at = words.iter().position(|w| w == "wps")?;
            Some(words[at..].to_vec())
        })
        .collect()
}

#[test]
fn every_command_has_a_summary_long_help_and_real_examples() {
    // Unbuilt, so clap's own `help` subcommand is not among them.
    let cmd = Cli::command();
    let mut commands = Vec::new();
    visible_commands(&cmd, "", &mut commands);
    assert!(commands.len() >= 7, "{} commands", commands.len());
    for (name, sub, parent_after) in commands {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(
            !about.is_empty() && !about.contains('\n'),
            "`wps {name}` needs a one-line summary (doc comment)"
        );
        let after = sub
            .get_after_long_help()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let own = examples(&after);
        for words in own.iter().chain(examples(&parent_after).iter()) {
            if let Err(e) = Cli::try_parse_from(words) {
                panic!("an example near `wps {name}` does not parse: {words:?}\n{e}");
            }
        }
        if sub.has_subcommands() && !sub.is_args_conflicts_with_subcommands_set() {
            continue; // a group like `profile`: its members carry the examples
        }
        assert!(
            sub.get_long_about().is_some(),
            "`wps {name}` needs long help (long_about) beyond its summary"
        );
        let path: Vec<String> = name.split(' ').map(str::to_string).collect();
        let runs_it = |words: &&Vec<String>| words.windows(path.len()).any(|w| w == path);
        assert!(
            own.iter().filter(runs_it).count() >= 2,
            "`wps {name}` needs two or three examples in after_long_help (\"Examples:\\n  wps {name} ...\")"
        );
    }
}

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
