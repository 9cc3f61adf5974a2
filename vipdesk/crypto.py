"""The key for the desk database's encryption at rest (SQLCipher), kept outside it.

The secret is 32 random bytes in a key file that only the desk's OS user may read
(mode 0600, in the user config dir by default). The SQLCipher key is derived from it
with HMAC-SHA256 under a fixed label, and handed to SQLCipher as a *raw* key
(`x'…'`): the secret already has full entropy, so SQLCipher's PBKDF2 (256,000 rounds
on every new connection) would only slow the desk down without adding strength.
The threat model is in docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import platformdirs

APP_NAME = "vipdesk"
SECRET_BYTES = 32
_LABEL = b"vipdesk/sqlcipher-key/v1"
SQLITE_HEADER = b"SQLite format 3\x00"


class KeyFileError(ValueError):
    """The key file is missing, malformed or readable by other users."""


class DatabaseKeyError(ValueError):
    """The database cannot be opened with the key given (wrong key, or not encrypted)."""


def default_key_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "desk.key"


def create_key_file(path: Path, secret: bytes | None = None) -> Path:
    """A new random secret (or the one given), written owner-only; refuses to overwrite
    an existing file."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} exists; refusing to replace a key (data would be lost)") \
            from exc
    with os.fdopen(fd, "w") as fh:
        fh.write((secret or new_secret()).hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return path


def read_secret(path: Path) -> bytes:
    path = Path(path).expanduser()
    if not path.is_file():
        raise KeyFileError(f"no key file at {path}: the encrypted desk cannot be opened "
                           "without it (check db_key_file / VIPDESK_DB_KEY_FILE)")
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyFileError(f"the key file {path} is readable by other users; "
                           f"run: chmod 600 {path}")
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise KeyFileError(f"the key file {path} cannot be read ({exc.strerror})") from exc
    secret = _parse_secret(text)
    if secret is None:
        raise KeyFileError(f"the key file {path} is not a vipdesk key file "
                           f"(it must hold {SECRET_BYTES * 2} hex digits)")
    return secret


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def _parse_secret(text: str) -> bytes | None:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        return None
    return secret if len(secret) == SECRET_BYTES else None


# -- the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service) ----------

KEYRING_SERVICE = APP_NAME


def keyring_label(name: str) -> str:
    return f"{KEYRING_SERVICE}/{name}"


class KeyringUnavailable(KeyFileError):
    """No OS keyring to ask (no backend, locked, refused)."""


def read_keyring(name: str) -> bytes | None:
    """The desk secret kept in the OS keyring under `vipdesk/<name>`, None when there is
    no such entry. A malformed entry is an error: not a missing key but a wrong one."""
    import keyring
    from keyring.errors import KeyringError

    try:
        text = keyring.get_password(KEYRING_SERVICE, name)
    except KeyringError as exc:
        raise KeyringUnavailable(f"the OS keyring cannot be used ({_first_line(exc)})") \
            from exc
    if text is None:
        return None
    secret = _parse_secret(text)
    if secret is None:
        raise KeyFileError(f"the OS keyring entry {keyring_label(name)} is not a vipdesk "
                           f"key (it must hold {SECRET_BYTES * 2} hex digits)")
    return secret


def keyring_secret(name: str) -> tuple[bytes | None, str]:
    """As `read_keyring`, with the reason in words instead of None (no entry, or no
    keyring to ask) for the caller that falls back to the key file."""
    try:
        secret = read_keyring(name)
    except KeyringUnavailable as exc:
        return None, str(exc)
    if secret is None:
        return None, f"the OS keyring holds no desk key under {keyring_label(name)}"
    return secret, ""


def store_in_keyring(name: str, secret: bytes) -> None:
    """Keep the secret in the OS keyring; refuses to replace another key there (the data
    it opens would be lost), accepts the same one again."""
    import keyring
    from keyring.errors import KeyringError

    held = read_keyring(name)
    if held is not None and held != secret:
        raise KeyFileError(f"the OS keyring already holds another key under "
                           f"{keyring_label(name)}; refusing to replace it (data would be "
                           "lost)")
    try:
        keyring.set_password(KEYRING_SERVICE, name, secret.hex())
    except KeyringError as exc:
        raise KeyringUnavailable(f"the OS keyring cannot be used ({_first_line(exc)}); "
                                 "keep the key in a key file instead (--key-file)") from exc


def _first_line(error: BaseException) -> str:
    """The error's first sentence (keyring's own messages go on with install advice)."""
    lines = str(error).strip().splitlines()
    return lines[0].split(". ")[0].rstrip(".") if lines else type(error).__name__


def derive_key(secret: bytes) -> str:
    """The SQLCipher raw key (64 hex digits) for a secret."""
    return hmac.new(secret, _LABEL, hashlib.sha256).hexdigest()


def key_from_file(path: Path, create: bool = False) -> str:
    path = Path(path).expanduser()
    if create and not path.exists():
        create_key_file(path)
    return derive_key(read_secret(path))


def raw_key_pragma_value(key_hex: str) -> str:
    """What goes after `PRAGMA key =`: SQLCipher's raw-key form, no KDF."""
    if len(key_hex) != 64 or any(c not in "0123456789abcdefABCDEF" for c in key_hex):
        raise DatabaseKeyError("a database key is 64 hex digits")
    return f"x'{key_hex}'"


_quiet = False


def quiet_sqlcipher() -> None:
    """SQLCipher writes `ERROR CORE …` lines straight to stderr when a key does not fit;
    the caller reports that in words, so its log is switched off (a process-wide setting,
    made once on a throwaway connection)."""
    global _quiet
    if _quiet:
        return
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()
    _quiet = True


def is_plain_sqlite(path: Path) -> bool | None:
    """True for a plain SQLite file, False for anything else (encrypted), None if empty."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER


# -- migrating a plain database to an encrypted one ------------------------------------


class EncryptError(ValueError):
    """The copy could not be made or did not verify; the original is untouched."""


def encrypt_copy(plain: Path, out: Path, key_hex: str) -> dict[str, int]:
    """Copy a plain desk database into a new encrypted file and verify it row by row.

    Written to `out.partial` first and renamed only after verification, so `out` is
    either complete and checked or absent. The original is only read. Returns the row
    count per table.
    """
    plain, out = Path(plain).expanduser(), Path(out).expanduser()
    if is_plain_sqlite(plain) is not True:
        raise EncryptError(f"{plain} is not a plain SQLite database")
    if out.exists():
        raise EncryptError(f"{out} exists; choose a new file")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _export(plain, partial, raw_key_pragma_value(key_hex))
        counts = verify_copy(plain, partial, key_hex)
        _durable_rename(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _export(plain: Path, partial: Path, pragma_value: str) -> None:
    import sqlcipher3

    quiet_sqlcipher()
    # The original is opened read-only: this code cannot write to it.
    conn = sqlcipher3.connect(f"{plain.resolve().as_uri()}?mode=ro", uri=True)
    try:
        # The key is validated hex, so it is safe inside the statement text.
        target = f"{partial.resolve().as_uri()}?mode=rwc"
        conn.execute(f'ATTACH DATABASE ? AS encrypted KEY "{pragma_value}"', (target,))
        conn.execute("PRAGMA encrypted.journal_mode = DELETE")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()


def verify_copy(plain: Path, encrypted: Path, key_hex: str) -> dict[str, int]:
    """Same tables, same rows, same bytes in every row; the encrypted file checks clean."""
    import sqlcipher3

    src = sqlcipher3.connect(f"{Path(plain).resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlcipher3.connect(f"{Path(encrypted).resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst.execute(f'PRAGMA key = "{raw_key_pragma_value(key_hex)}"')
        problems = [row[0] for row in dst.execute("PRAGMA cipher_integrity_check")]
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            problems.append("quick_check failed")
        if problems:
            raise EncryptError(f"encrypted copy is damaged: {problems[:3]}")
        return _compare_tables(src, dst)
    finally:
        src.close()
        dst.close()


def _compare_tables(src: object, dst: object) -> dict[str, int]:
    tables_sql = "SELECT name, sql FROM sqlite_master WHERE type IN ('table','index','trigger')" \
                 " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    schema = src.execute(tables_sql).fetchall()  # type: ignore[attr-defined]
    if schema != dst.execute(tables_sql).fetchall():  # type: ignore[attr-defined]
        raise EncryptError("encrypted copy has a different schema")
    counts = {}
    for (name, sql) in schema:
        if not sql.upper().startswith("CREATE TABLE"):
            continue
        src_count, src_digest = _table_digest(src, name)
        if (src_count, src_digest) != _table_digest(dst, name):
            raise EncryptError(f"encrypted copy differs in table {name}")
        counts[name] = src_count
    return counts


def _table_digest(conn: object, table: str) -> tuple[int, str]:
    """Row count and a SHA-256 over every row, in storage order (no index involved)."""
    digest = hashlib.sha256()
    count = 0
    quoted = '"' + table.replace('"', '""') + '"'
    cursor = conn.execute(f"SELECT * FROM {quoted} NOT INDEXED")  # type: ignore[attr-defined]
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            digest.update(repr(row).encode())
        count += len(rows)
    return count, digest.hexdigest()


def _durable_rename(partial: Path, out: Path) -> None:
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, out)
    if os.name == "posix":
        fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
