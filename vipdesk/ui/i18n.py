"""Chinese and English UI through Qt's own translation hook.

Widgets write English source strings with `self.tr(...)`; a `QTranslator` subclass
installed on the application answers from `resources/i18n/<lang>.toml` (source →
translation). Data files instead of compiled .qm keep translations reviewable in diffs.
"""

from __future__ import annotations

import tomllib
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from vipdesk.resources import resource

if TYPE_CHECKING:
    from vipdesk.services.profile import MemberProfile

LANGUAGES = {"zh": "zh_CN", "en": "en"}


@cache
def table(lang: str) -> dict[str, str]:
    path = resource("i18n", f"{LANGUAGES.get(lang, lang)}.toml")
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {str(k): str(v) for k, v in data.get("strings", {}).items()}


class DictTranslator(QTranslator):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.strings = table(lang)

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        # A missing entry answers with the English source. Not "" (Qt would show
        # nothing) and not None: PySide 6.12 drops a reference to None on each such
        # return, and the interpreter dies after a few thousand lookups.
        return self.strings.get(source, source)

    def isEmpty(self) -> bool:
        return not self.strings


def system_language() -> str:
    return "zh" if QLocale.system().language() == QLocale.Language.Chinese else "en"


_installed: list[DictTranslator] = []
_qt_own: list[QTranslator] = []  # Qt's catalogue for its own dialogs (file, print, message)


def install(lang: str) -> str:
    """Switch the application's language; widgets retranslate on LanguageChange."""
    lang = lang if lang in LANGUAGES else system_language()
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication before installing a language")
    for old in (*_installed, *_qt_own):
        app.removeTranslator(old)
    _installed.clear()
    _qt_own.clear()
    if lang != "en":
        translator = DictTranslator(lang)
        app.installTranslator(translator)
        _installed.append(translator)
        _install_qt_own(app, lang)
    return lang


def _install_qt_own(app: QCoreApplication, lang: str) -> None:
    """Qt's translations of its own dialogs ("Look in:", "File name:", "Save" of the
    file dialog the report export opens), installed after ours: Qt asks the latest first,
    and ours answers every string (with the English source when it has none)."""
    qt = QTranslator()
    if qt.load(f"qt_{LANGUAGES[lang]}",
               QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _qt_own.append(qt)


def current() -> str:
    """The language the application shows now ("zh" or "en")."""
    return _installed[0].lang if _installed else "en"


def addressed(profile: MemberProfile) -> str:
    """How the desk names a guest in its messages: 王先生 / Mr Wang."""
    return profile.honorific_zh if current() == "zh" else profile.honorific_en


def t(source: str) -> str:
    """Translate outside a QObject (plain data → words)."""
    return QCoreApplication.translate("vipdesk", source)
