"""The OCR slot of the global concurrency limit (flows.slots): a "busy" 503 is asked again at
once rather than after Prefect's ~2 s back-off, a 423 waits as the server says, the lease is
always released, and against a real server the limit holds."""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from runcli import PrefectApi
from stubhttp import StubHandler, serving

from flows import runners, slots
from flows.slots import BUSY_CODES, Slots, SlotUnavailable, busy_delays

LEASE = "6f1f3c2e-0c4d-4e55-9a3e-2f8d1b7a9c10"
LIMIT = {"id": "0b6f6a43-34c4-4f5e-a4f2-6c3f3d1c2b11", "name": "ipdigitise-ocr", "limit": 2}


class _Api(StubHandler):
    """Answers slot requests from a script: (status, headers, body) per increment request."""

    script: list[tuple[int, dict[str, str], dict[str, Any]]]
    seen: list[tuple[str, dict[str, Any]]]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        """The client first asks for a CSRF token: as a server with CSRF protection off."""
        self._answer(422, {}, {"detail": "CSRF protection is disabled."})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.seen.append((self.path, body))
        if self.path.endswith("/increment-with-lease"):
            status, headers, answer = self.script.pop(0)
        else:  # renew, release
            status, headers, answer = 204, {}, {}
        self._answer(status, headers, answer)

    def _answer(self, status: int, headers: dict[str, str], answer: dict[str, Any]) -> None:
        self.reply(status, json.dumps(answer).encode() if status != 204 else b"", headers=headers)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Api]]:
    """A stand-in Prefect API, set as PREFECT_API_URL for the test (no events: it has no
    websocket for them)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setattr(slots, "emit", lambda phase, lease: None)

    handler = type("Handler", (_Api,), {"script": [], "seen": []})
    with serving(handler) as url, temporary_settings({PREFECT_API_URL: f"{url}/api"}):
        yield handler


Answer = tuple[int, dict[str, str], dict[str, Any]]
GRANTED: Answer = (200, {}, {"lease_id": LEASE, "limits": [LIMIT]})
BUSY: Answer = (503, {}, {"exception_message": "Service Unavailable"})


def _slots(sleeps: list[float], **kw: Any) -> Slots:
    return Slots("ipdigitise-ocr", sleep=sleeps.append, **kw)


def _paths(api: type[_Api]) -> list[str]:
    return [p.rsplit("/", 1)[-1] for p, _ in api.seen]


def test_a_busy_server_is_asked_again_at_once_not_after_prefects_back_off(
    fake_api: type[_Api],
) -> None:
    fake_api.script = [BUSY, BUSY, GRANTED]
    sleeps: list[float] = []
    with _slots(sleeps).held() as lease:
        assert lease is not None and str(lease.id) == LEASE
    # Every 503 came back to this module (Prefect's own loop would have retried by itself
    # after ~2 s and left nothing to sleep here), and each wait is short.
    assert len(sleeps) == 2
    assert all(0 < s < 0.1 for s in sleeps)
    assert _paths(fake_api) == ["increment-with-lease"] * 3 + ["decrement-with-lease"]
    assert fake_api.seen[-1][1] == {"lease_id": LEASE}
    assert fake_api.seen[0][1] == {"names": ["ipdigitise-ocr"], "slots": 1,
                                   "mode": "concurrency", "lease_duration": 60.0}  # fmt: skip


def test_all_slots_taken_waits_as_long_as_the_server_says(fake_api: type[_Api]) -> None:
    fake_api.script = [(423, {"Retry-After": "0.7"}, {}), GRANTED]
    sleeps: list[float] = []
    with _slots(sleeps).held():
        pass
    assert sleeps == [0.7]


def test_the_slot_is_released_when_the_page_fails(fake_api: type[_Api]) -> None:
    fake_api.script = [GRANTED]
    with pytest.raises(RuntimeError), _slots([]).held():
        raise RuntimeError("tesseract crashed")
    assert _paths(fake_api) == ["increment-with-lease", "decrement-with-lease"]


def test_no_such_limit_means_no_lease_and_nothing_to_release(fake_api: type[_Api]) -> None:
    fake_api.script = [(200, {}, {"lease_id": LEASE, "limits": []})]
    with _slots([]).held() as lease:
        assert lease is None
    assert _paths(fake_api) == ["increment-with-lease"]


def test_a_server_busy_for_too_long_is_given_up_on(fake_api: type[_Api]) -> None:
    fake_api.script = [BUSY] * 50
    with pytest.raises(SlotUnavailable, match="stayed busy"):
        _slots([], patience=0.0).acquire()


def test_ocr_runs_without_a_slot_when_the_api_is_gone(caplog: pytest.LogCaptureFixture) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    ran = []
    dead = "http://127.0.0.1:9/api"  # nothing listens
    with temporary_settings({PREFECT_API_URL: dead}), runners.ocr_slot(2):
        ran.append(True)
    assert ran == [True]
    assert "no OCR slot" in caplog.text


def test_busy_delays_grow_and_stay_capped() -> None:
    delays = busy_delays(first=0.02, factor=2.0, cap=0.5)
    values = [next(delays) for _ in range(12)]
    assert values[0] < 0.05 and max(values) <= 0.75 and values[-1] >= 0.25
    assert 503 in BUSY_CODES and 423 not in BUSY_CODES


def test_against_a_real_server_a_one_slot_limit_is_never_exceeded(
    prefect_api: PrefectApi,
) -> None:
    """Two threads taking the same one-slot limit three times each: never both at once, every
    lease released (the server's count back to 0), and the UI's events are emitted."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    name = f"test-slots-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{prefect_api.url}/v2/concurrency_limits/",
                         json={"name": name, "limit": 1}, timeout=30)  # fmt: skip
    created.raise_for_status()
    holders, most, errors = [0], [0], []
    lock = threading.Lock()
    slots = Slots(name)

    def work() -> None:
        try:
            for _ in range(3):
                with slots.held() as lease:
                    assert lease is not None
                    with lock:
                        holders[0] += 1
                        most[0] = max(most[0], holders[0])
                    time.sleep(0.2)
                    with lock:
                        holders[0] -= 1
        except BaseException as exc:
            errors.append(exc)

    with temporary_settings({PREFECT_API_URL: prefect_api.url}):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(work,))
                   for _ in range(2)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not errors
    assert most[0] == 1
    limit = httpx.get(f"{prefect_api.url}/v2/concurrency_limits/{name}", timeout=30).json()
    assert limit["active_slots"] == 0

    def events(phase: str) -> int:
        body = {"filter": {"event": {"name": [f"prefect.concurrency-limit.{phase}"]},
                           "resource": {"id": [f"prefect.concurrency-limit.{created.json()['id']}"]}}}  # fmt: skip
        return int(
            httpx.post(f"{prefect_api.url}/events/filter", json=body, timeout=30).json()["total"]
        )

    deadline = time.monotonic() + 30
    while (events("acquired"), events("released")) != (6, 6) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert (events("acquired"), events("released")) == (6, 6)
