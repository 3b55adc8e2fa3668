//! Rendering results: tables for people, JSON for scripts. Only data goes to stdout.

use std::io::Write;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

use crate::cli::OutputFormat;

/// The outcome of one operation on one target, in the stable JSON shape documented in README.
#[derive(Debug, Clone, Serialize)]
pub struct OpResult {
    pub operation: &'static str,
    pub hub: String,
    pub target: Option<String>,
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

/// Writes a table with a header row.
pub fn write_table(header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
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
        OutputFormat::Table => write_table(
            &["operation", "hub", "target", "status", "ok"],
            results
                .iter()
                .map(|r| {
                    vec![
                        r.operation.to_string(),
                        r.hub.clone(),
                        r.target.clone().unwrap_or_else(|| "-".into()),
                        r.status.to_string(),
                        if r.ok { "yes".into() } else { "no".into() },
                    ]
                })
                .collect(),
        ),
    }
}

/// One request that `--dry-run` did not send: method, URL, headers (auth redacted), body preview.
pub fn write_dry_run(
    format: OutputFormat,
    client: &crate::client::Client,
    req: &crate::client::Request,
) -> std::io::Result<()> {
    let url = client.url(req);
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
