"""One slot of a global concurrency limit held around a page's OCR, asked for with short retries.

Prefect's `concurrency()` asks the server through Prefect's client, whose retry loop answers an
HTTP 503 by waiting about 2 s (and waits so even after its last attempt). A `prefect server
start` on SQLite answers 503 to a slot request whenever another write (task runs, events, logs)
holds the database at that moment: the request reads the limit, then writes it in a deferred
transaction, and SQLite refuses that upgrade at once rather than waiting. Measured on 2 cores,
20 pages: 10 to 15 of the 20 slot requests waited ~2 s for a slot that was free all along (the
server's own count never reached the limit; the machine 25-40 % idle), so runs against a server
were 1.4x slower than with the ephemeral API (`bench/server_cpu.py`). Here the same requests go
out through the same client past its retry loop: a 503 is asked again after tens of
milliseconds, a 423 (all slots taken) after the server's Retry-After, as Prefect does.

The slot is what `concurrency()` takes (a lease on the v2 limit, renewed while held, released on
exit, with the same acquired/released events for the UI), so runs using either share one limit.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

log = logging.getLogger("ipdigitise.slots")

BUSY_CODES = frozenset({408, 429, 502, 503})  # the server says "ask again", slot or not
LOCKED = 423  # no free slot: the server says when to ask again


class SlotUnavailable(Exception):
    """The API kept answering "busy" or could not be reached: run without the slot."""


@dataclass(frozen=True)
class Limit:
    id: str
    name: str
    limit: int


@dataclass
class Lease:
    id: UUID
    limits: list[Limit]
    acquired: Any = None  # the "acquired" events, which the "released" ones follow
    stop: threading.Event = field(default_factory=threading.Event)


def busy_delays(first: float = 0.02, factor: float = 1.6, cap: float = 1.0) -> Iterator[float]:
    """Waits between attempts after "busy" answers: short, growing, jittered, capped."""
    delay = first
    while True:
        yield delay * random.uniform(0.5, 1.5)
        delay = min(cap, delay * factor)


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:
        return default


class SlotClient:
    """The calls of a lease (acquire, renew, release) through Prefect's sync client (its API
    URL, auth and TLS settings) but past its retry loop, which waits ~2 s after a 503 even
    when told not to retry (it sleeps after the last attempt too, Prefect 3.9). Raises
    `httpx.HTTPStatusError` for any error status."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _client(self) -> Any:
        """One started client per thread and API URL (a client costs ~25 ms to make)."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL

        url = PREFECT_API_URL.value()
        cached = getattr(self._local, "client", None)
        if cached is None or cached[0] != url:
            client = get_client(sync_client=True)
            client.__enter__()
            self._local.client = cached = (url, client)
        return cached[1]

    def request(self, path: str, body: dict[str, Any]) -> httpx.Response:
        client = self._client()
        http = getattr(client, "_client", None)
        if not isinstance(http, httpx.Client):  # another Prefect: its own retries, slower
            return client.request("POST", path, json=body)  # type: ignore[no-any-return]
        request = http.build_request("POST", path, json=body)
        if getattr(http, "enable_csrf_support", False):
            http._add_csrf_headers(request)  # type: ignore[attr-defined]
        response = httpx.Client.send(http, request)  # the plain send: no retry loop
        response.raise_for_status()
        return response


def emit(phase: str, lease: Lease) -> Any:
    """The events Prefect's `concurrency()` emits, so the UI shows slot use the same way."""
    try:
        from prefect.events import RelatedResource, emit_event

        events = {}
        for limit in lease.limits:
            related = [
                RelatedResource.model_validate(
                    {
                        "prefect.resource.id": f"prefect.concurrency-limit.{other.id}",
                        "prefect.resource.role": "concurrency-limit",
                    }  # fmt: skip
                )
                for other in lease.limits
                if other.id != limit.id
            ]
            follows = (lease.acquired or {}).get(limit.id) if phase == "released" else None
            events[limit.id] = emit_event(
                f"prefect.concurrency-limit.{phase}",
                resource={
                    "prefect.resource.id": f"prefect.concurrency-limit.{limit.id}",
                    "prefect.resource.name": limit.name,
                    "slots-acquired": "1",
                    "limit": str(limit.limit),
                },  # fmt: skip
                related=related,
                follows=follows,
            )
        return events
    except Exception as exc:  # events are for the UI: never a reason to fail a page
        log.debug("no %s event: %s", phase, exc)
        return None


