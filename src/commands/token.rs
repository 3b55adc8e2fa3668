//! `wps token`: a client access URL signed locally, and `wps token decode`.

use std::io::{IsTerminal, Read, Write};

use anyhow::{Context, Result};
use base64::Engine as _;
use serde::Serialize;

use super::{ExitStatus, SUCCESS};
use crate::cli::{ClientTypeArg, TokenAction, TokenArgs, TokenCreateArgs};
use crate::client::{
    client_access_token, now_secs, operations, verify_hs256, ClientTokenRequest, ClientType,
    KeySigner,
};
use crate::error::CliError;
use crate::output::write_json;
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

pub async fn run(settings: &Settings, printer: &Printer, args: TokenArgs) -> Result<ExitStatus> {
    match args.action {
        Some(TokenAction::Decode(d)) => decode(settings, printer, d.token),
        None => create(settings, printer, args.create).await,
    }
}

/// The JSON shape is the SDK's `get_client_access_token` return value, keys as it spells them.
#[derive(Serialize)]
struct TokenOutput<'a> {
    #[serde(rename = "baseUrl")]
    base_url: &'a str,
    token: &'a str,
    url: &'a str,
}

async fn create(
    settings: &Settings,
    printer: &Printer,
    args: TokenCreateArgs,
) -> Result<ExitStatus> {
    let TokenCreateArgs {
        user,
        roles,
        groups,
        expires,
        client_type,
    } = args;
    let hub = settings.hub()?;
    operations::validate_hub(hub)?;
    let request = ClientTokenRequest {
        user,
        roles,
        groups,
        minutes_to_expire: u64::from(expires),
        client_type: match client_type {
            ClientTypeArg::Default => ClientType::Default,
            ClientTypeArg::Mqtt => ClientType::Mqtt,
            ClientTypeArg::Socketio => ClientType::SocketIo,
        },
    };
    // Under Entra ID there is no key to sign with: the service issues the token.
    let access = if settings.is_entra() {
        let client = settings.client()?;
        client.generate_client_token(hub, &request).await?
    } else {
        let cs = settings.connection_string()?;
        let signer = KeySigner::new(&cs.access_key);
        client_access_token(&cs.endpoint, hub, &signer, &request, now_secs())?
    };
    let out = TokenOutput {
        base_url: &access.base_url,
        token: access.token.expose(),
        url: &access.url,
    };
    match printer.format() {
        OutputFormat::Json => write_json(&out)?,
        OutputFormat::Table => write_pairs(&[
            ("baseUrl", out.base_url.to_string()),
            ("url", out.url.to_string()),
            ("token", out.token.to_string()),
            ("expires", describe_time(access.claims.exp, now_secs())),
        ])?,
    }
    Ok(SUCCESS)
}

/// Key/value lines with the keys aligned. Values are never wrapped: URLs and tokens must
/// survive a copy and paste.
pub(crate) fn write_pairs(pairs: &[(&str, String)]) -> std::io::Result<()> {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for (k, v) in pairs {
        writeln!(out, "{k:<width$}  {v}")?;
    }
    out.flush()
}

#[derive(Serialize)]
struct DecodeOutput {
    header: serde_json::Value,
    claims: serde_json::Value,
    #[serde(rename = "issuedAt")]
    issued_at: Option<String>,
    #[serde(rename = "expiresAt")]
    expires_at: Option<String>,
    expired: Option<bool>,
    /// `valid`, `invalid`, or `not verified`.
    signature: &'static str,
}

/// Tokens (or URLs holding one) are a few KB even with many roles and groups; stdin is read
/// no further than this, so a stream that never ends cannot be read into memory.
const MAX_TOKEN_INPUT_BYTES: u64 = 64 * 1024;

