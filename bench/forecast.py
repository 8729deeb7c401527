"""A quarter's forecast on the large demo (target: under 2 s), for a manager and a rep.

DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/forecast.py
"""

import common

common.setup()

from django.db import connection  # noqa: E402

from tandem.sales.models import Opportunity, StageHistory  # noqa: E402


def main() -> None:
    print(
        f"database: {connection.vendor}; opportunities {Opportunity.objects.count():,}, "
        f"stage history {StageHistory.objects.count():,}"
    )
    for username in ("sam", "rita"):
        client = common.client_for(username)
        for label, url in (
            ("forecast page", "/sales/forecast/"),
            ("forecast API", "/api/forecast"),
        ):
            times, _ = common.timed_get(client, url, runs=min(common.RUNS, 5))
            print(f"  {label:<14} as {username:<5} {common.line(times)}")


if __name__ == "__main__":
    main()
