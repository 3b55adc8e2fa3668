//! MQTT 3.1.1 and 5.0 packets, read and written with rumqttc's codecs (`mqttbytes::v4` and
//! `v5::mqttbytes::v5`), behind one version-neutral shape: the session deals in what a
//! packet asks, not in two libraries' structs.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::{self as b4, v4};
use rumqttc::v5::mqttbytes::{self as b5, v5};

/// The protocol level a client connected with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V311,
    V5,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V311 => "3.1.1",
            Version::V5 => "5.0",
        }
    }

    /// The CONNECT's protocol level: 4 or 5.
    pub fn level(self) -> u8 {
        match self {
            Version::V311 => 4,
            Version::V5 => 5,
        }
    }
}

/// The last will a client left in CONNECT.
#[derive(Debug, Clone)]
pub(super) struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub retain: bool,
    /// 5.0's Will Delay Interval in seconds (3.1.1: 0, at once).
    pub delay: u32,
}

/// What a CONNECT asks for.
#[derive(Debug)]
pub(super) struct Connect {
    pub version: Version,
    pub client_id: String,
    pub keep_alive: u16,
    pub will: Option<Will>,
    /// 3.1.1's Clean Session, 5.0's Clean Start.
    pub clean_start: bool,
    /// 5.0's Session Expiry Interval in seconds (absent: 0).
    pub session_expiry: Option<u32>,
    pub username: Option<String>,
    pub password: Option<Vec<u8>>,
    /// 5.0 only.
    pub user_properties: Option<Vec<(String, String)>>,
}

/// A client's DISCONNECT (3.1.1's has nothing but its presence).
#[derive(Debug, Clone, Default)]
pub(super) struct ClientDisconnect {
    pub code: u8,
    pub reason: Option<String>,
    /// 5.0 only.
    pub user_properties: Option<Vec<(String, String)>>,
    pub session_expiry: Option<u32>,
}

impl ClientDisconnect {
    /// 5.0's 0x04: disconnect, but publish the will anyway.
    pub fn with_will(&self) -> bool {
        self.code == 0x04
    }
}

/// One packet from the client, whichever version it speaks.
#[derive(Debug)]
pub(super) enum Inbound {
    Connect(Connect),
    Publish(Publish),
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp,
    /// Packet id and (filter, requested QoS) pairs.
    Subscribe(u16, Vec<(String, u8)>),
    Unsubscribe(u16, Vec<String>),
    PingReq,
    Disconnect(ClientDisconnect),
    /// A packet only a server sends, or AUTH (no enhanced authentication here).
    Unexpected(&'static str),
}

/// A PUBLISH either way.
#[derive(Debug, Clone)]
pub(super) struct Publish {
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub pkid: u16,
    pub payload: Bytes,
    /// MQTT 5's Content Type property.
    pub content_type: Option<String>,
    /// MQTT 5's Topic Alias property was set (this service offers none).
    pub topic_alias: bool,
    /// MQTT 5's Correlation Data and User Properties (a user event's reply carries them).
    pub correlation_data: Option<Bytes>,
    pub user_properties: Vec<(String, String)>,
}

/// Why the bytes are not a packet.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The declared length is over the limit.
    TooLarge,
    /// The first packet is a CONNECT for a protocol level we do not speak.
    UnsupportedVersion,
    Malformed(String),
}

fn qos4(q: b4::QoS) -> u8 {
    q as u8
}

fn qos5(q: b5::QoS) -> u8 {
    q as u8
}

fn to_qos4(q: u8) -> b4::QoS {
    match q {
        0 => b4::QoS::AtMostOnce,
        1 => b4::QoS::AtLeastOnce,
        _ => b4::QoS::ExactlyOnce,
    }
}

fn to_qos5(q: u8) -> b5::QoS {
    match q {
        0 => b5::QoS::AtMostOnce,
        1 => b5::QoS::AtLeastOnce,
        _ => b5::QoS::ExactlyOnce,
    }
}

