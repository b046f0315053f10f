#!/usr/bin/env python3
"""Measures published API binaries: start to first 200 on /health, and resident memory after N /health requests.

Usage: health_probe.py startup PORT RUNS LABEL=BINARY [LABEL=BINARY ...]
       health_probe.py memory  PORT REQUESTS LABEL=BINARY [LABEL=BINARY ...]
startup alternates the binaries run by run (so a slower phase of a shared machine hits each alike) and prints one line
per label; memory measures each binary in turn. The binaries' settings come from the environment (APPLIANCE_*).
Only 127.0.0.1 is contacted.
"""
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time


def start(binary):
    return subprocess.Popen([binary], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port, deadline_s=20.0):
    begin = time.perf_counter()
    while time.perf_counter() - begin < deadline_s:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return True
            conn.close()
        except OSError:
            time.sleep(0.001)
    return False


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def cpu_ms(pid):
    """User plus system CPU time the process used so far (clock ticks, so 10 ms steps): unlike the wall time, it
    hardly grows when other programs compete for the cores."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def startup(port, runs, binaries):
    times = {label: [] for label, _ in binaries}
    cpu = {label: [] for label, _ in binaries}
    for _ in range(runs):
        for label, binary in binaries:
            t0 = time.perf_counter()
            proc = start(binary)
            ok = wait_healthy(port)
            elapsed = (time.perf_counter() - t0) * 1000.0
            used = cpu_ms(proc.pid) if ok else 0.0
            stop(proc)
            if not ok:
                sys.exit(f"{label}: the API never answered /health")
            times[label].append(elapsed)
            cpu[label].append(used)
    for label, values in times.items():
        print(f"{label} startup_to_first_health_ms runs={runs} min={min(values):.1f} median={statistics.median(values):.1f} max={max(values):.1f}"
              f" cpu_ms_median={statistics.median(cpu[label]):.0f}")


def memory(port, requests, binaries):
    for label, binary in binaries:
        proc = start(binary)
        try:
            if not wait_healthy(port):
                sys.exit(f"{label}: the API never answered /health")
            before = rss_mb(proc.pid)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            t0 = time.perf_counter()
            for _ in range(requests):
                conn.request("GET", "/health")
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    sys.exit(f"{label}: /health answered {response.status}")
            elapsed = time.perf_counter() - t0
            conn.close()
            after = rss_mb(proc.pid)
            print(f"{label} rss_mb_after_{requests}_health_requests={after:.1f} at_first_health={before:.1f} sequential_rps={requests / elapsed:.0f}")
        finally:
            stop(proc)


def parse_binaries(words):
    binaries = []
    for word in words:
        label, sep, binary = word.partition("=")
        if not sep or not label or not binary:
            sys.exit(f"expected LABEL=BINARY, got '{word}'\n{__doc__}")
        binaries.append((label, binary))
    return binaries


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] not in ("startup", "memory"):
        sys.exit(__doc__)
    mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    (startup if mode == "startup" else memory)(port, count, parse_binaries(sys.argv[4:]))
