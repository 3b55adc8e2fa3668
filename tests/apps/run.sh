#!/usr/bin/env bash
# An app of the samples' shape (server.js on @azure/web-pubsub and @azure/web-pubsub-express,
# a page on @azure/web-pubsub-client) through `wps emulator -- node server.js`, in Debian's
# chromium driven by playwright-core (pinned in package-lock.json; no browser download),
# trusting the emulator's CA through `wps emulator ca --install` in a temporary HOME.
# Installs chromium and certutil (libnss3-tools) with apt when missing (needs root, as in CI),
# then the npm packages, bundles the page's script, and runs chat.test.mjs.
# WPS_BIN picks the wps binary (default: ../../target/debug/wps, which must be built first).
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: install them with 'apt-get install -y ${missing[*]}' (as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
npm run --silent build -- --log-level=warning
# Bounded twice over: every wait in the test has its own timeout; this caps the whole run.
exec timeout --kill-after=10 300 \
    node --test --test-force-exit --test-timeout=120000 --test-reporter=spec chat.test.mjs
