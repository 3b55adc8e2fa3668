//! Flags, environment, profile and defaults resolved into plain values, each tagged with
//! where it came from (flag > environment > profile > default).

use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};
use crate::client::{normalize_endpoint, Client, ClientOptions, ConnectionString, Secret};
use crate::error::CliError;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Profile(p) => write!(f, "profile '{p}'"),
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

/// Everything a command needs to know that is not its own arguments.
#[derive(Debug, Clone)]
pub struct Settings {
    pub output: OutputFormat,
    pub verbose: u8,
    pub quiet: bool,
    pub dry_run: bool,
    pub color: ColorChoice,
    pub hub: Option<Resolved<String>>,
    pub connection: Option<Resolved<ConnectionInput>>,
    pub client_options: ClientOptions,
}

/// Reads one environment variable; tests pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Settings {
    pub fn resolve(global: &GlobalArgs, env: Env<'_>) -> Result<Self, CliError> {
        let GlobalArgs {
            profile: _,
            connection_string,
            endpoint,
            access_key,
            hub,
            api_version,
            config: _,
            timeout,
            retries,
            output,
            verbose,
            quiet,
            dry_run,
            color,
        } = global;

        let output = match output {
            Some(o) => *o,
            None => match env("WPS_OUTPUT").as_deref() {
                Some("json") => OutputFormat::Json,
                Some("table") => OutputFormat::Table,
                Some(other) => {
                    return Err(CliError::Usage(format!(
                        "invalid WPS_OUTPUT '{other}': expected 'table' or 'json'"
                    )))
                }
                None if std::io::stdout().is_terminal() => OutputFormat::Table,
                None => OutputFormat::Json,
            },
        };

        let hub = first_of([
            hub.clone().map(|v| (v, Source::Flag("--hub"))),
            env("WPS_HUB").map(|v| (v, Source::Env("WPS_HUB"))),
        ]);

        let connection = first_of([
            connection_string.clone().map(|v| {
                (
                    ConnectionInput::ConnectionString(Secret::new(v)),
                    Source::Flag("--connection-string"),
                )
            }),
            endpoint.clone().map(|e| {
                let key = access_key
                    .clone()
                    .map(Secret::new)
                    .or_else(|| env("WPS_ACCESS_KEY").map(Secret::new));
                (
                    ConnectionInput::EndpointKey { endpoint: e, key },
                    Source::Flag("--endpoint"),
                )
            }),
            env("WPS_CONNECTION_STRING").map(|v| {
                (
                    ConnectionInput::ConnectionString(Secret::new(v)),
                    Source::Env("WPS_CONNECTION_STRING"),
                )
            }),
            env("WebPubSubConnectionString").map(|v| {
                (
                    ConnectionInput::ConnectionString(Secret::new(v)),
                    Source::Env("WebPubSubConnectionString"),
                )
            }),
            env("WPS_ENDPOINT").map(|e| {
                let key = access_key
                    .clone()
                    .map(Secret::new)
                    .or_else(|| env("WPS_ACCESS_KEY").map(Secret::new));
                (
                    ConnectionInput::EndpointKey { endpoint: e, key },
                    Source::Env("WPS_ENDPOINT"),
                )
            }),
        ]);

        let mut client_options = ClientOptions {
            verbose: *verbose,
            ..ClientOptions::default()
        };
        if let Some(v) = api_version {
            client_options.api_version = v.clone();
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
            output,
            verbose: *verbose,
            quiet: *quiet,
            dry_run: *dry_run,
            color: *color,
            hub,
            connection,
            client_options,
        })
    }

    /// The hub, or a configuration error saying how to give one.
    pub fn hub(&self) -> Result<&str, CliError> {
        self.hub.as_ref().map(|h| h.value.as_str()).ok_or_else(|| {
            CliError::Config(
                "no hub given: pass --hub, set WPS_HUB, or set `hub` in the profile".into(),
            )
        })
    }

    /// The parsed connection, or a configuration error naming what is missing.
    pub fn connection_string(&self) -> Result<ConnectionString, CliError> {
        let Some(conn) = &self.connection else {
            return Err(CliError::Config(
                "no connection configured: pass --connection-string (or --endpoint with --access-key), \
                 set WPS_CONNECTION_STRING, or add a profile"
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
                        "an endpoint is set (from {from}) but no access key: pass --access-key or set WPS_ACCESS_KEY"
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
        let cs = self.connection_string()?;
        Ok(Client::new(cs, self.client_options.clone())?)
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
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.hub().unwrap(), "flaghub");
        assert_eq!(s.hub.unwrap().source, Source::Flag("--hub"));
        assert_eq!(
            s.connection.unwrap().source,
            Source::Env("WPS_CONNECTION_STRING")
        );
    }

    #[test]
    fn functions_name_is_honoured_after_ours() {
        let env = env_of(&[("WebPubSubConnectionString", "Endpoint=http://f;AccessKey=k")]);
        let s = Settings::resolve(&GlobalArgs::default(), &env).unwrap();
        assert_eq!(s.connection_string().unwrap().endpoint, "http://f");
        let env = env_of(&[
            ("WebPubSubConnectionString", "Endpoint=http://f;AccessKey=k"),
            ("WPS_CONNECTION_STRING", "Endpoint=http://w;AccessKey=k"),
        ]);
        let s = Settings::resolve(&GlobalArgs::default(), &env).unwrap();
        assert_eq!(s.connection_string().unwrap().endpoint, "http://w");
    }

    #[test]
    fn missing_values_are_config_errors() {
        let s = Settings::resolve(&GlobalArgs::default(), &|_| None).unwrap();
        assert!(matches!(s.hub(), Err(CliError::Config(_))));
        assert!(matches!(s.connection_string(), Err(CliError::Config(_))));
    }
}
