#!/usr/bin/env python3
"""Refresh-job benchmark: for N synthetic profiles of 10 points (default N = 100, 1000, 10000),
measure a full `infercat build` (wall time, peak RSS), a refresh after one new run lands, and
the size of the output. Uses the release binary; prints a Markdown table for the README.

    python3 scripts/bench.py            # builds target/release/infercat first
    python3 scripts/bench.py 100 1000   # other sizes
    BENCH_DIR=/dev/shm python3 scripts/bench.py   # work on tmpfs: no disk, CPU cost only

The output tree has three files per profile (page, manifest, JSON) plus the aggregate pages,
so on a disk the file system's metadata work is part of the time; BENCH_DIR separates the two.
The last columns state the output per profile (site and tables over N) and the time per
profile, which stay flat when growth is linear.
"""

import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "target" / "release" / "infercat"


def measure_in_child(args):
    """Measures `args` from a fresh Python process so RUSAGE_CHILDREN covers that run only."""
    code = (
        "import resource,subprocess,sys,time;"
        "t=time.perf_counter();r=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "e=time.perf_counter()-t;"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024.0);"
        "sys.stderr.write(r.stderr);sys.exit(r.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stderr}")
    seconds, mib = done.stdout.split()
    return float(seconds), float(mib), done.stderr


def tree_bytes(path, seen):
    """Bytes of the files under path, each file (inode) counted once across calls sharing
    `seen`: the site's table downloads are hard links to the tables."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            st = os.stat(os.path.join(root, f))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def bench(n, work):
    pool = work / f"pool-{n}"
    subprocess.run([BIN, "synth", "--profiles", str(n + 1), "--points", "10", "--out", pool], cwd=REPO, check=True, capture_output=True)
    raw = work / f"raw-{n}"
    raw.mkdir()
    runs = sorted(pool.iterdir())
    for r in runs[:-1]:
        shutil.move(str(r), raw / r.name)
    out = work / f"out-{n}"
    full_s, full_mib, _ = measure_in_child([BIN, "build", "--raw", raw, "--out", out])
    seen = set()
    data_bytes = tree_bytes(out / "data", seen)
    site_bytes = tree_bytes(out / "site", seen)
    shutil.move(str(runs[-1]), raw / runs[-1].name)
    refresh_s, refresh_mib, log = measure_in_child([BIN, "build", "--raw", raw, "--out", out])
    reused = next((line for line in log.splitlines() if line.startswith("done:")), "")
    shutil.rmtree(out)
    shutil.rmtree(raw)
    shutil.rmtree(pool)
    return full_s, full_mib, refresh_s, refresh_mib, site_bytes, data_bytes, reused


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "infercat"], cwd=REPO, check=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, {platform.system()} {platform.release()}")
    print(f"work directory: {os.environ.get('BENCH_DIR') or tempfile.gettempdir()}")
    print()
    print("| profiles × points | full build (s) | peak RSS full (MiB) | refresh after 1 new run (s) | peak RSS refresh (MiB) | site size (MB, without the tables it links) | tables (MB, with CSV) | KB per profile | ms per profile (full) |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="infercat-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        for n in sizes:
            full_s, full_mib, refresh_s, refresh_mib, site, data, log = bench(n, Path(tmp))
            per_profile_kb = (site + data) / n / 1e3
            print(f"| {n} × 10 | {full_s:.2f} | {full_mib:.0f} | {refresh_s:.2f} | {refresh_mib:.0f} | {site / 1e6:.1f} | {data / 1e6:.1f} "
                  f"| {per_profile_kb:.1f} | {full_s / n * 1e3:.2f} |", flush=True)
            print(f"<!-- {n}: {log} -->", file=sys.stderr)


if __name__ == "__main__":
    main()
