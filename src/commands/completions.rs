//! `wps completions SHELL`: the completion script on stdout, for people who installed with
//! `cargo install` and have no checkout's `completions/`. The script is the committed one:
//! both come from [`generate::write_completions`](super::generate::write_completions).

use anyhow::Result;

use super::{generate, ExitStatus, SUCCESS};
use crate::cli::CompletionsArgs;

pub fn run(args: CompletionsArgs) -> Result<ExitStatus> {
    let CompletionsArgs { shell } = args;
    generate::write_completions(shell, &mut std::io::stdout().lock())?;
    Ok(SUCCESS)
}
