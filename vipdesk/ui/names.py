"""Domain codes → the English source of their name, translated where shown with `t()`.

Services store codes (`service_attitude`, `contacted`…); every widget that shows one
names it through these tables, so the words are the same on the card, in the forms and
in the timeline, in both languages.
"""

from __future__ import annotations

from functools import cache

from vipdesk.ui.i18n import t

CATEGORY_NAMES = {"service_attitude": "Service attitude", "wait_time": "Waiting time",
                  "product_quality": "Product quality", "delivery": "Delivery",
                  "after_sales": "After-sales", "billing": "Billing",
                  "environment": "Environment", "privacy": "Privacy", "other": "Other"}
SEVERITY_NAMES = {"minor": "Minor", "severe": "Severe"}
STATE_NAMES = {"received": "Received", "contacted": "Contacted", "resolved": "Resolved",
               "followed_up": "Followed up", "closed": "Closed", "reopened": "Reopened"}
SCALE_NAMES = {"very_satisfied": "Very satisfied", "satisfied": "Fairly satisfied",
               "neutral": "Neutral", "unsatisfied": "Not very satisfied",
               "very_unsatisfied": "Very unsatisfied", "no_rating": "No rating"}
ROLE_NAMES = {"staff": "Lounge staff", "manager": "Store manager", "advisor": "Advisor",
              "admin": "Administrator"}


def store_name(name: str | None, code: str, lang: str) -> str:
    """The store as the desk names it. The stores table has one name, in Chinese: the
    English desk shows the store's code (SH01) instead."""
    return (name or code) if lang == "zh" else code
# A welcome card's fields (resources/cards/*.toml `key`), named when one is shortened.
CARD_FIELDS = {"name": "Name", "name_alt": "Second name", "tier": "Tier", "store": "Store",
               "date": "Date", "greeting": "Greeting", "offer": "Offer",
               "advisor": "Advisor", "birthday": "Birthday"}
# Record fields a sync conflict can name (models' column names).
FIELD_NAMES = {"name_zh": "Chinese name", "name_latin": "Latin name", "gender": "Gender",
               "birthday": "Birthday", "email": "Email", "address": "Address",
               "occupation": "Occupation", "language": "Language", "family": "Family",
               "hobbies": "Hobbies", "career": "Career", "lifestyle": "Lifestyle",
               "referral": "Referred by", "purchase_intent": "Purchase intent",
               "member_no": "Member no.", "tier_code": "Tier",
               "tier_override_code": "Tier set by a manager",
               "tier_override_reason": "Reason for the tier", "advisor_id": "Advisor",
               "home_store_id": "Home store", "value": "Value", "tag": "Preference",
               "e164": "Phone", "label": "Label", "state": "State", "note": "Note",
               "description": "Description", "outcome": "Outcome", "reason": "Reason"}
# The default tiers (resources/defaults/tiers.toml) and how a tier change came about, named
# in the history. A store's own extra tiers show their code.
TIER_NAMES = {"senior": "Senior VIP", "diamond": "Diamond", "black": "Black Card"}
TIER_CHANGE_NAMES = {"auto": "By spend", "override": "Set by a manager",
                     "override_cleared": "Manager's setting removed"}


@cache
def _questionnaires() -> dict[str, tuple[str, str]]:
    from vipdesk.services.surveys import load_book

    return {q.code: (q.zh, q.en) for q in load_book().questionnaires.values()}


def questionnaire_name(code: str, lang: str) -> str:
    """A questionnaire as the survey data names it ("sales" → 销售体验调查)."""
    zh, en = _questionnaires().get(code, (code, code))
    return zh if lang == "zh" else en
# How a search hit was found (vipdesk/services/lookup.py Match), in a result's tooltip.
MATCH_NAMES = {"card": "Found by card", "member_no": "Found by member number",
               "phone": "Found by phone number", "phone_suffix": "Found by the last 4 digits",
               "name": "Found by name"}


def tier_name(code: str | None, as_given: str) -> str:
    """A default tier in the desk's language; another tier as the service named it."""
    return t(TIER_NAMES[code]) if code in TIER_NAMES else as_given
