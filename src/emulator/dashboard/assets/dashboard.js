// The dashboard page: state from /_emulator/api/hubs, live events from /_emulator/api/events
// (server-sent events), sends through /_emulator/api/hubs/{hub}/send, and a test client that
// speaks json.webpubsub.azure.v1 with a token from /_emulator/api/token.
// Everything a client sent is shown with textContent, never parsed as HTML.
"use strict";

const PAGE_TOKEN = document.querySelector('meta[name="wps-page-token"]').content;
const MAX_LOG_ROWS = 500;

const byId = (id) => document.getElementById(id);
/** A form control's value by name (form.name and form.target are the form's own attributes). */
const value = (form, name) => form.elements.namedItem(name).value;

/** Builds an element; children are nodes or strings (always text). */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/** A same-origin request that carries the page token (required by anything that changes state). */
function api(path, body) {
  const init = { headers: { "X-Wps-Page-Token": PAGE_TOKEN }, credentials: "same-origin" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

async function errorText(resp) {
  try {
    const body = await resp.json();
    return body.message || `HTTP ${resp.status}`;
  } catch {
    return `HTTP ${resp.status}`;
  }
}

const time = (ms) => {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
};

// ---- Filters ---------------------------------------------------------------------------------

const filters = { hub: "", user: "", kinds: new Set(["rest", "client", "handler", "tunnel"]) };

function passes(hub, user) {
  if (filters.hub && hub !== filters.hub) return false;
  if (filters.user && !(user || "").toLowerCase().includes(filters.user.toLowerCase())) return false;
  return true;
}

byId("filters").addEventListener("submit", (e) => e.preventDefault());
byId("filter-hub").addEventListener("change", (e) => { filters.hub = e.target.value; render(); });
byId("filter-user").addEventListener("input", (e) => { filters.user = e.target.value.trim(); render(); });
for (const box of document.querySelectorAll('input[name="kind"]')) {
  box.addEventListener("change", () => {
    filters.kinds = new Set([...document.querySelectorAll('input[name="kind"]:checked')].map((b) => b.value));
    renderLog();
  });
}

// ---- Hubs, connections, groups ---------------------------------------------------------------

let hubs = [];
let details = [];

async function refresh() {
  try {
    const resp = await api("/_emulator/api/hubs");
    if (!resp.ok) throw new Error(await errorText(resp));
    hubs = (await resp.json()).hubs;
    const loaded = await Promise.all(hubs.map(async (h) => {
      const r = await api("/_emulator/api/hubs/" + encodeURIComponent(h.name));
      return r.ok ? r.json() : null;
    }));
    details = loaded.filter(Boolean);
    render();
  } catch (e) {
    setStream("down", "Cannot read the emulator's state: " + e.message);
  }
}

let refreshTimer = null;
/** Coalesces bursts of events into one refresh. */
function scheduleRefresh() {
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 150);
}

function render() {
  renderHubs();
  renderConnections();
  renderGroups();
  renderLog();
}

function renderHubs() {
  const select = byId("filter-hub");
  const names = hubs.map((h) => h.name);
  const current = new Set([...select.options].slice(1).map((o) => o.value));
  if (names.length !== current.size || names.some((n) => !current.has(n))) {
    select.replaceChildren(el("option", { value: "", textContent: "All hubs" }),
      ...names.map((n) => el("option", { value: n, textContent: n })));
    select.value = names.includes(filters.hub) ? filters.hub : "";
    byId("hub-names").replaceChildren(...names.map((n) => el("option", { value: n })));
  }
  byId("hubs-empty").hidden = hubs.length > 0;
  byId("hubs").replaceChildren(...hubs.map((h) => el("li", {},
    el("strong", { textContent: h.name }),
    ` ${h.connections} connection${h.connections === 1 ? "" : "s"}, ${h.users} user${h.users === 1 ? "" : "s"}, ${h.groups} group${h.groups === 1 ? "" : "s"}`)));
}

/** A Socket.IO group by what it stands for: "namespace /chat, room lobby". */
function roomLabel(sio) {
  return sio.room === null ? `namespace ${sio.namespace}` : `namespace ${sio.namespace}, room ${sio.room}`;
}

/**
 * A connection's groups: a Socket.IO namespace's or room's by name (its group name, which REST
 * calls take, on hover and in the Groups table), any other as it is.
 */
function groupsCell(hub, c) {
  const sio = new Map(hub.groups.filter((g) => g.socketio).map((g) => [g.name, g.socketio]));
  const parts = [];
  for (const g of c.groups) {
    if (parts.length) parts.push("; ");
    parts.push(sio.has(g) ? el("span", { className: "sio", title: g, textContent: roomLabel(sio.get(g)) }) : g);
  }
  return el("td", {}, ...parts);
}

function renderConnections() {
  const rows = [];
  for (const hub of details) {
    for (const c of hub.connections) {
      if (!passes(hub.name, c.userId)) continue;
      rows.push(el("tr", { className: "connection" },
        el("td", { textContent: hub.name }),
        el("td", { textContent: c.userId ?? "(anonymous)" }),
        el("td", { className: "id", textContent: c.connectionId }),
        el("td", { textContent: c.protocol }),
        groupsCell(hub, c),
        el("td", { textContent: c.roles.join(", ") }),
        el("td", { textContent: time(c.connectedAt) })));
    }
  }
  byId("connections").tBodies[0].replaceChildren(...rows);
  byId("connections-count").textContent = `(${rows.length})`;
}

function renderGroups() {
  const rows = [];
  for (const hub of details) {
    const users = new Map(hub.connections.map((c) => [c.connectionId, c.userId]));
    for (const g of hub.groups) {
      if (filters.hub && hub.name !== filters.hub) continue;
      if (filters.user && !g.connections.some((id) => passes(hub.name, users.get(id)))) continue;
      const members = g.connections.map((id) => users.get(id) ? `${users.get(id)} (${id})` : id);
      rows.push(el("tr", { className: "group" },
        el("td", { textContent: hub.name }),
        el("td", {}, g.name, g.socketio ? el("span", { className: "room", textContent: ` (Socket.IO ${roomLabel(g.socketio)})` }) : null),
        el("td", { textContent: members.join(", ") })));
    }
  }
  byId("groups").tBodies[0].replaceChildren(...rows);
  byId("groups-count").textContent = `(${rows.length})`;
}

// ---- Live log --------------------------------------------------------------------------------

const events = [];

function describe(e) {
  switch (e.kind) {
    case "rest":
      return {
        what: e.operation + (e.target ? ` (${e.target})` : ""),
        status: String(e.status),
        ok: e.status < 400,
        ms: e.ms,
      };
    case "client": {
      const who = e.userId ? `${e.userId} (${e.connectionId})` : e.connectionId;
      let what = `${who} ${e.action}`;
      if (e.group) what += ` group ${e.group}`;
      if (e.event) what += ` event ${e.event}`;
      if (e.data) {
        what += e.data.text !== undefined
          ? `: ${e.data.text}${e.data.truncated ? "…" : ""}`
          : `: ${e.data.size} bytes of ${e.data.dataType}`;
      }
      if (e.action === "disconnected") {
        return { what, status: e.error || "closed", ok: true, ms: null };
      }
      return { what, status: e.error ? "refused: " + e.error : "ok", ok: !e.error, ms: null };
    }
    case "handler":
      return {
        what: `${e.event} for ${e.connectionId}` + (e.attempts > 1 ? ` after ${e.attempts} attempts` : ""),
        status: e.status !== null && e.status !== undefined ? String(e.status) : "failed: " + e.error,
        ok: e.status !== null && e.status !== undefined && e.status < 300,
        ms: e.ms,
      };
    case "tunnel":
      // A server tunnel connection: coming, going (detail: why) or a REST call it sent.
      if (e.action === "request") {
        return { what: `tunnel ${e.connectionId}: ${e.detail ?? ""}`, status: "ok", ok: true, ms: null };
      }
      return {
        what: `tunnel ${e.connectionId} ${e.action}`,
        status: e.action === "disconnected" ? (e.detail || "closed") : "ok",
        ok: true,
        ms: null,
      };
    default:
      return { what: JSON.stringify(e), status: "", ok: true, ms: null };
  }
}

function logRow(e) {
  const d = describe(e);
  return el("tr", { className: "event" },
    el("td", { textContent: time(e.time) }),
    el("td", {}, el("span", { className: "kind", textContent: e.kind })),
    el("td", { textContent: e.hub ?? "" }),
    el("td", { textContent: d.what }),
    el("td", { className: d.ok ? "ok" : "bad", textContent: d.status }),
    el("td", { className: "num", textContent: d.ms === null ? "" : d.ms.toFixed(1) }));
}

function shown(e) {
  if (!filters.kinds.has(e.kind)) return false;
  if (filters.hub && e.hub !== filters.hub) return false;
  // A user filter keeps that user's client events: REST and handler calls name no user.
  if (filters.user) return e.kind === "client" && passes(e.hub, e.userId);
  return true;
}

function renderLog() {
  const rows = [];
  for (let i = events.length - 1; i >= 0 && rows.length < MAX_LOG_ROWS; i--) {
    if (shown(events[i])) rows.push(logRow(events[i]));
  }
  byId("log").tBodies[0].replaceChildren(...rows);
}

function addEvent(e) {
  events.push(e);
  if (events.length > MAX_LOG_ROWS) events.shift();
  if (shown(e)) {
    const body = byId("log").tBodies[0];
    body.prepend(logRow(e));
    while (body.rows.length > MAX_LOG_ROWS) body.lastElementChild.remove();
  }
  // Connections, groups and users change with client events and REST calls.
  if (e.kind === "client" || e.kind === "rest") scheduleRefresh();
}

byId("log-clear").addEventListener("click", () => { events.length = 0; renderLog(); });

function setStream(state, text) {
  const badge = byId("stream-status");
  badge.dataset.state = state;
  badge.textContent = text;
}

function listen() {
  const source = new EventSource("/_emulator/api/events");
  source.addEventListener("open", () => { setStream("live", "Live"); refresh(); });
  source.addEventListener("error", () => setStream("down", "Reconnecting…"));
  source.addEventListener("activity", (m) => addEvent(JSON.parse(m.data)));
  source.addEventListener("lagged", (m) => {
    const { skipped } = JSON.parse(m.data);
    setStream("live", `Live (skipped ${skipped} events while this page was busy)`);
    refresh();
  });
}

// ---- Send as the server ----------------------------------------------------------------------

byId("send-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const result = byId("send-result");
  const dataType = value(form, "dataType");
  let data = value(form, "data");
  if (dataType === "json") {
    try {
      data = JSON.parse(data);
    } catch (err) {
      result.className = "result bad";
      result.textContent = "The message is not valid JSON: " + err.message;
      return;
    }
  }
  const body = { target: value(form, "target"), dataType, data };
  if (body.target !== "all") body.name = value(form, "name");
  const resp = await api(`/_emulator/api/hubs/${encodeURIComponent(value(form, "hub"))}/send`, body);
  result.className = resp.ok ? "result ok" : "result bad";
  result.textContent = resp.ok ? `Sent (${resp.status})` : `Not sent: ${await errorText(resp)}`;
});

