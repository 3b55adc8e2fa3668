
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wps' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wps'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wps' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send-all', 'send-all', [CompletionResultType]::ParameterValue, 'Send a message to every connection in the hub')
            [CompletionResult]::new('send-group', 'send-group', [CompletionResultType]::ParameterValue, 'Send a message to one or more groups')
            [CompletionResult]::new('send-user', 'send-user', [CompletionResultType]::ParameterValue, 'Send a message to one or more users')
            [CompletionResult]::new('send-connection', 'send-connection', [CompletionResultType]::ParameterValue, 'Send a message to one or more connections')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Connect as a WebSocket client and print what arrives, one JSON object a line')
            [CompletionResult]::new('client', 'client', [CompletionResultType]::ParameterValue, 'Connect as a two-way client: print what arrives, send what stdin says (join, send, event)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start an emulator in-process, connect a client, send to it, and show what arrived')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a client access URL and token for the hub, signed locally from the key')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage connection profiles in the config file')
            [CompletionResult]::new('add-to-group', 'add-to-group', [CompletionResultType]::ParameterValue, 'Put connections or users into a group, or every connection matching a filter into groups')
            [CompletionResult]::new('remove-from-group', 'remove-from-group', [CompletionResultType]::ParameterValue, 'Take connections or users out of a group (or of every group)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close connections: by id, of users, of groups, or all of them')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Give a connection a permission on a group')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Take a permission away from a connection')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Whether a connection has a permission: exit 0 yes, 1 no')
            [CompletionResult]::new('exists', 'exists', [CompletionResultType]::ParameterValue, 'Whether a connection, user or group exists: exit 0 yes, 1 no')
            [CompletionResult]::new('list-connections', 'list-connections', [CompletionResultType]::ParameterValue, 'The connections in a group (JSON lines or a table)')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send any data-plane request, signed like the others (for what the named commands don''t cover)')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local Web PubSub-compatible service in the foreground, or around a command')
            [CompletionResult]::new('tunnel', 'tunnel', [CompletionResultType]::ParameterValue, 'Carry the hub''s event-handler requests from the service''s tunnel to a local server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Man pages: print wps.1, or write every page (wps.1, wps-send-all.1, ...) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;send-all' {
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Connection id to leave out (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over userId, connectionId and groups')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text (text/plain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Send this JSON (application/json); checked before sending')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send this file''s bytes (application/octet-stream); `-` reads stdin')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type for --file or stdin: text/plain, application/json or application/octet-stream')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'Send an empty message when stdin (or --file) is empty, instead of refusing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;send-group' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to send to (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to send to (repeatable)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Connection id to leave out (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over userId, connectionId and groups')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text (text/plain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Send this JSON (application/json); checked before sending')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send this file''s bytes (application/octet-stream); `-` reads stdin')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type for --file or stdin: text/plain, application/json or application/octet-stream')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'Send an empty message when stdin (or --file) is empty, instead of refusing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;send-user' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User to send to (repeatable)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User to send to (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over the user''s connections')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text (text/plain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Send this JSON (application/json); checked before sending')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send this file''s bytes (application/octet-stream); `-` reads stdin')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type for --file or stdin: text/plain, application/json or application/octet-stream')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'Send an empty message when stdin (or --file) is empty, instead of refusing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;send-connection' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection to send to (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection to send to (repeatable)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text (text/plain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Send this JSON (application/json); checked before sending')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send this file''s bytes (application/octet-stream); `-` reads stdin')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type for --file or stdin: text/plain, application/json or application/octet-stream')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it with the message (repeatable)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'Send an empty message when stdin (or --file) is empty, instead of refusing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;listen' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role for the client token, e.g. webpubsub.sendToGroup (repeatable)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to join after connecting (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to join after connecting (repeatable)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit 0 after this many messages')
            [CompletionResult]::new('--within', '--within', [CompletionResultType]::ParameterName, 'Stop after this many seconds in all: exit 0 if the --count messages (without --count, any message) arrived, else 6')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Subprotocol to offer (default json.webpubsub.azure.v1); with protobuf.webpubsub.azure.v1 or protobuf.reliable.webpubsub.azure.v1 the lines are the same')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--reliable', '--reliable', [CompletionResultType]::ParameterName, 'Use json.reliable.webpubsub.azure.v1: acks sequence ids, resumes after a drop without loss')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Plain WebSocket: print payloads as they arrive, no envelopes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;client' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role for the client token, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group the client is in from the start, through its token (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group the client is in from the start, through its token (repeatable)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'How to talk to the service: json, json.reliable (resumes after a drop without loss), protobuf, protobuf.reliable (the same requests as protobuf binary frames), or raw (a plain WebSocket: each line is a text frame)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Connect to this client URL (`ws[s]://.../client/hubs/HUB?access_token=...`, e.g. from `wps token` or a server) instead of signing a token from the profile')
            [CompletionResult]::new('--ack-wait', '--ack-wait', [CompletionResultType]::ParameterName, 'At the end of input, wait this many seconds for the acks still due')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;demo' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;token' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id (the `sub` claim)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id (the `sub` claim)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group the client joins when it connects (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group the client joins when it connects (repeatable)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'Minutes until the token expires (at least 1)')
            [CompletionResult]::new('--client-type', '--client-type', [CompletionResultType]::ParameterName, 'Which client endpoint the token is for')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Show a token''s claims, when it expires, and (with a key configured) whether its signature is valid')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;token;decode' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;token;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Show a token''s claims, when it expires, and (with a key configured) whether its signature is valid')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;token;help;decode' {
            break
        }
        'wps;token;help;help' {
            break
        }
        'wps;profile' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show every resolved setting and where it came from (secrets redacted)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;profile;add' {
            [CompletionResult]::new('--connection-string-env', '--connection-string-env', [CompletionResultType]::ParameterName, 'Read the connection string from this environment variable at run time')
            [CompletionResult]::new('--access-key-env', '--access-key-env', [CompletionResultType]::ParameterName, 'Read the access key (used with --endpoint) from this environment variable at run time')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'Make it the default profile')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;profile;list' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;profile;show' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;profile;use' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;profile;remove' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;profile;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show every resolved setting and where it came from (secrets redacted)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;profile;help;add' {
            break
        }
        'wps;profile;help;list' {
            break
        }
        'wps;profile;help;show' {
            break
        }
        'wps;profile;help;use' {
            break
        }
        'wps;profile;help;remove' {
            break
        }
        'wps;profile;help;help' {
            break
        }
        'wps;add-to-group' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to add to (repeatable: each target is added to each group)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to add to (repeatable: each target is added to each group)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id (repeatable)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Every connection this OData filter matches (one :addToGroups request)')
            [CompletionResult]::new('--target-kind', '--target-kind', [CompletionResultType]::ParameterName, 'What --from-file lists: connection or user (default: the kind of --connection/--user given, else connection)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;remove-from-group' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to remove from (repeatable: each target is removed from each group)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to remove from (repeatable: each target is removed from each group)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id (repeatable)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Every connection this OData filter matches (one :removeFromGroups request)')
            [CompletionResult]::new('--target-kind', '--target-kind', [CompletionResultType]::ParameterName, 'What --from-file lists: connection or user (default: the kind of --connection/--user given, else connection)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all-groups', '--all-groups', [CompletionResultType]::ParameterName, 'Remove from every group (with --connection or --user)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;close' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection to close (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection to close (repeatable)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Close every connection of this user (repeatable)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Close every connection of this user (repeatable)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Close every connection in this group (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Close every connection in this group (repeatable)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Connection id to keep open (repeatable; not with --connection)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Reason the clients are told')
            [CompletionResult]::new('--target-kind', '--target-kind', [CompletionResultType]::ParameterName, 'What --from-file lists: connection, user or group (default: the kind of --connection/--user/--group given, else connection)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Close every connection in the hub')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;grant' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'The permission')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;revoke' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id (repeatable)')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'The permission')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--failed-to', '--failed-to', [CompletionResultType]::ParameterName, 'Write the targets that did not succeed to this file, one a line (ready for --from-file)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;check' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id')
            [CompletionResult]::new('--permission', '--permission', [CompletionResultType]::ParameterName, 'The permission')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'The group it applies to (the service takes a permission on one group at a time)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;exists' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection id')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection id')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id (exists while it has a connection)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id (exists while it has a connection)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group (exists while a connection is in it)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group (exists while a connection is in it)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;list-connections' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to list')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to list')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'At most this many connections in all')
            [CompletionResult]::new('--max-page-size', '--max-page-size', [CompletionResultType]::ParameterName, 'At most this many connections a page (1-200)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;api' {
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'Query parameter k=v, appended in order (repeatable)')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'Message metadata header X-WebPubSub-Metadata-KEY: VALUE (repeatable)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text (text/plain)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Send this JSON (application/json); checked before sending')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send this file''s bytes (application/octet-stream); `-` reads stdin')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type for --file or stdin: text/plain, application/json or application/octet-stream')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;emulator' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on: an IP address, or localhost (127.0.0.1)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one [default: 8080; a free one with -- CMD]')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Access key clients must sign with (at least 32 characters); defaults to the well-known development key')
            [CompletionResult]::new('--entra-issuer-key', '--entra-issuer-key', [CompletionResultType]::ParameterName, 'Also accept RS256 REST tokens signed by this RSA public key (PEM file) with audience https://webpubsub.azure.com, standing in for Entra ID in tests')
            [CompletionResult]::new('--event-handler', '--event-handler', [CompletionResultType]::ParameterName, 'Send this hub''s events (connect, connected, disconnected and every user event) to an event handler; repeatable, HUB may be `*`, `{hub}` and `{event}` are filled in')
            [CompletionResult]::new('--settings', '--settings', [CompletionResultType]::ParameterName, 'Per-hub event handler lists in a TOML file, or the official emulator''s appsettings.json; reloaded when it changes')
            [CompletionResult]::new('--socketio-mode', '--socketio-mode', [CompletionResultType]::ParameterName, 'Who answers Socket.IO clients (/clients/socketio/hubs/HUB): a Socket.IO server through the hub''s tunnel (default), or the hub''s event handlers alone (serverless: connect, connected, disconnected and each emitted event per namespace socket); a hub''s `socketio_mode` in --settings overrides it')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve https and wss with this certificate chain (PEM file, leaf first)')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM file)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Write the emulator''s messages (its stderr) to FILE, appending, instead of stderr')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Serve https and wss with a development certificate for localhost, 127.0.0.1 and ::1 (signed by the CA of `wps emulator ca`); prints the PEM file clients must trust (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS). The default with -- CMD')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Serve plain http and ws, also with -- CMD')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the development CA''s path (`--tls`); --install trusts it, --uninstall undoes that')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;emulator;ca' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--install', '--install', [CompletionResultType]::ParameterName, 'Add the CA to the system trust store and to the NSS database ~/.pki/nssdb (Chromium)')
            [CompletionResult]::new('--uninstall', '--uninstall', [CompletionResultType]::ParameterName, 'Remove the CA from the system trust store and from ~/.pki/nssdb')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;emulator;help' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the development CA''s path (`--tls`); --install trusts it, --uninstall undoes that')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;emulator;help;ca' {
            break
        }
        'wps;emulator;help;help' {
            break
        }
        'wps;tunnel' {
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'The local server to forward to, e.g. http://localhost:3000 (a path is kept as a prefix)')
            [CompletionResult]::new('--max-concurrency', '--max-concurrency', [CompletionResultType]::ParameterName, 'Upstream requests running at once; more wait for one to finish')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;man' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How to authenticate: key (access key), or a Microsoft Entra ID credential')
            [CompletionResult]::new('--reverse-proxy', '--reverse-proxy', [CompletionResultType]::ParameterName, 'Send requests through this reverse proxy (API Management, Application Gateway); tokens keep the service''s URL as audience [env: WPS_REVERSE_PROXY]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send [default: 2024-12-01]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables [default: 3]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; defaults to table on a terminal, json otherwise [env: WPS_OUTPUT]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests on stderr (-vv adds headers and bodies; secrets are always redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent, and send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wps;help' {
            [CompletionResult]::new('send-all', 'send-all', [CompletionResultType]::ParameterValue, 'Send a message to every connection in the hub')
            [CompletionResult]::new('send-group', 'send-group', [CompletionResultType]::ParameterValue, 'Send a message to one or more groups')
            [CompletionResult]::new('send-user', 'send-user', [CompletionResultType]::ParameterValue, 'Send a message to one or more users')
            [CompletionResult]::new('send-connection', 'send-connection', [CompletionResultType]::ParameterValue, 'Send a message to one or more connections')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Connect as a WebSocket client and print what arrives, one JSON object a line')
            [CompletionResult]::new('client', 'client', [CompletionResultType]::ParameterValue, 'Connect as a two-way client: print what arrives, send what stdin says (join, send, event)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start an emulator in-process, connect a client, send to it, and show what arrived')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a client access URL and token for the hub, signed locally from the key')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage connection profiles in the config file')
            [CompletionResult]::new('add-to-group', 'add-to-group', [CompletionResultType]::ParameterValue, 'Put connections or users into a group, or every connection matching a filter into groups')
            [CompletionResult]::new('remove-from-group', 'remove-from-group', [CompletionResultType]::ParameterValue, 'Take connections or users out of a group (or of every group)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Close connections: by id, of users, of groups, or all of them')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Give a connection a permission on a group')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Take a permission away from a connection')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Whether a connection has a permission: exit 0 yes, 1 no')
            [CompletionResult]::new('exists', 'exists', [CompletionResultType]::ParameterValue, 'Whether a connection, user or group exists: exit 0 yes, 1 no')
            [CompletionResult]::new('list-connections', 'list-connections', [CompletionResultType]::ParameterValue, 'The connections in a group (JSON lines or a table)')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Send any data-plane request, signed like the others (for what the named commands don''t cover)')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local Web PubSub-compatible service in the foreground, or around a command')
            [CompletionResult]::new('tunnel', 'tunnel', [CompletionResultType]::ParameterValue, 'Carry the hub''s event-handler requests from the service''s tunnel to a local server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Man pages: print wps.1, or write every page (wps.1, wps-send-all.1, ...) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;help;send-all' {
            break
        }
        'wps;help;send-group' {
            break
        }
        'wps;help;send-user' {
            break
        }
        'wps;help;send-connection' {
            break
        }
        'wps;help;listen' {
            break
        }
        'wps;help;client' {
            break
        }
        'wps;help;demo' {
            break
        }
        'wps;help;token' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Show a token''s claims, when it expires, and (with a key configured) whether its signature is valid')
            break
        }
        'wps;help;token;decode' {
            break
        }
        'wps;help;profile' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (or update it); takes the global --connection-string, --endpoint, --access-key, --hub, --auth and --api-version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show every resolved setting and where it came from (secrets redacted)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            break
        }
        'wps;help;profile;add' {
            break
        }
        'wps;help;profile;list' {
            break
        }
        'wps;help;profile;show' {
            break
        }
        'wps;help;profile;use' {
            break
        }
        'wps;help;profile;remove' {
            break
        }
        'wps;help;add-to-group' {
            break
        }
        'wps;help;remove-from-group' {
            break
        }
        'wps;help;close' {
            break
        }
        'wps;help;grant' {
            break
        }
        'wps;help;revoke' {
            break
        }
        'wps;help;check' {
            break
        }
        'wps;help;exists' {
            break
        }
        'wps;help;list-connections' {
            break
        }
        'wps;help;api' {
            break
        }
        'wps;help;emulator' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the development CA''s path (`--tls`); --install trusts it, --uninstall undoes that')
            break
        }
        'wps;help;emulator;ca' {
            break
        }
        'wps;help;tunnel' {
            break
        }
        'wps;help;completions' {
            break
        }
        'wps;help;man' {
            break
        }
        'wps;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
