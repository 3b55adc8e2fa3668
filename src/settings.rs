//! Flags, environment, profile and defaults resolved into plain values, each tagged with
//! where it came from (flag > environment > profile > default).

use std::cell::RefCell;
use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use clap::ValueEnum;

use crate::cli::{AuthMode, GlobalArgs};
use crate::client::{
    normalize_endpoint, Client, ClientOptions, ConnectionString, Secret, DEFAULT_API_VERSION,
};
use crate::config::{config_path, ConfigFile, Profile};
use crate::env::{process_env, Env};
use crate::error::CliError;
use crate::term::{OutputFormat, Printer};

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    /// A profile's `*_env` reference: the value is read from that variable.
    ProfileEnv {
        profile: String,
        var: String,
    },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Profile(p) => write!(f, "profile '{p}'"),
            Source::ProfileEnv { profile, var } => write!(f, "profile '{profile}' via ${var}"),
            Source::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resolved<T> {
    pub value: T,
    pub source: Source,
}

/// How to reach the service, before it is parsed.
#[derive(Debug, Clone)]
pub enum ConnectionInput {
    ConnectionString(Secret),
    EndpointKey {
        endpoint: String,
        key: Option<Secret>,
    },
}

/// The profile in use and what selected it.
#[derive(Debug, Clone)]
pub struct SelectedProfile {
    pub name: String,
    /// `--profile`, `WPS_PROFILE` or `default_profile`.
    pub selected_by: &'static str,
    pub values: Profile,
}

/// Everything a command needs to know that is not its own arguments.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dry_run: bool,
    pub hub: Option<Resolved<String>>,
    pub connection: Option<Resolved<ConnectionInput>>,
    /// Where the access key paired with an endpoint came from.
    pub access_key_source: Option<Source>,
    /// `--auth` or the profile's `auth` (access key when absent).
    pub auth: Option<Resolved<String>>,
    pub api_version: Resolved<String>,
    /// `--reverse-proxy`, `WPS_REVERSE_PROXY` or the profile's `reverse_proxy_endpoint`.
    pub reverse_proxy: Option<Resolved<String>>,
    pub client_options: ClientOptions,
    /// The config file path, or why there is none.
    pub config_path: Result<PathBuf, String>,
    pub profile: Option<SelectedProfile>,
    /// The config file's profiles when none is selected (no flag, variable or default), for
    /// an error that names one to choose.
    unselected_profiles: Vec<String>,
    /// A broken config, an unknown profile or an unset `*_env` variable: raised only when a
    /// command asks for a setting, so `emulator`, `profile add` and the like still work.
    config_error: Option<String>,
    /// Printed once, the first time a setting is asked for.
    notices: Vec<String>,
    noticed: Arc<Once>,
    printer: Printer,
}

/// The one [`Printer`] of a run, from the global flags and the environment: `--output`, else
/// `WPS_OUTPUT`, else a table on a terminal and JSON otherwise. An invalid `WPS_OUTPUT` is
/// left to [`Settings::resolve`] to report; until then the terminal decides.
pub fn printer(global: &GlobalArgs, env: Env<'_>) -> Printer {
    let format = global
        .output
        .or_else(|| output_from_env(env).ok().flatten())
        .unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        });
    Printer::new(format, global.quiet, global.verbose, global.color, env)
}

/// `WPS_OUTPUT`, if set.
fn output_from_env(env: Env<'_>) -> Result<Option<OutputFormat>, CliError> {
    let value = env("WPS_OUTPUT");
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("json") => Ok(Some(OutputFormat::Json)),
        Some("table") => Ok(Some(OutputFormat::Table)),
        Some(_) => Err(CliError::Usage(format!(
            "invalid WPS_OUTPUT '{}': expected 'table' or 'json'",
            value.unwrap_or_default()
        ))),
    }
}

