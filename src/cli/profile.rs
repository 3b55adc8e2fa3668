//! `profile` and its subcommands, and the completion of profile names (`--profile`, too).

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub command: ProfileCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile (or update it); takes the global --connection-string, --endpoint,
    /// --access-key, --hub, --auth and --api-version
    #[command(
        long_about = "Add a profile, or update it if it exists, from the global --connection-string, --endpoint, \
            --access-key, --hub, --auth and --api-version, validated first. --connection-string-env and \
            --access-key-env store the name of an environment variable instead of the secret. The first \
            profile becomes the default. The file is written atomically with mode 0600.",
        after_long_help = "Examples:\n  wps profile add dev --connection-string \"$CS\" --hub chat\n  \
            wps profile add prod --endpoint https://contoso.webpubsub.azure.com --access-key-env PROD_KEY --hub chat\n  \
            wps profile add ci --connection-string-env PROD_WPS_CONNECTION_STRING --default"
    )]
    Add(ProfileAddArgs),
    /// List the profiles
    #[command(
        long_about = "List the profiles: name, whether it is the default, endpoint and hub (a JSON array with -o json).",
        after_long_help = "Examples:\n  wps profile list\n  wps profile list -o json"
    )]
    List,
    /// Show every resolved setting and where it came from (secrets redacted)
    #[command(
        long_about = "Show every resolved setting (endpoint, key, hub, auth, api-version) and where it came \
            from: flag, environment variable, profile or default. Keys are redacted; a warning says when \
            an environment variable overrides the profile.",
        after_long_help = "Examples:\n  wps profile show\n  wps profile show prod -o json\n  wps -p ci --hub other profile show"
    )]
    Show(ProfileShowArgs),
    /// Make a profile the default
    #[command(
        long_about = "Make a profile the default: set default_profile in the config file. \
            --profile and WPS_PROFILE still choose another for one command.",
        after_long_help = "Examples:\n  wps profile use prod\n  wps profile use dev && wps send-all --text hi"
    )]
    Use(ProfileNameArgs),
    /// Remove a profile
    #[command(
        long_about = "Remove a profile from the config file. Removing the default profile leaves no default.",
        after_long_help = "Examples:\n  wps profile remove ci\n  wps --config ./wps.toml profile remove old"
    )]
    Remove(ProfileNameArgs),
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// Profile name: letters, digits, '-' and '_'
    pub name: String,
    /// Read the connection string from this environment variable at run time
    #[arg(long, value_name = "VAR", conflicts_with = "access_key_env")]
    pub connection_string_env: Option<String>,
    /// Read the access key (used with --endpoint) from this environment variable at run time
    #[arg(long, value_name = "VAR")]
    pub access_key_env: Option<String>,
    /// Make it the default profile
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// Profile to show (default: the one in use)
    #[arg(add = profile_names())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProfileNameArgs {
    #[arg(add = profile_names())]
    pub name: String,
}

/// Dynamic completion of profile names (`COMPLETE=bash wps`), from the config file that
/// WPS_CONFIG or the default path names; nothing when it cannot be read.
pub(super) fn profile_names() -> clap_complete::ArgValueCandidates {
    clap_complete::ArgValueCandidates::new(|| {
        let env = crate::env::process_env("WPS_CONFIG");
        crate::config::config_path(None, env)
            .ok()
            .and_then(|path| crate::config::ConfigFile::load(&path).ok())
            .map(|config| config.profile_names())
            .unwrap_or_default()
            .into_iter()
            .map(clap_complete::CompletionCandidate::new)
            .collect()
    })
}
