//! Which handler gets which event. Three sources, one model: `--event-handler HUB=URL`
//! flags, a TOML settings file, and the official emulator's `appsettings.json` read as is.
//!
//! The handlers of a hub are the ones listed under its name (case-insensitive), else the
//! ones listed under `*` (`_default` in appsettings.json, as the official emulator names
//! it); a hub with a list of its own does not fall through to `*`. Within the list the
//! first handler that takes the event wins. Flags come before the file's handlers.
//!
//! The TOML file (unknown keys are errors, so a typo never silently drops a handler):
//!
//! ```toml
//! [[hubs.chat.handlers]]
//! url_template = "http://localhost:3000/api/webpubsub/hubs/{hub}/"
//! system_events = ["connect", "connected", "disconnected"]   # default: none
//! user_events = "*"                                          # "*", "message", "a,b"; default: none
//!
//! [[hubs."*".handlers]]                                      # hubs without a list of their own
//! url_template = "http://localhost:3000/events/{event}"
//! system_events = ["connected"]
//! ```
//!
//! `tunnel:///PATH` (the service's form) sends the hub's events through its server tunnel
//! (`wps tunnel`, `/server/tunnel`) instead of HTTP; `{event}` may be in the path.
//!
//! A hub's table may also hold the service's per-hub Socket.IO settings (a hub without them
//! takes `*`'s, then the resource's):
//!
//! ```toml
//! [hubs.chat]
//! socketio_mode = "serverless"     # or "default"; else `wps emulator --socketio-mode`
//! anonymous_connect = true         # serverless: Engine.IO connections need no token
//! ```

use std::fmt::Write as _;
use std::path::Path;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

/// The hub name that stands for every hub without a list of its own.
pub const ANY_HUB: &str = "*";
/// What the official emulator's appsettings.json calls [`ANY_HUB`].
const APPSETTINGS_ANY_HUB: &str = "_default";

/// `Uri.EscapeDataString`, which the official emulator uses to fill `{hub}` and `{event}`:
/// everything but RFC 3986's unreserved characters is percent-encoded.
const URL_PARAM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The events the service raises itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemEvent {
    Connect,
    Connected,
    Disconnected,
}

impl SystemEvent {
    pub const ALL: [SystemEvent; 3] = [
        SystemEvent::Connect,
        SystemEvent::Connected,
        SystemEvent::Disconnected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SystemEvent::Connect => "connect",
            SystemEvent::Connected => "connected",
            SystemEvent::Disconnected => "disconnected",
        }
    }

    fn parse(name: &str) -> Option<SystemEvent> {
        let name = name.trim();
        SystemEvent::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name))
    }
}

/// An event a handler may be asked to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    System(SystemEvent),
    /// A user event by name; plain WebSocket frames are the event `message`.
    User(&'a str),
}

impl Event<'_> {
    pub fn name(&self) -> &str {
        match self {
            Event::System(e) => e.name(),
            Event::User(name) => name,
        }
    }
}

/// Which user events a handler takes: `*`, one name, or a comma list (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvents {
    None,
    All,
    Names(Vec<String>),
}

impl UserEvents {
    /// Parses the service's `userEventPattern`. A `*` inside a name (`room.*`) is refused,
    /// as the official emulator does, rather than silently matching nothing.
    pub fn parse(pattern: &str) -> Result<UserEvents, String> {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Ok(UserEvents::None);
        }
        let mut names = Vec::new();
        for item in pattern.split(',').map(str::trim) {
            if item == "*" {
                return Ok(UserEvents::All);
            }
            if item.is_empty() || item.contains('*') || item.chars().any(char::is_whitespace) {
                return Err(format!(
                    "invalid user event pattern '{pattern}': use *, an event name or a comma list of names"
                ));
            }
            names.push(item.to_string());
        }
        Ok(UserEvents::Names(names))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            UserEvents::None => false,
            UserEvents::All => true,
            UserEvents::Names(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    fn describe(&self) -> String {
        match self {
            UserEvents::None => "none".into(),
            UserEvents::All => "*".into(),
            UserEvents::Names(names) => names.join(","),
        }
    }
}

/// Which side answers a Web PubSub for Socket.IO hub's clients (the service's resource-wide
/// `socketIO.serviceMode`): a Socket.IO server behind the tunnel, or event handlers alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SocketIoMode {
    #[default]
    Default,
    Serverless,
}