/// Profile names for a one-line error: the first few, then how many more.
fn shown_names(names: &[String]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

impl Settings {
    /// Flags and environment, then the profile from the config file (`--config`, `WPS_CONFIG`
    /// or the platform config dir). Config problems are kept for the first accessor to raise.
    pub fn resolve(global: &GlobalArgs, env: Env<'_>, printer: Printer) -> Result<Self, CliError> {
        let path = config_path(global.config.as_deref(), env("WPS_CONFIG"));
        let config = match &path {
            Ok(p) => Some(ConfigFile::load(p)),
            Err(_) => None,
        };
        Self::resolve_with(global, env, printer, path, config)
    }

    /// [`Settings::resolve`] with the config file already read (or not available).
    pub fn resolve_with(
        global: &GlobalArgs,
        env: Env<'_>,
        printer: Printer,
        config_path: Result<PathBuf, String>,
        config: Option<Result<ConfigFile, CliError>>,
    ) -> Result<Self, CliError> {
        let GlobalArgs {
            profile,
            connection_string,
            endpoint,
            access_key,
            hub,
            auth,
            reverse_proxy,
            api_version,
            config: _,
            timeout,
            retries,
            // The printer's: it was built from them before anything else.
            output,
            verbose,
            quiet: _,
            dry_run,
            color: _,
        } = global;
        if output.is_none() {
            output_from_env(env)?;
        }

        let mut config_error: Option<String> = None;
        let mut notices = Vec::new();
        let config = match config {
            Some(Ok(c)) => {
                notices.extend(c.permission_warning());
                Some(c)
            }
            Some(Err(e)) => {
                config_error = Some(e.to_string());
                None
            }
            None => None,
        };

        // Profile selection: --profile > WPS_PROFILE > default_profile > none.
        let wanted = profile
            .clone()
            .map(|p| (p, "--profile"))
            .or_else(|| env("WPS_PROFILE").map(|p| (p, "WPS_PROFILE")))
            .or_else(|| {
                config
                    .as_ref()
                    .and_then(|c| c.default_profile())
                    .map(|p| (p.to_string(), "default_profile"))
            });
        let unselected_profiles = match (&wanted, &config) {
            (None, Some(c)) => c.profile_names(),
            _ => Vec::new(),
        };
        let selected = match (wanted, &config) {
            (None, _) => None,
            (Some((name, by)), Some(c)) => match c.profile(&name) {
                Ok(Some(values)) => Some(SelectedProfile {
                    name,
                    selected_by: by,
                    values,
                }),
                Ok(None) => {
                    config_error.get_or_insert(c.unknown_profile(&name, Some(by)).to_string());
                    None
                }
                Err(e) => {
                    config_error.get_or_insert(e.to_string());
                    None
                }
            },
            (Some((name, by)), None) => {
                let why = match &config_path {
                    Ok(p) => format!("config file {} could not be read", p.display()),
                    Err(e) => e.clone(),
                };
                config_error
                    .get_or_insert(format!("no profile '{name}' (selected by {by}): {why}"));
                None
            }
        };
        let prof = selected.as_ref().map(|s| (&s.name, &s.values));
        let from_profile = |name: &String| Source::Profile(name.clone());

        let hub = first_of([
            hub.clone().map(|v| (v, Source::Flag("--hub"))),
            env("WPS_HUB").map(|v| (v, Source::Env("WPS_HUB"))),
            prof.and_then(|(n, p)| p.hub.clone().map(|v| (v, from_profile(n)))),
        ]);

        let auth = first_of([
            auth.map(|a| (a.as_str().to_string(), Source::Flag("--auth"))),
            prof.and_then(|(n, p)| p.auth.clone().map(|v| (v, from_profile(n)))),
        ]);
        if let Some(a) = &auth {
            if AuthMode::from_str(&a.value, false).is_err() {
                config_error.get_or_insert(format!(
                    "invalid auth '{}' (from {}): expected one of key, azure-cli, managed-identity, workload-identity, client-secret, default",
                    a.value, a.source
                ));
            }
        }

        // Reads a profile's `*_env` reference; an unset variable is a config error when used.
        let env_error: RefCell<Option<String>> = RefCell::new(None);
        let env_ref = |profile: &str, field: &str, var: &str| -> Option<String> {
            let v = env(var);
            if v.is_none() {
                env_error.borrow_mut().get_or_insert(format!(
                    "profile '{profile}': {field} names the environment variable {var}, which is not set"
                ));
            }
            v
        };

        // The key paired with an endpoint: flag > env > profile.
        let key_for_endpoint = || -> Option<(Secret, Source)> {
            if let Some(k) = access_key.clone() {
                return Some((Secret::new(k), Source::Flag("--access-key")));
            }
            if let Some(k) = env("WPS_ACCESS_KEY") {
                return Some((Secret::new(k), Source::Env("WPS_ACCESS_KEY")));
            }
            let (name, p) = prof?;
            if let Some(k) = &p.access_key {
                return Some((Secret::new(k.clone()), from_profile(name)));
            }
            let var = p.access_key_env.as_ref()?;
            env_ref(name, "access_key_env", var).map(|k| {
                (
                    Secret::new(k),
                    Source::ProfileEnv {
                        profile: name.clone(),
                        var: var.clone(),
                    },
                )
            })
        };

        let mut access_key_source = None;
        let mut endpoint_input = |e: String, source: Source| {
            let key = key_for_endpoint().map(|(k, s)| {
                access_key_source = Some(s);
                k
            });
            Some((ConnectionInput::EndpointKey { endpoint: e, key }, source))
        };
        let cs = |v: String, source: Source| {
            Some((ConnectionInput::ConnectionString(Secret::new(v)), source))
        };

        // Later candidates are only looked at when earlier ones gave nothing, so an unset
        // `*_env` variable in the profile does not matter when a flag or env var wins.
        let connection = None
            .or_else(|| {
                connection_string
                    .clone()
                    .and_then(|v| cs(v, Source::Flag("--connection-string")))
            })
            .or_else(|| {
                endpoint
                    .clone()
                    .and_then(|e| endpoint_input(e, Source::Flag("--endpoint")))
            })
            .or_else(|| {
                env("WPS_CONNECTION_STRING")
                    .and_then(|v| cs(v, Source::Env("WPS_CONNECTION_STRING")))
            })
            .or_else(|| {
                env("WebPubSubConnectionString")
                    .and_then(|v| cs(v, Source::Env("WebPubSubConnectionString")))
            })
            .or_else(|| {
                env("WPS_ENDPOINT").and_then(|e| endpoint_input(e, Source::Env("WPS_ENDPOINT")))
            })
            .or_else(|| {
                let (name, p) = prof?;
                if let Some(v) = &p.connection_string {
                    return cs(v.clone(), from_profile(name));
                }
                if let Some(var) = &p.connection_string_env {
                    let v = env_ref(name, "connection_string_env", var)?;
                    return cs(
                        v,
                        Source::ProfileEnv {
                            profile: name.clone(),
                            var: var.clone(),
                        },
                    );
                }
                let e = p.endpoint.clone()?;
                endpoint_input(e, from_profile(name))
            })
            .map(|(value, source)| Resolved { value, source });
        if let Some(e) = env_error.into_inner() {
            config_error.get_or_insert(e);
        }
        if !matches!(
            connection,
            Some(Resolved {
                value: ConnectionInput::EndpointKey { .. },
                ..
            })
        ) {
            access_key_source = None;
        }

        let api_version = first_of([
            api_version
                .clone()
                .map(|v| (v, Source::Flag("--api-version"))),
            prof.and_then(|(n, p)| p.api_version.clone().map(|v| (v, from_profile(n)))),
        ])
        .unwrap_or(Resolved {
            value: DEFAULT_API_VERSION.to_string(),
            source: Source::Default,
        });

        let mut client_options = ClientOptions {
            verbose: *verbose,
            ..ClientOptions::default()
        };
        client_options.api_version = api_version.value.clone();

        let reverse_proxy = first_of([
            reverse_proxy
                .clone()
                .map(|v| (v, Source::Flag("--reverse-proxy"))),
            env("WPS_REVERSE_PROXY").map(|v| (v, Source::Env("WPS_REVERSE_PROXY"))),
            prof.and_then(|(n, p)| {
                p.reverse_proxy_endpoint
                    .clone()
                    .map(|v| (v, from_profile(n)))
            }),
        ]);
        if let Some(proxy) = &reverse_proxy {
            match normalize_endpoint(&proxy.value) {
                Ok(url) => client_options.reverse_proxy = Some(url),
                Err(_) => {
                    config_error.get_or_insert(format!(
                        "invalid reverse proxy '{}' (from {}): expected an http:// or https:// URL without query",
                        crate::client::without_userinfo(&proxy.value),
                        proxy.source
                    ));
                }
            }
        }
        if let Some(t) = timeout {
            if !(t.is_finite() && *t > 0.0 && *t <= 3600.0) {
                return Err(CliError::Usage(format!(
                    "invalid --timeout {t}: expected 0 < SECS <= 3600"
                )));
            }
            client_options.timeout = Duration::from_secs_f64(*t);
        }
        if let Some(r) = retries {
            client_options.retries = *r;
        }
        if let Some(ms) = env("WPS_TEST_RETRY_BASE_MS").and_then(|v| v.parse::<u64>().ok()) {
            // Documented test hook: keeps fault-injection tests fast.
            client_options.retry_base_delay = Duration::from_millis(ms);
        }

        Ok(Settings {
            dry_run: *dry_run,
            hub,
            connection,
            access_key_source,
            auth,
            api_version,
            reverse_proxy,
            client_options,
            config_path,
            profile: selected,
            unselected_profiles,
            config_error,
            notices,
            noticed: Arc::new(Once::new()),
            printer,
        })
    }

    /// Raises a deferred config problem, and prints config warnings once.
    pub fn check_config(&self) -> Result<(), CliError> {
        self.noticed.call_once(|| {
            for n in &self.notices {
                self.printer.status(n);
            }
        });
        match &self.config_error {
            Some(e) => Err(CliError::Config(e.clone())),
            None => Ok(()),
        }
    }

    /// The hub, or a configuration error saying how to give one.
    pub fn hub(&self) -> Result<&str, CliError> {
        self.check_config()?;
        self.hub.as_ref().map(|h| h.value.as_str()).ok_or_else(|| {
            CliError::Config(
                "no hub given: pass --hub, set WPS_HUB, or set `hub` in the profile".into(),
            )
        })
    }

    /// The parsed connection, or a configuration error naming what is missing.
    pub fn connection_string(&self) -> Result<ConnectionString, CliError> {
        self.check_config()?;
        let Some(conn) = &self.connection else {
            // Profiles exist but none is the default (the default was removed, say): name one.
            if let Some(first) = self.unselected_profiles.first() {
                return Err(CliError::Config(format!(
                    "no connection configured and no profile selected (there is no default_profile; \
                     profiles: {}): make one the default with `wps profile use {first}`, pass \
                     --profile NAME, or set WPS_CONNECTION_STRING",
                    shown_names(&self.unselected_profiles)
                )));
            }
            return Err(CliError::Config(
                "no connection configured: pass --connection-string (or --endpoint with --access-key), \
                 set WPS_CONNECTION_STRING, or add a profile with `wps profile add`"
                    .into(),
            ));
        };
        let from = &conn.source;
        match &conn.value {
            ConnectionInput::ConnectionString(s) => ConnectionString::parse(s.expose())
                .map_err(|e| CliError::Config(format!("{e} (from {from})"))),
            ConnectionInput::EndpointKey { endpoint, key } => {
                let endpoint = normalize_endpoint(endpoint)
                    .map_err(|e| CliError::Config(format!("{e} (from {from})")))?;
                let key = key.clone().ok_or_else(|| {
                    CliError::Config(format!(
                        "an endpoint is set (from {from}) but no access key: pass --access-key, set WPS_ACCESS_KEY, or set access_key_env in the profile"
                    ))
                })?;
                Ok(ConnectionString {
                    endpoint,
                    access_key: key,
                })
            }
        }
    }

    pub fn client(&self) -> anyhow::Result<Client> {
        if self.is_entra() {
            return self.entra_client();
        }
        let cs = self.connection_string()?;
        Ok(Client::new(cs, self.client_options.clone())?)
    }

    /// True when `--auth` (or the profile) names an Entra ID credential rather than the key.
    pub fn is_entra(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.value != "key")
    }

    /// The endpoint alone: Entra ID sign-in needs no access key.
    pub fn endpoint(&self) -> Result<String, CliError> {
        self.check_config()?;
        match self.connection.as_ref().map(|c| (&c.value, &c.source)) {
            Some((ConnectionInput::EndpointKey { endpoint, .. }, from)) => {
                normalize_endpoint(endpoint)
                    .map_err(|e| CliError::Config(format!("{e} (from {from})")))
            }
            _ => self.connection_string().map(|cs| cs.endpoint),
        }
    }

    #[cfg(feature = "entra")]
    fn entra_client(&self) -> anyhow::Result<Client> {
        use crate::client::entra::{EntraCredential, EntraMode};
        use crate::client::Credential;
        let endpoint = self.endpoint()?;
        let auth = self
            .auth
            .as_ref()
            .map(|a| a.value.as_str())
            .unwrap_or("key");
        let mode = EntraMode::from_name(auth)
            .ok_or_else(|| CliError::Config(format!("unknown auth '{auth}'")))?;
        let credential = EntraCredential::new(mode, &process_env)?;
        Ok(Client::with_credential(
            endpoint,
            Credential::Entra(credential),
            self.client_options.clone(),
        )?)
    }

    #[cfg(not(feature = "entra"))]
    fn entra_client(&self) -> anyhow::Result<Client> {
        let auth = self
            .auth
            .as_ref()
            .map(|a| a.value.as_str())
            .unwrap_or("key");
        Err(CliError::Config(format!(
            "auth '{auth}' needs Entra ID support, and this wps was built without the `entra` feature"
        ))
        .into())
    }
}

