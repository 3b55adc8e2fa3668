//! Socket.IO v5 packets, read from an Engine.IO `message`'s text:
//! `<type>[<attachments>-][/<namespace>,][<ack id>][<JSON data>]`.
//!
//! The emulator reads each packet the client sends (a malformed one closes the connection,
//! as socket.io's own server does) but keeps only what it acts on: the type, the namespace,
//! and how many binary attachments follow. Their JSON is checked to be what the type allows,
//! then relayed as it came.

use serde_json::Value;

use super::engine::Malformed;

/// Most binary attachments one packet may announce; each is a frame of its own, held until
/// the last one arrives.
pub(crate) const MAX_ATTACHMENTS: usize = 32;
/// The longest namespace name taken.
const MAX_NAMESPACE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

/// What the emulator reads of one Socket.IO packet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: Type,
    /// `/` when the packet names none.
    pub namespace: String,
    /// Binary attachments that follow (binary types only).
    pub attachments: usize,
    /// The ack id, when the packet has one.
    pub id: Option<u64>,
    /// The data's JSON text (after the namespace and ack id), empty when there is none.
    pub data: String,
}

/// Reads a packet the client sent.
pub(crate) fn parse(text: &str) -> Result<Header, Malformed> {
    let bytes = text.as_bytes();
    let kind = match bytes.first() {
        Some(b'0') => Type::Connect,
        Some(b'1') => Type::Disconnect,
        Some(b'2') => Type::Event,
        Some(b'3') => Type::Ack,
        Some(b'4') => Type::ConnectError,
        Some(b'5') => Type::BinaryEvent,
        Some(b'6') => Type::BinaryAck,
        _ => return Err(Malformed("an unknown Socket.IO packet type")),
    };
    let mut rest = &text[1..];
    let mut attachments = 0;
    if matches!(kind, Type::BinaryEvent | Type::BinaryAck) {
        let (count, after) = rest
            .split_once('-')
            .ok_or(Malformed("a binary packet without its attachment count"))?;
        attachments = count
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_ATTACHMENTS).contains(n))
            .ok_or(Malformed("a bad attachment count"))?;
        rest = after;
    }
    let mut namespace = "/".to_string();
    if rest.starts_with('/') {
        let (nsp, after) = rest.split_once(',').unwrap_or((rest, ""));
        if nsp.len() > MAX_NAMESPACE {
            return Err(Malformed("a namespace name too long"));
        }
        namespace = nsp.to_string();
        rest = after;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = match digits {
        0 => None,
        _ => Some(
            rest[..digits]
                .parse::<u64>()
                .map_err(|_| Malformed("an ack id out of range"))?,
        ),
    };
    let has_id = id.is_some();
    let data = &rest[digits..];
    let value: Option<Value> = if data.is_empty() {
        None
    } else {
        Some(serde_json::from_str(data).map_err(|_| Malformed("packet data that is not JSON"))?)
    };
    let fits = match (kind, &value) {
        (Type::Connect, None | Some(Value::Object(_))) => !has_id,
        (Type::Disconnect, None) => !has_id,
        (Type::Event | Type::BinaryEvent, Some(Value::Array(a))) => {
            a.first().is_some_and(|e| e.is_string() || e.is_number())
        }
        (Type::Ack | Type::BinaryAck, Some(Value::Array(_))) => has_id,
        (Type::ConnectError, Some(Value::Object(_) | Value::String(_))) => !has_id,
        _ => false,
    };
    if !fits {
        return Err(Malformed("packet data its type does not take"));
    }
    Ok(Header {
        kind,
        namespace,
        attachments,
        id,
        data: data.to_string(),
    })
}

/// A packet the emulator writes: the type digit, the namespace unless it is `/`, the data.
pub(crate) fn encode(kind: Type, namespace: &str, data: &str) -> String {
    let digit = match kind {
        Type::Connect => '0',
        Type::Disconnect => '1',
        Type::Event => '2',
        Type::Ack => '3',
        Type::ConnectError => '4',
        Type::BinaryEvent => '5',
        Type::BinaryAck => '6',
    };
    let mut out = String::with_capacity(2 + namespace.len() + data.len());
    out.push(digit);
    if namespace != "/" {
        out.push_str(namespace);
        out.push(',');
    }
    out.push_str(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_of_every_type_are_read() {
        let h = parse(r#"0{"token":"t"}"#).expect("connect");
        assert_eq!((h.kind, h.namespace.as_str()), (Type::Connect, "/"));
        assert_eq!(h.data, r#"{"token":"t"}"#);
        let h = parse("0/admin,").expect("connect to a namespace");
        assert_eq!((h.kind, h.namespace.as_str()), (Type::Connect, "/admin"));
        assert_eq!(
            parse("1/admin,").expect("disconnect").kind,
            Type::Disconnect
        );
        let h = parse(r#"2/chat,12["msg",1]"#).expect("event with ack");
        assert_eq!((h.kind, h.namespace.as_str()), (Type::Event, "/chat"));
        assert_eq!((h.id, h.data.as_str()), (Some(12), r#"["msg",1]"#));
        assert_eq!(parse(r#"2["msg"]"#).expect("event").id, None);
        assert_eq!(parse(r#"312["ok"]"#).expect("ack").kind, Type::Ack);
        let h = parse(r#"52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            .expect("binary event");
        assert_eq!((h.kind, h.attachments), (Type::BinaryEvent, 2));
        assert_eq!(
            parse(r#"61-/x,3[{"_placeholder":true,"num":0}]"#)
                .expect("binary ack")
                .attachments,
            1
        );
        assert_eq!(
            encode(Type::Connect, "/", r#"{"sid":"a"}"#),
            r#"0{"sid":"a"}"#
        );
        assert_eq!(encode(Type::Disconnect, "/admin", ""), "1/admin,");
    }

    #[test]
    fn malformed_packets_are_refused() {
        for bad in [
            "",
            "9",
            "2",
            "2[]",
            "2{}",
            r#"2["a""#,
            "3[]",
            r#"0["x"]"#,
            "1{}",
            r#"5["a"]"#,
            r#"50-["a"]"#,
            r#"5999-["a"]"#,
            r#"2/chat,99999999999999999999999["a"]"#,
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was taken");
        }
        let long = format!("0/{},", "n".repeat(MAX_NAMESPACE));
        assert!(parse(&long).is_err());
    }
}
