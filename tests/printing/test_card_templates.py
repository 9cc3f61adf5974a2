"""Templates as data: the shipped ones load, bad ones fail with a message that helps."""

from __future__ import annotations

from pathlib import Path

import pytest

from vipdesk.printing.templates import (
    TemplateError,
    choose_template,
    load_template_file,
    load_templates,
    parse_template,
)

GOOD = {
    "name": "t", "palette": {"background": "#ffffff", "ink": "#000000", "accent": "#888888",
                             "muted": "#999999"},
    "field": [{"key": "name", "box_mm": [5, 20, 60, 10], "size": 18, "min_size": 8}],
}


def test_every_default_tier_and_the_default_have_a_template() -> None:
    templates = load_templates()
    for tier in ("senior", "diamond", "black"):
        assert choose_template(tier).name == tier
    assert choose_template(None).name == "default"
    assert choose_template("unknown-tier").name == "default"
    assert {t.size_mm for t in templates.values()} == {(90.0, 54.0)}


def test_an_explicit_unknown_template_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(TemplateError, match=r"no card template 'gold'.*black"):
        choose_template("black", name="gold")
    assert choose_template("black", name="senior").name == "senior"


def test_a_branded_template_wins_for_its_brand_only(tmp_path: Path) -> None:
    base = dict(GOOD)
    (tmp_path / "default.toml").write_text('name = "default"\n' + _toml(base))
    (tmp_path / "b.toml").write_text('name = "b"\ntiers = ["black"]\nbrands = ["acme"]\n'
                                     + _toml(base))
    (tmp_path / "plain.toml").write_text('name = "plain"\ntiers = ["black"]\n' + _toml(base))
    assert choose_template("black", "acme", folder=tmp_path).name == "b"
    assert choose_template("black", "other", folder=tmp_path).name == "plain"
    assert choose_template(None, "acme", folder=tmp_path).name == "default"


def _toml(raw: dict) -> str:  # type: ignore[type-arg]
    palette = "\n".join(f'{k} = "{v}"' for k, v in raw["palette"].items())
    field = raw["field"][0]
    return (f"[palette]\n{palette}\n[[field]]\nkey = \"{field['key']}\"\n"
            f"box_mm = {field['box_mm']}\nsize = {field['size']}\n"
            f"min_size = {field['min_size']}\n")


@pytest.mark.parametrize(("change", "message"), [
    ({"field": [{"key": "name", "box_mm": [60, 20, 40, 10]}]}, "not inside the 90×54 mm card"),
    ({"field": [{"key": "nickname", "box_mm": [5, 5, 10, 10]}]}, "field key 'nickname' unknown"),
    ({"field": [{"key": "tier", "box_mm": [5, 5, 10, 10]}]}, "needs a 'name' field"),
    ({"palette": {"background": "navy", "ink": "#000000", "accent": "#111111",
                  "muted": "#222222"}}, "'background': 'navy' is not #rrggbb"),
    ({"palette": {"background": "#000000"}}, "palette needs 'ink'"),
    ({"field": [{"key": "name", "box_mm": [5, 20, 60, 10], "color": "gold"}]},
     "neither a palette name nor #rrggbb"),
    ({"field": [{"key": "name", "box_mm": [5, 20, 60, 10], "font": "comic"}]},
     "font must be one of"),
    ({"field": [{"key": "name", "box_mm": [5, 20, 60, 10], "size": 6, "min_size": 9}]},
     "min_size ≤ size"),
    ({"field": [{"key": "name", "box_mm": [5, 20, 60, 1], "size": 18, "min_size": 8}]},
     "lower than one line"),
    ({"field": [{"key": "name", "box_mm": [5, 20, 60, 10], "kerning": 1}]}, "malformed"),
    ({"ornament": [{"kind": "swirl"}]}, "ornament kind 'swirl' unknown"),
    ({"artwork": {"image": "missing.png"}}, "artwork image 'missing.png' not found"),
])
def test_bad_templates_name_the_file_and_the_problem(change: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(TemplateError, match=message) as caught:
        parse_template({**GOOD, **change}, "bad.toml")
    assert str(caught.value).startswith("card template bad.toml:")


def test_an_unreadable_file_is_a_template_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(TemplateError, match=r"broken\.toml: cannot be read"):
        load_template_file(broken)
