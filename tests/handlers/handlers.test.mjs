// `wps emulator` event handlers, held to the official handler library.
//
// An upstream built on @azure/web-pubsub-express (upstream.mjs) runs in this process; the emulator
// runs as a real subprocess pointed at it with --event-handler; the official client SDK
// (@azure/web-pubsub-client) and service SDK (@azure/web-pubsub) drive it. Each answer the
// handler gives must arrive where the service would deliver it.
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file).
// WPS_EMULATOR_ARGS: extra emulator flags, space-separated (appended).
// Every wait is bounded; a run can fail but never hang.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

import {
  ASSIGNED_GROUPS,
  CONNECT_STATE,
  HUB,
  REFUSED_USER,
  SEND_ROLE_GROUP,
  createUpstream,
} from "./upstream.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const WPS_BIN = resolve(HERE, process.env.WPS_BIN ?? "../../target/debug/wps");
const STDERR_LOG = join(HERE, "emulator.stderr.log");
const START_TIMEOUT = 30_000; // emulator prints its connection string
const WAIT = 10_000; // something that must arrive
const SILENCE = 700; // listening for something that must not arrive
const TEST_TIMEOUT = 30_000; // hard cap per test
const STOP_TIMEOUT = 10_000; // SIGTERM to exit, then SIGKILL

const upstream = createUpstream();
let emulator; // { proc, connectionString, key, stderr: string[] }
let service; // WebPubSubServiceClient for hub chat
const clients = []; // every WebPubSubClient started, stopped in after()
let setupError; // why the upstream or the emulator could not be started
const alice = {}; // the main client: { client, connectionId, userId, groupMessages, serverMessages }

// ---------------------------------------------------------------- helpers

/** `what` may be a function, called only on timeout (so it can describe the state then). */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === "function" ? what() : what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What the upstream saw, short enough for an assertion message. */
function seenSummary() {
  const s = upstream.seen;
  const lines = s.requests.map(
    (r) => `  ${r.method} ${r.path} type=${r.headers["ce-type"] ?? "-"} conn=${r.headers["ce-connectionid"] ?? "-"} -> ${r.status ?? "pending"}`,
  );
  const tail = emulator ? emulator.stderr.slice(-15).map((l) => `  ${l}`) : [];
  return [
    `upstream saw ${s.requests.length} request(s):`,
    ...lines,
    `emulator stderr (last lines; all in ${STDERR_LOG}):`,
    ...tail,
  ].join("\n");
}

/** Polls `probe` until it returns something truthy. */
async function waitFor(probe, what, ms = WAIT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) {
      throw new assert.AssertionError({ message: `timed out after ${ms} ms waiting for ${what}\n${seenSummary()}` });
    }
    await sleep(25);
  }
}

/** Resolves with the first `event` the client emits that satisfies `match`. */
function nextEvent(client, event, match, what, ms = WAIT) {
  let listener;
  const p = new Promise((resolvePromise) => {
    listener = (e) => {
      if (match(e)) resolvePromise(e);
    };
    client.on(event, listener);
  });
  return withTimeout(p, ms, () => `${what}\n${seenSummary()}`).finally(() => client.off(event, listener));
}

function clientUrlFor({ userId, queryUser }) {
  return async () => {
    const { url } = await service.getClientAccessToken({ userId });
    return queryUser === undefined ? url : `${url}&user=${encodeURIComponent(queryUser)}`;
  };
}

function newClient({ userId, queryUser, protocol }) {
  const client = new WebPubSubClient(
    { getClientAccessUrl: clientUrlFor({ userId, queryUser }) },
    {
      autoReconnect: false,
      autoRejoinGroups: false,
      ...(protocol ? { protocol } : {}),
      messageRetryOptions: { maxRetries: 0 },
    },
  );
  clients.push(client);
  return client;
}

/** Starts a client and waits for its `connected` message. */
async function connect(opts) {
  const client = newClient(opts);
  const connected = nextEvent(client, "connected", () => true, `the connected message for ${JSON.stringify(opts)}`);
  connected.catch(() => {}); // awaited below; start() may fail first
  await withTimeout(client.start(), WAIT, `client.start() for ${JSON.stringify(opts)}`);
  const e = await connected;
  return { client, connectionId: e.connectionId, userId: e.userId };
}

function requireSetup() {
  if (setupError) assert.fail(`setup failed: ${String(setupError.message).split("\n")[0]}`);
}

