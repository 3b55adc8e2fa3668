#!/usr/bin/env bash
# Web PubSub for Socket.IO held to socket.io-client (pinned in package-lock.json): installs the
# packages and runs socketio.test.mjs (default mode) and serverless.test.mjs (serverless mode)
# with node's own test runner.
# WPS_BIN picks the wps binary (default: ../../target/debug/wps, which must be built first).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
# Bounded twice over: every wait in the suite has its own timeout; this caps the whole run.
exec timeout --kill-after=10 600 \
    node --test --test-force-exit --test-timeout=120000 --test-reporter=spec socketio.test.mjs serverless.test.mjs
