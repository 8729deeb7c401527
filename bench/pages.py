"""Server time of list, search and detail pages on a loaded workspace (the large demo).

Runs the views in-process through Django's test client, so the figure is the server's time
(view, queries, template) without network. Prints the median and max of several runs per page.

    DATABASE_URL=postgresql://…/tandem_large DEBUG=1 .venv/bin/python bench/pages.py
"""

import statistics

import common

common.setup()

from django.db import connection  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.contacts.models import Person  # noqa: E402
from tandem.marketing.models import Touch  # noqa: E402
from tandem.sales.models import Opportunity  # noqa: E402


def pages(rep: User) -> list[tuple[str, str]]:
    person = Person.objects.filter(owner=rep).order_by("pk").first()
    opp = Opportunity.objects.filter(owner=rep).order_by("pk").first()
    email = Person.objects.order_by("pk").values_list("email", flat=True)[500_000 // 2]
    return [
        ("people list", "/contacts/people/"),
        ("people sorted by name, page 20", "/contacts/people/?sort=name&page=20"),
        ("people filtered by stage", "/contacts/people/?stage=customer"),
        ("people search by name", "/contacts/people/?q=olsen"),
        ("people search, part of an email", f"/contacts/people/?q={email[:12]}"),
        ("organizations list", "/contacts/organizations/"),
        ("organizations search", "/contacts/organizations/?q=summit"),
        ("programs list", "/marketing/programs/"),
        ("opportunities list", "/sales/opportunities/"),
        ("opportunities open, by amount", "/sales/opportunities/?status=open&sort=-amount"),
        ("activities list", "/sales/activities/?done=false"),
        ("global search", "/search/?q=acme"),
        ("global search by email", f"/search/?q={email}"),
        ("person detail", f"/contacts/people/{person.pk}/"),
        ("opportunity detail", f"/sales/opportunities/{opp.pk}/"),
        ("home", "/"),
        ("API people list", "/api/people"),
        ("API opportunities list", "/api/opportunities?status=open"),
    ]


def main() -> None:
    print(
        f"database: {connection.vendor}, people {Person.objects.count():,}, "
        f"touches {Touch.objects.count():,}, opportunities {Opportunity.objects.count():,}"
    )
    print(f"runs per page: {common.RUNS} (median and max in ms of server time)")
    rep = User.objects.get(username="rita")
    worst = 0.0
    for username in ("admin", "rita", "maria"):
        user = User.objects.get(username=username)
        client = common.client_for(username)
        print(f"\n{username} ({user.get_role_display()})")
        for label, url in pages(rep):
            if username == "maria" and ("activities" in url):
                continue
            times, _ = common.timed_get(client, url)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"  {label:<34} median {median:7.1f}   max {max(times):7.1f}")
    print(f"\nslowest median: {worst:.1f} ms (target: under 300 ms)")


if __name__ == "__main__":
    main()
