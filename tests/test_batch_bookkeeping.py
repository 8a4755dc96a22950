"""What the batch flow does to keep a long batch's memory flat: one preparer per four workers, and
finished tasks' results dropped from Prefect's per-flow-run table (a Prefect internal: this test
tells when an upgrade changes it)."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.context import FlowRunContext

from flows import batch


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
