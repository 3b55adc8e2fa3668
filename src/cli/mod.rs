//! The command line: clap types only. They are resolved into plain settings
//! (`settings.rs`) before any command runs.
// Doc comments here are `--help` text, where a URL is plain text, not a rustdoc link.
#![allow(rustdoc::bare_urls)]

mod bulk;
mod client;
mod connections;
mod docs;
mod emulator;
mod groups;
mod profile;
mod send;
mod tunnel;

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use bulk::{BulkArgs, MemberBulkArgs, TargetKind};
pub use client::{ClientArgs, ClientTypeArg, ListenArgs, TokenAction, TokenArgs, TokenCreateArgs};
pub use connections::{
    ApiArgs, CloseArgs, ExistsArgs, ListConnectionsArgs, PermissionArg, PermissionArgs,
    PermissionChangeArgs,
};
pub use docs::{CompletionsArgs, GenerateArgs, GenerateWhat, ManArgs};
pub use emulator::{CaArgs, EmulatorAction, EmulatorArgs, EmulatorRunArgs, SocketIoModeArg};
pub use groups::{AddToGroupArgs, MemberTargetArgs, RemoveFromGroupArgs};
use profile::profile_names;
pub use profile::{ProfileAddArgs, ProfileArgs, ProfileCommand};
pub use send::{PayloadArgs, SendAllArgs, SendConnectionArgs, SendGroupArgs, SendUserArgs};
pub use tunnel::TunnelArgs;

/// `wps --version`: the version and the target it was built for.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("WPS_TARGET"), ")");

#[derive(Debug, Parser)]
#[command(
    name = "wps",
    version = LONG_VERSION,
    about = "Azure Web PubSub from the command line: send, manage groups and connections, run a local emulator",
    long_about = "Azure Web PubSub from the command line: send messages to a hub, groups, users or \
        connections, manage groups, connections and permissions, and run a local emulator.\n\n\
        Values come from flags, then environment variables, then the selected profile, then defaults. \
        stdout carries results only (a table on a terminal, JSON otherwise); logs and errors go to stderr.",
    after_long_help = "Examples:\n  wps demo\n  wps emulator --port 0\n  wps send-all --hub chat --text hello",
    // `--version` is the program's, listed once in `wps --help` (not propagated: it would
    // take a line of every subcommand's help).
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

pub use crate::term::{ColorChoice, OutputFormat};

// The flag value types live in `term` (a leaf, like ripgrep's low-level flag types); only
// their clap face is here.
impl ValueEnum for OutputFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &OutputFormat::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl ValueEnum for ColorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &ColorChoice::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

/// `--auth` / a profile's `auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    Key,
    AzureCli,
    ManagedIdentity,
    WorkloadIdentity,
    ClientSecret,
    Default,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Key => "key",
            AuthMode::AzureCli => "azure-cli",
            AuthMode::ManagedIdentity => "managed-identity",
            AuthMode::WorkloadIdentity => "workload-identity",
            AuthMode::ClientSecret => "client-secret",
            AuthMode::Default => "default",
        }
    }
}

