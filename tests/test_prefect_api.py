"""Which Prefect API `run` uses (flows/prefect_api.py), without a real Prefect server: the
configured-API check, the local-server rule against a small stand-in HTTP server on a free
loopback port, and the settings that switch it. The same rules against a real `prefect server`
and the early temporary server's life cycle are in test_startup_server.py."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from stubhttp import StubHandler, serving

from flows import prefect_api
from flows.prefect_api import ApiChoice, choose_api, configured_api_url, local_server_matches
from flows.settings import Settings, load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Prefect configuration at all: an empty PREFECT_HOME, an empty working folder."""
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.setenv(name, "")  # recorded, so whatever choose_api sets is undone after
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


class _Fake(StubHandler):
    health = b"true"
    home = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/api/health":
            self.reply(200, self.health)
        elif self.path == "/api/admin/settings":
            self.reply(200, json.dumps({"home": self.home, "api": {"url": None}}).encode())
        else:
            self.send_error(404)


@pytest.fixture
def fake_server() -> Iterator[tuple[str, type[_Fake]]]:
    """A stand-in answering /api/health and /api/admin/settings like a Prefect server."""
    handler = type("Handler", (_Fake,), {})
    with serving(handler) as url:
        yield f"{url}/api", handler


def test_api_url_from_the_environment_wins(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.internal:4200/api")
    assert configured_api_url() == "http://prefect.internal:4200/api"
    choice = choose_api(True, "http://127.0.0.1:4200/api")
    assert choice.kind == "configured" and choice.url == "http://prefect.internal:4200/api"


def test_api_url_from_the_active_profile(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "profiles.toml").write_text(
        'active = "ephemeral"\n[profiles.ephemeral]\nPREFECT_SERVER_EPHEMERAL_ENABLED = "true"\n'
        '[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4300/api"\n'
    )
    assert configured_api_url() is None
    monkeypatch.setenv("PREFECT_PROFILE", "local")
    assert configured_api_url() == "http://127.0.0.1:4300/api"
    monkeypatch.delenv("PREFECT_PROFILE")
    (clean_env / "profiles.toml").write_text(
        'active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4300/api"\n'
    )
    assert configured_api_url() == "http://127.0.0.1:4300/api"


@pytest.mark.parametrize(
    ("name", "text"),
    [("prefect.toml", "[api]\nurl = 'x'\n"), (".env", "PREFECT_API_URL=x\n"),
     ("pyproject.toml", "[tool.prefect.api]\nurl = 'x'\n")],
)  # fmt: skip
def test_prefect_settings_files_here_are_left_to_prefect(
    clean_env: Path, name: str, text: str
) -> None:
    """Prefect also reads these; rather than parse them, the local-server rule stands aside."""
    Path(name).write_text(text)
    assert configured_api_url() == ""
    choice = choose_api(True, "http://127.0.0.1:4200/api")
    assert choice.kind == "configured" and choice.url is None
    assert "PREFECT_API_URL" not in os.environ


def test_a_pyproject_without_prefect_settings_is_ignored(clean_env: Path) -> None:
    Path("pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert configured_api_url() is None


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("http://127.0.0.1:4200/api", True), ("http://localhost:4200/api", True),
     ("http://127.5.0.1:4200/api", True), ("http://[::1]:4200/api", True),
     ("http://10.0.0.5:4200/api", False), ("http://prefect.internal:4200/api", False),
     ("http://0.0.0.0:4200/api", False)],
)  # fmt: skip
def test_only_loopback_counts_as_local(url: str, loopback: bool) -> None:
    assert prefect_api.is_loopback_url(url) is loopback


