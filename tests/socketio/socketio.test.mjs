// `wps emulator` as Web PubSub for Socket.IO, held to the real socket.io-client (pinned).
//
// The emulator runs as a real subprocess; socket.io-client v4 connects to it with
// `path: "/clients/socketio/hubs/chat"` over WebSocket, long-polling, and polling upgraded to
// WebSocket; the official service SDK (@azure/web-pubsub) makes the REST calls the Socket.IO
// extension makes in default mode (Engine.IO payloads as text/plain, rooms as groups named
// `0~<base64url namespace>~<base64url room>`, close). Each client must see exactly what
// socket.io would deliver.
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file).
// Every wait is bounded; a run can fail but never hang.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { createServer } from "node:http";
import { io } from "socket.io-client";
import { Server } from "socket.io";
import { useAzureSocketIO } from "@azure/web-pubsub-socket.io";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

import { roomGroup, startEmulator, stopEmulator, withTimeout, WPS_BIN } from "./emulator.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const STDERR_LOG = join(HERE, "emulator.stderr.log");
const HUB = "chat";
const WAIT = 10_000;

let emulator; // { proc, connectionString, url, stderr, home }
let service;
let setupError;
const sockets = [];

/** The next `event` on `socket`, its arguments. */
function next(socket, event, what) {
  return withTimeout(new Promise((r) => socket.once(event, (...args) => r(args))), WAIT, what ?? event);
}

/** A connected client on `transports`; waits for the upgrade when both are given. */
async function connect(transports, auth, hub = HUB) {
  const socket = io(emulator.url, {
    path: `/clients/socketio/hubs/${hub}`,
    transports,
    auth,
    reconnection: false,
  });
  sockets.push(socket);
  const upgraded = transports.length > 1 ? next(socket.io.engine, "upgrade", "the upgrade to websocket") : null;
  await withTimeout(
    new Promise((res, rej) => {
      socket.once("connect", res);
      socket.once("connect_error", rej);
    }),
    WAIT,
    `connect over ${transports}`,
  );
  if (upgraded) await upgraded;
  return socket;
}

const TRANSPORTS = [
  ["websocket", ["websocket"]],
  ["polling", ["polling"]],
  ["polling upgraded", ["polling", "websocket"]],
];

// One emulator for both suites, stopped after the last.
before(async () => {
  try {
    assert.ok(existsSync(WPS_BIN), `wps binary not found at ${WPS_BIN} (build it, or set WPS_BIN)`);
    emulator = await startEmulator();
    service = new WebPubSubServiceClient(emulator.connectionString, HUB, { allowInsecureConnection: true });
  } catch (e) {
    setupError = e;
  }
});

after(async () => {
  for (const s of sockets) s.disconnect();
  await stopEmulator(emulator, STDERR_LOG);
});

