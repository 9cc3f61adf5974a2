"""Who the care plan covers and how much contact it allows (seed 000 一(二), 二(三)2:
控制频率，避免过度打扰).

- `in_care_plan` is the one place that decides whether a tier's members get the plan's
  greetings (festivals) and welcome calls; it reads the tier table's per-tier flag;
- a member's opt-out (preference tag `care_opt_out`) and a monthly cap on care contacts
  hold marketing tasks back; service tasks (complaint deadlines, follow-ups agreed at a
  home visit) are never held: the member is owed them.
"""

from __future__ import annotations

from vipdesk.services.tiers import TierInfo, TierTable

OPT_OUT_TAG = "care_opt_out"
# Owed to the member whatever their contact preferences or this month's count.
SERVICE_KINDS = frozenset({"complaint_contact", "complaint_followup", "follow_up"})
# Care contacts filed under these kinds are service, not counted against the cap.
SERVICE_CONTACT_KINDS = frozenset({"complaint_contact", "complaint_follow_up", "home_visit"})


def in_care_plan(tier: TierInfo) -> bool:
    """Whether members of `tier` are in the care plan: the tier table's per-tier flag
    (`tiers.in_care_plan`, true unless a manager turned it off)."""
    return tier.in_care_plan


def plan_tier_codes(tiers: TierTable) -> list[str]:
    return [t.code for t in tiers.tiers if in_care_plan(t)]


def gift_tier_codes(tiers: TierTable) -> frozenset[str]:
    """Tiers whose benefits include the birthday gift (benefits accumulate upwards)."""
    return frozenset(t.code for t in tiers.tiers
                     if any(b.code == "birthday_gift" for b in t.benefits))
