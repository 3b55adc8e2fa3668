//! Config file, profiles and precedence (flag > env > profile > default), against the emulator.

use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

/// A connection string for this emulator whose key it will refuse (401 → exit 4).
fn wrong_key(world: &World) -> String {
    format!(
        "Endpoint=http://{};AccessKey={};Version=1.0;",
        world.emulator.addr(),
        "Z".repeat(44)
    )
}

/// Writes the config file private, as `wps` would (a readable one gets a warning).
fn write_config(world: &World, text: &str) {
    std::fs::write(world.config_path(), text).expect("write config");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(world.config_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
}

fn send_all(mut cmd: std::process::Command, text: &str) -> std::process::Command {
    cmd.args(["send-all", "--text", text]);
    cmd
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("config exists")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn hub_resolves_flag_then_env_then_profile() {
    let world = World::new().await;
    write_config(
        &world,
        &format!(
            "default_profile = \"p\"\n[profiles.p]\nconnection_string = \"{}\"\nhub = \"profhub\"\n",
            world.connection_string()
        ),
    );
    let mut prof = world.connect("profhub", None, &[], &[], None).await;
    let mut envh = world.connect("envhub", None, &[], &[], None).await;
    let mut flag = world.connect("flaghub", None, &[], &[], None).await;

    let out = run(send_all(world.bare_wps(), "p")).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut prof).await, Message::Text("p".into()));

    let mut cmd = send_all(world.bare_wps(), "e");
    cmd.env("WPS_HUB", "envhub");
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut envh).await, Message::Text("e".into()));

    let mut cmd = send_all(world.bare_wps(), "f");
    cmd.env("WPS_HUB", "envhub").args(["--hub", "flaghub"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut flag).await, Message::Text("f".into()));

    assert_nothing_before_sentinel(&world, "profhub", &mut [&mut prof]).await;
    assert_nothing_before_sentinel(&world, "envhub", &mut [&mut envh]).await;
}

#[tokio::test]
async fn connection_resolves_flag_then_env_then_profile() {
    let world = World::new().await;
    let good = world.connection_string();
    let bad = wrong_key(&world);
    let mut client = world.connect("chat", None, &[], &[], None).await;

    // The profile alone is used.
    write_config(
        &world,
        &format!("default_profile = \"p\"\n[profiles.p]\nconnection_string = \"{good}\"\nhub = \"chat\"\n"),
    );
    let out = run(send_all(world.bare_wps(), "profile")).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        next_frame(&mut client).await,
        Message::Text("profile".into())
    );

    // The environment beats the profile: its wrong key is refused.
    let mut cmd = send_all(world.bare_wps(), "x");
    cmd.env("WPS_CONNECTION_STRING", &bad);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "stderr: {}", stderr(&out));

    // A flag beats the environment.
    let mut cmd = send_all(world.bare_wps(), "flag");
    cmd.env("WPS_CONNECTION_STRING", &bad)
        .args(["--connection-string", &good]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut client).await, Message::Text("flag".into()));

    // --endpoint with --access-key beats the profile's connection string too.
    write_config(
        &world,
        &format!("default_profile = \"p\"\n[profiles.p]\nconnection_string = \"{bad}\"\nhub = \"chat\"\n"),
    );
    let mut cmd = send_all(world.bare_wps(), "ep");
    cmd.args([
        "--endpoint",
        &format!("http://{}", world.emulator.addr()),
        "--access-key",
        wps::emulator::DEFAULT_ACCESS_KEY,
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut client).await, Message::Text("ep".into()));
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut client]).await;
}

#[tokio::test]
async fn functions_connection_string_is_honoured_after_ours() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let mut cmd = send_all(world.bare_wps(), "fn");
    cmd.env("WebPubSubConnectionString", world.connection_string())
        .env("WPS_HUB", "chat");
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut client).await, Message::Text("fn".into()));

    let mut cmd = send_all(world.bare_wps(), "x");
    cmd.env("WebPubSubConnectionString", world.connection_string())
        .env("WPS_CONNECTION_STRING", wrong_key(&world))
        .env("WPS_HUB", "chat");
    let out = run(cmd).await;
    assert_eq!(
        code(&out),
        4,
        "WPS_CONNECTION_STRING must win: {}",
        stderr(&out)
    );
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut client]).await;
}

