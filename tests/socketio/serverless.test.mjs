// `wps emulator --socketio-mode serverless`: a Socket.IO chat with no Socket.IO server, held
// to the real socket.io-client (pinned) and the service's "Socket.IO Serverless Mode
// Specification".
//
// The event handler is a plain node `http` server that does what the spec says a handler
// does: accepts `connect` (refusing the namespace /forbidden), answers an emit's ack with an
// Engine.IO payload in its reply body, and uses the REST API (@azure/web-pubsub) to put a
// socket in a room (`:addToGroups` filtered on the socket's own group), to send to the room,
// and to disconnect a socket (`41` to its group). Two clients: alice over WebSocket with
// `query: { access_token }` from `wps token --client-type socketio`, bob over long-polling
// with the SDK's token as `Authorization: Bearer`.
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file).
// Every wait is bounded; a run can fail but never hang.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { io } from "socket.io-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

import { roomGroup, startEmulator, stopEmulator, withTimeout, WPS_BIN } from "./emulator.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const STDERR_LOG = join(HERE, "serverless.stderr.log");
const HUB = "chat";
const WAIT = 10_000;

let emulator; // { proc, connectionString, url, stderr, home }
let handler; // { server, port, seen }
let service;
let setupError;
const sockets = [];

/** One text packet of an Engine.IO payload (`4` + Socket.IO packet), read. */
function readPacket(payload) {
  let p = payload.slice(1);
  const type = p[0];
  p = p.slice(1);
  let nsp = "/";
  if (p.startsWith("/")) {
    const comma = p.indexOf(",");
    nsp = p.slice(0, comma);
    p = p.slice(comma + 1);
  }
  const id = /^\d+/.exec(p)?.[0];
  if (id) p = p.slice(id.length);
  return { type, nsp, id, args: JSON.parse(p) };
}

/** An ACK packet for `packet`, as an Engine.IO payload. */
const ackFor = (packet, args) => `43${packet.nsp === "/" ? "" : `${packet.nsp},`}${packet.id}${JSON.stringify(args)}`;

/** The event handler, by the spec: every request is recorded in `seen`. */
function startHandler() {
  const seen = [];
  const users = new Map(); // socket id -> the user its token named
  const server = createServer(async (req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(200, { "WebHook-Allowed-Origin": "*" });
      res.end();
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString();
    const h = req.headers;
    const event = { name: h["ce-eventname"], type: h["ce-type"], nsp: h["ce-namespace"], sid: h["ce-socketid"], connection: h["ce-connectionid"], contentType: h["content-type"], body };
    seen.push(event);
    const answer = (status, text) => {
      res.writeHead(status, text ? { "Content-Type": "text/plain" } : {});
      res.end(text);
    };
    try {
      switch (event.name) {
        case "connect": {
          if (event.nsp === "/forbidden") return answer(401);
          users.set(event.sid, JSON.parse(body).claims.sub?.[0] ?? "anonymous");
          return answer(200);
        }
        case "connected":
        case "disconnected":
          return answer(200);
        case "whoami":
          return answer(200, ackFor(readPacket(body), [users.get(event.sid)]));
        case "join": {
          const packet = readPacket(body);
          const [, room] = packet.args;
          await service.addConnectionsToGroups([roomGroup(packet.nsp, room)], `'${roomGroup(packet.nsp, event.sid)}' in groups`);
          return answer(200, ackFor(packet, ["joined", room]));
        }
        case "say": {
          const packet = readPacket(body);
          const [, room, text] = packet.args;
          const said = `42${JSON.stringify(["said", users.get(event.sid), text])}`;
          await service.group(roomGroup(packet.nsp, room)).sendToAll(said, { contentType: "text/plain" });
          return answer(204);
        }
        case "leave-me": {
          // Disconnects the socket that asked, through its own room.
          const packet = readPacket(body);
          await service.group(roomGroup(packet.nsp, event.sid)).sendToAll("41", { contentType: "text/plain" });
          return answer(204);
        }
        default:
          return answer(204);
      }
    } catch (e) {
      answer(500);
      throw e;
    }
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, port: server.address().port, seen })));
}

/** The handler's request for `name` of socket `sid`, once it has arrived. */
async function handled(name, sid) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const found = handler.seen.find((e) => e.name === name && e.sid === sid);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`the handler never got ${name} of ${sid}; it got ${JSON.stringify(handler.seen.map((e) => [e.name, e.sid]))}`);
    await sleep(20);
  }
}

/** `wps token --client-type socketio` for `user`, against this emulator. */
function cliToken(user) {
  const out = execFileSync(WPS_BIN, ["token", "--client-type", "socketio", "--user", user, "-o", "json"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: emulator.home, WPS_CONFIG: join(emulator.home, "config.toml"), WPS_CONNECTION_STRING: emulator.connectionString, WPS_HUB: HUB },
    timeout: WAIT,
  });
  return JSON.parse(out.toString()).token;
}

/** A client of `nsp` (`/` by default) with these options; resolves once connected. */
async function connect(options, nsp = "") {
  const socket = io(`${emulator.url}${nsp}`, { path: `/clients/socketio/hubs/${HUB}`, reconnection: false, forceNew: true, ...options });
  sockets.push(socket);
  await withTimeout(
    new Promise((res, rej) => {
      socket.once("connect", res);
      socket.once("connect_error", rej);
    }),
    WAIT,
    `connect over ${options.transports}`,
  );
  return socket;
}

