"""How long from a scan landing in the inbox to its outputs being published, with `ipdigitise serve`
on a real Prefect server (SQLite). Not part of the test run.

    flock /tmp/ipd-bench.lock python bench/inbox_latency.py [--files 20] [--settle 5] [--poll 2]

Each scan is one distinct US front page from ../shared/data/us-frontpages/images (so no cache
hit), copied under a hidden name and renamed into the inbox (the moment it lands). The next scan
lands only after the previous one left the inbox, so the figure is latency, not queueing. For each
scan the run's timestamps from the API split the time into: waiting for the scan to settle and
the run to be created, the run being picked up and its process started, and processing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the same server helpers as the server tests

from ops_support import prefect_server, python_m_flows, start, stop_group, wait_for  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "us-frontpages" / "images"


def _ts(value: str | None) -> float:
    return datetime.fromisoformat(value).timestamp() if value else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--poll", type=float, default=2.0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ipd-bench-inbox"))
    ap.add_argument("--json", type=Path, default=None, help="write the raw figures here")
    args = ap.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"needs {SHARED} (the shared US front-page set)")
    pages = sorted(SHARED.glob("*.png"))[: args.files]
    shutil.rmtree(args.work, ignore_errors=True)
    inbox, out, staging = args.work / "inbox", args.work / "out", args.work / "staging"
    for d in (inbox, staging):
        d.mkdir(parents=True)

    with prefect_server(args.work / "prefect-home") as server:
        cmd = python_m_flows("serve", "--inbox", str(inbox), "--out", str(out),
                             "--settle", str(args.settle), "--poll", str(args.poll))  # fmt: skip
        proc = start(cmd, server.env(), args.work / "serve.log")
        try:
            wait_for("the deployments", lambda: "on-arrival" in server.deployments(), 120)
            arrival = server.deployments()["on-arrival"]["id"]
            rows = []
            for page in pages:
                doc_id = page.stem
                tmp = staging / f".{page.name}"
                shutil.copyfile(page, tmp)
                landed = time.time()
                tmp.rename(inbox / page.name)
                done = wait_for(
                    f"{doc_id} to be published",
                    lambda d=doc_id: next(
                        (
                            out / s / d
                            for s in ("published", "review", "quarantine")
                            if (out / s / d).exists()
                        ),
                        None,
                    ),  # fmt: skip
                    300,
                    every=0.05,
                )
                published = time.time()
                wait_for("the inbox to empty", lambda: not any(inbox.iterdir()), 120, every=0.1)
                wait_for("the run to finish", lambda: all(
                    r["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
                    for r in server.flow_runs(arrival)), 120, every=0.2)  # fmt: skip
                rows.append({"doc_id": doc_id, "status": done.parent.name, "landed": landed,
                             "published": published, "latency": published - landed})  # fmt: skip
                print(
                    f"{doc_id:<22} {done.parent.name:<10} {published - landed:6.2f} s", flush=True
                )
            runs = [r for r in server.flow_runs(arrival) if r["state_type"] == "COMPLETED"]
            by_name = {r["parameters"]["names"][0]: r for r in runs}
            for row in rows:
                run = by_name.get(f"{row['doc_id']}.png")
                if run:
                    row["to_run_created"] = _ts(run["created"]) - row["landed"]
                    row["to_run_started"] = _ts(run["start_time"]) - _ts(run["created"])
                    row["processing"] = row["published"] - _ts(run["start_time"])
        finally:
            stop_group(proc, signal.SIGTERM, wait=30, group=False)

    lat = [r["latency"] for r in rows]
    print(f"\n{len(lat)} files, settle {args.settle} s, poll {args.poll} s")
    print(f"landing -> published: median {statistics.median(lat):.2f} s, "
          f"min {min(lat):.2f} s, max {max(lat):.2f} s")  # fmt: skip
    for key, label in (("to_run_created", "landing -> run created (settle + trigger)"),
                       ("to_run_started", "run created -> run started (poll + process start)"),
                       ("processing", "run started -> published (OCR and the rest)")):  # fmt: skip
        vals = [r[key] for r in rows if key in r]
        if vals:
            print(f"  {label}: median {statistics.median(vals):.2f} s")
    if args.json:
        args.json.write_text(json.dumps({"settle": args.settle, "poll": args.poll, "rows": rows}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
