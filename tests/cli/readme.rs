//! The documentation's examples run and its links resolve, so README.md and docs/*.md cannot
//! rot. Every shell block marked ```` ```sh wps-test ```` is run with `sh` against an
//! in-process emulator; each line must exit 0, or the code its trailing `# exit N` comment
//! documents. The environment holds WPS_CONNECTION_STRING, WPS_HUB=chat and CONN (the connection
//! id of a client connected as user alice in group g1), and the working directory holds
//! frame.bin and msg.bin. Every relative link must name a file of the repository and, with an
//! `#anchor`, a heading of that file as GitHub spells its anchor: the reference is spread over
//! several pages that link to each other, and a moved section breaks links silently otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// One runnable line: its line number in its file, the command, and the exit code it documents.
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

/// A script that runs the block line by line and stops at the first unexpected exit code,
/// naming `file` and the line. Lines sent to the background (`... &`) run as written
/// (`wait $!` checks them) and are killed when the script ends, however it ends.
fn script(file: &str, block: &[Example]) -> String {
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
             if [ \"$rc\" -ne {expect} ]; then echo \"{file}:{line}: exit $rc, expected {expect}\" >&2; exit 1; fi\n",
            expect = ex.expect,
            line = ex.line,
        ));
    }
    s
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One page of the documentation: its path from the repository's root, and its text.
struct Doc {
    path: PathBuf,
    text: String,
}

/// README.md, then every docs/*.md by name: the order their examples run in.
fn documents() -> Vec<Doc> {
    let mut paths = vec![PathBuf::from("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| PathBuf::from("docs").join(entry.expect("docs/ entry").file_name()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    paths.extend(pages);
    paths
        .into_iter()
        .map(|path| Doc {
            text: std::fs::read_to_string(root().join(&path))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            path,
        })
        .collect()
}

/// The line with its inline code spans (`` `...` ``, any number of backticks) taken out, so a
/// link written as code is not taken for a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let fence = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        // A closing run of exactly as many backticks ends the span; without one, the
        // backticks are literal text.
        let mut search = 0;
        let close = loop {
            match after[search..].find(fence) {
                Some(i) => {
                    let at = search + i;
                    let run = after[at..].len() - after[at..].trim_start_matches('`').len();
                    if run == ticks {
                        break Some(at);
                    }
                    search = at + run;
                }
                None => break None,
            }
        };
        match close {
            Some(at) => rest = &after[at + ticks..],
            None => {
                out.push_str(fence);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The lines of a markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(md: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (i, line) in md.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => lines.push((i + 1, line)),
            _ => {}
        }
    }
    lines
}

/// The targets of the inline links and images (`[text](target)`, `![alt](target)`) of a
/// markdown text, outside code, with their line numbers.
fn links(md: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in prose_lines(md) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let end = target.find([')', ' ']).unwrap_or(target.len());
            found.push((n, target[..end].to_string()));
            rest = &target[end..];
        }
    }
    found
}