/** The connect_error a client gets. */
function refusal(options, nsp = "") {
  const socket = io(`${emulator.url}${nsp}`, { path: `/clients/socketio/hubs/${HUB}`, reconnection: false, forceNew: true, ...options });
  sockets.push(socket);
  return withTimeout(
    new Promise((res, rej) => {
      socket.once("connect", () => rej(new Error("connected, but should have been refused")));
      socket.once("connect_error", res);
    }),
    WAIT,
    "a refusal",
  );
}

function next(socket, event) {
  return withTimeout(new Promise((r) => socket.once(event, (...args) => r(args))), WAIT, event);
}

before(async () => {
  try {
    assert.ok(existsSync(WPS_BIN), `wps binary not found at ${WPS_BIN} (build it, or set WPS_BIN)`);
    handler = await startHandler();
    emulator = await startEmulator(["--socketio-mode", "serverless", "--event-handler", `${HUB}=http://127.0.0.1:${handler.port}/events/{event}`]);
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
  } catch (e) {
    setupError = e;
  }
});

after(async () => {
  for (const s of sockets) s.disconnect();
  await stopEmulator(emulator, STDERR_LOG);
  handler?.server.closeAllConnections();
  handler?.server.close();
});

describe("wps emulator in serverless mode, held to socket.io-client and a handler that follows the spec", { timeout: 2 * 60_000 }, () => {
  test("a chat over WebSocket and long-polling: tokens, acks from the handler, rooms by REST, disconnects", { timeout: 60_000 }, async () => {
    if (setupError) assert.fail(`setup failed: ${setupError.message}`);

    // No token: the Engine.IO connection is refused.
    const noToken = await refusal({ transports: ["websocket"] });
    assert.ok(noToken, "connect_error");

    const alice = await connect({ transports: ["websocket"], query: { access_token: cliToken("alice") } });
    const { token } = await service.getClientAccessToken({ userId: "bob", clientProtocol: "socketio" });
    const bob = await connect({ transports: ["polling"], extraHeaders: { Authorization: `Bearer ${token}` } });
    assert.equal(alice.io.engine.transport.name, "websocket");
    assert.equal(bob.io.engine.transport.name, "polling");
    // Socket ids (the client forgets its own once disconnected).
    const [aliceId, bobId] = [alice.id, bob.id];
    assert.equal(aliceId.length, 20);
    assert.notEqual(aliceId, bobId);

    // The handler heard of each socket, with the spec's headers and the token's claims.
    const connect_ = await handled("connect", alice.id);
    assert.equal(connect_.type, "azure.webpubsub.sys.connect");
    assert.equal(connect_.nsp, "/");
    assert.equal(connect_.connection, alice.io.engine.id);
    assert.deepEqual(JSON.parse(connect_.body).claims.sub, ["alice"]);
    await handled("connected", alice.id);
    await handled("connected", bob.id);

    // An emit with an ack: the handler's reply body is the ack.
    assert.deepEqual(await withTimeout(alice.emitWithAck("whoami"), WAIT, "alice's ack"), "alice");
    assert.deepEqual(await withTimeout(bob.emitWithAck("whoami"), WAIT, "bob's ack"), "bob");
    const whoami = await handled("whoami", alice.id);
    assert.equal(whoami.type, "azure.webpubsub.user.message");
    assert.ok(whoami.contentType.startsWith("text/plain"), whoami.contentType);
    assert.match(whoami.body, /^42\d+\["whoami"\]$/);

    // Rooms: the handler adds each socket to `lobby` by REST; a `say` reaches both.
    assert.deepEqual(await withTimeout(alice.emitWithAck("join", "lobby"), WAIT, "join"), "joined");
    assert.deepEqual(await withTimeout(bob.emitWithAck("join", "lobby"), WAIT, "join"), "joined");
    const heard = [next(alice, "said"), next(bob, "said")];
    alice.emit("say", "lobby", "hello, lobby");
    for (const args of await Promise.all(heard)) assert.deepEqual(args, ["alice", "hello, lobby"]);
    // A room only bob is in: alice does not hear it; the lobby message after it is the sentinel.
    assert.deepEqual(await withTimeout(bob.emitWithAck("join", "corner"), WAIT, "join"), "joined");
    const aliceSaw = [];
    alice.on("said", (...a) => aliceSaw.push(a));
    const corner = next(bob, "said");
    bob.emit("say", "corner", "just bob");
    assert.deepEqual(await corner, ["bob", "just bob"]);
    const sentinel = next(alice, "said");
    bob.emit("say", "lobby", "sentinel");
    await sentinel;
    assert.deepEqual(aliceSaw, [["bob", "sentinel"]]);

    // A namespace the handler refuses: connect_error with its message; alice stays connected.
    const refused = await refusal({ transports: ["websocket"], query: { access_token: cliToken("alice") } }, "/forbidden");
    assert.match(refused.message, /401/);

    // The handler disconnects alice's socket by REST: the client hears `io server disconnect`,
    // the handler `disconnected`.
    const gone = next(alice, "disconnect");
    alice.emit("leave-me");
    assert.deepEqual(await gone, ["io server disconnect", undefined]);
    const ended = await handled("disconnected", aliceId);
    assert.equal(JSON.parse(ended.body).reason, "server namespace disconnect");

    // Bob leaves on his own.
    bob.disconnect();
    const left = await handled("disconnected", bobId);
    assert.equal(JSON.parse(left.body).reason, "client namespace disconnect");
  });
});
