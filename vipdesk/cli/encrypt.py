"""`vipdesk encrypt --db plain.db --out enc.db [--key-file F] [--keyring [NAME]]
[--remove-original]`.

Makes an SQLCipher-encrypted copy of a plain desk database, verifies it table by table
(row counts and a hash of every row) and only then, if asked, deletes the plain file.
Without --key-file the key file is the default one in the user config dir, created
(mode 0600) when missing. With --keyring the key goes to the OS keyring (entry
`vipdesk/NAME`, default `desk`) instead; with --keyring and --key-file both, the same key
is kept in both places (the file is the fallback when the keyring cannot be used).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vipdesk.cli.common import config_from, fail

DEFAULT_KEYRING_ENTRY = "desk"


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("encrypt", parents=[parent],
                       help="copy a plain desk database into an encrypted one")
    p.add_argument("--out", required=True, type=Path, help="the new encrypted file")
    p.add_argument("--key-file", type=Path, help="key file (default: user config dir)")
    p.add_argument("--keyring", nargs="?", const=DEFAULT_KEYRING_ENTRY, metavar="NAME",
                   help="keep the key in the OS keyring as vipdesk/NAME (default: desk)")
    p.add_argument("--remove-original", action="store_true",
                   help="delete the plain file once the copy is verified")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk import crypto

    plain = Path(config_from(args).db)
    try:
        if args.keyring:
            secret, where = _keyring_plan(args)
            key = crypto.derive_key(secret)
        else:
            key, where = _file_key(args)
        counts = crypto.encrypt_copy(plain, args.out, key)
        if args.keyring:
            _keep_in_keyring(args, secret)
    except (crypto.EncryptError, crypto.KeyFileError, crypto.DatabaseKeyError) as exc:
        return fail(str(exc))
    print(f"encrypted copy {args.out}: {len(counts)} tables, {sum(counts.values()):,} rows "
          f"verified")
    for line in where:
        print(line)
    if args.remove_original:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{plain}{suffix}").unlink(missing_ok=True)
        print(f"removed the plain original {plain} (see docs/security.md about copies)")
    return 0


_BACK_UP = " (new — back it up: without it the data is lost)"


def _file_key(args: argparse.Namespace) -> tuple[str, list[str]]:
    from vipdesk import crypto

    key_file = (args.key_file or crypto.default_key_file()).expanduser()
    created = not key_file.exists()
    key = crypto.key_from_file(key_file, create=created)
    return key, [f"key file {key_file}{_BACK_UP if created else ''}",
                 f'use it: db = "{args.out}" and db_key_file = "{key_file}" in config.toml']


def _keyring_plan(args: argparse.Namespace) -> tuple[bytes, list[str]]:
    """The secret for the OS keyring, chosen before anything is written: an existing key
    file's secret moves in with it, else the key the keyring already holds under that
    name is reused (as the default key file is), else a new one. Another key already
    under that name is refused: the data it opens would be lost."""
    from vipdesk import crypto

    key_file = args.key_file.expanduser() if args.key_file else None
    from_file = crypto.read_secret(key_file) if key_file and key_file.exists() else None
    try:
        held = crypto.read_keyring(args.keyring)  # also: is there a keyring to keep it in?
    except crypto.KeyringUnavailable as exc:
        raise crypto.KeyringUnavailable(f"{exc}; keep the key in a key file instead "
                                        "(--key-file, without --keyring)") from exc
    if held is not None and from_file is not None and held != from_file:
        raise crypto.KeyFileError(f"the OS keyring already holds another key under "
                                  f"{crypto.keyring_label(args.keyring)}; refusing to "
                                  "replace it (data would be lost)")
    new = from_file is None and held is None
    lines = [f"key in the OS keyring as {crypto.keyring_label(args.keyring)}"
             f"{_BACK_UP if new else ''}"]
    setting = f'db = "{args.out}" and db_key_keyring = "{args.keyring}"'
    if key_file is not None:
        lines.append(f"key file {key_file} (the fallback)")
        setting += f' and db_key_file = "{key_file}"'
    lines.append(f"use it: {setting} in config.toml")
    return from_file or held or crypto.new_secret(), lines


def _keep_in_keyring(args: argparse.Namespace, secret: bytes) -> None:
    """After the copy verified: the key into the keyring (and a new --key-file). If the
    keyring refuses now, the copy is removed: nobody would hold its key."""
    from vipdesk import crypto

    try:
        crypto.store_in_keyring(args.keyring, secret)
        if args.key_file and not args.key_file.expanduser().exists():
            crypto.create_key_file(args.key_file.expanduser(), secret)
    except crypto.KeyFileError:
        Path(args.out).expanduser().unlink(missing_ok=True)
        raise
