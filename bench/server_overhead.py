"""What a real Prefect server costs against the ephemeral API, on the same batch. Not part of the
test run.

    flock /tmp/ipd-bench.lock python bench/server_overhead.py [--reps 2]

Runs `python -m flows run sample_scans/documents` (7 documents, 10 pages) alternately with the
ephemeral API (no PREFECT_API_URL; its SQLite database already created by a warm-up run) and
against a `prefect server start` on a loopback port (started before timing). Every run writes to
a new output folder and a new result store, so no page comes from the cache. Reported: wall time of
the whole command (start-up included) and the batch time the command prints.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from ops_support import base_env, prefect_server, python_m_flows  # noqa: E402

BATCH = REPO / "sample_scans" / "documents"


def run(env: dict[str, str], out: Path, inputs: Path) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(python_m_flows("run", str(inputs), "--out", str(out)), cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
    # the summary table row: documents | pages | published | review | quarantine | seconds | s/page
    row = [line for line in done.stdout.splitlines() if re.match(r"\s*\d+\s*│", line)][-1]
    return wall, float(row.split("│")[5])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ipd-bench-overhead"))
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    warm = args.work / "warm"
    warm.mkdir()
    shutil.copy2(BATCH / "us_10143085.png", warm)
    eph_env = base_env(args.work / "ephemeral-home")
    results: dict[str, list[tuple[float, float]]] = {"ephemeral": [], "server": []}
    with prefect_server(args.work / "server-home") as server:
        srv_env = server.env()
        for name, env in (("ephemeral", eph_env), ("server", srv_env)):  # databases created
            run({**env, "PREFECT_LOCAL_STORAGE_PATH": str(args.work / f"warm-{name}")},
                args.work / f"warm-out-{name}", warm)  # fmt: skip
        for rep in range(args.reps):
            order = ("ephemeral", "server") if rep % 2 == 0 else ("server", "ephemeral")
            for name in order:
                env = {**(eph_env if name == "ephemeral" else srv_env),
                       "PREFECT_LOCAL_STORAGE_PATH": str(args.work / f"store-{name}-{rep}")}  # fmt: skip
                wall, batch = run(env, args.work / f"out-{name}-{rep}", BATCH)
                results[name].append((wall, batch))
                print(f"rep {rep} {name:<9} wall {wall:6.1f} s  batch {batch:6.1f} s", flush=True)
    e_wall = statistics.median(w for w, _ in results["ephemeral"])
    s_wall = statistics.median(w for w, _ in results["server"])
    e_batch = statistics.median(b for _, b in results["ephemeral"])
    s_batch = statistics.median(b for _, b in results["server"])
    print(f"\nmedian wall:  ephemeral {e_wall:.1f} s, server {s_wall:.1f} s "
          f"(server/ephemeral {s_wall / e_wall:.3f}, {s_wall - e_wall:+.1f} s)")  # fmt: skip
    print(f"median batch: ephemeral {e_batch:.1f} s, server {s_batch:.1f} s "
          f"(server/ephemeral {s_batch / e_batch:.3f}, {s_batch - e_batch:+.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
