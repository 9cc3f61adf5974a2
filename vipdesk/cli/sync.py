"""`vipdesk sync --once [--json]`: push this desk's changes, pull everyone else's.

Without `--once` it keeps syncing in the background loop the app uses (back-off while
the centre is unreachable) until interrupted. The central URL's password is never
printed: messages show it masked.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from vipdesk.cli.common import fail, open_db, print_json

EXIT_UNAVAILABLE = 3


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sync", parents=[parent], help="sync with the central database")
    central_options(p)
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-pull", action="store_true", help="only push local changes")
    p.add_argument("--interval", type=float, default=30.0,
                   help="seconds between rounds without --once (default 30)")
    p.set_defaults(run=run)


def central_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--central", metavar="URL",
                   help="central database URL (env VIPDESK_CENTRAL_URL; config central_url)")
    p.add_argument("--sslmode", help="TLS mode for PostgreSQL, e.g. verify-full "
                                     "(env VIPDESK_CENTRAL_SSLMODE)")
    p.add_argument("--ca-file", help="CA certificate for the centre's TLS "
                                     "(env VIPDESK_CENTRAL_CA_FILE)")


def sync_config(args: argparse.Namespace) -> Any:
    from vipdesk.config import Config

    return Config.load({"db": getattr(args, "db", None), "store": getattr(args, "store", None),
                        "central_url": getattr(args, "central", None),
                        "central_sslmode": getattr(args, "sslmode", None),
                        "central_ca_file": getattr(args, "ca_file", None)})


def run(args: argparse.Namespace) -> int:
    from vipdesk.sync.central import CentreUnavailable, mask_url, open_centre, settings_from
    from vipdesk.sync.engine import StoreMismatch, sync_once

    config = sync_config(args)
    if not config.central_url:
        return fail("no central database: give --central URL or set VIPDESK_CENTRAL_URL")
    try:
        config = _with_enrolled_store(config)
    except ValueError as error:
        return fail(str(error))
    if not args.once:
        return _loop(args, config)
    try:
        centre = open_centre(settings_from(config))
        report = sync_once(open_db(args), centre, config.store, pull=not args.no_pull)
    except CentreUnavailable as error:
        return fail(f"{error} ({mask_url(config.central_url)})", EXIT_UNAVAILABLE)
    except (StoreMismatch, ValueError) as error:
        return fail(str(error))
    if args.json:
        print_json(_as_dict(report, mask_url(config.central_url)))
    else:
        print(summary(report, mask_url(config.central_url)))
    return 0


def _with_enrolled_store(config: Any) -> Any:
    """Through the central service the desk's store is the one it was enrolled for (the
    service pushes as that store whatever the desk says), not the configured default."""
    from dataclasses import replace

    from vipdesk.sync.central import credential_path, is_service_url
    from vipdesk.sync.credential import load

    path = credential_path(config.db)
    if not is_service_url(config.central_url) or not path.exists():
        return config
    return replace(config, store=load(path).store)


def _as_dict(report: Any, centre: str) -> dict[str, Any]:
    return {"store": report.store, "centre": centre, "pushed": report.pushed.sent,
            "outcomes": report.outcomes, "pulled": report.pulled.applied,
            "pull_failures": report.pulled.failed, "snapshot": report.pulled.snapshot,
            "desk_file": report.pulled.desk_file,
            "pending": report.pending,
            "clock_skew_ms": report.clock_skew_ms, "warnings": report.warnings}


def _how_started(pulled: Any) -> str:
    if pulled.desk_file:
        return " (a new desk: started from the centre's desk file, then its log)"
    if pulled.snapshot:
        return " (rebuilt from a snapshot: this desk was behind the centre's log)"
    return ""


def summary(report: Any, centre: str) -> str:
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "nothing"
    lines = [f"store {report.store} ↔ {centre}",
             f"pushed {report.pushed.sent} change(s): {outcomes}",
             f"pulled {report.pulled.applied} change(s)"
             + (f", {report.pulled.failed} kept as dead letters" if report.pulled.failed else "")
             + _how_started(report.pulled),
             f"pending {report.pending}"]
    if report.clock_skew_ms is not None:
        lines.append(f"clock skew {report.clock_skew_ms / 1000:+.1f}s")
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def _loop(args: argparse.Namespace, config: Any) -> int:
    import asyncio

    from vipdesk.sync.runner import SyncRunner

    runner = SyncRunner(open_db(args), config, interval=args.interval)

    async def main() -> None:
        runner.subscribe(lambda status: print(status.describe(), flush=True))
        runner.start()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0
