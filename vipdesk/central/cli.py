"""`vipdesk-central`: the central sync service and its administration, run where the
database URL is (and only there).

  vipdesk-central serve --certfile C --keyfile K [--host H --port P --pool-size N]
  vipdesk-central init                       create or migrate the central schema
  vipdesk-central enrol --store SH01 [--hours 24]   print a one-time enrolment code
  vipdesk-central revoke DEVICE              refuse that desk from now on
  vipdesk-central devices [--json]           enrolled desks
  vipdesk-central trim --keep-days 30        change-log retention (run daily)
  vipdesk-central desk-file --desk-files DIR build the file new desks start from (nightly)

The database: --db-url, else VIPDESK_CENTRAL_DB (never printed with its password).
Desk files: --desk-files, else VIPDESK_DESK_FILES (storage every instance reads).
Exit codes: 0 done, 1 nothing found, 2 bad input, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_UNAVAILABLE = 3


def build_parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db-url", default=os.environ.get("VIPDESK_CENTRAL_DB", ""),
                    help="central PostgreSQL URL (env VIPDESK_CENTRAL_DB)")
    db.add_argument("--sslmode", default=os.environ.get("VIPDESK_CENTRAL_SSLMODE", ""),
                    help="TLS mode to PostgreSQL, e.g. verify-full")
    db.add_argument("--ca-file", default="", help="CA certificate of PostgreSQL's TLS")
    parser = argparse.ArgumentParser(prog="vipdesk-central",
                                     description="central sync service for vipdesk desks")
    files = argparse.ArgumentParser(add_help=False)
    files.add_argument("--desk-files", default=os.environ.get("VIPDESK_DESK_FILES", ""),
                       help="folder of the ready-made desk files (env VIPDESK_DESK_FILES)")
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", parents=[db, files], help="run the HTTPS sync service")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--certfile", help="TLS certificate chain (PEM)")
    serve.add_argument("--keyfile", help="TLS private key (PEM)")
    serve.add_argument("--pool-size", type=int, default=4,
                       help="database connections per instance (default 4)")
    serve.add_argument("--insecure-http", action="store_true",
                       help="plain HTTP (behind a TLS-terminating proxy on the same host)")
    sub.add_parser("init", parents=[db], help="create or migrate the central schema")
    code = sub.add_parser("enrol", parents=[db], help="issue a one-time enrolment code")
    code.add_argument("--store", required=True, help="the store the desk will belong to")
    code.add_argument("--hours", type=float, default=24.0, help="valid for (default 24)")
    revoke = sub.add_parser("revoke", parents=[db], help="revoke an enrolled desk")
    revoke.add_argument("device", help="device id (see `devices`)")
    trim = sub.add_parser("trim", parents=[db],
                          help="drop change-log entries older than the retention (daily)")
    trim.add_argument("--keep-days", type=float, default=30.0,
                      help="keep this many days of the change log (default 30)")
    sub.add_parser("desk-file", parents=[db, files],
                   help="build the file a new desk starts from (run nightly)")
    listing = sub.add_parser("devices", parents=[db], help="list enrolled desks")
    listing.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.db_url:
        return _fail("no central database: give --db-url URL or set VIPDESK_CENTRAL_DB", 2)
    from vipdesk.sync.central import CentreUnavailable, mask_url

    try:
        return int(ACTIONS[args.action](args))
    except CentreUnavailable as error:
        return _fail(f"{error} ({mask_url(args.db_url)})", EXIT_UNAVAILABLE)
    except ValueError as error:
        return _fail(str(error), 2)


def _centre(args: argparse.Namespace, pool_size: int = 0) -> Any:
    from vipdesk.sync.central import CentreSettings, connect

    return connect(CentreSettings(args.db_url, args.sslmode, args.ca_file,
                                  pool_size=pool_size))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vipdesk.central.app import create_app

    if not args.insecure_http and not (args.certfile and args.keyfile):
        return _fail("TLS needs --certfile and --keyfile (or --insecure-http behind a "
                     "TLS-terminating proxy)", 2)
    centre = _centre(args, args.pool_size)
    tls = {} if args.insecure_http else {"ssl_certfile": args.certfile,
                                         "ssl_keyfile": args.keyfile}
    desk_files = Path(args.desk_files) if args.desk_files else None
    uvicorn.run(create_app(centre, desk_files=desk_files), host=args.host, port=args.port,
                log_level="info", server_header=False, **tls)
    centre.dispose()
    return 0


def _init(args: argparse.Namespace) -> int:
    for note in _centre(args).init_schema():
        print(note)
    print("schema up to date")
    return 0


def _enrol(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from vipdesk.central.enrol import issue_code

    code = _database_call(lambda: issue_code(_centre(args).engine, args.store,
                                             timedelta(hours=args.hours)))
    print(code)
    print(f"store {args.store}; valid once, for {args.hours:g} h. On the desk: "
          f"vipdesk enrol {code} --central https://…", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from vipdesk.central.enrol import revoke

    try:
        device = uuid.UUID(args.device)
    except ValueError:
        return _fail(f"not a device id: {args.device}", 2)
    if not _database_call(lambda: revoke(_centre(args).engine, device)):
        return _fail(f"no enrolled, unrevoked device {device}", 1)
    print(f"device {device} revoked: its next sync is refused")
    return 0


def _trim(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from vipdesk.sync.snapshot import trim

    if args.keep_days < 0:
        return _fail("--keep-days cannot be negative", 2)
    done = _database_call(lambda: trim(_centre(args).engine,
                                       timedelta(days=args.keep_days)))
    print(f"trimmed {done['trimmed']} change-log entries; horizon {done['horizon'] or '-'}"
          " (desks behind it rebuild from a snapshot)")
    return 0


def _desk_file(args: argparse.Namespace) -> int:
    from vipdesk.sync.desk_file_build import build

    if not args.desk_files:
        return _fail("where to? give --desk-files DIR or set VIPDESK_DESK_FILES", 2)
    started = time.monotonic()
    made = _database_call(lambda: build(_centre(args).engine, Path(args.desk_files)))
    print(f"desk file {made.name}: {made.members:,} members, {made.size / 2**20:,.1f} MiB, "
          f"continues the log from {made.cursor[0]}; built in "
          f"{time.monotonic() - started:.0f} s")
    return 0


def _devices(args: argparse.Namespace) -> int:
    from vipdesk.central.enrol import devices

    rows = _database_call(lambda: devices(_centre(args).engine))
    if args.json:
        import json

        print(json.dumps(rows, ensure_ascii=False, indent=2))
    for row in [] if args.json else rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(f"{row['device']}  {row['store']:<8} {row['name'] or '-':<24} {state}")
    return 0 if rows else 1


def _database_call(work: Any) -> Any:
    from sqlalchemy import exc

    from vipdesk.sync.central import CentreUnavailable

    try:
        return work()
    except exc.OperationalError as error:
        raise CentreUnavailable(f"central database unavailable: "
                                f"{str(error.orig).strip().splitlines()[0]}") from error


def _fail(message: str, code: int) -> int:
    print(f"vipdesk-central: {message}", file=sys.stderr)
    return code


ACTIONS = {"serve": _serve, "init": _init, "enrol": _enrol, "revoke": _revoke,
           "devices": _devices, "trim": _trim, "desk-file": _desk_file}


if __name__ == "__main__":
    sys.exit(main())
