"""Start-up of `ipdigitise run`: wall time of a one-page run and of the sample batch, for the
code before the start-up work (a copy of an older commit), the current code with Prefect's
temporary server started early (default) or the old way (`[prefect] early_start = false`), and
the current code reusing a running local Prefect server. Also `--help`. Not part of the test run.

    git archive <old-commit> | tar -x -C /tmp/ipd-before
    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.startup --before /tmp/ipd-before

Real Tesseract. Each ephemeral variant shares one warm PREFECT_HOME (a first run creates its
database and is not counted); the reused server is a `prefect server start` on a free loopback
port with its own home, found through `[prefect] local_server_url` (its page-OCR cache refreshed,
so every run reads its pages). Variants alternate, `--reps`
rounds; the table shows the median and each run. "start-up" is what the current code prints:
seconds from the CLI's start until the flow began its work.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from ops_support import base_env, prefect_server  # noqa: E402

from bench.throughput import measure  # noqa: E402

SHARED = REPO.parent / "shared"
ONE_PAGE = SHARED / "data" / "us-frontpages" / "images" / "computer_vision_1.png"
SAMPLE = REPO / "sample_scans" / "documents"


def run(tree: Path, folder: Path, out: Path, env: dict[str, str]) -> tuple[float, str]:
    shutil.rmtree(out, ignore_errors=True)
    wall, _, text = measure([sys.executable, "-m", "flows", "run", str(folder), "--out", str(out)],
                            env, cwd=tree)  # fmt: skip
    startup = re.search(r"start-up ([\d.]+) s", text)
    return wall, startup.group(1) if startup else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, help="a copy of the code before the change")
    ap.add_argument("--reps", type=int, default=2, help="rounds of the one-page runs")
    ap.add_argument("--batch-reps", type=int, default=1, help="rounds of the sample batch")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ipd-startup")
    args = ap.parse_args()
    if not ONE_PAGE.exists():
        sys.exit(f"needs {ONE_PAGE} (../shared)")
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    (work / "one").mkdir(parents=True)
    shutil.copy(ONE_PAGE, work / "one")
    env_tmp = base_env(work / "home-ephemeral")
    env_tmp.update(COLUMNS="200", PREFECT_LOGGING_LEVEL="WARNING")

    helps = []
    for _ in range(5):
        started = time.perf_counter()
        measure([sys.executable, "-m", "flows", "--help"], env_tmp)
        helps.append(time.perf_counter() - started)
    print(f"ipdigitise --help: median {statistics.median(helps):.2f} s of 5", flush=True)

    run(REPO, work / "one", work / "out-warm", env_tmp)  # creates the temporary server's database
    trees: dict[str, tuple[Path, dict[str, str]]] = {}
    if args.before:
        trees["before (temporary server)"] = (args.before, env_tmp)
    trees["after, temporary server started early"] = (REPO, env_tmp)
    trees["after, early_start = false"] = (REPO, {**env_tmp, "IPDIGITISE_PREFECT__EARLY_START": "false"})  # fmt: skip
    results: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    with prefect_server(work / "home-server") as server:
        env_srv = base_env(server.home)
        # With a server, page OCR is cached across runs: refresh it so each run reads its pages.
        env_srv.update(COLUMNS="200", PREFECT_LOGGING_LEVEL="WARNING",
                       IPDIGITISE_PREFECT__LOCAL_SERVER_URL=server.url,
                       PREFECT_TASKS_REFRESH_CACHE="true")  # fmt: skip
        trees["after, local server reused"] = (REPO, env_srv)
        run(REPO, work / "one", work / "out-warm", env_srv)  # the server's first answers are slow
        for what, folder, reps in (("one page", work / "one", args.reps),
                                   ("sample batch (10 pages)", SAMPLE, args.batch_reps)):  # fmt: skip
            for _ in range(reps):
                for name, (tree, env) in trees.items():
                    wall, startup = run(tree, folder, work / "out", env)
                    results[(what, name)].append((wall, startup))
                    print(f"  {what:<24} {name:<40} wall {wall:6.1f} s  start-up {startup} s",
                          flush=True)  # fmt: skip
    print("\n| input | variant | wall s (median) | runs: wall / start-up s |\n|---|---|---:|---|")
    for (what, name), runs in results.items():
        median = statistics.median(w for w, _ in runs)
        each = ", ".join(f"{w:.1f} / {s}" for w, s in runs)
        print(f"| {what} | {name} | {median:.1f} | {each} |")


if __name__ == "__main__":
    main()
