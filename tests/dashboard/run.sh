#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium, driven by playwright-core (pinned in
# package-lock.json; it downloads no browser). Installs chromium with apt when it is missing
# (needs root, as in CI), then the npm packages, then runs dashboard.test.mjs.
# WPS_BIN picks the wps binary (default: ../../target/debug/wps, which must be built first).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is missing: install it with 'apt-get install -y chromium' (as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
# Bounded twice over: every wait in the test has its own timeout; this caps the whole run.
exec timeout --kill-after=10 300 \
    node --test --test-force-exit --test-timeout=120000 --test-reporter=spec dashboard.test.mjs
