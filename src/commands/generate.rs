//! `wps generate` (hidden): shell completions and man pages from the clap definitions, so
//! they cannot drift from the code. Needs no configuration. `wps completions` and `wps man`
//! print the same files through [`write_completions`] and [`write_top_page`].

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use super::{ExitStatus, SUCCESS};
use crate::cli::{Cli, GenerateArgs, GenerateWhat};
use crate::error::code;
use crate::term::Printer;

/// The exit-code table of docs/output.md and the man page.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (code::OK, "success; for check and exists, the answer is yes"),
    (code::NO, "check / exists: the answer is no"),
    (code::USAGE, "usage error or invalid input"),
    (
        code::CONFIG,
        "configuration error: missing or invalid config, unknown profile, bad connection string",
    ),
    (
        code::AUTH,
        "authentication or authorization refused (401/403)",
    ),
    (
        code::REJECTED,
        "the service rejected the request (other 4xx)",
    ),
    (
        code::UNAVAILABLE,
        "the service or network failed after retries (5xx, timeout, refused, DNS), or answered with a redirect or broke the WebSocket protocol",
    ),
    (
        code::PARTIAL,
        "bulk run finished with some targets failed (every outcome is reported)",
    ),
    (code::INTERRUPTED, "interrupted (Ctrl-C)"),
    (
        code::TERMINATED,
        "bulk run stopped by SIGTERM (every target is still reported)",
    ),
    (
        code::CANNOT_RUN,
        "wps emulator -- CMD: CMD was found but could not be run (otherwise CMD's own status)",
    ),
    (code::NOT_FOUND, "wps emulator -- CMD: CMD was not found"),
];

/// Environment variables read by `wps`, for the man page.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("WPS_PROFILE", "profile to use, as --profile"),
    (
        "WPS_CONNECTION_STRING",
        "connection string, as --connection-string",
    ),
    (
        "WebPubSubConnectionString",
        "connection string, read after WPS_CONNECTION_STRING (the name Azure Functions uses)",
    ),
    ("WPS_ENDPOINT", "service endpoint, as --endpoint"),
    ("WPS_ACCESS_KEY", "access key, as --access-key"),
    ("WPS_HUB", "hub name, as --hub"),
    ("WPS_CONFIG", "config file, as --config"),
    ("WPS_OUTPUT", "table or json, as --output"),
    (
        "WPS_REVERSE_PROXY",
        "reverse proxy in front of the service, as --reverse-proxy",
    ),
    (
        "NO_COLOR",
        "when set and not empty, no colour (unless --color always)",
    ),
    (
        "CLICOLOR_FORCE",
        "when set and not 0, colour even when not on a terminal",
    ),
];

/// The command line as documented: the plain version, so generated files do not depend on
/// the platform they were generated on.
pub fn doc_command() -> clap::Command {
    Cli::command().version(env!("CARGO_PKG_VERSION"))
}

/// The command line completion scripts cover: [`doc_command`] without hidden commands, which
/// clap_complete would otherwise offer. Rebuilt from the parts, as clap cannot remove a
/// subcommand.
fn completion_command() -> clap::Command {
    let full = doc_command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut root = clap::Command::new("wps").version(env!("CARGO_PKG_VERSION"));
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    <crate::cli::GlobalArgs as clap::Args>::augment_args(root).subcommands(visible)
}

pub fn run(printer: &Printer, args: GenerateArgs) -> Result<ExitStatus> {
    match args.what {
        GenerateWhat::Completions { shell, dir } => {
            let mut cmd = completion_command();
            match dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                    let path = clap_complete::generate_to(shell, &mut cmd, "wps", &dir)
                        .with_context(|| format!("writing completions into {}", dir.display()))?;
                    printer.status(format_args!("wrote {}", path.display()));
                }
                None => write_completions(shell, &mut std::io::stdout().lock())?,
            }
        }
        GenerateWhat::Man { dir } => {
            for path in write_man_pages(&dir)? {
                printer.status(format_args!("wrote {}", path.display()));
            }
        }
    }
    Ok(SUCCESS)
}

