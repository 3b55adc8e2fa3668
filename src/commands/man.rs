//! `wps man [DIR]`: wps.1 on stdout, or every page into DIR, for people who installed with
//! `cargo install` and have no checkout's `man/`. The pages are the committed ones: both come
//! from [`generate`](super::generate).

use anyhow::Result;

use super::{generate, ExitStatus, SUCCESS};
use crate::cli::ManArgs;
use crate::term::Printer;

pub fn run(printer: &Printer, args: ManArgs) -> Result<ExitStatus> {
    let ManArgs { dir } = args;
    match dir {
        None => generate::write_top_page(&mut std::io::stdout().lock())?,
        Some(dir) => {
            for path in generate::write_man_pages(&dir)? {
                printer.status(format_args!("wrote {}", path.display()));
            }
        }
    }
    Ok(SUCCESS)
}
