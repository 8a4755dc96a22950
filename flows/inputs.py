"""Is an input safe to read? Checked before a document is hashed, decoded or copied.

Files found in an input folder (an inbox) come from outside: a symbolic link there must not lead
out of the folder (it would let whoever fills the inbox make the pipeline read, and copy into
quarantine, any file the service can read), and a FIFO or device must not be opened (reading a
FIFO blocks forever). Such entries are refused with a reason, never followed.
"""

from __future__ import annotations

from pathlib import Path

from flows.discover import DocumentSource
from ocr.errors import InputError, UnsafeInputError
from ocr.ingest import check_regular_file, page_files


def check_input(doc: DocumentSource) -> None:
    """Raise a typed InputError when the document must not be read."""
    path = doc.path
    if doc.root is not None:
        _check_inside(path, doc.root)
    if path.is_dir():
        files = page_files(path)  # refuses nested folders
        if not files:
            raise InputError(f"folder {path.name} holds no page images", reason="empty-folder")
        for file in files:
            _check_inside(file, doc.root if doc.root is not None else path)
            check_regular_file(file)
    else:
        check_regular_file(path)


def is_unsafe(problem: InputError | None) -> bool:
    """Whether the problem forbids reading the input at all (hashing or copying it)."""
    return isinstance(problem, UnsafeInputError) or (
        problem is not None and problem.reason in ("broken-link", "missing-input", "io-error")
    )


def input_problem(doc: DocumentSource) -> InputError | None:
    try:
        check_input(doc)
    except InputError as exc:
        return exc
    except OSError as exc:
        return InputError(f"cannot read {doc.path.name}: {exc.strerror or exc}", reason="io-error")
    return None


def _check_inside(path: Path, root: Path) -> None:
    if not path.is_symlink():
        return
    if not path.exists():
        raise InputError(f"{path.name} is a broken symbolic link", reason="broken-link")
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafeInputError(
            f"{path.name} is a symbolic link to a file outside the input folder; it is not "
            "followed (copy the file itself into the folder)",
            reason="unsafe-link",
        )


def holds_output(doc: DocumentSource, out: Path) -> bool:
    """Whether the document is the output folder or contains it (`run inbox --out inbox/out`):
    reading it would make the run digest, and copy into quarantine, its own outputs."""
    try:
        here, target = doc.path.resolve(), out.resolve()
    except OSError:
        return False
    return target == here or target.is_relative_to(here)
