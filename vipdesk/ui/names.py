"""Domain codes → the English source of their name, translated where shown with `t()`.

Services store codes (`service_attitude`, `contacted`…); every widget that shows one
names it through these tables, so the words are the same on the card, in the forms and
in the timeline, in both languages.
"""

from __future__ import annotations

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