fn decode(settings: &Settings, printer: &Printer, input: Option<String>) -> Result<ExitStatus> {
    let input = match input.filter(|t| t != "-") {
        Some(t) => t,
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::Usage(
                    "no token given: pass TOKEN or URL, or pipe it on stdin".into(),
                )
                .into());
            }
            let mut s = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_INPUT_BYTES + 1)
                .read_to_string(&mut s)
                .context("reading the token from stdin")?;
            if s.len() as u64 > MAX_TOKEN_INPUT_BYTES {
                return Err(CliError::Usage(format!(
                    "the token on stdin is longer than {} KiB; is it the right input?",
                    MAX_TOKEN_INPUT_BYTES / 1024
                ))
                .into());
            }
            s
        }
    };
    if input.trim().is_empty() {
        return Err(CliError::Usage(
            "no token given: pass TOKEN or URL, or pipe it on stdin".into(),
        )
        .into());
    }
    let token = token_from(input.trim())?;
    let (header, claims) = split_token(&token)?;

    let signature = if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        "not verified"
    } else {
        match settings.connection_string() {
            Ok(cs) if verify_hs256(&token, &cs.access_key) => "valid",
            Ok(_) => "invalid",
            Err(_) => "not verified",
        }
    };
    match signature {
        "invalid" => {
            printer.status("warning: the signature does not match the configured access key")
        }
        "not verified" => printer.status(
            "note: signature not verified (needs an HS256 token and an access key configured)",
        ),
        _ => {}
    }

    let now = now_secs();
    let time = |name: &str| claims.get(name).and_then(|v| v.as_u64());
    let out = DecodeOutput {
        issued_at: time("iat").and_then(format_rfc3339),
        expires_at: time("exp").and_then(format_rfc3339),
        expired: time("exp").map(|exp| exp <= now),
        header,
        claims: claims.clone(),
        signature,
    };
    match printer.format() {
        OutputFormat::Json => write_json(&out)?,
        OutputFormat::Table => {
            let mut pairs: Vec<(&str, String)> = Vec::new();
            if let Some(obj) = claims.as_object() {
                for (k, v) in obj {
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    pairs.push((k.as_str(), shown));
                }
            }
            if let Some(iat) = time("iat") {
                pairs.push(("issued", format_local(iat)));
            }
            pairs.push((
                "expires",
                time("exp")
                    .map(|exp| describe_time(exp, now))
                    .unwrap_or_else(|| "never (no exp claim)".into()),
            ));
            pairs.push(("signature", signature.to_string()));
            write_pairs(&pairs)?;
        }
    }
    Ok(SUCCESS)
}

/// The token itself, whether given bare or inside a client URL (`?access_token=`).
fn token_from(input: &str) -> Result<String, CliError> {
    if input.contains("://") {
        let url =
            url::Url::parse(input).map_err(|e| CliError::Usage(format!("not a valid URL: {e}")))?;
        return url
            .query_pairs()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| CliError::Usage("the URL has no access_token parameter".into()));
    }
    let token = input.strip_prefix("Bearer ").unwrap_or(input);
    Ok(token.to_string())
}

fn split_token(token: &str) -> Result<(serde_json::Value, serde_json::Value), CliError> {
    let malformed = |why: &str| CliError::Usage(format!("not a JWT: {why}"));
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three parts separated by '.'"));
    };
    let part = |p: &str, what: &str| -> Result<serde_json::Value, CliError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p.trim_end_matches('='))
            .map_err(|_| malformed(&format!("the {what} is not base64url")))?;
        serde_json::from_slice(&bytes).map_err(|_| malformed(&format!("the {what} is not JSON")))
    };
    Ok((part(h, "header")?, part(c, "claims")?))
}

/// `2026-01-01 01:00:00 +01:00 (in 59m 58s)` or `... (expired 3m ago)`, in local time.
fn describe_time(at: u64, now: u64) -> String {
    let when = format_local(at);
    if at > now {
        format!("{when} (in {})", format_duration(at - now))
    } else {
        format!("{when} (expired {} ago)", format_duration(now - at))
    }
}

fn format_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Unix seconds in this machine's local time, `YYYY-MM-DD HH:MM:SS +HH:MM`; in UTC when the
/// local offset cannot be known (the time crate refuses to ask once other threads run).
fn format_local(secs: u64) -> String {
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    at.and_then(|at| Some(at.to_offset(time::UtcOffset::local_offset_at(at).ok()?)))
        .and_then(|local| local.format(&format).ok())
        .unwrap_or_else(|| format_utc(secs))
}

/// Unix seconds as RFC 3339 in UTC (`2026-12-06T01:35:18Z`), what JSON readers parse; none
/// past year 9999, which the format cannot say.
fn format_rfc3339(secs: u64) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()?;
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (civil-from-days, proleptic Gregorian).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(format_rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            format_rfc3339(1_796_520_918).as_deref(),
            Some("2026-12-06T01:35:18Z")
        );
        assert_eq!(format_rfc3339(u64::MAX), None);
        // Local time depends on the machine (and on whether the offset can be known here).
        let soon = describe_time(100, 40);
        assert!(
            soon.starts_with("1970-01-01 ") || soon.starts_with("1969-12-31 "),
            "{soon}"
        );
        assert!(soon.ends_with(" (in 1m 0s)"), "{soon}");
        assert!(describe_time(0, 90_000).ends_with("(expired 1d 1h ago)"));
    }

    #[test]
    fn tokens_come_bare_or_in_urls() {
        assert_eq!(token_from("a.b.c").unwrap(), "a.b.c");
        assert_eq!(token_from("Bearer a.b.c").unwrap(), "a.b.c");
        assert_eq!(
            token_from("ws://h/client/hubs/chat?access_token=a.b.c").unwrap(),
            "a.b.c"
        );
        assert!(token_from("ws://h/client/hubs/chat").is_err());
        assert!(split_token("a.b").is_err());
        assert!(split_token("!!.b.c").is_err());
    }
}