#[tokio::test]
async fn profile_round_trip_keeps_unknown_keys_and_mode_0600() {
    let world = World::new().await;
    write_config(
        &world,
        "future_setting = \"kept\"\n[profiles.keep]\nhub = \"chat\"\nextra = 42\n[plugins.x]\ny = [1, 2]\n",
    );
    let mut client = world.connect("chat", None, &[], &[], None).await;

    let mut add = world.bare_wps();
    add.args([
        "profile",
        "add",
        "dev",
        "--connection-string",
        &world.connection_string(),
        "--hub",
        "chat",
    ]);
    let out = run(add).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(stdout(&out).is_empty(), "status goes to stderr");
    #[cfg(unix)]
    assert_eq!(mode(&world.config_path()), 0o600);
    let text = std::fs::read_to_string(world.config_path()).expect("config");
    let doc: toml::Table = text.parse().expect("valid TOML");
    assert_eq!(doc["future_setting"].as_str(), Some("kept"));
    assert_eq!(doc["profiles"]["keep"]["extra"].as_integer(), Some(42));
    assert_eq!(doc["plugins"]["x"]["y"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        doc["default_profile"].as_str(),
        Some("dev"),
        "first profile becomes default"
    );
    // No stray temp files next to it.
    assert_eq!(std::fs::read_dir(world.dir.path()).expect("dir").count(), 1);

    // The new default profile is used.
    let out = run(send_all(world.bare_wps(), "via profile")).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        next_frame(&mut client).await,
        Message::Text("via profile".into())
    );

    let mut list = world.bare_wps();
    list.args(["profile", "list", "-o", "json"]);
    let out = run(list).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        rows,
        serde_json::json!([
            {"name":"dev","default":true,"endpoint":format!("http://{}", world.emulator.addr()),"hub":"chat","auth":null},
            {"name":"keep","default":false,"endpoint":null,"hub":"chat","auth":null}
        ])
    );

    let mut use_ = world.bare_wps();
    use_.args(["profile", "use", "keep"]);
    assert_eq!(code(&run(use_).await), 0);
    let mut show = world.bare_wps();
    show.args(["profile", "show", "-o", "json"]);
    let out = run(show).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(shown["profile"], "keep");
    assert_eq!(shown["selectedBy"], "default_profile");
    assert_eq!(shown["hub"]["source"], "profile 'keep'");

    let mut remove = world.bare_wps();
    remove.args(["profile", "remove", "keep"]);
    let out = run(remove).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let doc: toml::Table = std::fs::read_to_string(world.config_path())
        .expect("config")
        .parse()
        .expect("TOML");
    assert!(doc.get("default_profile").is_none());
    assert!(doc["profiles"].get("keep").is_none());
    assert_eq!(doc["future_setting"].as_str(), Some("kept"));
    #[cfg(unix)]
    assert_eq!(mode(&world.config_path()), 0o600);

    let mut remove = world.bare_wps();
    remove.args(["profile", "remove", "keep"]);
    let out = run(remove).await;
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("profiles: dev"), "{}", stderr(&out));
}

#[tokio::test]
async fn show_says_where_values_come_from_and_never_prints_the_key() {
    let world = World::new().await;
    let key = wps::emulator::DEFAULT_ACCESS_KEY;
    let mut add = world.bare_wps();
    add.args([
        "profile",
        "add",
        "ep",
        "--endpoint",
        &format!("http://{}", world.emulator.addr()),
        "--access-key",
        key,
        "--hub",
        "chat",
        "--default",
    ]);
    let out = run(add).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));

    for format in ["json", "table"] {
        let mut show = world.bare_wps();
        show.args(["profile", "show", "-o", format])
            .env("WPS_HUB", "envhub");
        let out = run(show).await;
        assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
        let (o, e) = (stdout(&out), stderr(&out));
        assert!(!o.contains(key) && !e.contains(key), "key leaked: {o} {e}");
        assert!(o.contains("<redacted>"), "{o}");
        assert!(o.contains("environment variable WPS_HUB"), "{o}");
        assert!(
            e.contains("warning: WPS_HUB overrides hub from profile 'ep'"),
            "{e}"
        );
    }
    // A named profile, and the connection-string form.
    let mut add = world.bare_wps();
    add.args([
        "profile",
        "add",
        "cs",
        "--connection-string",
        &world.connection_string(),
    ]);
    assert_eq!(code(&run(add).await), 0);
    let mut show = world.bare_wps();
    show.args(["profile", "show", "cs", "-o", "json"]);
    let out = run(show).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(shown["profile"], "cs");
    assert_eq!(shown["selectedBy"], "--profile");
    assert_eq!(
        shown["endpoint"],
        serde_json::json!({"value": format!("http://{}", world.emulator.addr()), "source": "profile 'cs'"})
    );
    assert_eq!(
        shown["accessKey"],
        serde_json::json!({"value": "<redacted>", "source": "profile 'cs'"})
    );
    assert!(!stdout(&out).contains(key));
}

