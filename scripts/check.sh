#!/usr/bin/env bash
# `make check`: lint, types, then the tests (the import-layer rule is one of them).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check vipdesk tests benchmarks
.venv/bin/mypy
# Two workers (the machine has two cores); PostgreSQL and printing tests keep to one
# worker each (tests/conftest.py groups them). A crashed worker is not replaced: under
# loadgroup a replacement can wait for work that never comes, and the run would hang
# instead of failing; a test still running after five minutes is stopped with every
# thread's stack printed.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup \
    --max-worker-restart=0 --timeout=300 --timeout-method=thread "$@"
