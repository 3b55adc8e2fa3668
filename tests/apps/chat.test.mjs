// An app of the samples' shape, unchanged, through `wps emulator -- node server.js`, in a
// real browser that trusts the emulator's CA the way a developer's would.
//
// In a fresh temporary HOME: `wps emulator ca --install` puts the CA into HOME's NSS
// database (the system-store step is pointed into HOME too, through the documented test
// hooks, so nothing outside HOME changes). Then `wps emulator --event-handler ... -- node
// server.js` runs the chat server (server.js: @azure/web-pubsub with no
// allowInsecureConnection, @azure/web-pubsub-express) against a fresh emulator, TLS by
// default. Debian's chromium, with that HOME and no certificate flag, opens two chat pages
// (public/, on @azure/web-pubsub-client over wss) that talk through the server's event
// handler and broadcasts, then the emulator's dashboard over https. A second browser with an
// empty HOME must refuse the same dashboard, so the trust really came from the install.
// SIGTERM to wps ends the server and the emulator: wps exits 143 like the server.
//
// WPS_BIN: the wps binary (default ../../target/debug/wps from this file).
// CHROMIUM: the browser (default /usr/bin/chromium).
// Every wait is bounded; a run can fail but never hang.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { connect, createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const WPS_BIN = resolve(HERE, process.env.WPS_BIN ?? "../../target/debug/wps");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const START_TIMEOUT = 30_000; // the emulator and the server are up
const WAIT = 15_000; // something that must show on a page
const STOP_TIMEOUT = 10_000; // SIGTERM to exit, then SIGKILL
const CA_NAME = "wps emulator development CA";

const home = mkdtempSync(join(tmpdir(), "wps-apps-"));
const strangerHome = mkdtempSync(join(tmpdir(), "wps-apps-stranger-"));
const systemStore = join(home, "system-ca");
const browsers = [];
let app; // { proc, stdout: [], stderr: [], exited }

/** The environment of every wps run: this HOME and nothing of the developer's. */
const env = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, "xdg"),
  WPS_CONFIG: join(home, "config.toml"),
  // Test hooks: the system trust store step writes into HOME and runs nothing.
  WPS_TEST_CA_TRUST_DIR: systemStore,
  WPS_TEST_CA_TRUST_UPDATE: "true",
};

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `wps ARGS` to its end. */
function wps(args) {
  const out = spawnSync(WPS_BIN, args, { env, encoding: "utf8", timeout: START_TIMEOUT });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A port nothing listens on now, for the chat server (the emulator picks its own). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when something accepts a TCP connection on 127.0.0.1:`port`. */
function tcpConnect(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

function nssNicknames() {
  const out = spawnSync("certutil", ["-d", `sql:${join(home, ".pki", "nssdb")}`, "-L"], {
    encoding: "utf8",
  });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

async function launch(browserHome) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium reads the NSS database of $HOME/.pki/nssdb.
    env: { ...process.env, HOME: browserHome },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // No certificate flag: trust comes from the NSS database or not at all.
    ],
  });
  browsers.push(browser);
  return browser;
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT);
  await exited;
  clearTimeout(timer);
}

before(() => {
  assert.ok(existsSync(WPS_BIN), `no wps binary at ${WPS_BIN} (cargo build first)`);
  assert.ok(existsSync(join(HERE, "public", "client.bundle.js")), "run `npm run build` first");
  mkdirSync(systemStore);
});

after(async () => {
  for (const browser of browsers) await browser.close().catch(() => {});
  if (app) await stop(app.proc);
  rmSync(home, { recursive: true, force: true });
  rmSync(strangerHome, { recursive: true, force: true });
});