/// The completion script for `shell`, as `completions/` holds it.
pub fn write_completions(shell: clap_complete::Shell, out: &mut impl Write) -> Result<()> {
    // Rendered first: clap_complete panics on a write error, and a closed pipe must exit 0.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut completion_command(), "wps", &mut script);
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

/// The command line the man pages document.
fn man_command() -> clap::Command {
    let mut cmd = doc_command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// wps.1, as `man/wps.1` holds it.
pub fn write_top_page(out: &mut impl Write) -> Result<()> {
    let mut page = Vec::new();
    render_top_page(&man_command(), &mut page)?;
    out.write_all(&page)?;
    out.flush()?;
    Ok(())
}

/// Writes wps.1 and one page per visible (sub)command into `dir`, after removing the pages a
/// previous run wrote, so a removed command leaves no stale page. Returns the paths written.
pub fn write_man_pages(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "wps.1" || (name.starts_with("wps-") && name.ends_with(".1")) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    let cmd = man_command();
    let mut written = Vec::new();
    let top = dir.join("wps.1");
    let mut page = Vec::new();
    render_top_page(&cmd, &mut page)?;
    std::fs::write(&top, page).with_context(|| format!("writing {}", top.display()))?;
    written.push(top);
    write_sub_pages(&cmd, dir, &mut written)?;
    Ok(written)
}

fn write_sub_pages(
    cmd: &clap::Command,
    dir: &Path,
    written: &mut Vec<std::path::PathBuf>,
) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = clap_mangen::Man::new(sub.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        let path = dir.join(man.get_filename());
        std::fs::write(&path, with_synopsis(page, sub))
            .with_context(|| format!("writing the man page of {}", sub.get_name()))?;
        written.push(path);
        write_sub_pages(sub, dir, written)?;
    }
    Ok(())
}

/// wps.1: clap_mangen's sections, then EXIT STATUS, ENVIRONMENT and SEE ALSO.
fn render_top_page(cmd: &clap::Command, w: &mut Vec<u8>) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    writeln!(w, ".SH SYNOPSIS\n{}", synopsis(cmd))?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    man.render_extra_section(w)?;
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_CODES {
        writeln!(w, ".TP\n{code}\n{}", roff_text(meaning))?;
    }
    writeln!(w, ".SH ENVIRONMENT")?;
    for (name, meaning) in ENVIRONMENT {
        writeln!(
            w,
            ".TP\n\\fB{}\\fR\n{}",
            roff_text(name),
            roff_text(meaning)
        )?;
    }
    let see_also: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("\\fBwps\\-{}\\fR(1)", roff_text(s.get_name())))
        .collect();
    writeln!(w, ".SH \"SEE ALSO\"\n{}", see_also.join(", "))?;
    man.render_version_section(w)
}

/// A page from clap_mangen with our SYNOPSIS line in place of its own.
fn with_synopsis(page: Vec<u8>, cmd: &clap::Command) -> Vec<u8> {
    let text = String::from_utf8_lossy(&page);
    let Some(at) = text.find(".SH SYNOPSIS\n") else {
        return page;
    };
    let start = at + ".SH SYNOPSIS\n".len();
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    format!("{}{}{}", &text[..start], synopsis(cmd), &text[end..]).into_bytes()
}

/// The SYNOPSIS line: clap_mangen's, with what each option takes (`[--hub HUB]`, where
/// clap_mangen writes `[--hub]`), `...` after a repeatable one, and `-- CMD...` for a
/// trailing command. A command's own options first, then the global ones, each in
/// clap_mangen's order (display order, then name).
fn synopsis(cmd: &clap::Command) -> String {
    let bold = |s: &str| format!("\\fB{}\\fR", roff_text(s));
    let italic = |s: &str| format!("\\fI{}\\fR", roff_text(s));
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![bold(name)];
    let mut options: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    options.sort_by_key(|a| {
        let key = match (a.get_short(), a.get_long()) {
            (Some(c), _) => format!(
                "{}{}",
                c.to_ascii_lowercase(),
                u8::from(c.is_ascii_uppercase())
            ),
            (None, Some(long)) => long.to_string(),
            (None, None) => a.get_id().to_string(),
        };
        (a.is_global_set(), a.get_display_order(), key)
    });
    let value = |a: &clap::Arg| -> String {
        match a.get_value_names() {
            Some(names) => names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            None => a.get_id().as_str().to_ascii_uppercase(),
        }
    };
    let takes_value = |a: &clap::Arg| a.get_num_args().is_some_and(|n| n.takes_values());
    let repeats = |a: &clap::Arg| {
        matches!(
            a.get_action(),
            clap::ArgAction::Append | clap::ArgAction::Count
        )
    };
    for a in options {
        let flag = match (a.get_short(), a.get_long()) {
            (Some(c), Some(long)) => {
                format!("{}|{}", bold(&format!("-{c}")), bold(&format!("--{long}")))
            }
            (Some(c), None) => bold(&format!("-{c}")),
            (None, Some(long)) => bold(&format!("--{long}")),
            (None, None) => continue,
        };
        let mut item = flag;
        if takes_value(a) {
            item.push(' ');
            item.push_str(&italic(&value(a)));
        }
        let (open, close) = if a.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        let dots = if repeats(a) { "..." } else { "" };
        line.push(format!("{open}{item}{close}{dots}"));
    }
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let mut item = italic(&value(a));
        if repeats(a) || a.get_num_args().is_some_and(|n| n.max_values() > 1) {
            item.push_str("...");
        }
        if a.is_last_set() {
            item = format!("{} {item}", bold("--"));
        }
        line.push(if a.is_required_set() {
            item
        } else {
            format!("[{item}]")
        });
    }
    if cmd.has_subcommands() {
        let what = italic("COMMAND");
        line.push(if cmd.is_subcommand_required_set() {
            what
        } else {
            format!("[{what}]")
        });
    }
    line.join(" ")
}

