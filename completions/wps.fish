# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wps_global_optspecs
    string join \n p/profile= connection-string= endpoint= access-key= hub= auth= reverse-proxy= api-version= config= timeout= retries= o/output= v/verbose q/quiet dry-run color= h/help V/version
end

function __fish_wps_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wps_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wps_using_subcommand
    set -l cmd (__fish_wps_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wps -n "__fish_wps_needs_command" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_needs_command" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_needs_command" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_needs_command" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_needs_command" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_needs_command" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_needs_command" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_needs_command" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_needs_command" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_needs_command" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_needs_command" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_needs_command" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_needs_command" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_needs_command" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_needs_command" -s h -l help -d 'Print help'
complete -c wps -n "__fish_wps_needs_command" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-all" -d 'Send a message to every connection in the hub'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-group" -d 'Send a message to one or more groups'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-user" -d 'Send a message to one or more users'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-connection" -d 'Send a message to one or more connections'
complete -c wps -n "__fish_wps_needs_command" -f -a "listen" -d 'Connect as a WebSocket client and print what arrives, one JSON object a line'
complete -c wps -n "__fish_wps_needs_command" -f -a "client" -d 'Connect as a two-way client: print what arrives, send what stdin says (join, send, event)'
complete -c wps -n "__fish_wps_needs_command" -f -a "demo" -d 'Start an emulator in-process, connect a client, send to it, and show what arrived'
complete -c wps -n "__fish_wps_needs_command" -f -a "token" -d 'Print a client access URL and token for the hub, signed locally from the key'
complete -c wps -n "__fish_wps_needs_command" -f -a "profile" -d 'Manage connection profiles in the config file'
complete -c wps -n "__fish_wps_needs_command" -f -a "add-to-group" -d 'Put connections or users into a group, or every connection matching a filter into groups'
complete -c wps -n "__fish_wps_needs_command" -f -a "remove-from-group" -d 'Take connections or users out of a group (or of every group)'
complete -c wps -n "__fish_wps_needs_command" -f -a "close" -d 'Close connections: by id, of users, of groups, or all of them'
complete -c wps -n "__fish_wps_needs_command" -f -a "grant" -d 'Give a connection a permission on a group'
complete -c wps -n "__fish_wps_needs_command" -f -a "revoke" -d 'Take a permission away from a connection'
complete -c wps -n "__fish_wps_needs_command" -f -a "check" -d 'Whether a connection has a permission: exit 0 yes, 1 no'
complete -c wps -n "__fish_wps_needs_command" -f -a "exists" -d 'Whether a connection, user or group exists: exit 0 yes, 1 no'
complete -c wps -n "__fish_wps_needs_command" -f -a "list-connections" -d 'The connections in a group (JSON lines or a table)'
complete -c wps -n "__fish_wps_needs_command" -f -a "api" -d 'Send any data-plane request, signed like the others (for what the named commands don\'t cover)'
complete -c wps -n "__fish_wps_needs_command" -f -a "emulator" -d 'Run a local Web PubSub-compatible service in the foreground, or around a command'
complete -c wps -n "__fish_wps_needs_command" -f -a "tunnel" -d 'Carry the hub\'s event-handler requests from the service\'s tunnel to a local server'
complete -c wps -n "__fish_wps_needs_command" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)'
complete -c wps -n "__fish_wps_needs_command" -f -a "man" -d 'Man pages: print wps.1, or write every page (wps.1, wps-send-all.1, ...) into DIR'
complete -c wps -n "__fish_wps_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand send-all" -l exclude -d 'Connection id to leave out (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l filter -d 'OData filter over userId, connectionId and groups' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-all" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l metadata -d 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand send-all" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-all" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-all" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-all" -l allow-empty -d 'Send an empty message when stdin (or --file) is empty, instead of refusing it'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-all" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s g -l group -d 'Group to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l exclude -d 'Connection id to leave out (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l filter -d 'OData filter over userId, connectionId and groups' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l metadata -d 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand send-group" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-group" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-group" -l allow-empty -d 'Send an empty message when stdin (or --file) is empty, instead of refusing it'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-group" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s u -l user -d 'User to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l filter -d 'OData filter over the user\'s connections' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l metadata -d 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand send-user" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-user" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-user" -l allow-empty -d 'Send an empty message when stdin (or --file) is empty, instead of refusing it'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-user" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s c -l connection -d 'Connection to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l metadata -d 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l allow-empty -d 'Send an empty message when stdin (or --file) is empty, instead of refusing it'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand listen" -s u -l user -d 'User id to connect as' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l role -d 'Role for the client token, e.g. webpubsub.sendToGroup (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -s g -l group -d 'Group to join after connecting (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l count -d 'Exit 0 after this many messages' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l within -d 'Stop after this many seconds in all: exit 0 if the --count messages (without --count, any message) arrived, else 6' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l subprotocol -d 'Subprotocol to offer (default json.webpubsub.azure.v1); with protobuf.webpubsub.azure.v1 or protobuf.reliable.webpubsub.azure.v1 the lines are the same' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand listen" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand listen" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand listen" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand listen" -l reliable -d 'Use json.reliable.webpubsub.azure.v1: acks sequence ids, resumes after a drop without loss'
complete -c wps -n "__fish_wps_using_subcommand listen" -l raw -d 'Plain WebSocket: print payloads as they arrive, no envelopes'
complete -c wps -n "__fish_wps_using_subcommand listen" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand listen" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand listen" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand client" -s u -l user -d 'User id to connect as' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l role -d 'Role for the client token, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand client" -s g -l group -d 'Group the client is in from the start, through its token (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l subprotocol -d 'How to talk to the service: json, json.reliable (resumes after a drop without loss), protobuf, protobuf.reliable (the same requests as protobuf binary frames), or raw (a plain WebSocket: each line is a text frame)' -r -f -a "json\t''
json.reliable\t''
protobuf\t''
protobuf.reliable\t''
raw\t''"
complete -c wps -n "__fish_wps_using_subcommand client" -l url -d 'Connect to this client URL (`ws[s]://.../client/hubs/HUB?access_token=...`, e.g. from `wps token` or a server) instead of signing a token from the profile' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l ack-wait -d 'At the end of input, wait this many seconds for the acks still due' -r
complete -c wps -n "__fish_wps_using_subcommand client" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand client" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand client" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand client" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand client" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand client" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand client" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand client" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand client" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand demo" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand demo" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand demo" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand demo" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand demo" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand demo" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand demo" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s u -l user -d 'User id (the `sub` claim)' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l role -d 'Role, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s g -l group -d 'Group the client joins when it connects (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l expires -d 'Minutes until the token expires (at least 1)' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l client-type -d 'Which client endpoint the token is for' -r -f -a "default\t''
mqtt\t''
socketio\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -f -a "decode" -d 'Show a token\'s claims, when it expires, and (with a key configured) whether its signature is valid'
complete -c wps -n "__fish_wps_using_subcommand token; and not __fish_seen_subcommand_from decode help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "decode" -d 'Show a token\'s claims, when it expires, and (with a key configured) whether its signature is valid'
complete -c wps -n "__fish_wps_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "add" -d 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "list" -d 'List the profiles'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "show" -d 'Show every resolved setting and where it came from (secrets redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "use" -d 'Make a profile the default'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "remove" -d 'Remove a profile'
complete -c wps -n "__fish_wps_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l connection-string-env -d 'Read the connection string from this environment variable at run time' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l access-key-env -d 'Read the access key (used with --endpoint) from this environment variable at run time' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l default -d 'Make it the default profile'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the profiles'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show every resolved setting and where it came from (secrets redacted)'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make a profile the default'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile'
complete -c wps -n "__fish_wps_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s g -l group -d 'Group to add to (repeatable: each target is added to each group)' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s c -l connection -d 'Connection id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s u -l user -d 'User id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l filter -d 'Every connection this OData filter matches (one :addToGroups request)' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l target-kind -d 'What --from-file lists: connection or user (default: the kind of --connection/--user given, else connection)' -r -f -a "connection\t''
user\t''
group\t''"
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand add-to-group" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s g -l group -d 'Group to remove from (repeatable: each target is removed from each group)' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s c -l connection -d 'Connection id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s u -l user -d 'User id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l filter -d 'Every connection this OData filter matches (one :removeFromGroups request)' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l target-kind -d 'What --from-file lists: connection or user (default: the kind of --connection/--user given, else connection)' -r -f -a "connection\t''
user\t''
group\t''"
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l all-groups -d 'Remove from every group (with --connection or --user)'
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand remove-from-group" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand close" -s c -l connection -d 'Connection to close (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand close" -s u -l user -d 'Close every connection of this user (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand close" -s g -l group -d 'Close every connection in this group (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l exclude -d 'Connection id to keep open (repeatable; not with --connection)' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l reason -d 'Reason the clients are told' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l target-kind -d 'What --from-file lists: connection, user or group (default: the kind of --connection/--user/--group given, else connection)' -r -f -a "connection\t''
user\t''
group\t''"
complete -c wps -n "__fish_wps_using_subcommand close" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand close" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand close" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand close" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand close" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand close" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand close" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand close" -l all -d 'Close every connection in the hub'
complete -c wps -n "__fish_wps_using_subcommand close" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand close" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand close" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand grant" -s c -l connection -d 'Connection id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l permission -d 'The permission' -r -f -a "send-to-group\t'Send to a group (sendToGroup)'
join-leave-group\t'Join and leave a group (joinLeaveGroup)'"
complete -c wps -n "__fish_wps_using_subcommand grant" -s g -l group -d 'The group it applies to (the service takes a permission on one group at a time)' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand grant" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand grant" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand grant" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand grant" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand grant" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand grant" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand grant" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand grant" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand grant" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand grant" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand revoke" -s c -l connection -d 'Connection id (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l permission -d 'The permission' -r -f -a "send-to-group\t'Send to a group (sendToGroup)'
join-leave-group\t'Join and leave a group (joinLeaveGroup)'"
complete -c wps -n "__fish_wps_using_subcommand revoke" -s g -l group -d 'The group it applies to (the service takes a permission on one group at a time)' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l from-file -d 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)' -r -F
complete -c wps -n "__fish_wps_using_subcommand revoke" -l concurrency -d 'Requests in flight at once' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l failed-to -d 'Write the targets that did not succeed to this file, one a line (ready for --from-file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand revoke" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand revoke" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand revoke" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand revoke" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand revoke" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand revoke" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand revoke" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand revoke" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand check" -s c -l connection -d 'Connection id' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l permission -d 'The permission' -r -f -a "send-to-group\t'Send to a group (sendToGroup)'
join-leave-group\t'Join and leave a group (joinLeaveGroup)'"
complete -c wps -n "__fish_wps_using_subcommand check" -s g -l group -d 'The group it applies to (the service takes a permission on one group at a time)' -r
complete -c wps -n "__fish_wps_using_subcommand check" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand check" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand check" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand check" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand check" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand check" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand check" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand check" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand exists" -s c -l connection -d 'Connection id' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -s u -l user -d 'User id (exists while it has a connection)' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -s g -l group -d 'Group (exists while a connection is in it)' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand exists" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand exists" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand exists" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand exists" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand exists" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand exists" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand exists" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand exists" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s g -l group -d 'Group to list' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l top -d 'At most this many connections in all' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l max-page-size -d 'At most this many connections a page (1-200)' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand list-connections" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand list-connections" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand api" -l query -d 'Query parameter k=v, appended in order (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l metadata -d 'Message metadata header X-WebPubSub-Metadata-KEY: VALUE (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand api" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand api" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand api" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand api" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand api" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand api" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand api" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand api" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand api" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand api" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l host -d 'Address to listen on: an IP address, or localhost (127.0.0.1)' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l port -d 'Port to listen on; 0 picks a free one [default: 8080; a free one with -- CMD]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l key -d 'Access key clients must sign with (at least 32 characters); defaults to the well-known development key' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l entra-issuer-key -d 'Also accept RS256 REST tokens signed by this RSA public key (PEM file) with audience https://webpubsub.azure.com, standing in for Entra ID in tests' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l event-handler -d 'Send this hub\'s events (connect, connected, disconnected and every user event) to an event handler; repeatable, HUB may be `*`, `{hub}` and `{event}` are filled in' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l settings -d 'Per-hub event handler lists in a TOML file, or the official emulator\'s appsettings.json; reloaded when it changes' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l socketio-mode -d 'Who answers Socket.IO clients (/clients/socketio/hubs/HUB): a Socket.IO server through the hub\'s tunnel (default), or the hub\'s event handlers alone (serverless: connect, connected, disconnected and each emitted event per namespace socket); a hub\'s `socketio_mode` in --settings overrides it' -r -f -a "default\t''
serverless\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l tls-cert -d 'Serve https and wss with this certificate chain (PEM file, leaf first)' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l tls-key -d 'The private key of --tls-cert (PEM file)' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l log -d 'Write the emulator\'s messages (its stderr) to FILE, appending, instead of stderr' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l tls -d 'Serve https and wss with a development certificate for localhost, 127.0.0.1 and ::1 (signed by the CA of `wps emulator ca`); prints the PEM file clients must trust (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS). The default with -- CMD'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l no-tls -d 'Serve plain http and ws, also with -- CMD'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -a "ca" -d 'Print the development CA\'s path (`--tls`); --install trusts it, --uninstall undoes that'
complete -c wps -n "__fish_wps_using_subcommand emulator; and not __fish_seen_subcommand_from ca help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l install -d 'Add the CA to the system trust store and to the NSS database ~/.pki/nssdb (Chromium)'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l uninstall -d 'Remove the CA from the system trust store and from ~/.pki/nssdb'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from ca" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from help" -f -a "ca" -d 'Print the development CA\'s path (`--tls`); --install trusts it, --uninstall undoes that'
complete -c wps -n "__fish_wps_using_subcommand emulator; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l upstream -d 'The local server to forward to, e.g. http://localhost:3000 (a path is kept as a prefix)' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l max-concurrency -d 'Upstream requests running at once; more wait for one to finish' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand tunnel" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand tunnel" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand tunnel" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand tunnel" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand tunnel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand completions" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand completions" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand completions" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand completions" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand completions" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand completions" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand completions" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand man" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l auth -d 'How to authenticate: key (access key), or a Microsoft Entra ID credential' -r -f -a "key\t''
azure-cli\t''
managed-identity\t''
workload-identity\t''
client-secret\t''
default\t''"
complete -c wps -n "__fish_wps_using_subcommand man" -l reverse-proxy -d 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service\'s URL as audience [env: WPS_REVERSE_PROXY]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l api-version -d 'REST api-version to send [default: 2024-12-01]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand man" -l timeout -d 'Seconds to wait for each request attempt [default: 30]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]' -r
complete -c wps -n "__fish_wps_using_subcommand man" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand man" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand man" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand man" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand man" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "send-all" -d 'Send a message to every connection in the hub'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "send-group" -d 'Send a message to one or more groups'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "send-user" -d 'Send a message to one or more users'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "send-connection" -d 'Send a message to one or more connections'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "listen" -d 'Connect as a WebSocket client and print what arrives, one JSON object a line'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "client" -d 'Connect as a two-way client: print what arrives, send what stdin says (join, send, event)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "demo" -d 'Start an emulator in-process, connect a client, send to it, and show what arrived'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "token" -d 'Print a client access URL and token for the hub, signed locally from the key'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "profile" -d 'Manage connection profiles in the config file'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "add-to-group" -d 'Put connections or users into a group, or every connection matching a filter into groups'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "remove-from-group" -d 'Take connections or users out of a group (or of every group)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "close" -d 'Close connections: by id, of users, of groups, or all of them'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "grant" -d 'Give a connection a permission on a group'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "revoke" -d 'Take a permission away from a connection'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "check" -d 'Whether a connection has a permission: exit 0 yes, 1 no'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "exists" -d 'Whether a connection, user or group exists: exit 0 yes, 1 no'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "list-connections" -d 'The connections in a group (JSON lines or a table)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "api" -d 'Send any data-plane request, signed like the others (for what the named commands don\'t cover)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "emulator" -d 'Run a local Web PubSub-compatible service in the foreground, or around a command'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "tunnel" -d 'Carry the hub\'s event-handler requests from the service\'s tunnel to a local server'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "man" -d 'Man pages: print wps.1, or write every page (wps.1, wps-send-all.1, ...) into DIR'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen client demo token profile add-to-group remove-from-group close grant revoke check exists list-connections api emulator tunnel completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "decode" -d 'Show a token\'s claims, when it expires, and (with a key configured) whether its signature is valid'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List the profiles'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'Show every resolved setting and where it came from (secrets redacted)'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "use" -d 'Make a profile the default'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "remove" -d 'Remove a profile'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from emulator" -f -a "ca" -d 'Print the development CA\'s path (`--tls`); --install trusts it, --uninstall undoes that'
