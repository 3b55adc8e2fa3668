//! The sharp edges a newcomer met (issue 15): empty stdin, bulk runs and tables on a
//! terminal, the progress bar, missing --group, a wrong key in bulk, token and profile
//! corner cases, negative numbers, hints, help, and --reverse-proxy.

use std::process::Output;
use std::time::Duration;

use crate::common::*;
use crate::faults::{wps_at, FaultServer, Reply};

/// Runs `wps ARGS` on a pseudo-terminal (util-linux `script`, which reports a 0x0 window
/// when its own stdin is not a terminal, as `docker -t` and CI runners do). stdout and
/// stderr both arrive in `Output::stdout`, as a person would see them.
async fn on_terminal(world: &World, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut line = env!("CARGO_BIN_EXE_wps").to_string();
    for a in args {
        line.push_str(" '");
        line.push_str(&a.replace('\'', r"'\''"));
        line.push('\'');
    }
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", world.dir.path())
        .env("WPS_CONFIG", world.config_path())
        .env("WPS_TEST_RETRY_BASE_MS", "1")
        .env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd).await
}

fn terminal_env(world: &World) -> Vec<(&'static str, String)> {
    vec![
        ("WPS_CONNECTION_STRING", world.connection_string()),
        ("WPS_HUB", "chat".into()),
    ]
}

/// What a terminal shows: each `\r`-overwritten frame as its own line, colour removed.
fn screen_lines(out: &Output) -> Vec<String> {
    let text = stdout(out);
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

// 1. An empty stdin is no payload.
#[tokio::test]
async fn empty_stdin_is_no_payload_unless_allow_empty() {
    let world = World::new().await;
    let mut cmd = world.wps();
    cmd.arg("send-all");
    let out = run_with_stdin(cmd, Vec::new()).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("empty") && err.contains("--allow-empty"),
        "{err}"
    );

    let (mut socket, _) = world.connect_json("chat", None, &[], &[]).await;
    let mut cmd = world.wps();
    cmd.args(["send-all", "--allow-empty"]);
    let out = run_with_stdin(cmd, Vec::new()).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = next_json(&mut socket).await;
    assert_eq!(got["type"], "message", "{got}");
}

// 2. A bulk run on a terminal: the bar, then the failures and the summary, not a row a target
// (beyond a screenful; a short run lists every target).
#[tokio::test]
async fn bulk_run_on_a_terminal_shows_failures_and_summary_not_every_row() {
    let world = World::new().await;
    let mut args = vec!["send-user", "--text", "hi"];
    let users: Vec<String> = (0..30).map(|i| format!("user-{i:02}")).collect();
    for u in &users {
        args.extend(["--user", u.as_str()]);
    }
    let out = on_terminal(&world, &args, &terminal_env(&world)).await;
    let screen = stdout(&out);
    assert_eq!(code(&out), 0, "{screen}");
    assert!(screen.lines().count() < 10, "a row per target:\n{screen}");
    assert!(screen.contains("sent 30, failed 0"), "{screen}");

    // A run that fits on the screen shows what went where: every target, sent or not, and
    // no rate for three quick requests.
    let (_socket, id) = world.connect_json("chat", None, &[], &[]).await;
    let out = on_terminal(
        &world,
        &[
            "add-to-group",
            "--group",
            "g1",
            "-c",
            &id,
            "-c",
            "gone-1",
            "-c",
            "gone-2",
        ],
        &terminal_env(&world),
    )
    .await;
    let screen = stdout(&out);
    assert_eq!(code(&out), 7, "{screen}");
    assert!(
        screen.contains("gone-1") && screen.contains("gone-2"),
        "{screen}"
    );
    let row = |target: &str| {
        screen
            .lines()
            .find(|l| l.contains(target))
            .unwrap_or_else(|| panic!("no row for {target}:\n{screen}"))
            .to_string()
    };
    assert!(
        row(&id).contains("sent") && row(&id).contains("g1"),
        "{screen}"
    );
    assert!(row("gone-1").contains("failed"), "{screen}");
    assert!(screen.contains("sent 1, failed 2"), "{screen}");
    let summary = screen
        .lines()
        .find(|l| l.contains("sent 1, failed 2"))
        .unwrap_or_default();
    assert_rate_only_after_a_second(summary.trim_end());
}