/// The next whole packet in `buf` (consumed), `Ok(None)` while more bytes are needed.
/// `version` is None until CONNECT: then only a CONNECT is read, and its level decides.
pub(super) fn read(
    buf: &mut BytesMut,
    version: Option<Version>,
    max: usize,
) -> Result<Option<Inbound>, ReadError> {
    if buf.is_empty() {
        return Ok(None);
    }
    match version {
        None => read_connect(buf, max),
        Some(Version::V311) => match v4::Packet::read(buf, max) {
            Ok(p) => Ok(Some(from_v4(p))),
            Err(b4::Error::InsufficientBytes(_)) => Ok(None),
            Err(b4::Error::PayloadSizeLimitExceeded(_)) => Err(ReadError::TooLarge),
            Err(e) => Err(ReadError::Malformed(e.to_string())),
        },
        // MQTT 5 §3.14.2.1: a normal DISCONNECT may be just its fixed header, which the
        // codec does not take.
        Some(Version::V5) if buf.starts_with(&[0xE0, 0x00]) => {
            let _ = buf.split_to(2);
            Ok(Some(Inbound::Disconnect(ClientDisconnect {
                user_properties: Some(Vec::new()),
                ..ClientDisconnect::default()
            })))
        }
        Some(Version::V5) => match v5::Packet::read(buf, Some(max as u32)) {
            Ok(p) => Ok(Some(from_v5(p))),
            Err(b5::Error::InsufficientBytes(_)) => Ok(None),
            Err(b5::Error::PayloadSizeLimitExceeded { .. }) => Err(ReadError::TooLarge),
            Err(e) => Err(ReadError::Malformed(e.to_string())),
        },
    }
}

/// The first packet: a CONNECT, read as 5.0 when its level says so, else as 3.1.1.
fn read_connect(buf: &mut BytesMut, max: usize) -> Result<Option<Inbound>, ReadError> {
    // CONNECT is packet type 1 with flags 0 (MQTT-3.1.0-1, 3.1.1 and 5.0 alike).
    if buf[0] != 0x10 {
        return Err(ReadError::Malformed(
            "the first packet must be CONNECT".into(),
        ));
    }
    // The password is Binary Data (MQTT 5 §3.1.3.6; 3.1.1 §3.1.3.5), which the codec reads
    // as a string: it is taken out of the packet first, and the rest goes to the codec.
    let password = take_password(buf).unwrap_or_default();
    // Try 5.0 on a copy (the codec consumes the packet even when it refuses it).
    let mut probe = buf.clone();
    match v5::Packet::read(&mut probe, Some(max as u32)) {
        Ok(p) => {
            *buf = probe;
            return Ok(Some(with_password(from_v5(p), password)));
        }
        Err(b5::Error::InsufficientBytes(_)) => return Ok(None),
        Err(b5::Error::PayloadSizeLimitExceeded { .. }) => return Err(ReadError::TooLarge),
        Err(b5::Error::InvalidProtocolLevel(4)) => {}
        Err(b5::Error::InvalidProtocolLevel(_)) => return Err(ReadError::UnsupportedVersion),
        Err(e) => return Err(ReadError::Malformed(e.to_string())),
    }
    match v4::Packet::read(buf, max) {
        Ok(p) => Ok(Some(with_password(from_v4(p), password))),
        Err(b4::Error::InsufficientBytes(_)) => Ok(None),
        Err(b4::Error::PayloadSizeLimitExceeded(_)) => Err(ReadError::TooLarge),
        Err(e) => Err(ReadError::Malformed(e.to_string())),
    }
}

fn with_password(mut packet: Inbound, password: Option<Vec<u8>>) -> Inbound {
    if let Inbound::Connect(c) = &mut packet {
        c.password = password.filter(|p| !p.is_empty());
    }
    packet
}

/// Not a whole CONNECT (yet), or not one whose fields can be walked: left to the codec,
/// which says which.
struct Incomplete;

