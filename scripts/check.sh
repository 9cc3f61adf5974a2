#!/usr/bin/env bash
# `make check`: lint, types, then the tests (the import-layer rule is one of them).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check vipdesk tests benchmarks
.venv/bin/mypy
# Two workers (the machine has two cores); PostgreSQL and printing tests keep to one
# worker each (tests/conftest.py groups them).
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup "$@"