describe("wps emulator as Web PubSub for Socket.IO, held to socket.io-client", { timeout: 5 * 60_000 }, () => {

  for (const [name, transports] of TRANSPORTS) {
    test(`two clients over ${name}: emits, binary, rooms, close`, { timeout: 60_000 }, async () => {
      if (setupError) assert.fail(`setup failed: ${setupError.message}`);
      const alice = await connect(transports, { token: "alice" });
      const bob = await connect(transports, { token: "bob" });
      const want = transports.at(-1);
      assert.equal(alice.io.engine.transport.name, want);
      assert.equal(bob.io.engine.transport.name, want);
      assert.ok(alice.id && bob.id && alice.id !== bob.id, "socket ids");

      // io.emit: to every socket of the namespace (the extension filters on its group).
      const toAll = [next(alice, "chat"), next(bob, "chat")];
      await service.sendToAll(`42["chat","hello",{"n":1}]`, { contentType: "text/plain", filter: `'${roomGroup("/", "")}' in groups` });
      for (const args of await Promise.all(toAll)) assert.deepEqual(args, ["hello", { n: 1 }]);

      // A binary event: the placeholder packet and its attachment as one payload.
      const bin = next(alice, "file");
      await service.sendToConnection(alice.io.engine.id, `451-["file",{"_placeholder":true,"num":0}]\x1ebAQID`, { contentType: "text/plain" });
      const [file] = await bin;
      assert.deepEqual([...file], [1, 2, 3]);

      // A room: join = add to the room's group; to(room).emit reaches only its members, and a
      // sentinel sent after it reaches the other first.
      const room = roomGroup("/", "lobby");
      await service.group(room).addConnection(alice.io.engine.id);
      const bobSaw = [];
      bob.on("room", (...a) => bobSaw.push(a));
      const inRoom = next(alice, "room");
      await service.group(room).sendToAll(`42["room","in lobby"]`, { contentType: "text/plain" });
      assert.deepEqual(await inRoom, ["in lobby"]);
      const sentinel = next(bob, "sentinel");
      await service.sendToAll(`42["sentinel"]`, { contentType: "text/plain" });
      await sentinel;
      assert.deepEqual(bobSaw, [], "bob is not in the room");
      // except: to all but the room's members.
      const aliceSaw = [];
      alice.on("news", (...a) => aliceSaw.push(a));
      const news = next(bob, "news");
      await service.sendToAll(`42["news","not for the lobby"]`, { contentType: "text/plain", filter: `not ('${room}' in groups)` });
      assert.deepEqual(await news, ["not for the lobby"]);
      const aliceSentinel = next(alice, "sentinel");
      await service.sendToAll(`42["sentinel"]`, { contentType: "text/plain" });
      await aliceSentinel;
      assert.deepEqual(aliceSaw, [], "alice is in the room");
      // leave
      await service.group(room).removeConnection(alice.io.engine.id);
      const aliceSentinel2 = next(alice, "sentinel");
      await service.group(room).sendToAll(`42["room","after leaving"]`, { contentType: "text/plain" });
      await service.sendToAll(`42["sentinel"]`, { contentType: "text/plain" });
      await aliceSentinel2;

      // A server-side disconnect of the namespace (DISCONNECT packet): "io server disconnect".
      const kicked = next(bob, "disconnect");
      await service.sendToConnection(bob.io.engine.id, "41", { contentType: "text/plain" });
      assert.deepEqual(await kicked, ["io server disconnect", undefined]);

      // Closing the connection over REST: the client sees its transport close.
      const closed = next(alice, "disconnect");
      await service.closeConnection(alice.io.engine.id, { reason: "bye" });
      assert.equal((await closed)[0], "transport close");
    });
  }

  test("a second namespace on one Engine.IO connection", { timeout: 60_000 }, async () => {
    if (setupError) assert.fail(`setup failed: ${setupError.message}`);
    const root = await connect(["websocket"], { token: "t" });
    // A second namespace on the same Engine.IO connection (the manager's).
    const admin = root.io.socket("/admin");
    sockets.push(admin);
    admin.connect();
    await next(admin, "connect", "connect to /admin");
    const got = next(admin, "hi");
    await service.group(roomGroup("/admin", "")).sendToAll(`42/admin,["hi","admins"]`, { contentType: "text/plain" });
    assert.deepEqual(await got, ["admins"]);
  });
});

