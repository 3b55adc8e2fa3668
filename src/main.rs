use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = wps::cli::parse();
    match wps::commands::run(cli) {
        Ok(code) => code.into(),
        Err(err) => wps::error::report(&err).into(),
    }
}
