//! Exposes the target triple to the crate, for `wps --version`.

fn main() {
    // Cargo always sets TARGET for build scripts; fall back rather than fail a build.
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=WPS_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
