"""`vipdesk encrypt --db plain.db --out enc.db [--key-file F] [--remove-original]`.

Makes an SQLCipher-encrypted copy of a plain desk database, verifies it table by table
(row counts and a hash of every row) and only then, if asked, deletes the plain file.
Without --key-file the key file is the default one in the user config dir, created
(mode 0600) when missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vipdesk.cli.common import config_from, fail


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("encrypt", parents=[parent],
                       help="copy a plain desk database into an encrypted one")
    p.add_argument("--out", required=True, type=Path, help="the new encrypted file")
    p.add_argument("--key-file", type=Path, help="key file (default: user config dir)")
    p.add_argument("--remove-original", action="store_true",
                   help="delete the plain file once the copy is verified")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk import crypto

    plain = Path(config_from(args).db)
    key_file = (args.key_file or crypto.default_key_file()).expanduser()
    try:
        created = not key_file.exists()
        key = crypto.key_from_file(key_file, create=created)
        counts = crypto.encrypt_copy(plain, args.out, key)
    except (crypto.EncryptError, crypto.KeyFileError, crypto.DatabaseKeyError) as exc:
        return fail(str(exc))
    print(f"encrypted copy {args.out}: {len(counts)} tables, {sum(counts.values()):,} rows "
          f"verified")
    backup = " (new — back it up: without it the data is lost)" if created else ""
    print(f"key file {key_file}{backup}")
    if args.remove_original:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{plain}{suffix}").unlink(missing_ok=True)
        print(f"removed the plain original {plain} (see docs/security.md about copies)")
    print(f'use it: db = "{args.out}" and db_key_file = "{key_file}" in config.toml')
    return 0