/// A variable byte integer at `at` (MQTT 5 §1.5.5): its value and its length.
fn varint(bytes: &[u8], at: usize) -> Result<(usize, usize), Incomplete> {
    let mut value = 0usize;
    for i in 0..4 {
        let b = *bytes.get(at + i).ok_or(Incomplete)?;
        value |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(Incomplete)
}

/// Takes the password out of the whole CONNECT at the start of `buf`, rewriting the packet
/// without it (its flag cleared, its length shortened). The password is the CONNECT's last
/// field, so the fields before it are walked to find where it starts.
fn take_password(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, Incomplete> {
    let (remaining, len_len) = varint(buf, 1)?;
    let end = 1 + len_len + remaining;
    if buf.len() < end {
        return Err(Incomplete);
    }
    let packet = &buf[..end];
    let u16_at = |at: usize| -> Result<usize, Incomplete> {
        let b = packet.get(at..at + 2).ok_or(Incomplete)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let mut at = 1 + len_len;
    at += 2 + u16_at(at)?; // protocol name
    let level = *packet.get(at).ok_or(Incomplete)?;
    let flags_at = at + 1;
    let flags = *packet.get(flags_at).ok_or(Incomplete)?;
    at += 4; // level, flags, keep-alive
    if flags & 0x40 == 0 {
        return Ok(None);
    }
    if level == 5 {
        let (props, n) = varint(packet, at)?;
        at += n + props;
    }
    at += 2 + u16_at(at)?; // client id
    if flags & 0x04 != 0 {
        if level == 5 {
            let (props, n) = varint(packet, at)?;
            at += n + props;
        }
        at += 2 + u16_at(at)?; // will topic
        at += 2 + u16_at(at)?; // will payload
    }
    if flags & 0x80 != 0 {
        at += 2 + u16_at(at)?; // user name
    }
    let password_len = u16_at(at)?;
    if at + 2 + password_len != end {
        return Err(Incomplete);
    }
    let password = packet[at + 2..end].to_vec();
    let mut rewritten = BytesMut::with_capacity(end);
    rewritten.extend_from_slice(&[packet[0]]);
    let mut rest = remaining - 2 - password_len;
    loop {
        let byte = (rest % 128) as u8;
        rest /= 128;
        if rest == 0 {
            rewritten.extend_from_slice(&[byte]);
            break;
        }
        rewritten.extend_from_slice(&[byte | 0x80]);
    }
    // The flags byte keeps its offset from the start of the variable header.
    let flags_in_rewritten = rewritten.len() + (flags_at - (1 + len_len));
    rewritten.extend_from_slice(&packet[1 + len_len..at]);
    rewritten[flags_in_rewritten] &= !0x40;
    rewritten.extend_from_slice(&buf[end..]);
    *buf = rewritten;
    Ok(Some(password))
}

fn from_v4(p: v4::Packet) -> Inbound {
    match p {
        v4::Packet::Connect(c) => Inbound::Connect(Connect {
            version: Version::V311,
            client_id: c.client_id,
            keep_alive: c.keep_alive,
            will: c.last_will.map(|w| Will {
                topic: w.topic,
                payload: w.message,
                retain: w.retain,
                delay: 0,
            }),
            clean_start: c.clean_session,
            session_expiry: None,
            username: c
                .login
                .as_ref()
                .map(|l| l.username.clone())
                .filter(|u| !u.is_empty()),
            password: c
                .login
                .map(|l| l.password.into_bytes())
                .filter(|p| !p.is_empty()),
            user_properties: None,
        }),
        v4::Packet::Publish(p) => Inbound::Publish(Publish {
            topic: p.topic,
            qos: qos4(p.qos),
            retain: p.retain,
            pkid: p.pkid,
            payload: p.payload,
            content_type: None,
            topic_alias: false,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
        v4::Packet::PubAck(a) => Inbound::PubAck(a.pkid),
        v4::Packet::PubRec(a) => Inbound::PubRec(a.pkid),
        v4::Packet::PubRel(a) => Inbound::PubRel(a.pkid),
        v4::Packet::PubComp(_) => Inbound::PubComp,
        v4::Packet::Subscribe(s) => Inbound::Subscribe(
            s.pkid,
            s.filters
                .into_iter()
                .map(|f| (f.path, qos4(f.qos)))
                .collect(),
        ),
        v4::Packet::Unsubscribe(u) => Inbound::Unsubscribe(u.pkid, u.topics),
        v4::Packet::PingReq => Inbound::PingReq,
        v4::Packet::Disconnect => Inbound::Disconnect(ClientDisconnect::default()),
        v4::Packet::ConnAck(_) => Inbound::Unexpected("CONNACK"),
        v4::Packet::SubAck(_) => Inbound::Unexpected("SUBACK"),
        v4::Packet::UnsubAck(_) => Inbound::Unexpected("UNSUBACK"),
        v4::Packet::PingResp => Inbound::Unexpected("PINGRESP"),
    }
}

fn from_v5(p: v5::Packet) -> Inbound {
    match p {
        v5::Packet::Connect(c, will, login) => {
            let props = c.properties.unwrap_or_default();
            Inbound::Connect(Connect {
                version: Version::V5,
                client_id: c.client_id,
                keep_alive: c.keep_alive,
                will: will.map(|w| Will {
                    topic: String::from_utf8_lossy(&w.topic).into_owned(),
                    payload: w.message,
                    retain: w.retain,
                    delay: w.properties.and_then(|p| p.delay_interval).unwrap_or(0),
                }),
                clean_start: c.clean_start,
                session_expiry: props.session_expiry_interval,
                username: login
                    .as_ref()
                    .map(|l| l.username.clone())
                    .filter(|u| !u.is_empty()),
                password: login
                    .map(|l| l.password.into_bytes())
                    .filter(|p| !p.is_empty()),
                user_properties: Some(props.user_properties),
            })
        }
        v5::Packet::Publish(p) => {
            let props = p.properties.unwrap_or_default();
            Inbound::Publish(Publish {
                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                qos: qos5(p.qos),
                retain: p.retain,
                pkid: p.pkid,
                payload: p.payload,
                content_type: props.content_type,
                topic_alias: props.topic_alias.is_some(),
                correlation_data: props.correlation_data,
                user_properties: props.user_properties,
            })
        }
        v5::Packet::PubAck(a) => Inbound::PubAck(a.pkid),
        v5::Packet::PubRec(a) => Inbound::PubRec(a.pkid),
        v5::Packet::PubRel(a) => Inbound::PubRel(a.pkid),
        v5::Packet::PubComp(_) => Inbound::PubComp,
        v5::Packet::Subscribe(s) => Inbound::Subscribe(
            s.pkid,
            s.filters
                .into_iter()
                .map(|f| (f.path, qos5(f.qos)))
                .collect(),
        ),
        v5::Packet::Unsubscribe(u) => Inbound::Unsubscribe(u.pkid, u.filters),
        v5::Packet::PingReq(_) => Inbound::PingReq,
        v5::Packet::Disconnect(d) => {
            let props = d.properties;
            Inbound::Disconnect(ClientDisconnect {
                code: d.reason_code as u8,
                reason: props.as_ref().and_then(|p| p.reason_string.clone()),
                session_expiry: props.as_ref().and_then(|p| p.session_expiry_interval),
                user_properties: Some(props.map(|p| p.user_properties).unwrap_or_default()),
            })
        }
        v5::Packet::ConnAck(_) => Inbound::Unexpected("CONNACK"),
        v5::Packet::SubAck(_) => Inbound::Unexpected("SUBACK"),
        v5::Packet::UnsubAck(_) => Inbound::Unexpected("UNSUBACK"),
        v5::Packet::PingResp(_) => Inbound::Unexpected("PINGRESP"),
        v5::Packet::Auth(_) => Inbound::Unexpected("AUTH"),
    }
}

/// Why a CONNECT is refused, in each version's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// 3.1.1: 0x02 identifier rejected; 5.0: 0x85 client identifier not valid.
    ClientId,
    /// 5.0: 0x9A retain not supported (a retained will); 3.1.1 has no code for it.
    RetainNotSupported,
    /// A will beyond the service's limits: 5.0: 0x90 topic name invalid; 3.1.1 has no
    /// code for it, and gets 0x05 not authorized.
    BadWill,
    /// A 3.1.1 keep-alive outside 1-180 s: 3.1.1 has no code for it, so the session closes
    /// without a CONNACK (MQTT-3.1.4-1 allows that); never sent for 5.0.
    KeepAlive,
    /// 3.1.1: 0x01 unacceptable protocol version; 5.0: 0x84 unsupported protocol version.
    Version,
}

fn write4(p: v4::Packet) -> Bytes {
    let mut out = BytesMut::with_capacity(p.size() + 5);
    // Only packets we build ourselves, within the sizes we accept: writing cannot fail.
    let _ = p.write(&mut out, usize::MAX);
    out.freeze()
}

fn write5(p: v5::Packet) -> Bytes {
    let mut out = BytesMut::new();
    let _ = p.write(&mut out, None);
    out.freeze()
}

/// What a CONNACK says besides its code.
#[derive(Debug, Default)]
pub(super) struct Ack<'a> {
    pub session_present: bool,
    /// 5.0: the id the server assigned.
    pub assigned_id: Option<&'a str>,
    /// 5.0: the session expiry the server uses, when not the one asked for.
    pub session_expiry: Option<u32>,
    /// 5.0: a reason string and user properties (from an event handler).
    pub reason: Option<&'a str>,
    pub user_properties: Vec<(String, String)>,
}

/// How a CONNACK answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AckCode {
    Accepted,
    Refused(Refusal),
    /// A code an event handler chose; one that is not a failure code of the client's
    /// version becomes "unspecified error" (5.0) or "server unavailable" (3.1.1).
    Handler(i64),
}

/// CONNACK: success or a refusal.
pub(super) fn connack(version: Version, code: AckCode, ack: Ack<'_>) -> Bytes {
    match version {
        Version::V311 => {
            use v4::ConnectReturnCode as C;
            let code = match code {
                AckCode::Accepted => C::Success,
                AckCode::Refused(Refusal::ClientId) => C::BadClientId,
                AckCode::Refused(Refusal::Version) => C::RefusedProtocolVersion,
                // 3.1.1 has no code for a bad will: "not authorized" is what is left.
                AckCode::Refused(
                    Refusal::RetainNotSupported | Refusal::BadWill | Refusal::KeepAlive,
                ) => C::NotAuthorized,
                AckCode::Handler(n) => match n {
                    1 => C::RefusedProtocolVersion,
                    2 => C::BadClientId,
                    4 => C::BadUserNamePassword,
                    5 => C::NotAuthorized,
                    _ => C::ServiceUnavailable,
                },
            };
            let present = code == C::Success && ack.session_present;
            write4(v4::Packet::ConnAck(v4::ConnAck::new(code, present)))
        }
        Version::V5 => {
            use v5::ConnectReturnCode as C;
            let code = match code {
                AckCode::Accepted => C::Success,
                AckCode::Refused(Refusal::ClientId) => C::ClientIdentifierNotValid,
                AckCode::Refused(Refusal::RetainNotSupported) => C::RetainNotSupported,
                AckCode::Refused(Refusal::BadWill) => C::TopicNameInvalid,
                AckCode::Refused(Refusal::Version) => C::UnsupportedProtocolVersion,
                AckCode::Refused(Refusal::KeepAlive) => C::ProtocolError,
                AckCode::Handler(n) => v5_refusal(n),
            };
            let accepted = code == C::Success;
            let properties = v5::ConnAckProperties {
                session_expiry_interval: ack.session_expiry.filter(|_| accepted),
                receive_max: None,
                max_qos: None,
                // What this service does not offer, said up front (MQTT 5 §3.2.2.3).
                retain_available: accepted.then_some(0),
                max_packet_size: accepted.then_some(super::MAX_PACKET as u32),
                assigned_client_identifier: ack
                    .assigned_id
                    .filter(|_| accepted)
                    .map(str::to_string),
                topic_alias_max: None,
                reason_string: ack.reason.map(|r| r.chars().take(200).collect()),
                user_properties: ack.user_properties,
                wildcard_subscription_available: accepted.then_some(0),
                subscription_identifiers_available: None,
                shared_subscription_available: accepted.then_some(0),
                server_keep_alive: None,
                response_information: None,
                server_reference: None,
                authentication_method: None,
                authentication_data: None,
            };
            write5(v5::Packet::ConnAck(v5::ConnAck {
                session_present: accepted && ack.session_present,
                code,
                properties: Some(properties),
            }))
        }
    }
}

/// A handler's 5.0 CONNACK code: one of the failure codes MQTT 5 §3.2.2.2 lists, else
/// unspecified error.
fn v5_refusal(n: i64) -> v5::ConnectReturnCode {
    use v5::ConnectReturnCode as C;
    match n {
        0x81 => C::MalformedPacket,
        0x82 => C::ProtocolError,
        0x83 => C::ImplementationSpecificError,
        0x84 => C::UnsupportedProtocolVersion,
        0x85 => C::ClientIdentifierNotValid,
        0x86 => C::BadUserNamePassword,
        0x87 => C::NotAuthorized,
        0x88 => C::ServerUnavailable,
        0x89 => C::ServerBusy,
        0x8A => C::Banned,
        0x8C => C::BadAuthenticationMethod,
        0x90 => C::TopicNameInvalid,
        0x95 => C::PacketTooLarge,
        0x97 => C::QuotaExceeded,
        0x99 => C::PayloadFormatInvalid,
        0x9A => C::RetainNotSupported,
        0x9B => C::QoSNotSupported,
        0x9C => C::UseAnotherServer,
        0x9D => C::ServerMoved,
        0x9F => C::ConnectionRateExceeded,
        _ => C::UnspecifiedError,
    }
}

/// How one SUBSCRIBE filter went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubResult {
    Granted(u8),
    NotAuthorized,
    Wildcard,
    Shared,
    InvalidFilter,
}

pub(super) fn suback(version: Version, pkid: u16, results: &[SubResult]) -> Bytes {
    match version {
        Version::V311 => {
            use v4::SubscribeReasonCode as C;
            let codes = results
                .iter()
                .map(|r| match r {
                    SubResult::Granted(q) => C::Success(to_qos4(*q)),
                    _ => C::Failure,
                })
                .collect();
            write4(v4::Packet::SubAck(v4::SubAck::new(pkid, codes)))
        }
        Version::V5 => {
            use v5::SubscribeReasonCode as C;
            let codes = results
                .iter()
                .map(|r| match r {
                    SubResult::Granted(q) => C::Success(to_qos5(*q)),
                    SubResult::NotAuthorized => C::NotAuthorized,
                    SubResult::Wildcard => C::WildcardSubscriptionsNotSupported,
                    SubResult::Shared => C::SharedSubscriptionsNotSupported,
                    SubResult::InvalidFilter => C::TopicFilterInvalid,
                })
                .collect();
            write5(v5::Packet::SubAck(v5::SubAck {
                pkid,
                return_codes: codes,
                properties: None,
            }))
        }
    }
}

pub(super) fn unsuback(version: Version, pkid: u16, count: usize) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::UnsubAck(v4::UnsubAck::new(pkid))),
        Version::V5 => write5(v5::Packet::UnsubAck(v5::UnsubAck {
            pkid,
            reasons: vec![v5::UnsubAckReason::Success; count],
            properties: None,
        })),
    }
}

