
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
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send-all', 'send-all', [CompletionResultType]::ParameterValue, 'Send a message to every connection in the hub')
            [CompletionResult]::new('send-group', 'send-group', [CompletionResultType]::ParameterValue, 'Send a message to one or more groups')
            [CompletionResult]::new('send-user', 'send-user', [CompletionResultType]::ParameterValue, 'Send a message to one or more users')
            [CompletionResult]::new('send-connection', 'send-connection', [CompletionResultType]::ParameterValue, 'Send a message to one or more connections')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Connect as a WebSocket client and print what arrives, one JSON object a line')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start an emulator in-process, connect a client, send to it, and show what arrived')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local Web PubSub-compatible service in the foreground')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers; hidden)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;send-all' {
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Connection id to leave out (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over userId, connectionId and groups')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
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
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;send-group' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to send to (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to send to (repeatable)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Connection id to leave out (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over userId, connectionId and groups')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
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
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;send-user' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User to send to (repeatable)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User to send to (repeatable)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'OData filter over the user''s connections')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
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
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;send-connection' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connection to send to (repeatable)')
            [CompletionResult]::new('--connection', '--connection', [CompletionResultType]::ParameterName, 'Connection to send to (repeatable)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Drop the message if not delivered within this many seconds (0-300)')
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
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;listen' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User id to connect as')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role for the client token, e.g. webpubsub.sendToGroup (repeatable)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Group to join after connecting (repeatable)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to join after connecting (repeatable)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit 0 after this many messages')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Subprotocol to offer (default json.webpubsub.azure.v1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;demo' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;emulator' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Access key clients must sign with (at least 32 characters); defaults to the well-known development key')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wps;generate' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Completion script for a shell: to DIR under its usual file name, else to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;generate;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            break
        }
        'wps;generate;man' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: WPS_PROFILE]')
            [CompletionResult]::new('--connection-string', '--connection-string', [CompletionResultType]::ParameterName, 'Connection string `Endpoint=...;AccessKey=...;Version=1.0;` [env: WPS_CONNECTION_STRING, WebPubSubConnectionString]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Service endpoint, e.g. https://contoso.webpubsub.azure.com [env: WPS_ENDPOINT]')
            [CompletionResult]::new('--access-key', '--access-key', [CompletionResultType]::ParameterName, 'Access key used with --endpoint [env: WPS_ACCESS_KEY]')
            [CompletionResult]::new('--hub', '--hub', [CompletionResultType]::ParameterName, 'Hub name [env: WPS_HUB]')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'REST api-version to send')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: WPS_CONFIG]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each request attempt')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a failed attempt (429, 5xx, connection errors); 0 disables')
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
            break
        }
        'wps;generate;help' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Completion script for a shell: to DIR under its usual file name, else to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wps;generate;help;completions' {
            break
        }
        'wps;generate;help;man' {
            break
        }
        'wps;generate;help;help' {
            break
        }
        'wps;help' {
            [CompletionResult]::new('send-all', 'send-all', [CompletionResultType]::ParameterValue, 'Send a message to every connection in the hub')
            [CompletionResult]::new('send-group', 'send-group', [CompletionResultType]::ParameterValue, 'Send a message to one or more groups')
            [CompletionResult]::new('send-user', 'send-user', [CompletionResultType]::ParameterValue, 'Send a message to one or more users')
            [CompletionResult]::new('send-connection', 'send-connection', [CompletionResultType]::ParameterValue, 'Send a message to one or more connections')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Connect as a WebSocket client and print what arrives, one JSON object a line')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start an emulator in-process, connect a client, send to it, and show what arrived')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local Web PubSub-compatible service in the foreground')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers; hidden)')
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
        'wps;help;demo' {
            break
        }
        'wps;help;emulator' {
            break
        }
        'wps;help;generate' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Completion script for a shell: to DIR under its usual file name, else to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Man pages: wps.1 and one per command (wps-send-all.1, ...) into DIR')
            break
        }
        'wps;help;generate;completions' {
            break
        }
        'wps;help;generate;man' {
            break
        }
        'wps;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
