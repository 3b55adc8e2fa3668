//! Rendering results: tables for people, JSON for scripts. Only data goes to stdout.

use std::io::Write;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

use crate::cli::{ColorChoice, OutputFormat};
use crate::settings::Env;

/// The outcome of one operation on one target, in the stable JSON shape documented in README.
#[derive(Debug, Clone, Serialize)]
pub struct OpResult {
    pub operation: &'static str,
    pub hub: String,
    pub target: Option<String>,
    /// The permission of a grant or revoke (`sendToGroup`, `joinLeaveGroup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<&'static str>,
    /// The group of a membership change, or the one a permission applies to (in the order
    /// `check` prints them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub status: u16,
    pub ok: bool,
}

/// Writes a JSON document followed by a newline.
pub fn write_json<T: Serialize>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
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

/// Writes a table with a header row; cells are escaped with [`escape_control`].
pub fn write_table(header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    for row in rows {
        table.add_row(row.iter().map(|cell| escape_control(cell)));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{table}")?;
    out.flush()
}

/// Prints operation results: one JSON document for one result, JSON lines for several.
pub fn write_results(format: OutputFormat, results: &[OpResult]) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => match results {
            [one] => write_json(one),
            many => many.iter().try_for_each(write_json),
        },
        OutputFormat::Table => {
            let (mut header, targets) = target_columns(results.iter());
            header.extend(["status", "ok"]);
            write_table(
                &header,
                results
                    .iter()
                    .zip(targets)
                    .map(|(r, mut row)| {
                        row.push(r.status.to_string());
                        row.push(yes_no(r.ok));
                        row
                    })
                    .collect(),
            )
        }
    }
}

/// The leading columns of a result table: operation, hub, target, then permission and group
/// only when some result has one. Returns the header and one row start per result.
pub fn target_columns<'a>(
    results: impl Iterator<Item = &'a OpResult> + Clone,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let with_group = results.clone().any(|r| r.group.is_some());
    let with_permission = results.clone().any(|r| r.permission.is_some());
    let mut header = vec!["operation", "hub", "target"];
    if with_permission {
        header.push("permission");
    }
    if with_group {
        header.push("group");
    }
    let rows = results
        .map(|r| {
            let mut row = vec![
                r.operation.to_string(),
                r.hub.clone(),
                r.target.clone().unwrap_or_else(|| "-".into()),
            ];
            if with_permission {
                row.push(r.permission.unwrap_or("-").to_string());
            }
            if with_group {
                row.push(r.group.clone().unwrap_or_else(|| "(all)".into()));
            }
            row
        })
        .collect();
    (header, rows)
}

/// One request that `--dry-run` did not send: method, URL, headers (auth redacted), body preview.
pub fn write_dry_run(
    format: OutputFormat,
    client: &crate::client::Client,
    req: &crate::client::Request,
) -> std::io::Result<()> {
    let url = crate::client::without_userinfo(&client.url(req)).into_owned();
    let content_type = req.body.as_ref().map(|p| p.content_type.clone());
    let preview = req.body.as_ref().map(|p| p.preview());
    match format {
        OutputFormat::Json => write_json(&serde_json::json!({
            "dryRun": true,
            "method": req.method.as_str(),
            "url": url,
            "headers": {
                "accept": req.accept,
                "authorization": "Bearer <redacted>",
                "content-type": content_type,
            },
            "bodyBytes": req.body.as_ref().map(|p| p.body.len()).unwrap_or(0),
            "bodyPreview": preview,
        })),
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{} {}", req.method, url)?;
            writeln!(out, "accept: {}", req.accept)?;
            writeln!(out, "authorization: Bearer <redacted>")?;
            if let (Some(ct), Some(p)) = (content_type, preview) {
                writeln!(out, "content-type: {ct}")?;
                writeln!(out)?;
                writeln!(out, "{p}")?;
            }
            out.flush()
        }
    }
}

/// The answer of `exists`: exit 0 when `exists`, 1 otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct ExistsResult {
    pub operation: &'static str,
    pub hub: String,
    /// What `target` names: `connection`, `user` or `group`.
    pub kind: &'static str,
    pub target: String,
    pub exists: bool,
}

/// The answer of `check`: exit 0 when `allowed`, 1 otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub operation: &'static str,
    pub hub: String,
    pub target: String,
    pub permission: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub allowed: bool,
}

