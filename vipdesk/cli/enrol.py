"""`vipdesk enrol CODE --central https://…`: redeem a one-time enrolment code (from
`vipdesk-central enrol --store SH01`) and keep this desk's own credential beside its
database (mode 0600). From then on `vipdesk sync` and the window sync through the
central service as that store; the desk never holds database credentials."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import fail, print_json

EXIT_UNAVAILABLE = 3


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("enrol", parents=[parent],
                       help="enrol this desk with the central sync service")
    p.add_argument("code", help="the one-time enrolment code (e.g. QWRP-C63W-3ZA9)")
    p.add_argument("--central", metavar="URL",
                   help="the central service, https://… (env VIPDESK_CENTRAL_URL)")
    p.add_argument("--ca-file", help="CA certificate of the service's TLS "
                                     "(env VIPDESK_CENTRAL_CA_FILE)")
    p.add_argument("--name", help="a name for this desk (default: the computer's name)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import socket
    import uuid
    from pathlib import Path

    from vipdesk.cli.sync import sync_config
    from vipdesk.storage import open_database
    from vipdesk.sync.central import CentreUnavailable, credential_path, is_service_url
    from vipdesk.sync.credential import Credential, save
    from vipdesk.sync.engine import StoreMismatch, bind_store
    from vipdesk.sync.remote import RemoteCentre

    config = sync_config(args)
    if not is_service_url(config.central_url):
        return fail("enrolment needs the central service's address: --central https://…")
    # The desk must open (its key, its audit table) before the one-time code is spent.
    desk = open_database(config, create=True)
    service = RemoteCentre(config.central_url, None, config.central_ca_file)
    try:
        answer = service.enrol(args.code, args.name or socket.gethostname())
    except CentreUnavailable as error:
        return fail(str(error), EXIT_UNAVAILABLE)
    finally:
        service.dispose()
    cred = Credential(config.central_url, answer["store"], uuid.UUID(answer["device_id"]),
                      answer["secret"])
    try:
        bind_store(desk, cred.store)
    except StoreMismatch as error:
        return fail(f"{error}; the code was used — ask for a new one for the right store")
    finally:
        desk.dispose()
    path = credential_path(Path(config.db))
    save(path, cred)
    info = {"device": str(cred.device_id), "store": cred.store,
            "central": cred.central_url, "credential_file": str(path)}
    if args.json:
        print_json(info)
    else:
        print(f"enrolled: device {cred.device_id}, store {cred.store}; "
              f"credential kept in {path}")
    return 0
