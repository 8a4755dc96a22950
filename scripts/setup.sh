#!/usr/bin/env bash
# Install what ipdigitise needs, only what is missing (safe to run again):
#   Debian packages: Tesseract 5 with English, French, German and orientation data; python3-venv
#   .venv with `pip install -e .[dev,fast]`, or `.[dev]` where tesserocr has no wheel (re-run only
#   when pyproject.toml changed)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_missing=()
if ! command -v tesseract >/dev/null 2>&1; then
  apt_missing+=(tesseract-ocr)
fi
langs="$(tesseract --list-langs 2>/dev/null || true)"
for lang in eng fra deu osd; do
  grep -qx "$lang" <<<"$langs" || apt_missing+=("tesseract-ocr-$lang")
done
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_missing+=(python3-venv)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${apt_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.ipdigitise-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing ipdigitise and its dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # the fast extra (tesserocr) is optional: without a wheel for this platform, go on without it
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check --only-binary tesserocr -e '.[dev,fast]'; then
    echo "setup: tesserocr (the in-process engine) cannot be installed here; using the tesseract program"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
  fi
  echo "$want" >"$stamp"
fi
