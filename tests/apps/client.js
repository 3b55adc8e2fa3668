// The chat page's script, on @azure/web-pubsub-client (bundled into public/client.bundle.js
// by `npm run build`, as the samples bundle theirs with webpack). The user name comes from
// ?user= rather than the samples' prompt(), so a test can drive it.

import { WebPubSubClient } from "@azure/web-pubsub-client";

const user = new URLSearchParams(location.search).get("user") || "guest";
const status = document.querySelector("#status");
const messages = document.querySelector("#messages");
const input = document.querySelector("#message");

const client = new WebPubSubClient({
  getClientAccessUrl: async () => {
    const answer = await fetch(`/negotiate?id=${encodeURIComponent(user)}`);
    return (await answer.json()).url;
  },
});

client.on("connected", (e) => {
  status.textContent = `connected as ${user}`;
  status.dataset.connectionId = e.connectionId;
});

client.on("disconnected", (e) => {
  status.textContent = `disconnected: ${e.message ?? ""}`;
});

client.on("server-message", (e) => {
  const data = e.message.data;
  const line = document.createElement("li");
  line.textContent = data.type === "system" ? `* ${data.message}` : `${data.from}: ${data.message}`;
  messages.append(line);
});

input.addEventListener("keydown", async (e) => {
  if (e.key !== "Enter" || !input.value) return;
  const text = input.value;
  input.value = "";
  await client.sendEvent("message", text, "text");
});

client.start().catch((e) => {
  status.textContent = `failed: ${e.message}`;
});