/// How a client's PUBLISH went, for its PUBACK / PUBREC (5.0 carries the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PubResult {
    Success,
    /// A user event no handler takes (0x10, a success code: nobody was there).
    NoMatchingSubscribers,
    /// A user event that got no answer from its handler (0x80).
    UnspecifiedError,
    NotAuthorized,
    TopicNameInvalid,
    /// A user event whose Content Type is no MIME type (0x99).
    PayloadFormatInvalid,
}

impl PubResult {
    /// 5.0: a code of 0x80 or more ends a QoS 2 exchange at its PUBREC.
    pub fn is_failure(self) -> bool {
        !matches!(self, PubResult::Success | PubResult::NoMatchingSubscribers)
    }
}

pub(super) fn puback(version: Version, pkid: u16, result: PubResult) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::PubAck(v4::PubAck::new(pkid))),
        Version::V5 => {
            use v5::PubAckReason as R;
            let mut ack = v5::PubAck::new(pkid, None);
            ack.reason = match result {
                PubResult::Success => R::Success,
                PubResult::NoMatchingSubscribers => R::NoMatchingSubscribers,
                PubResult::UnspecifiedError => R::UnspecifiedError,
                PubResult::NotAuthorized => R::NotAuthorized,
                PubResult::TopicNameInvalid => R::TopicNameInvalid,
                PubResult::PayloadFormatInvalid => R::PayloadFormatInvalid,
            };
            write5(v5::Packet::PubAck(ack))
        }
    }
}

