#!/usr/bin/env bash
# From a fresh Debian 12 machine to the running desk, on a populated demo lounge.
# With no screen ($DISPLAY empty) it starts a virtual one and saves a screenshot instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VIPDESK_DB=${VIPDESK_DB:-$PWD/out/demo.db}
mkdir -p out
[ -f "$VIPDESK_DB" ] || .venv/bin/vipdesk demo --members "${DEMO_MEMBERS:-5000}"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/vipdesk "$@"
fi
echo "run-app: no screen here; running the desk on a virtual screen (Xvfb)."
.venv/bin/vipdesk screenshot --view card --query "138 0013 8000" --out out/desk.png
echo "run-app: the window as it looks: out/desk.png. Starting it on Xvfb (Ctrl-C to stop)."
exec xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/vipdesk "$@"