function requireAlice() {
  requireSetup();
  if (!alice.client) assert.fail("needs the connected client of the first test, which failed");
}

/** Sends a user event and waits for both the handler's reply (a server message) and the ack. */
async function roundTrip(eventName, content, dataType, replyMatch) {
  requireAlice();
  // The matcher runs as the frame is handled, so this tells whether the reply came before the ack.
  let replied = false;
  const reply = nextEvent(
    alice.client,
    "server-message",
    (e) => (replyMatch(e.message) ? (replied = true) : false),
    `the handler's reply to event ${eventName} as a server message`,
  );
  reply.catch(() => {});
  const ack = await withTimeout(
    alice.client.sendEvent(eventName, content, dataType),
    WAIT,
    () => `the ack of event ${eventName}\n${seenSummary()}`,
  ).catch((e) => {
    const detail = e.errorDetail ? ` ${JSON.stringify(e.errorDetail)}` : "";
    throw new Error(`event ${eventName}: ${e.message}${detail}\n${seenSummary()}`, { cause: e });
  });
  const repliedBeforeAck = replied;
  assert.equal(typeof ack.ackId, "number", "the ack carries the ackId");
  assert.equal(ack.isDuplicated, false);
  const message = (await reply).message;
  assert.ok(repliedBeforeAck, `the reply to ${eventName} came after its ack; the service sends the reply first`);
  return message;
}

function bytes(data) {
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

// ---------------------------------------------------------------- setup / teardown

function startEmulator(upstreamPort) {
  const handler = `${HUB}=http://127.0.0.1:${upstreamPort}/api/webpubsub/hubs/{hub}/`;
  const extra = (process.env.WPS_EMULATOR_ARGS ?? "").split(/\s+/).filter(Boolean);
  const args = ["emulator", "--port", "0", "--event-handler", handler, ...extra];
  const home = mkdtempSync(join(tmpdir(), "wps-handlers-"));
  const proc = spawn(WPS_BIN, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: home,
      WPS_CONFIG: join(home, "config.toml"),
      LANG: "C.UTF-8",
    },
  });
  const stderr = [];
  createInterface({ input: proc.stderr }).on("line", (l) => {
    stderr.push(l);
    if (stderr.length > 5000) stderr.shift();
  });
  const command = `${WPS_BIN} ${args.map((a) => (/[\s{}]/.test(a) ? `'${a}'` : a)).join(" ")}`;
  return new Promise((resolvePromise, reject) => {
    const out = createInterface({ input: proc.stdout });
    const fail = (why) => {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      // Let the last stderr lines in before reporting them.
      setTimeout(() => reject(new Error(`${why}\ncommand: ${command}\nemulator stderr:\n${stderr.join("\n")}`)), 200);
    };
    const timer = setTimeout(() => fail(`no connection string on stdout within ${START_TIMEOUT} ms`), START_TIMEOUT);
    proc.once("error", (err) => fail(`could not start ${WPS_BIN}: ${err.message}`));
    proc.once("exit", (code, signal) => fail(`the emulator exited before printing its connection string (code ${code}, signal ${signal})`));
    out.once("line", (line) => {
      clearTimeout(timer);
      proc.removeAllListeners("exit");
      proc.removeAllListeners("error");
      const parts = Object.fromEntries(
        line.trim().split(";").filter(Boolean).map((seg) => {
          const i = seg.indexOf("=");
          return [seg.slice(0, i), seg.slice(i + 1)];
        }),
      );
      if (!parts.Endpoint || !parts.AccessKey) {
        proc.kill("SIGKILL");
        reject(new Error(`first stdout line is not a connection string: ${line}`));
        return;
      }
      out.on("line", (l) => stderr.push(`(stdout) ${l}`));
      resolvePromise({ proc, connectionString: line.trim(), key: parts.AccessKey, stderr, home, command });
    });
  });
}

async function stopEmulator() {
  if (!emulator) return;
  const { proc } = emulator;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT).then(() => false)]);
    if (!stopped) {
      proc.kill("SIGKILL");
      await Promise.race([exited, sleep(2_000)]);
    }
  }
  try {
    writeFileSync(STDERR_LOG, emulator.stderr.join("\n") + "\n");
  } catch {
    // best effort
  }
  rmSync(emulator.home, { recursive: true, force: true });
}

// ---------------------------------------------------------------- the suite