impl SocketIoMode {
    pub fn parse(name: &str) -> Result<SocketIoMode, String> {
        match name.trim() {
            n if n.eq_ignore_ascii_case("default") => Ok(SocketIoMode::Default),
            n if n.eq_ignore_ascii_case("serverless") => Ok(SocketIoMode::Serverless),
            other => Err(format!(
                "invalid Socket.IO mode '{other}': use default or serverless"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SocketIoMode::Default => "default",
            SocketIoMode::Serverless => "serverless",
        }
    }
}

/// One event handler: where to send, and which events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    url_template: String,
    system_events: Vec<SystemEvent>,
    user_events: UserEvents,
}

impl Handler {
    /// Checks that the template gives an absolute http(s) URL, or a `tunnel:///` one, once
    /// filled in.
    pub fn new(
        url_template: &str,
        system_events: Vec<SystemEvent>,
        user_events: UserEvents,
    ) -> Result<Handler, String> {
        let url_template = url_template.trim().to_string();
        let sample = fill(&url_template, "hub", "event");
        let usable = match url::Url::parse(&sample) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url.has_host(),
            // The hub's server tunnel: `tunnel:///PATH`, no host of its own.
            Ok(_) => crate::emulator::tunnel::is_tunnel_template(&sample) == Some(true),
            Err(_) => false,
        };
        if !usable {
            return Err(format!(
                "invalid URL template '{}': it must be an absolute http:// or https:// URL, \
                 or tunnel:///PATH for the hub's server tunnel",
                redact_url(&url_template)
            ));
        }
        let mut unique = Vec::new();
        for e in system_events {
            if !unique.contains(&e) {
                unique.push(e);
            }
        }
        Ok(Handler {
            url_template,
            system_events: unique,
            user_events,
        })
    }

    /// Every system event and every user event: what `--event-handler` means.
    pub fn all_events(url_template: &str) -> Result<Handler, String> {
        Handler::new(url_template, SystemEvent::ALL.to_vec(), UserEvents::All)
    }

    /// The template with `{hub}` and `{event}` (any case) filled in, percent-encoded.
    pub fn url(&self, hub: &str, event: &str) -> String {
        fill(&self.url_template, hub, event)
    }

    pub fn takes(&self, event: Event<'_>) -> bool {
        match event {
            Event::System(e) => self.system_events.contains(&e),
            Event::User(name) => self.user_events.matches(name),
        }
    }

    fn describe(&self) -> String {
        let system: Vec<&str> = self.system_events.iter().map(|e| e.name()).collect();
        format!(
            "{}  system: {}; user: {}",
            redact_url(&self.url_template),
            if system.is_empty() {
                "none".to_string()
            } else {
                system.join(",")
            },
            self.user_events.describe()
        )
    }
}

/// Replaces `{hub}` and `{event}`, matched case-insensitively like the official emulator.
fn fill(template: &str, hub: &str, event: &str) -> String {
    let mut out = String::with_capacity(template.len() + hub.len() + event.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let placeholder = |name: &str| {
            tail.len() >= name.len()
                && tail.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        };
        if placeholder("{hub}") {
            out.extend(utf8_percent_encode(hub, URL_PARAM));
            rest = &tail["{hub}".len()..];
        } else if placeholder("{event}") {
            out.extend(utf8_percent_encode(event, URL_PARAM));
            rest = &tail["{event}".len()..];
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A URL fit for stderr: query values hidden, since templates often carry keys
/// (Azure Functions' `?code=`).
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) => format!("{key}=<redacted>"),
            None => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HubHandlers {
    /// A hub name or [`ANY_HUB`].
    hub: String,
    handlers: Vec<Handler>,
    /// The hub has a handler list of its own (maybe empty), which shadows `*`'s; a table
    /// with Socket.IO settings alone does not.
    listed: bool,
    /// The hub's Socket.IO mode, when the file sets one.
    socketio_mode: Option<SocketIoMode>,
    /// The service's `anonymousConnectPolicy`: Socket.IO clients may connect without a token
    /// (serverless mode).
    anonymous_connect: Option<bool>,
}

/// Every configured handler, by hub. Immutable once built; a reload builds a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    hubs: Vec<HubHandlers>,
    /// Things read but not used (say, Event Hubs listeners), shown by [`Settings::describe`].
    notes: Vec<String>,
}

/// How a settings file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    /// The official emulator's `appsettings.json`.
    AppSettings,
}

