//! What the requested api-version allows: an operation or a parameter added later is
//! refused as the service refuses it, and the parameters whose checks come with their
//! version (`filter`, `messageTtlSeconds`). Apart so the versioning rules read in one place.
//! Imports `params` and `answer`.

use super::answer::Result;
use super::params::{parse_filter, Query};
use crate::emulator::errors::{bad_request, unsupported_api_version};
use crate::emulator::filter::Filter;

/// `messageTtlSeconds` upper bound (0 = never expires).
const MAX_TTL_SECONDS: u32 = 300;

/// What the requested api-version allows: an operation added later is refused as the
/// service's API versioning refuses it (400), and so is a parameter added later.
pub(super) struct Gate<'a> {
    pub(super) version: &'a str,
    /// The request's URL, which the refusal quotes.
    pub(super) url: &'a str,
}

impl Gate<'_> {
    // api-versions are ISO dates, so they order as strings.
    pub(super) fn operation(&self, since: &str) -> Result<()> {
        if self.version < since {
            Err(unsupported_api_version(self.url, self.version))
        } else {
            Ok(())
        }
    }

    pub(super) fn parameter(&self, since: &str, name: &str) -> Result<()> {
        if self.version < since {
            Err(bad_request(format!(
                "The parameter '{name}' needs api-version {since} or later; this request uses {}.",
                self.version
            )))
        } else {
            Ok(())
        }
    }

    pub(super) fn filter(&self, query: &Query) -> Result<Option<Filter>> {
        if query.get("filter").is_some() {
            self.parameter("2022-11-01", "filter")?;
        }
        parse_filter(query.get("filter"), "filter")
    }

    /// `messageTtlSeconds`: an integer 0-300. Delivery here is immediate, so any valid TTL
    /// is already met.
    pub(super) fn ttl(&self, query: &Query) -> Result<()> {
        let Some(raw) = query.get("messageTtlSeconds") else {
            return Ok(());
        };
        self.parameter("2024-01-01", "messageTtlSeconds")?;
        match raw.parse::<u32>() {
            Ok(n) if n <= MAX_TTL_SECONDS => Ok(()),
            _ => Err(bad_request(format!(
                "Invalid messageTtlSeconds '{raw}': it must be an integer from 0 to {MAX_TTL_SECONDS}."
            ))),
        }
    }
}
