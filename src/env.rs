//! The process environment, read through a function so tests can pass their own.

/// Reads one environment variable; tests pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable of this process; set-but-empty counts as unset, as it does for NO_COLOR and
/// for a CI step that blanks a secret it does not have.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
