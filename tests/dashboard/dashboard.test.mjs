// The emulator's dashboard in a real browser.
//
// `wps emulator --port 0` runs as a subprocess; Debian's chromium (headless, a fresh profile,
// no network beyond this machine) opens its page through playwright-core, which downloads no
// browser. Real clients (`wps listen`, the page's own test client) and real REST calls (the
// page's send form, `wps send-all`) must show on the page live, without reloads. The whole
// scenario runs twice: over http, and over `--tls` (https page, wss test client; the browser
// ignores certificate errors, the CLI trusts the emulator's CA through SSL_CERT_FILE).
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file).
// CHROMIUM: the browser (default /usr/bin/chromium).
// DASHBOARD_SCREENSHOT: where to save a screenshot of the page at the end (optional).
// Every wait is bounded; a run can fail but never hang.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const WPS_BIN = resolve(HERE, process.env.WPS_BIN ?? "../../target/debug/wps");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const START_TIMEOUT = 30_000; // the emulator prints its connection string
const WAIT = 10_000; // something that must show on the page
const STOP_TIMEOUT = 10_000; // SIGTERM to exit, then SIGKILL

const home = mkdtempSync(join(tmpdir(), "wps-dashboard-"));
let context; // the browser
let page;
const children = [];

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `wps` with an isolated home and config, pointed at `emulator` (trusting its CA over TLS). */
function wps(emulator, args) {
  const proc = spawn(WPS_BIN, args, {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, "xdg"),
      WPS_CONFIG: join(home, "config.toml"),
      WPS_CONNECTION_STRING: emulator.connectionString,
      WPS_HUB: "chat",
      ...(emulator.ca ? { SSL_CERT_FILE: emulator.ca } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(proc);
  const out = { stdout: "", stderr: "" };
  proc.stdout.on("data", (d) => (out.stdout += d));
  proc.stderr.on("data", (d) => (out.stderr += d));
  out.done = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
  return out;
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT);
  await exited;
  clearTimeout(timer);
}

/** `wps -v emulator --port 0` (with `--tls`: https, its CA's path read from stderr). */
async function startEmulator(tls) {
  const args = ["-v", "emulator", "--port", "0", ...(tls ? ["--tls"] : [])];
  const proc = spawn(WPS_BIN, args, {
    env: { PATH: process.env.PATH, HOME: home, WPS_CONFIG: join(home, "config.toml") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(proc);
  const stderr = [];
  let caSaid;
  const ca = new Promise((resolve) => (caSaid = resolve));
  createInterface({ input: proc.stderr }).on("line", (l) => {
    stderr.push(l);
    const said = /SSL_CERT_FILE=(\S+)/.exec(l);
    if (said) caSaid(said[1]);
  });
  const firstLine = new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`wps emulator exited ${code}: ${stderr.join("\n")}`)));
  });
  const connectionString = await withTimeout(firstLine, START_TIMEOUT, "wps emulator starts");
  const port = /Port=(\d+)/.exec(connectionString)[1];
  const scheme = tls ? "https" : "http";
  assert.match(connectionString, new RegExp(`^Endpoint=${scheme}://`));
  return {
    proc,
    connectionString,
    origin: `${scheme}://127.0.0.1:${port}`,
    ca: tls ? await withTimeout(ca, START_TIMEOUT, "wps emulator --tls names its CA") : undefined,
    stderr,
  };
}

before(async () => {
  context = await chromium.launchPersistentContext(join(home, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // The `--tls` run's development certificate: this throwaway profile does not trust it.
      "--ignore-certificate-errors",
    ],
  });
});

after(async () => {
  await context?.close().catch(() => {});
  for (const proc of children) await stop(proc);
  rmSync(home, { recursive: true, force: true });
});

for (const tls of [false, true]) {
  test(`the dashboard shows clients live, sends to a group and logs the REST call (${tls ? "https, --tls" : "http"})`, async () => {
    const emulator = await startEmulator(tls);
    try {
      page = await context.newPage();
      page.setDefaultTimeout(WAIT);
      await scenario(emulator);
    } finally {
      // The http run's page is the one in docs/dashboard.png.
      if (!tls && process.env.DASHBOARD_SCREENSHOT) {
        await page?.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true }).catch(() => {});
      }
      await page?.close().catch(() => {});
      await stop(emulator.proc);
    }
  });
}

