#!/usr/bin/env python3
"""Measures the published API binary: start to first 200 on /health, and resident memory after N /health requests.

Usage: health_probe.py startup BINARY PORT RUNS
       health_probe.py memory  BINARY PORT REQUESTS
The binary's settings come from the environment (APPLIANCE_*). Only 127.0.0.1 is contacted.
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


def startup(binary, port, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = start(binary)
        ok = wait_healthy(port)
        elapsed = (time.perf_counter() - t0) * 1000.0
        stop(proc)
        if not ok:
            sys.exit("the API never answered /health")
        times.append(elapsed)
    print(f"startup_to_first_health_ms runs={runs} min={min(times):.1f} median={statistics.median(times):.1f} max={max(times):.1f} (target <= 300)")


def memory(binary, port, requests):
    proc = start(binary)
    try:
        if not wait_healthy(port):
            sys.exit("the API never answered /health")
        before = rss_mb(proc.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        t0 = time.perf_counter()
        for _ in range(requests):
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                sys.exit(f"/health answered {response.status}")
        elapsed = time.perf_counter() - t0
        conn.close()
        after = rss_mb(proc.pid)
        print(f"rss_mb_after_{requests}_health_requests={after:.1f} (at first health: {before:.1f}; target <= 80) sequential_rps={requests / elapsed:.0f}")
    finally:
        stop(proc)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("startup", "memory"):
        sys.exit(__doc__)
    mode, binary, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    (startup if mode == "startup" else memory)(binary, port, count)
