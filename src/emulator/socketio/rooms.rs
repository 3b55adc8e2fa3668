//! Socket.IO namespaces and rooms as the hub's groups, both ways: the extension names a room's
//! group `0~` + the namespace in base64url + `~` + the room in base64url ([`room_group`]), and
//! a namespace's own group (its sockets) the same with no room ([`namespace_group`]); a socket
//! is in the room named by its id ([`socket_id`]). The dashboard and `-v` read groups back
//! ([`of_group`]) to show them by name; REST users still need the group's own name, so it is
//! kept beside. A leaf: the sessions, serverless mode and the dashboard all name groups here.

use base64::Engine as _;

/// The hub group of a namespace's sockets: `0~` + the namespace in base64url + `~`, the
/// form the Socket.IO extension's adapter filters on (`'0~Lw~' in groups` for `/`).
pub(crate) fn namespace_group(namespace: &str) -> String {
    let mut group = "0~".to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(namespace, &mut group);
    group.push('~');
    group
}

/// The hub group of a room: `0~` + base64url(namespace) + `~` + base64url(room).
pub(crate) fn room_group(namespace: &str, room: &str) -> String {
    let mut group = namespace_group(namespace);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(room, &mut group);
    group
}

/// A Socket.IO socket id: 20 random base64url characters, as socket.io makes them.
pub(crate) fn socket_id() -> String {
    let bytes: [u8; 15] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

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
    fn groups_are_the_extensions_and_the_specs() {
        // The extension's namespace groups, and the serverless specification's examples.
        assert_eq!(namespace_group("/"), "0~Lw~");
        assert_eq!(namespace_group("/chat"), "0~L2NoYXQ~");
        assert_eq!(room_group("/", "rm"), "0~Lw~cm0");
        assert_eq!(room_group("/ns", "rm"), "0~L25z~cm0");
        assert_eq!(room_group("/ns", "socketId"), "0~L25z~c29ja2V0SWQ");
        assert_eq!(namespace_group("/ns"), "0~L25z~");
        let id = socket_id();
        assert_eq!(id.len(), 20);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(id, socket_id());
    }

    #[test]
    fn groups_of_the_extensions_form_are_read_back() {
        let ns = |n: &str, r: Option<&str>| Room {
            namespace: n.into(),
            room: r.map(Into::into),
        };
        assert_eq!(of_group("0~Lw~"), Some(ns("/", None)));
        assert_eq!(of_group(&namespace_group("/chat")), Some(ns("/chat", None)));
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
