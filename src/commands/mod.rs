//! One module per command; `run` builds the runtime and dispatches.

mod add_to_group;
mod api;
mod bulk;
mod client;
mod close;
mod demo;
mod emulator;
mod exists;
mod generate;
mod list_connections;
mod listen;
mod permission;
mod profile;
mod remove_from_group;
mod send;
mod token;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::settings::{process_env, Settings};

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub u8);

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.0)
    }
}

pub use generate::{doc_command, EXIT_CODES};

pub const SUCCESS: ExitStatus = ExitStatus(crate::error::code::OK);

pub fn run(cli: Cli) -> Result<ExitStatus> {
    let Cli { global, command } = cli;
    // Needs no settings, so it works with a broken config and an empty environment.
    if let Command::Generate(args) = command {
        return generate::run(args);
    }
    // A single request needs no worker threads; the emulator serves many clients at once.
    let runtime = match &command {
        Command::Emulator(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    };
    let settings = Settings::resolve(&global, &process_env)?;
    // `listen` reads the global --timeout as its overall wait, with no default.
    let wait = global.timeout.map(std::time::Duration::from_secs_f64);
    runtime.block_on(async move {
        match command {
            Command::SendAll(args) => send::send_all(&settings, args).await,
            Command::SendGroup(args) => send::send_group(&settings, args).await,
            Command::SendUser(args) => send::send_user(&settings, args).await,
            Command::SendConnection(args) => send::send_connection(&settings, args).await,
            Command::AddToGroup(args) => add_to_group::run(&settings, args).await,
            Command::RemoveFromGroup(args) => remove_from_group::run(&settings, args).await,
            Command::Close(args) => close::run(&settings, args).await,
            Command::Grant(args) => permission::grant(&settings, args).await,
            Command::Revoke(args) => permission::revoke(&settings, args).await,
            Command::Check(args) => permission::check(&settings, args).await,
            Command::Exists(args) => exists::run(&settings, args).await,
            Command::ListConnections(args) => list_connections::run(&settings, args).await,
            Command::Api(args) => api::run(&settings, args).await,
            Command::Emulator(args) => emulator::run(&settings, args).await,
            Command::Demo => demo::run(&settings).await,
            Command::Listen(args) => listen::run(&settings, args, wait).await,
            Command::Client(args) => client::run(&settings, args, wait).await,
            Command::Token(args) => token::run(&settings, args).await,
            Command::Profile(args) => profile::run(&settings, &global, args.command).await,
            Command::Generate(args) => generate::run(args),
        }
    })
}
