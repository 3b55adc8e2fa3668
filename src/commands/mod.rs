//! One module per command; `run` builds the runtime and dispatches.

mod add_to_group;
mod api;
mod bulk;
mod client;
mod close;
mod completions;
mod demo;
mod emulator;
mod exists;
mod generate;
mod list_connections;
mod listen;
mod man;
mod permission;
mod profile;
mod remove_from_group;
mod send;
mod token;
mod tunnel;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::env::process_env;
use crate::settings::Settings;
use crate::term::Printer;

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub u8);

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.0)
    }
}

pub const SUCCESS: ExitStatus = ExitStatus(crate::error::code::OK);

/// Runs the command; everything it prints goes through `printer`.
pub fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus> {
    let Cli { global, command } = cli;
    // These need no settings, so they work with a broken config and an empty environment.
    let command = match command {
        Command::Generate(args) => return generate::run(printer, args),
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(printer, args),
        command => command,
    };
    // A single request needs no worker threads; the emulator serves many clients at once.
    let runtime = match &command {
        Command::Emulator(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    };
    let settings = Settings::resolve(&global, &process_env, *printer)?;
    let s = &settings;
    // `listen` notes a --timeout given, which once bounded its whole wait.
    let timeout_given = global.timeout.is_some();
    runtime.block_on(async move {
        match command {
            Command::SendAll(args) => send::send_all(s, printer, args).await,
            Command::SendGroup(args) => send::send_group(s, printer, args).await,
            Command::SendUser(args) => send::send_user(s, printer, args).await,
            Command::SendConnection(args) => send::send_connection(s, printer, args).await,
            Command::AddToGroup(args) => add_to_group::run(s, printer, args).await,
            Command::RemoveFromGroup(args) => remove_from_group::run(s, printer, args).await,
            Command::Close(args) => close::run(s, printer, args).await,
            Command::Grant(args) => permission::grant(s, printer, args).await,
            Command::Revoke(args) => permission::revoke(s, printer, args).await,
            Command::Check(args) => permission::check(s, printer, args).await,
            Command::Exists(args) => exists::run(s, printer, args).await,
            Command::ListConnections(args) => list_connections::run(s, printer, args).await,
            Command::Api(args) => api::run(s, printer, args).await,
            Command::Emulator(args) => emulator::run(s, printer, args).await,
            Command::Demo => demo::run(s, printer).await,
            Command::Listen(args) => listen::run(s, printer, args, timeout_given).await,
            Command::Client(args) => client::run(s, printer, args).await,
            Command::Token(args) => token::run(s, printer, args).await,
            Command::Tunnel(args) => tunnel::run(s, printer, args).await,
            Command::Profile(args) => profile::run(s, printer, &global, args.command).await,
            Command::Generate(args) => generate::run(printer, args),
            Command::Completions(args) => completions::run(args),
            Command::Man(args) => man::run(printer, args),
        }
    })
}
