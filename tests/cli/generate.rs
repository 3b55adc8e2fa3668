//! The committed completions/ and man/ are what `wps generate` writes from today's CLI, and
//! what `wps completions` and `wps man` give people who installed with `cargo install`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{code, stderr, World};

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

const REGENERATE: &str = "run: for s in bash zsh fish powershell elvish; do cargo run -q -- \
     generate completions $s completions; done; cargo run -q -- generate man man";

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read"))
        })
        .collect()
}

fn assert_same(committed: &Path, fresh: &Path) {
    let (committed_files, fresh_files) = (files(committed), files(fresh));
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed_files),
        names(&fresh_files),
        "{} does not hold the files `wps generate` writes; {REGENERATE}",
        committed.display()
    );
    for (name, content) in &fresh_files {
        assert!(
            committed_files[name] == *content,
            "{}/{name} is stale; {REGENERATE}",
            committed.display()
        );
    }
}

/// `wps ARGS` with a broken config file and an environment that would fail other commands:
/// it must succeed all the same. Returns stdout.
fn without_config(world: &World, args: &[&str]) -> Vec<u8> {
    std::fs::write(world.config_path(), "this is [not toml").expect("write config");
    let out = world
        .bare_wps()
        .env("WPS_OUTPUT", "bogus")
        .env("WPS_PROFILE", "missing")
        .args(args)
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "wps {args:?}: {}", stderr(&out));
    out.stdout
}

/// `wps generate ARGS`, as [`without_config`].
fn generate(world: &World, args: &[&str]) {
    without_config(world, &[&["generate"], args].concat());
}

fn repo(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
}

#[tokio::test]
async fn committed_completions_are_current() {
    let world = World::new().await;
    let fresh = world.dir.path().join("completions");
    for shell in SHELLS {
        generate(
            &world,
            &["completions", shell, fresh.to_str().expect("utf-8")],
        );
    }
    assert_same(&repo("completions"), &fresh);
}

#[tokio::test]
async fn committed_man_pages_are_current() {
    let world = World::new().await;
    let fresh = world.dir.path().join("man");
    generate(&world, &["man", fresh.to_str().expect("utf-8")]);
    let pages = files(&fresh);
    assert!(pages.contains_key("wps.1") && pages.contains_key("wps-send-all.1"));
    let top = String::from_utf8_lossy(&pages["wps.1"]).into_owned();
    assert!(top.contains(".SH \"EXIT STATUS\""), "{top}");
    assert_same(&repo("man"), &fresh);
}

#[tokio::test]
async fn completions_go_to_stdout_without_a_dir() {
    let world = World::new().await;
    let out = world
        .bare_wps()
        .args(["generate", "completions", "bash"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("complete -F _wps"), "{script}");
    assert_eq!(
        script.as_bytes(),
        std::fs::read(repo("completions").join("wps.bash")).expect("committed"),
        "stdout differs from completions/wps.bash; {REGENERATE}"
    );
}

/// `COMPLETE=fish wps -- wps ARGS...`: the candidates dynamic completion offers.
fn complete(world: &World, args: &[&str]) -> Vec<String> {
    let out = world
        .bare_wps()
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("wps")
        .args(args)
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn profile_names_complete_dynamically() {
    let world = World::new().await;
    std::fs::write(
        world.config_path(),
        "default_profile = \"dev\"\n[profiles.dev]\nhub = \"chat\"\n[profiles.prod-eu]\nhub = \"chat\"\n",
    )
    .expect("write config");
    assert_eq!(complete(&world, &["--profile", ""]), ["dev", "prod-eu"]);
    assert_eq!(complete(&world, &["send-all", "-p", "pr"]), ["prod-eu"]);
    assert_eq!(complete(&world, &["profile", "use", "d"]), ["dev"]);
    // A broken config completes nothing, quietly.
    std::fs::write(world.config_path(), "not [toml").expect("write config");
    assert!(complete(&world, &["--profile", ""]).is_empty());
}

/// Where `wps generate completions SHELL DIR` puts each shell's script.
const SCRIPTS: [(&str, &str); 5] = [
    ("bash", "wps.bash"),
    ("zsh", "_wps"),
    ("fish", "wps.fish"),
    ("powershell", "_wps.ps1"),
    ("elvish", "wps.elv"),
];

#[tokio::test]
async fn completions_command_prints_the_committed_scripts() {
    let world = World::new().await;
    for (shell, file) in SCRIPTS {
        let script = without_config(&world, &["completions", shell]);
        assert!(
            script == std::fs::read(repo("completions").join(file)).expect("committed"),
            "`wps completions {shell}` differs from completions/{file}; {REGENERATE}"
        );
    }
}

#[tokio::test]
async fn completions_command_is_visible_and_says_how_to_install() {
    let world = World::new().await;
    let help =
        String::from_utf8(without_config(&world, &["completions", "--help"])).expect("utf-8");
    for line in [
        "wps completions bash > ~/.local/share/bash-completion/completions/wps",
        "wps completions zsh > ~/.zfunc/_wps",
        "wps completions fish > ~/.config/fish/completions/wps.fish",
        "wps completions powershell >> $PROFILE",
        "wps completions elvish >> ~/.config/elvish/rc.elv",
    ] {
        assert!(help.contains(line), "no `{line}` in:\n{help}");
    }
    let top = String::from_utf8(without_config(&world, &["--help"])).expect("utf-8");
    assert!(
        top.contains("completions") && top.contains("  man "),
        "{top}"
    );
    assert!(!top.contains("generate"), "{top}");
    // An unknown shell is a usage error.
    let out = world
        .bare_wps()
        .args(["completions", "tcsh"])
        .output()
        .expect("wps runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[tokio::test]
async fn man_command_prints_the_committed_top_page() {
    let world = World::new().await;
    let page = without_config(&world, &["man"]);
    assert!(
        page == std::fs::read(repo("man").join("wps.1")).expect("committed"),
        "`wps man` differs from man/wps.1; {REGENERATE}"
    );
}

#[tokio::test]
async fn man_command_writes_the_committed_pages() {
    let world = World::new().await;
    let fresh = world.dir.path().join("man1");
    without_config(&world, &["man", fresh.to_str().expect("utf-8")]);
    assert_same(&repo("man"), &fresh);
}

#[tokio::test]
async fn completions_survive_a_closed_pipe() {
    let world = World::new().await;
    let mut child = world
        .bare_wps()
        .args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wps runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wps exits");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