pub(super) fn pubrec(version: Version, pkid: u16, result: PubResult) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::PubRec(v4::PubRec::new(pkid))),
        Version::V5 => {
            use v5::PubRecReason as R;
            let mut rec = v5::PubRec::new(pkid, None);
            rec.reason = match result {
                PubResult::Success => R::Success,
                PubResult::NoMatchingSubscribers => R::NoMatchingSubscribers,
                PubResult::UnspecifiedError => R::UnspecifiedError,
                PubResult::NotAuthorized => R::NotAuthorized,
                PubResult::TopicNameInvalid => R::TopicNameInvalid,
                PubResult::PayloadFormatInvalid => R::PayloadFormatInvalid,
            };
            write5(v5::Packet::PubRec(rec))
        }
    }
}

pub(super) fn pubrel(version: Version, pkid: u16) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::PubRel(v4::PubRel::new(pkid))),
        Version::V5 => write5(v5::Packet::PubRel(v5::PubRel::new(pkid, None))),
    }
}

pub(super) fn pubcomp(version: Version, pkid: u16) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::PubComp(v4::PubComp::new(pkid))),
        Version::V5 => write5(v5::Packet::PubComp(v5::PubComp::new(pkid, None))),
    }
}

pub(super) fn pingresp(version: Version) -> Bytes {
    match version {
        Version::V311 => write4(v4::Packet::PingResp),
        Version::V5 => write5(v5::Packet::PingResp(v5::PingResp)),
    }
}

