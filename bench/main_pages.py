"""The main pages, each as its usual reader opens it: shared by `make screenshots` and
bench/pages.py."""

import re

# name: (login, path) — the path may name a record by a search in the list (first link found)
PAGES = {
    "login": (None, "/accounts/login/"),
    "home-marketer": ("maria", "/"),
    "home-rep": ("rita", "/"),
    "home-sales-manager": ("sam", "/"),
    "home-admin": ("admin", "/"),
    "people": ("maria", "/contacts/people/"),
    "person": ("rita", "first:/contacts/people/:/contacts/people/\\d+/"),
    "organizations": ("sam", "/contacts/organizations/"),
    "organization": ("sam", "first:/contacts/organizations/:/contacts/organizations/\\d+/"),
    "pipeline": ("rita", "/sales/board/"),
    "deals": ("sam", "/sales/opportunities/"),
    "deal": ("rita", "first:/sales/opportunities/:/sales/opportunities/\\d+/"),
    "my-day": ("rita", "/sales/my-day/"),
    "activities": ("rita", "/sales/activities/"),
    "forecast": ("sam", "/sales/forecast/"),
    "programs": ("maria", "/marketing/programs/"),
    "program": ("maria", "first:/marketing/programs/:/marketing/programs/\\d+/"),
    "campaigns": ("maria", "/marketing/campaigns/"),
    "campaign": ("maria", "first:/marketing/campaigns/:/marketing/campaigns/\\d+/"),
    "segment-builder": ("maria", "/marketing/segments/new"),
    "forms": ("maria", "/marketing/forms/"),
    "form": ("maria", "first:/marketing/forms/:/marketing/forms/\\d+/"),
    "segments": ("maria", "/marketing/segments/"),
    "segment": ("maria", "first:/marketing/segments/:/marketing/segments/\\d+/"),
    "handoffs-rep": ("rita", "/handoff/inbox/"),
    "sla-board": ("sam", "/handoff/sla/"),
    "leakage": ("maria", "/handoff/leakage/"),
    "insights": ("maria", "/insights/"),
    "report-funnel": ("maria", "/insights/funnel/"),
    "plans": ("maria", "/insights/plans/"),
    "import": ("maria", "/transfer/imports/"),
    "settings": ("admin", "/settings/"),
    "settings-users": ("admin", "/settings/users/"),
    "settings-teams": ("admin", "/settings/teams/"),
    "settings-pipelines": ("admin", "/settings/pipelines/"),
    "settings-quotas": ("sam", "/settings/quotas/"),
    "settings-territories": ("sam", "/settings/territories/"),
    "settings-mail": ("maria", "/settings/mail/"),
    "settings-scoring": ("maria", "/handoff/scoring/"),
    "settings-prices": ("maria", "/sales/pricing/"),
    "settings-audit": ("admin", "/settings/audit/"),
    "settings-custom-fields": ("admin", "/settings/fields/"),
    "settings-webhooks": ("admin", "/settings/webhooks/"),
    "settings-retention": ("maria", "/settings/retention/?months=24"),
    "settings-trash": ("admin", "/settings/trash/"),
    "predictive": ("maria", "/handoff/scoring/predictive/"),
    "account": ("rita", "/accounts/me/"),
    "styleguide": ("admin", "/styleguide/"),
}


def record_link(html: str, pattern: str) -> str | None:
    """The first link in a list page's HTML whose path matches `pattern`."""
    for href in re.findall(r'href="([^"#?]+)"', html):
        if re.fullmatch(pattern, href):
            return href
    return None
