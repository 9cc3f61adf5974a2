"""Search terms for names: Chinese suffixes, pinyin (full and initials), Latin words."""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")

WHOLE, WORD, SUFFIX = 0, 1, 2


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def fold(text: str) -> str:
    """Lowercase, accents stripped, full-width folded: `Zoë ＬＩ` → `zoe li`."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


def pinyin_initials(name_zh: str) -> str:
    # pypinyin loads a 1 s phrase dictionary on import; only writes need it, so the desk
    # (which mostly reads) imports it the first time a name is indexed.
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(name_zh, style=Style.FIRST_LETTER) if p)


def pinyin_full(name_zh: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name_zh))


def name_terms(name_zh: str | None, name_latin: str | None) -> dict[str, int]:
    """term → weight for one member; the lowest weight wins when terms coincide."""
    terms: dict[str, int] = {}

    def add(term: str, weight: int) -> None:
        term = term[:200]
        if term and weight < terms.get(term, 99):
            terms[term] = weight

    if name_zh:
        zh = _NON_WORD.sub("", fold(name_zh))
        for i in range(len(zh)):
            add(zh[i:], WHOLE if i == 0 else SUFFIX)
        if has_cjk(zh):
            add(pinyin_initials(zh), WORD)
            add(pinyin_full(zh), WORD)
    if name_latin:
        words = [w for w in _NON_WORD.split(fold(name_latin)) if w]
        add("".join(words), WHOLE)
        for word in words:
            add(word, WORD)
    return terms


def query_term(text: str) -> str:
    """The form a typed name query is compared in: folded, no spaces or punctuation."""
    return _NON_WORD.sub("", fold(text))
