"""Dask task runner that points a local cluster's workers at the same Prefect API as the flow.

Without this, each worker process of a temporary local cluster, finding no `PREFECT_API_URL`,
starts its own ephemeral Prefect server: measured here, four trivial tasks took 60 s instead
of 10 s, and their task runs were recorded in databases nobody looks at. Workers of a remote
cluster (`address=`) must have `PREFECT_API_URL` set by whoever starts them.
"""

from __future__ import annotations

import os
from typing import Any

# Dask's own INFO chatter (nanny, scheduler) drowns the run's progress on the console.
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

from prefect_dask import DaskTaskRunner  # noqa: E402 (reads the setting above on import)

# Passed to local worker processes as they start (their environment is fixed at spawn).
_FORWARDED = (
    "OMP_THREAD_LIMIT", "PREFECT_HOME", "PREFECT_LOGGING_LEVEL", "PREFECT_LOCAL_STORAGE_PATH",
    "TESSDATA_PREFIX", "DASK_LOGGING__DISTRIBUTED",
)  # fmt: skip


def _current_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if url:
        return str(url)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the process's ephemeral server (already up in a flow run)
    server.start()
    return server.api_url


class LocalAwareDaskTaskRunner(DaskTaskRunner):
    def __enter__(self) -> Any:
        if not self.address and not self._cluster:
            env = {k: os.environ[k] for k in _FORWARDED if k in os.environ}
            env["PREFECT_API_URL"] = _current_api_url()
            self.cluster_kwargs = {**self.cluster_kwargs, "env": {**env, **self.cluster_kwargs.get("env", {})}}  # fmt: skip
        return super().__enter__()
