"""Every insights report on the large demo (target: under 2 s on PostgreSQL, 5 s on SQLite).

DATABASE_URL=postgresql://…/tandem_bench .venv/bin/python bench/insights.py
Times each report page in-process as the admin (who sees everything), median of BENCH_RUNS.
"""

import common

common.setup()

from django.db import connection  # noqa: E402

from tandem.contacts.models import LifecycleTransition, Person  # noqa: E402
from tandem.insights.models import Plan  # noqa: E402
from tandem.marketing.models import Touch  # noqa: E402
from tandem.sales.models import Opportunity  # noqa: E402

REPORTS = [
    ("funnel, cohort", "/insights/r/funnel/"),
    ("funnel, cohort by program", "/insights/r/funnel/?by=program"),
    ("funnel, period by channel", "/insights/r/funnel/?mode=period&by=channel"),
    ("program scorecard (linear)", "/insights/r/programs/"),
    ("program scorecard (Markov)", "/insights/r/programs/?model=markov"),
    ("rep scorecard", "/insights/r/reps/"),
    ("attribution of won deals, by program", "/insights/r/attribution/"),
    ("attribution of SQLs, by channel", "/insights/r/attribution/?outcome=sql&dimension=channel"),
    ("voice of the customer, by program", "/insights/r/voc/"),
    ("voice of the customer, by product", "/insights/r/voc/?by=product"),
    ("budget proposal (Markov)", "/insights/r/budget/"),
    ("plan page (current quarter)", "/insights/plans/{plan}/"),
    ("API: attribution JSON", "/api/insights/reports/attribution"),
]


def main() -> None:
    print(
        f"database: {connection.vendor}; people {Person.objects.count():,}, "
        f"touches {Touch.objects.count():,}, transitions {LifecycleTransition.objects.count():,}, "
        f"opportunities {Opportunity.objects.count():,}; period: the last 90 days"
    )
    plan = Plan.objects.order_by("-period_start").first()
    client = common.client_for("admin")
    for label, url in REPORTS:
        times, _ = common.timed_get(client, url.format(plan=plan.pk), runs=min(common.RUNS, 5))
        print(f"  {label:<40} {common.line(times)}")


if __name__ == "__main__":
    main()
