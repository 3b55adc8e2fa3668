//! The line language of `wps client`: `join G`, `send G TEXT`, a typed `{...}` frame and
//! the rest (see [`HELP`]), turned into the protocol frames the SDKs send, each with its
//! ackId. Pure: no I/O, so every command's frame is tested here.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::operations;
use crate::client::proto::json::upstream_from_json;

/// The commands, for `help` and tab completion.
pub(super) const COMMANDS: [&str; 8] = [
    "join",
    "leave",
    "send",
    "send-json",
    "event",
    "event-json",
    "help",
    "quit",
];

pub(super) const HELP: &str = "\
commands, one a line:
  join GROUP              join a group
  leave GROUP             leave a group
  send GROUP TEXT         send text to a group
  send-json GROUP JSON    send JSON to a group
  event NAME TEXT         send a user event with text to the event handler
  event-json NAME JSON    the same with JSON
  {...}                   send this protocol frame as it is
  help                    this list
  quit                    end, as Ctrl-D does: wait for the acks, then close
Each request carries an ackId; its ack is printed when it comes.";

/// What one input line asks for.
#[derive(Debug, PartialEq)]
pub(super) enum Parsed {
    /// A blank line or a `#` comment.
    Nothing,
    Help,
    Quit,
    /// A text frame to send, and the ack to wait for: its id and the command, e.g. "join g1".
    Send {
        frame: String,
        ack: Option<(u64, String)>,
    },
}

/// A client frame, fields in the order the SDKs send them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    ack_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_type: Option<&'static str>,
    /// JSON as typed (kept exactly), or a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Box<RawValue>>,
}

/// Reads one line: on a raw connection it is the frame; otherwise a command (see [`HELP`]).
/// The ack id is taken from `next_ack` only for a frame that will be sent.
pub(super) fn parse_line(line: &str, raw: bool, next_ack: &mut u64) -> Result<Parsed, String> {
    if raw {
        return Ok(Parsed::Send {
            frame: line.to_string(),
            ack: None,
        });
    }
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Parsed::Nothing);
    }
    if line.starts_with('{') {
        return protocol_frame(line, next_ack);
    }
    let (command, rest) = split_word(line);
    let (target, data) = split_word(rest);
    let (kind, text) = match command {
        "help" => return Ok(Parsed::Help),
        "quit" | "exit" => return Ok(Parsed::Quit),
        "join" | "leave" => {
            if target.is_empty() || !data.is_empty() {
                return Err(format!("usage: {command} GROUP (one word)"));
            }
            group_name(target)?;
            let kind = if command == "join" {
                "joinGroup"
            } else {
                "leaveGroup"
            };
            let frame = Frame {
                kind,
                group: Some(target),
                event: None,
                ack_id: *next_ack,
                data_type: None,
                data: None,
            };
            return Ok(send(frame, format!("{command} {target}"), next_ack));
        }
        "send" => ("sendToGroup", true),
        "send-json" => ("sendToGroup", false),
        "event" => ("event", true),
        "event-json" => ("event", false),
        other => return Err(format!("unknown command '{other}'")),
    };
    let usage = match command {
        "send" => "usage: send GROUP TEXT",
        "send-json" => "usage: send-json GROUP JSON",
        "event" => "usage: event NAME TEXT",
        _ => "usage: event-json NAME JSON",
    };
    if target.is_empty() {
        return Err(usage.to_string());
    }
    let data = if text {
        serde_json::value::to_raw_value(data).map_err(|e| e.to_string())?
    } else {
        if data.is_empty() {
            return Err(usage.to_string());
        }
        RawValue::from_string(data.to_string()).map_err(|e| format!("invalid JSON: {e}"))?
    };
    let (group, event) = if kind == "event" {
        (None, Some(target))
    } else {
        group_name(target)?;
        (Some(target), None)
    };
    let frame = Frame {
        kind,
        group,
        event,
        ack_id: *next_ack,
        data_type: Some(if text { "text" } else { "json" }),
        data: Some(data),
    };
    let what = format!("{} {target}", command.trim_end_matches("-json"));
    Ok(send(frame, what, next_ack))
}

fn send(frame: Frame<'_>, what: String, next_ack: &mut u64) -> Parsed {
    let id = frame.ack_id;
    *next_ack += 1;
    Parsed::Send {
        // A struct of strings and raw JSON always serialises.
        frame: serde_json::to_string(&frame).unwrap_or_default(),
        ack: Some((id, what)),
    }
}

