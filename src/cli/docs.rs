//! `completions`, `man` and the hidden `generate`: the commands that print the generated
//! completion scripts and man pages.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: GenerateWhat,
}

#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// Completion script for a shell: to DIR under its usual file name, else to stdout
    Completions {
        shell: clap_complete::Shell,
        dir: Option<PathBuf>,
    },
    /// Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR
    Man { dir: PathBuf },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page into this directory (created if missing) instead of printing wps.1
    pub dir: Option<PathBuf>,
}
