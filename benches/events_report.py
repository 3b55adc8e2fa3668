"""The event-handler section of benches/RESULTS.md, from `load events` JSON lines.

report.py renders it as part of a whole benches/run. On its own, for a run of just this part:
    python3 benches/events_report.py events.jsonl   (prints the section, with its date and commit)
"""
import json
import statistics
import subprocess
import sys
import time


def render(rows, standalone=False):
    L = []
    w = L.append
    w("## Event handlers: one user event's round trip")
    w("")
    if standalone:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        w(f"Measured on its own ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit "
          f"{commit}, same machine and CPU placement as above) with "
          "`$LOAD events --wps target/release/wps --emulator-cpu 0` (what `benches/run` runs).")
        w("")
    n = rows[0]["events"]
    w(f"`benches/load.rs events` runs a trivial event handler (axum, in the load tool) and a")
    w("`wps emulator --event-handler chat=...` pointing at it. One json client sends an `event`;")
    w("the handler echoes its data as text; the clock stops when the reply reaches the client")
    w(f"(its ack follows and is read before the next event). One event at a time, {n:,} timed")
    w(f"after {rows[0]['warmup']:,} untimed. *Directly*: the same CloudEvents POST from the load")
    w("tool to the same handler over one keep-alive connection, with reqwest as the emulator")
    w("uses it. The difference is what the emulator adds: a WebSocket frame each way, the JSON")
    w("protocol, the event's headers and signature, and its own HTTP call.")
    w("")
    w("| run | path | p50 | p90 | p99 | max | mean | emulator CPU per event |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")

    def f(v):
        return f"{v:.3f} ms" if v < 1 else f"{v:.2f} ms"

    for i, r in enumerate(rows, 1):
        for name, key in [("through the emulator", "through_emulator"), ("handler directly", "direct")]:
            s = r[key]
            cpu = r.get("emulator_cpu_us_per_event")
            cpu_text = "-" if key == "direct" or cpu is None else f"{cpu:.0f} µs"
            w(f"| {i} | {name} | {f(s['p50_ms'])} | {f(s['p90_ms'])} | {f(s['p99_ms'])} | "
              f"{f(s['max_ms'])} | {f(s['mean_ms'])} | {cpu_text} |")
    p50 = statistics.median(r["added_p50_ms"] for r in rows)
    p99 = statistics.median(r["added_p99_ms"] for r in rows)
    w("")
    w(f"**Added by the emulator** (median over runs of the difference): {f(p50)} at p50, "
      f"{f(p99)} at p99.")
    w("")
    return L


if __name__ == "__main__":
    rows = [json.loads(l) for l in open(sys.argv[1]).read().splitlines() if l.strip()]
    print("\n".join(render(rows, standalone=True)))