/// A line starting with `{`: sent as typed once it is a JSON object; an `ackId` in it is
/// waited for, and later commands number after it.
fn protocol_frame(line: &str, next_ack: &mut u64) -> Result<Parsed, String> {
    let object: serde_json::Map<String, Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let ack = object.get("ackId").and_then(Value::as_u64).map(|id| {
        *next_ack = (*next_ack).max(id.saturating_add(1));
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("frame");
        (id, kind.to_string())
    });
    Ok(Parsed::Send {
        frame: line.to_string(),
        ack,
    })
}

/// Whether a frame can go out on a protobuf connection: the protobuf request it stands for
/// (joinGroup, leaveGroup, sendToGroup, event, sequenceAck, ping; text, json or binary data).
pub(super) fn protobuf_form(frame: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(frame).map_err(|e| format!("not JSON: {e}"))?;
    upstream_from_json(&value)
        .map(drop)
        .map_err(|e| format!("not sendable as protobuf: {e}"))
}

fn group_name(group: &str) -> Result<(), String> {
    operations::validate_group(group).map_err(|e| e.to_string())
}

/// The first word and the rest, whitespace between them dropped.
fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Parsed, String> {
        let mut next = 1;
        parse_line(line, false, &mut next)
    }

    fn frame(line: &str) -> (String, Option<(u64, String)>) {
        match parse(line) {
            Ok(Parsed::Send { frame, ack }) => (frame, ack),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn commands_become_the_sdk_frames() {
        assert_eq!(
            frame("join g1"),
            (
                r#"{"type":"joinGroup","group":"g1","ackId":1}"#.into(),
                Some((1, "join g1".into()))
            )
        );
        assert_eq!(
            frame("  leave g1 ").0,
            r#"{"type":"leaveGroup","group":"g1","ackId":1}"#
        );
        assert_eq!(
            frame("send g1 hello  world ").0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"text","data":"hello  world"}"#
        );
        assert_eq!(
            frame("send g1").0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"text","data":""}"#
        );
        // JSON is sent exactly as typed.
        assert_eq!(
            frame(r#"send-json g1 {"b": 1.50, "a": [1e3]}"#).0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"json","data":{"b": 1.50, "a": [1e3]}}"#
        );
        assert_eq!(
            frame(r#"event greet "quoted" \ text"#).0,
            r#"{"type":"event","event":"greet","ackId":1,"dataType":"text","data":"\"quoted\" \\ text"}"#
        );
        assert_eq!(
            frame(r#"event-json order {"id":7}"#),
            (
                r#"{"type":"event","event":"order","ackId":1,"dataType":"json","data":{"id":7}}"#
                    .into(),
                Some((1, "event order".into()))
            )
        );
    }

    #[test]
    fn ack_ids_count_up_and_follow_a_typed_frame() {
        let mut next = 1;
        let mut id = |line: &str| match parse_line(line, false, &mut next) {
            Ok(Parsed::Send { ack, .. }) => ack.map(|a| a.0),
            other => panic!("{other:?}"),
        };
        assert_eq!(id("join a"), Some(1));
        assert_eq!(id("send a x"), Some(2));
        assert_eq!(
            id(r#"{"type":"joinGroup","group":"b","ackId":40}"#),
            Some(40)
        );
        assert_eq!(id(r#"{"type":"sequenceAck","sequenceId":3}"#), None);
        assert_eq!(id("leave a"), Some(41));
        // A refused line takes no id.
        assert!(parse_line("send", false, &mut next).is_err());
        assert_eq!(next, 42);
    }

    #[test]
    fn other_lines() {
        assert_eq!(parse(""), Ok(Parsed::Nothing));
        assert_eq!(parse("   # a comment"), Ok(Parsed::Nothing));
        assert_eq!(parse("help"), Ok(Parsed::Help));
        assert_eq!(parse("quit"), Ok(Parsed::Quit));
        for bad in [
            "jion g1",
            "join",
            "join a b",
            "send",
            "send-json g1",
            "send-json g1 {bad",
            "event-json e",
            "{not json",
            "[1]",
            "join    ",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // On a raw connection every line is a frame, as typed.
        let mut next = 1;
        assert_eq!(
            parse_line(" join g1 ", true, &mut next),
            Ok(Parsed::Send {
                frame: " join g1 ".into(),
                ack: None
            })
        );
        assert_eq!(next, 1);
    }

    #[test]
    fn protobuf_needs_a_protobuf_request() {
        let (join, _) = frame("join g1");
        assert_eq!(protobuf_form(&join), Ok(()));
        let (send, _) = frame("send-json g1 {\"n\": 1}");
        assert_eq!(protobuf_form(&send), Ok(()));
        let typed = r#"{"type":"sendToConnection","connectionId":"c","ackId":9}"#;
        assert!(protobuf_form(typed)
            .unwrap_err()
            .contains("no protobuf request for type 'sendToConnection'"));
    }
}