describe("wps emulator event handlers, held to @azure/web-pubsub-express", { timeout: 10 * 60_000 }, () => {
  // A setup failure is kept and reported by every test (rather than cancelling them all), so the
  // run says "N failed" and the first test shows the whole story.
  before(async () => {
    try {
      assert.ok(existsSync(WPS_BIN), `wps binary not found at ${WPS_BIN} (build it, or set WPS_BIN)`);
      const port = await upstream.listen(0);
      emulator = await startEmulator(port);
      upstream.setAccessKey(emulator.key);
      // The emulator serves plain http on loopback.
      service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
    } catch (err) {
      setupError = err;
    }
  });

  after(async () => {
    for (const c of clients) {
      try {
        c.stop();
      } catch {
        // already stopped
      }
    }
    await stopEmulator();
    await upstream.close();
  });

  test("the emulator starts with --event-handler and prints its connection string", { timeout: TEST_TIMEOUT }, () => {
    if (setupError) throw setupError;
    assert.match(emulator.connectionString, /^Endpoint=http:\/\/127\.0\.0\.1;Port=\d+;AccessKey=[^;]+;Version=1\.0;$/);
  });

  test("connect: the handler's userId is applied (connected message)", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const c = await connect({ userId: "alice", queryUser: "alice" });
    Object.assign(alice, c, { groupMessages: [], serverMessages: [] });
    c.client.on("group-message", (e) => alice.groupMessages.push(e.message));
    c.client.on("server-message", (e) => alice.serverMessages.push(e.message));
    assert.equal(c.userId, "assigned-alice", "the connected message carries the userId the connect handler assigned");
    const seen = upstream.seen.connects.find((x) => x.connectionId === c.connectionId);
    assert.ok(seen, `connect reached handleConnect for connection ${c.connectionId}\n${seenSummary()}`);
    assert.equal(seen.tokenUserId, "alice", "connect carries the token's user as ce-userId");
    assert.deepEqual(seen.query?.user, ["alice"], "connect body's query holds the client URL's query parameters");
    assert.ok(
      Array.isArray(seen.subprotocols) && seen.subprotocols.includes("json.reliable.webpubsub.azure.v1"),
      `connect body's subprotocols name the client's subprotocol: ${JSON.stringify(seen.subprotocols)}`,
    );
    for (const field of ["claims", "headers", "clientCertificates"]) {
      assert.ok(seen[field] !== undefined, `connect body has ${field}`);
    }
  });

  test("connect: the handler's groups are applied (a server send to the group reaches the client)", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    for (const group of ASSIGNED_GROUPS) {
      const text = `hello ${group}`;
      // Only membership is under test here: take the message whichever way the client surfaces it.
      const asGroup = nextEvent(alice.client, "group-message", (e) => e.message.group === group && e.message.data === text, `a message the server sent to group ${group}`);
      const asServer = nextEvent(alice.client, "server-message", (e) => e.message.data === text, `a message the server sent to group ${group}`);
      const got = Promise.any([asGroup, asServer]).catch((e) => Promise.reject(e.errors[0]));
      got.catch(() => {});
      await service.group(group).sendToAll(text, { contentType: "text/plain", abortSignal: AbortSignal.timeout(WAIT) });
      const e = await got;
      assert.equal(e.message.dataType, "text");
    }
  });

  test("connect: the handler's userId is the connection's user (a server send to the user arrives)", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    const text = "hello assigned user";
    const got = nextEvent(alice.client, "server-message", (e) => e.message.data === text, "a message sent to user assigned-alice");
    got.catch(() => {});
    await service.sendToUser("assigned-alice", text, { contentType: "text/plain", abortSignal: AbortSignal.timeout(WAIT) });
    await got;
  });

  test("connect: the handler's roles are applied (the client may send to the group it was granted)", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    const ack = await withTimeout(alice.client.sendToGroup(SEND_ROLE_GROUP, "from alice", "text"), WAIT, "the ack of sendToGroup");
    assert.equal(ack.isDuplicated, false);
    await waitFor(
      () => alice.groupMessages.find((m) => m.group === SEND_ROLE_GROUP && m.data === "from alice"),
      "alice's own group message back (she is in the group)",
    );
  });

  test("onConnected sees the connection, with the assigned userId", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    const e = await waitFor(
      () => upstream.seen.connected.find((x) => x.connectionId === alice.connectionId),
      `onConnected for ${alice.connectionId}`,
    );
    assert.equal(e.userId, "assigned-alice");
  });

  test("connect: a user the handler refuses with 401 cannot connect, and causes no connected/disconnected", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const client = newClient({ userId: REFUSED_USER, queryUser: REFUSED_USER });
    let connected = false;
    client.on("connected", () => (connected = true));
    const err = await withTimeout(
      client.start().then(
        () => undefined,
        (e) => e,
      ),
      WAIT,
      "client.start() for the refused user",
    );
    assert.ok(err instanceof Error, "client.start() fails for a refused user");
    assert.match(String(err.message ?? err), /\b401\b/, `the upgrade is refused with 401: ${err.message}`);
    assert.equal(connected, false);
    const seen = await waitFor(
      () => upstream.seen.connects.find((x) => x.tokenUserId === REFUSED_USER),
      "handleConnect for the refused user",
    );
    assert.equal(seen.answer.status, 401);
    await sleep(SILENCE);
    const later = [...upstream.seen.connected, ...upstream.seen.disconnected].filter(
      (x) => x.connectionId === seen.connectionId || x.userId === REFUSED_USER,
    );
    assert.deepEqual(later, [], "a refused client causes no connected or disconnected event");
  });

  test("user event answered with text: a server message, then the ack", { timeout: TEST_TIMEOUT }, async () => {
    const m = await roundTrip("echo-text", "hello", "text", (m) => m.dataType === "text" && m.data === "text:hello");
    assert.equal(m.data, "text:hello");
    const ev = upstream.seen.userEvents.find((x) => x.eventName === "echo-text");
    assert.equal(ev.dataType, "text");
    assert.equal(ev.data, "hello");
    assert.equal(ev.userId, "assigned-alice");
    assert.equal(ev.connectionId, alice.connectionId);
  });

  test("user event answered with json: a server message, then the ack", { timeout: TEST_TIMEOUT }, async () => {
    const sent = { n: 1, s: "é✓", list: [true, null] };
    const m = await roundTrip("echo-json", sent, "json", (m) => m.dataType === "json" && m.data?.echo !== undefined);
    assert.deepEqual(m.data, { echo: sent, dataType: "json", userId: "assigned-alice" });
  });

  test("user event answered with binary: a server message, then the ack", { timeout: TEST_TIMEOUT }, async () => {
    const sent = new Uint8Array([1, 2, 3, 0, 255]).buffer;
    const m = await roundTrip("echo-binary", sent, "binary", (m) => m.dataType === "binary");
    assert.deepEqual([...bytes(m.data)], [0xfe, 255, 0, 3, 2, 1]);
    const ev = upstream.seen.userEvents.find((x) => x.eventName === "echo-binary");
    assert.equal(ev.dataType, "binary");
    assert.deepEqual([...Buffer.from(ev.data, "base64")], [1, 2, 3, 0, 255]);
  });

  test("state set by the connect handler travels with the connection's later events", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    const ev = upstream.seen.userEvents.find((x) => x.connectionId === alice.connectionId);
    assert.ok(ev, "a user event of alice's reached the handler");
    assert.equal(ev.states?.[CONNECT_STATE.name], CONNECT_STATE.value, `user event states: ${JSON.stringify(ev.states)}`);
    const c = upstream.seen.connected.find((x) => x.connectionId === alice.connectionId);
    assert.equal(c?.states?.[CONNECT_STATE.name], CONNECT_STATE.value, `connected states: ${JSON.stringify(c?.states)}`);
  });

  test("state set by a user event's reply (res.setState) is present in the next event", { timeout: TEST_TIMEOUT }, async () => {
    await roundTrip("set-state", { counter: 42 }, "json", (m) => m.dataType === "text" && m.data === "state set");
    const m = await roundTrip("get-state", "?", "text", (m) => m.dataType === "json" && m.data?.states !== undefined);
    assert.equal(m.data.states.counter, 42, `states seen by the next event: ${JSON.stringify(m.data.states)}`);
    assert.equal(m.data.states[CONNECT_STATE.name], CONNECT_STATE.value, "state from connect is kept alongside");
  });

  test("a json (non-reliable) client without a query parameter: token userId kept, answers arrive", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const bob = await connect({ userId: "bob", protocol: WebPubSubJsonProtocol() });
    assert.equal(bob.userId, "bob", "a connect answer without userId keeps the token's user");
    const reply = nextEvent(bob.client, "server-message", (e) => e.message.data === "text:hi bob", "bob's reply");
    reply.catch(() => {});
    await withTimeout(bob.client.sendEvent("echo-text", "hi bob", "text"), WAIT, "bob's ack");
    await reply;
    const seen = upstream.seen.connects.find((x) => x.connectionId === bob.connectionId);
    assert.ok(seen?.subprotocols?.includes("json.webpubsub.azure.v1"), `subprotocols: ${JSON.stringify(seen?.subprotocols)}`);
    bob.client.stop();
    await waitFor(() => upstream.seen.disconnected.find((x) => x.connectionId === bob.connectionId), "onDisconnected for bob");
  });

  test("onDisconnected sees the connection, with a reason, after the client stops", { timeout: TEST_TIMEOUT }, async () => {
    requireAlice();
    const stopped = nextEvent(alice.client, "stopped", () => true, "the client's stopped event");
    stopped.catch(() => {});
    alice.client.stop();
    await stopped;
    const e = await waitFor(
      () => upstream.seen.disconnected.find((x) => x.connectionId === alice.connectionId),
      `onDisconnected for ${alice.connectionId}`,
    );
    assert.equal(e.userId, "assigned-alice");
    assert.ok(e.hasReason && typeof e.reason === "string", `disconnected body has a string reason: ${JSON.stringify(e)}`);
    await sleep(SILENCE);
    const count = upstream.seen.disconnected.filter((x) => x.connectionId === alice.connectionId).length;
    assert.equal(count, 1, "disconnected is sent once");
  });

  test("abuse protection: the handler library's answer to the OPTIONS validation came before any event", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const ok = upstream.seen.validations.filter((v) => v.status === 200 && v.allowedOrigin === "*");
    assert.ok(ok.length > 0, `the library answered an OPTIONS validation with WebHook-Allowed-Origin: *\n${seenSummary()}`);
    for (const v of ok) {
      assert.ok(v.requestOrigin, "the validation carries WebHook-Request-Origin");
    }
    const firstOk = upstream.seen.requests.findIndex((r) => r.method === "OPTIONS" && r.status === 200);
    const firstPost = upstream.seen.requests.findIndex((r) => r.method === "POST");
    assert.ok(firstPost === -1 || firstOk < firstPost, `validated before the first event\n${seenSummary()}`);
  });

  test("every event is a binary-mode CloudEvent the library accepted", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const posts = upstream.seen.requests.filter((r) => r.method === "POST");
    assert.ok(posts.length > 0, "events reached the upstream");
    for (const r of posts) {
      const h = r.headers;
      const where = `${r.path} (${h["ce-type"]})`;
      assert.equal(h["ce-specversion"], "1.0", `ce-specversion on ${where}`);
      assert.equal(h["ce-awpsversion"], "1.0", `ce-awpsversion on ${where}`);
      assert.match(h["ce-type"] ?? "", /^azure\.webpubsub\.(sys\.(connect|connected|disconnected)|user\..+)$/, `ce-type on ${where}`);
      assert.equal(h["ce-hub"], HUB, `ce-hub on ${where}`);
      assert.ok(h["ce-connectionid"], `ce-connectionId on ${where}`);
      assert.equal(h["ce-source"], `/hubs/${HUB}/client/${h["ce-connectionid"]}`, `ce-source on ${where}`);
      assert.ok(h["ce-id"] !== undefined, `ce-id on ${where}`);
      assert.ok(!Number.isNaN(Date.parse(h["ce-time"] ?? "")), `ce-time on ${where}: ${h["ce-time"]}`);
      assert.ok(h["ce-eventname"], `ce-eventName on ${where}`);
      assert.ok(h["webhook-request-origin"], `WebHook-Request-Origin on ${where} (the library ignores events without it)`);
      const event = h["ce-type"].replace(/^azure\.webpubsub\.(sys|user)\./, "");
      assert.equal(h["ce-eventname"], event, `ce-eventName matches ce-type on ${where}`);
      assert.ok(r.status !== 404, `the library handled ${where} (404 means it ignored it)`);
    }
  });

  test("every event's ce-signature is sha256= HMAC-SHA256(access key, connection id)", { timeout: TEST_TIMEOUT }, async () => {
    requireSetup();
    const checks = upstream.seen.signatures;
    const posts = upstream.seen.requests.filter((r) => r.method === "POST" && r.headers["ce-connectionid"]);
    assert.ok(checks.length > 0, "signed events reached the upstream");
    assert.equal(checks.length, posts.length);
    const bad = checks.filter((c) => !c.ok);
    assert.deepEqual(bad, [], "every signature valid");
  });
});
