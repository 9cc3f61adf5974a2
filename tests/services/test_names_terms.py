"""Properties of the name index: whatever part of a Chinese name staff type (in either
writing), it folds to the start of one of the member's terms."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vipdesk.services.names import name_terms, query_term
from vipdesk.services.surnames import COMPOUND_SURNAMES

# The unified ideographs, Extension A, B–H (planes 2 and 3), compatibility ideographs,
# and traditional characters whose simplified forms differ.
IDEOGRAPHS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x323AF),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),  # compatibility ideographs
    st.sampled_from("陳張劉黃鄭歐陽鍾關譚詠麟臺銘潤發紅學華鎮"),
)
SURNAMES = st.sampled_from([*COMPOUND_SURNAMES, "曾", "单", "王", "陳", "歐陽", "司馬"])


@given(SURNAMES, st.text(IDEOGRAPHS, min_size=1, max_size=4), st.data())
def test_any_part_of_a_name_finds_it(surname: str, given_name: str,
                                     data: st.DataObject) -> None:
    name = surname + given_name
    terms = name_terms(name, None)
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, len(name)))
    typed = query_term(name[start:end])
    assert any(term.startswith(typed) for term in terms), (name, typed)
    assert query_term(name) in terms


@given(st.text(max_size=120), st.one_of(st.none(), st.text(max_size=120)))
def test_any_stored_name_indexes_without_error(name_zh: str, name_latin: str | None) -> None:
    terms = name_terms(name_zh or None, name_latin)
    assert all(0 < len(term) <= 200 and term == term.lower() for term in terms)
    assert set(terms.values()) <= {0, 1, 2, 3}
