#!/usr/bin/env bash
# `make check`: lint, types, then the tests (the import-layer rule is one of them).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check vipdesk tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
