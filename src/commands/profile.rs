//! `wps profile add|list|show|use|remove`: the profiles in the config file.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use serde::Serialize;

use super::{ExitStatus, SUCCESS};
use crate::cli::{GlobalArgs, ProfileAddArgs, ProfileCommand};
use crate::client::{normalize_endpoint, operations, without_userinfo, ConnectionString};
use crate::config::{validate_profile_name, ConfigFile, Profile};
use crate::env::process_env;
use crate::error::CliError;
use crate::output::{write_json, write_table};
use crate::settings::{ConnectionInput, Resolved, Settings, Source};
use crate::term::{OutputFormat, Printer};

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    global: &GlobalArgs,
    command: ProfileCommand,
) -> Result<ExitStatus> {
    let p = printer;
    match command {
        ProfileCommand::Add(args) => add(settings, p, global, args),
        ProfileCommand::List => list(settings, p),
        ProfileCommand::Show(args) => match args.name {
            // Resolve again as if `--profile NAME` had been given.
            Some(name) => {
                let global = GlobalArgs {
                    profile: Some(name),
                    ..global.clone()
                };
                show(&Settings::resolve(&global, &process_env, *p)?, p)
            }
            None => show(settings, p),
        },
        ProfileCommand::Use(args) => use_profile(settings, p, &args.name),
        ProfileCommand::Remove(args) => remove(settings, p, &args.name),
    }
}

/// Reads the config file for editing. A file that is not TOML is an error right away (saving
/// over it would lose it); a profile with wrong values is not (it can be fixed or removed).
fn load(settings: &Settings, printer: &Printer) -> Result<ConfigFile, CliError> {
    let path = settings.config_path.clone().map_err(CliError::Config)?;
    let config = ConfigFile::load_for_edit(&path)?;
    if let Some(w) = config.permission_warning() {
        printer.status(w);
    }
    Ok(config)
}

fn validate_env_name(flag: &str, var: &str) -> Result<(), CliError> {
    let ok = !var.is_empty()
        && !var.starts_with(|c: char| c.is_ascii_digit())
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "invalid {flag} '{var}': expected an environment variable name (letters, digits, '_')"
        )))
    }
}

fn add(
    settings: &Settings,
    printer: &Printer,
    global: &GlobalArgs,
    args: ProfileAddArgs,
) -> Result<ExitStatus> {
    let ProfileAddArgs {
        name,
        connection_string_env,
        access_key_env,
        default,
    } = args;
    validate_profile_name(&name)?;
    // Only what was given on this command line goes into the profile, never the environment.
    let sources = [
        global.connection_string.is_some(),
        global.endpoint.is_some(),
        connection_string_env.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(CliError::Usage(
            "give one of --connection-string, --endpoint or --connection-string-env".into(),
        )
        .into());
    }
    if (global.access_key.is_some() || access_key_env.is_some()) && global.endpoint.is_none() {
        return Err(
            CliError::Usage("--access-key and --access-key-env go with --endpoint".into()).into(),
        );
    }
    if global.access_key.is_some() && access_key_env.is_some() {
        return Err(CliError::Usage("give one of --access-key or --access-key-env".into()).into());
    }
    let mut profile = Profile {
        hub: global.hub.clone(),
        auth: global.auth.map(|a| a.as_str().to_string()),
        api_version: global.api_version.clone(),
        reverse_proxy_endpoint: match &global.reverse_proxy {
            Some(p) => Some(normalize_endpoint(p).map_err(|_| {
                CliError::Usage(format!(
                    "invalid --reverse-proxy '{}': expected an http:// or https:// URL without query",
                    without_userinfo(p)
                ))
            })?),
            None => None,
        },
        ..Profile::default()
    };
    if let Some(hub) = &profile.hub {
        operations::validate_hub(hub)?;
    }
    if let Some(cs) = &global.connection_string {
        ConnectionString::parse(cs)?;
        profile.connection_string = Some(cs.clone());
    }
    if let Some(e) = &global.endpoint {
        profile.endpoint = Some(normalize_endpoint(e)?);
        profile.access_key = global.access_key.clone();
    }
    for (flag, var) in [
        ("--connection-string-env", &connection_string_env),
        ("--access-key-env", &access_key_env),
    ] {
        if let Some(var) = var {
            validate_env_name(flag, var)?;
            if process_env(var).is_none() {
                printer.status(format!(
                    "warning: {var} is not set now; it must be set when the profile is used"
                ));
            }
        }
    }
    if let Some(var) = &connection_string_env {
        if let Some(v) = process_env(var) {
            ConnectionString::parse(&v)
                .map_err(|e| CliError::Config(format!("{e} (from ${var})")))?;
        }
    }
    profile.connection_string_env = connection_string_env;
    profile.access_key_env = access_key_env;
    if profile == Profile::default() {
        return Err(CliError::Usage(format!(
            "nothing to save in profile '{name}': pass --connection-string, --endpoint, \
             --connection-string-env, --hub, --auth or --api-version"
        ))
        .into());
    }
    let wants_key = profile.endpoint.is_some()
        && profile.access_key.is_none()
        && profile.access_key_env.is_none()
        && profile.auth.as_deref().is_none_or(|a| a == "key");
    // Ask only a person at a terminal; scripts and CI never get a prompt.
    if wants_key && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let key = rpassword::prompt_password("Access key (input hidden, empty to skip): ")
            .context("could not read the access key")?;
        if !key.is_empty() {
            profile.access_key = Some(key);
        }
    }
    if wants_key && profile.access_key.is_none() {
        printer.status(
            "note: no access key saved; pass --access-key or --access-key-env, or set WPS_ACCESS_KEY when using it",
        );
    }

    let mut config = load(settings, printer)?;
    let existed = config.has_profile(&name);
    config.set_profile(&name, &profile);
    let make_default = default || config.default_profile().is_none();
    if make_default {
        config.set_default_profile(&name);
    }
    config.save()?;
    let verb = if existed { "updated" } else { "added" };
    let suffix = if make_default { " (default)" } else { "" };
    printer.status(format!(
        "{verb} profile '{name}'{suffix} in {}",
        config.path().display()
    ));
    Ok(SUCCESS)
}

