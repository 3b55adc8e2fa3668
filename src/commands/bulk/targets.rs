//! Gathering a run's targets: the flags, then `--from-file` (a file or stdin) read a line at a
//! time within fixed bounds, duplicates dropped and reported once.

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::BulkArgs;
use crate::error::CliError;
use crate::output;
use crate::term::Printer;

/// The targets of a run, in order, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub list: Vec<String>,
    /// How many duplicates were dropped.
    pub skipped: usize,
}

/// True when `--from-file -` reads targets from stdin.
pub fn reads_stdin(args: &BulkArgs) -> bool {
    args.from_file.as_deref() == Some(Path::new("-"))
}

/// The longest `--from-file` line read. Every name the service takes is far shorter (group
/// names stop at 1,024 characters); a longer line means the wrong file (`/dev/zero`, a binary),
/// which could otherwise be read without end.
pub const MAX_TARGET_LINE_BYTES: usize = 4096;

/// The most targets one run takes (flags and `--from-file` lines together, duplicates counted).
/// A run of a million is hours of requests; more means the wrong input (`yes |`, `seq`), which
/// would otherwise be read until memory runs out.
pub const MAX_TARGETS: usize = 1_000_000;

/// The most of a `--from-file` input read, so that even lines near [`MAX_TARGET_LINE_BYTES`]
/// cannot fill memory before [`MAX_TARGETS`] is reached.
pub const MAX_TARGET_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How much of a targets input [`read_target_lines_within`] takes.
#[derive(Debug, Clone, Copy)]
pub struct TargetLimits {
    /// Bytes of one line, newline excluded.
    pub line_bytes: usize,
    /// Targets in all (those already in `into` included).
    pub targets: usize,
    /// Bytes of the whole input.
    pub input_bytes: u64,
}

impl Default for TargetLimits {
    fn default() -> Self {
        TargetLimits {
            line_bytes: MAX_TARGET_LINE_BYTES,
            targets: MAX_TARGETS,
            input_bytes: MAX_TARGET_FILE_BYTES,
        }
    }
}

