# The two commands a user needs (each installs what is missing first; safe to repeat):
#   make run    digitise the bundled sample scans into out/
#   make test   lint, format check, and the test suite
.PHONY: setup run test lint

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/ipdigitise run sample_scans/documents --out out

lint: setup
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy ocr mapping output_schemas flows

test: lint
	.venv/bin/python -m pytest -q -ra
