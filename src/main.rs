use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = wps::cli::parse();
    let printer = wps::settings::printer(&cli.global, &wps::env::process_env);
    match wps::commands::run(cli, &printer) {
        Ok(code) => code.into(),
        Err(err) => wps::error::report(&printer, &err).into(),
    }
}
