"""The window's half of the fault matrix: a desk that cannot open — a missing, wrong,
malformed or exposed key file, a keyring without the key or holding another or a
malformed one, a database path with no desk, a dropped audit table — is one dialog with
one sentence, the same sentence on stderr (no SQLCipher `ERROR CORE` lines, no
traceback), then exit 3 without a window. A keyring that cannot be used falls back to
the key file, and a keyring holding the key opens the desk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.keyring_backend import MemoryKeyring, keyring_set_to, unavailable
from vipdesk import app as desk_app
from vipdesk import crypto
from vipdesk.config import Config
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM
from vipdesk.storage import DESK_OPEN_EXIT
from vipdesk.ui import i18n

ENTRY = "desk"


@pytest.fixture
def kr() -> Iterator[MemoryKeyring]:
    with keyring_set_to(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Config, bytes]:
    """An encrypted desk, its key in a key file; the config names the file only."""
    plain = tmp_path / "plain.db"
    engine = open_desk_db(plain)
    with unit_of_work(session_factory(engine)) as s:
        audit.record(s, SYSTEM, "staff.add", None, "seed")
    engine.dispose()
    key = tmp_path / "desk.key"
    crypto.encrypt_copy(plain, tmp_path / "desk.db", crypto.key_from_file(key, create=True))
    config = Config(db=tmp_path / "desk.db", db_key_file=str(key), sign_in=False,
                    language="en")
    return config, crypto.read_secret(key)


Arrange = Callable[[Config, bytes, MemoryKeyring], Config]


def _bad_key_file(config: Config, text: str, mode: int = 0o600) -> Config:
    path = Path(config.db).with_name("bad.key")
    path.write_text(text)
    path.chmod(mode)
    return replace(config, db_key_file=str(path))


def _drop_audit_table(config: Config, secret: bytes, _kr: MemoryKeyring) -> Config:
    engine = open_desk_db(Path(config.db), key=crypto.derive_key(secret), migrate=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
    engine.dispose()
    return config


def _in_keyring(value: str | None) -> Arrange:
    def arrange(config: Config, secret: bytes, kr: MemoryKeyring) -> Config:
        if value is not None:
            kr.set_password("vipdesk", ENTRY, value or secret.hex())
        return replace(config, db_key_file="", db_key_keyring=ENTRY)
    return arrange


FAULTS: dict[str, tuple[Arrange, str]] = {
    "missing key file": (lambda c, s, k: replace(c, db_key_file=c.db_key_file + ".gone"),
                         "no key file"),
    "wrong key": (lambda c, s, k: _bad_key_file(c, crypto.new_secret().hex()),
                  "does not open"),
    "malformed key file": (lambda c, s, k: _bad_key_file(c, "not a key"),
                           "not a vipdesk key file"),
    "key file readable by others": (lambda c, s, k: _bad_key_file(c, s.hex(), 0o644),
                                    "readable by other users"),
    "missing database": (lambda c, s, k: replace(c, db=Path(c.db).with_name("typo.db")),
                         "no desk database"),
    "audit table dropped": (_drop_audit_table, "audit log table is missing"),
    "no key in the keyring": (_in_keyring(None), "holds no desk key"),
    "another key in the keyring": (_in_keyring(crypto.new_secret().hex()), "does not open"),
    "malformed keyring entry": (_in_keyring("not a key"), "is not a vipdesk key"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_desk_that_cannot_open_is_one_dialog_then_exit_3(
        qtbot, desk: tuple[Config, bytes], kr: MemoryKeyring,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
        fault: str) -> None:
    arrange, sentence = FAULTS[fault]
    config = arrange(*desk, kr)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    capfd.readouterr()
    assert desk_app.run(config) == DESK_OPEN_EXIT
    err = capfd.readouterr().err
    assert len(shown) == 1 and "\n" not in shown[0] and sentence in shown[0]
    assert err.strip() == f"vipdesk: {shown[0]}"  # nothing else: no ERROR CORE, no traceback
    assert not Path(config.db).with_name("typo.db").exists()


def _opens(config: Config) -> bool:
    app = desk_app.build(config)
    try:
        return app.window is not None
    finally:
        app.ops.shutdown()
        app.desk.engine.dispose()
        app.window.close()
        i18n.install("en")


def test_the_window_opens_with_the_key_from_the_keyring(
        qtbot, desk: tuple[Config, bytes], kr: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    config, secret = desk
    kr.set_password("vipdesk", ENTRY, secret.hex())
    assert _opens(replace(config, db_key_file="", db_key_keyring=ENTRY))


def test_without_a_usable_keyring_the_key_file_opens_it(
        qtbot, desk: tuple[Config, bytes]) -> None:  # type: ignore[no-untyped-def]
    config, _secret = desk
    with keyring_set_to(unavailable()):
        assert _opens(replace(config, db_key_keyring=ENTRY))
