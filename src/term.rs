//! Terminal concerns, at the bottom of the CLI: the output format and colour choices, the
//! colour policy, escaping untrusted text, and the one [`Printer`] that commands and error
//! reporting write through. Built once in `main`, so no one asks the terminal twice.

use std::fmt;
use std::io::IsTerminal;

use crate::env::Env;

/// What stdout carries: a table for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 2] = [OutputFormat::Table, OutputFormat::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub const ALL: [ColorChoice; 3] = [ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
}

/// Whether to colour a stream: `--color always|never` decides; with `auto`, NO_COLOR (set and
/// non-empty) turns colour off, CLICOLOR_FORCE (not "0") turns it on, and otherwise a terminal
/// that is not `TERM=dumb` gets colour.
pub fn use_color(choice: ColorChoice, is_terminal: bool, env: Env<'_>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some() {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                is_terminal && env("TERM").as_deref() != Some("dumb")
            }
        }
    }
}

/// `text` with what could drive a terminal written out as escapes: control characters other
/// than newline and tab (ESC starts colour, cursor and OSC title/hyperlink sequences; CR
/// overwrites a line) and the bidirectional overrides that reorder what is shown. Target
/// names, error bodies and ids come from files and the service, not from us.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(unsafe_char) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// How this run talks to its user: the format of stdout, and what goes to stderr (nothing
/// but errors under `-q`; colour as `--color` and the terminal say; a progress bar only for
/// a person watching). Cheap to copy; commands never check `-q` themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    format: OutputFormat,
    quiet: bool,
    verbose: u8,
    /// Colour on stderr (the `error:` prefix).
    color: bool,
    stdout_terminal: bool,
    stderr_terminal: bool,
    /// Columns a table on stdout may take; `None` when stdout is not a terminal (no wrapping).
    width: Option<u16>,
}

impl Printer {
    /// A printer for this process's own stdout and stderr.
    pub fn new(
        format: OutputFormat,
        quiet: bool,
        verbose: u8,
        color: ColorChoice,
        env: Env<'_>,
    ) -> Self {
        let stderr_terminal = std::io::stderr().is_terminal();
        let stdout_terminal = std::io::stdout().is_terminal();
        Printer {
            format,
            quiet,
            verbose,
            color: use_color(color, stderr_terminal, env),
            stdout_terminal,
            stderr_terminal,
            width: stdout_terminal.then(|| table_width(comfy_table::Table::new().width(), env)),
        }
    }

    /// Whether stdout is a terminal, i.e. a person reads the tables.
    pub fn stdout_is_terminal(&self) -> bool {
        self.stdout_terminal
    }

    /// The width tables on stdout fit in; `None` when stdout is not a terminal.
    pub fn table_width(&self) -> Option<u16> {
        self.width
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn is_table(&self) -> bool {
        self.format == OutputFormat::Table
    }

    /// `-v` count: 1 logs requests, 2 adds headers and bodies.
    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether a person is watching stderr with nothing else writing there: progress bars
    /// are for them (with `-v` the request log is the progress, and a bar would tear it).
    pub fn shows_progress(&self) -> bool {
        !self.quiet && self.verbose == 0 && self.stderr_terminal
    }

    /// A status line, note or warning on stderr; nothing under `-q`.
    pub fn status(&self, line: impl fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// `error: TEXT` on stderr, whatever `-q` says. Colour marks the prefix only, so the line
    /// reads the same without it; the text is escaped, as it quotes names and service answers.
    pub fn error(&self, text: &str) {
        let prefix = if self.color {
            "\x1b[1;31merror:\x1b[0m"
        } else {
            "error:"
        };
        eprintln!("{prefix} {}", escape_control(&text.replace('\n', " ")));
    }

    /// `hint: TEXT` under an error, whatever `-q` says: it belongs to the error.
    pub fn hint(&self, text: &str) {
        eprintln!("hint: {}", escape_control(&text.replace('\n', " ")));
    }
}

/// The terminal's width as it reports it, unless it says 0 (`script`, `docker -t`, some CI
/// runners), then `COLUMNS`, then 80: a zero width would squeeze every column to one character.
pub fn table_width(reported: Option<u16>, env: Env<'_>) -> u16 {
    reported
        .filter(|w| *w > 0)
        .or_else(|| env("COLUMNS")?.trim().parse().ok().filter(|w| *w > 0))
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_width_falls_back_to_columns_then_80() {
        let none = env_of(&[]);
        let columns = env_of(&[("COLUMNS", "120")]);
        assert_eq!(table_width(Some(100), &columns), 100);
        assert_eq!(table_width(Some(0), &columns), 120);
        assert_eq!(table_width(None, &columns), 120);
        assert_eq!(table_width(Some(0), &none), 80);
    }

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, v)| *k == name && !v.is_empty())
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain é\tx\ny"), "plain é\tx\ny");
        assert_eq!(
            escape_control("a\u{1b}]0;t\u{7}b\u{1b}[2J\rc\u{202e}d"),
            "a\\u{1b}]0;t\\u{7}b\\u{1b}[2J\\u{d}c\\u{202e}d"
        );
    }

    #[test]
    fn colour_policy() {
        let none = env_of(&[]);
        assert!(use_color(ColorChoice::Auto, true, &none));
        assert!(!use_color(ColorChoice::Auto, false, &none));
        assert!(use_color(ColorChoice::Always, false, &none));
        let no_color = env_of(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(!use_color(ColorChoice::Auto, true, &no_color));
        assert!(use_color(ColorChoice::Always, true, &no_color));
        let empty_no_color = env_of(&[("NO_COLOR", "")]);
        assert!(use_color(ColorChoice::Auto, true, &empty_no_color));
        let force = env_of(&[("CLICOLOR_FORCE", "1")]);
        assert!(use_color(ColorChoice::Auto, false, &force));
        assert!(!use_color(ColorChoice::Never, true, &force));
        let force_off = env_of(&[("CLICOLOR_FORCE", "0")]);
        assert!(!use_color(ColorChoice::Auto, false, &force_off));
        let dumb = env_of(&[("TERM", "dumb")]);
        assert!(!use_color(ColorChoice::Auto, true, &dumb));
    }
}
