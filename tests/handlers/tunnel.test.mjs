// The server tunnel, held to the official libraries on both of its ends.
//
// 1. `wps tunnel` in front of the official handler library: the emulator's handler for hub chat is
//    `tunnel:///api/webpubsub/hubs/{hub}/`, `wps tunnel --upstream` forwards to the Express app of
//    upstream.mjs (@azure/web-pubsub-express), and the official client SDK connects. The events
//    must arrive as the library reads them, and its answers must take effect.
// 2. The official tunnel client (TunnelConnection from @azure/web-pubsub-socket.io 1.2.1, the one
//    its in-process server proxy runs) against the emulator's `/server/tunnel`: it connects, serves
//    the events sent through it, and its REST calls through the tunnel are answered.
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file). Every wait is bounded.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

import { ASSIGNED_GROUPS, HUB, createUpstream } from "./upstream.mjs";

const require = createRequire(import.meta.url);
// The package has no `exports` map: its compiled tunnel client is reachable by path.
const { TunnelConnection } = require("@azure/web-pubsub-socket.io/dist/serverProxies/tunnels/TunnelConnection.js");

const HERE = dirname(fileURLToPath(import.meta.url));
const WPS_BIN = resolve(HERE, process.env.WPS_BIN ?? "../../target/debug/wps");
const WAIT = 15_000;
const TEST_TIMEOUT = 60_000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === "function" ? what() : what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(probe, what, ms = WAIT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    await sleep(25);
  }
}

/** A wps process: its stdout and stderr lines as they come. */
function run(args, env) {
  const home = mkdtempSync(join(tmpdir(), "wps-tunnel-"));
  const proc = spawn(WPS_BIN, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: home,
      WPS_CONFIG: join(home, "config.toml"),
      WPS_TEST_RETRY_BASE_MS: "10",
      LANG: "C.UTF-8",
      ...env,
    },
  });
  const out = [];
  const err = [];
  createInterface({ input: proc.stdout }).on("line", (l) => out.push(l));
  createInterface({ input: proc.stderr }).on("line", (l) => err.push(l));
  return { proc, out, err, home, describe: () => `stdout:\n${out.join("\n")}\nstderr:\n${err.join("\n")}` };
}

async function stop(p) {
  if (!p) return;
  if (p.proc.exitCode === null && p.proc.signalCode === null) {
    const exited = new Promise((r) => p.proc.once("exit", r));
    p.proc.kill("SIGTERM");
    if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) p.proc.kill("SIGKILL");
  }
  rmSync(p.home, { recursive: true, force: true });
}

/** `wps emulator --port 0 --event-handler HANDLER`, once it has printed its connection string. */
async function startEmulator(handler) {
  const emulator = run(["emulator", "--port", "0", "-v", "--event-handler", handler], {});
  const line = await waitFor(() => emulator.out[0], () => `the emulator's connection string\n${emulator.describe()}`, 30_000);
  const key = /AccessKey=([^;]+);/.exec(line)?.[1];
  assert.ok(key, `not a connection string: ${line}`);
  return { ...emulator, connectionString: line.trim(), key };
}

function nextEvent(client, event, match, what) {
  let listener;
  const p = new Promise((r) => {
    listener = (e) => match(e) && r(e);
    client.on(event, listener);
  });
  return withTimeout(p, WAIT, what).finally(() => client.off(event, listener));
}

const clients = [];

async function connect(service, userId, queryUser) {
  const client = new WebPubSubClient(
    {
      getClientAccessUrl: async () => {
        const { url } = await service.getClientAccessToken({ userId });
        return queryUser ? `${url}&user=${encodeURIComponent(queryUser)}` : url;
      },
    },
    { autoReconnect: false, autoRejoinGroups: false, messageRetryOptions: { maxRetries: 0 } },
  );
  clients.push(client);
  const connected = nextEvent(client, "connected", () => true, `connected for ${userId}`);
  connected.catch(() => {});
  await withTimeout(client.start(), WAIT, `client.start() for ${userId}`);
  const e = await connected;
  return { client, connectionId: e.connectionId, userId: e.userId };
}

after(() => {
  for (const c of clients) {
    try {
      c.stop();
    } catch {
      // already stopped
    }
  }
});