/// Options every command takes, before or after the command name.
#[derive(Debug, Args, Default, Clone)]
pub struct GlobalArgs {
    /// Profile from the config file [env: WPS_PROFILE]
    #[arg(long, short = 'p', global = true, help_heading = "Connection", add = profile_names())]
    pub profile: Option<String>,
    /// Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]
    #[arg(
        long,
        global = true,
        help_heading = "Connection",
        hide_env_values = true
    )]
    pub connection_string: Option<String>,
    /// Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]
    #[arg(long, global = true, help_heading = "Connection")]
    pub endpoint: Option<String>,
    /// Access key used with --endpoint [env: WPS_ACCESS_KEY]
    #[arg(long, global = true, help_heading = "Connection")]
    pub access_key: Option<String>,
    /// Hub name [env: WPS_HUB]
    #[arg(long, global = true, help_heading = "Connection")]
    pub hub: Option<String>,
    /// How to authenticate: key (access key), or a Microsoft Entra ID credential
    #[arg(long, global = true, value_enum, help_heading = "Connection")]
    pub auth: Option<AuthMode>,
    /// Send requests through this reverse proxy (API Management, Application Gateway); tokens
    /// keep the service's URL as audience [env: WPS_REVERSE_PROXY]
    #[arg(long, global = true, value_name = "URL", help_heading = "Connection")]
    pub reverse_proxy: Option<String>,
    /// REST api-version to send [default: 2024-12-01]
    #[arg(long, global = true, help_heading = "Connection")]
    pub api_version: Option<String>,
    /// Config file [env: WPS_CONFIG]
    #[arg(long, global = true, help_heading = "Connection")]
    pub config: Option<PathBuf>,
    // The defaults are written out, not clap defaults: a profile may set these, and a clap
    // default would look like a flag given.
    /// Seconds to wait for each request attempt [default: 30]
    #[arg(
        long,
        global = true,
        help_heading = "Connection",
        allow_negative_numbers = true
    )]
    pub timeout: Option<f64>,
    /// Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]
    #[arg(long, global = true, help_heading = "Connection", allow_negative_numbers = true,
        value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: Option<u32>,
    /// Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]
    #[arg(
        long,
        short = 'o',
        global = true,
        value_enum,
        ignore_case = true,
        help_heading = "Output"
    )]
    pub output: Option<OutputFormat>,
    /// Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,
    /// Print nothing on stderr but errors
    #[arg(long, short = 'q', global = true, help_heading = "Output")]
    pub quiet: bool,
    /// Print the requests that would be sent, and send nothing
    #[arg(long, global = true, help_heading = "Output")]
    pub dry_run: bool,
    /// When to use colour
    #[arg(
        long,
        global = true,
        value_enum,
        ignore_case = true,
        default_value_t,
        help_heading = "Output"
    )]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a message to every connection in the hub
    #[command(
        long_about = "Send a message to every connection in the hub.\n\n\
            The payload is --text (text/plain), --json (application/json, checked first), --file, \
            or stdin byte for byte (application/octet-stream unless --content-type says otherwise). \
            --exclude leaves connections out; --filter selects by userId, connectionId and groups.",
        after_long_help = "Examples:\n  wps send-all --hub chat --text hello\n  wps send-all --json '{\"kind\":\"deploy\"}' --exclude conn1\n  cat frame.bin | wps send-all"
    )]
    SendAll(SendAllArgs),
    /// Send a message to one or more groups
    #[command(
        long_about = "Send a message to every connection in one or more groups.\n\n\
            Each --group is one request; with several, every outcome is reported, one result a line. \
            The payload is given as for send-all.",
        after_long_help = "Examples:\n  wps send-group --group g1 --text hello\n  wps send-group -g g1 -g g2 --json '{\"n\":1}' --exclude abc123\n  cat frame.bin | wps send-group --group g1"
    )]
    SendGroup(SendGroupArgs),
    /// Send a message to one or more users
    #[command(
        long_about = "Send a message to every connection of one or more users.\n\n\
            Each --user is one request; a user with no connection is not an error. \
            The payload is given as for send-all.",
        after_long_help = "Examples:\n  wps send-user --user alice --text hello\n  wps send-user --user alice --user bob --json '{\"n\":1}' --ttl 30"
    )]
    SendUser(SendUserArgs),
    /// Send a message to one or more connections
    #[command(
        long_about = "Send a message to one or more connections, by connection id.\n\n\
            Each --connection is one request. The payload is given as for send-all.",
        after_long_help = "Examples:\n  wps send-connection --connection abc123 --text hello\n  wps send-connection -c abc123 -c def456 --file frame.bin"
    )]
    SendConnection(SendConnectionArgs),
    /// Connect as a WebSocket client and print what arrives, one JSON object a line
    #[command(
        long_about = "Connect as a WebSocket client to the hub and print every message and system event, \
            one JSON object a line, flushed as it arrives. It only receives; `wps client` also sends. On a terminal (or with -o table) each event \
            is one readable line instead; -o json keeps JSON there too. The token is signed locally from the key, or under \
            Entra ID (--auth) issued by the service's :generateToken. \
            With --count N it exits 0 after N messages; with --within SECS it exits 6 if \
            they did not arrive in time (the global --timeout bounds each connection attempt). A dropped connection is re-established (resumed without loss \
            with --reliable).",
        after_long_help = "Examples:\n  wps listen --hub chat --group g1\n  wps listen --count 1 --within 10 > got.json &\n  wps listen --raw --output table"
    )]
    Listen(ListenArgs),
    /// Connect as a two-way client: print what arrives, send what stdin says (join, send, event)
    #[command(
        long_about = "Connect as a WebSocket client to the hub, as `listen` does, print every frame that \
            arrives (one JSON object a line when piped, readable on a terminal) and send what stdin says, \
            one command a line:\n\n  \
            join GROUP, leave GROUP       join or leave a group\n  \
            send GROUP TEXT               send text to a group; send-json GROUP JSON sends JSON\n  \
            event NAME TEXT               a user event for the event handler; event-json NAME JSON\n  \
            {...}                         a protocol frame, sent as it is\n\n\
            Each command carries an ackId and its ack is printed like any frame. With --subprotocol \
            protobuf or protobuf.reliable the same commands go out as protobuf requests (a typed frame \
            must be one of them) and what arrives is printed in the JSON protocol's shapes. With \
            --subprotocol raw every line is one text frame. At the end of stdin it waits for the outstanding acks (at most \
            --ack-wait SECS, default 10; the global --timeout bounds each connection attempt), closes cleanly and exits 0 if every ack succeeded, 5 if \
            one failed, 6 if the connection failed or an ack never came, 2 if a line was not a command. \
            On a terminal it is interactive: a prompt with line editing, history and tab completion \
            (type `help`), frames printed above it; Ctrl-D ends, Ctrl-C stops at once.",
        after_long_help = "Examples:\n  wps client --user alice --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup\n  \
            printf 'join g1\\nsend g1 hello\\n' | wps client --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup\n  \
            echo 'event-json order {\"id\":7}' | wps client --subprotocol json.reliable\n  \
            wps client --url \"$(wps token -o json | jq -r .url)\""
    )]
    Client(ClientArgs),
    /// Start an emulator in-process, connect a client, send to it, and show what arrived
    #[command(
        long_about = "Start an emulator in-process, connect a listening WebSocket client, send text, JSON and \
            binary to all, a group and a user through the real client, and show what arrived. Exits 0 only \
            if every message arrived. Needs no configuration and no Azure account.",
        after_long_help = "Examples:\n  wps demo\n  wps demo -o json"
    )]
    Demo,
    /// Print a client access URL and token for the hub, signed locally from the key
    #[command(
        long_about = "Print a client access URL and token for the hub, signed locally from the access key \
            exactly as the official SDKs' get_client_access_token does (no request is sent). Under Entra \
            ID (--auth) the service issues the token through :generateToken, as the SDKs do. \
            `wps token decode` shows what a token holds.",
        after_long_help = "Examples:\n  wps token --user alice --role webpubsub.sendToGroup --group g1\n  \
            websocat \"$(wps token -o json | jq -r .url)\"\n  wps token decode \"$URL\""
    )]
    Token(TokenArgs),
    /// Manage connection profiles in the config file
    #[command(
        long_about = "Manage connection profiles in the config file ($WPS_CONFIG, else \
            <config dir>/wps/config.toml): add, list, show, use, remove. A profile holds an endpoint \
            and key (or names the environment variables that hold them), a hub, an auth mode and an \
            api-version.",
        after_long_help = "Examples:\n  wps profile add dev --connection-string \"$CS\" --hub chat --default\n  \
            wps profile add ci --connection-string-env PROD_WPS_CONNECTION_STRING\n  wps profile show\n  wps -p ci send-all --text hi"
    )]
    Profile(ProfileArgs),
    /// Put connections or users into a group, or every connection matching a filter into groups
    #[command(
        long_about = "Put connections or users into a group, or every connection matching a filter into groups.\n\n\
            With --connection or --user (repeated, or listed in --from-file) it sends one request per \
            target and --group, reporting each (exit 7 when some failed). The lines of --from-file are \
            of the kind of target flag given, else connection ids unless --target-kind user. With \
            --filter (an OData filter over userId, connectionId and groups) it takes one or more \
            --group and sends a single request.",
        after_long_help = "Examples:\n  wps add-to-group --group g1 --connection abc123\n  wps add-to-group --group g1 --user alice --user bob\n  \
            wps add-to-group --group g1 --group g2 --from-file conns.txt --failed-to retry.txt\n  \
            wps add-to-group --group g1 --target-kind user --from-file users.txt\n  \
            wps add-to-group --group g1 --group g2 --filter \"userId eq 'alice'\""
    )]
    AddToGroup(AddToGroupArgs),
    /// Take connections or users out of a group (or of every group)
    #[command(
        long_about = "Take connections or users out of a group, or with --all-groups out of every group.\n\n\
            With --connection or --user (repeated, or listed in --from-file, read as for add-to-group) \
            it sends one request per target and --group, reporting each (exit 7 when some failed). \
            With --filter it takes one or more --group and sends a single request.",
        after_long_help = "Examples:\n  wps remove-from-group --group g1 --connection abc123\n  wps remove-from-group --all-groups --user alice\n  \
            wps remove-from-group --group g1 --group g2 --from-file conns.txt\n  wps remove-from-group --group g1 --filter \"startswith(userId, 'bot-')\""
    )]
    RemoveFromGroup(RemoveFromGroupArgs),
    /// Close connections: by id, of users, of groups, or all of them
    #[command(
        long_about = "Close connections: by id, every connection of a user or of a group, or all of them.\n\n\
            Clients are told --reason (JSON clients get a `disconnected` event, then close code 1000). \
            --exclude keeps connections open with --user, --group and --all. The lines of --from-file \
            are of the kind of target flag given, else connection ids unless --target-kind says user \
            or group.",
        after_long_help = "Examples:\n  wps close --connection abc123 --reason bye\n  wps close --user alice\n  wps close --all --exclude abc123 --reason maintenance\n  \
            wps close --from-file conns.txt --reason bye --failed-to retry.txt\n  \
            wps close --target-kind user --from-file users.txt"
    )]
    Close(CloseArgs),
    /// Give a connection a permission on a group
    #[command(
        long_about = "Give a connection a permission: send-to-group or join-leave-group (the service's \
            spellings sendToGroup and joinLeaveGroup, which the output shows, are accepted too), on the \
            group --group names. --connection repeats; --from-file lists connection ids.",
        after_long_help = "Examples:\n  wps grant --connection abc123 --permission send-to-group --group g1\n  \
            wps grant -c abc123 --permission join-leave-group --group g2\n  \
            wps grant --from-file conns.txt --permission send-to-group --group g1"
    )]
    Grant(PermissionChangeArgs),
    /// Take a permission away from a connection
    #[command(
        long_about = "Take a permission away from a connection, on the group --group names. Revoking a \
            permission the connection does not have is not an error.",
        after_long_help = "Examples:\n  wps revoke --connection abc123 --permission join-leave-group --group g1\n  \
            wps revoke -c abc123 --permission send-to-group --group g2"
    )]
    Revoke(PermissionChangeArgs),
    /// Whether a connection has a permission: exit 0 yes, 1 no
    #[command(
        long_about = "Whether a connection has a permission on the group --group names: \
            exit 0 yes, 1 no. \"No\" is an answer, not an error: nothing is printed on stderr.",
        after_long_help = "Examples:\n  wps check --connection abc123 --permission send-to-group --group g1 && echo allowed\n  \
            wps check -c abc123 --permission join-leave-group --group g2 -o json"
    )]
    Check(PermissionArgs),
    /// Whether a connection, user or group exists: exit 0 yes, 1 no
    #[command(
        long_about = "Whether a connection, user or group exists: exit 0 yes, 1 no.\n\n\
            A user exists while it has a connection; a group while a connection is in it.",
        after_long_help = "Examples:\n  wps exists --user alice && echo online\n  wps exists --connection abc123\n  wps exists --group g1 -o json"
    )]
    Exists(ExistsArgs),
    /// The connections in a group (JSON lines or a table)
    #[command(
        long_about = "The connections in a group, with their user ids: one JSON object a line, or a table on \
            a terminal. The service's pages (nextLink) are followed and printed as they arrive.",
        after_long_help = "Examples:\n  wps list-connections --group g1\n  wps list-connections --group g1 --top 100 --max-page-size 50"
    )]
    ListConnections(ListConnectionsArgs),
    /// Send any data-plane request, signed like the others (for what the named commands don't cover)
    #[command(
        long_about = "Send any data-plane request, signed like the others.\n\n\
            PATH starts with /api/ and is sent as given (percent-encode names yourself); \
            api-version is appended when neither PATH nor --query has one. \
            Prints the status and the body (as JSON when it parses); exits like the other commands \
            by the status class (2xx: 0, 401/403: 4, other 4xx: 5, 5xx: 6).",
        after_long_help = "Examples:\n  wps api POST /api/hubs/chat/:send --text hi\n  wps api HEAD /api/hubs/chat/users/alice\n  wps api GET /api/hubs/chat/groups/g1/connections --query top=5"
    )]
    Api(ApiArgs),
    /// Run a local Web PubSub-compatible service in the foreground, or around a command
    #[command(
        long_about = "Run a local Web PubSub-compatible service in the foreground.\n\n\
            It serves the data-plane REST API and WebSocket clients (plain, json.webpubsub.azure.v1 \
            and json.reliable.webpubsub.azure.v1) on one port. It is a development tool: all state \
            lives in memory and is lost when it stops, and its default key is public.\n\n\
            When it accepts connections it prints one line on stdout, its connection string.\n\n\
            With `-- CMD [ARGS...]` it runs CMD against a fresh emulator instead (a free port unless \
            --port is given): CMD's environment gets WebPubSubConnectionString and \
            WPS_CONNECTION_STRING, and, served over TLS, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and \
            REQUESTS_CA_BUNDLE naming the development CA. TLS is the default with a command (the \
            JavaScript server SDK refuses http:// endpoints); --no-tls serves http. CMD keeps stdout; \
            the emulator writes to stderr (or --log FILE). When CMD exits the emulator stops, and wps \
            exits with CMD's status (128+N when CMD died of signal N; 127 when it cannot be found). \
            Ctrl-C and SIGTERM are passed to CMD.\n\n\
            `wps emulator ca` prints the development CA's path; `--install` makes browsers and the \
            system trust it.",
        after_long_help = "Examples:\n  wps emulator\n  wps emulator --port 0 --key \"$(openssl rand -base64 33)\"\n  \
            wps emulator --tls\n  wps emulator --tls-cert cert.pem --tls-key key.pem\n  \
            wps emulator -- npm test\n  \
            wps emulator --event-handler 'chat=http://localhost:8080/eventhandler' -- node server.js\n  \
            wps emulator --no-tls --log emulator.log -- pytest\n  \
            wps emulator ca --install"
    )]
    Emulator(EmulatorArgs),
    /// Carry the hub's event-handler requests from the service's tunnel to a local server
    #[command(
        long_about = "Connect to the server tunnel of the profile's service (Azure Web PubSub or `wps emulator`) \
            for the hub, and forward each event-handler request that comes through it to --upstream: the \
            request's path and query appended to the upstream URL, its method, headers and body; the \
            upstream's answer goes back through the tunnel (500 with the error when the upstream cannot be \
            reached). The service's event handler for the hub must be a tunnel one, `tunnel:///PATH`. \
            Prints one line per request on stdout (JSON lines when piped, or with -o json): method, path, \
            event type, status, duration. Reconnects with backoff after a drop, with a fresh token; the \
            global --timeout bounds each upstream request (default 30 s). Ctrl-C or SIGTERM stops it (exit 0).",
        after_long_help = "Examples:\n  wps tunnel --hub chat --upstream http://localhost:3000\n  \
            wps emulator --event-handler 'chat=tunnel:///eventhandler' &\n  \
            wps tunnel --hub chat --upstream http://localhost:8080 -o json | jq ."
    )]
    Tunnel(TunnelArgs),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish)
    #[command(
        long_about = "Print the completion script for a shell on stdout: bash, zsh, fish, powershell \
            or elvish. It is the script committed in the repository's completions/, for people who \
            installed with `cargo install`. It completes commands and options; for completions that \
            also offer the profile names of your config file, let wps complete itself instead \
            (`source <(COMPLETE=bash wps)`, see the README).",
        after_long_help = "Examples:\n  \
            bash:        wps completions bash > ~/.local/share/bash-completion/completions/wps\n  \
            zsh:         wps completions zsh > ~/.zfunc/_wps\n               (and in ~/.zshrc, before compinit: fpath+=(~/.zfunc))\n  \
            fish:        wps completions fish > ~/.config/fish/completions/wps.fish\n  \
            PowerShell:  wps completions powershell >> $PROFILE\n  \
            elvish:      wps completions elvish >> ~/.config/elvish/rc.elv\n\n\
            Each line installs the script for one shell; start a new shell afterwards. \
            Man pages: `wps man --help`."
    )]
    Completions(CompletionsArgs),
    /// Man pages: print wps.1, or write every page (wps.1, wps-send-all.1, ...) into DIR
    #[command(
        long_about = "Man pages: with no DIR, print wps.1 (every command, the exit status table and \
            the environment) on stdout; with DIR, write wps.1 and one page per command \
            (wps-send-all.1, ...) into it, replacing the wps pages already there. They are the \
            pages committed in the repository's man/, for people who installed with `cargo install`.",
        after_long_help = "Examples:\n  wps man | man -l -\n  wps man ~/.local/share/man/man1   # then: man wps-send-all"
    )]
    Man(ManArgs),
    /// Write shell completions or man pages (for packagers; hidden)
    #[command(
        hide = true,
        after_long_help = "Examples:\n  wps generate completions bash > /usr/share/bash-completion/completions/wps\n  wps generate completions zsh completions/\n  wps generate man man/"
    )]
    Generate(GenerateArgs),
}