def test_local_server_of_the_same_home_is_reused(
    clean_env: Path, fake_server: tuple[str, type[_Fake]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = fake_server
    handler.home = str(clean_env)
    assert local_server_matches(url, clean_env.resolve())
    choice = choose_api(True, url)
    assert (choice.kind, choice.url) == ("reused", url)
    assert os.environ["PREFECT_API_URL"] == url
    assert choice.describe() == f"Prefect API {url} (local server, reused)"
    monkeypatch.delenv("PREFECT_API_URL")
    assert choose_api(False, url).kind == "temporary"  # the setting turns the rule off


def test_local_server_of_another_home_is_not_reused(
    clean_env: Path, fake_server: tuple[str, type[_Fake]], tmp_path: Path
) -> None:
    url, handler = fake_server
    handler.home = str(tmp_path / "someone-elses-home")
    assert not local_server_matches(url, clean_env.resolve())
    assert choose_api(True, url).kind == "temporary"
    assert "PREFECT_API_URL" not in os.environ


def test_unhealthy_or_absent_servers_are_not_reused(
    clean_env: Path, fake_server: tuple[str, type[_Fake]]
) -> None:
    url, handler = fake_server
    handler.home = str(clean_env)
    handler.health = b"false"
    assert not local_server_matches(url, clean_env.resolve())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
    assert not local_server_matches(closed, clean_env.resolve())


def test_a_server_that_does_not_answer_is_given_up_on(clean_env: Path) -> None:
    """A listener that accepts and never answers: the probe times out instead of waiting."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
        assert not local_server_matches(url, clean_env.resolve(), timeout=0.2)


def test_local_server_url_must_be_loopback(clean_env: Path) -> None:
    with pytest.raises(ValidationError, match="on this machine"):
        load_settings(None, {"prefect": {"local_server_url": "http://10.1.2.3:4200/api"}})
    with pytest.raises(ValidationError, match="on this machine"):
        load_settings(None, {"prefect": {"local_server_url": "https://127.0.0.1:4200/api"}})


def test_prefect_settings_from_file_and_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "ipd.toml"
    config.write_text("[prefect]\nreuse_local_server = false\nearly_start = false\n")
    s = load_settings(config)
    assert (s.prefect.reuse_local_server, s.prefect.early_start) == (False, False)
    monkeypatch.setenv("IPDIGITISE_PREFECT__REUSE_LOCAL_SERVER", "true")
    assert load_settings(config).prefect.reuse_local_server is True


def test_prefect_settings_do_not_change_outputs_fingerprint(clean_env: Path) -> None:
    """Which API runs the flow changes no output: a manifest stays valid across it."""
    other = Settings(prefect={"reuse_local_server": False, "early_start": False})  # type: ignore[arg-type]
    assert other.fingerprint() == Settings().fingerprint()


def test_describe_names_the_api() -> None:
    assert ApiChoice("temporary").describe() == "Prefect API: a temporary local server"
    assert "(PREFECT_API_URL)" in ApiChoice("configured", "http://h:1/api").describe()


def test_the_early_temporary_server_runs_without_the_services_nobody_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Task-run recording, event storage and automations are off on the temporary server, as
    Prefect's own temporary-server variables stay; the environment can turn a service back on."""
    started: list[dict[str, str]] = []

    class Popen:
        def __init__(self, args: list[str], env: dict[str, str], **_: object) -> None:
            started.append(env)

    monkeypatch.setattr(prefect_api.subprocess, "Popen", Popen)
    monkeypatch.setattr(prefect_api.atexit, "register", lambda fn: fn)
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "true")
    prefect_api.EarlyServer().start()
    env = started[0]
    assert env["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED"] == "false"
    assert env["PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED"] == "false"
    assert env["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "true"  # the user's own choice
    assert env["PREFECT__SERVER_EPHEMERAL"] == "1" and env["PREFECT_UI_ENABLED"] == "0"


class _Booting:
    """Stands in for the early server: records the wait."""

    api_url = "http://127.0.0.1:9/api"
    ready_after = 0.5

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def wait_ready(self, timeout: float) -> bool:
        self.events.append("wait for the server")
        return True

    def stop(self) -> None:
        self.events.append("server stopped")


def test_work_handed_to_hand_over_starts_before_the_wait(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    monkeypatch.setattr(prefect_api, "_register", lambda server: True)
    choice = ApiChoice("temporary", server=_Booting(events))  # type: ignore[arg-type]
    prefect_api.hand_over(choice, while_waiting=lambda: events.append("work started"))
    assert events == ["work started", "wait for the server"]
    assert choice.server is not None  # handed over, not stopped


def test_without_an_early_server_hand_over_starts_nothing() -> None:
    events: list[str] = []
    prefect_api.hand_over(ApiChoice("reused", "http://127.0.0.1:4200/api"),
                          while_waiting=lambda: events.append("work started"))  # fmt: skip
    assert events == []