#[derive(Serialize)]
struct ListRow {
    name: String,
    default: bool,
    endpoint: Option<String>,
    /// The variable an env-backed profile reads its connection string from.
    #[serde(
        rename = "connectionStringEnv",
        skip_serializing_if = "Option::is_none"
    )]
    connection_string_env: Option<String>,
    hub: Option<String>,
    auth: Option<String>,
}

/// What a profile says about the endpoint, without its key; for an env-backed profile, the
/// endpoint its variable holds now (`None` when unset or unreadable).
fn endpoint_of(p: &Profile) -> Option<String> {
    let parsed = |cs: &str| {
        ConnectionString::parse(cs)
            .map(|c| without_userinfo(&c.endpoint).into_owned())
            .ok()
    };
    if let Some(cs) = &p.connection_string {
        return Some(parsed(cs).unwrap_or_else(|| "(invalid connection string)".into()));
    }
    if let Some(var) = &p.connection_string_env {
        return process_env(var).and_then(|cs| parsed(&cs));
    }
    p.endpoint
        .as_deref()
        .map(|e| without_userinfo(e).into_owned())
}

fn list(settings: &Settings, printer: &Printer) -> Result<ExitStatus> {
    let config = load(settings, printer)?;
    let default = config.default_profile().map(str::to_string);
    let mut rows = Vec::new();
    for name in config.profile_names() {
        let p = config.profile(&name)?.unwrap_or_default();
        rows.push(ListRow {
            default: default.as_deref() == Some(name.as_str()),
            endpoint: endpoint_of(&p),
            connection_string_env: p.connection_string_env.clone(),
            hub: p.hub.clone(),
            auth: p.auth.clone(),
            name,
        });
    }
    match printer.format() {
        OutputFormat::Json => write_json(&rows)?,
        OutputFormat::Table => {
            if rows.is_empty() {
                printer.status(format!(
                    "no profiles in {}; add one with `wps profile add NAME`",
                    config.path().display()
                ));
                return Ok(SUCCESS);
            }
            let dash = || "-".to_string();
            write_table(
                printer,
                &["name", "default", "endpoint", "hub"],
                rows.into_iter()
                    .map(|r| {
                        vec![
                            r.name,
                            if r.default { "*".into() } else { String::new() },
                            match (r.endpoint, r.connection_string_env) {
                                (Some(e), Some(var)) => format!("{e} (from ${var})"),
                                (None, Some(var)) => format!("(from ${var}, not set)"),
                                (e, None) => e.unwrap_or_else(dash),
                            },
                            r.hub.unwrap_or_else(dash),
                        ]
                    })
                    .collect(),
            )?
        }
    }
    Ok(SUCCESS)
}

#[derive(Serialize)]
struct ShownValue {
    value: Option<String>,
    source: Option<String>,
}

#[derive(Serialize)]
struct ShowOutput {
    #[serde(rename = "configFile")]
    config_file: Option<String>,
    profile: Option<String>,
    #[serde(rename = "selectedBy")]
    selected_by: Option<String>,
    endpoint: ShownValue,
    #[serde(rename = "accessKey")]
    access_key: ShownValue,
    hub: ShownValue,
    auth: ShownValue,
    #[serde(rename = "apiVersion")]
    api_version: ShownValue,
    #[serde(rename = "reverseProxy")]
    reverse_proxy: ShownValue,
}

fn shown<T>(r: Option<&Resolved<T>>, f: impl Fn(&T) -> String) -> ShownValue {
    ShownValue {
        value: r.map(|r| f(&r.value)),
        source: r.map(|r| r.source.to_string()),
    }
}

