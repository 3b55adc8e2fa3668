//! Event handlers ("upstream"): the emulator calls the user's server the way the service
//! does, with CloudEvents over HTTP in binary mode.
//!
//! - [`settings`]: which handler takes which event (`--event-handler`, TOML, appsettings.json);
//! - [`watch`]: the settings in force, reloaded when the file changes.

pub mod settings;
pub mod watch;
