"""Fake `tesseract` executables for fault injection, used through the real setting
(`ocr.tesseract_cmd` / IPDIGITISE_OCR__TESSERACT_CMD), so the pipeline runs exactly as in
production up to the process boundary: pytesseract starts the script, reads its TSV file, its
exit status and stderr.

Each is a small POSIX shell script. It answers `--version` and `--list-langs` like Tesseract 5.3.0,
and for a page it does what its mode says:

- ok:         write a recorded TSV (tests/resources/us_10142403.tsv unless told otherwise) at once
- crash:      kill itself with SIGSEGV
- fail:       print an error and exit 1
- hang:       sleep for 10 minutes (the pipeline's ocr.timeout must stop it)
- flaky:      hang on the first call for a page, answer like `ok` on the next (a transient fault)
- nolang:     fail as Tesseract does when a language pack is missing at run time
- no-output:  exit 0 without writing anything (success must be confirmed by the output)
- by-name:    one of the above chosen by the document id in the page image's path (the work
              folder is .work/<doc_id>/): crash-*, fail-*, hang-*, flaky-*, silent-* (no output),
              anything else ok -- so one batch meets every fault at once
"""

from __future__ import annotations

import shlex
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
RECORDED_TSV = RESOURCES / "us_10142403.tsv"

_HEAD = """#!/bin/sh
case "$1" in
  --version) echo "tesseract 5.3.0"; echo " leptonica-1.82.0"; exit 0;;
  --list-langs) echo 'List of available languages in "/fake/tessdata/" (3):'; {langs}; exit 0;;
esac
image="$1"; out="$2"
"""

_MODES = {
    "ok": 'cat {tsv} > "$out.tsv"\n',
    "crash": "kill -SEGV $$\n",
    "fail": 'echo "Error in pixReadStream: fake failure" >&2; exit 1\n',
    "hang": "exec sleep 600\n",
    "flaky": (
        'key=$(printf %s "$image" | cksum | cut -d" " -f1)\n'
        'if [ ! -e {state}/"$key" ]; then : > {state}/"$key"; exec sleep 600; fi\n'
        'cat {tsv} > "$out.tsv"\n'
    ),
    "nolang": (
        'echo "Error opening data file /fake/tessdata/eng.traineddata" >&2\n'
        "echo \"Failed loading language 'eng'\" >&2\n"
        'echo "Tesseract couldn\'t load any languages!" >&2\n'
        'echo "Could not initialize tesseract." >&2\n'
        "exit 1\n"
    ),
    "no-output": "exit 0\n",
    "by-name": (
        'case "$image" in\n'
        "  */crash-*) kill -SEGV $$;;\n"
        '  */fail-*) echo "Error in pixReadStream: fake failure" >&2; exit 1;;\n'
        "  */hang-*) echo $$ >> {state}/pids; exec sleep 600;;\n"
        "  */silent-*) exit 0;;\n"
        "  */flaky-*)\n"
        '    key=$(printf %s "$image" | cksum | cut -d" " -f1)\n'
        '    if [ ! -e {state}/"$key" ]; then\n'
        '      : > {state}/"$key"; echo $$ >> {state}/pids; exec sleep 600\n'
        "    fi;;\n"
        "esac\n"
        'cat {tsv} > "$out.tsv"\n'
    ),
}


def fake_tesseract(
    folder: Path, mode: str, *, tsv: Path = RECORDED_TSV, langs: tuple[str, ...] = ("eng", "osd")
) -> Path:
    """Write the fake for `mode` into `folder` and return its path (one file per mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / f"state-{mode}"
    state.mkdir(exist_ok=True)
    script = _HEAD.format(langs="; ".join(f"echo {lang}" for lang in langs)) + _MODES[mode].format(
        tsv=shlex.quote(str(tsv)), state=shlex.quote(str(state))
    )
    path = folder / f"tesseract-{mode}"
    path.write_text(script)
    path.chmod(0o755)
    return path
