"""Search terms for names: Chinese suffixes, pinyin (full and initials), Latin words.

Chinese names are indexed in simplified form and queries folded the same way, so 陈大文
finds 陳大文 and back. Pinyin is indexed in the surname reading (曾小贤 `zengxiaoxian`,
`zxx`) and, when it differs, the everyday one (`cengxiaoxian`, `cxx`) that staff also type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from vipdesk.services.person_name import CJK_CLASS, PersonName, Script, has_cjk, simplified
from vipdesk.services.surnames import COMPOUND_SURNAMES, SURNAME_READINGS

__all__ = ["has_cjk", "name_terms", "pinyin_full", "pinyin_initials", "query_term"]

_NON_WORD = re.compile(f"[^0-9a-z{CJK_CLASS}]+")

Add = Callable[[str, int], None]  # term, weight

# Lower ranks first. A query that equals a term ranks before one that only starts it.
WHOLE, WORD, OTHER_READING, SUFFIX = 0, 1, 2, 3


def fold(text: str) -> str:
    """Lowercase, accents stripped, full-width folded: `Zoë ＬＩ` → `zoe li`."""
    if text.isascii():  # pinyin and most Latin names: nothing to normalise or strip
        return text.lower().strip()
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


def _lazy_pinyin(text: str) -> list[str]:
    # pypinyin loads a 1 s phrase dictionary on import; only writes need it, so the desk
    # (which mostly reads) imports it the first time a name is indexed.
    from pypinyin import lazy_pinyin

    return list(lazy_pinyin(text))


def _lazy_pinyin_chars(text: str) -> list[str]:
    """Each character's own most common reading, without phrase context (尉迟 wei chi)."""
    from pypinyin import lazy_pinyin

    return list(lazy_pinyin(list(text)))


@lru_cache(maxsize=1)
def _dictionaries() -> tuple[Any, Any]:
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    return PHRASES_DICT, PINYIN_DICT


@lru_cache(maxsize=1 << 15)
def _char_reading(char: str) -> str:
    """One character's everyday reading, as `lazy_pinyin` gives it (cached: a chain's
    names share a few thousand characters between them)."""
    return _lazy_pinyin_chars(char)[0]


def _plainly_read(zh: str) -> bool:
    """Whether pypinyin reads this name character by character anyway: every character
    has a reading of its own and no two or more of them in a row are a phrase of its
    dictionary (only a phrase changes a reading in context: 曾经 zeng jing). Then the
    per-character cache gives exactly what `lazy_pinyin` would, at a fraction."""
    phrases, readings = _dictionaries()
    if not all(ord(c) in readings for c in zh):
        return False
    size = len(zh)
    return not any(zh[i:j] in phrases for i in range(size - 1) for j in range(i + 2, size + 1))


def _whole_and_by_char(zh: str) -> tuple[list[str], list[str]]:
    """(`lazy_pinyin` of the name, of each character alone)."""
    if _plainly_read(zh):
        by_char = [_char_reading(c) for c in zh]
        return by_char, by_char
    return _lazy_pinyin(zh), _lazy_pinyin_chars(zh)


def pinyin_initials(name_zh: str) -> str:
    return _initials(_lazy_pinyin(name_zh))


def pinyin_full(name_zh: str) -> str:
    return "".join(_lazy_pinyin(name_zh))


def _initials(syllables: list[str]) -> str:
    return "".join(s[0] for s in syllables if s)


def _compact(text: str) -> str:
    return _NON_WORD.sub("", fold(text))


def _folded(text: str) -> str:
    """How a Chinese name and a query for it are compared: compact, then simplified (in
    this order for both: NFKC first turns a compatibility ideograph into the unified
    character that t2s knows)."""
    return simplified(_compact(text))


def surname_reading(surname: str) -> list[str] | None:
    """The surname's syllables read as a surname when that may differ from what pypinyin
    reads (单 shan, not dan; 尉迟 yu chi, 欧阳 ou yang); None for any other surname."""
    if surname in COMPOUND_SURNAMES:
        return COMPOUND_SURNAMES[surname].split()
    if surname in SURNAME_READINGS:
        return [SURNAME_READINGS[surname]]
    return None


def name_terms(name_zh: str | None, name_latin: str | None) -> dict[str, int]:
    """term → weight for one member; the lowest weight wins when terms coincide."""
    terms: dict[str, int] = {}

    def add(term: str, weight: int) -> None:
        term = term[:200]
        if term and weight < terms.get(term, 99):
            terms[term] = weight

    name = PersonName.of(name_zh, name_latin)
    if name_zh and name.is_chinese:
        _chinese_terms(name, add)
    elif name_zh:  # not Chinese at all: its words like a Latin name's
        _latin_terms(name_zh, add)
    if name_latin:
        _latin_terms(name_latin, add)
    return terms


def _chinese_terms(name: PersonName, add: Add) -> None:
    zh = _folded(name.full)
    for i in range(len(zh)):
        add(zh[i:], WHOLE if i == 0 else SUFFIX)
    readings, given = _readings(name, zh)
    for syllables, weight in readings:
        add(_compact("".join(syllables)), weight)
        add(_compact(_initials(syllables)), weight)
    if given:
        # The given name's full pinyin (`xiaoming`), not its initials: two letters would
        # match a good part of the lounge.
        add(_compact("".join(given)), OTHER_READING)


def _readings(name: PersonName, zh: str) -> tuple[list[tuple[list[str], int]], list[str]]:
    """The name's pinyin as staff may type it, and its given name's: the surname read as
    a surname first, then pypinyin's reading of the whole name (what the index held
    before surname readings), then each character's everyday reading (单 dan, 尉迟 wei
    chi). Two pypinyin calls per name: a rebuild indexes a million names."""
    if name.script is not Script.HAN:
        return [(_lazy_pinyin(zh), WORD)], []
    whole, by_char = _whole_and_by_char(zh)
    surname = _folded(name.surname)
    # One syllable per character unless pypinyin grouped characters it cannot read.
    given = whole[len(surname):] if len(whole) == len(zh) else _lazy_pinyin(zh[len(surname):])
    own = surname_reading(surname)
    first = own + given if own else whole
    return [(first, WORD), (whole, OTHER_READING), (by_char, OTHER_READING)], given


_LATIN_GAPS = re.compile(r"[\s,;/.\-_]+")


def _latin_terms(latin: str, add: Add) -> None:
    # Words split where a name has gaps; an apostrophe joins (O'Brien → obrien).
    words = [w for w in (_compact(part) for part in _LATIN_GAPS.split(fold(latin))) if w]
    add("".join(words), WHOLE)
    for i, word in enumerate(words):
        add(word, WORD)
        # The later words together: a romanised given name, `tai man` of Chan Tai Man.
        add("".join(words[i:]), WORD)


def query_term(text: str) -> str:
    """The form a typed name query is compared in: folded, simplified, no spaces or
    punctuation."""
    term = _compact(text)
    return _folded(term) if has_cjk(term) else term
