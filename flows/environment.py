"""Process-wide defaults that must be set before Prefect is imported: no telemetry, quiet logs,
a patient ephemeral server. Anything the user has set already wins."""

from __future__ import annotations

import os

from flows.memory import limit_arenas

DEFAULTS = {
    # Confidential documents: nothing leaves the machine unless the operator says so.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    # The embedded server can take ~17 s to start on a new database on a small machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # Tesseract: one thread per process, one process per core.
    "OMP_THREAD_LIMIT": "1",
}


def apply_defaults(verbose: bool = False) -> None:
    if os.environ.get("PREFECT_API_URL") and "PREFECT_LOGGING_LEVEL" not in os.environ:
        # A real server keeps the run's INFO logs for the UI; the console stays quiet.
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        if not verbose:
            os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    limit_arenas()  # before any thread or child process exists
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
