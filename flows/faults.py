"""Telling a fault of the environment from a fault of the document.

A document is quarantined only for something about the document itself. When the output disk is
full or read-only, a language pack vanished, or the Prefect API went away, the document is not to
blame: it is marked `failed`, nothing is written for it, its input stays where it is, and the
next run does it again (the CLI exits with EXIT_INCOMPLETE so a scheduler or watcher knows).
"""

from __future__ import annotations

import errno

from ocr.errors import FatalError, IpdError, OutputError

ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}


def is_environment_fault(exc: BaseException) -> bool:
    if isinstance(exc, OutputError | FatalError):
        return True
    if isinstance(exc, IpdError):
        return False
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        return True
    return _is_network_error(exc)


def _is_network_error(exc: BaseException) -> bool:
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with Prefect
        return False
    return isinstance(exc, httpx.TransportError)


def check_prefect_api(timeout: float = 10.0) -> None:
    """When PREFECT_API_URL names a server, make sure it answers before any work starts (without
    it, Prefect starts a temporary local server and there is nothing to check)."""
    import os

    url = os.environ.get("PREFECT_API_URL", "").strip()
    if not url:
        return
    import httpx

    from ocr.errors import OrchestratorUnreachableError

    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.HTTPError as exc:
        raise OrchestratorUnreachableError(
            f"the Prefect API at {url} does not answer ({exc}); start it, fix PREFECT_API_URL, "
            "or unset PREFECT_API_URL to use a temporary local server"
        ) from exc
    if response.status_code >= 500:
        raise OrchestratorUnreachableError(
            f"the Prefect API at {url} answers HTTP {response.status_code} to /health"
        )


def is_api_failure(exc: BaseException) -> bool:
    """The orchestrator went away: a network error, or Prefect's own 'Failed to reach API'."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_network_error(current) or "Failed to reach API" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False
