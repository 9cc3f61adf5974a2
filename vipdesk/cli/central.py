"""`vipdesk central init --url URL`: create or migrate the central schema;
`vipdesk central status`: what the centre holds (changes, dead letters, conflicts)."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import fail, print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("central", parents=[parent], help="set up the central database")
    actions = p.add_subparsers(dest="central_action", required=True)
    for name, helptext in (("init", "create or migrate the central schema"),
                           ("status", "counts of changes, dead letters and open conflicts")):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("--url", help="central database URL (env VIPDESK_CENTRAL_URL)")
        a.add_argument("--sslmode", help="TLS mode for PostgreSQL")
        a.add_argument("--ca-file", help="CA certificate for the centre's TLS")
        a.add_argument("--json", action="store_true")
        a.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.config import Config
    from vipdesk.sync.central import CentreUnavailable, connect, mask_url, settings_from

    config = Config.load({"central_url": args.url, "central_sslmode": args.sslmode,
                          "central_ca_file": args.ca_file})
    if not config.central_url:
        return fail("no central database: give --url URL or set VIPDESK_CENTRAL_URL")
    label = mask_url(config.central_url)
    try:
        centre = connect(settings_from(config))
        if args.central_action == "init":
            notes = centre.init_schema()
            info: dict[str, Any] = {"centre": label, "schema": "up to date", "notes": notes}
        else:
            info = {"centre": label, **centre.status()}
    except CentreUnavailable as error:
        return fail(f"{error} ({label})", 3)
    except Exception as error:  # a refused login or bad URL: say it without the password
        return fail(f"{label}: {str(error).splitlines()[0] if str(error) else error!r}", 1)
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0