async function scenario(emulator) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

  await page.goto(emulator.origin + "/");
  assert.equal(await page.title(), "wps emulator");
  await page.locator("#stream-status[data-state=live]").waitFor();

  // A real client connects: its connection and group appear without a reload.
  const listener = wps(emulator, ["listen", "--user", "alice", "--group", "room1", "--count", "2", "--within", "30"]);
  const aliceRow = page.locator("#connections tbody tr", { hasText: "alice" });
  await aliceRow.waitFor();
  assert.match(await aliceRow.innerText(), /json\.webpubsub\.azure\.v1/);
  await page.locator("#groups tbody tr", { hasText: "room1" }).filter({ hasText: "alice" }).waitFor();
  await page.locator("#log tbody tr", { hasText: "alice" }).filter({ hasText: "joinGroup" }).first().waitFor();

  // The page's test client connects, then joins room1.
  const client = page.locator("#client-connect");
  await client.getByLabel("User id", { exact: true }).fill("page-user");
  await client.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator("#client-status", { hasText: "Connected as page-user" }).waitFor();
  await page.locator("#client-join").getByLabel("Group", { exact: true }).fill("room1");
  await page.locator("#client-join").getByRole("button", { name: "Join", exact: true }).click();
  await page.locator("#client-status", { hasText: "Done" }).waitFor();
  await page.locator("#groups tbody tr", { hasText: "room1" }).filter({ hasText: "page-user" }).waitFor();

  // Send to the group from the form, as the server.
  const form = page.locator("#send-form");
  await form.getByLabel("To", { exact: true }).selectOption("group");
  await form.getByLabel("Group, user or connection id", { exact: true }).fill("room1");
  await form.getByLabel("Message", { exact: true }).fill("hello from the page");
  await form.getByRole("button", { name: "Send", exact: true }).click();
  await page.locator("#send-result", { hasText: "Sent (202)" }).waitFor();
  await page.locator("#client-received li", { hasText: "hello from the page" }).waitFor();

  // The log shows the REST call the form made, with its status.
  const restRow = page.locator("#log tbody tr", { hasText: "sendToGroup (group room1)" });
  await restRow.first().waitFor();
  assert.match(await restRow.first().innerText(), /\brest\b[\s\S]*202/);

  // The test client sends to the group too; the real client gets both messages.
  const send = page.locator("#client-send");
  await send.getByLabel("Send to group", { exact: true }).fill("room1");
  await send.getByLabel("Message", { exact: true }).fill("from the test client");
  await send.getByRole("button", { name: "Send", exact: true }).click();
  assert.equal(await withTimeout(listener.done, WAIT, "wps listen gets 2 messages"), 0, listener.stderr);
  assert.match(listener.stdout, /hello from the page/);
  assert.match(listener.stdout, /from the test client/);
  await page.locator("#log tbody tr", { hasText: "page-user" }).filter({ hasText: "from the test client" }).waitFor();

  // A REST call from outside the page shows as well, and alice's departure.
  const cli = wps(emulator, ["send-all", "--text", "from the CLI"]);
  assert.equal(await withTimeout(cli.done, WAIT, "wps send-all"), 0, cli.stderr);
  await page.locator("#log tbody tr", { hasText: "sendToAll" }).filter({ hasText: "202" }).waitFor();
  await page.locator("#client-received li", { hasText: "server: from the CLI" }).waitFor();
  await page.locator("#connections tbody tr", { hasText: "alice" }).waitFor({ state: "detached" });

  // A Socket.IO client (raw Engine.IO, from the page) in namespace /chat, put in its room
  // "lobby" over REST: shown by name, the room's group name on hover and in Groups.
  const sid = await page.evaluate((origin) => new Promise((resolve, reject) => {
    const ws = new WebSocket(origin.replace(/^http/, "ws") + "/clients/socketio/hubs/chat/?EIO=4&transport=websocket");
    window.socketio = ws;
    ws.onerror = () => reject(new Error("the Socket.IO endpoint refused the page"));
    ws.onmessage = (e) => {
      if (e.data.startsWith("0")) {
        window.sid = JSON.parse(e.data.slice(1)).sid;
        ws.send("40/chat,");
      } else if (e.data.startsWith("40/chat,")) {
        resolve(window.sid);
      } else if (e.data === "2") {
        ws.send("3");
      }
    };
  }), emulator.origin);
  const lobby = "0~L2NoYXQ~bG9iYnk"; // namespace /chat, room lobby, as the extension names it
  const join = wps(emulator, ["api", "PUT", `/api/hubs/chat/groups/${lobby}/connections/${sid}`]);
  assert.equal(await withTimeout(join.done, WAIT, "wps api PUT"), 0, join.stderr);
  const sioRow = page.locator("#connections tbody tr", { hasText: sid });
  await sioRow.filter({ hasText: "namespace /chat, room lobby" }).waitFor();
  assert.match(await sioRow.innerText(), /socketio[\s\S]*namespace \/chat; namespace \/chat, room lobby/);
  assert.equal(await sioRow.locator("span.sio", { hasText: "room lobby" }).getAttribute("title"), lobby);
  await page.locator("#groups tbody tr", { hasText: lobby }).filter({ hasText: "namespace /chat, room lobby" }).waitFor();

  // Filters: by kind, then by user.
  await page.getByLabel("REST calls", { exact: true }).uncheck();
  assert.equal(await page.locator("#log tbody tr", { hasText: "sendToAll" }).count(), 0);
  await page.getByLabel("REST calls", { exact: true }).check();
  await page.locator("#filter-user").fill("page-user");
  assert.equal(await page.locator("#connections tbody tr").count(), 1);
  assert.equal(await page.locator("#log tbody tr", { hasText: "sendToAll" }).count(), 0);
  await page.locator("#filter-user").fill("");

  assert.deepEqual(errors, [], "no script errors on the page");
  // `-v` logs the same traffic on stderr.
  const log = emulator.stderr.join("\n");
  assert.match(log, /POST \/api\/hubs\/chat\/groups\/room1\/:send -> 202/);
  assert.match(log, /client \S+ joinGroup group=room1 -> ok/);
  // A Socket.IO room's group is named as such.
  assert.match(log, /PUT \/api\/hubs\/chat\/groups\/0~L2NoYXQ~bG9iYnk\/connections\/\S+ -> 200 \(\d+ µs\) \[namespace \/chat, room lobby\]/);
}
