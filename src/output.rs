//! Rendering results: tables for people, JSON for scripts. Only data goes to stdout.

use std::io::Write;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

pub use crate::term::escape_control;
use crate::term::{OutputFormat, Printer};

/// The outcome of one operation on one target, in the stable JSON shape documented in
/// docs/output.md.
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

/// Writes a table with a header row; cells are escaped with [`escape_control`].
pub fn write_table(
    printer: &Printer,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> std::io::Result<()> {
    let mut table = Table::new();
    if let Some(width) = printer.table_width() {
        table.set_width(width);
    }
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
pub fn write_results(printer: &Printer, results: &[OpResult]) -> std::io::Result<()> {
    match printer.format() {
        OutputFormat::Json => match results {
            [one] => write_json(one),
            many => many.iter().try_for_each(write_json),
        },
        OutputFormat::Table => {
            let (mut header, targets) = target_columns(results.iter());
            header.extend(["status", "ok"]);
            write_table(
                printer,
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
    printer: &Printer,
    client: &crate::client::Client,
    req: &crate::client::Request,
) -> std::io::Result<()> {
    let url = crate::client::without_userinfo(&client.send_url(req)).into_owned();
    let content_type = req.body.as_ref().map(|p| p.content_type.clone());
    let preview = req.body.as_ref().map(|p| p.preview());
    let mut headers = serde_json::Map::new();
    headers.insert("accept".into(), req.accept.into());
    headers.insert("authorization".into(), "Bearer <redacted>".into());
    headers.insert("content-type".into(), content_type.clone().into());
    for (name, value) in &req.headers {
        headers.insert(name.to_ascii_lowercase(), value.as_str().into());
    }
    match printer.format() {
        OutputFormat::Json => write_json(&serde_json::json!({
            "dryRun": true,
            "method": req.method.as_str(),
            "url": url,
            "headers": headers,
            "bodyBytes": req.body.as_ref().map(|p| p.body.len()).unwrap_or(0),
            "bodyPreview": preview,
        })),
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{} {}", req.method, url)?;
            writeln!(out, "accept: {}", req.accept)?;
            writeln!(out, "authorization: Bearer <redacted>")?;
            for (name, value) in &req.headers {
                writeln!(out, "{}: {value}", name.to_ascii_lowercase())?;
            }
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

pub fn write_exists(printer: &Printer, r: &ExistsResult) -> std::io::Result<()> {
    match printer.format() {
        OutputFormat::Json => write_json(r),
        OutputFormat::Table => write_table(
            printer,
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

pub fn write_check(printer: &Printer, r: &CheckResult) -> std::io::Result<()> {
    match printer.format() {
        OutputFormat::Json => write_json(r),
        OutputFormat::Table => write_table(
            printer,
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
    printer: &Printer,
    members: &[crate::client::operations::GroupMember],
) -> std::io::Result<()> {
    match printer.format() {
        OutputFormat::Json => members.iter().try_for_each(write_json),
        OutputFormat::Table => write_table(
            printer,
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

pub fn write_api(printer: &Printer, r: &ApiResult) -> std::io::Result<()> {
    match printer.format() {
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
