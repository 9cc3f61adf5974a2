#!/usr/bin/env bash
# Starts what the tests talk to, when it is installed but not running: PostgreSQL and CUPS
# (with a CUPS-PDF queue named PDF, a real printer that writes PDF files).
set -uo pipefail

# A fresh machine without PostgreSQL (CI must run the sync tests against a real server):
# install it and let local TCP connections in without a password, as the tests expect.
if ! command -v pg_ctlcluster >/dev/null 2>&1 && [ "${VIPDESK_REQUIRE_PG:-}" = "1" ] \
    && [ "$(id -u)" -eq 0 ]; then
  echo "services: installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    grep -q "^host all all 127.0.0.1/32 trust" "$hba" \
      || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  done
fi

if command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    version=$(ls /etc/postgresql 2>/dev/null | head -1)
    [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi

# `lpstat -r` exits 0 whether or not the scheduler runs: read what it says.
cups_running() { lpstat -r 2>/dev/null | grep -q "is running"; }

if [ -x /usr/sbin/cupsd ]; then
  cups_running || /usr/sbin/cupsd
  for _ in $(seq 1 50); do cups_running && break; sleep 0.1; done
  # Right after apt installs CUPS its own start-up may still be settling and lpadmin
  # fails ("Bad file descriptor"): try a few times before giving up.
  ppd=$(ls /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null || true)
  for _ in 1 2 3 4 5; do
    lpstat -p PDF >/dev/null 2>&1 && break
    cups_running || /usr/sbin/cupsd
    if [ -n "$ppd" ]; then
      lpadmin -p PDF -E -v cups-pdf:/ -P "$ppd" && lpadmin -d PDF && break
    else
      lpadmin -p PDF -E -v cups-pdf:/ -m lsb/usr/cups-pdf/CUPS-PDF_opt.ppd \
        && lpadmin -d PDF && break
    fi
    sleep 2
  done
fi
exit 0