impl Format {
    /// By extension; otherwise a file that starts with `{` is JSON.
    pub fn guess(path: &Path, text: &str) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::AppSettings,
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Format::Toml,
            _ if text.trim_start().starts_with('{') => Format::AppSettings,
            _ => Format::Toml,
        }
    }
}

impl Settings {
    /// Adds one `--event-handler HUB=URL_TEMPLATE`: every system and user event of `HUB`
    /// (`*`: of every hub without its own list).
    pub fn add_flag(&mut self, flag: &str) -> Result<(), String> {
        let (hub, template) = flag.split_once('=').ok_or_else(|| {
            format!("invalid event handler '{flag}': expected HUB=URL_TEMPLATE (HUB may be *)")
        })?;
        let hub = check_hub(hub.trim())?;
        let handler = Handler::all_events(template)?;
        self.push(hub, handler);
        Ok(())
    }

    /// Settings from `--event-handler` flags, in the order given.
    pub fn from_flags<S: AsRef<str>>(flags: &[S]) -> Result<Settings, String> {
        let mut settings = Settings::default();
        for flag in flags {
            settings.add_flag(flag.as_ref())?;
        }
        Ok(settings)
    }

    /// Reads a settings file (TOML, or the official emulator's appsettings.json).
    pub fn load(path: &Path) -> Result<Settings, String> {
        let shown = path.display();
        // The size a file claims is not checked first: `/dev/zero` claims none.
        let bytes = crate::files::read_capped(path, crate::files::MAX_FILE_BYTES, "settings file")
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("cannot read {shown}: not UTF-8 text (TOML or JSON)"))?;
        Settings::parse(&text, Format::guess(path, &text)).map_err(|e| format!("{shown}: {e}"))
    }

    pub fn parse(text: &str, format: Format) -> Result<Settings, String> {
        match format {
            Format::Toml => parse_toml(text),
            Format::AppSettings => parse_appsettings(text),
        }
    }

    /// These settings, then `later`'s handlers after them (flags, then the file).
    pub fn then(mut self, later: Settings) -> Settings {
        for entry in later.hubs {
            let mine = self.hub_mut(entry.hub.clone());
            mine.listed |= entry.listed;
            mine.socketio_mode = entry.socketio_mode.or(mine.socketio_mode);
            mine.anonymous_connect = entry.anonymous_connect.or(mine.anonymous_connect);
            for handler in entry.handlers {
                self.push(entry.hub.clone(), handler);
            }
        }
        self.notes.extend(later.notes);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.hubs.iter().all(|h| h.handlers.is_empty())
    }

    /// The handler for `event` on `hub`, if any.
    pub fn handler(&self, hub: &str, event: Event<'_>) -> Option<&Handler> {
        let list = self
            .hubs
            .iter()
            .find(|h| h.listed && h.hub != ANY_HUB && h.hub.eq_ignore_ascii_case(hub))
            .or_else(|| self.hubs.iter().find(|h| h.hub == ANY_HUB))?;
        list.handlers.iter().find(|h| h.takes(event))
    }

    /// The hub's own entry, else `*`'s.
    fn entry(&self, hub: &str) -> Option<&HubHandlers> {
        self.hubs
            .iter()
            .find(|h| h.hub != ANY_HUB && h.hub.eq_ignore_ascii_case(hub))
            .or_else(|| self.hubs.iter().find(|h| h.hub == ANY_HUB))
    }

    /// The hub's Socket.IO mode if the file sets one (its own table's, else `*`'s).
    pub fn socketio_mode(&self, hub: &str) -> Option<SocketIoMode> {
        let own = self
            .hubs
            .iter()
            .find(|h| h.hub != ANY_HUB && h.hub.eq_ignore_ascii_case(hub))
            .and_then(|h| h.socketio_mode);
        own.or_else(|| self.entry(ANY_HUB).and_then(|h| h.socketio_mode))
    }

    /// Whether the hub lets Socket.IO clients connect without a token (its own table's
    /// `anonymous_connect`, else `*`'s; off by default, as the service's policy is).
    pub fn anonymous_connect(&self, hub: &str) -> bool {
        let own = self
            .hubs
            .iter()
            .find(|h| h.hub != ANY_HUB && h.hub.eq_ignore_ascii_case(hub))
            .and_then(|h| h.anonymous_connect);
        own.or_else(|| self.entry(ANY_HUB).and_then(|h| h.anonymous_connect))
            .unwrap_or(false)
    }

    /// The handlers in force, for stderr: one line per handler, query values hidden.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("event handlers: none\n");
        } else {
            out.push_str("event handlers (first match wins):\n");
            // Named hubs first, `*` last: the order lookups go in.
            let named = self.hubs.iter().filter(|h| h.hub != ANY_HUB);
            let any = self.hubs.iter().filter(|h| h.hub == ANY_HUB);
            for entry in named.chain(any).filter(|h| h.listed) {
                let label = if entry.hub == ANY_HUB {
                    "* (hubs not listed)".to_string()
                } else {
                    entry.hub.clone()
                };
                if entry.handlers.is_empty() {
                    let _ = writeln!(out, "  hub {label}: none");
                }
                for (i, handler) in entry.handlers.iter().enumerate() {
                    let _ = writeln!(out, "  hub {label} #{}: {}", i + 1, handler.describe());
                }
            }
        }
        for entry in &self.hubs {
            let mut said = Vec::new();
            if let Some(mode) = entry.socketio_mode {
                said.push(format!("socketio_mode = {}", mode.name()));
            }
            if let Some(yes) = entry.anonymous_connect {
                said.push(format!("anonymous_connect = {yes}"));
            }
            if !said.is_empty() {
                let _ = writeln!(out, "  hub {}: {}", entry.hub, said.join(", "));
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }

    /// Appends to the hub's list, creating it (an empty list still shadows `*`).
    fn push(&mut self, hub: String, handler: Handler) {
        let entry = self.hub_mut(hub);
        entry.listed = true;
        entry.handlers.push(handler);
    }

    fn hub_mut(&mut self, hub: String) -> &mut HubHandlers {
        let at = match self
            .hubs
            .iter()
            .position(|h| h.hub.eq_ignore_ascii_case(&hub))
        {
            Some(at) => at,
            None => {
                self.hubs.push(HubHandlers {
                    hub,
                    handlers: Vec::new(),
                    listed: false,
                    socketio_mode: None,
                    anonymous_connect: None,
                });
                self.hubs.len() - 1
            }
        };
        &mut self.hubs[at]
    }
}

