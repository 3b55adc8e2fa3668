// A chat server of the shape of Microsoft's Web PubSub samples (samples/javascript/chatapp):
// express serves the page and /negotiate, @azure/web-pubsub-express answers the service's
// events, and @azure/web-pubsub's WebPubSubServiceClient broadcasts.
//
// It is configured the way those samples are and nothing else: the connection string comes
// from WebPubSubConnectionString, with no allowInsecureConnection and no CA option. Under
// `wps emulator -- node server.js` that string says https:// and NODE_EXTRA_CA_CERTS names
// the emulator's CA, so the same file runs against Azure unchanged.
//
// PORT: where it listens (default 8080); the emulator must send hub "chat"'s events to
// http://127.0.0.1:PORT/eventhandler (`--event-handler chat=http://127.0.0.1:PORT/eventhandler`).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import express from "express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const hub = "chat";
const port = Number(process.env.PORT ?? 8080);
const publicDir = join(dirname(fileURLToPath(import.meta.url)), "public");

const service = new WebPubSubServiceClient(process.env.WebPubSubConnectionString, hub);

const handler = new WebPubSubEventHandler(hub, {
  path: "/eventhandler",
  onConnected: async (req) => {
    console.log(`${req.context.userId} connected`);
    await service.sendToAll({ type: "system", message: `${req.context.userId} joined` });
  },
  handleUserEvent: async (req, res) => {
    if (req.context.eventName === "message") {
      await service.sendToAll({ from: req.context.userId, message: req.data });
    }
    res.success();
  },
});

const app = express();
app.use(handler.getMiddleware());

// The page asks here for a client URL (with its token) before it connects.
app.get("/negotiate", async (req, res) => {
  const id = req.query.id;
  if (!id) {
    res.status(400).send("missing user id");
    return;
  }
  const token = await service.getClientAccessToken({ userId: id });
  res.json({ url: token.url });
});

app.use(express.static(publicDir));

app.listen(port, "127.0.0.1", () => {
  console.log(`chat listening on http://127.0.0.1:${port} (events at ${handler.path})`);
});