@dataclass
class Slots:
    """Acquire/renew/release one slot of `name`. `sleep` and `client` are replaceable for tests."""

    name: str
    lease_seconds: float = 60.0  # the server's minimum; renewed every half of it while held
    patience: float = 60.0  # seconds of "busy" answers before running without the slot
    client: SlotClient = field(default_factory=SlotClient)
    sleep: Callable[[float], None] = time.sleep

    def _post(self, path: str, body: dict[str, Any], what: str) -> httpx.Response:
        """POST until an answer that is not "busy" (a 423 is returned, not raised);
        SlotUnavailable when the API stays busy or cannot be reached."""
        deadline = time.monotonic() + self.patience
        for delay in busy_delays():
            try:
                return self.client.request(path, body)
            except httpx.HTTPStatusError as exc:
                code = exc.response.status_code
                if code == LOCKED:
                    return exc.response
                if code not in BUSY_CODES:
                    raise SlotUnavailable(f"{what}: HTTP {code}") from exc
            except httpx.TransportError as exc:
                raise SlotUnavailable(f"{what}: {exc!r}") from exc
            if time.monotonic() + delay > deadline:
                raise SlotUnavailable(f"{what}: the API stayed busy for {self.patience:.0f} s")
            self.sleep(delay)
        raise AssertionError("unreachable")

    def acquire(self) -> Lease | None:
        """A lease on one slot, waiting for a free one; None when the limit does not exist."""
        body = {"names": [self.name], "slots": 1, "mode": "concurrency",
                "lease_duration": self.lease_seconds}  # fmt: skip
        path = "/v2/concurrency_limits/increment-with-lease"
        response = self._post(path, body, "acquire")
        while response.status_code == LOCKED:  # all slots taken: wait as the server says
            self.sleep(retry_after(response))
            response = self._post(path, body, "acquire")
        data = response.json()
        limits = [Limit(str(x["id"]), str(x["name"]), int(x["limit"])) for x in data["limits"]]
        if not limits:
            return None
        lease = Lease(UUID(str(data["lease_id"])), limits)
        lease.acquired = emit("acquired", lease)
        return lease

    def renew_until_stopped(self, lease: Lease) -> None:
        """Keep the lease alive while the page is read (a page may take longer than a lease)."""
        while not lease.stop.wait(self.lease_seconds / 2):
            try:
                self._post(f"/v2/concurrency_limits/leases/{lease.id}/renew",
                           {"lease_duration": self.lease_seconds}, "renew")  # fmt: skip
            except SlotUnavailable as exc:
                log.warning("could not renew the OCR slot lease (%s); it may expire", exc)

    def release(self, lease: Lease) -> None:
        lease.stop.set()
        try:
            self._post("/v2/concurrency_limits/decrement-with-lease",
                       {"lease_id": str(lease.id)}, "release")  # fmt: skip
        except SlotUnavailable as exc:  # the lease expires on its own
            log.warning("could not release the OCR slot (%s); its lease will expire", exc)
        emit("released", lease)

    @contextlib.contextmanager
    def held(self) -> Iterator[Lease | None]:
        lease = self.acquire()
        if lease is None:
            yield None
            return
        renewer = threading.Thread(target=self.renew_until_stopped, args=(lease,), daemon=True,
                                   name=f"slot-lease-{lease.id}")  # fmt: skip
        renewer.start()
        try:
            yield lease
        finally:
            self.release(lease)
