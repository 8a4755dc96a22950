"""What the batch flow does to keep a long batch's memory flat: one preparer per four workers, and
finished tasks' results dropped from Prefect's per-flow-run table (a Prefect internal: this test
tells when an upgrade changes it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, task
from prefect.context import FlowRunContext

from flows import batch, stages
from flows.discover import DocumentSource
from flows.settings import Settings
from ocr.errors import InputError
from tests.conftest import Overlap


class Result:
    """A task result Prefect can track (weak-referenceable)."""


@task
def make() -> Result:
    return Result()


def test_finished_results_leave_prefects_table() -> None:
    @flow
    def probe() -> tuple[bool, bool, bool]:
        kept, other = make.submit().result(), make.submit().result()
        table: dict[int, Any] = FlowRunContext.get().run_results  # type: ignore[union-attr]
        tracked = id(kept) in table and id(other) in table
        batch._forget(kept)
        return tracked, id(kept) not in table, id(other) in table

    assert probe() == (True, True, True)


def test_one_preparer_per_four_workers() -> None:
    assert [batch.preparers(n) for n in (1, 2, 4, 8, 9, 16)] == [1, 1, 1, 2, 2, 4]


def test_digitise_tasks_prepare_within_the_gate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Documents that start with `digitise` (OCR and finish included) share the process's
    prepare gate: with 2 workers one prepares at a time, with 8 two, whatever the threads."""
    overlap = Overlap()

    def prepare(doc: DocumentSource, out: Path, settings: Settings) -> None:
        with overlap.inside(hold=0.05):
            raise InputError(f"{doc.doc_id}: not an image")  # returned by the task, not raised

    monkeypatch.setattr(stages, "prepare_document", prepare)
    for workers, expected in ((2, 1), (8, 2)):
        overlap.peak = 0
        settings = Settings.model_validate({"ocr": {"workers": workers}})
        docs = [DocumentSource(f"d{i}", tmp_path / f"d{i}.png") for i in range(6)]
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(batch.digitise_task.fn, docs, [tmp_path] * 6, [settings] * 6))
        assert all(isinstance(r, InputError) for r in results)
        assert overlap.peak == expected