fn check_hub(hub: &str) -> Result<String, String> {
    if hub == ANY_HUB || crate::client::operations::is_valid_hub_name(hub) {
        Ok(hub.to_string())
    } else {
        Err(format!(
            "invalid hub name '{hub}': use * or a name that starts with a letter (letters, digits, _)"
        ))
    }
}

// --- TOML -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    #[serde(default)]
    hubs: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlHub {
    handlers: Option<Vec<TomlHandler>>,
    socketio_mode: Option<String>,
    anonymous_connect: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlHandler {
    url_template: String,
    #[serde(default)]
    system_events: Vec<String>,
    #[serde(default)]
    user_events: Option<String>,
}

fn parse_toml(text: &str) -> Result<Settings, String> {
    let file: TomlFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut settings = Settings::default();
    // Hub order does not matter for lookups (by name); it only orders `describe`.
    for (name, value) in file.hubs {
        let hub = check_hub(&name)?;
        if settings
            .hubs
            .iter()
            .any(|h| h.hub.eq_ignore_ascii_case(&hub))
        {
            return Err(format!(
                "hub '{hub}' is listed twice (hub names ignore case)"
            ));
        }
        let parsed: TomlHub = value
            .try_into()
            .map_err(|e: toml::de::Error| format!("hubs.{name}: {}", e.message()))?;
        let entry = settings.hub_mut(hub.clone());
        // `[hubs.chat]` alone still means "no handlers" (shadowing `*`), as it always has.
        entry.listed = parsed.handlers.is_some()
            || (parsed.socketio_mode.is_none() && parsed.anonymous_connect.is_none());
        entry.anonymous_connect = parsed.anonymous_connect;
        if let Some(mode) = &parsed.socketio_mode {
            let mode = SocketIoMode::parse(mode).map_err(|e| format!("hubs.{name}: {e}"))?;
            entry.socketio_mode = Some(mode);
        }
        for (i, h) in parsed.handlers.into_iter().flatten().enumerate() {
            let at = format!("hubs.{name}.handlers[{i}]");
            let system = parse_system_events(h.system_events.iter().map(String::as_str), &at)?;
            let user = UserEvents::parse(h.user_events.as_deref().unwrap_or(""))
                .map_err(|e| format!("{at}: {e}"))?;
            let handler =
                Handler::new(&h.url_template, system, user).map_err(|e| format!("{at}: {e}"))?;
            settings.push(hub.clone(), handler);
        }
    }
    Ok(settings)
}

fn parse_system_events<'a>(
    names: impl Iterator<Item = &'a str>,
    at: &str,
) -> Result<Vec<SystemEvent>, String> {
    names
        .map(|n| {
            SystemEvent::parse(n).ok_or_else(|| {
                format!("{at}: unknown system event '{n}' (connect, connected, disconnected)")
            })
        })
        .collect()
}

