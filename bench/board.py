"""Server time of the pipeline board on the large demo (target: 5,000 open deals under 500 ms).

DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/board.py
"""

import common

common.setup()

from django.db import connection  # noqa: E402

from tandem.sales.models import Opportunity  # noqa: E402


def main() -> None:
    total = Opportunity.objects.count()
    open_deals = Opportunity.objects.filter(stage__kind="open").count()
    print(f"database: {connection.vendor}; opportunities {total:,}, open {open_deals:,}")
    for username in ("sam", "admin", "rita"):
        times, response = common.timed_get(common.client_for(username), "/sales/board/")
        cards = response.content.count(b"data-opp=")
        print(f"  board as {username:<6} {cards:>6,} cards  {common.line(times)}")


if __name__ == "__main__":
    main()
