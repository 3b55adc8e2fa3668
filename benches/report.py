"""Turns the raw figures of one benches/run into benches/RESULTS.md.

Usage: report.py WORKDIR OUT.md. WORKDIR holds meta.env, cold.json (hyperfine's export),
rss.tsv, bulk.jsonl, fanout.jsonl, sio.jsonl (the Socket.IO broadcast beside the json one) and
events.jsonl (see events_report.py); a file whose section did not run (BENCH_ONLY) is left out.
benches/ANALYSIS.md, when present, is appended as the closing note (where the time goes,
written from a profile of the same build).
"""
import json
import math
import pathlib
import statistics
import sys

work, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
meta = dict(
    line.split("=", 1) for line in (work / "meta.env").read_text().splitlines() if "=" in line
)


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(1, math.ceil(p * len(s))) - 1]


def ms(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.2f} ms"


def f_ms(v):
    return "-" if v is None else f"{v:.1f} ms"


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def per_client_kib(rows):
    vals = [(r["server_rss_connected_kib"] - r["server_rss_idle_kib"]) / r["clients"]
            for r in rows if r.get("server_rss_connected_kib") is not None and r.get("server_rss_idle_kib") is not None]
    return statistics.median(vals) if vals else None


def verdict(ok):
    return "**met**" if ok else "**missed**"


def lines(name):
    """The lines of one of WORKDIR's files; none when its section did not run (BENCH_ONLY)."""
    path = work / name
    return path.read_text().splitlines() if path.exists() else []


def jsonl(name):
    return [json.loads(l) for l in lines(name) if l.strip()]


cold = {}
for r in json.loads("\n".join(lines("cold.json")) or '{"results": []}')["results"]:
    t = r["times"]
    cold[r["command"]] = {"median": statistics.median(t), "p90": pct(t, 0.9),
                          "mean": statistics.fmean(t), "min": min(t), "runs": len(t)}
rss = {}
for line in lines("rss.tsv"):
    name, kib = line.split("\t")
    rss.setdefault(name, []).append(int(kib))
bulk = jsonl("bulk.jsonl")
fan = jsonl("fanout.jsonl")
sio = jsonl("sio.jsonl")
for f in fan:
    f.setdefault("server", "emulator (long-lived)")

WPS_SEND, SDK_SEND, CURL = "wps send-all --text hi", "python + SDK send_to_all", "curl, pre-signed token"
wps_bulk = [b for b in bulk if b["tool"] == "wps"]
raw_bulk = [b for b in bulk if b["tool"] == "raw"]
sdk_bulk = [b for b in bulk if b["tool"] == "sdk-loop"]
for b in wps_bulk:
    b["rate"] = b["requests"] / b["elapsed_s"]
if bulk:
    wps_rate = statistics.median(b["rate"] for b in wps_bulk)
    raw_rate = statistics.median(b["rate"] for b in raw_bulk)
    sdk_rate = statistics.median(b["rate"] for b in sdk_bulk)
wps_all_ok = all(b["ok"] == b["requests"] and b["exit"] == 0 for b in wps_bulk)
raw_all_ok = all(b["ok"] == b["requests"] for b in raw_bulk)

L = []
w = L.append
w("# Benchmark results")
w("")
w("Written by `benches/run` (see docs/benchmarks.md); every figure below comes from one run on one")
w("machine, with one `wps emulator` on 127.0.0.1 serving every contender. Re-run it after any")
w("change that may move a figure, and commit this file with that change.")
w("")
w("| | |")
w("| --- | --- |")
for key, label in [("date", "date"), ("commit", "commit"), ("cpu", "CPU"), ("kernel", "kernel"),
                   ("pinning", "CPU placement"), ("load", "load average at the end"), ("rustc", "rustc"), ("python", "Python"),
                   ("sdk", "Python SDK"), ("curl", "curl"), ("timer", "cold-start timer"),
                   ("baseline", "baseline wps (BENCH_BASELINE_WPS)")]:
    if key in meta:
        w(f"| {label} | {meta[key]} |")