// --- appsettings.json ---------------------------------------------------------------------

/// Reads `WebPubSub.Hubs.<hub>.EventHandlers[]` the way ASP.NET configuration binds it:
/// keys ignore case, `null` means none, an unknown handler property is an error (the
/// official emulator refuses those too), and the rest of the file is not ours to judge.
fn parse_appsettings(text: &str) -> Result<Settings, String> {
    use serde_json::Value;
    let root: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let mut settings = Settings::default();
    let Some(root) = root.as_object() else {
        return Err("expected a JSON object at the top".into());
    };
    let Some(wps) = get_ci(root, "WebPubSub") else {
        return Ok(settings);
    };
    let hubs = match wps {
        Value::Null => return Ok(settings),
        Value::Object(o) => match get_ci(o, "Hubs") {
            None | Some(Value::Null) => return Ok(settings),
            Some(Value::Object(hubs)) => hubs,
            Some(_) => return Err("WebPubSub.Hubs must be an object of hubs".into()),
        },
        _ => return Err("WebPubSub must be an object".into()),
    };
    for (name, hub_value) in hubs {
        let hub = if name.eq_ignore_ascii_case(APPSETTINGS_ANY_HUB) {
            ANY_HUB.to_string()
        } else {
            check_hub(name)?
        };
        if settings
            .hubs
            .iter()
            .any(|h| h.hub.eq_ignore_ascii_case(&hub))
        {
            return Err(format!(
                "hub '{name}' is listed twice (hub names ignore case)"
            ));
        }
        settings.hub_mut(hub.clone()).listed = true;
        let hub_obj = match hub_value {
            Value::Null => continue,
            Value::Object(o) => o,
            _ => return Err(format!("WebPubSub.Hubs.{name} must be an object")),
        };
        for key in hub_obj.keys() {
            if !key.eq_ignore_ascii_case("EventHandlers") {
                settings.notes.push(format!(
                    "WebPubSub.Hubs.{name}.{key} is not supported by wps emulator and is ignored"
                ));
            }
        }
        let handlers = match get_ci(hub_obj, "EventHandlers") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(format!(
                    "WebPubSub.Hubs.{name}.EventHandlers must be an array"
                ))
            }
        };
        for (i, h) in handlers.iter().enumerate() {
            let at = format!("WebPubSub.Hubs.{name}.EventHandlers[{i}]");
            let handler = appsettings_handler(h, &at)?;
            settings.push(hub.clone(), handler);
        }
    }
    Ok(settings)
}

