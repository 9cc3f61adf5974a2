#!/usr/bin/env bash
# From a fresh Debian 12 machine to a full test run: set up, start services, `make check`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
bash scripts/check.sh "$@"