w("")

if meta.get("profile") == "debug":
    w("**A debug build: these figures only test the harness; they say nothing about wps.**")
    w("")
if "only" in meta:
    w(f"**Only some sections were measured (BENCH_ONLY={meta['only']}); this is not a full run.**")
    w("")
goals = []
if cold:
    sdk_x = cold[SDK_SEND]["median"] / cold[WPS_SEND]["median"]
    curl_x = cold[WPS_SEND]["median"] / cold[CURL]["median"]
    goals += [
        ("one send >= 50x faster than the Python SDK process",
         f"{sdk_x:.1f}x ({ms(cold[SDK_SEND]['median'])} vs {ms(cold[WPS_SEND]['median'])}, medians)",
         sdk_x >= 50),
        ("one send within 2x of curl", f"{curl_x:.2f}x curl ({ms(cold[CURL]['median'])})", curl_x <= 2),
    ]
if bulk:
    goals += [
        ("bulk >= 20x the SDK's sequential loop",
         f"{wps_rate / sdk_rate:.1f}x ({wps_rate:,.0f}/s vs {sdk_rate:,.0f}/s)", wps_rate / sdk_rate >= 20),
        ("bulk >= 80% of the raw generator",
         f"{wps_rate / raw_rate:.0%} ({wps_rate:,.0f}/s vs {raw_rate:,.0f}/s)", wps_rate / raw_rate >= 0.8),
    ]
if rss:
    send_rss = max(rss[WPS_SEND])
    goals.append(("peak RSS of one send < 15 MiB", f"{send_rss / 1024:.1f} MiB", send_rss < 15 * 1024))
fan10k = [f for f in fan if f["clients"] == 10000 and f["server"].startswith("emulator")]
if fan10k:
    all10k = [f["all_ms"] for f in fan10k]
    done = all(a is not None for a in all10k)
    med10k = statistics.median(a for a in all10k if a is not None) if any(all10k) else None
    goals.append(("10,000-client fan-out within 1 s",
                  f"{med10k:.0f} ms (median of {len(all10k)})" if done and med10k is not None
                  else "not every client received it", done and med10k is not None and med10k <= 1000))
if goals:
    w("## Goals (issue #8)")
    w("")
    w("| goal | measured | |")
    w("| --- | --- | --- |")
    for g, m, ok in goals:
        w(f"| {g} | {m} | {verdict(ok)} |")
    w("")

w("## Build")
w("")
w("| | |")
w("| --- | --- |")
profile = meta.get("profile", "release")
w(f"| `{profile}` build time | {float(meta['build_s']):.1f} s, {meta['build_kind']} |")
w(f"| binary size | {int(meta['size_bytes']) / 1024 / 1024:.2f} MiB ({int(meta['size_bytes']):,} bytes) |")
cargo_toml = pathlib.Path("Cargo.toml").read_text()
for name in ["release", profile] if profile not in ("release", "debug") else [profile]:
    prof = cargo_toml.split(f"[profile.{name}]", 1)
    if len(prof) == 2:
        body = prof[1].split("\n[", 1)[0]
        settings = [l.strip() for l in body.splitlines() if l.strip() and not l.strip().startswith("#")]
        w(f"| `[profile.{name}]` | {', '.join(f'`{s}`' for s in settings)} |")
w("")

