"""Encryption at rest: the key file, SQLCipher databases, and migrating a plain one."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from vipdesk import crypto
from vipdesk.cli.main import main
from vipdesk.crypto import DatabaseKeyError, EncryptError, KeyFileError
from vipdesk.db import open_desk_db
from vipdesk.services.lookup import LookupService
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.tiers import seed_default_tiers

PHONE = "13912345678"
E164 = b"+8613912345678"
NAME = "欧阳娜娜"


def _fill(path: Path, key: str | None) -> None:
    engine = open_desk_db(path, key=key)
    with Session(engine) as s, s.begin():
        seed_default_tiers(s)
        add_member(s, NewMember(member_no="M7777777", name_zh=NAME, phones=[PHONE],
                                cards=["8800777777"]))
    engine.dispose()


def _bytes_on_disk(path: Path) -> bytes:
    """The database and any WAL/journal next to it: everything a thief would copy."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _grep(needle: str, path: Path) -> bool:
    if shutil.which("grep") is None:
        return needle.encode() in _bytes_on_disk(path)
    files = [str(p) for p in path.parent.glob(path.name + "*")]
    return subprocess.run(["grep", "-a", "-q", "-F", needle, *files]).returncode == 0


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return crypto.create_key_file(tmp_path / "conf" / "desk.key")


def test_key_file_is_owner_only_and_never_replaced(key_file: Path) -> None:
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert len(crypto.read_secret(key_file)) == crypto.SECRET_BYTES
    with pytest.raises(KeyFileError, match="refusing to replace"):
        crypto.create_key_file(key_file)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_key_file_others_can_read_is_refused(key_file: Path) -> None:
    key_file.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        crypto.read_secret(key_file)


@pytest.mark.parametrize("content", ["", "not hex", "ab" * 16, "ab" * 33])
def test_malformed_key_files(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text(content)
    bad.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a vipdesk key file"):
        crypto.read_secret(bad)
    with pytest.raises(KeyFileError, match="no key file"):
        crypto.read_secret(tmp_path / "missing.key")


def test_key_derivation_is_stable_and_separates_secrets() -> None:
    a, b = bytes(32), bytes([1]) + bytes(31)
    assert crypto.derive_key(a) == crypto.derive_key(a)
    assert crypto.derive_key(a) != crypto.derive_key(b)
    assert len(crypto.derive_key(a)) == 64
    with pytest.raises(DatabaseKeyError):
        crypto.raw_key_pragma_value("x'; ATTACH DATABASE '/tmp/evil' AS e; --")


def test_the_phone_is_on_disk_in_a_plain_db_but_not_an_encrypted_one(
        tmp_path: Path, key_file: Path) -> None:
    plain, secret = tmp_path / "plain" / "desk.db", tmp_path / "enc" / "desk.db"
    _fill(plain, None)
    _fill(secret, crypto.key_from_file(key_file))
    assert _grep(E164.decode(), plain) and _grep(NAME, plain)
    assert not _grep(E164.decode(), secret) and not _grep(NAME, secret)
    assert not _grep("SQLite format 3", secret)
    engine = open_desk_db(secret, key=crypto.key_from_file(key_file))
    hit = LookupService(engine).search(PHONE).hits[0]
    assert (hit.member_no, hit.phone_masked) == ("M7777777", "*******5678")
    engine.dispose()


def test_wrong_or_missing_key_is_a_clear_error(tmp_path: Path, key_file: Path) -> None:
    path = tmp_path / "desk.db"
    _fill(path, crypto.key_from_file(key_file))
    other = crypto.derive_key(os.urandom(32))
    with pytest.raises(DatabaseKeyError, match="wrong key"):
        open_desk_db(path, key=other)
    with pytest.raises(DatabaseKeyError, match="is encrypted"):
        open_desk_db(path)
    plain = tmp_path / "plain.db"
    _fill(plain, None)
    with pytest.raises(DatabaseKeyError, match="plain database"):
        open_desk_db(plain, key=other)


def test_encrypt_copy_verifies_and_leaves_the_original(tmp_path: Path, key_file: Path) -> None:
    plain, out = tmp_path / "plain.db", tmp_path / "enc.db"
    _fill(plain, None)
    before = hashlib.sha256(plain.read_bytes()).hexdigest()
    key = crypto.key_from_file(key_file)
    counts = crypto.encrypt_copy(plain, out, key)
    assert counts["members"] == 1 and counts["member_phones"] == 1 and counts["tiers"] == 3
    assert hashlib.sha256(plain.read_bytes()).hexdigest() == before
    assert not _grep(E164.decode(), out) and not (tmp_path / "enc.db.partial").exists()
    engine = open_desk_db(out, key=key)  # migrates: already at head
    assert LookupService(engine).search("5678").hits[0].member_no == "M7777777"
    engine.dispose()
    with pytest.raises(EncryptError, match="exists"):
        crypto.encrypt_copy(plain, out, key)
    with pytest.raises(EncryptError, match="not a plain"):
        crypto.encrypt_copy(out, tmp_path / "again.db", key)


def test_a_copy_that_fails_verification_is_not_kept(tmp_path: Path, key_file: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    plain, out = tmp_path / "plain.db", tmp_path / "enc.db"
    _fill(plain, None)

    def corrupted(*_args: object) -> dict[str, int]:
        raise EncryptError("encrypted copy differs in table members")

    monkeypatch.setattr(crypto, "verify_copy", corrupted)
    with pytest.raises(EncryptError, match="differs"):
        crypto.encrypt_copy(plain, out, crypto.key_from_file(key_file))
    assert not out.exists() and not (tmp_path / "enc.db.partial").exists()
    assert plain.exists()


def test_verification_notices_a_difference(tmp_path: Path, key_file: Path) -> None:
    plain, out = tmp_path / "plain.db", tmp_path / "enc.db"
    _fill(plain, None)
    key = crypto.key_from_file(key_file)
    crypto.encrypt_copy(plain, out, key)
    import sqlite3

    with sqlite3.connect(plain) as conn:  # the plain file changes after the copy
        conn.execute("UPDATE members SET name_zh = '欧阳娜' ")
    with pytest.raises(EncryptError, match="differs in table members"):
        crypto.verify_copy(plain, out, key)


def test_cli_encrypt(tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain, out = tmp_path / "plain.db", tmp_path / "enc.db"
    _fill(plain, None)
    new_key = tmp_path / "new.key"
    assert main(["encrypt", "--db", str(plain), "--out", str(out),
                 "--key-file", str(new_key), "--remove-original"]) == 0
    said = capsys.readouterr().out
    assert "rows verified" in said and "back it up" in said
    assert not plain.exists() and (new_key.stat().st_mode & 0o777) == 0o600
    assert main(["encrypt", "--db", str(out), "--out", str(tmp_path / "x.db"),
                 "--key-file", str(key_file)]) == 2
    assert "not a plain SQLite database" in capsys.readouterr().err
