//! `wps tunnel`'s options.

use clap::Args;

#[derive(Debug, Args)]
pub struct TunnelArgs {
    /// The local server to forward to, e.g. http://localhost:3000 (a path is kept as a prefix)
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Upstream requests running at once; more wait for one to finish
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrency: u32,
}
