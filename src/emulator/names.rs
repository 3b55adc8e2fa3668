//! Name rules for hubs, groups, users and connections: one place for REST and clients.
//!
//! Hub and group rules are the client's own (`client::operations`), so `wps` refuses locally
//! exactly what the emulator would refuse.

use crate::client::operations::{is_valid_group_name, is_valid_hub_name};

/// Why a name was refused, as the 400 body says it.
pub(crate) type NameError = String;

pub(crate) fn hub(hub: &str) -> Result<(), NameError> {
    if is_valid_hub_name(hub) {
        Ok(())
    } else {
        Err(format!(
            "Invalid hub name '{hub}': it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{{0,127}}$."
        ))
    }
}

/// REST bodies do not repeat the group (it can be 1024 characters); client acks show a prefix.
pub(crate) fn group(group: &str) -> Result<(), NameError> {
    if is_valid_group_name(group) {
        Ok(())
    } else {
        Err("Invalid group name: it must have 1-1024 characters and not be only whitespace.".into())
    }
}

/// User and connection ids: anything but empty.
pub(crate) fn id(id: &str, what: &str) -> Result<(), NameError> {
    if id.is_empty() {
        Err(format!("Invalid {what}: it must not be empty."))
    } else {
        Ok(())
    }
}