/// The anchor GitHub gives a heading: its text lowercased, spaces turned into hyphens, and
/// every other character that is not a letter, a digit, `-` or `_` dropped (backticks and
/// punctuation included). A link's text stands for the link.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[text](url)` reads as `text`.
    while let Some(open) = rest.find('[') {
        match rest[open..].find("](") {
            Some(mid) => {
                let close = rest[open + mid..].find(')').map(|c| open + mid + c);
                text.push_str(&rest[..open]);
                text.push_str(&rest[open + 1..open + mid]);
                rest = close.map_or("", |c| &rest[c + 1..]);
            }
            None => break,
        }
    }
    text.push_str(rest);
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every anchor of a markdown text's headings; a repeated heading's anchors get `-1`, `-2`, ...
fn anchors(md: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut all = Vec::new();
    for (_, line) in prose_lines(md) {
        let hashes = line.len() - line.trim_start_matches('#').len();
        let Some(title) = line[hashes..].strip_prefix(' ') else {
            continue;
        };
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let base = slug(title.trim().trim_end_matches('#').trim_end());
        let count = seen.entry(base.clone()).or_insert(0);
        all.push(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    all
}

/// What is wrong with the relative links of `docs`, one line each naming the file and line: a
/// target outside the repository or missing, or an anchor no heading of its page has. Pages
/// not among `docs` are read from `root`.
fn link_errors(root: &Path, docs: &[Doc]) -> Vec<String> {
    let known: HashMap<&Path, &str> = docs
        .iter()
        .map(|d| (d.path.as_path(), d.text.as_str()))
        .collect();
    let mut read: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut errors = Vec::new();
    for doc in docs {
        let dir = doc.path.parent().unwrap_or(Path::new(""));
        for (line, target) in links(&doc.text) {
            let at = format!("{}:{line}: link {target}", doc.path.display());
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            if file.starts_with('/') {
                errors.push(format!("{at}: not relative"));
                continue;
            }
            // The page itself, or a path from its directory, with `..` resolved by hand so a
            // path that leaves the repository is caught without touching the disk.
            let mut path = PathBuf::new();
            let mut escaped = false;
            if file.is_empty() {
                path = doc.path.clone();
            } else {
                for part in dir.join(file).components() {
                    match part {
                        std::path::Component::ParentDir => escaped |= !path.pop(),
                        std::path::Component::Normal(p) => path.push(p),
                        _ => {}
                    }
                }
            }
            if escaped {
                errors.push(format!("{at}: outside the repository"));
                continue;
            }
            let text = match known.get(path.as_path()) {
                Some(text) => Some(text.to_string()),
                None if root.join(&path).exists() => read
                    .entry(path.clone())
                    .or_insert_with(|| std::fs::read_to_string(root.join(&path)).ok())
                    .clone(),
                None => {
                    errors.push(format!("{at}: no file {}", path.display()));
                    continue;
                }
            };
            let Some(anchor) = anchor else { continue };
            let is_markdown = path.extension().is_some_and(|e| e == "md");
            match text {
                Some(text) if is_markdown => {
                    if !anchors(&text).iter().any(|a| a == anchor) {
                        errors.push(format!(
                            "{at}: no heading of {} has the anchor #{anchor}",
                            path.display()
                        ));
                    }
                }
                _ => errors.push(format!("{at}: an anchor into a file that is not markdown")),
            }
        }
    }
    errors
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

#[test]
fn code_is_not_a_link() {
    let md = "See [a](docs/a.md) and `[b](b.md)` and ``x `[c](c.md)` y``.\n\
        ```md\n[d](d.md)\n```\n  ```sh\n  [e](e.md)\n  ```\n![f](f.png \"title\") [g](#h)\n";
    let found: Vec<(usize, String)> = links(md);
    let found: Vec<(usize, &str)> = found.iter().map(|(n, t)| (*n, t.as_str())).collect();
    assert_eq!(found, [(1, "docs/a.md"), (8, "f.png"), (8, "#h")]);
    assert_eq!(without_code_spans("a `` b ` c `` d `e"), "a  d `e");
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(slug("Two commands"), "two-commands");
    assert_eq!(
        slug("An app or a test suite against a fresh emulator: `wps emulator -- CMD`"),
        "an-app-or-a-test-suite-against-a-fresh-emulator-wps-emulator----cmd"
    );
    assert_eq!(
        slug("The samples' shape, in [docs](x.md)"),
        "the-samples-shape-in-docs"
    );
    assert_eq!(slug("`WPS_HUB` and `--hub`"), "wps_hub-and---hub");
    let md = "# Top\n## Same\n```\n# not a heading\n```\n## Same\n#hashtag\n### End ##\n";
    assert_eq!(anchors(md), ["top", "same", "same-1", "end"]);
}

#[test]
fn broken_links_are_named_with_their_file_and_line() {
    let docs = [
        Doc {
            path: "README.md".into(),
            text: "[ok](docs/a.md#part-one) [ok](LICENSE) [ok](#top) [ok](https://x.example/y)\n\
                [gone](docs/none.md)\n[bad](docs/a.md#part-two)\n# Top\n"
                .into(),
        },
        Doc {
            path: "docs/a.md".into(),
            text: "## Part one\n[ok](../README.md#top) [ok](a.md) [out](../../x.md)\n\
                [abs](/README.md) [bad](#top) [bad](../LICENSE#x)\n"
                .into(),
        },
    ];
    let errors = link_errors(root(), &docs);
    assert_eq!(
        errors,
        [
            "README.md:2: link docs/none.md: no file docs/none.md",
            "README.md:3: link docs/a.md#part-two: no heading of docs/a.md has the anchor #part-two",
            "docs/a.md:2: link ../../x.md: outside the repository",
            "docs/a.md:3: link /README.md: not relative",
            "docs/a.md:3: link #top: no heading of docs/a.md has the anchor #top",
            "docs/a.md:3: link ../LICENSE#x: an anchor into a file that is not markdown",
        ]
    );
}

#[test]
fn documentation_links_resolve() {
    let docs = documents();
    let errors = link_errors(root(), &docs);
    assert!(errors.is_empty(), "broken links:\n{}", errors.join("\n"));
    // The README leads to every page of docs/.
    let readme = &docs[0].text;
    let linked: Vec<String> = links(readme).into_iter().map(|(_, t)| t).collect();
    for doc in &docs[1..] {
        let page = doc.path.display().to_string();
        assert!(
            linked
                .iter()
                .any(|t| t.split('#').next() == Some(page.as_str())),
            "README.md does not link to {page}"
        );
    }
}

// The examples are POSIX shell.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documentation_examples_run() {
    let docs = documents();
    let blocks: Vec<(String, Vec<Example>)> = docs
        .iter()
        .flat_map(|doc| {
            let file = doc.path.display().to_string();
            runnable_blocks(&doc.text)
                .into_iter()
                .map(move |block| (file.clone(), block))
        })
        .collect();
    // A floor, not a count to keep in step: an edit that drops examples by mistake (a block
    // whose info string lost `wps-test`, a page left out) shows up here. The README's own
    // quick start runs too.
    let count: usize = blocks.iter().map(|(_, b)| b.len()).sum();
    assert!(
        count >= 90,
        "only {count} runnable lines in README.md and docs/*.md"
    );
    assert!(
        blocks
            .iter()
            .filter(|(file, _)| file == "README.md")
            .count()
            >= 2,
        "README.md's quick start has no runnable block"
    );

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
    let mut failures = Vec::new();
    for (file, block) in &blocks {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(script(file, block))
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
        if !out.status.success() {
            failures.push(format!(
                "{file}: the block at line {} failed:\n{}\nstdout:\n{}",
                block[0].line,
                stderr(&out),
                stdout(&out)
            ));
        }
    }
    // Every failing block is reported, each naming its file and line, not only the first.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The sends reached a real client.
    next_frame(&mut alice).await;
}
