//! Engine.IO v4 packets: what the WebSocket and long-polling transports carry.
//!
//! A packet is a type digit and its data. Over WebSocket each packet is one frame: a text
//! frame holds the digit and text, a binary frame is a `message` packet's bytes alone. Over
//! long-polling a body holds one or more packets joined by the record separator `\x1e`, a
//! binary `message` written `b` and its bytes in base64. Both forms are read here into one
//! [`Packet`] type, and written back from it.

use base64::Engine as _;
use bytes::Bytes;

/// The separator between packets in a long-polling body.
pub(crate) const SEPARATOR: char = '\x1e';

/// An Engine.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

impl Kind {
    fn digit(self) -> char {
        match self {
            Kind::Open => '0',
            Kind::Close => '1',
            Kind::Ping => '2',
            Kind::Pong => '3',
            Kind::Message => '4',
            Kind::Upgrade => '5',
            Kind::Noop => '6',
        }
    }

    fn from_digit(c: u8) -> Option<Kind> {
        Some(match c {
            b'0' => Kind::Open,
            b'1' => Kind::Close,
            b'2' => Kind::Ping,
            b'3' => Kind::Pong,
            b'4' => Kind::Message,
            b'5' => Kind::Upgrade,
            b'6' => Kind::Noop,
            _ => return None,
        })
    }
}

/// A packet's data: text after the type digit, or a binary message's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Data {
    Text(String),
    Binary(Bytes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packet {
    pub kind: Kind,
    pub data: Data,
}

/// Input that is not Engine.IO: the connection is closed for it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

impl Packet {
    pub fn text(kind: Kind, text: impl Into<String>) -> Packet {
        Packet {
            kind,
            data: Data::Text(text.into()),
        }
    }

    pub fn bare(kind: Kind) -> Packet {
        Packet::text(kind, String::new())
    }

    pub fn binary(bytes: Bytes) -> Packet {
        Packet {
            kind: Kind::Message,
            data: Data::Binary(bytes),
        }
    }

    /// What the packet counts against a queue's byte bound.
    pub fn size(&self) -> usize {
        1 + match &self.data {
            Data::Text(t) => t.len(),
            Data::Binary(b) => b.len(),
        }
    }

    /// A text WebSocket frame's packet.
    pub fn from_text(frame: &str) -> Result<Packet, Malformed> {
        let (&first, _) = frame
            .as_bytes()
            .split_first()
            .ok_or(Malformed("an empty packet"))?;
        let kind = Kind::from_digit(first).ok_or(Malformed("an unknown packet type"))?;
        Ok(Packet::text(kind, &frame[1..]))
    }

    /// The packet as one long-polling record (also a text WebSocket frame, but for binary).
    pub fn encode_record(&self, out: &mut String) {
        match &self.data {
            Data::Text(t) => {
                out.push(self.kind.digit());
                out.push_str(t);
            }
            Data::Binary(b) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(b, out);
            }
        }
    }

    /// The text of a WebSocket text frame; None for a binary message (sent as its bytes).
    pub fn ws_text(&self) -> Option<String> {
        match &self.data {
            Data::Text(t) => {
                let mut out = String::with_capacity(1 + t.len());
                out.push(self.kind.digit());
                out.push_str(t);
                Some(out)
            }
            Data::Binary(_) => None,
        }
    }
}

/// Whether a payload from the hub is one Socket.IO `EVENT` (`42...`) that a connection's
/// session passes on untouched: over WebSocket it is then one text frame holding the payload
/// as it is, which the hub's fan-out may write straight to an idle client's socket. Not a
/// payload of several packets, a binary event (`45`, attachments follow), a `DISCONNECT`
/// (`41`, which the session acts on) nor a close (`1`).
pub(crate) fn is_lone_event(payload: &[u8]) -> bool {
    payload.starts_with(b"42")
        && !payload.contains(&(SEPARATOR as u8))
        && std::str::from_utf8(payload).is_ok()
}

/// A long-polling body (or a payload a server sent over REST): its packets in order.
pub(crate) fn decode_payload(body: &str) -> Result<Vec<Packet>, Malformed> {
    body.split(SEPARATOR)
        .map(|record| match record.strip_prefix('b') {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(|b| Packet::binary(b.into()))
                .map_err(|_| Malformed("a binary packet that is not base64")),
            None => Packet::from_text(record),
        })
        .collect()
}

/// Packets as one long-polling body.
pub(crate) fn encode_payload(packets: &[Packet]) -> String {
    let mut out = String::with_capacity(packets.iter().map(|p| p.size() * 4 / 3 + 2).sum());
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        p.encode_record(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips_text_and_binary() {
        let packets = vec![
            Packet::text(Kind::Message, "hello"),
            Packet::binary(Bytes::from_static(&[1, 2, 3, 4])),
            Packet::bare(Kind::Ping),
        ];
        let body = encode_payload(&packets);
        assert_eq!(body, "4hello\x1ebAQIDBA==\x1e2");
        assert_eq!(decode_payload(&body), Ok(packets));
    }

    #[test]
    fn only_a_lone_event_is_its_own_websocket_frame() {
        for event in [
            &br#"42["ev","x"]"#[..],
            br#"42/chat,["ev"]"#,
            br#"42/chat,7["ev"]"#,
        ] {
            assert!(is_lone_event(event));
            let text = std::str::from_utf8(event).unwrap();
            let packets = decode_payload(text).unwrap();
            assert_eq!(packets.len(), 1);
            assert_eq!(packets[0].ws_text().as_deref(), Some(text));
        }
        let others = [
            &b"41"[..],
            b"41/chat,{\"close\":true}",
            b"1",
            b"40",
            br#"451-["ev",{"_placeholder":true,"num":0}]"#,
            b"42[\"a\"]\x1e42[\"b\"]",
            b"43/chat,1[]",
            b"42\xff",
            b"4",
            b"",
        ];
        for other in others {
            assert!(!is_lone_event(other), "{other:?}");
        }
    }

    #[test]
    fn what_is_not_engine_io_is_malformed() {
        assert!(decode_payload("").is_err(), "an empty body");
        assert!(decode_payload("4a\x1e").is_err(), "an empty record");
        assert!(decode_payload("9x").is_err(), "an unknown type");
        assert!(decode_payload("b!!").is_err(), "bad base64");
        assert_eq!(
            Packet::from_text("2probe"),
            Ok(Packet::text(Kind::Ping, "probe"))
        );
        assert_eq!(
            Packet::text(Kind::Pong, "probe").ws_text().as_deref(),
            Some("3probe")
        );
        assert_eq!(Packet::binary(Bytes::new()).ws_text(), None);
    }
}
