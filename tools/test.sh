#!/usr/bin/env bash
# The whole test suite, from a fresh clone: make .venv, install, lint, type-check,
# check the generated sync twin, run pytest under branch coverage (child processes
# included) and report it. Fails if any step fails or coverage is under 95%.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev,g4f,bench]"
echo "== ruff"; .venv/bin/ruff check darkai_sdk tests tools
.venv/bin/ruff format --check darkai_sdk tests tools
echo "== mypy"; .venv/bin/mypy --strict darkai_sdk tests tools
echo "== unasync"; .venv/bin/python tools/unasync.py --check
echo "== pytest, under coverage"
# Every process the tests start writes its own data file here (pyproject.toml's
# [tool.coverage.run] patch = subprocess); they are combined after the run.
export COVERAGE_FILE="$PWD/.coverage"
rm -f .coverage .coverage.*
.venv/bin/python -m coverage run -m pytest "$@"
.venv/bin/python -m coverage combine --quiet
echo "== coverage (branch; fails under 95%)"
.venv/bin/python -m coverage report