/// What a PUBLISH to a 5.0 client says besides its payload (3.1.1 carries none of it).
#[derive(Debug, Default)]
pub(super) struct Properties {
    pub content_type: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub user_properties: Vec<(String, String)>,
}

/// A PUBLISH to the client; `properties` travel only in 5.0.
pub(super) fn publish(
    version: Version,
    topic: &str,
    qos: u8,
    pkid: u16,
    payload: Bytes,
    properties: Properties,
) -> Bytes {
    match version {
        Version::V311 => {
            let mut p = v4::Publish::from_bytes(topic, to_qos4(qos), payload);
            p.pkid = pkid;
            write4(v4::Packet::Publish(p))
        }
        Version::V5 => {
            let properties = v5::PublishProperties {
                content_type: properties.content_type,
                correlation_data: properties.correlation_data,
                user_properties: properties.user_properties,
                ..Default::default()
            };
            let mut p = v5::Publish::new(topic, to_qos5(qos), payload, Some(properties));
            p.pkid = pkid;
            write5(v5::Packet::Publish(p))
        }
    }
}

/// Why the server ends a connection, for 5.0's DISCONNECT (3.1.1 just closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Goodbye {
    ProtocolError,
    Malformed,
    TooLarge,
    KeepAliveTimeout,
    SessionTakenOver,
    Administrative,
    ShuttingDown,
    RetainNotSupported,
    TopicAliasInvalid,
    TopicNameInvalid,
    QuotaExceeded,
}

