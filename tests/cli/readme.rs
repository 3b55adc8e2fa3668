//! README examples run: every shell block marked ```` ```sh wps-test ```` is run with `sh`
//! against an in-process emulator, so the README cannot rot. Each line must exit 0, or the code
//! its trailing `# exit N` comment documents. The environment holds WPS_CONNECTION_STRING,
//! WPS_HUB=chat and CONN (the connection id of a client connected as user alice in group g1),
//! and the working directory holds frame.bin and msg.bin.

use std::path::Path;
use std::process::Command;

use crate::common::{next_frame, run, stderr, stdout, World};

/// Splits a shell line into words (quotes and backslashes honoured), stopping at the first
/// unquoted control operator or redirect (`|`, `&`, `;`, `<`, `>`) or comment.
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '|' | '&' | ';' | '<' | '>' => break,
            '#' if word.is_none() => break,
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// One runnable line: its README line number, the command, and the exit code it documents.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    expect: i32,
}

/// The lines of the blocks whose info string is `sh wps-test`, continuations joined.
fn runnable_blocks(readme: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<Example>> = None;
    let mut pending = String::new();
    for (i, line) in readme.lines().enumerate() {
        let trimmed = line.trim();
        match current.as_mut() {
            None if trimmed.starts_with("```") => {
                let info: Vec<&str> = trimmed.trim_start_matches('`').split_whitespace().collect();
                if info == ["sh", "wps-test"] {
                    current = Some(Vec::new());
                }
            }
            None => {}
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                if let Some(head) = trimmed.strip_suffix('\\') {
                    pending.push_str(head.trim_end());
                    pending.push(' ');
                    continue;
                }
                let command = std::mem::take(&mut pending) + trimmed;
                if command.is_empty() || command.starts_with('#') {
                    continue;
                }
                let expect = command
                    .rsplit_once("# exit ")
                    .and_then(|(_, n)| n.trim().parse().ok())
                    .unwrap_or(0);
                block.push(Example {
                    line: i + 1,
                    command,
                    expect,
                });
            }
        }
    }
    blocks
}

/// A script that runs the block line by line and stops at the first unexpected exit code.
/// Lines sent to the background (`... &`) run as written (`wait $!` checks them) and are
/// killed when the script ends, however it ends.
fn script(block: &[Example]) -> String {
    let mut s = String::from("bg=\"\"\ntrap 'kill $bg 2>/dev/null' EXIT\n");
    for ex in block {
        let cmd = ex.command.trim_end();
        if cmd.ends_with('&') && !cmd.ends_with("&&") {
            s.push_str(cmd);
            s.push_str("\nbg=\"$bg $!\"\n");
            continue;
        }
        s.push_str(&format!(
            "if {cmd}\nthen rc=0; else rc=$?; fi\n\
             if [ \"$rc\" -ne {expect} ]; then echo \"README.md:{line}: exit $rc, expected {expect}\" >&2; exit 1; fi\n",
            expect = ex.expect,
            line = ex.line,
        ));
    }
    s
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r#"wps send-all --json '{"a": 1}' --text "x \"y\"" # c"#),
        [
            "wps",
            "send-all",
            "--json",
            r#"{"a": 1}"#,
            "--text",
            r#"x "y""#
        ]
    );
    assert_eq!(shell_words("wps listen > got.json &"), ["wps", "listen"]);
    assert_eq!(shell_words("cat f | wps x"), ["cat", "f"]);
}

#[test]
fn blocks_are_found_with_their_exit_codes() {
    let md = "```sh\nwps skipped\n```\n```sh wps-test\n# comment\nwps a \\\n  --b\nwps c # exit 1\n```\n";
    let blocks = runnable_blocks(md);
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!((b[0].command.as_str(), b[0].expect), ("wps a --b", 0));
    assert_eq!((b[1].line, b[1].expect), (8, 1));
}

// The examples are POSIX shell.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_examples_run() {
    let md = readme();
    let blocks = runnable_blocks(&md);
    let count: usize = blocks.iter().map(Vec::len).sum();
    assert!(count >= 10, "only {count} runnable README lines");

    let world = World::new().await;
    std::fs::write(world.dir.path().join("frame.bin"), [0u8, 1, 2, 255]).expect("write");
    std::fs::write(world.dir.path().join("msg.bin"), b"hello bytes").expect("write");
    let (mut alice, conn) = world
        .connect_json("chat", Some("alice"), &[], &["g1"])
        .await;

    let wps = world.wps();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_wps"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    for block in &blocks {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(script(block))
            .env_clear()
            .current_dir(world.dir.path())
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("CONN", &conn)
            .stdin(std::process::Stdio::null());
        for (k, v) in wps.get_envs() {
            if let Some(v) = v {
                sh.env(k, v);
            }
        }
        let out = run(sh).await;
        assert!(
            out.status.success(),
            "README block at line {} failed:\n{}\nstdout:\n{}",
            block[0].line,
            stderr(&out),
            stdout(&out)
        );
    }
    // The sends reached a real client.
    next_frame(&mut alice).await;
}