// ---- Test client -----------------------------------------------------------------------------

let socket = null;
let nextAckId = 1;

function clientStatus(text, ok = true) {
  const status = byId("client-status");
  status.className = ok ? "result" : "result bad";
  status.textContent = text;
}

function setConnected(connected) {
  byId("client-connect-button").disabled = connected;
  byId("client-disconnect").disabled = !connected;
  for (const button of document.querySelectorAll("#client-join button, #client-send button")) {
    button.disabled = !connected;
  }
}

function received(text) {
  const list = byId("client-received");
  list.append(el("li", { className: "received-message", textContent: text }));
  list.scrollTop = list.scrollHeight;
}

const words = (s) => s.split(/[\s,]+/).filter(Boolean);

byId("client-connect").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const resp = await api("/_emulator/api/token", {
    hub: value(form, "hub"),
    userId: value(form, "userId") || null,
    groups: words(value(form, "groups")),
    roles: words(value(form, "roles")),
  });
  if (!resp.ok) {
    clientStatus("No token: " + (await errorText(resp)), false);
    return;
  }
  const { url } = await resp.json();
  clientStatus("Connecting…");
  socket = new WebSocket(url, "json.webpubsub.azure.v1");
  setConnected(true);
  socket.addEventListener("message", (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "system" && msg.event === "connected") {
      clientStatus(`Connected as ${msg.userId ?? "(anonymous)"}, connection ${msg.connectionId}.`);
    } else if (msg.type === "message") {
      const data = msg.dataType === "json" ? JSON.stringify(msg.data) : msg.dataType === "binary" ? "(binary)" : msg.data;
      const from = msg.from === "group" ? `group ${msg.group}` + (msg.fromUserId ? ` from ${msg.fromUserId}` : "") : "server";
      received(`${from}: ${data}`);
    } else if (msg.type === "ack" && !msg.success) {
      clientStatus(`Refused: ${msg.error.name}: ${msg.error.message}`, false);
    } else if (msg.type === "ack") {
      clientStatus(`Done (ack ${msg.ackId}).`);
    }
  });
  socket.addEventListener("close", (c) => {
    clientStatus(`Disconnected (${c.code}${c.reason ? ": " + c.reason : ""}).`, c.code === 1000);
    setConnected(false);
    socket = null;
  });
});

byId("client-disconnect").addEventListener("click", () => socket && socket.close(1000));

byId("client-join").addEventListener("submit", (e) => {
  e.preventDefault();
  const type = e.submitter && e.submitter.value === "leave" ? "leaveGroup" : "joinGroup";
  socket.send(JSON.stringify({ type, group: value(e.target, "group"), ackId: nextAckId++ }));
});

byId("client-send").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  socket.send(JSON.stringify({
    type: "sendToGroup", group: value(form, "group"), dataType: "text", data: value(form, "data"), ackId: nextAckId++,
  }));
});

setConnected(false);
listen();