/// What `wps api` got back: the status, and the body as JSON when it parses, else as text
/// (null when empty).
#[derive(Debug, Clone, Serialize)]
pub struct ApiResult {
    pub status: u16,
    pub body: serde_json::Value,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

pub fn write_exists(format: OutputFormat, r: &ExistsResult) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => write_json(r),
        OutputFormat::Table => write_table(
            &["hub", "kind", "target", "exists"],
            vec![vec![
                r.hub.clone(),
                r.kind.to_string(),
                r.target.clone(),
                yes_no(r.exists),
            ]],
        ),
    }
}

pub fn write_check(format: OutputFormat, r: &CheckResult) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => write_json(r),
        OutputFormat::Table => write_table(
            &["hub", "connection", "permission", "group", "allowed"],
            vec![vec![
                r.hub.clone(),
                r.target.clone(),
                r.permission.to_string(),
                r.group.clone().unwrap_or_else(|| "(all)".into()),
                yes_no(r.allowed),
            ]],
        ),
    }
}

/// Group members: JSON lines (one object per connection) or a table.
pub fn write_members(
    format: OutputFormat,
    members: &[crate::client::operations::GroupMember],
) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => members.iter().try_for_each(write_json),
        OutputFormat::Table => write_table(
            &["connectionId", "userId"],
            members
                .iter()
                .map(|m| {
                    vec![
                        m.connection_id.clone(),
                        m.user_id.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect(),
        ),
    }
}

pub fn write_api(format: OutputFormat, r: &ApiResult) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => write_json(r),
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            let reason = reqwest::StatusCode::from_u16(r.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            writeln!(out, "{} {reason}", r.status)?;
            match &r.body {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => writeln!(out, "{}", escape_control(s))?,
                other => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(other).map_err(std::io::Error::other)?
                )?,
            }
            out.flush()
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

/// The `--color` value in raw arguments (last one wins, none after `--`), for use before clap
/// parses them. An invalid value counts as `auto`: clap reports it.
pub fn color_flag<I, S>(args: I) -> ColorChoice
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut choice = ColorChoice::Auto;
    let mut args = args.into_iter().map(Into::into).skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        let value = if arg == "--" {
            break;
        } else if arg == "--color" {
            args.next().map(|v| v.to_string_lossy().into_owned())
        } else {
            arg.strip_prefix("--color=").map(str::to_string)
        };
        if let Some(v) = value {
            choice = <ColorChoice as clap::ValueEnum>::from_str(&v, true).unwrap_or_default();
        }
    }
    choice
}

/// Clap's colour setting for these arguments and environment. Left as `Auto` when only the
/// terminal decides, so clap asks of the stream it actually writes to (help: stdout, errors: stderr).
pub fn clap_color<I, S>(args: I, env: Env<'_>) -> clap::ColorChoice
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    match color_flag(args) {
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
        ColorChoice::Auto if use_color(ColorChoice::Auto, false, env) => clap::ColorChoice::Always,
        ColorChoice::Auto if env("NO_COLOR").is_some() => clap::ColorChoice::Never,
        ColorChoice::Auto => clap::ColorChoice::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn colour_flag_is_found_before_parsing() {
        assert_eq!(color_flag(["wps", "send-all"]), ColorChoice::Auto);
        assert_eq!(
            color_flag(["wps", "--color", "never", "x"]),
            ColorChoice::Never
        );
        assert_eq!(
            color_flag(["wps", "x", "--color=always"]),
            ColorChoice::Always
        );
        assert_eq!(
            color_flag(["wps", "--color=always", "--color", "never"]),
            ColorChoice::Never
        );
        assert_eq!(
            color_flag(["wps", "--", "--color=always"]),
            ColorChoice::Auto
        );
        assert_eq!(color_flag(["wps", "--color=purple"]), ColorChoice::Auto);
        let none = env_of(&[]);
        assert_eq!(clap_color(["wps"], &none), clap::ColorChoice::Auto);
        let no_color = env_of(&[("NO_COLOR", "1")]);
        assert_eq!(clap_color(["wps"], &no_color), clap::ColorChoice::Never);
        assert_eq!(
            clap_color(["wps", "--color", "always"], &no_color),
            clap::ColorChoice::Always
        );
    }
}
