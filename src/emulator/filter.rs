//! OData `$filter` over connections (`userId`, `connectionId`, `groups`).

use super::state::ConnEntry;

#[derive(Debug, Clone)]
pub struct Filter {}

impl Filter {
    pub fn parse(_input: &str) -> Result<Self, String> {
        Err("filters are not supported by this emulator build".into())
    }

    pub fn matches(&self, _conn: &ConnEntry) -> bool {
        false
    }
}