if cold:
    w(f"## Cold start: one whole process ({cold[WPS_SEND]['runs']} runs each)")
    w("")
    w("| command | median | p90 | mean | min | vs `wps send-all` |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, c in cold.items():
        w(f"| {name} | {ms(c['median'])} | {ms(c['p90'])} | {ms(c['mean'])} | {ms(c['min'])} | "
          f"{c['median'] / cold[WPS_SEND]['median']:.2f}x |")
    w("")
    w("`wps send-all` and the SDK process each parse a connection string, sign a token and make one")
    w("HTTP request; curl only makes the request, with a token signed beforehand.")
    w("")

if rss or ("emulator_rss_kib" in meta and fan) or ("emulator_rss_after_sio_kib" in meta and sio):
    w("## Peak RSS (GNU time, max of 5 runs)")
    w("")
    w("| process | peak RSS |")
    w("| --- | ---: |")
    for name, v in rss.items():
        w(f"| {name} | {max(v) / 1024:.1f} MiB |")
    if wps_bulk:
        w(f"| wps, bulk run of {meta['bulk']} targets | {max(b['rss_kib'] for b in wps_bulk) / 1024:.1f} MiB |")
    if "emulator_rss_kib" in meta and fan:
        most = max(f["clients"] for f in fan)
        # Recorded before the Socket.IO section, so it reads as in runs that had none.
        until = ", until the Socket.IO section" if sio else ""
        w(f"| the emulator, whole run{until} (up to {most:,} clients) | {int(meta['emulator_rss_kib']) / 1024:.1f} MiB |")
    if "emulator_rss_after_sio_kib" in meta and sio:
        most = max(f["clients"] for f in sio)
        w(f"| the emulator, whole run with the Socket.IO section (up to {most:,} Socket.IO clients) | "
          f"{int(meta['emulator_rss_after_sio_kib']) / 1024:.1f} MiB |")
    w("")

if bulk:
    w(f"## Bulk: {int(meta['bulk']):,} `send-user` targets")
    w("")
    w(f"wps: `{meta['bulk_mode']}`, concurrency {meta['wps_concurrency']}; raw generator: the same requests,")
    w(f"every token signed before the clock starts, concurrency {meta['concurrency']} over one keep-alive pool")
    w("(`benches/load.rs raw`, reqwest); the SDK: `send_to_user` in a loop, timed after import.")
    w("Client CPU per target is the process's user + system time (GNU time) over the targets: what")
    w("each contender spends itself, whatever the emulator costs (it includes start-up, import and,")
    w("for the raw generator, signing every token in advance).")
    w("")
    w("| contender | runs | median rate | median time | client CPU per target | every target accepted | vs wps |")
    w("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, rows, rate, ok in [("wps (whole process)", wps_bulk, wps_rate, wps_all_ok),
                                 ("raw generator", raw_bulk, raw_rate, raw_all_ok),
                                 ("Python SDK loop", sdk_bulk, sdk_rate,
                                  all(b["ok"] == b["requests"] for b in sdk_bulk))]:
        cpu = statistics.median(b["cpu_s"] / b["requests"] for b in rows)
        w(f"| {name} | {len(rows)} | {rate:,.0f}/s | {statistics.median(b['elapsed_s'] for b in rows):.2f} s | "
          f"{cpu * 1e6:.0f} µs | {'yes' if ok else 'NO'} | {rate / wps_rate:.2f}x |")
    w("")

if fan:
    w("## Emulator fan-out: one REST send to N WebSocket clients")
    w("")
    w("Clients use `json.webpubsub.azure.v1` and count as connected once their `connected` frame")
    w("arrived; the clock starts when the `POST .../:send` leaves the load tool and stops when the")
    w("last client has the message. The load tool runs where the other clients run (CPU placement).")
    w("Each client keeps its socket open until every client has the message (`load fanout`; with")
    w("`--close-on-receipt`, as before issue 19, clients leaving mid-delivery add their closes to the")
    w("server's work: a fan-out's delivery is what is measured here).")
    w("Three servers at each size: **floor**, `benches/floor.rs`, the least a server can do (one")
    w("thread, no auth, no locks, no channels, no task per client; the frame built once and written")
    w("to every socket in turn; a fresh one per send); **emulator (fresh)**, a new `wps emulator` per")
    w("send; **emulator (long-lived)**, the one emulator that serves every other part of this run.")
    w("*Server CPU* is the server's CPU time (every thread, /proc/PID/task/*/schedstat) from the send")
    w("until the last client has the message: how long its core is busy delivering it. *RSS per")
    w("client* is the server's RSS once all clients are connected, less its RSS before, over the")
    w("clients (idle connections: nothing sent yet).")
    w("The stalled runs (1% of the clients connected first and never reading) alternate with runs")
    w("without them (*none stalled*), so the two are compared at the same moment of the run.")
    w("")

    servers = ["floor", "emulator (fresh)", "emulator (long-lived)", "emulator (long-lived), none stalled",
               "emulator (long-lived), 1% stalled", "emulator (long-lived), probed",
               "emulator (long-lived), MQTT 3.1.1"]
    sizes = sorted({f["clients"] for f in fan})
    summary = {}
    for n in sizes:
        for srv in servers:
            rows = [f for f in fan if f["clients"] == n and f["server"] == srv]
            if rows:
                summary[(n, srv)] = {"runs": len(rows), "all": med(rows, "all_ms"), "p50": med(rows, "p50_ms"),
                                     "cpu": med(rows, "server_cpu_ms"), "kib": per_client_kib(rows),
                                     "complete": all(r["all_ms"] is not None for r in rows)}
    w("| clients | server | sends | all received (median) | p50 | server CPU | vs floor: all received | vs floor: CPU | RSS per client |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (n, srv), m in summary.items():
        floor = summary.get((n, "floor"))
        ratio = lambda k: "-" if not floor or not floor[k] or m[k] is None else f"{m[k] / floor[k]:.2f}x"
        # A long-lived server reuses the memory of earlier sends' clients: no figure per client.
        kib = "-" if m["kib"] is None or srv not in ("floor", "emulator (fresh)") else f"{m['kib']:.1f} KiB"
        allr = f_ms(m["all"]) if m["complete"] else "not all received"
        w(f"| {n:,} | {srv} | {m['runs']} | {allr} | {f_ms(m['p50'])} | {f_ms(m['cpu'])} | {ratio('all')} | {ratio('cpu')} | {kib} |")
    w("")
    goal_rows = []
    for n in (10000, 19000):
        floor, fresh = summary.get((n, "floor")), summary.get((n, "emulator (fresh)"))
        if floor and fresh and floor["all"] and fresh["all"]:
            r = fresh["all"] / floor["all"]
            goal_rows.append((f"all received within 1.2x of the floor at {n:,}", f"{r:.2f}x ({f_ms(fresh['all'])} vs {f_ms(floor['all'])})", r <= 1.2))
        if floor and fresh and floor["cpu"] and fresh["cpu"]:
            r = fresh["cpu"] / floor["cpu"]
            goal_rows.append((f"the emulator's own work within 2x of the floor's at {n:,} (server CPU)", f"{r:.2f}x ({f_ms(fresh['cpu'])} vs {f_ms(floor['cpu'])})", r <= 2))
    for n in sizes:
        healthy = summary.get((n, "emulator (long-lived), none stalled"))
        stalled = summary.get((n, "emulator (long-lived), 1% stalled"))
        if not (healthy and stalled and healthy["all"] and stalled["all"]):
            continue
        r = stalled["all"] / healthy["all"]
        goal_rows.append((f"1% of {n:,} clients stalled: healthy ones' fan-out as without (within 10%)",
                          f"{r:.2f}x ({f_ms(stalled['all'])} vs {f_ms(healthy['all'])})", r <= 1.1))
    for n in sizes:
        probed = [f for f in fan if f["clients"] == n and f["server"] == "emulator (long-lived), probed"]
        rest, conn = med(probed, "probe_rest_ms"), med(probed, "probe_connect_ms")
        if rest is None or conn is None:
            continue
        # Both measured from the send; the probes start once the send is answered.
        answered = med(probed, "rest_ms")
        every = med(probed, "all_ms")
        w(f"During the {n:,}-client fan-out (send answered at {f_ms(answered)}, all received at "
          f"{f_ms(every)}): a REST send on another hub answered at {f_ms(rest)}, a new client's "
          f"`connected` at {f_ms(conn)} (medians of {len(probed)}, from the send).")
        w("")
        goal_rows.append((f"a REST call on another hub during the {n:,}-client fan-out: answered in a few ms",
                          f"{rest - answered:.1f} ms after the send's answer", rest - answered <= 10))
        goal_rows.append((f"a new client's connect during the {n:,}-client fan-out: connected in a few ms",
                          f"{conn - answered:.1f} ms after the send's answer", conn - answered <= 10))
    kibs = [m["kib"] for (n, srv), m in summary.items() if srv == "emulator (fresh)" and n >= 10000 and m["kib"] is not None]
    if kibs:
        k = max(kibs)
        goal_rows.append(("under 4 KiB of RSS per idle connection (fresh emulator, 10,000+ clients)", f"{k:.1f} KiB", k < 4))
    if goal_rows:
        w("### Goals (issue #19)")
        w("")
        w("| goal | measured | |")
        w("| --- | --- | --- |")
        for g, m, ok in goal_rows:
            w(f"| {g} | {m} | {verdict(ok)} |")
        w("")

    big = max((n for (n, srv) in summary if srv == "emulator (fresh)"), default=None)
    if big and summary[(big, "emulator (fresh)")]["kib"] and summary[(big, "emulator (fresh)")]["all"]:
        m = summary[(big, "emulator (fresh)")]
        rows = [f for f in fan if f["clients"] == big and f["server"] == "emulator (fresh)"]
        base = statistics.median(r["server_rss_idle_kib"] for r in rows) / 1024
        per_k = m["all"] / (big / 1000)
        w("### On paper: 100,000 connections")
        w("")
        w(f"From the fresh emulator at {big:,} clients, scaled linearly (the per-client costs above did not")
        w("grow with size here; 100,000 could not be measured: one process may hold 20,000 descriptors")
        w("on this machine):")
        w("")
        w(f"- memory: {base:.0f} MiB at start + 100,000 x {m['kib']:.1f} KiB = **{(base + 100000 * m['kib'] / 1024) / 1024:.2f} GiB** of RSS, idle;")
        w(f"  each message queued for a slow client adds its frame until the per-client cap (16 MiB) closes it;")
        w("- descriptors: one per client plus about 10 of the emulator's own: a hard limit of at least")
        w("  100,010 (`ulimit -Hn`; the emulator raises its soft limit to it), and the kernel's")
        w("  `fs.file-max`/`fs.nr_open` above that; the load generator needs as many again;")
        w(f"- a broadcast to all: {per_k:.1f} ms per 1,000 clients on one core = **{per_k * 100 / 1000:.1f} s**")
        w("  for the last of 100,000 to have it (the first have it within milliseconds); with more")
        w("  cores the emulator's runtime spreads the writes over them.")
        w("")

    w("Every send:")
    w("")
    w("| clients | server | connect all | REST answer | first | p50 | p99 | all received | server CPU |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for f in fan:
        w(f"| {f['clients']:,} | {f['server']} | {f['connect_s']:.2f} s | {f_ms(f['rest_ms'])} ({f['rest_status']}) | "
          f"{f_ms(f['first_ms'])} | {f_ms(f['p50_ms'])} | {f_ms(f['p99_ms'])} | "
          f"{f_ms(f['all_ms']) if f['all_ms'] is not None else str(f['received']) + ' of ' + str(f['clients'])} | "
          f"{f_ms(f.get('server_cpu_ms'))} |")
    w("")

if sio:
    w("## Socket.IO broadcast: `io.emit` to N Socket.IO clients beside a send to N json clients")
    w("")
    w("The same payload reaches N clients of the long-lived emulator two ways, one send after the")
    w("other: **json**, a plain `POST .../:send` to N `json.webpubsub.azure.v1` clients (as in the")
    w("fan-out section); **Socket.IO**, the REST call `@azure/web-pubsub-socket.io` makes for")
    w("`io.emit(\"ev\", payload)`: a `:send` to the hub filtered on `'0~Lw~' in groups` (the root")
    w("namespace's group) whose `text/plain` body is the Engine.IO payload `42[\"ev\",payload]`, to N")
    w("Socket.IO clients (Engine.IO v4 over WebSocket, each counted once its namespace `CONNECT` was")
    w("answered, so it is in that group; each answers pings). The clock stops when the last client")
    w("has the message (a text frame starting `42` for Socket.IO). The two alternate send by send,")
    w("and which goes first swaps every pair, so both see the same moment of the run.")
    w("*Socket.IO / json* above 1 is what the Socket.IO path adds to a broadcast. Both paths now")
    w("write one shared frame straight to each idle socket, and the filter starts from the")
    w("group's members (ANALYSIS.md, seventh pass); what is left is mostly the first send's")
    w("gathering of the group's members, in the table's order, where the plain send reuses the")
    w("hub's roster. Not the wire: the Socket.IO frame is the smaller (18 bytes against the json")
    w("envelope's 69). *Pair by pair* is the median of each pair's ratio (and its range), steadier")
    w("than the ratio of medians on a drifting machine.")
    w("")

    def ratio(a, b):
        return "-" if a is None or not b else f"{a / b:.2f}x"

    w("| clients | pairs | json: all received | Socket.IO: all received | Socket.IO / json | pair by pair | json: server CPU | Socket.IO: server CPU | Socket.IO / json: CPU |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sorted({f["clients"] for f in sio}):
        js = [f for f in sio if f["clients"] == n and f.get("protocol") == "json"]
        ss = [f for f in sio if f["clients"] == n and f.get("protocol") == "socketio"]
        pairs = [s["all_ms"] / j["all_ms"] for j, s in zip(js, ss)
                 if j["all_ms"] is not None and s["all_ms"] is not None and j["all_ms"] > 0]
        by_pair = (f"{statistics.median(pairs):.2f}x ({min(pairs):.2f}-{max(pairs):.2f})" if pairs else "-")

        def every(rows):
            return f_ms(med(rows, "all_ms")) if all(r["all_ms"] is not None for r in rows) else "not all received"

        j_all, s_all = med(js, "all_ms"), med(ss, "all_ms")
        j_cpu, s_cpu = med(js, "server_cpu_ms"), med(ss, "server_cpu_ms")
        w(f"| {n:,} | {min(len(js), len(ss))} | {every(js)} | {every(ss)} | {ratio(s_all, j_all)} | {by_pair} | "
          f"{f_ms(j_cpu)} | {f_ms(s_cpu)} | {ratio(s_cpu, j_cpu)} |")
    w("")
    w("Every send, in order:")
    w("")
    w("| clients | clients' protocol | connect all | REST answer | first | p50 | p99 | all received | server CPU |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for f in sio:
        w(f"| {f['clients']:,} | {'Socket.IO' if f.get('protocol') == 'socketio' else 'json'} | {f['connect_s']:.2f} s | "
          f"{f_ms(f['rest_ms'])} ({f['rest_status']}) | {f_ms(f['first_ms'])} | {f_ms(f['p50_ms'])} | "
          f"{f_ms(f['p99_ms'])} | "
          f"{f_ms(f['all_ms']) if f['all_ms'] is not None else str(f['received']) + ' of ' + str(f['clients'])} | "
          f"{f_ms(f.get('server_cpu_ms'))} |")
    w("")

events_file = work / "events.jsonl"
if events_file.exists():
    from events_report import render as render_events

    events = [json.loads(l) for l in events_file.read_text().splitlines() if l.strip()]
    if events:
        L.extend(render_events(events))

analysis = pathlib.Path("benches/ANALYSIS.md")
if analysis.exists():
    w(analysis.read_text().rstrip())
    w("")
out.write_text("\n".join(L))