fn show(settings: &Settings, printer: &Printer) -> Result<ExitStatus> {
    settings.check_config()?;
    let (endpoint, access_key) = match &settings.connection {
        None => (
            shown::<String>(None, String::clone),
            shown::<String>(None, String::clone),
        ),
        Some(conn) => {
            let source = Some(conn.source.to_string());
            match &conn.value {
                ConnectionInput::ConnectionString(s) => (
                    ShownValue {
                        // Parse errors never include the key (connstr.rs tests that).
                        value: Some(match ConnectionString::parse(s.expose()) {
                            Ok(c) => without_userinfo(&c.endpoint).into_owned(),
                            Err(e) => format!("(invalid: {e})"),
                        }),
                        source: source.clone(),
                    },
                    ShownValue {
                        value: Some("<redacted>".into()),
                        source,
                    },
                ),
                ConnectionInput::EndpointKey { endpoint, key } => (
                    ShownValue {
                        value: Some(without_userinfo(endpoint).into_owned()),
                        source,
                    },
                    ShownValue {
                        value: key.as_ref().map(|_| "<redacted>".into()),
                        source: settings.access_key_source.as_ref().map(Source::to_string),
                    },
                ),
            }
        }
    };
    let out = ShowOutput {
        config_file: settings
            .config_path
            .as_ref()
            .ok()
            .map(|p| p.display().to_string()),
        profile: settings.profile.as_ref().map(|p| p.name.clone()),
        selected_by: settings.profile.as_ref().map(|p| p.selected_by.to_string()),
        endpoint,
        access_key,
        hub: shown(settings.hub.as_ref(), String::clone),
        auth: shown(settings.auth.as_ref(), String::clone),
        api_version: shown(Some(&settings.api_version), String::clone),
        reverse_proxy: shown(settings.reverse_proxy.as_ref(), |p| {
            without_userinfo(p).into_owned()
        }),
    };
    for w in env_overrides(settings) {
        printer.status(w);
    }
    match printer.format() {
        OutputFormat::Json => write_json(&out)?,
        OutputFormat::Table => {
            let none = || "-".to_string();
            let row = |name: &str, v: ShownValue| {
                vec![
                    name.to_string(),
                    v.value.unwrap_or_else(none),
                    v.source.unwrap_or_else(none),
                ]
            };
            let profile_row = vec![
                "profile".to_string(),
                out.profile.clone().unwrap_or_else(none),
                out.selected_by
                    .clone()
                    .map(|s| format!("selected by {s}"))
                    .unwrap_or_else(none),
            ];
            write_table(
                printer,
                &["setting", "value", "source"],
                vec![
                    vec![
                        "config file".into(),
                        out.config_file.clone().unwrap_or_else(none),
                        "-".into(),
                    ],
                    profile_row,
                    row("endpoint", out.endpoint),
                    row("access key", out.access_key),
                    row("hub", out.hub),
                    row("auth", out.auth),
                    row("api version", out.api_version),
                    row("reverse proxy", out.reverse_proxy),
                ],
            )?
        }
    }
    Ok(SUCCESS)
}

/// Warnings for values the selected profile sets but an environment variable replaces.
fn env_overrides(settings: &Settings) -> Vec<String> {
    let Some(p) = &settings.profile else {
        return Vec::new();
    };
    let v = &p.values;
    let mut out = Vec::new();
    let mut check = |what: &str, profile_has: bool, source: Option<&Source>| {
        if let (true, Some(Source::Env(var))) = (profile_has, source) {
            out.push(format!(
                "warning: {var} overrides {what} from profile '{}'",
                p.name
            ));
        }
    };
    check(
        "the connection",
        v.connection_string.is_some() || v.connection_string_env.is_some() || v.endpoint.is_some(),
        settings.connection.as_ref().map(|c| &c.source),
    );
    check(
        "the access key",
        v.access_key.is_some() || v.access_key_env.is_some(),
        settings.access_key_source.as_ref(),
    );
    check(
        "hub",
        v.hub.is_some(),
        settings.hub.as_ref().map(|h| &h.source),
    );
    out
}

fn use_profile(settings: &Settings, printer: &Printer, name: &str) -> Result<ExitStatus> {
    let mut config = load(settings, printer)?;
    if config.profile(name)?.is_none() {
        return Err(config.unknown_profile(name, None).into());
    }
    config.set_default_profile(name);
    config.save()?;
    printer.status(format!("default profile is now '{name}'"));
    Ok(SUCCESS)
}

fn remove(settings: &Settings, printer: &Printer, name: &str) -> Result<ExitStatus> {
    let mut config = load(settings, printer)?;
    if !config.has_profile(name) {
        return Err(config.unknown_profile(name, None).into());
    }
    let was_default = config.default_profile() == Some(name);
    config.remove_profile(name);
    config.save()?;
    let note = match config.profile_names().first() {
        Some(other) if was_default => {
            format!("; there is no default profile now (`wps profile use {other}` makes one)")
        }
        None if was_default => "; there is no default profile now".to_string(),
        _ => String::new(),
    };
    printer.status(format!("removed profile '{name}'{note}"));
    Ok(SUCCESS)
}
