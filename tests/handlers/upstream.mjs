// A real Web PubSub upstream (event handler) built on the official handler library,
// @azure/web-pubsub-express: the server side of a chat app, as a user of the service would
// write it. It records everything it sees so a test can hold the emulator to it.
//
// Used in-process by handlers.test.mjs (createUpstream), or standalone for poking by hand:
//   node upstream.mjs [--port N] [--key ACCESS_KEY]
// prints `listening on PORT`; GET /_seen returns what it recorded as JSON.

import { createHmac, timingSafeEqual } from "node:crypto";
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

export const HUB = "chat";
/** Groups every accepted connection is put in by the connect handler. */
export const ASSIGNED_GROUPS = ["handler-group", "lobby"];
/** The only group the connect handler lets the client send to (a role it grants). */
export const SEND_ROLE_GROUP = "handler-group";
/** A user the connect handler refuses with 401. */
export const REFUSED_USER = "mallory";
/** State the connect handler sets; later events must carry it. */
export const CONNECT_STATE = { name: "fromConnect", value: "set-in-connect" };

/** `sha256=` + hex HMAC-SHA256(key, connectionId), as the service signs each request. */
export function signatureFor(key, connectionId) {
  return "sha256=" + createHmac("sha256", Buffer.from(key, "utf8")).update(connectionId, "utf8").digest("hex");
}

function sameText(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The first value of a connect request's query parameter (the service sends string arrays). */
function queryParam(query, name) {
  const v = query?.[name];
  if (Array.isArray(v)) return v[0];
  return v;
}

/** A snapshot: the library's setState mutates the states object it handed the handler. */
const copy = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function ceHeaders(req) {
  const out = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith("ce-") || k.startsWith("webhook-") || k === "content-type") out[k] = v;
  }
  return out;
}

/**
 * Builds the upstream. `accessKey` may be set later (setAccessKey) since the emulator's key is
 * only known once its connection string is read.
 */
export function createUpstream({ accessKey } = {}) {
  let key = accessKey;
  const seen = {
    requests: [], // every request: method, path, ce-* headers, status
    validations: [], // OPTIONS abuse-protection requests and the answer's WebHook-Allowed-Origin
    signatures: [], // one per request carrying ce-connectionId: ok or why not
    connects: [], // connect requests as the library parsed them, with the answer given
    connected: [],
    disconnected: [],
    userEvents: [],
  };

  // Independent signature check, before the library, on the raw headers. It never consumes the
  // body (the library reads the stream itself) and never blocks the request.
  const signatureCheck = (req, res, next) => {
    const connectionId = req.headers["ce-connectionid"];
    if (req.method === "POST" && connectionId !== undefined) {
      const got = req.headers["ce-signature"];
      const entry = { type: req.headers["ce-type"], connectionId, got, ok: false };
      if (key === undefined) {
        entry.why = "the upstream does not know the access key yet";
      } else if (typeof got !== "string" || got === "") {
        entry.why = "no ce-signature header";
      } else {
        const expected = signatureFor(key, connectionId);
        entry.expected = expected;
        // Two keys give two comma-separated values; one matching is enough.
        entry.ok = got.split(",").some((s) => sameText(s.trim(), expected));
        if (!entry.ok) entry.why = "no value matches HMAC-SHA256(access key, connection id)";
      }
      seen.signatures.push(entry);
    }
    next();
  };

  const recordRequests = (req, res, next) => {
    const entry = { method: req.method, path: req.originalUrl, headers: ceHeaders(req) };
    seen.requests.push(entry);
    res.on("finish", () => {
      entry.status = res.statusCode;
      if (req.method === "OPTIONS") {
        seen.validations.push({
          path: req.originalUrl,
          requestOrigin: req.headers["webhook-request-origin"],
          awpsVersion: req.headers["ce-awpsversion"],
          status: res.statusCode,
          allowedOrigin: res.getHeader("WebHook-Allowed-Origin"),
        });
      }
    });
    next();
  };

  const handler = new WebPubSubEventHandler(HUB, {
    // path: default, /api/webpubsub/hubs/chat/
    handleConnect(req, res) {
      const asked = queryParam(req.query, "user");
      const userId = asked !== undefined ? `assigned-${asked}` : req.context.userId;
      const entry = {
        connectionId: req.context.connectionId,
        tokenUserId: req.context.userId,
        query: req.query,
        claims: req.claims,
        headers: req.headers,
        subprotocols: req.subprotocols,
        clientCertificates: req.clientCertificates,
        states: copy(req.context.states),
      };
      seen.connects.push(entry);
      if (asked === REFUSED_USER || req.context.userId === REFUSED_USER) {
        entry.answer = { status: 401 };
        res.fail(401, "not welcome here");
        return;
      }
      const answer = {
        userId,
        groups: ASSIGNED_GROUPS,
        roles: [`webpubsub.sendToGroup.${SEND_ROLE_GROUP}`],
      };
      entry.answer = { status: 200, ...answer };
      res.setState(CONNECT_STATE.name, CONNECT_STATE.value);
      res.success(answer);
    },
    onConnected(req) {
      seen.connected.push({
        connectionId: req.context.connectionId,
        userId: req.context.userId,
        states: copy(req.context.states),
      });
    },
    onDisconnected(req) {
      seen.disconnected.push({
        connectionId: req.context.connectionId,
        userId: req.context.userId,
        reason: req.reason,
        hasReason: Object.prototype.hasOwnProperty.call(req, "reason"),
        states: copy(req.context.states),
      });
    },
    handleUserEvent(req, res) {
      const { eventName, connectionId, userId, states } = req.context;
      seen.userEvents.push({
        eventName,
        connectionId,
        userId,
        dataType: req.dataType,
        data: req.dataType === "binary" ? Buffer.from(req.data).toString("base64") : req.data,
        states: copy(states),
      });
      switch (eventName) {
        case "echo-text":
          res.success(`text:${req.data}`, "text");
          return;
        case "echo-json":
          res.success(JSON.stringify({ echo: req.data, dataType: req.dataType, userId }), "json");
          return;
        case "echo-binary": {
          const bytes = Buffer.from(req.data);
          res.success(Buffer.concat([Buffer.from([0xfe]), Buffer.from(bytes).reverse()]), "binary");
          return;
        }
        case "set-state":
          res.setState("counter", req.data?.counter ?? null);
          res.success("state set", "text");
          return;
        case "get-state":
          res.success(JSON.stringify({ states: copy(states) }), "json");
          return;
        default:
          res.fail(400, `unknown event ${eventName}`);
      }
    },
  });

  const app = express();
  app.disable("x-powered-by");
  app.get("/_seen", (_req, res) => res.json(seen));
  app.use(recordRequests);
  app.use(signatureCheck);
  app.use(handler.getMiddleware());

  let server;
  return {
    app,
    seen,
    handlerPath: handler.path,
    setAccessKey(k) {
      key = k;
    },
    /** Listens on 127.0.0.1; resolves to the port. */
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        server = app.listen(port, "127.0.0.1", (err) => (err ? reject(err) : resolve(server.address().port)));
        server.on("error", reject);
      });
    },
    close() {
      if (!server) return Promise.resolve();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Standalone: node upstream.mjs [--port N] [--key KEY]
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const up = createUpstream({ accessKey: arg("--key") });
  const port = await up.listen(Number(arg("--port") ?? 0));
  console.log(`listening on ${port}`);
}