/// Escapes text for a roff text line.
fn roff_text(s: &str) -> String {
    let escaped = s.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_exit_code_table_is_the_code_table() {
        let md = include_str!("../../docs/output.md");
        for (code, _) in EXIT_CODES {
            assert!(
                md.contains(&format!("\n| {code} | ")),
                "docs/output.md's exit-code table has no row for {code}"
            );
        }
    }

    #[test]
    fn exit_codes_are_the_error_table() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 130, 143, 126, 127]);
    }

    #[test]
    fn completions_cover_every_visible_command_and_no_hidden_one() {
        let names = |c: &clap::Command| {
            c.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name().to_string())
                .collect::<Vec<_>>()
        };
        let cmd = completion_command();
        assert_eq!(names(&cmd), names(&doc_command()));
        assert!(cmd.find_subcommand("generate").is_none());
        let args = |c: &clap::Command| {
            c.get_arguments()
                .map(|a| a.get_id().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(args(&cmd), args(&doc_command()));
        cmd.debug_assert();
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff_text("a-b\\c"), "a\\-b\\ec");
        assert_eq!(roff_text(".x"), "\\&.x");
    }

    #[test]
    fn synopsis_says_what_each_option_takes() {
        let cmd = man_command();
        let send_all = cmd.find_subcommand("send-all").expect("send-all");
        let line = synopsis(send_all);
        for part in [
            "\\fBwps send\\-all\\fR [\\fB\\-\\-exclude\\fR \\fICONN\\fR]...",
            "[\\fB\\-\\-hub\\fR \\fIHUB\\fR]",
            "[\\fB\\-\\-metadata\\fR \\fIKEY=VALUE\\fR]...",
            "[\\fB\\-\\-allow\\-empty\\fR]",
            "[\\fB\\-v\\fR|\\fB\\-\\-verbose\\fR]...",
        ] {
            assert!(line.contains(part), "{part} not in {line}");
        }
        // Its own options first, then the global ones; --version only on the top page.
        assert!(line.find("\\-\\-text").unwrap() < line.find("\\-\\-hub").unwrap());
        assert!(!line.contains("\\-V"), "{line}");
        let emulator = synopsis(cmd.find_subcommand("emulator").expect("emulator"));
        assert!(
            emulator.contains("[\\fB\\-\\-\\fR \\fICMD\\fR...]"),
            "{emulator}"
        );
        let mut page = Vec::new();
        clap_mangen::Man::new(send_all.clone())
            .render(&mut page)
            .expect("renders");
        let page = String::from_utf8(with_synopsis(page, send_all)).expect("utf-8");
        assert!(
            page.contains(&format!(".SH SYNOPSIS\n{line}\n.SH")),
            "{page}"
        );
    }

    #[test]
    fn top_page_has_exit_status_and_every_command() {
        let mut page = Vec::new();
        write_top_page(&mut page).expect("renders");
        let page = String::from_utf8(page).expect("utf-8");
        assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(page.contains("wps\\-send\\-all\\fR(1)"), "{page}");
        assert!(
            !page.contains("generate"),
            "hidden command documented: {page}"
        );
    }
}
