//! Socket.IO namespaces and rooms as the hub's groups, read back: the extension names a room's
//! group `0~` + the namespace in base64url + `~` + the room in base64url, and a namespace's own
//! group (its sockets) the same with no room (`session::namespace_group`). The dashboard and
//! `-v` show these by name; REST users still need the group's own name, so it is kept beside.

use base64::Engine as _;

/// What a Socket.IO group stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Room {
    pub namespace: String,
    /// None for the namespace's own group.
    pub room: Option<String>,
}

impl std::fmt::Display for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "namespace {}", self.namespace)?;
        match &self.room {
            Some(room) => write!(f, ", room {room}"),
            None => Ok(()),
        }
    }
}

/// The namespace and room a group stands for, when its name has the extension's form (both
/// parts base64url of UTF-8 text, the namespace starting with `/`).
pub(crate) fn of_group(group: &str) -> Option<Room> {
    let rest = group.strip_prefix("0~")?;
    let (namespace, room) = rest.split_once('~')?;
    let namespace = decode(namespace)?;
    if !namespace.starts_with('/') {
        return None;
    }
    let room = match room {
        "" => None,
        r => Some(decode(r)?),
    };
    Some(Room { namespace, room })
}

/// Base64url (the extension writes no padding; padding is taken too).
fn decode(part: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_the_extensions_form_are_read_back() {
        let ns = |n: &str, r: Option<&str>| Room {
            namespace: n.into(),
            room: r.map(Into::into),
        };
        assert_eq!(of_group("0~Lw~"), Some(ns("/", None)));
        assert_eq!(
            of_group(&super::super::session::namespace_group("/chat")),
            Some(ns("/chat", None))
        );
        assert_eq!(
            of_group("0~L2NoYXQ~bG9iYnk"),
            Some(ns("/chat", Some("lobby")))
        );
        assert_eq!(
            of_group("0~Lw~bG9iYnk=").map(|r| r.to_string()).as_deref(),
            Some("namespace /, room lobby")
        );
        for other in ["room1", "0~", "0~Lw", "1~Lw~", "0~!!~", "0~YQ~", "0~Lw~/w"] {
            assert_eq!(of_group(other), None, "{other}");
        }
    }
}
