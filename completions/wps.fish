# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wps_global_optspecs
    string join \n p/profile= connection-string= endpoint= access-key= hub= api-version= config= timeout= retries= o/output= v/verbose q/quiet dry-run color= h/help V/version
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
complete -c wps -n "__fish_wps_needs_command" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_needs_command" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_needs_command" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_needs_command" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_needs_command" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_needs_command" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_needs_command" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_needs_command" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-all" -d 'Send a message to every connection in the hub'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-group" -d 'Send a message to one or more groups'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-user" -d 'Send a message to one or more users'
complete -c wps -n "__fish_wps_needs_command" -f -a "send-connection" -d 'Send a message to one or more connections'
complete -c wps -n "__fish_wps_needs_command" -f -a "listen" -d 'Connect as a WebSocket client and print what arrives, one JSON object a line'
complete -c wps -n "__fish_wps_needs_command" -f -a "demo" -d 'Start an emulator in-process, connect a client, send to it, and show what arrived'
complete -c wps -n "__fish_wps_needs_command" -f -a "emulator" -d 'Run a local Web PubSub-compatible service in the foreground'
complete -c wps -n "__fish_wps_needs_command" -f -a "generate" -d 'Write shell completions or man pages (for packagers; hidden)'
complete -c wps -n "__fish_wps_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand send-all" -l exclude -d 'Connection id to leave out (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l filter -d 'OData filter over userId, connectionId and groups' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-all" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-all" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand send-all" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-all" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-all" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-all" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-all" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s g -l group -d 'Group to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l exclude -d 'Connection id to leave out (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l filter -d 'OData filter over userId, connectionId and groups' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-group" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand send-group" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-group" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-group" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-group" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-group" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s u -l user -d 'User to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l filter -d 'OData filter over the user\'s connections' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-user" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand send-user" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-user" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-user" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-user" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-user" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s c -l connection -d 'Connection to send to (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l ttl -d 'Drop the message if not delivered within this many seconds (0-300)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l text -d 'Send this text (text/plain)' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l json -d 'Send this JSON (application/json); checked before sending' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l file -d 'Send this file\'s bytes (application/octet-stream); `-` reads stdin' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l content-type -d 'Content type for --file or stdin: text/plain, application/json or application/octet-stream' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand send-connection" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand listen" -s u -l user -d 'User id to connect as' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l role -d 'Role for the client token, e.g. webpubsub.sendToGroup (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -s g -l group -d 'Group to join after connecting (repeatable)' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l count -d 'Exit 0 after this many messages' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l subprotocol -d 'Subprotocol to offer (default json.webpubsub.azure.v1)' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand listen" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand listen" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
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
complete -c wps -n "__fish_wps_using_subcommand listen" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand demo" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand demo" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand demo" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand demo" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand demo" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand demo" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand demo" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand demo" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand emulator" -l host -d 'Address to listen on' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l port -d 'Port to listen on; 0 picks a free one' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l key -d 'Access key clients must sign with (at least 32 characters); defaults to the well-known development key' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand emulator" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand emulator" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand emulator" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand emulator" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand emulator" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand emulator" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand emulator" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "completions" -d 'Completion script for a shell: to DIR under its usual file name, else to stdout'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "man" -d 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR'
complete -c wps -n "__fish_wps_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from completions" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s p -l profile -d 'Profile from the config file [env: WPS_PROFILE]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l connection-string -d 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l endpoint -d 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l access-key -d 'Access key used with --endpoint [env: WPS_ACCESS_KEY]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l hub -d 'Hub name [env: WPS_HUB]' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l api-version -d 'REST api-version to send' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l config -d 'Config file [env: WPS_CONFIG]' -r -F
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l timeout -d 'Seconds to wait for each request attempt' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l retries -d 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables' -r
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s o -l output -d 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]' -r -f -a "table\t''
json\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s v -l verbose -d 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -l dry-run -d 'Print the requests that would be sent, and send nothing'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from man" -s V -l version -d 'Print version'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "completions" -d 'Completion script for a shell: to DIR under its usual file name, else to stdout'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "man" -d 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR'
complete -c wps -n "__fish_wps_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "send-all" -d 'Send a message to every connection in the hub'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "send-group" -d 'Send a message to one or more groups'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "send-user" -d 'Send a message to one or more users'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "send-connection" -d 'Send a message to one or more connections'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "listen" -d 'Connect as a WebSocket client and print what arrives, one JSON object a line'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "demo" -d 'Start an emulator in-process, connect a client, send to it, and show what arrived'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "emulator" -d 'Run a local Web PubSub-compatible service in the foreground'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "generate" -d 'Write shell completions or man pages (for packagers; hidden)'
complete -c wps -n "__fish_wps_using_subcommand help; and not __fish_seen_subcommand_from send-all send-group send-user send-connection listen demo emulator generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "completions" -d 'Completion script for a shell: to DIR under its usual file name, else to stdout'
complete -c wps -n "__fish_wps_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "man" -d 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR'
