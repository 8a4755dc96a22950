"""What `ipdigitise run` does before the first flow run: the ST.96 schema starts compiling while
the command waits for Prefect's server (lxml compiles without the interpreter lock), not beside
the first pages; with Dask's workers validating, not here at all. How `hand_over` runs that work
before its wait is in test_prefect_api.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import prefect_api
from flows.cli import app
from output_schemas import validate

SAMPLE = Path(__file__).resolve().parents[1] / "sample_scans" / "documents"


class _Stop(Exception):
    """Ends the command where the flow would start."""


def _order(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> list[str]:
    events: list[str] = []
    monkeypatch.setattr(prefect_api, "start_early", lambda api: events.append("server started"))
    monkeypatch.setattr(validate, "warm_up_in_background", lambda: events.append("compile started"))

    def hand_over(
        api: prefect_api.ApiChoice, while_waiting: Callable[[], None] | None = None
    ) -> None:
        if while_waiting is not None:
            while_waiting()
        events.append("flow starts")
        raise _Stop

    monkeypatch.setattr(prefect_api, "hand_over", hand_over)
    result = CliRunner().invoke(app, ["run", *args])
    assert isinstance(result.exception, _Stop), result.output
    return events


def test_the_schema_compiles_while_the_server_boots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    doc = next(SAMPLE.glob("*.tif"))
    events = _order(monkeypatch, [str(doc), "--out", str(tmp_path / "out")])
    assert events == ["server started", "compile started", "flow starts"]


def test_no_compile_here_when_dask_workers_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    doc = next(SAMPLE.glob("*.tif"))
    args = [str(doc), "--out", str(tmp_path / "out"), "--task-runner", "dask"]
    assert "compile started" not in _order(monkeypatch, args)
