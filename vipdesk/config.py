"""Configuration: command-line flags > environment (VIPDESK_*) > TOML file > defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "vipdesk"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class Config:
    db: Path = field(default_factory=lambda: default_data_dir() / "desk.db")
    store: str = "SH01"
    language: str = ""  # "" = follow the system locale
    central_url: str = ""
    central_sslmode: str = ""
    central_ca_file: str = ""
    idle_lock_minutes: int = 10
    # Staff sign in before the desk shows anything. Off is honoured on a demo desk only
    # (a database made by `vipdesk demo`): a real desk always asks, whatever is set here.
    sign_in: bool = True
    db_key_file: str = ""  # SQLCipher key file; empty = plain SQLite
    # The desk key's entry in the OS keyring (service "vipdesk"), looked up before the
    # key file, which stays the fallback; empty = the keyring is not used.
    db_key_keyring: str = ""

    @staticmethod
    def load(overrides: dict[str, Any] | None = None, config_file: Path | None = None) -> Config:
        values: dict[str, Any] = {}
        values.update(_from_file(config_file or _env_config_file()))
        values.update(_from_env())
        values.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
        return Config(**_coerce(values))


def _env_config_file() -> Path:
    env = os.environ.get("VIPDESK_CONFIG")
    return Path(env) if env else default_config_file()


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    known = {f.name for f in fields(Config)}
    return {k: v for k, v in data.items() if k in known}


def _from_env() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Config):
        value = os.environ.get(f"VIPDESK_{f.name.upper()}")
        if value:
            out[f.name] = value
    return out


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "db" in out:
        out["db"] = Path(out["db"]).expanduser()
    if "idle_lock_minutes" in out:
        out["idle_lock_minutes"] = int(out["idle_lock_minutes"])
    if isinstance(out.get("sign_in"), str):
        out["sign_in"] = out["sign_in"].strip().lower() not in ("0", "false", "no", "off")
    return out
