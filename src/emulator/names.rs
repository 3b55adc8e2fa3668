//! Name rules for hubs, groups, users, connections and client events: one place for REST and
//! clients.
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

/// The longest event name a client may raise.
const MAX_EVENT_NAME: usize = 128;

/// An event a client raises (`event` messages, JSON or protobuf): an ASCII letter, then up to
/// 127 ASCII letters, digits, `_`, `.` or `-`. No service document states a rule; this is
/// the official emulator's (`WebPubSubNameValidator.IsValidEventName`), which closes the
/// connection with 1007 on any other name, as the emulator here does.
pub(crate) fn event(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= MAX_EVENT_NAME;
    if valid {
        Ok(())
    } else {
        Err(format!(
            "Invalid event name: it must match ^[A-Za-z][A-Za-z0-9_.-]{{0,{}}}$.",
            MAX_EVENT_NAME - 1
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_follow_the_official_emulators_rule() {
        let longest = format!("e{}", "x".repeat(MAX_EVENT_NAME - 1));
        for ok in [
            "a",
            "Z",
            "message",
            "my-event.v2_final",
            "A1",
            longest.as_str(),
        ] {
            assert!(event(ok).is_ok(), "{ok}");
        }
        let too_long = format!("{longest}x");
        for bad in [
            "",
            "1event",
            "_e",
            "-e",
            ".e",
            "my event",
            "e/f",
            "e:f",
            "café",
            "ëvent",
            "e\u{0}",
            too_long.as_str(),
        ] {
            assert!(event(bad).is_err(), "{bad:?}");
        }
    }
}
