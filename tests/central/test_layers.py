"""The central service sits on top: it may import models, services and sync; nothing
in the desk's layers imports it, and it never imports Qt or the UI."""

from __future__ import annotations

from tests.test_layers import PACKAGE, offenders


def test_nothing_below_imports_the_central_service() -> None:
    layers = ("models", "services", "sync", "printing", "ui")
    bad = [line for layer in layers if (PACKAGE / layer).exists()
           for line in offenders(layer, ("vipdesk.central",))]
    assert bad == []


def test_the_central_service_has_no_qt() -> None:
    assert offenders("central", ("PySide6", "qasync", "vipdesk.ui")) == []
