//! Names in paths: the service's rules for hub and group names and ids, checked before
//! anything is sent, and the percent-encoding the SDK applies to each segment and query value.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::client::ClientError;

/// Everything but `A-Z a-z 0-9 - . _ ~` is escaped, in paths and query values alike.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value the way the SDK does.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, ESCAPE).to_string()
}

/// The service's hub name rule: `^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$`. The emulator applies
/// the same rule, so the two cannot drift apart.
pub fn is_valid_hub_name(hub: &str) -> bool {
    let mut chars = hub.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && hub.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || "_`,.[]".contains(c))
}

/// The service's group name rule: 1-1024 characters, not only whitespace.
pub fn is_valid_group_name(group: &str) -> bool {
    let n = group.chars().count();
    n > 0 && n <= 1024 && !group.trim().is_empty()
}

/// Hub names: a letter, then up to 127 of `A-Z a-z 0-9 _ ` , . [ ]`.
pub fn validate_hub(hub: &str) -> Result<(), ClientError> {
    if is_valid_hub_name(hub) {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!(
            "invalid hub name '{hub}': it must start with a letter and have at most 128 of A-Z a-z 0-9 _ ` , . [ ]"
        )))
    }
}

/// Group names: 1–1024 characters, not only whitespace.
pub fn validate_group(group: &str) -> Result<(), ClientError> {
    if !is_valid_group_name(group) {
        return Err(ClientError::Invalid(format!(
            "invalid group name '{}': it must have 1-1024 characters, not only whitespace",
            group.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

/// User and connection ids: at least one character.
pub fn validate_id(what: &str, id: &str) -> Result<(), ClientError> {
    if id.is_empty() {
        return Err(ClientError::Invalid(format!(
            "invalid {what}: it must not be empty"
        )));
    }
    Ok(())
}

/// A permission a connection can be granted on one group or on every group; the path
/// segment of the `permissions/{permission}` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// May publish to the group (`sendToGroup`).
    SendToGroup,
    /// May join and leave the group itself (`joinLeaveGroup`).
    JoinLeaveGroup,
}

impl Permission {
    /// The name as it appears in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::SendToGroup => "sendToGroup",
            Permission::JoinLeaveGroup => "joinLeaveGroup",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_sdk() {
        assert_eq!(encode("team #1/a?b"), "team%20%231%2Fa%3Fb");
        assert_eq!(encode("user 1/é"), "user%201%2F%C3%A9");
        assert_eq!(encode("userId ne 'u1'"), "userId%20ne%20%27u1%27");
        assert_eq!(encode("a-b.c_d~"), "a-b.c_d~");
    }
}
