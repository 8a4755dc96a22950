#!/usr/bin/env bash
# Set-up of the preprocessing benchmark (not a runtime dependency of ipdigitise):
# OCRmyPDF 16+ from PyPI into the given Python environment, and the Debian programs it drives
# (Ghostscript, unpaper for --clean, qpdf), each only if missing.
# Usage: bash bench/setup.sh [python]     (default: the python on PATH)
set -euo pipefail
PY="${1:-python3}"

need=()
command -v gs >/dev/null || need+=(ghostscript)
command -v unpaper >/dev/null || need+=(unpaper)
command -v qpdf >/dev/null || need+=(qpdf)
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
[ -f /usr/share/tesseract-ocr/5/tessdata/osd.traineddata ] || need+=(tesseract-ocr-osd)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! "$PY" -c 'import ocrmypdf, sys; sys.exit(int(ocrmypdf.__version__.split(".")[0]) < 16)' 2>/dev/null; then
  "$PY" -m pip install --quiet "ocrmypdf>=16"
fi
"$PY" -c 'import ocrmypdf; print("ocrmypdf", ocrmypdf.__version__)'
gs --version | sed 's/^/ghostscript /'
unpaper --version | sed 's/^/unpaper /'