describe("wps tunnel in front of @azure/web-pubsub-express", { timeout: 5 * 60_000 }, () => {
  const upstream = createUpstream();
  let emulator;
  let tunnel;
  let service;

  before(async () => {
    assert.ok(existsSync(WPS_BIN), `wps binary not found at ${WPS_BIN} (build it, or set WPS_BIN)`);
    const port = await upstream.listen(0);
    emulator = await startEmulator(`${HUB}=tunnel:///api/webpubsub/hubs/{hub}/`);
    upstream.setAccessKey(emulator.key);
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
    tunnel = run(["tunnel", "--hub", HUB, "--upstream", `http://127.0.0.1:${port}`, "-o", "json"], {
      WPS_CONNECTION_STRING: emulator.connectionString,
    });
    await waitFor(() => tunnel.err.some((l) => l.includes("tunnel connected")), () => `wps tunnel connected\n${tunnel.describe()}`);
  });

  after(async () => {
    await stop(tunnel);
    await stop(emulator);
    await upstream.close();
  });

  test("connect, connected, a user event's reply and disconnected all go through the tunnel", { timeout: TEST_TIMEOUT }, async () => {
    const c = await connect(service, "bob", "bob");
    assert.equal(c.userId, "assigned-bob", "the handler's userId, answered through the tunnel, took effect");
    const seen = upstream.seen.connects.find((x) => x.connectionId === c.connectionId);
    assert.ok(seen, "handleConnect saw the connection");
    assert.equal(seen.tokenUserId, "bob");
    assert.ok(upstream.seen.validations.length > 0, "the OPTIONS validation went through the tunnel too");
    await waitFor(() => upstream.seen.connected.find((x) => x.connectionId === c.connectionId), "onConnected");
    for (const s of upstream.seen.signatures) assert.ok(s.ok, `ce-signature: ${JSON.stringify(s)}`);

    // The handler's groups: a send to one reaches the client.
    const got = nextEvent(c.client, "group-message", (e) => e.message.group === ASSIGNED_GROUPS[1], "the group message");
    await service.group(ASSIGNED_GROUPS[1]).sendToAll("to the lobby", { contentType: "text/plain" });
    assert.equal((await got).message.data, "to the lobby");

    // A user event's reply comes back as a server message.
    const reply = nextEvent(c.client, "server-message", (e) => e.message.data === "text:ping", "the echo reply");
    await withTimeout(c.client.sendEvent("echo-text", "ping", "text"), WAIT, "the ack of echo-text");
    await reply;

    c.client.stop();
    await waitFor(() => upstream.seen.disconnected.find((x) => x.connectionId === c.connectionId), "onDisconnected");

    // One JSON line per request on stdout, with the CloudEvents type.
    await waitFor(() => tunnel.out.some((l) => l.includes("azure.webpubsub.sys.disconnected")), () => tunnel.describe());
    const lines = tunnel.out.map((l) => JSON.parse(l));
    const connectLine = lines.find((l) => l.event === "azure.webpubsub.sys.connect");
    assert.equal(connectLine.status, 200);
    assert.equal(connectLine.path, "/api/webpubsub/hubs/chat/");
    assert.ok(lines.some((l) => l.event === "azure.webpubsub.user.echo-text" && l.status === 200));
  });

  test("a refusal by the handler refuses the client", { timeout: TEST_TIMEOUT }, async () => {
    await assert.rejects(connect(service, "mallory", "mallory"));
    await waitFor(() => tunnel.out.some((l) => l.includes('"status":401')), () => tunnel.describe());
  });
});

describe("the official tunnel client (@azure/web-pubsub-socket.io 1.2.1) against the emulator", { timeout: 5 * 60_000 }, () => {
  let emulator;
  let service;
  let official;
  const requests = [];

  before(async () => {
    assert.ok(existsSync(WPS_BIN), `wps binary not found at ${WPS_BIN} (build it, or set WPS_BIN)`);
    emulator = await startEmulator(`${HUB}=tunnel:///eventhandler/{event}`);
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
    const endpoint = /Endpoint=([^;]+);Port=(\d+);/.exec(emulator.connectionString);
    // Its request handler answers as an event handler would: validation allowed, connect with a userId.
    official = new TunnelConnection(`${endpoint[1]}:${endpoint[2]}`, { key: emulator.key }, HUB, async (request) => {
      requests.push({ method: request.HttpMethod, url: request.Url, type: request.Headers?.["ce-type"]?.[0] });
      const enc = new TextEncoder();
      if (request.HttpMethod === "OPTIONS") {
        return { StatusCode: 200, Headers: { "WebHook-Allowed-Origin": ["*"] }, Content: new Uint8Array() };
      }
      if (request.Headers?.["ce-eventname"]?.[0] === "connect") {
        return {
          StatusCode: 200,
          Headers: { "Content-Type": ["application/json"] },
          Content: enc.encode(JSON.stringify({ userId: "via-official-tunnel" })),
        };
      }
      return { StatusCode: 200, Headers: {}, Content: new Uint8Array() };
    });
    await withTimeout(official.runAsync(() => false), WAIT, () => `the official tunnel client connects\n${emulator.err.join("\n")}`);
  });

  after(async () => {
    official?.stop();
    await stop(emulator);
  });

  test("it connects and serves the hub's events", { timeout: TEST_TIMEOUT }, async () => {
    const c = await connect(service, "carol");
    assert.equal(c.userId, "via-official-tunnel", "its connect answer took effect");
    assert.ok(requests.some((r) => r.method === "OPTIONS"));
    const connect_ = requests.find((r) => r.type === "azure.webpubsub.sys.connect");
    assert.ok(connect_, `a connect request: ${JSON.stringify(requests)}`);
    assert.equal(new URL(connect_.url).pathname, "/eventhandler/connect");
    assert.ok(emulator.err.some((l) => /tunnel .* connected to hub chat/.test(l)), "-v says the tunnel connected");
  });

  test("its REST calls through the tunnel are answered", { timeout: TEST_TIMEOUT }, async () => {
    const c = await connect(service, "dave");
    const got = nextEvent(c.client, "server-message", (e) => e.message.data === "through the tunnel", "the server message");
    const response = await withTimeout(
      official.invokeAsync({
        method: "POST",
        url: `https://host/api/hubs/${HUB}/connections/${c.connectionId}/:send?api-version=2024-01-01`,
        content: new TextEncoder().encode("through the tunnel"),
        contentType: "text/plain",
      }),
      WAIT,
      "the answer to a REST call through the tunnel",
    );
    assert.equal(response.statusCode, 202);
    await got;
  });
});
