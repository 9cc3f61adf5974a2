"""A member's name as a person is addressed and searched: surname, given name, script.

One value made from the stored name fields (`name_zh`, `name_latin`), read by the forms of
address (`profile.honorifics`) and by the search index (`names.name_terms`), so both
agree on where the surname is:

- Han names: the surname is the first character, or a compound surname (欧阳娜娜,
  司马文静, 诸葛晓峰), recognised in traditional writing too (歐陽娜娜).
- Transliterated names joined by a middle dot (阿卜杜拉·买买提, any of the dot look-alikes
  IMEs type): addressed by the first part, as Chinese usage does (阿卜杜拉先生).
- Latin names: the last word (Maria García → García), a `Surname, Given` comma form, and
  for a Chinese name's romanisation the first word (Wang Xiaoming → Wang).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from vipdesk.services.surnames import COMPOUND_SURNAMES

# Every Unicode CJK ideograph block: Ext A, the URO, compatibility ideographs, 〇, and the
# supplementary planes (Ext B–I and the compatibility supplement, U+20000–U+323AF).
CJK_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_CJK = re.compile(f"[{CJK_CLASS}]")
# The middle dot of transliterated names and the look-alikes people and IMEs type.
DOTS = "·‧•・･⋅∙.．"
_DOT_SPLIT = re.compile(f"\\s*[{re.escape(DOTS)}]\\s*")
_SPACES = re.compile(r"\s+")


class Addressee(Protocol):
    """What addressing a guest reads: the ORM member and a listing's row alike (a row
    that also has `preferences` gets its `address_as` honoured)."""

    @property
    def name_zh(self) -> str | None: ...

    @property
    def name_latin(self) -> str | None: ...

    @property
    def gender(self) -> str | None: ...

    @property
    def display_name(self) -> str: ...


class Script(StrEnum):
    HAN = "han"  # 王小明, 欧阳娜娜: surname first
    DOTTED = "dotted"  # 阿卜杜拉·买买提: transliterated parts, addressed by the first
    LATIN = "latin"  # Maria García, Tan Mei Ling


@dataclass(frozen=True)
class PersonName:
    """`surname` is the part a title goes with (先生/女士, Mr/Ms): the surname of a Han or
    Latin name, the first part of a dotted transliterated name."""

    full: str  # as stored: the Chinese name if there is one, else the Latin name
    surname: str
    given: str
    script: Script
    latin: str | None = None
    latin_surname: str | None = None

    @classmethod
    def of(cls, name_zh: str | None, name_latin: str | None) -> PersonName:
        latin = _SPACES.sub(" ", name_latin or "").strip() or None
        zh = (name_zh or "").strip()
        latin_surname, latin_given = _latin_parts(latin, surname_first=bool(zh))
        if zh and has_cjk(zh):
            surname, given, script = _split_cjk(zh)
            if script is Script.HAN and len(surname) > 1:
                latin_surname = _compound_latin(latin, surname, given) or latin_surname
            return cls(zh, surname, given, script, latin, latin_surname)
        if zh:  # a Latin name typed into the Chinese field
            return cls.of(None, latin or zh)
        if latin:
            return cls(latin, latin_surname or latin, latin_given, Script.LATIN, latin,
                       latin_surname)
        return cls("", "", "", Script.LATIN)

    @property
    def is_chinese(self) -> bool:
        return self.script is not Script.LATIN


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def is_cjk(char: str) -> bool:
    return bool(_CJK.fullmatch(char))


@lru_cache(maxsize=1 << 14)
def simplified_char(char: str) -> str:
    """The simplified form of one character (陳 → 陈); itself when it has none.

    Character by character on purpose: a name is no phrase, and a query typed as part of
    a name must fold exactly as the whole name did (OpenCC's phrase table would not).
    """
    if not is_cjk(char):
        return char
    folded: str = _t2s().convert(char)
    return folded if len(folded) == 1 else char


def simplified(text: str) -> str:
    return "".join(simplified_char(c) for c in text)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc  # a C++ table lookup, ~10 ms to load; only CJK text needs it

    return opencc.OpenCC("t2s")


def surname_length(name: str) -> int:
    """How many leading characters of a (simplified, compact) Han name are the surname."""
    for size in (4, 3, 2):
        if len(name) > size and name[:size] in COMPOUND_SURNAMES:
            return size
    return 1 if name else 0


def _split_cjk(zh: str) -> tuple[str, str, Script]:
    parts = [p for p in _DOT_SPLIT.split(zh) if p]
    if len(parts) > 1 and all(has_cjk(p) for p in parts):
        return parts[0], "·".join(parts[1:]), Script.DOTTED
    compact = _SPACES.sub("", unicodedata.normalize("NFC", zh))
    # t2s maps one character to one, so the length found in the simplified form slices
    # the name as written (歐陽娜娜 → 歐陽).
    size = surname_length(simplified(compact))
    return compact[:size], compact[size:], Script.HAN


def _compound_latin(latin: str | None, surname: str, given: str) -> str | None:
    """The romanised compound surname, where a naive converter split it after its first
    syllable, as many files have it: `Ou Yangyu` and `Ou Yang Yu` for 欧阳玉 are Ouyang;
    a Cantonese spelling spaced as two words (`Au Yeung Ka Man` for 歐陽嘉敏: four words
    for two surname and two given characters) keeps its two words. None: no fix needed."""
    words = (latin or "").replace(",", " ").split()
    if len(words) < 2 or "," in (latin or ""):
        return None
    reading = COMPOUND_SURNAMES.get(simplified(surname))
    if reading is not None:
        joined, wanted = "".join(words).lower(), reading.replace(" ", "")
        first = reading.split()[0]
        if words[0].lower() == first and joined.startswith(wanted):
            rest = wanted[len(first):]
            return words[0] + (rest.upper() if words[0].isupper() else rest)
    if len(words) == len(surname) + len(given):  # one word a character: Cantonese style
        return " ".join(words[:len(surname)])
    return None


def _latin_parts(latin: str | None, surname_first: bool) -> tuple[str | None, str]:
    """(surname, given) of a Latin name: `García, Maria` → García; a Chinese name's
    romanisation (there is a Chinese name) surname first (Wang Xiaoming → Wang); any
    other Latin name surname last (Maria García → García)."""
    if not latin:
        return None, ""
    if "," in latin:
        head, tail = (part.strip() for part in latin.split(",", 1))
        if head:
            return head, tail
    words = latin.replace(",", " ").split()
    if not words:
        return None, ""
    if surname_first:
        return words[0], " ".join(words[1:])
    return words[-1], " ".join(words[:-1])


# How staff write the preference down: `请称呼王总`, `称呼：Dr Chen`, `Please call her Mei`.
_ASKING = re.compile(
    r"^(?:请|請)?(?:称呼|稱呼|叫|称|稱)(?:他|她|为|為)?\s*[:：]?\s*"
    r"|^(?:please\s+)?(?:call|address)\s+(?:(?:him|her|them)\b\s*)?(?:as\b\s*)?:?\s*",
    re.IGNORECASE,
)
# `请称呼 X 总`: the surname left as X, for a title that goes with it.
_SURNAME_MARK = re.compile(r"(?<![A-Za-z])X(?![A-Za-z])")
_GAP_IN_CJK = re.compile(f"(?<=[{CJK_CLASS}])\\s+(?=[{CJK_CLASS}])")
MAX_ADDRESS = 40


def preferred_address(preference: str, name: PersonName) -> str | None:
    """The form of address a member asked for, from the `address_as` preference as staff
    wrote it: `请称呼王总` → 王总, `请称呼 X 总` → 欧阳总 (X stands for the surname),
    `Please call her Dr Chen` → Dr Chen. None when nothing is left."""
    text = _ASKING.sub("", preference.strip()).strip(" \t\"'“”「」。.!！,，;；")
    if name.surname:
        text = _SURNAME_MARK.sub(name.surname, text)
    text = _GAP_IN_CJK.sub("", text)
    return text[:MAX_ADDRESS] or None
