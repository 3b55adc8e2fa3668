// The `wps emulator` subprocess both Socket.IO suites run against: started on a free port
// with a temporary HOME (so no user config is read), its connection string read from the
// first stdout line, its stderr kept (the last 5,000 lines) and written to a log at the end.
// Every wait is bounded.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const HERE = dirname(fileURLToPath(import.meta.url));
export const WPS_BIN = resolve(HERE, process.env.WPS_BIN ?? "../../target/debug/wps");
const START_TIMEOUT = 30_000;
const STOP_TIMEOUT = 10_000;

/** The emulator started last: a timeout shows the end of its stderr. */
let current;

/** `promise`, or a failure naming `what` after `ms`, with the emulator's last stderr lines. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}\nemulator stderr (last lines):\n${current?.stderr.slice(-15).join("\n")}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The base64url of `s`, as the extension's group names carry namespaces and rooms. */
export const b64url = (s) => Buffer.from(s).toString("base64url");
/** The group of a room: `0~` + base64url(namespace) + `~` + base64url(room). */
export const roomGroup = (nsp, room) => `0~${b64url(nsp)}~${b64url(room)}`;

/** Starts `wps emulator --port 0 -v ARGS...`: resolves to { proc, connectionString, url, stderr, home }. */
export function startEmulator(args = []) {
  const home = mkdtempSync(join(tmpdir(), "wps-socketio-"));
  const proc = spawn(WPS_BIN, ["emulator", "--port", "0", "-v", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: home, WPS_CONFIG: join(home, "config.toml"), LANG: "C.UTF-8" },
  });
  const stderr = [];
  createInterface({ input: proc.stderr }).on("line", (l) => {
    stderr.push(l);
    if (stderr.length > 5000) stderr.shift();
  });
  return new Promise((resolvePromise, reject) => {
    const out = createInterface({ input: proc.stdout });
    const fail = (why) => {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      setTimeout(() => reject(new Error(`${why}\nemulator stderr:\n${stderr.join("\n")}`)), 200);
    };
    const timer = setTimeout(() => fail(`no connection string on stdout within ${START_TIMEOUT} ms`), START_TIMEOUT);
    proc.once("error", (err) => fail(`could not start ${WPS_BIN}: ${err.message}`));
    proc.once("exit", (code, signal) => fail(`the emulator exited early (code ${code}, signal ${signal})`));
    out.once("line", (line) => {
      clearTimeout(timer);
      proc.removeAllListeners("exit");
      proc.removeAllListeners("error");
      const parts = Object.fromEntries(line.trim().split(";").filter(Boolean).map((seg) => [seg.slice(0, seg.indexOf("=")), seg.slice(seg.indexOf("=") + 1)]));
      if (!parts.Endpoint || !parts.Port) {
        proc.kill("SIGKILL");
        reject(new Error(`first stdout line is not a connection string: ${line}`));
        return;
      }
      current = { proc, connectionString: line.trim(), url: `${parts.Endpoint}:${parts.Port}`, stderr, home };
      resolvePromise(current);
    });
  });
}

/** Stops an emulator startEmulator gave (SIGTERM, then SIGKILL), writing its stderr to `log`. */
export async function stopEmulator(emulator, log) {
  if (!emulator) return;
  const { proc } = emulator;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    if (!(await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT).then(() => false)]))) proc.kill("SIGKILL");
  }
  try {
    writeFileSync(log, emulator.stderr.join("\n") + "\n");
  } catch {
    // best effort
  }
  rmSync(emulator.home, { recursive: true, force: true });
}