impl Goodbye {
    fn reason_code(self) -> v5::DisconnectReasonCode {
        use v5::DisconnectReasonCode as C;
        match self {
            Goodbye::ProtocolError => C::ProtocolError,
            Goodbye::Malformed => C::MalformedPacket,
            Goodbye::TooLarge => C::PacketTooLarge,
            Goodbye::KeepAliveTimeout => C::KeepAliveTimeout,
            Goodbye::SessionTakenOver => C::SessionTakenOver,
            Goodbye::Administrative => C::AdministrativeAction,
            Goodbye::ShuttingDown => C::ServerShuttingDown,
            Goodbye::RetainNotSupported => C::RetainNotSupported,
            Goodbye::TopicAliasInvalid => C::TopicAliasInvalid,
            Goodbye::TopicNameInvalid => C::TopicNameInvalid,
            Goodbye::QuotaExceeded => C::QuotaExceeded,
        }
    }

    /// The 5.0 reason code, as the `disconnected` event reports it.
    pub fn code(self) -> u8 {
        self.reason_code() as u8
    }
}

pub(super) fn disconnect(version: Version, why: Goodbye, reason: &str) -> Option<Bytes> {
    if version == Version::V311 {
        return None;
    }
    let code = why.reason_code();
    let mut d = v5::Disconnect::new(code);
    if !reason.is_empty() {
        d.properties = Some(v5::DisconnectProperties {
            session_expiry_interval: None,
            reason_string: Some(reason.chars().take(200).collect()),
            user_properties: Vec::new(),
            server_reference: None,
        });
    }
    Some(write5(v5::Packet::Disconnect(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect_bytes(version: Version, id: &str) -> BytesMut {
        let mut out = BytesMut::new();
        match version {
            Version::V311 => {
                let c = v4::Connect::new(id);
                v4::Packet::Connect(c).write(&mut out, 1 << 20).unwrap();
            }
            Version::V5 => {
                let c = v5::Connect {
                    keep_alive: 30,
                    client_id: id.into(),
                    clean_start: true,
                    properties: None,
                };
                v5::Packet::Connect(c, None, None)
                    .write(&mut out, None)
                    .unwrap();
            }
        }
        out
    }

    #[test]
    fn connect_is_read_at_its_own_level_and_in_pieces() {
        for version in [Version::V311, Version::V5] {
            let whole = connect_bytes(version, "abc");
            let mut buf = BytesMut::from(&whole[..3]);
            assert!(matches!(read(&mut buf, None, 1024), Ok(None)));
            buf.extend_from_slice(&whole[3..]);
            let Ok(Some(Inbound::Connect(c))) = read(&mut buf, None, 1024) else {
                panic!("not a connect");
            };
            assert_eq!((c.version, c.client_id.as_str()), (version, "abc"));
            assert!(buf.is_empty());
        }
    }

    /// A CONNECT with a user name and a password of any bytes, as a client writes it (the
    /// codec can only write a string password: this one is patched in).
    fn connect_with_password(version: Version, password: &[u8]) -> BytesMut {
        let placeholder = "P".repeat(password.len());
        let mut out = BytesMut::new();
        match version {
            Version::V311 => {
                let mut c = v4::Connect::new("abc");
                c.set_login("user", &placeholder);
                c.last_will = Some(v4::LastWill::new("w", "bye", b4::QoS::AtMostOnce, false));
                v4::Packet::Connect(c).write(&mut out, 1 << 20).unwrap();
            }
            Version::V5 => {
                let c = v5::Connect {
                    keep_alive: 30,
                    client_id: "abc".into(),
                    clean_start: true,
                    properties: Some(v5::ConnectProperties {
                        session_expiry_interval: Some(5),
                        ..Default::default()
                    }),
                };
                let will = v5::LastWill::new("w", "bye", b5::QoS::AtMostOnce, false, None);
                let login = v5::Login::new("user", placeholder.clone());
                v5::Packet::Connect(c, Some(will), Some(login))
                    .write(&mut out, None)
                    .unwrap();
            }
        }
        let at = out.len() - password.len();
        out[at..].copy_from_slice(password);
        out
    }

    #[test]
    fn a_password_is_any_bytes() {
        for version in [Version::V311, Version::V5] {
            for password in [&b"\xff\x00\xfe binary"[..], b"plain", &[0xC3; 300][..]] {
                let mut buf = connect_with_password(version, password);
                buf.extend_from_slice(&[0xC0, 0x00]); // a PINGREQ behind it
                let Ok(Some(Inbound::Connect(c))) = read(&mut buf, None, 1 << 20) else {
                    panic!("{version:?}: not a connect");
                };
                assert_eq!(c.password.as_deref(), Some(password), "{version:?}");
                assert_eq!(c.username.as_deref(), Some("user"));
                assert_eq!(c.will.as_ref().map(|w| &w.payload[..]), Some(&b"bye"[..]));
                assert_eq!(&buf[..], &[0xC0, 0x00], "the next packet is left whole");
            }
            // In pieces: nothing until it is whole.
            let whole = connect_with_password(version, b"\xff\xfe");
            let mut buf = BytesMut::from(&whole[..whole.len() - 1]);
            assert!(matches!(read(&mut buf, None, 1024), Ok(None)));
            buf.extend_from_slice(&whole[whole.len() - 1..]);
            let Ok(Some(Inbound::Connect(c))) = read(&mut buf, None, 1024) else {
                panic!("not a connect");
            };
            assert_eq!(c.password.as_deref(), Some(&b"\xff\xfe"[..]));
        }
    }

    #[test]
    fn a_bare_5_0_disconnect_is_a_normal_one() {
        let mut buf = BytesMut::from(&[0xE0u8, 0x00, 0xC0, 0x00][..]);
        let Ok(Some(Inbound::Disconnect(d))) = read(&mut buf, Some(Version::V5), 1024) else {
            panic!("not a disconnect");
        };
        assert_eq!((d.code, d.with_will()), (0, false));
        assert!(matches!(
            read(&mut buf, Some(Version::V5), 1024),
            Ok(Some(Inbound::PingReq))
        ));
    }

    #[test]
    fn a_packet_over_the_limit_is_refused_from_its_header() {
        let mut p = BytesMut::new();
        v4::Packet::Publish(v4::Publish::new("t", b4::QoS::AtMostOnce, vec![0u8; 100]))
            .write(&mut p, usize::MAX)
            .unwrap();
        let mut head = BytesMut::from(&p[..4]);
        assert!(matches!(
            read(&mut head, Some(Version::V311), 50),
            Err(ReadError::TooLarge)
        ));
        let mut not_connect = p.clone();
        assert!(matches!(
            read(&mut not_connect, None, 1024),
            Err(ReadError::Malformed(_))
        ));
    }
}
