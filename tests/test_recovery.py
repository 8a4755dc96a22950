"""Unit tests of the fault handling below the flow: publishing under disk faults, recovery of a
killed run's leftovers, the output lock, input ids and names. No Prefect, no Tesseract."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from invariants import settled_problems, visible_problems

from flows import publish
from flows.discover import discover, safe_id
from flows.faults import is_api_failure, is_environment_fault
from flows.publish import append_manifest, printable, read_manifest, staged_document
from flows.recovery import output_lock, recover
from ocr.errors import (
    InputError,
    LanguageMissingError,
    OcrTimeoutError,
    OutputBusyError,
    OutputError,
)


def _publish(out: Path, status: str, doc_id: str, text: str = "v1") -> None:
    """Place a minimal, complete document and its manifest line, as the pipeline does."""
    with staged_document(out, status, doc_id) as staging:
        (staging / "report.json").write_text(json.dumps({"status": status, "source": {"sha256": text}}))  # fmt: skip
        if status == "quarantine":
            (staging / "REASON.txt").write_text("corrupt-image: test\n")
        else:
            (staging / f"{doc_id}.st96.xml").write_text(f"<r>{text}</r>")
            (staging / f"{doc_id}.json").write_text(json.dumps({"text": text}))
    outputs = publish.outputs_with_hashes(out / status / doc_id, out)
    append_manifest(out, {"doc_id": doc_id, "status": status, "outputs": outputs})


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("restore_fails", [False, True])
def test_a_failed_replacement_keeps_the_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, restore_fails: bool
) -> None:
    """Disk full or read-only just when the new outputs are renamed into place: the previous
    outputs are put back at once (or, if even that fails, by the next run's recovery), nothing
    half-written is visible, the new staging folder is gone."""
    out = tmp_path / "out"
    _publish(out, "review", "doc")
    real_replace = os.replace

    def failing_replace(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        into_place = Path(dst).parent.name in publish.STATUSES
        if into_place and (restore_fails or not str(src).endswith(".old")):
            raise OSError(code, os.strerror(code))
        real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="cannot place outputs of doc"):
        _publish(out, "published", "doc", text="v2")
    monkeypatch.undo()
    assert not (out / "published/doc").exists()
    assert visible_problems(out) == []
    if restore_fails:
        assert not (out / "review/doc").exists()
        assert recover(out).restored == ["review/doc"]
    assert (out / "review/doc/doc.st96.xml").read_text() == "<r>v1</r>"
    assert list((out / ".staging").iterdir()) == []
    assert settled_problems(out, {"doc"}) == []


def test_a_failed_write_leaves_nothing_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def full(path: Path, data: bytes) -> None:
        raise OutputError(f"cannot write {path}: No space left on device")

    with pytest.raises(OutputError), staged_document(out, "review", "doc") as staging:
        monkeypatch.setattr(publish, "write_atomic", full)
        publish.write_atomic(staging / "doc.json", b"{}")
    assert not (out / "review").exists() or list((out / "review").iterdir()) == []
    assert list((out / ".staging").iterdir()) == []


def test_recover_cleans_up_after_a_killed_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, "review", "kept")
    _publish(out, "published", "unlisted")
    _publish(out, "quarantine", "moved-aside")
    _publish(out, "review", "deleted-by-hand")
    # what a SIGKILL can leave behind:
    (out / ".staging/half.1234abcd").mkdir(parents=True)  # outputs being written
    (out / ".staging/half.1234abcd/half.json").write_text('{"trunc')
    os.replace(out / "quarantine/moved-aside", out / ".staging/moved-aside.5678abcd.old")
    _publish(out, "review", "replaced")
    (out / ".staging/replaced.9abcdef0.old").mkdir()  # old outputs not yet deleted
    (out / ".work/half").mkdir(parents=True)
    (out / ".work/half/page-0001.pgm").write_bytes(b"P5 1 1 255 \x00")
    (out / ".work/half/page-0001.ocr.json").write_text('{"index": 0}')  # a page's OCR, handed on
    (out / ".work/half/.page-0002.ocr.json.0a1b2c3d.tmp").write_text('{"ind')  # being written
    (out / ".manifest.jsonl.0a1b2c3d.tmp").write_text("{}")
    lines = (out / "manifest.jsonl").read_text().splitlines()
    kept = [ln for ln in lines if '"unlisted"' not in ln]  # placed, killed before the append
    (out / "manifest.jsonl").write_text("\n".join(kept) + '\n{"doc_id": "torn", "sta')
    os.rename(out / "review/deleted-by-hand", tmp_path / "gone")

    report = recover(out)

    assert report.restored == ["quarantine/moved-aside"]
    assert sorted(report.removed) == [
        ".manifest.jsonl.0a1b2c3d.tmp", ".staging/half.1234abcd",
        ".staging/replaced.9abcdef0.old", ".work/half",
    ]  # fmt: skip
    assert report.manifest_added == ["unlisted"]
    assert report.manifest_dropped == ["deleted-by-hand"]
    assert list((out / ".work").iterdir()) == []
    docs = {"kept", "unlisted", "moved-aside", "replaced"}
    assert settled_problems(out, docs) == []
    assert read_manifest(out)["unlisted"]["recovered"] is True
    assert recover(out).summary() == ""  # a second pass finds nothing


def test_a_torn_manifest_line_does_not_swallow_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.jsonl").write_bytes(b'{"doc_id": "a"}\n{"doc_id": "b", "sta')
    append_manifest(out, {"doc_id": "c"})
    assert set(read_manifest(out)) == {"a", "c"}


def test_output_lock_is_exclusive_between_runs_and_reentrant_within_one(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "out"
    holder = "import sys, time; from flows.recovery import output_lock\n" \
             "with output_lock(__import__('pathlib').Path(sys.argv[1])):\n" \
             "    print('held', flush=True); time.sleep(30)"  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", holder, str(out)], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[1], text=True)  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusyError), output_lock(out):
            pass
    finally:
        proc.kill()
        proc.wait()
    with output_lock(out), output_lock(out):  # re-entrant in one process
        pass
    with output_lock(out):  # released
        pass


def test_document_ids_are_safe_and_unique(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["a b.png", "a_b.png", "a_b-2.png", "A_B.pdf", "../x", "..evil", "-rf.png",
             "\u202eexe.png", "con.png", "x" * 200 + ".png"]  # fmt: skip
    for name in names:
        if "/" not in name:
            (inbox / name).write_bytes(b"x")
    ids = [d.doc_id for d in discover([inbox])]
    assert len(ids) == len({i.lower() for i in ids})
    for doc_id in ids:
        assert doc_id == safe_id(doc_id) and not doc_id.startswith(("-", "."))
        assert "/" not in doc_id and ".." not in doc_id and len(doc_id) <= 84
    assert safe_id("../../etc/passwd") == "etc_passwd"
    with pytest.raises(OutputError), staged_document(tmp_path / "out", "review", "../x"):
        pass


def test_names_that_are_not_utf8_stay_json_safe() -> None:
    name = os.fsdecode(b"scan-\xff\xfe.png")
    assert printable(name) == "scan-\\xff\\xfe.png"
    assert printable({"p": [name, "\ud800"]}) == {"p": ["scan-\\xff\\xfe.png", "\\ud800"]}
    json.dumps(printable({"p": name}), ensure_ascii=False).encode("utf-8")


def test_fault_classification() -> None:
    import httpx

    assert is_environment_fault(OutputError("disk full"))
    assert is_environment_fault(LanguageMissingError("eng missing"))
    assert is_environment_fault(OSError(errno.ENOSPC, "No space left on device"))
    assert is_environment_fault(httpx.ConnectError("refused"))
    assert not is_environment_fault(InputError("bad scan"))
    assert not is_environment_fault(OcrTimeoutError("slow page"))
    assert not is_environment_fault(KeyError("a bug"))
    try:
        try:
            raise httpx.ConnectError("refused")
        except httpx.ConnectError as inner:
            raise RuntimeError("flow failed") from inner
    except RuntimeError as outer:
        assert is_api_failure(outer)
    assert is_api_failure(RuntimeError("Failed to reach API at http://x/api/"))
    assert not is_api_failure(ValueError("bad value"))


def test_the_output_folder_is_never_an_input(tmp_path: Path) -> None:
    from flows.inputs import holds_output

    inbox = tmp_path / "inbox"
    (inbox / "out").mkdir(parents=True)
    (inbox / "scan.png").write_bytes(b"x")
    docs = {d.path.name: d for d in discover([inbox])}
    assert holds_output(docs["out"], inbox / "out")
    assert not holds_output(docs["scan.png"], inbox / "out")
    assert holds_output(discover([tmp_path])[0], inbox / "out")  # a parent of --out