// Default mode: a Socket.IO server on @azure/web-pubsub-socket.io 1.2.1, configured with the
// emulator's connection string only, reaches the emulator through the hub's server tunnel.
describe("default mode: useAzureSocketIO(io, { hub, connectionString }) unchanged", { timeout: 5 * 60_000 }, () => {
  const SIO_HUB = "sio";
  let sio; // the Socket.IO server
  let http;
  const handshakes = []; // what the server's middleware saw
  const serverSockets = new Map(); // client name -> server-side socket

  before(async () => {
    if (setupError) return;
    try {
      http = createServer();
      sio = new Server(http);
      sio.use((socket, next) => {
        handshakes.push(socket.handshake.auth);
        if (socket.handshake.auth?.name === "mallory") return next(new Error("not you"));
        next();
      });
      await withTimeout(useAzureSocketIO(sio, { hub: SIO_HUB, connectionString: emulator.connectionString }), WAIT, "useAzureSocketIO");
      sio.on("connection", (socket) => {
        serverSockets.set(socket.handshake.auth.name, socket);
        socket.on("hello", (msg, ack) => ack(`hi ${msg}`));
        // The adapter's join and leave are REST calls: awaited before the ack.
        socket.on("join", async (room, ack) => {
          await socket.join(room);
          ack("joined");
        });
        socket.on("leave", async (room, ack) => {
          await socket.leave(room);
          ack("left");
        });
        socket.on("shout", (msg) => socket.broadcast.emit("shout", msg));
      });
    } catch (e) {
      setupError = e;
    }
  });

  after(async () => {
    sio?.close();
    http?.close();
  });

  for (const [name, transports] of TRANSPORTS) {
    test(`a chat over ${name}: auth, acks both ways, rooms, broadcast, disconnects`, { timeout: 60_000 }, async () => {
      if (setupError) assert.fail(`setup failed: ${setupError.message}`);
      const alice = await connect(transports, { name: "alice" }, SIO_HUB);
      const bob = await connect(transports, { name: "bob" }, SIO_HUB);
      assert.ok(handshakes.some((a) => a.name === "alice") && handshakes.some((a) => a.name === "bob"), "the middleware saw auth");
      assert.equal(serverSockets.get("alice").id, alice.id, "the server's socket is the client's");

      // Client -> server with an ack, server -> client with an ack.
      assert.equal(await alice.timeout(WAIT).emitWithAck("hello", "alice"), "hi alice");
      bob.on("question", (q, ack) => ack(`bob says ${q}`));
      assert.equal(await serverSockets.get("bob").timeout(WAIT).emitWithAck("question", "yes?"), "bob says yes?");

      // io.emit and socket.broadcast.
      const both = [next(alice, "news"), next(bob, "news")];
      sio.emit("news", "for all");
      for (const args of await Promise.all(both)) assert.deepEqual(args, ["for all"]);
      const aliceShouts = [];
      alice.on("shout", (m) => aliceShouts.push(m));
      const heard = next(bob, "shout");
      alice.emit("shout", "hey");
      assert.deepEqual(await heard, ["hey"]);
      const sentinel = next(alice, "sentinel");
      sio.emit("sentinel");
      await sentinel;
      assert.deepEqual(aliceShouts, [], "broadcast skips its sender");

      // Rooms: join, to(room), except(room), leave.
      assert.equal(await alice.timeout(WAIT).emitWithAck("join", "lobby"), "joined");
      const bobRoom = [];
      bob.on("room", (m) => bobRoom.push(m));
      const inLobby = next(alice, "room");
      sio.to("lobby").emit("room", "lobby only");
      assert.deepEqual(await inLobby, ["lobby only"]);
      const notLobby = next(bob, "outside");
      const aliceOutside = [];
      alice.on("outside", (m) => aliceOutside.push(m));
      sio.except("lobby").emit("outside", "not the lobby");
      assert.deepEqual(await notLobby, ["not the lobby"]);
      const s2 = [next(alice, "sentinel"), next(bob, "sentinel")];
      sio.emit("sentinel");
      await Promise.all(s2);
      assert.deepEqual(bobRoom, [], "bob is not in the lobby");
      assert.deepEqual(aliceOutside, [], "alice is in the lobby");
      assert.equal(await alice.timeout(WAIT).emitWithAck("leave", "lobby"), "left");
      const aliceRoom = [];
      alice.on("room", (m) => aliceRoom.push(m));
      sio.to("lobby").emit("room", "after leaving");
      const s3 = next(alice, "sentinel");
      sio.emit("sentinel");
      await s3;
      assert.deepEqual(aliceRoom, [], "alice left the lobby");

      // disconnectSockets: the server's disconnect reaches the client.
      const bobGone = next(bob, "disconnect");
      sio.in(serverSockets.get("bob").id).disconnectSockets();
      assert.equal((await bobGone)[0], "io server disconnect");
      // The client's own disconnect reaches the server with its reason.
      const serverSaw = new Promise((r) => serverSockets.get("alice").once("disconnect", r));
      alice.disconnect();
      assert.equal(await withTimeout(serverSaw, WAIT, "the server sees alice go"), "client namespace disconnect");
    });
  }

  // The extension's broadcastWithAck is REST `:invoke` through the tunnel: the event goes
  // out with an ack id of the emulator's, and each client's ACK comes back as a line of the
  // streamed answer, so the server's callback gets one reply per client.
  test("broadcasts with acknowledgements: io.timeout().emitWithAck, to(room)", { timeout: 60_000 }, async () => {
    if (setupError) assert.fail(`setup failed: ${setupError.message}`);
    const ann = await connect(["websocket"], { name: "ann" }, SIO_HUB);
    const ben = await connect(["polling"], { name: "ben" }, SIO_HUB);
    for (const [name, socket] of [["ann", ann], ["ben", ben]]) {
      socket.on("q", (n, ack) => ack(`${name} ${n + 1}`));
    }
    const replies = await withTimeout(sio.timeout(5000).emitWithAck("q", 1), WAIT, "io.emitWithAck");
    assert.deepEqual([...replies].sort(), ["ann 2", "ben 2"]);

    // to(room) with an ack callback: only the room's member answers.
    assert.equal(await ann.timeout(WAIT).emitWithAck("join", "quiz"), "joined");
    const inRoom = await withTimeout(
      new Promise((res, rej) => sio.to("quiz").timeout(5000).emit("q", 10, (err, r) => (err ? rej(err) : res(r)))),
      WAIT,
      "to(room).emit with an ack",
    );
    assert.deepEqual(inRoom, ["ann 11"]);
    // A client that does not answer: the server's own timeout fires, with the reply that came.
    ben.off("q");
    ben.on("q", () => {});
    const late = await new Promise((res) => sio.timeout(1000).emit("q", 5, (err, r) => res([err, r])));
    assert.equal(late[0]?.message, "operation has timed out");
    assert.deepEqual(late[1], ["ann 6"]);
    ann.disconnect();
    ben.disconnect();
  });

  test("a middleware refusal is the client's connect_error", { timeout: 60_000 }, async () => {
    if (setupError) assert.fail(`setup failed: ${setupError.message}`);
    const socket = io(emulator.url, { path: `/clients/socketio/hubs/${SIO_HUB}`, transports: ["websocket"], auth: { name: "mallory" }, reconnection: false });
    sockets.push(socket);
    const [err] = await next(socket, "connect_error");
    assert.equal(err.message, "not you");
  });
});
