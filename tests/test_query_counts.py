"""Query-count guards: no list, board, record, report or home page may run more queries when it
shows more rows. Each page is read with a few rows of every kind, then again after as many more
(people, organizations, deals, activities, touches, handoffs, on the page's own record too);
the counts must be equal, so an N+1 cannot come back unnoticed."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.handoff.models import Handoff
from tandem.marketing.models import Touch
from tests import factories as f

PAGES = [
    ("owner", "/"),
    ("sales_manager", "/"),
    ("marketer", "/"),
    ("marketing_manager", "/"),
    ("admin", "/"),
    ("admin", "/home/panels/marketing"),
    ("admin", "/home/panels/team"),
    ("admin", "/home/panels/handoff"),
    ("owner", "/home/panels/handoff"),
    ("owner", "/contacts/people/"),
    ("sales_manager", "/contacts/organizations/"),
    ("sales_manager", "/sales/opportunities/"),
    ("owner", "/sales/activities/"),
    ("owner", "/sales/board/"),
    ("owner", "/sales/my-day/"),
    ("sales_manager", "/sales/forecast/"),
    ("marketer", "/marketing/programs/"),
    ("marketer", "/marketing/campaigns/"),
    ("marketer", "/marketing/segments/"),
    ("marketer", "/marketing/forms/"),
    ("owner", "/handoff/inbox/"),
    ("sales_manager", "/handoff/sla/"),
    ("marketing_manager", "/handoff/leakage/"),
    ("marketing_manager", "/insights/"),
    ("marketing_manager", "/insights/funnel/"),
    ("marketing_manager", "/insights/r/programs/"),
    ("sales_manager", "/insights/r/reps/"),
    ("marketing_manager", "/insights/r/attribution/"),
    ("marketing_manager", "/insights/plans/"),
    ("owner", "/contacts/people/{person}/"),
    ("owner", "/contacts/organizations/{organization}/"),
    ("owner", "/sales/opportunities/{opportunity}/"),
    ("marketer", "/marketing/programs/{program}/"),
]


def _grow(world, n: int) -> None:
    """n more of every kind of row, some of them on the world's own records."""
    now = timezone.now()
    for i in range(n):
        org = f.organization(owner=world.owner, name=f"Grown {i} {now.timestamp()}")
        person = f.person(owner=world.owner, organization=org, source_program=world.program,
                          lifecycle_stage="mql")  # fmt: skip
        f.person(owner=world.owner, organization=world.org)
        for who in (person, world.person):
            Touch.objects.create(person=who, program=world.program, kind="form_submitted",
                                 occurred_at=now)  # fmt: skip
        deal = f.opportunity(world.owner, organization=org, person=person)
        f.opportunity(world.owner, organization=world.org, person=world.person)
        f.activity(world.owner, opportunity=deal, person=person)
        f.activity(world.owner, opportunity=world.opportunity, person=world.person)
        Handoff.objects.create(person=person, rep=world.owner, routed_at=now,
                               due_at=now + timezone.timedelta(hours=4))  # fmt: skip


def _count(client, url: str) -> int:
    client.get(url)  # warm: per-process caches fill on the first read
    cache.clear()  # a kept panel, card or rate would hide the queries that compute it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


@pytest.mark.parametrize(("who", "url"), PAGES, ids=[f"{w}:{u}" for w, u in PAGES])
def test_a_page_runs_as_many_queries_for_more_rows(world, client, who, url):
    user = getattr(world, who)
    url = url.format(person=world.person.pk, organization=world.org.pk,
                     opportunity=world.opportunity.pk, program=world.program.pk)  # fmt: skip
    client.force_login(user)
    _grow(world, 3)
    few = _count(client, url)
    _grow(world, 6)
    many = _count(client, url)
    assert many == few, f"{url}: {few} queries with a few rows, {many} with more"