/// Parses the process arguments. Clap's help and errors are coloured as `--color`, NO_COLOR
/// and CLICOLOR_FORCE say, which must be known before clap parses anything. With COMPLETE set
/// (by the shell's dynamic completion script) it prints completions and exits instead.
pub fn parse() -> Cli {
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let color = clap_color(std::env::args_os(), &crate::env::process_env);
    let matches = match Cli::command().color(color).try_get_matches() {
        Ok(matches) => matches,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => e.exit(),
        // Help or an error to print: parsed again by the command as `--help` shows it, which
        // says it exactly as before. Only then: building and changing every subcommand for
        // that costs about half of `wps --version` (clap builds only the commands it meets).
        Err(_) => match global_options_once(Cli::command().color(color)).try_get_matches() {
            Ok(matches) => matches,
            Err(e) => with_target_hint(e, std::env::args()).exit(),
        },
    };
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The help of a subcommand lists its own options; the global ones (some twenty lines) are
/// listed once, in `wps --help`, and a line says so. They are still accepted everywhere.
/// Only the help shown at run time: completions and man pages keep every option.
fn global_options_once(mut cmd: clap::Command) -> clap::Command {
    cmd.build();
    let globals: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| a.get_id().clone())
        .collect();
    for sub in cmd.get_subcommands_mut() {
        hide_globals(sub, &globals);
    }
    cmd
}