test("wps emulator ca --install trusts the CA in a temporary HOME", () => {
  const out = wps(["emulator", "ca", "--install"]);
  assert.equal(out.code, 0, out.stderr);
  const ca = out.stdout.trim();
  assert.ok(ca.startsWith(home), `the CA is made under HOME: ${ca}`);
  assert.match(readFileSync(ca, "utf8"), /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(nssNicknames(), new RegExp(CA_NAME));
  assert.equal(readFileSync(join(systemStore, "wps-emulator-ca.crt"), "utf8"), readFileSync(ca, "utf8"));
});

test("the chat app runs unchanged through `wps emulator -- node server.js`, in Chromium", async () => {
  const port = await freePort();
  const proc = spawn(
    WPS_BIN,
    ["emulator", "--event-handler", `chat=http://127.0.0.1:${port}/eventhandler`, "--", "node", "server.js"],
    { cwd: HERE, env: { ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  app = { proc, stdout: [], stderr: [] };
  app.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  createInterface({ input: proc.stderr }).on("line", (l) => app.stderr.push(l));
  const serverUp = new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).on("line", (l) => {
      app.stdout.push(l);
      if (l.startsWith("chat listening on")) resolve();
    });
    proc.once("exit", (code) =>
      reject(new Error(`wps exited ${code}:\n${app.stdout.join("\n")}\n${app.stderr.join("\n")}`)),
    );
  });
  await withTimeout(serverUp, START_TIMEOUT, "the chat server says it listens");
  const diagnostics = () => `\nstdout:\n${app.stdout.join("\n")}\nstderr:\n${app.stderr.join("\n")}`;

  // The server signs client URLs for the emulator it was given: https, so wss.
  const negotiated = await (await fetch(`http://127.0.0.1:${port}/negotiate?id=probe`)).json();
  const url = new URL(negotiated.url);
  assert.equal(url.protocol, "wss:", negotiated.url);
  assert.equal(url.hostname, "127.0.0.1");
  const emulatorOrigin = `https://127.0.0.1:${url.port}`;

  const browser = await launch(home);
  const context = await browser.newContext();
  const errors = [];
  const open = async (user) => {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (e) => errors.push(`${user}: ${e}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`${user}: ${m.text()}`));
    await page.goto(`http://127.0.0.1:${port}/?user=${user}`);
    await page.locator("#status", { hasText: `connected as ${user}` }).waitFor();
    return page;
  };
  try {
    const alice = await open("alice");
    const bob = await open("bob");
    // `connected` reached the server, whose sendToAll (https, trusting NODE_EXTRA_CA_CERTS)
    // reached both pages.
    await alice.locator("#messages li", { hasText: "* bob joined" }).waitFor();
    await bob.locator("#messages li", { hasText: "* bob joined" }).waitFor();

    // A user event from one page, broadcast by the server to both.
    await alice.locator("#message").fill("hello from alice");
    await alice.locator("#message").press("Enter");
    await bob.locator("#messages li", { hasText: "alice: hello from alice" }).waitFor();
    await alice.locator("#messages li", { hasText: "alice: hello from alice" }).waitFor();

    // The dashboard over https, trusted through the NSS database: no certificate error.
    const dashboard = await context.newPage();
    dashboard.setDefaultTimeout(WAIT);
    const response = await dashboard.goto(`${emulatorOrigin}/`);
    assert.ok(response.ok(), `dashboard: ${response.status()}`);
    assert.equal(await dashboard.title(), "wps emulator");
    await dashboard.locator("#connections tbody tr", { hasText: "alice" }).waitFor();
    await dashboard.locator("#connections tbody tr", { hasText: "bob" }).waitFor();
    assert.deepEqual(errors, []);
  } catch (e) {
    e.message += diagnostics();
    throw e;
  }

  // The same page from a browser whose HOME never trusted the CA is refused.
  const stranger = await launch(strangerHome);
  const strangerPage = await stranger.newPage();
  await assert.rejects(
    strangerPage.goto(`${emulatorOrigin}/`, { timeout: WAIT }),
    /ERR_CERT_AUTHORITY_INVALID/,
  );

  // SIGTERM reaches the server, which dies of it; the emulator stops after it.
  proc.kill("SIGTERM");
  const { code } = await withTimeout(app.exited, STOP_TIMEOUT, "wps exits after SIGTERM");
  assert.equal(code, 128 + 15, diagnostics());
  await assert.rejects(tcpConnect(Number(url.port)), /ECONNREFUSED/, "the emulator is gone");
  // CMD kept stdout: the server's lines, none of the emulator's.
  assert.ok(app.stdout.some((l) => l === "bob connected"), diagnostics());
  assert.ok(!app.stdout.some((l) => l.startsWith("Endpoint=")), diagnostics());
  assert.ok(app.stderr.some((l) => l.startsWith("wps emulator listening on https://")), diagnostics());
});

test("wps emulator ca --uninstall takes it out again", () => {
  const out = wps(["emulator", "ca", "--uninstall"]);
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(nssNicknames(), new RegExp(CA_NAME));
  assert.ok(!existsSync(join(systemStore, "wps-emulator-ca.crt")));
});
