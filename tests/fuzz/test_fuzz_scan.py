"""Whatever a scanner (or someone pretending to be one) types, parsing never crashes and
only ever yields well-formed codes."""

from __future__ import annotations

import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.budget import budget, tally
from vipdesk.services import scan

CODE = re.compile(r"^[A-Z0-9]{1,40}$")
codes = st.from_regex(r"[A-Za-z0-9]{1,40}", fullmatch=True)
# Everything Unicode has, surrogates excepted (a str cannot carry them from a keyboard).
anything = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
near_misses = st.one_of(
    st.builds(lambda c, junk: f"VIPCARD:{c}{junk}", codes, anything),
    st.builds(lambda c: "vipdesk://" + c, anything),
    st.builds(lambda d: "{" + d, anything),
    st.builds(lambda v: json.dumps({"card_no": v}), st.one_of(
        anything, st.integers(), st.floats(), st.none(), st.lists(st.integers()))),
    st.builds(lambda q: "https://x.example/?card=" + q, anything),
)


@settings(max_examples=budget(1500), deadline=None)
@given(st.one_of(anything, near_misses))
def test_parse_payload_never_crashes_and_yields_only_clean_codes(text: str) -> None:
    tally("scan.parse_payload (hostile text)")
    payload = scan.parse_payload(scan.clean(text))
    if payload is not None:
        assert payload.card_no or payload.member_no
        for code in (payload.card_no, payload.member_no):
            assert code is None or CODE.match(code)


@settings(max_examples=budget(600), deadline=None)
@given(codes, st.sampled_from(["VIPCARD:{}", "card:{}", "vipdesk://card/{}",
                               '{{"card_no": "{}"}}', "https://brand.example/m?card_no={}"]))
def test_every_accepted_format_round_trips(code: str, form: str) -> None:
    tally("scan.parse_payload (valid payloads)")
    payload = scan.parse_payload(scan.clean(form.format(code)))
    assert payload is not None and payload.card_no == code.upper()


@settings(max_examples=budget(1000), deadline=None)
@given(anything)
def test_clean_removes_every_control_character_and_is_idempotent(text: str) -> None:
    tally("scan.clean")
    cleaned = scan.clean(text)
    assert not any(unicodedata.category(c).startswith("C") and not scan.is_ideograph_plane(c)
                   for c in cleaned)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in cleaned)
    assert scan.clean(cleaned) == cleaned