fn hide_globals(sub: &mut clap::Command, globals: &[clap::Id]) {
    const NOTE: &str =
        "Global options (--profile, --hub, --connection-string, -o, -v, -q, --dry-run, ...) \
        go before or after the command; `wps --help` lists them.";
    // In place: the command is built, and its argument index must stay as it is.
    let cmd = std::mem::take(sub).mut_args(|a| {
        if globals.contains(a.get_id()) {
            a.hide(true)
        } else {
            a
        }
    });
    let long = match cmd.get_after_long_help() {
        Some(text) => format!("{text}\n\n{NOTE}"),
        None => NOTE.to_string(),
    };
    *sub = cmd.after_help(NOTE).after_long_help(long);
    for nested in sub.get_subcommands_mut() {
        hide_globals(nested, globals);
    }
}

/// `wps send-user alice`: a bare word where a target flag was meant gets a tip naming it.
fn with_target_hint(mut err: clap::Error, args: impl Iterator<Item = String>) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return err;
    }
    let Some(ContextValue::String(word)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    if word.starts_with('-') {
        return err;
    }
    let word = word.clone();
    let args: Vec<String> = args.collect();
    let Some((command, flag)) = args.iter().find_map(|a| {
        let flag = match a.as_str() {
            "send-user" => "--user",
            "send-group" | "list-connections" => "--group",
            "send-connection" | "add-to-group" | "remove-from-group" | "close" | "grant"
            | "revoke" | "check" | "exists" => "--connection",
            _ => return None,
        };
        Some((a.clone(), flag))
    }) else {
        return err;
    };
    let shown = if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@:/".contains(c))
    {
        word
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    };
    err.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![format!(
            "targets are given by flag: wps {command} {flag} {shown} ..."
        )
        .into()]),
    );
    err
}

