"""The desk key in the OS keyring, the key file as fallback: `encrypt --keyring` keeps
the key there, opening looks there first when `db_key_keyring` says so, and every fault
(no entry, another key, a malformed entry, no keyring at all) is one sentence and exit 3
for every command, 2 for `encrypt` (which then leaves no copy nobody could open)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.keyring_backend import MemoryKeyring, keyring_set_to, unavailable
from tests.test_keys import STARTS_A_DESK, _argv, _leaf_commands
from vipdesk import crypto
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_set_to(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with keyring_set_to(unavailable()):
        yield


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plain desk with one audit entry; no key file or keyring from the machine."""
    for name in ("VIPDESK_DB_KEY_FILE", "VIPDESK_DB_KEY_KEYRING", "VIPDESK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIPDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setattr(crypto, "default_key_file", lambda: tmp_path / "default.key")
    path = tmp_path / "plain.db"
    engine = open_desk_db(path)
    with unit_of_work(session_factory(engine)) as s:
        audit.record(s, SYSTEM, "staff.add", None, "seed")
    engine.dispose()
    return path


def _encrypt(plain: Path, *extra: str) -> int:
    return main(["encrypt", "--db", str(plain), "--out", str(plain.with_name("enc.db")),
                 *extra])


def _verify(db: Path, capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", str(db)])
    return code, capfd.readouterr().err


def test_encrypt_keeps_the_key_in_the_keyring_and_the_desk_opens_from_it(
        plain: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    assert _encrypt(plain, "--keyring") == 0
    out = capfd.readouterr().out
    assert "vipdesk/desk" in out and 'db_key_keyring = "desk"' in out
    assert list(memory_keyring.entries) == [("vipdesk", "desk")]
    assert not (plain.parent / "default.key").exists()  # no key file was written
    monkeypatch.setenv("VIPDESK_DB_KEY_KEYRING", "desk")
    assert _verify(plain.with_name("enc.db"), capfd) == (0, "")


def test_an_existing_key_file_moves_into_the_keyring(
        plain: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    key_file = crypto.create_key_file(plain.parent / "desk.key")
    assert _encrypt(plain, "--keyring", "lounge", "--key-file", str(key_file)) == 0
    assert memory_keyring.entries[("vipdesk", "lounge")] == key_file.read_text().strip()
    monkeypatch.setenv("VIPDESK_DB_KEY_KEYRING", "lounge")  # the keyring alone opens it
    assert _verify(plain.with_name("enc.db"), capfd)[0] == 0
    monkeypatch.setenv("VIPDESK_DB_KEY_KEYRING", "")
    monkeypatch.setenv("VIPDESK_DB_KEY_FILE", str(key_file))  # and so does the file
    assert _verify(plain.with_name("enc.db"), capfd)[0] == 0


def test_the_key_file_is_the_fallback(plain: Path, monkeypatch: pytest.MonkeyPatch,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    """A keyring with no entry, or no keyring at all: the key file opens the desk."""
    key_file = plain.parent / "desk.key"
    assert _encrypt(plain, "--key-file", str(key_file)) == 0
    monkeypatch.setenv("VIPDESK_DB_KEY_KEYRING", "desk")
    monkeypatch.setenv("VIPDESK_DB_KEY_FILE", str(key_file))
    for backend in (MemoryKeyring(), unavailable()):
        with keyring_set_to(backend):
            assert _verify(plain.with_name("enc.db"), capfd) == (0, "")


def test_encrypt_refuses_to_replace_another_key_and_leaves_nothing(
        plain: Path, memory_keyring: MemoryKeyring, capfd: pytest.CaptureFixture[str]) -> None:
    memory_keyring.set_password("vipdesk", "desk", crypto.new_secret().hex())
    key_file = crypto.create_key_file(plain.parent / "desk.key")
    assert _encrypt(plain, "--keyring", "--key-file", str(key_file)) == 2
    err = capfd.readouterr().err
    assert "already holds another key" in err and len(err.strip().splitlines()) == 1
    assert not plain.with_name("enc.db").exists()


def test_encrypt_without_a_keyring_says_so_and_leaves_nothing(
        plain: Path, no_keyring: None, capfd: pytest.CaptureFixture[str]) -> None:
    assert _encrypt(plain, "--keyring") == 2
    err = capfd.readouterr().err
    assert "keyring cannot be used" in err and "--key-file" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not plain.with_name("enc.db").exists()


KEYRING_FAULTS = {
    "no keyring entry, no key file": ("holds no desk key", lambda kr: None),
    "another key in the keyring": (
        "does not open", lambda kr: kr.set_password("vipdesk", "desk", crypto.new_secret().hex())),
    "malformed keyring entry": (
        "is not a vipdesk key", lambda kr: kr.set_password("vipdesk", "desk", "not a key")),
}


@pytest.mark.parametrize("fault", KEYRING_FAULTS)
def test_every_command_fails_politely_on_a_keyring_fault(
        fault: str, plain: Path, memory_keyring: MemoryKeyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    assert _encrypt(plain, "--keyring", "elsewhere") == 0  # the right key, another entry
    db = plain.with_name("enc.db")
    sentence, arrange = KEYRING_FAULTS[fault]
    arrange(memory_keyring)
    monkeypatch.setenv("VIPDESK_DB_KEY_KEYRING", "desk")
    capfd.readouterr()
    commands = _leaf_commands()
    wrong = []
    for name, argv in _argv(tmp_path).items():
        if name not in commands:
            continue
        monkeypatch.setattr(sys, "stdin", io.StringIO("135790\n"))
        code = main([*argv, "--db", str(db)])
        err = capfd.readouterr().err
        if (code, len(err.strip().splitlines())) != (3, 1) or sentence not in err \
                or "Traceback" in err:
            wrong.append(f"{name}: exit {code}, stderr {err[-300:]!r}")
    assert not wrong, "\n".join(wrong)
    assert STARTS_A_DESK  # those start a desk only where there is none; here there is one
