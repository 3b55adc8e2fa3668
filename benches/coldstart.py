"""Fallback cold-start timer when hyperfine is unavailable: runs each command N times (after
3 warm-up runs), no shell, stdout/stderr discarded, and writes hyperfine-shaped JSON.

Usage: coldstart.py RUNS OUT.json NAME... -- COMMAND...
"""
import json
import shlex
import subprocess
import sys
import time

runs, out = int(sys.argv[1]), sys.argv[2]
rest = sys.argv[3:]
sep = rest.index("--")
names, cmds = rest[:sep], rest[sep + 1:]
results = []
for name, cmd in zip(names, cmds):
    argv = shlex.split(cmd)
    times = []
    for i in range(runs + 3):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i >= 3:
            times.append(time.perf_counter() - started)
    results.append({"command": name, "times": times})
with open(out, "w", encoding="utf-8") as f:
    json.dump({"results": results}, f)