// 3. A terminal that reports width 0 gets COLUMNS, then 80, not one-character columns.
#[tokio::test]
async fn tables_on_a_zero_width_terminal_fall_back_to_columns_then_80() {
    let world = World::new().await;
    let out = world
        .bare_wps()
        .args(["profile", "add", "dev", "--hub", "chat"])
        .arg("--connection-string")
        .arg(world.connection_string())
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for env in [vec![], vec![("COLUMNS", "100".to_string())]] {
        let out = on_terminal(&world, &["profile", "list"], &env).await;
        let screen = stdout(&out);
        assert_eq!(code(&out), 0, "{screen}");
        let header = screen
            .lines()
            .find(|l| l.contains("name"))
            .unwrap_or_default();
        assert!(
            header.contains("default") && header.contains("endpoint"),
            "collapsed columns:\n{screen}"
        );
    }
}

// 4. The progress bar: whole numbers, fits 80 columns, only for runs that take a while.
#[tokio::test]
async fn progress_bar_is_short_whole_and_only_for_slow_runs() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::Hang(Duration::from_millis(250))).await;
    let env = vec![
        ("WPS_CONNECTION_STRING", server.connection_string()),
        ("WPS_HUB", "chat".to_string()),
    ];
    let mut args = vec!["send-user", "--text", "hi", "--concurrency", "2"];
    let users: Vec<String> = (0..12).map(|i| format!("u{i}")).collect();
    for u in &users {
        args.extend(["--user", u.as_str()]);
    }
    let out = on_terminal(&world, &args, &env).await;
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let lines = screen_lines(&out);
    let bars: Vec<&String> = lines.iter().filter(|l| l.contains("/12")).collect();
    assert!(!bars.is_empty(), "no progress shown:\n{lines:#?}");
    for l in &lines {
        assert!(l.chars().count() <= 80, "wider than 80: {l:?}");
    }
    for b in &bars {
        let rate = b.split_whitespace().find(|w| w.ends_with("/s"));
        if let Some(rate) = rate {
            assert!(!rate.contains('.'), "fractional rate: {b:?}");
        }
    }

    // Two quick targets: no bar at all.
    let fast = FaultServer::start(|_, _| Reply::status(202)).await;
    let env = vec![
        ("WPS_CONNECTION_STRING", fast.connection_string()),
        ("WPS_HUB", "chat".to_string()),
    ];
    let out = on_terminal(
        &world,
        &["send-user", "--text", "hi", "-u", "a", "-u", "b"],
        &env,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("/2"),
        "a bar for two targets:\n{}",
        stdout(&out)
    );
}

// 5. Permissions need a group, as the service says.
#[tokio::test]
async fn permission_commands_require_a_group_up_front() {
    let world = World::new().await;
    for cmd in ["grant", "revoke", "check"] {
        let out = world
            .wps()
            .args([cmd, "--connection", "c1", "--permission", "send-to-group"])
            .output()
            .expect("wps runs");
        assert_eq!(code(&out), 2, "{cmd}: {}", stderr(&out));
        assert!(stderr(&out).contains("--group"), "{cmd}: {}", stderr(&out));
    }
}

