#!/usr/bin/env python3
"""Bounded load test of `infercat serve` on loopback: builds the bundled catalog with the
release binary, serves it, and sends N requests (default 20,000) over C concurrent keep-alive
connections (default 64), mixing site pages and API calls (v1 and v1alpha1). Prints the wall
time, throughput, error count and latency percentiles for the README.

    python3 scripts/serve_load.py [N] [C]
"""
import http.client
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "target" / "release" / "infercat"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"

MIX = [
    ("GET", "/index.html", None),
    ("GET", "/api/v1/profiles.json", None),
    ("GET", "/models.html", None),
    ("GET", "/v1/models:fetch", None),
    ("GET", "/v1/modelServers:fetch?model=" + LLAMA, None),
    ("POST", "/v1/profiles:fetch", {"model": LLAMA, "performanceRequirements": {"targetNtpotMilliseconds": 20}}),
    ("POST", "/v1/profiles:fetch", {}),
    ("GET", "/v1alpha1/accelerators?modelName=" + LLAMA, None),
    ("GET", "/v1alpha1/models", None),
    ("POST", "/v1/useCases:fetch", {}),
]


def worker(addr, count, start, latencies, errors):
    host, port = addr.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    for i in range(count):
        method, path, body = MIX[(start + i) % len(MIX)]
        data = None if body is None else json.dumps(body)
        t = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"})
            r = conn.getresponse()
            r.read()
            if r.status >= 400:
                errors.append(f"{method} {path}: {r.status}")
        except Exception as e:  # noqa: BLE001 - every failure counts as an error
            errors.append(f"{method} {path}: {e}")
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
        latencies.append(time.perf_counter() - t)
    conn.close()


def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        subprocess.run([BIN, "build", "--raw", REPO / "data/raw", "--out", out], cwd=REPO, check=True, capture_output=True)
        server = subprocess.Popen([BIN, "serve", "--out", out, "--addr", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
        addr = re.search(r"http://([\d.]+:\d+)/", server.stderr.readline()).group(1)
        latencies, errors = [], []
        per = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
        threads = [threading.Thread(target=worker, args=(addr, n, i * 7, latencies, errors)) for i, n in enumerate(per)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000  # noqa: E731
    print(f"{len(latencies)} requests, {concurrency} connections, {wall:.1f} s, {len(latencies) / wall:.0f} req/s, "
          f"{len(errors)} errors; latency p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    for e in errors[:10]:
        print("error:", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