#[tokio::test]
async fn env_references_are_read_at_run_time() {
    let world = World::new().await;
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let mut add = world.bare_wps();
    add.args([
        "profile",
        "add",
        "ci",
        "--connection-string-env",
        "MY_CS",
        "--hub",
        "chat",
    ]);
    let out = run(add).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = std::fs::read_to_string(world.config_path()).expect("config");
    assert!(!text.contains("AccessKey"), "{text}");

    let mut cmd = send_all(world.bare_wps(), "ref");
    cmd.env("MY_CS", world.connection_string());
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(next_frame(&mut client).await, Message::Text("ref".into()));

    let out = run(send_all(world.bare_wps(), "x")).await;
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("MY_CS") && err.contains("not set"),
        "{err}"
    );
}

#[tokio::test]
async fn config_errors_exit_3_with_one_line() {
    let world = World::new().await;
    let cs = world.connection_string();
    // Bad TOML: path, line and column.
    write_config(&world, "default_profile = \"a\"\n[profiles.a\nhub = 1\n");
    let out = run(send_all(world.wps(), "x")).await;
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&world.config_path().display().to_string()),
        "{err}"
    );
    assert!(err.contains("line 2, column"), "{err}");

    // Unknown profile by flag, by WPS_PROFILE, by default_profile: the existing ones are named.
    write_config(
        &world,
        &format!("default_profile = \"gone\"\n[profiles.a]\nconnection_string = \"{cs}\"\n[profiles.b]\nhub = \"chat\"\n"),
    );
    for (args, env) in [
        (vec!["-p", "nope"], None),
        (vec![], Some("nope")),
        (vec![], None),
    ] {
        let mut cmd = send_all(world.bare_wps(), "x");
        cmd.args(&args);
        if let Some(p) = env {
            cmd.env("WPS_PROFILE", p);
        }
        let out = run(cmd).await;
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("profiles: a, b"), "{err}");
        assert!(!err.contains("AccessKey"), "{err}");
    }

    // A broken config does not stop what does not need it.
    write_config(&world, "this is not toml");
    let mut help = world.bare_wps();
    help.args(["send-all", "--help"]);
    assert_eq!(code(&run(help).await), 0);
    write_config(&world, "default_profile = \"gone\"\n");
    let mut add = world.bare_wps();
    add.args(["profile", "add", "ok", "--connection-string", &cs]);
    let out = run(add).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));

    // Input validation before saving.
    for bad in [
        vec![
            "profile",
            "add",
            "bad name",
            "--connection-string",
            cs.as_str(),
        ],
        vec!["profile", "add", "x", "--endpoint", "ftp://h"],
        vec![
            "profile",
            "add",
            "x",
            "--connection-string",
            "Endpoint=http://h",
        ],
    ] {
        let mut cmd = world.bare_wps();
        cmd.args(&bad);
        let out = run(cmd).await;
        assert_ne!(code(&out), 0, "{bad:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

#[tokio::test]
async fn profile_add_use_and_remove_mend_a_broken_profile_but_never_overwrite_a_file_that_is_not_toml(
) {
    let world = World::new().await;
    let cs = world.connection_string();
    // A profile with a wrong value: commands that need the config fail (exit 3)...
    write_config(
        &world,
        "default_profile = \"dev\"\n[profiles.dev]\nhub = 5\n[profiles.bad]\nauth = 7\n",
    );
    let out = run(send_all(world.bare_wps(), "x")).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must be a string"),
        "{}",
        stderr(&out)
    );
    // ...while profile add replaces it and profile remove takes the other away.
    let mut add = world.bare_wps();
    add.args([
        "profile",
        "add",
        "dev",
        "--connection-string",
        &cs,
        "--hub",
        "chat",
    ]);
    let out = run(add).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut remove = world.bare_wps();
    remove.args(["profile", "remove", "bad"]);
    let out = run(remove).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(send_all(world.bare_wps(), "x")).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // A file that is not TOML is not overwritten: exit 3, naming where it breaks.
    write_config(&world, "this is not toml\n");
    let mut add = world.bare_wps();
    add.args(["profile", "add", "dev", "--connection-string", &cs]);
    let out = run(add).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("line 1, column"), "{}", stderr(&out));
    let text = std::fs::read_to_string(world.config_path()).expect("config");
    assert_eq!(text, "this is not toml\n");
}