/// The `--color` value in raw arguments (last one wins, none after `--`), for use before clap
/// parses them. An invalid value counts as `auto`: clap reports it.
pub fn color_flag<I, S>(args: I) -> ColorChoice
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut choice = ColorChoice::Auto;
    let mut args = args.into_iter().map(Into::into).skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        let value = if arg == "--" {
            break;
        } else if arg == "--color" {
            args.next().map(|v| v.to_string_lossy().into_owned())
        } else {
            arg.strip_prefix("--color=").map(str::to_string)
        };
        if let Some(v) = value {
            choice = ColorChoice::from_str(&v, true).unwrap_or_default();
        }
    }
    choice
}

/// Clap's colour setting for these arguments and environment. Left as `Auto` when only the
/// terminal decides, so clap asks of the stream it actually writes to (help: stdout, errors: stderr).
pub fn clap_color<I, S>(args: I, env: crate::env::Env<'_>) -> clap::ColorChoice
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    use crate::term::use_color;
    match color_flag(args) {
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
        ColorChoice::Auto if use_color(ColorChoice::Auto, false, env) => clap::ColorChoice::Always,
        ColorChoice::Auto if env("NO_COLOR").is_some() => clap::ColorChoice::Never,
        ColorChoice::Auto => clap::ColorChoice::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every visible command, nested ones included, as ("profile add", its command, its parent's
    /// after_long_help).
    fn visible_commands(
        cmd: &clap::Command,
        prefix: &str,
        out: &mut Vec<(String, clap::Command, String)>,
    ) {
        let parent_after = cmd
            .get_after_long_help()
            .map(|a| a.to_string())
            .unwrap_or_default();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix}{}", sub.get_name());
            out.push((name.clone(), sub.clone(), parent_after.clone()));
            visible_commands(sub, &format!("{name} "), out);
        }
    }

    /// The `wps ...` commands of a help text's "Examples:" section, up to a pipe or redirect.
    fn examples(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .skip_while(|l| l.trim() != "Examples:")
            .filter_map(|l| {
                let words = shlex::split(l.trim())?;
                let at = words.iter().position(|w| w == "wps")?;
                let end = words[at..]
                    .iter()
                    .position(|w| w.starts_with(['|', '>', '<', '&', ';', '#']))
                    .map_or(words.len(), |n| at + n);
                Some(words[at..end].to_vec())
            })
            .collect()
    }

    #[test]
    fn every_command_has_a_summary_long_help_and_real_examples() {
        // Unbuilt, so clap's own `help` subcommand is not among them.
        let cmd = Cli::command();
        let mut commands = Vec::new();
        visible_commands(&cmd, "", &mut commands);
        assert!(commands.len() >= 7, "{} commands", commands.len());
        for (name, sub, parent_after) in commands {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            assert!(
                !about.is_empty() && !about.contains('\n'),
                "`wps {name}` needs a one-line summary (doc comment)"
            );
            let after = sub
                .get_after_long_help()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let own = examples(&after);
            for words in own.iter().chain(examples(&parent_after).iter()) {
                if let Err(e) = Cli::try_parse_from(words) {
                    panic!("an example near `wps {name}` does not parse: {words:?}\n{e}");
                }
            }
            if sub.has_subcommands() && !sub.is_args_conflicts_with_subcommands_set() {
                continue; // a group like `profile`: its members carry the examples
            }
            assert!(
                sub.get_long_about().is_some(),
                "`wps {name}` needs long help (long_about) beyond its summary"
            );
            let path: Vec<String> = name.split(' ').map(str::to_string).collect();
            let runs_it = |words: &&Vec<String>| words.windows(path.len()).any(|w| w == path);
            assert!(
                own.iter().filter(runs_it).count() >= 2,
                "`wps {name}` needs two or three examples in after_long_help (\"Examples:\\n  wps {name} ...\")"
            );
        }
    }

    #[test]
    fn permissions_take_the_services_spelling_too() {
        for (word, want) in [
            ("send-to-group", PermissionArg::SendToGroup),
            ("sendToGroup", PermissionArg::SendToGroup),
            ("join-leave-group", PermissionArg::JoinLeaveGroup),
            ("joinLeaveGroup", PermissionArg::JoinLeaveGroup),
        ] {
            let cli =
                Cli::try_parse_from(["wps", "check", "-c", "c1", "-g", "g1", "--permission", word])
                    .unwrap_or_else(|e| panic!("{word}: {e}"));
            let Command::Check(args) = cli.command else {
                panic!("not check")
            };
            assert_eq!(args.permission, want, "{word}");
        }
    }

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, v)| *k == name && !v.is_empty())
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn colour_flag_is_found_before_parsing() {
        assert_eq!(color_flag(["wps", "send-all"]), ColorChoice::Auto);
        assert_eq!(
            color_flag(["wps", "--color", "never", "x"]),
            ColorChoice::Never
        );
        assert_eq!(
            color_flag(["wps", "x", "--color=always"]),
            ColorChoice::Always
        );
        assert_eq!(
            color_flag(["wps", "--color=always", "--color", "never"]),
            ColorChoice::Never
        );
        assert_eq!(
            color_flag(["wps", "--", "--color=always"]),
            ColorChoice::Auto
        );
        assert_eq!(color_flag(["wps", "--color=purple"]), ColorChoice::Auto);
        let none = env_of(&[]);
        assert_eq!(clap_color(["wps"], &none), clap::ColorChoice::Auto);
        let no_color = env_of(&[("NO_COLOR", "1")]);
        assert_eq!(clap_color(["wps"], &no_color), clap::ColorChoice::Never);
        assert_eq!(
            clap_color(["wps", "--color", "always"], &no_color),
            clap::ColorChoice::Always
        );
    }
}