fn first_of<T, const N: usize>(candidates: [Option<(T, Source)>; N]) -> Option<Resolved<T>> {
    candidates
        .into_iter()
        .flatten()
        .next()
        .map(|(value, source)| Resolved { value, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Resolves against an in-memory config file (None = no file), never the real one.
    fn resolve(args: &GlobalArgs, env: Env<'_>, config: Option<&str>) -> Settings {
        let path = PathBuf::from("/test/config.toml");
        let config = config.map(|text| ConfigFile::parse(&path, text));
        let printer = Printer::new(OutputFormat::Json, true, 0, Default::default(), env);
        Settings::resolve_with(args, env, printer, Ok(path), config).unwrap()
    }

    const CONFIG: &str = r#"
default_profile = "dev"
[profiles.dev]
connection_string = "Endpoint=http://dev;AccessKey=devkey"
hub = "devhub"
api_version = "2024-01-01"
[profiles.ci]
connection_string_env = "CI_CS"
[profiles.ep]
endpoint = "http://ep"
access_key_env = "EP_KEY"
auth = "key"
"#;

    #[test]
    fn flag_beats_env() {
        let env = env_of(&[
            ("WPS_HUB", "envhub"),
            ("WPS_CONNECTION_STRING", "Endpoint=http://e;AccessKey=k"),
        ]);
        let args = GlobalArgs {
            hub: Some("flaghub".into()),
            ..Default::default()
        };
        let s = resolve(&args, &env, Some(CONFIG));
        assert_eq!(s.hub().unwrap(), "flaghub");
        assert_eq!(s.hub.unwrap().source, Source::Flag("--hub"));
        assert_eq!(
            s.connection.unwrap().source,
            Source::Env("WPS_CONNECTION_STRING")
        );
    }

    #[test]
    fn profile_fills_what_flags_and_env_leave() {
        let s = resolve(&GlobalArgs::default(), &|_| None, Some(CONFIG));
        assert_eq!(s.hub().unwrap(), "devhub");
        assert_eq!(
            s.hub.as_ref().unwrap().source,
            Source::Profile("dev".into())
        );
        assert_eq!(s.connection_string().unwrap().endpoint, "http://dev");
        assert_eq!(s.client_options.api_version, "2024-01-01");
        assert_eq!(s.profile.as_ref().unwrap().selected_by, "default_profile");
        let env = env_of(&[("WPS_HUB", "envhub")]);
        let s = resolve(&GlobalArgs::default(), &env, Some(CONFIG));
        assert_eq!(s.hub().unwrap(), "envhub");
        let s = resolve(&GlobalArgs::default(), &|_| None, None);
        assert_eq!(s.api_version.source, Source::Default);
        assert!(s.hub().is_err());
    }

    #[test]
    fn env_references_are_read_and_named_when_unset() {
        let env = env_of(&[
            ("WPS_PROFILE", "ci"),
            ("CI_CS", "Endpoint=http://ci;AccessKey=k"),
        ]);
        let s = resolve(&GlobalArgs::default(), &env, Some(CONFIG));
        assert_eq!(s.connection_string().unwrap().endpoint, "http://ci");
        assert_eq!(
            s.connection.unwrap().source.to_string(),
            "profile 'ci' via $CI_CS"
        );
        let env = env_of(&[("WPS_PROFILE", "ci")]);
        let s = resolve(&GlobalArgs::default(), &env, Some(CONFIG));
        let e = s.connection_string().unwrap_err().to_string();
        assert!(e.contains("CI_CS") && e.contains("not set"), "{e}");
        // A flag that wins means the unset variable is never needed.
        let args = GlobalArgs {
            profile: Some("ci".into()),
            connection_string: Some("Endpoint=http://f;AccessKey=k".into()),
            ..Default::default()
        };
        let s = resolve(&args, &|_| None, Some(CONFIG));
        assert_eq!(s.connection_string().unwrap().endpoint, "http://f");
    }

    #[test]
    fn endpoint_profile_takes_key_by_precedence() {
        let env = env_of(&[("WPS_PROFILE", "ep"), ("EP_KEY", "fromenvref")]);
        let s = resolve(&GlobalArgs::default(), &env, Some(CONFIG));
        assert_eq!(
            s.connection_string().unwrap().access_key.expose(),
            "fromenvref"
        );
        assert_eq!(s.auth.as_ref().unwrap().value, "key");
        let args = GlobalArgs {
            access_key: Some("flagkey".into()),
            ..Default::default()
        };
        let s = resolve(&args, &env, Some(CONFIG));
        assert_eq!(
            s.connection_string().unwrap().access_key.expose(),
            "flagkey"
        );
        assert_eq!(s.access_key_source, Some(Source::Flag("--access-key")));
        assert_eq!(s.connection_string().unwrap().endpoint, "http://ep");
    }

    #[test]
    fn unknown_and_broken_configs_wait_until_needed() {
        let args = GlobalArgs {
            profile: Some("nope".into()),
            ..Default::default()
        };
        let s = resolve(&args, &|_| None, Some(CONFIG));
        let e = s.hub().unwrap_err().to_string();
        assert!(e.contains("'nope'") && e.contains("ci, dev, ep"), "{e}");
        let s = resolve(&GlobalArgs::default(), &|_| None, Some("x = = 1"));
        assert!(matches!(s.connection_string(), Err(CliError::Config(_))));
        let s = resolve(&args, &|_| None, None);
        assert!(s.hub().is_err());
    }

    #[test]
    fn functions_name_is_honoured_after_ours() {
        let env = env_of(&[("WebPubSubConnectionString", "Endpoint=http://f;AccessKey=k")]);
        let s = resolve(&GlobalArgs::default(), &env, Some(CONFIG));
        assert_eq!(s.connection_string().unwrap().endpoint, "http://f");
        let env = env_of(&[
            ("WebPubSubConnectionString", "Endpoint=http://f;AccessKey=k"),
            ("WPS_CONNECTION_STRING", "Endpoint=http://w;AccessKey=k"),
        ]);
        let s = resolve(&GlobalArgs::default(), &env, None);
        assert_eq!(s.connection_string().unwrap().endpoint, "http://w");
    }

    #[test]
    fn missing_values_are_config_errors() {
        let s = resolve(&GlobalArgs::default(), &|_| None, None);
        assert!(matches!(s.hub(), Err(CliError::Config(_))));
        assert!(matches!(s.connection_string(), Err(CliError::Config(_))));
    }
}