fn appsettings_handler(value: &serde_json::Value, at: &str) -> Result<Handler, String> {
    use serde_json::Value;
    let Value::Object(obj) = value else {
        return Err(format!("{at} must be an object"));
    };
    let mut template = None;
    let mut system = Vec::new();
    let mut user = UserEvents::None;
    for (key, v) in obj {
        let k = key.to_ascii_lowercase();
        match (k.as_str(), v) {
            ("urltemplate", Value::String(s)) => template = Some(s.as_str()),
            ("systemevents", Value::Null) => {}
            ("systemevents", Value::Array(items)) => {
                let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                let names = names.ok_or_else(|| format!("{at}.{key} must list event names"))?;
                system = parse_system_events(names.into_iter(), at)?;
            }
            ("eventpattern", Value::Null) => {}
            ("eventpattern", Value::String(s)) => {
                user = UserEvents::parse(s).map_err(|e| format!("{at}: {e}"))?
            }
            ("auth", _) => {
                return Err(format!(
                    "{at}.{key}: outbound handler authentication is not supported by the emulator; remove it"
                ))
            }
            ("urltemplate" | "systemevents" | "eventpattern", _) => {
                return Err(format!("{at}.{key} has the wrong type"))
            }
            _ => return Err(format!("{at}: unknown property '{key}'")),
        }
    }
    let template = template.ok_or_else(|| format!("{at}: UrlTemplate is required"))?;
    Handler::new(template, system, user).map_err(|e| format!("{at}: {e}"))
}

fn get_ci<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECT: Event<'static> = Event::System(SystemEvent::Connect);
    const CONNECTED: Event<'static> = Event::System(SystemEvent::Connected);

    #[test]
    fn flag_takes_every_event_of_its_hub() {
        let s = Settings::from_flags(&["chat=http://localhost:3000/{hub}/{event}"]).unwrap();
        let h = s.handler("CHAT", CONNECT).unwrap();
        assert_eq!(
            h.url("chat", "connect"),
            "http://localhost:3000/chat/connect"
        );
        assert!(s.handler("chat", Event::User("anything")).is_some());
        assert!(s.handler("other", CONNECT).is_none());
    }

    #[test]
    fn star_flag_serves_hubs_without_their_own_list() {
        let s = Settings::from_flags(&["*=http://a/{hub}", "chat=http://b/"]).unwrap();
        assert_eq!(
            s.handler("news", CONNECT).unwrap().url("news", "x"),
            "http://a/news"
        );
        assert_eq!(
            s.handler("chat", CONNECT).unwrap().url("chat", "x"),
            "http://b/"
        );
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        assert!(Settings::from_flags(&["chat"])
            .unwrap_err()
            .contains("HUB=URL_TEMPLATE"));
        assert!(Settings::from_flags(&["chat=ftp://x/"])
            .unwrap_err()
            .contains("http"));
        assert!(Settings::from_flags(&["chat=/relative"]).is_err());
        assert!(Settings::from_flags(&["9chat=http://x/"])
            .unwrap_err()
            .contains("hub name"));
    }

    #[test]
    fn placeholders_ignore_case_and_are_percent_encoded() {
        let h = Handler::all_events("http://x/{HUB}/{Event}?e={event}").unwrap();
        assert_eq!(
            h.url("a b", "ü/?"),
            "http://x/a%20b/%C3%BC%2F%3F?e=%C3%BC%2F%3F"
        );
        // Other braces stay as they are.
        let h = Handler::all_events("http://x/{other}/{event").unwrap();
        assert_eq!(h.url("h", "e"), "http://x/{other}/{event");
    }

    #[test]
    fn user_event_patterns() {
        assert_eq!(UserEvents::parse("*").unwrap(), UserEvents::All);
        assert_eq!(UserEvents::parse(" a , *").unwrap(), UserEvents::All);
        assert_eq!(UserEvents::parse("").unwrap(), UserEvents::None);
        let p = UserEvents::parse("message, Join").unwrap();
        assert!(p.matches("MESSAGE") && p.matches("join") && !p.matches("leave"));
        assert!(UserEvents::parse("room.*").is_err());
        assert!(UserEvents::parse("a,,b").is_err());
    }

    const TOML: &str = r#"