/// A count as the docs write it: `1,000,000`.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The targets given as flags followed by those from `--from-file`, duplicates reported once
/// on stderr and dropped.
pub(super) fn targets(given: Vec<String>, args: &BulkArgs, printer: &Printer) -> Result<Targets> {
    let mut all = given;
    if let Some(path) = &args.from_file {
        if path.as_os_str() == "-" {
            read_target_lines(std::io::stdin().lock(), "-", &mut all)?;
        } else {
            if path.is_dir() {
                return Err(CliError::Usage(format!(
                    "--from-file {}: is a directory",
                    path.display()
                ))
                .into());
            }
            let file = std::fs::File::open(path)
                .with_context(|| format!("could not read --from-file {}", path.display()))?;
            read_target_lines(
                std::io::BufReader::new(file),
                &path.display().to_string(),
                &mut all,
            )?;
        }
    }
    let (list, duplicates) = dedup(all);
    if !duplicates.is_empty() {
        const SHOWN: usize = 5;
        let mut names: Vec<String> = duplicates
            .iter()
            .take(SHOWN)
            .map(|d| format!("'{}'", output::escape_control(d)))
            .collect();
        if duplicates.len() > SHOWN {
            names.push(format!("and {} more", duplicates.len() - SHOWN));
        }
        printer.status(format_args!(
            "warning: {} duplicate target{} will be sent once: {}",
            duplicates.len(),
            if duplicates.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    Ok(Targets {
        list,
        skipped: duplicates.len(),
    })
}

/// One target a line, appended to `into`; surrounding whitespace trimmed, blank lines and `#`
/// comments skipped. Read a line at a time, within the [`TargetLimits::default`] bounds.
pub fn read_target_lines(reader: impl BufRead, source: &str, into: &mut Vec<String>) -> Result<()> {
    read_target_lines_within(reader, source, into, TargetLimits::default())
}

/// [`read_target_lines`] with explicit bounds: never more than `limits.line_bytes + 1` bytes
/// of a line nor `limits.input_bytes + 1` of the input are read, and reading stops at the
/// first target past `limits.targets`. Each bound passed is a usage error naming it.
pub fn read_target_lines_within(
    reader: impl BufRead,
    source: &str,
    into: &mut Vec<String>,
    limits: TargetLimits,
) -> Result<()> {
    // One byte past the limit tells an input that is too long from one that just fits.
    let mut reader = reader.take(limits.input_bytes.saturating_add(1));
    let mut line = Vec::new();
    let mut read: u64 = 0;
    for number in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(limits.line_bytes as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("could not read --from-file {source}"))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read > limits.input_bytes {
            return Err(CliError::Usage(format!(
                "--from-file {source}: larger than {} MiB, more than any run of at most {} targets needs; split the list into several runs",
                limits.input_bytes / (1024 * 1024),
                with_commas(limits.targets as u64)
            ))
            .into());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.len() > limits.line_bytes {
            return Err(CliError::Usage(format!(
                "--from-file {source}: line {number} is longer than {} bytes; expected one target a line",
                limits.line_bytes
            ))
            .into());
        }
        let text = std::str::from_utf8(&line).map_err(|_| {
            CliError::Usage(format!(
                "--from-file {source}: line {number} is not UTF-8 text"
            ))
        })?;
        let target = text.trim();
        if !target.is_empty() && !target.starts_with('#') {
            if into.len() >= limits.targets {
                return Err(CliError::Usage(format!(
                    "--from-file {source}: more than {} targets (at line {number}), the most one run takes; split the list into several runs",
                    with_commas(limits.targets as u64)
                ))
                .into());
            }
            into.push(target.to_string());
        }
    }
    Ok(())
}

/// Keeps the first occurrence of each target; returns the kept list and each duplicated
/// target once.
fn dedup(all: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut seen = HashSet::with_capacity(all.len());
    let mut reported = HashSet::new();
    let mut list = Vec::with_capacity(all.len());
    let mut duplicates = Vec::new();
    for t in all {
        if seen.contains(&t) {
            if reported.insert(t.clone()) {
                duplicates.push(t);
            }
        } else {
            seen.insert(t.clone());
            list.push(t);
        }
    }
    (list, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks_and_comments() {
        let mut got = Vec::new();
        read_target_lines(&b"a\n\n  # note\n b \r\n#c\nd"[..], "t", &mut got).unwrap();
        assert_eq!(got, ["a", "b", "d"]);
    }

    #[test]
    fn a_line_may_fill_the_limit_but_not_pass_it() {
        let fits = "x".repeat(MAX_TARGET_LINE_BYTES);
        let mut got = Vec::new();
        read_target_lines(format!("{fits}\n{fits}").as_bytes(), "t", &mut got).unwrap();
        assert_eq!(got.len(), 2);
        let long = format!("a\n{fits}y\n");
        let e = read_target_lines(long.as_bytes(), "t", &mut got).unwrap_err();
        assert!(
            e.to_string().contains("line 2 is longer than 4096 bytes"),
            "{e}"
        );
    }

    #[test]
    fn an_input_may_hold_the_most_targets_but_not_one_more() {
        let limits = TargetLimits {
            targets: 3,
            ..TargetLimits::default()
        };
        let mut got = vec!["flag".to_string()];
        read_target_lines_within(&b"a\n# note\n\nb\n"[..], "t", &mut got, limits).unwrap();
        assert_eq!(got, ["flag", "a", "b"]);
        // Duplicates count: the bound is on what is read, before they are dropped.
        let mut got = vec!["flag".to_string()];
        let e = read_target_lines_within(&b"a\na\na\n"[..], "-", &mut got, limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--from-file -: more than 3 targets (at line 3), the most one run takes; split the list into several runs"
        );
        assert_eq!(got.len(), 3, "nothing past the bound is kept");
    }

    #[test]
    fn an_input_may_fill_its_byte_bound_but_not_pass_it() {
        let limits = TargetLimits {
            input_bytes: 6,
            ..TargetLimits::default()
        };
        let mut got = Vec::new();
        read_target_lines_within(&b"ab\ncd\n"[..], "t", &mut got, limits).unwrap();
        assert_eq!(got, ["ab", "cd"]);
        let e = read_target_lines_within(&b"ab\ncd\ne"[..], "t", &mut got, limits).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--from-file t: larger than 0 MiB"),
            "{e}"
        );
    }

    #[test]
    fn counts_read_like_readme_writes_them() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(1_000), "1,000");
        assert_eq!(with_commas(1_000_000), "1,000,000");
    }

    #[test]
    fn duplicates_kept_once_and_reported_once() {
        let all = ["a", "b", "a", "c", "a", "b"].map(String::from).to_vec();
        let (list, dups) = dedup(all);
        assert_eq!(list, ["a", "b", "c"]);
        assert_eq!(dups, ["a", "b"]);
    }
}