#[tokio::test]
async fn removing_the_default_profile_names_one_to_use() {
    let world = World::new().await;
    let cs = world.connection_string();
    for args in [
        &[
            "profile",
            "add",
            "dev",
            "--connection-string",
            &cs,
            "--hub",
            "chat",
        ][..],
        &[
            "profile",
            "add",
            "ci",
            "--connection-string",
            &cs,
            "--hub",
            "chat",
        ],
        &["profile", "use", "ci"],
    ] {
        let out = run({
            let mut c = world.bare_wps();
            c.args(args);
            c
        })
        .await;
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    let mut remove = world.bare_wps();
    remove.args(["profile", "remove", "ci"]);
    let out = run(remove).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`wps profile use dev`"),
        "{}",
        stderr(&out)
    );

    // The next command needs a connection: the error names the profile to choose.
    let out = run(send_all(world.bare_wps(), "x")).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("`wps profile use dev`"), "{err}");
    assert!(!err.contains("wps profile add"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn readable_config_with_a_key_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new().await;
    write_config(
        &world,
        &format!(
            "default_profile = \"p\"\n[profiles.p]\nconnection_string = \"{}\"\nhub = \"chat\"\n",
            world.connection_string()
        ),
    );
    std::fs::set_permissions(world.config_path(), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let mut client = world.connect("chat", None, &[], &[], None).await;
    let out = run(send_all(world.bare_wps(), "w")).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("readable by others"),
        "{}",
        stderr(&out)
    );
    assert_eq!(next_frame(&mut client).await, Message::Text("w".into()));
    // Rewriting it makes it private.
    let mut use_ = world.bare_wps();
    use_.args(["profile", "use", "p"]);
    assert_eq!(code(&run(use_).await), 0);
    assert_eq!(mode(&world.config_path()), 0o600);
}

/// Whether the terminal that the processes below `pid` read from has echo off (`stty -a`):
/// the first of them whose stdin is a pseudo-terminal says.
fn echo_is_off_below(pid: u32) -> bool {
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for child in children.split_whitespace() {
        let Ok(child) = child.parse::<u32>() else {
            continue;
        };
        if let Ok(tty) = std::fs::read_link(format!("/proc/{child}/fd/0")) {
            if tty.starts_with("/dev/pts/") {
                let Ok(out) = std::process::Command::new("stty")
                    .arg("-F")
                    .arg(&tty)
                    .arg("-a")
                    .output()
                else {
                    return false;
                };
                return String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .any(|flag| flag == "-echo");
            }
        }
        if echo_is_off_below(child) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn profile_add_prompts_for_the_key_without_echo_only_on_a_terminal() {
    let world = World::new().await;
    // Without a terminal: no prompt, no key saved, a note instead.
    let mut cmd = world.bare_wps();
    cmd.args(["profile", "add", "plain", "--endpoint", "http://h.example"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no access key saved"),
        "{}",
        stderr(&out)
    );

    // On a terminal (a pseudo-terminal from util-linux `script`): prompted, typed key not echoed.
    let config = world.config_path();
    let line = format!(
        "{} profile add tty --endpoint http://h.example",
        env!("CARGO_BIN_EXE_wps")
    );
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("WPS_CONFIG", &config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script runs");
        // Type only once the prompt is up (rpassword turns echo off right after showing it).
        let mut terminal = child.stdout.take().expect("stdout");
        let mut seen = Vec::new();
        let mut chunk = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("Access key") {
            match std::io::Read::read(&mut terminal, &mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&chunk[..n]),
            }
        }
        // rpassword turns echo off after showing the prompt: type once the terminal says so.
        let deadline = std::time::Instant::now() + PATIENCE;
        while !echo_is_off_below(child.id()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the terminal's echo was never turned off"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"typed-secret-key-0123456789\r")
            .expect("type");
        std::io::Read::read_to_end(&mut terminal, &mut seen).expect("read the terminal");
        let mut out = child.wait_with_output().expect("script ends");
        out.stdout = seen;
        out
    })
    .await
    .expect("join");
    let shown = format!("{}{}", stdout(&out), stderr(&out));
    assert!(shown.contains("Access key (input hidden"), "{shown}");
    assert!(
        !shown.contains("typed-secret-key"),
        "the key was echoed: {shown}"
    );
    let saved = std::fs::read_to_string(world.config_path()).expect("config written");
    assert!(saved.contains("typed-secret-key-0123456789"), "{saved}");
}