// 6. A run stopped by a service-wide failure exits with that failure's code; no rate.
#[tokio::test]
async fn bulk_run_with_a_wrong_key_exits_4_without_a_rate() {
    let world = World::new().await;
    let wrong = format!(
        "Endpoint=http://{};AccessKey={};Version=1.0;",
        world.emulator.addr(),
        "w".repeat(44)
    );
    let mut cmd = world.bare_wps();
    cmd.env("WPS_CONNECTION_STRING", wrong)
        .env("WPS_HUB", "chat")
        .args(["send-user", "--text", "hi", "--concurrency", "1"]);
    for i in 0..30 {
        cmd.args(["--user", &format!("u{i}")]);
    }
    let out = run(cmd).await;
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    let summary = err.lines().last().unwrap_or_default();
    assert!(summary.starts_with("sent 0, failed 10"), "{err}");
    assert!(!summary.contains("/s)"), "{summary}");
}

// 8. token and profile corner cases.
#[tokio::test]
async fn token_and_profile_refuse_what_cannot_be_meant() {
    let world = World::new().await;
    let out = world
        .wps()
        .args(["token", "--expires", "0"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    let out = run_with_stdin(
        {
            let mut c = world.wps();
            c.args(["token", "decode"]);
            c
        },
        Vec::new(),
    )
    .await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no token given"), "{}", stderr(&out));

    let out = world
        .bare_wps()
        .args(["profile", "add", "p4"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!world.config_path().exists(), "an empty profile was saved");

    let out = world
        .bare_wps()
        .args([
            "profile",
            "add",
            "ci",
            "--connection-string-env",
            "WPS_CONNECTION_STRING",
        ])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = world
        .wps()
        .args(["profile", "list", "-o", "json"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let row = &rows[0];
    assert_eq!(
        row["endpoint"],
        format!("http://{}", world.emulator.addr()),
        "{row}"
    );
    assert_eq!(row["connectionStringEnv"], "WPS_CONNECTION_STRING", "{row}");
}

// 9. Negative numbers, case, and hints for likely slips.
#[tokio::test]
async fn negative_numbers_case_and_slips_get_clear_answers() {
    let world = World::new().await;
    for args in [
        &["send-all", "--ttl", "-1", "--text", "x"][..],
        &["--retries", "-1", "send-all", "--text", "x"][..],
    ] {
        let out = world.wps().args(args).output().expect("wps runs");
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        assert!(!err.contains("unexpected argument"), "{err}");
        assert!(err.contains("-1"), "{err}");
    }

    let out = world
        .wps()
        .args(["token", "-o", "JSON"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = world
        .wps()
        .env("WPS_OUTPUT", "JSON")
        .arg("token")
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = world
        .wps()
        .args(["send-user", "alice", "--text", "hi"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--user alice"), "{}", stderr(&out));

    let out = world
        .wps()
        .args(["send-all", "--json", "{'a':1}"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("double quotes"), "{}", stderr(&out));
}

// 10. Help: defaults shown, global options once, listen's terminal form said.
#[tokio::test]
async fn help_shows_defaults_once_and_says_what_a_terminal_gets() {
    let world = World::new().await;
    let top = stdout(&world.bare_wps().arg("--help").output().expect("wps runs"));
    for default in ["[default: 30]", "[default: 3]", "[default: 2024-12-01]"] {
        assert!(top.contains(default), "no {default} in\n{top}");
    }
    let sub = stdout(
        &world
            .bare_wps()
            .args(["send-group", "--help"])
            .output()
            .expect("wps runs"),
    );
    assert!(
        sub.lines().count() < 75,
        "{} lines:\n{sub}",
        sub.lines().count()
    );
    assert!(!sub.contains("--api-version"), "{sub}");
    assert!(sub.contains("wps --help"), "{sub}");
    let listen = stdout(
        &world
            .bare_wps()
            .args(["listen", "--help"])
            .output()
            .expect("wps runs"),
    );
    assert!(listen.to_lowercase().contains("on a terminal"), "{listen}");
}

// 10b. Each wait has its own flag in its command's short help: --timeout (a global option, one
// attempt) is not what ends a listen or bounds a client's acks.
#[tokio::test]
async fn listen_and_client_help_name_their_waits() {
    let world = World::new().await;
    let help = |command: &str| {
        stdout(
            &world
                .bare_wps()
                .args([command, "-h"])
                .output()
                .expect("wps runs"),
        )
    };
    let listen = help("listen");
    assert!(listen.contains("--within <SECS>"), "{listen}");
    let client = help("client");
    assert!(client.contains("--ack-wait <SECS>"), "{client}");
    assert!(client.contains("[default: 10]"), "{client}");
}

// 11. Hints: nothing listening locally; the emulator's port taken.
#[tokio::test]
async fn local_refusals_and_busy_ports_get_hints() {
    let world = World::new().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let out = wps_at(&world, &crate::faults::connection_string_for(addr))
        .args(["--retries", "0", "send-all", "--text", "hi"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("wps emulator"), "{}", stderr(&out));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port().to_string();
    let out = world
        .bare_wps()
        .args(["emulator", "--port", &port])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("--port 0"), "{}", stderr(&out));
}

// 13. --reverse-proxy: requests go to the proxy, the token's audience stays the service's.
#[tokio::test]
async fn reverse_proxy_carries_requests_to_the_service() {
    let world = World::new().await;
    let proxy = crate::common::Proxy::start(world.emulator.addr()).await;
    let (mut socket, _) = world.connect_json("chat", None, &[], &["g1"]).await;

    let mut c = world.wps();
    c.args(["--reverse-proxy", &proxy.url(), "send-group", "-g", "g1"])
        .args(["--text", "via proxy"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "via proxy");
    assert_eq!(proxy.forwarded(), 1);

    // The environment and a profile say the same.
    let mut c = world.wps();
    c.env("WPS_REVERSE_PROXY", proxy.url())
        .args(["send-all", "--text", "via env"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "via env");
    assert_eq!(proxy.forwarded(), 2);

    let mut c = world.bare_wps();
    c.args(["profile", "add", "apim", "--hub", "chat"])
        .args(["--reverse-proxy", &proxy.url(), "--connection-string"])
        .arg(world.connection_string());
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let saved = std::fs::read_to_string(world.config_path()).expect("config");
    assert!(saved.contains("reverse_proxy_endpoint"), "{saved}");
    let mut c = world.bare_wps();
    c.args(["send-all", "--text", "via profile"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut socket).await["data"], "via profile");
    assert_eq!(proxy.forwarded(), 3);

    // Without the proxy in front, a token for the proxy's URL would be refused: the audience
    // is the service's own URL, which the emulator checks.
    let mut c = world.wps();
    c.args(["--reverse-proxy", &proxy.url(), "--dry-run", "-o", "json"])
        .args(["send-all", "--text", "x"]);
    let out = run(c).await;
    let dry: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        dry["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&proxy.url())),
        "{dry}"
    );
}

// Issue 26: `--host localhost` is accepted (127.0.0.1), and `-v emulator --event-handler`
// names its handlers under one heading.
#[tokio::test]
async fn emulator_takes_host_localhost_and_lists_its_handlers_once() {
    use std::io::{BufRead, BufReader, Read};
    let world = World::new().await;
    let mut child = world
        .bare_wps()
        .args(["-v", "emulator", "--port", "0", "--host", "localhost"])
        .args(["--event-handler", "chat=http://127.0.0.1:9/{event}"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wps emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("connection string");
    assert!(
        line.starts_with("Endpoint=http://127.0.0.1;Port="),
        "{line}"
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(status.success(), "{status:?}: {err}");
    assert_eq!(err.matches("event handlers").count(), 1, "{err}");
    assert!(
        err.contains("hub chat #1: http://127.0.0.1:9/{event}"),
        "{err}"
    );
    assert!(!err.contains("\n\n"), "a blank line:\n{err}");

    // Any other name is refused, saying what is taken.
    let out = world
        .bare_wps()
        .args(["emulator", "--host", "example.com"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("or localhost"), "{}", stderr(&out));
}