[[hubs.chat.handlers]]
url_template = "http://localhost:3000/first/{event}"
system_events = ["connect"]
user_events = "message,join"

[[hubs.chat.handlers]]
url_template = "http://localhost:3000/second/{event}"
system_events = ["Connect", "connected", "disconnected"]
user_events = "*"

[[hubs."*".handlers]]
url_template = "http://localhost:3000/any/{hub}"
system_events = ["connected"]
"#;

    #[test]
    fn toml_hub_tables_carry_socketio_settings_without_shadowing_star() {
        let text = r#"
[hubs.chat]
socketio_mode = "Serverless"
anonymous_connect = true

[hubs.quiet]

[[hubs."*".handlers]]
url_template = "http://localhost:3000/any/{hub}"
system_events = ["connect"]
"#;
        let s = Settings::parse(text, Format::Toml).unwrap();
        assert_eq!(s.socketio_mode("CHAT"), Some(SocketIoMode::Serverless));
        assert!(s.anonymous_connect("chat"));
        assert_eq!(s.socketio_mode("news"), None);
        assert!(!s.anonymous_connect("news"));
        // Settings alone leave the handlers to `*`; an empty table still means none.
        assert!(s.handler("chat", CONNECT).is_some());
        assert!(s.handler("quiet", CONNECT).is_none());
        assert!(s
            .describe()
            .contains("hub chat: socketio_mode = serverless, anonymous_connect = true"));
        // Flags before the file keep the file's settings.
        let merged = Settings::from_flags(&["chat=http://b/"]).unwrap().then(s);
        assert!(merged.anonymous_connect("chat"));
        assert_eq!(
            merged.handler("chat", CONNECT).unwrap().url("chat", "x"),
            "http://b/"
        );
        let bad = Settings::parse("[hubs.chat]\nsocketio_mode = \"x\"\n", Format::Toml);
        assert!(bad.unwrap_err().contains("default or serverless"));
    }

    #[test]
    fn toml_first_match_wins() {
        let s = Settings::parse(TOML, Format::Toml).unwrap();
        let url = |hub: &str, e: Event<'_>| s.handler(hub, e).map(|h| h.url(hub, e.name()));
        assert_eq!(
            url("chat", CONNECT).unwrap(),
            "http://localhost:3000/first/connect"
        );
        assert_eq!(
            url("Chat", CONNECTED).unwrap(),
            "http://localhost:3000/second/connected"
        );
        assert_eq!(
            url("chat", Event::User("JOIN")).unwrap(),
            "http://localhost:3000/first/JOIN"
        );
        assert_eq!(
            url("chat", Event::User("other")).unwrap(),
            "http://localhost:3000/second/other"
        );
        assert_eq!(
            url("news", CONNECTED).unwrap(),
            "http://localhost:3000/any/news"
        );
        assert!(url("news", CONNECT).is_none());
        assert!(url("news", Event::User("message")).is_none());
    }

    #[test]
    fn toml_errors_name_the_place() {
        let unknown = "[[hubs.chat.handlers]]\nurl = \"http://x/\"\n";
        assert!(Settings::parse(unknown, Format::Toml)
            .unwrap_err()
            .contains("unknown field"));
        let bad_event =
            "[[hubs.chat.handlers]]\nurl_template = \"http://x/\"\nsystem_events = [\"open\"]\n";
        let e = Settings::parse(bad_event, Format::Toml).unwrap_err();
        assert!(
            e.contains("hubs.chat.handlers[0]") && e.contains("open"),
            "{e}"
        );
        let twice = "[[hubs.chat.handlers]]\nurl_template = \"http://x/\"\n[[hubs.CHAT.handlers]]\nurl_template = \"http://y/\"\n";
        assert!(Settings::parse(twice, Format::Toml)
            .unwrap_err()
            .contains("twice"));
    }

    #[test]
    fn appsettings_read_as_the_official_emulator_writes_it() {
        let json = r#"{
          "Logging": { "LogLevel": { "Default": "Information" } },
          "WebPubSub": {
            "AccessKey": "ignored-here",
            "Hubs": {
              "chat": {
                "EventHandlers": [{
                  "UrlTemplate": "http://localhost:7071/events/{hub}/{event}",
                  "SystemEvents": ["connect", "connected", "disconnected"],
                  "EventPattern": "*"
                }]
              },
              "quiet": null,
              "_default": { "eventHandlers": [{ "urlTemplate": "http://localhost:7071/d", "eventPattern": "message" }] }
            }
          }
        }"#;
        let s = Settings::parse(json, Format::AppSettings).unwrap();
        assert_eq!(
            s.handler("CHAT", CONNECT).unwrap().url("chat", "connect"),
            "http://localhost:7071/events/chat/connect"
        );
        // A hub listed with null has an empty list, which shadows `_default`.
        assert!(s.handler("quiet", Event::User("message")).is_none());
        assert!(s.handler("other", Event::User("message")).is_some());
        assert!(s.handler("other", CONNECT).is_none());
    }

    #[test]
    fn appsettings_refuses_what_the_official_emulator_refuses() {
        let with = |handler: &str| {
            format!(r#"{{"WebPubSub":{{"Hubs":{{"chat":{{"EventHandlers":[{handler}]}}}}}}}}"#)
        };
        let cases = [
            (r#"{"UrlTemplate":"ftp://x/","EventPattern":"*"}"#, "http"),
            (
                r#"{"UrlTemplate":"http://x/","EventPattern":"room.*"}"#,
                "pattern",
            ),
            (
                r#"{"UrlTemplate":"http://x/","SystemEvents":["nope"]}"#,
                "nope",
            ),
            (
                r#"{"UrlTemplate":"http://x/","Unsupported":true}"#,
                "Unsupported",
            ),
            (
                r#"{"UrlTemplate":"http://x/","Auth":{"Type":"None"}}"#,
                "authentication",
            ),
            (r#"{"EventPattern":"*"}"#, "UrlTemplate"),
        ];
        for (handler, expect) in cases {
            let e = Settings::parse(&with(handler), Format::AppSettings).unwrap_err();
            assert!(e.contains(expect), "{handler}: {e}");
        }
        assert!(Settings::parse("{broken", Format::AppSettings).is_err());
    }

    #[test]
    fn flags_come_before_the_file() {
        let flags = Settings::from_flags(&["chat=http://flag/"]).unwrap();
        let file = Settings::parse(TOML, Format::Toml).unwrap();
        let s = flags.then(file);
        assert_eq!(
            s.handler("chat", CONNECT).unwrap().url("chat", "connect"),
            "http://flag/"
        );
        assert!(s.handler("news", CONNECTED).is_some());
    }

    #[test]
    fn describe_lists_handlers_and_hides_query_values() {
        let s = Settings::from_flags(&["*=http://f.example/api/x?code=SECRET&x"]).unwrap();
        let text = s.describe();
        assert!(text.contains("code=<redacted>"), "{text}");
        assert!(!text.contains("SECRET"));
        assert!(
            text.contains("system: connect,connected,disconnected; user: *"),
            "{text}"
        );
        assert_eq!(Settings::default().describe(), "event handlers: none\n");
    }

    #[test]
    fn format_is_guessed_from_the_name_then_the_text() {
        assert_eq!(Format::guess(Path::new("a.JSON"), ""), Format::AppSettings);
        assert_eq!(Format::guess(Path::new("a.toml"), "{"), Format::Toml);
        assert_eq!(
            Format::guess(Path::new("a"), " {\"x\":1}"),
            Format::AppSettings
        );
        assert_eq!(Format::guess(Path::new("a"), "[hubs]"), Format::Toml);
    }

    #[test]
    fn tunnel_templates_are_taken_without_a_host() {
        let s = Settings::from_flags(&["chat=tunnel:///eventhandler/{event}"]).unwrap();
        assert_eq!(
            s.handler("chat", Event::System(SystemEvent::Connect))
                .unwrap()
                .url("chat", "connect"),
            "tunnel:///eventhandler/connect"
        );
        let e = Settings::from_flags(&["chat=tunnel://somewhere/x"]).unwrap_err();
        assert!(e.contains("tunnel:///PATH"), "{e}");
        assert!(Settings::from_flags(&["chat=ftp://x/"]).is_err());
    }
}
