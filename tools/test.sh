#!/usr/bin/env bash
# The whole test suite, from a fresh clone: make .venv, install, lint, type-check,
# check the generated sync twin, run pytest. Fails if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev,g4f,bench]"
echo "== ruff"; .venv/bin/ruff check darkai_sdk tests tools
.venv/bin/ruff format --check darkai_sdk tests tools
echo "== mypy"; .venv/bin/mypy --strict darkai_sdk
.venv/bin/mypy --strict tools/bench.py tools/_bench_*.py tests/test_bench.py
echo "== unasync"; .venv/bin/python tools/unasync.py --check
echo "== pytest"; .venv/bin/python -m pytest "$@"
